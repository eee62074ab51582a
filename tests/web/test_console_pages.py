"""The operations console in real headless Chromium (SQLite only, like the public page
tests): declaring a response level shows on the public map and the region page; the
daily-report form shows the server's error beside its field, then saves, and an edit
that someone else made meanwhile is a conflict, not an overwrite; a file
import shows its report with the rejected row; the bulletin reader's dry run and
store; directives issued, acknowledged and progressed; every console page at 375 px
without sideways scroll, without inline scripts, and with every request on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import daily_reports, users
from fangkong.services.daily_import import import_daily_file
from fangkong.services.demo import demo_dir
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from support import BULLETINS

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
PAGES = (
    "",
    "/report",
    "/import",
    "/response",
    "/risk?unit=province",
    "/warnings",
    "/directives",
    "/timeliness",
)


@pytest.fixture
def site(engine: Engine, settings: Settings, live_server: str) -> str:
    """The live server with the provinces' real 2020 figures, a national commander
    and a reporter for Hubei."""
    import_daily_file(engine, settings, demo_dir() / PROVINCES, actor=CLI_ACTOR)
    tree = region_tree(engine)
    for username, role, jurisdiction in (
        ("command", "commander", "CN"),
        ("hubei", "reporter", "420000"),
    ):
        users.create_user(
            engine,
            CLI_ACTOR,
            username=username,
            password=PASSWORD,
            role=role,
            jurisdiction=jurisdiction,
            tree=tree,
        )
    return live_server


class Session:
    """A browser context that records page errors and requests leaving the server."""

    def __init__(self, browser: Browser, base: str, width: int, height: int = 900) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN"
        )
        self.page: Page = self.context.new_page()
        self.base, self.width = base, width
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", self._request)

    def _request(self, request: object) -> None:
        url = getattr(request, "url", "")
        if not (url.startswith(self.base) or url.startswith("data:") or url.startswith("blob:")):
            self.external.append(url)

    def login(self, username: str, then: str) -> Page:
        page = self.page
        page.goto(f"{self.base}/login?next={then}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        assert page.url.endswith(then)
        return page

    def goto(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def check(self) -> None:
        scroll = self.page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= self.width, f"{self.page.url} scrolls sideways ({scroll} px)"
        assert self.errors == [], self.errors
        assert self.external == [], "every request must stay on 127.0.0.1"


@pytest.fixture
def session(browser: Browser, site: str) -> Iterator[object]:
    opened: list[Session] = []

    def make(width: int = 1280, height: int = 900) -> Session:
        s = Session(browser, site, width, height)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.context.close()


def test_declared_level_shows_on_the_public_map(session) -> None:  # type: ignore[no-untyped-def]
    s = session(1280)
    page = s.login("command", "/zh/console/response")
    page.select_option("#f-region_code", "420000")
    page.select_option("#f-level", "I")
    assert page.inner_text("#action-note") == "将启动应急响应。"
    assert page.locator("#measures-list li").count() >= 1
    page.fill("#f-reason", "武汉疫情扩散，启动一级响应")
    with page.expect_navigation():
        page.click("#response-form button[type=submit]")
    saved = page.locator("#response-history tr.just-saved")
    assert saved.get_attribute("data-region") == "420000"
    assert saved.get_attribute("data-level") == "I"
    assert page.get_attribute("#current-levels tr[data-region='420000']", "data-level") == "I"
    page.wait_for_timeout(200)
    s.check()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console_response.png"), full_page=True)

    page.goto(s.base + "/zh/")
    page.wait_for_selector("#province-map[data-rendered]")
    page.check("input[name=map-metric][value=response_level]")
    page.wait_for_selector("#province-map[data-metric=response_level][data-layer]")
    data = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('province-map'))"
        ".getOption().series[0].data"
    )
    by_code = {d["name"]: d.get("value") for d in data}
    assert by_code["420000"] == 4  # Level I is rank 4 (none 0, IV 1 … I 4)
    assert by_code["110000"] == 0
    layer = page.evaluate("JSON.parse(document.getElementById('province-map').dataset.layer)")
    assert layer["420000"] == "I" and layer["440000"] == "none"
    page.check("input[name=map-metric][value=risk_level]")
    page.wait_for_selector("#province-map[data-metric=risk_level][data-layer]")
    risk = page.evaluate("JSON.parse(document.getElementById('province-map').dataset.layer)")
    assert len(risk) == 34 and set(risk.values()) <= {"low", "medium", "high"}

    page.goto(s.base + "/en/region/420000")
    page.wait_for_selector("#status-badges[data-rendered='2']")
    assert page.get_attribute(".badge[data-kind=response]", "data-level") == "I"
    assert "Level I" in page.inner_text(".badge[data-kind=response]")
    assert page.get_attribute(".badge[data-kind=risk]", "data-level") in {"low", "medium", "high"}
    page.goto(s.base + "/en/region/420100")  # Wuhan inherits Hubei's level
    page.wait_for_selector("#status-badges[data-rendered]")
    assert "inherited from 420000" in page.inner_text(".badge[data-kind=response]")
    s.check()


def test_report_form_shows_server_error_beside_the_field_then_saves(session) -> None:  # type: ignore[no-untyped-def]
    s = session(375, 812)
    page = s.login("hubei", "/en/console/report")
    page.fill("#f-region_code", "429999")  # well formed, but no such region
    page.fill("#f-report_date", "2020-02-12")
    page.fill("#f-new_confirmed", "13436")
    page.fill("#f-current_severe", "-3")
    page.click("#report-form button[type=submit]")
    # the browser's own check, mirroring the server's: stocks cannot be negative
    assert "negative" in page.inner_text("#e-current_severe")
    page.fill("#f-current_severe", "abc")
    page.locator("#f-current_severe").blur()
    assert page.inner_text("#e-current_severe") == "A whole number, please."
    page.fill("#f-current_severe", "1104")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-form[data-result=error]")
    assert page.get_attribute("#f-region_code", "aria-invalid") == "true"
    assert "unknown region code" in page.inner_text("#e-region_code")
    assert page.is_hidden("#e-new_confirmed")
    page.fill("#f-region_code", "420100")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-form[data-result=saved]")
    assert page.is_hidden("#e-region_code")
    assert "created, version 1" in page.inner_text("#report-status")
    assert page.input_value("#f-version") == "1"
    s.check()


def test_report_form_edits_with_its_version_and_shows_a_conflict(session, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The form loads the stored report with its version; an edit made meanwhile by
    someone else (here through the API) makes the form's save a conflict, not an
    overwrite; loading the latest figures then saving works."""
    s = session(1280, 900)
    page = s.login("hubei", "/en/console/report")
    page.fill("#f-region_code", "420100")
    page.fill("#f-report_date", "2020-02-12")
    page.fill("#f-new_confirmed", "13436")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-form[data-result=saved]")

    page.goto(s.base + "/en/console/report")  # a fresh form: choosing loads the report
    page.fill("#f-region_code", "420100")
    page.fill("#f-report_date", "2020-02-12")
    page.locator("#f-report_date").dispatch_event("change")
    page.wait_for_selector("#report-form[data-loaded=stored]")
    assert page.input_value("#f-new_confirmed") == "13436"
    assert page.input_value("#f-version") == "1"

    # someone else corrects the report meanwhile (version 2)
    daily_reports.edit_daily_report(
        engine, {"new_deaths": 72}, region_code="420100", report_date=date(2020, 2, 12),
        actor=Actor("hubei.other", Role.REPORTER, "420000"), if_match='"1"',
    )  # fmt: skip
    page.fill("#f-new_confirmed", "13437")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-form[data-result=conflict]")
    assert "someone else changed this report" in page.inner_text("#report-status")
    page.click("#report-reload")
    expect(page.locator("#f-version")).to_have_value("2")
    assert page.input_value("#f-new_deaths") == "72"
    assert page.input_value("#f-new_confirmed") == "13436"  # theirs, not lost
    page.fill("#f-new_confirmed", "13437")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-form[data-result=saved]")
    assert "updated, version 3" in page.inner_text("#report-status")
    s.check()


