"""The Content-Security-Policy in real headless Chromium: the public pages, the sign-in
page, every console page and the vendored Swagger UI at ``/docs`` run under
``script-src 'self'; style-src 'self'`` (plus style attributes for the ECharts
tooltips, see api/security_headers.py) without a single violation, with the mouse
moved over every chart, and still draw (maps and charts as ECharts canvases, the
operations of Swagger UI).

Violations are caught twice: the ``securitypolicyviolation`` DOM event (listened to by
a script Playwright injects before any page script runs; the policy does not apply to
it) and Chromium's console message "Refused to … Content Security Policy"."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine

from fangkong.api.security_headers import CONTENT_SECURITY_POLICY
from fangkong.core.access import CLI_ACTOR
from fangkong.services import users
from fangkong.services.daily_import import import_daily_file
from fangkong.services.demo import demo_dir
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from support import PASSWORD

pytestmark = pytest.mark.browser

FILES = (
    "canghailan_china_national_daily_2020-01-10_2020-06-30.csv",
    "canghailan_china_province_daily_2020-01-10_2020-06-30.csv",
    "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv",
    "jhu_selected_countries_daily_2020-01-22_2021-05-30.csv",
)
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " +
                    (e.sourceFile || "") + ":" + e.lineNumber);
});
"""
#: Page → selector of what must have been drawn on it.
PUBLIC = {
    "/zh/": "#province-map canvas",
    "/en/": "#national-curve canvas",
    "/zh/region/420000?date=2020-02-20": "#region-curve canvas",
    "/en/region/420100?date=2020-02-20": "#region-rt canvas",
    "/zh/world": "#world-map canvas",
    "/en/opendata": "main",
    "/zh/about/data": "main",
    "/zh/bulletins": "main",
    "/en/corrections": "main",
    "/login": "#login-form",
    "/docs": ".swagger-ui .opblock",
}
CONSOLE = {
    "/zh/console": "main",
    "/zh/console/report": "#report-form",
    "/en/console/import": "main",
    "/zh/console/response": "main",
    "/zh/console/risk?unit=province&date=2020-02-20": "#risk-map canvas",
    "/zh/console/warnings": "main",
    "/zh/console/directives": "main",
    "/en/console/timeliness": "main",
    "/zh/console/bulletins": "main",
}


@pytest.fixture
def site(engine: Engine, settings: Settings, live_server: str) -> str:
    for name in FILES:
        import_daily_file(engine, settings, demo_dir() / name, actor=CLI_ACTOR)
    users.create_user(
        engine, CLI_ACTOR, username="command", password=PASSWORD, role="commander",
        jurisdiction="CN", tree=region_tree(engine),
    )  # fmt: skip
    return live_server


class Watch:
    """A browser context that records CSP violations, console errors and page errors."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(LISTEN)
        self.page: Page = self.context.new_page()
        self.base = base
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            self.console.append(f"{message.type}: {message.text}")

    def visit(self, path: str, drawn: str) -> list[str]:
        """Load ``path``, wait until ``drawn`` is there; what went wrong on the way."""
        answer = self.page.goto(self.base + path)
        assert answer is not None and answer.ok, path
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        self.page.wait_for_selector(drawn, timeout=15_000)
        self.page.wait_for_load_state("networkidle")
        found: list[str] = self.page.evaluate("window.__csp")
        problems = [f"{path}: CSP {v}" for v in found]
        problems += [f"{path}: {m}" for m in self.console]
        problems += [f"{path}: page error {e}" for e in self.errors]
        self.console.clear()
        self.errors.clear()
        return problems

    def hover(self, path: str, drawn: str) -> list[str]:
        """Move the mouse across a chart: ECharts writes its tooltip then (styled
        through the CSSOM, which the policy allows; markup with ``style`` attributes
        would be refused)."""
        box = self.page.locator(drawn).first.bounding_box()
        assert box is not None, path
        for step in range(1, 8):
            self.page.mouse.move(box["x"] + box["width"] * step / 8, box["y"] + box["height"] / 2)
            self.page.wait_for_timeout(60)
        found: list[str] = self.page.evaluate("window.__csp")
        return [f"{path} (hover): CSP {v}" for v in found]

    def login(self) -> None:
        page = self.page
        page.goto(f"{self.base}/login?next=/zh/console")
        page.fill("#username", "command")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        assert page.url.endswith("/zh/console")


def test_pages_and_api_docs_run_under_the_policy(browser: Browser, site: str) -> None:
    watch = Watch(browser, site)
    try:
        problems: list[str] = []
        for path, drawn in PUBLIC.items():
            problems += watch.visit(path, drawn)
            if drawn.endswith("canvas"):
                problems += watch.hover(path, drawn)
        watch.login()
        for path, drawn in CONSOLE.items():
            problems += watch.visit(path, drawn)
            if drawn.endswith("canvas"):
                problems += watch.hover(path, drawn)
        assert problems == [], "\n".join(problems)
    finally:
        watch.context.close()


def test_the_policy_is_enforced(browser: Browser, site: str) -> None:
    """The listener does see a violation: an inline script injected into a page is
    refused (so an empty list above means none happened)."""
    watch = Watch(browser, site)
    try:
        watch.page.goto(site + "/zh/about/data")
        watch.page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.__ran = true"; document.body.appendChild(s); }"""
        )
        watch.page.wait_for_function("window.__csp.length > 0")
        assert watch.page.evaluate("window.__ran === undefined")
        assert any("script-src" in v for v in watch.page.evaluate("window.__csp"))
    finally:
        watch.context.close()
