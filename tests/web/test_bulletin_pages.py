"""Daily bulletins in real headless Chromium (SQLite): a commander signs in, drafts the
national bulletin of 2020-02-13 from the real canghailan figures, approves and publishes
it, and reads it on the public page in Chinese and English; a draft whose cumulative
figure falls cannot be published and the page says why, until the reason is given;
the corrections log; every page at 375 px without sideways scroll, and every request
on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR
from fangkong.services import users
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.demo import demo_dir
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
NATIONAL = "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"


@pytest.fixture
def site(engine: Engine, settings: Settings, live_server: str) -> str:
    """The national 2020 figures, Hubei's own figures with a fall of its cumulative
    count on 2020-02-13, a national commander and a reporter."""
    import_daily_file(engine, settings, demo_dir() / NATIONAL, actor=CLI_ACTOR)
    submit_daily_reports(
        engine,
        settings,
        [
            {"region_code": "420000", "report_date": "2020-02-12", "new_confirmed": 100},
            {"region_code": "420000", "report_date": "2020-02-13", "new_confirmed": -5},
        ],
        actor=CLI_ACTOR,
        today=date(2020, 12, 31),
    )
    tree = region_tree(engine)
    for username, role in (("command", "commander"), ("reporter", "reporter")):
        users.create_user(
            engine,
            CLI_ACTOR,
            username=username,
            password=PASSWORD,
            role=role,
            jurisdiction="CN",
            tree=tree,
        )
    return live_server


class Session:
    """A browser context that records page errors and requests leaving the server."""

    def __init__(self, browser: Browser, base: str, width: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page: Page = self.context.new_page()
        self.base, self.width = base, width
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", self._request)

    def _request(self, request: object) -> None:
        url = getattr(request, "url", "")
        if not (url.startswith(self.base) or url.startswith("data:")):
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

    def check(self) -> None:
        scroll = self.page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= self.width, f"{self.page.url} scrolls sideways ({scroll} px)"
        assert self.errors == [], self.errors
        assert self.external == [], "every request must stay on 127.0.0.1"


@pytest.fixture
def session(browser: Browser, site: str) -> Iterator[object]:
    opened: list[Session] = []

    def make(width: int = 1280) -> Session:
        s = Session(browser, site, width)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.context.close()


def _draft(page: Page, region: str) -> None:
    page.select_option("#f-region_code", region)
    page.fill("#f-report_date", "2020-02-13")
    with page.expect_navigation():
        page.click("#bulletin-draft-form button[type=submit]")
    page.wait_for_selector("#review")


def test_commander_drafts_publishes_and_the_public_reads_it(session) -> None:  # type: ignore[no-untyped-def]
    s = session(1280)
    page = s.login("command", "/zh/console/bulletins")
    _draft(page, "CN")
    assert page.get_attribute("#review", "data-status") == "draft"
    assert "2月13日0—24时" in page.inner_text(".bulletin-text[lang=zh-Hans]")
    assert "From 0:00 to 24:00 on 13 February 2020" in page.inner_text(".bulletin-text[lang=en]")
    assert page.locator("#checks li.fail").count() == 0
    assert page.locator("#checks li[data-check=current_identity].ok").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console_bulletin_draft.png"), full_page=True)
    with page.expect_navigation():
        page.click("#bulletin-publish-form button[type=submit]")
    assert page.get_attribute("#review", "data-status") == "published"
    s.check()
    with page.expect_navigation():
        page.click("#public-link")
    assert "/zh/bulletins/CN/2020-02-13" in page.url
    assert page.get_attribute("#bulletin", "data-version") == "1"
    text = page.inner_text("#bulletin .bulletin-text")
    assert text.startswith(
        "2月13日0—24时，31个省（自治区、直辖市）和新疆生产建设兵团报告新增确诊病例"
    )
    assert "截至2月13日24时" in text
    s.check()

    # anyone, on a phone, in either language
    phone = session(375)
    public = phone.page
    public.goto(f"{phone.base}/en/bulletins/CN/2020-02-13")
    assert "From 0:00 to 24:00 on 13 February 2020" in public.inner_text("#bulletin")
    assert public.locator("#bulletin-figures tr[data-figure=cumulative_confirmed]").count() == 1
    phone.check()
    public.screenshot(path=str(SCREENSHOTS / "bulletin_phone_en.png"), full_page=True)
    public.goto(f"{phone.base}/zh/bulletins")
    assert public.locator("#bulletin-list li").count() == 1
    public.click("#bulletin-list a")
    public.wait_for_selector("#bulletin")
    phone.check()
    public.goto(f"{phone.base}/zh/corrections")
    assert public.locator("#corrections").count() == 0  # nothing corrected yet
    phone.check()


def test_failing_check_blocks_publishing_and_says_why(session) -> None:  # type: ignore[no-untyped-def]
    s = session(375)
    page = s.login("command", "/zh/console/bulletins")
    _draft(page, "420000")
    failed = page.locator("#checks li.fail")
    assert failed.count() == 1
    assert failed.get_attribute("data-check") == "cumulative_not_decreasing"
    assert "fell from 100" in failed.inner_text()
    page.click("#bulletin-publish-form button[type=submit]")
    page.wait_for_selector("#publish-status.error")
    said = page.inner_text("#publish-status")
    assert "publishing is blocked" in said and "no revision reason is recorded" in said
    assert page.get_attribute("#review", "data-status") == "draft"
    s.check()
    page.screenshot(path=str(SCREENSHOTS / "console_bulletin_blocked.png"), full_page=True)
    # give the reason: a new draft that passes, published by the commander
    page.fill("#bulletin-reasons-form input[name=reason]", "核减重复报告病例")
    with page.expect_navigation():
        page.click("#bulletin-reasons-form button[type=submit]")
    assert page.locator("#checks li.fail").count() == 0
    assert "湖北省核减5例" in page.inner_text(".bulletin-text[lang=zh-Hans]")
    with page.expect_navigation():
        page.click("#bulletin-publish-form button[type=submit]")
    assert page.get_attribute("#review", "data-status") == "published"
    s.check()


def test_a_reporter_cannot_publish(session) -> None:  # type: ignore[no-untyped-def]
    s = session(1280)
    page = s.login("reporter", "/en/console/bulletins")
    _draft(page, "CN")
    assert page.locator("#bulletin-publish-form").count() == 0
    assert "commander" in page.inner_text("#review")
    s.check()


def test_reported_figures_reach_the_public_bulletin(session) -> None:  # type: ignore[no-untyped-def]
    """The whole release path: a reporter signs in and submits Hubei's report of
    2020-02-14 through the console form; a commander drafts Hubei's bulletin of that
    day, which carries the reporter's figures, approves and publishes it; the public
    reads them on the bulletin page, in Chinese and in English."""
    reporter = session(375)
    form = reporter.login("reporter", "/zh/console/report")
    form.fill("#f-region_code", "420000")
    form.fill("#f-report_date", "2020-02-14")
    form.fill("#f-new_confirmed", "4823")
    form.fill("#f-new_deaths", "116")
    form.click("#report-form button[type=submit]")
    form.wait_for_selector("#report-form[data-result=saved]")
    reporter.check()

    commander = session(1280)
    page = commander.login("command", "/zh/console/bulletins")
    page.select_option("#f-region_code", "420000")
    page.fill("#f-report_date", "2020-02-14")
    with page.expect_navigation():
        page.click("#bulletin-draft-form button[type=submit]")
    page.wait_for_selector("#review")
    draft = page.inner_text(".bulletin-text[lang=zh-Hans]")
    assert "2月14日0—24时" in draft and "4823" in draft and "116" in draft
    assert page.locator("#checks li.fail").count() == 0
    with page.expect_navigation():
        page.click("#bulletin-publish-form button[type=submit]")
    assert page.get_attribute("#review", "data-status") == "published"
    commander.check()

    public = session(375).page
    public.goto(f"{commander.base}/zh/bulletins/420000/2020-02-14")
    assert "4823" in public.inner_text("#bulletin .bulletin-text")
    public.goto(f"{commander.base}/en/bulletins/420000/2020-02-14")
    text = public.inner_text("#bulletin")
    assert "From 0:00 to 24:00 on 14 February 2020" in text and "4,823" in text