def test_file_import_shows_its_report_and_rejected_row(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    upload = tmp_path / "hubei_daily.csv"
    upload.write_text(
        "region_code,report_date,new_confirmed,new_deaths\n"
        "420100,2020-02-01,1033,45\n"
        "420100,2020-02-02,many,64\n"
        "420200,2020-02-02,15,0\n",
        encoding="utf-8",
    )
    s = session(1280)
    page = s.login("hubei", "/zh/console/import")
    page.set_input_files("#f-file", str(upload))
    page.click("#file-form button[type=submit]")
    page.wait_for_selector("#import-report:not([hidden])")
    counts = {
        k: page.inner_text(f"#import-report .count[data-key={k}] b")
        for k in ("rows_read", "rows_inserted", "rows_rejected")
    }
    assert counts == {"rows_read": "3", "rows_inserted": "2", "rows_rejected": "1"}
    row = page.locator("#import-issues tbody tr").first
    assert row.get_attribute("data-line") == "3"
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "new_confirmed" and cells[2] == "many"
    href = page.get_attribute("#reject-link", "href")
    assert href is not None
    rejects = s.context.request.get(s.base + href)
    assert rejects.status == 200 and "many" in rejects.text() and "_reason" in rejects.text()
    s.check()


def test_bulletin_reader_dry_run_then_store(session) -> None:  # type: ignore[no-untyped-def]
    s = session(1280)
    page = s.login("command", "/zh/console/import")
    page.set_input_files("#b-file", str(BULLETINS / "beijing_2020-02-12.txt"))
    page.wait_for_function("document.getElementById('b-text').value.length > 100")
    page.click("#bulletin-form button[type=submit]")
    page.wait_for_selector("#bulletin-review:not([hidden])")
    assert page.get_attribute("#bulletin-review", "data-region") == "110000"
    assert page.get_attribute("#bulletin-review", "data-date") == "2020-02-12"
    assert page.inner_text("#bulletin-figures tr[data-key=new_confirmed] td") == "14"
    assert page.inner_text("#bulletin-figures tr[data-key=cumulative_confirmed] td") == "366"
    assert "北京市" in page.inner_text("#bulletin-source")
    assert page.locator(".unread li").count() >= 1
    page.click("#bulletin-store")
    page.wait_for_selector("#bulletin-review[data-stored=true]")
    assert "已保存" in page.inner_text("#store-status")
    s.check()


def test_directive_issued_acknowledged_and_progressed(session, browser: Browser, site: str) -> None:  # type: ignore[no-untyped-def]
    boss = session(1280)
    page = boss.login("command", "/zh/console/directives")
    page.fill("#f-title", "加强武汉市发热门诊管理")
    page.fill("#f-body", "各地立即落实发热门诊预检分诊，每日报告进展。")
    page.select_option("#f-priority", "urgent")
    page.select_option("#f-regions", ["420000"])
    with page.expect_navigation():
        page.click("#directive-form button[type=submit]")
    row = page.locator("#directive-list tr.just-saved")
    directive_id = row.get_attribute("data-id")
    assert directive_id and "加强武汉市" in row.inner_text()

    hubei = session(375, 812)
    page2 = hubei.login("hubei", f"/zh/console/directives/{directive_id}")
    with page2.expect_navigation():
        page2.click("#acknowledge")
    assert page2.get_attribute("#recipients tbody tr", "data-status") == "acknowledged"
    page2.fill("#f-percent", "40")
    page2.fill("#f-note", "已完成40%发热门诊改造")
    with page2.expect_navigation():
        page2.click("#respond-form button[type=submit]")
    assert page2.get_attribute("#recipients tbody tr", "data-status") == "in_progress"
    kinds = page2.locator("#trail li").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["issue", "acknowledge", "progress"]
    page2.fill("#f-percent", "120")
    page2.click("#respond-form button[type=submit]")
    assert page2.get_attribute("#f-percent", "aria-invalid") == "true"
    hubei.check()
    boss.check()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_console_pages_fit_a_phone_without_inline_scripts(session, lang: str) -> None:  # type: ignore[no-untyped-def]
    s = session(375, 812)
    page = s.login("command", f"/{lang}/console")
    for suffix in PAGES:
        page.goto(f"{s.base}/{lang}/console{suffix}")
        if suffix.startswith("/risk"):
            page.wait_for_selector("#risk-map[data-rendered]")
            assert page.locator("#risk-table tbody tr").count() == 34
        if suffix == "":
            assert page.locator("#completeness-table tbody tr").count() == 34
        inline = page.evaluate("Array.from(document.scripts).filter(s => !s.src).length")
        handlers = page.evaluate(
            "Array.from(document.querySelectorAll('*')).filter(e => "
            "Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"
        )
        assert (inline, handlers) == (0, 0), suffix
        assert page.locator(".console-nav a[aria-current=page]").count() == 1
        s.check()
    assert page.inner_text(".site-nav a[href$='/console']") in {"控制台", "Console"}


def test_console_needs_sign_in(session) -> None:  # type: ignore[no-untyped-def]
    s = session(1280)
    page = s.goto("/en/console/risk?date=2020-02-01")
    assert "/login?next=/en/console/risk" in page.url
    page.fill("#username", "hubei")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert page.url.endswith("/en/console/risk?date=2020-02-01")
    s.check()


def test_warning_scan_stored_then_acknowledged(session, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Beijing's June 2020 Xinfadi outbreak: a stored scan shows its signals with their
    explanation and a link to the daily data; acknowledging one with a note changes its
    status. On a phone, without inline scripts."""
    users.create_user(
        engine,
        CLI_ACTOR,
        username="bj-epi",
        password=PASSWORD,
        role="epidemiologist",
        jurisdiction="110000",
        tree=region_tree(engine),
    )
    s = session(375, 812)
    page = s.login("bj-epi", "/en/console/warnings")
    assert page.get_attribute(".console-nav a[aria-current=page]", "href") == "/en/console/warnings"
    page.fill("#f-from", "2020-06-10")
    page.fill("#f-to", "2020-06-16")
    page.select_option("#f-regions", ["110000"])
    page.check("#f-store")
    with page.expect_navigation():
        page.click("#scan-form button[type=submit]")
    found = page.locator("#found-table tbody tr[data-region='110000']")
    assert found.count() >= 1
    assert "Beijing" in found.first.inner_text()
    assert "2020-06-1" in found.first.locator("td.wrap").inner_text()
    link = found.first.locator("a").first.get_attribute("href") or ""
    assert link.startswith("/en/region/110000?date=2020-06-1")
    assert page.inner_text("#stored-counts").startswith(f"{found.count()} stored")
    signals = page.locator("#signal-list li[data-region='110000']")
    assert signals.count() == found.count()
    first = signals.first
    signal_id = first.get_attribute("data-id")
    assert first.get_attribute("data-status") == "new"
    first.locator("input[name=note]").fill("Xinfadi market cluster confirmed by field team")
    with page.expect_navigation():
        first.locator("button.set-status[value=acknowledged]").click()
    done = page.locator(f"#signal-list li[data-id='{signal_id}']")
    assert done.get_attribute("data-status") == "acknowledged"
    assert done.get_attribute("class") == "just-saved"
    assert done.locator(".chip").inner_text() == "acknowledged"
    inline = page.evaluate("Array.from(document.scripts).filter(s => !s.src).length")
    assert inline == 0
    s.check()

    page.goto(f"{s.base}/zh/console/warnings?status=acknowledged")
    assert page.locator("#signal-list li").count() == 1
    assert page.inner_text("#signal-list li .chip") == "已签收"
    s.check()
