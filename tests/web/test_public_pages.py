"""The public pages in real headless Chromium, on the real 2020 files loaded by the
importers: the overview's map of 34 provinces, a click through to Hubei, the language
switch, phone-sized layouts and screenshots (``docs/screenshots/``). Every request
must stay on 127.0.0.1 (no CDN)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.services.demo import demo_dir
from fangkong.settings import Settings

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FILES = (
    "canghailan_china_national_daily_2020-01-10_2020-06-30.csv",
    "canghailan_china_province_daily_2020-01-10_2020-06-30.csv",
    "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv",
    "jhu_selected_countries_daily_2020-01-22_2021-05-30.csv",
)
#: Hubei's centre (lon, lat) on the map, for a real mouse click.
HUBEI = [112.27, 30.98]


@pytest.fixture
def site(engine: Engine, settings: Settings, live_server: str) -> str:
    """The live server with the real files loaded through the importers."""
    for name in FILES:
        import_daily_file(engine, settings, demo_dir() / name, actor=CLI_ACTOR)
    return live_server


class Visit:
    """A page that records page errors and every request leaving the server."""

    def __init__(self, browser: Browser, base: str, width: int, height: int = 900) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN"
        )
        self.page: Page = self.context.new_page()
        self.base = base
        self.width = width
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", self._request)

    def _request(self, request: object) -> None:
        url = getattr(request, "url", "")
        if not (url.startswith(self.base) or url.startswith("data:")):
            self.external.append(url)

    def goto(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def check(self) -> None:
        scroll = self.page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= self.width, f"{self.page.url} scrolls sideways ({scroll} px)"
        assert self.errors == []
        assert self.external == [], "every request must stay on 127.0.0.1"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Browser, site: str) -> Iterator[object]:
    opened: list[Visit] = []

    def make(width: int, height: int = 900) -> Visit:
        v = Visit(browser, site, width, height)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()


@pytest.mark.parametrize(
    ("width", "path", "shot"),
    [(375, "/zh/", "overview_phone"), (1280, "/zh/?date=2020-02-05", "overview_desktop")],
)
def test_overview_map_has_34_provinces(visit, width: int, path: str, shot: str) -> None:  # type: ignore[no-untyped-def]
    v = visit(width, 900 if width > 400 else 812)
    page = v.goto(path)
    page.wait_for_selector("#province-map[data-rendered]")
    assert page.get_attribute("#province-map", "data-regions") == "34"
    assert page.get_attribute("#province-map", "data-with-data") == "34"
    assert page.locator("#province-map canvas").count() >= 1
    page.wait_for_selector("#national-curve[data-rendered]")
    assert page.locator("#province-table tbody tr").count() == 34
    cards = page.locator(".cards .card-value").all_inner_texts()
    if path == "/zh/":  # the latest day: cumulative confirmed on 2020-06-30 (canghailan)
        assert cards[2] == "85,229"
    assert "示意图，不作为国界划分依据" in page.inner_text("main")
    footer = page.inner_text("footer")
    assert "canghailan" in footer and "china.json" in footer
    for metric in ("incidence_14d", "rt"):
        page.check(f"input[name=map-metric][value={metric}]")
        assert page.get_attribute("#province-map", "data-metric") == metric
    page.check("input[name=map-metric][value=new_confirmed]")
    page.wait_for_timeout(300)  # the map's animation
    v.check()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=width < 400)


def test_click_a_province_opens_its_page(visit) -> None:  # type: ignore[no-untyped-def]
    v = visit(1280)
    page = v.goto("/en/?date=2020-02-05")
    page.wait_for_selector("#province-map[data-rendered]")
    x, y = page.evaluate(
        "(p) => echarts.getInstanceByDom(document.getElementById('province-map'))"
        ".convertToPixel({seriesIndex: 0}, p)",
        HUBEI,
    )
    box = page.locator("#province-map").bounding_box()
    assert box is not None
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert page.url.endswith("/en/region/420000?date=2020-02-05")
    assert page.inner_text("h1").startswith("Hubei")
    for chart in ("#region-curve", "#region-rt", "#region-forecast"):
        page.wait_for_selector(f"{chart}[data-rendered]")
        assert int(page.get_attribute(chart, "data-rendered") or 0) > 0, chart
    assert page.locator("#subregion-table tbody tr").first.inner_text().startswith("Wuhan")
    assert page.locator("#status-badges").count() == 1  # the slot for risk/response levels
    page.wait_for_timeout(500)
    v.check()
    page.screenshot(path=str(SCREENSHOTS / "region_hubei.png"), full_page=True)


def test_language_switch_keeps_the_page_and_persists(visit) -> None:  # type: ignore[no-untyped-def]
    v = visit(375)
    page = v.goto("/")
    assert page.url.endswith("/zh/")  # Accept-Language zh-CN
    page.goto(v.base + "/zh/region/420000?date=2020-02-12")
    assert page.inner_text("h1").startswith("湖北省")
    assert "2020年2月12日" in page.inner_text(".asof-line")
    with page.expect_navigation():
        page.click("#lang-switch")
    assert page.url.endswith("/en/region/420000?date=2020-02-12")
    assert page.inner_text("h1").startswith("Hubei")
    assert "February 12, 2020" in page.inner_text(".asof-line")
    assert page.get_attribute("html", "lang") == "en"
    page.goto(v.base + "/")
    assert page.url.endswith("/en/"), "the choice persists over Accept-Language"
    assert "National overview" in page.inner_text("h1")
    v.check()


def test_sortable_table_and_phone_layouts(visit) -> None:  # type: ignore[no-untyped-def]
    v = visit(375, 812)
    page = v.goto("/en/")
    page.click("#province-table th:nth-child(4) button")  # Cumulative
    assert page.get_attribute("#province-table th:nth-child(4)", "aria-sort") == "descending"
    assert page.locator("#province-table tbody tr").first.inner_text().startswith("Hubei")
    page.click("#province-table th:nth-child(4) button")
    assert page.get_attribute("#province-table th:nth-child(4)", "aria-sort") == "ascending"
    v.check()
    for path in ("/zh/world", "/en/opendata", "/zh/about/data", "/en/region/US", "/login"):
        page.goto(v.base + path)
        if path.endswith("world"):
            page.wait_for_selector("#world-map[data-rendered]")
            assert page.locator("#world-table tbody tr").count() == 12
        v.check()


def test_pages_have_no_inline_scripts(visit) -> None:  # type: ignore[no-untyped-def]
    v = visit(1280)
    for path in ("/zh/", "/en/region/420000", "/zh/world", "/en/opendata", "/login"):
        page = v.goto(path)
        inline = page.evaluate("Array.from(document.scripts).filter(s => !s.src).length")
        handlers = page.evaluate(
            "Array.from(document.querySelectorAll('*')).filter(e => "
            "Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"
        )
        assert (inline, handlers) == (0, 0), path


def test_api_docs_render_offline(live_server: str, browser: Browser) -> None:
    page = browser.new_page()
    external: list[str] = []
    page.on(
        "request", lambda req: None if req.url.startswith(live_server) else external.append(req.url)
    )
    page.goto(live_server + "/docs")
    page.wait_for_selector(".swagger-ui .information-container")
    assert "Fangkong API" in page.inner_text(".swagger-ui .information-container")
    assert external == []
    page.close()
