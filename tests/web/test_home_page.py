"""The first page in real headless Chromium: regions listed, Hubei's curve drawn."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, insert

from fangkong.store import models as m

pytestmark = pytest.mark.browser


def _hubei_days(engine: Engine) -> None:
    first = date(2020, 1, 10)
    counts = [0, 0, 0, 17, 59, 72, 105, 69, 105, 180]
    with engine.begin() as conn:
        conn.execute(insert(m.DailyReportRow), [
            {"region_code": "420000", "report_date": first + timedelta(days=i),
             "source": "canghailan", "new_confirmed": n, "updated_at": datetime.now(UTC)}
            for i, n in enumerate(counts)
        ])


@pytest.mark.parametrize("width", [1280, 375])
def test_home_lists_regions_and_draws_hubei_curve(
    live_server: str, browser: Browser, engine: Engine, width: int
) -> None:
    _hubei_days(engine)
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/")
    page.wait_for_selector("#daily-chart[data-rendered]")
    assert page.get_attribute("#daily-chart", "data-rendered") == "10"
    assert page.locator("#daily-chart canvas").count() >= 1
    rows = page.locator("table.regions tbody tr")
    assert rows.count() == 34
    assert "湖北省" in page.inner_text("table.regions")
    assert "JHU CSSE" in page.inner_text("footer")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, "page must not scroll sideways"
    assert errors == []
    page.close()


def test_api_docs_render_offline(live_server: str, browser: Browser) -> None:
    page = browser.new_page()
    external: list[str] = []
    page.on("request", lambda req: None if req.url.startswith(live_server)
            else external.append(req.url))
    page.goto(live_server + "/docs")
    page.wait_for_selector(".swagger-ui .information-container")
    assert "Fangkong API" in page.inner_text(".swagger-ui .information-container")
    assert external == []
    page.close()
