"""The medical-resources flow in real headless Chromium (SQLite, like the other page
tests): a hospital requests on a phone, the command approves it and allocates (each
hospital's allocation explained in plain words, draft shipments made), logistics
confirms with a tracking number and dispatches, the hospital signs for the delivery
with proof — and the ledger page shows the stock moved and balanced. Also: patients
admitted and moved into intensive care with the census filed as occupancy; every
resources page at 375 px in Chinese and English without inline scripts."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, insert
from test_console_pages import PASSWORD, Session

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import donations, hospitals, requests, supplies, users
from fangkong.services.reference import region_tree
from fangkong.store import models as m

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

TODAY = date.today()
HUBEI_CMD = Actor("hubei-cmd", Role.COMMANDER, "420000")
HUBEI_LOG = Actor("hubei-log", Role.LOGISTICS, "420000")
WUHAN = Actor("wuhan", Role.REPORTER, "420100")
PAGES = ("", "/requests", "/allocation", "/shipments", "/stock", "/teams", "/hospitals/JYT")


@pytest.fixture
def site(engine: Engine, live_server: str) -> str:
    """Two Hubei depots with N95 respirators (one lot expired) and suits, two Wuhan
    hospitals, and the people of the flow: a hospital reporter, the provincial
    command and its logistics officer."""
    supplies.load_catalogue(engine)
    tree = region_tree(engine)
    for actor in (HUBEI_CMD, HUBEI_LOG, WUHAN):
        users.create_user(
            engine, CLI_ACTOR, username=actor.username, password=PASSWORD,
            role=actor.role.value, jurisdiction=actor.jurisdiction, tree=tree,
        )  # fmt: skip
    for code, name, region, lat, lon in (
        ("D-WH", "武汉储备库", "420100", 30.59, 114.30),
        ("D-YC", "宜昌储备库", "420500", 30.69, 111.29),
    ):
        supplies.create_depot(engine, HUBEI_LOG, tree, warehouse_code=code, name=name,
                              region_code=region, lat=lat, lon=lon)  # fmt: skip
    for code, name, lat, lon, icu in (("JYT", "金银潭医院", 30.64, 114.26, 60),
                                      ("HSS", "火神山医院", 30.53, 114.08, 30)):  # fmt: skip
        hospitals.create_hospital(
            engine, HUBEI_CMD, tree, hospital_code=code, name=name, kind="designated",
            region_code="420100", lat=lat, lon=lon,
            beds={"general": 500, "isolation": 300, "icu": icu, "ventilator": icu // 2},
        )  # fmt: skip
    hospitals.report_occupancy(
        engine, WUHAN, tree, "JYT", report_date=TODAY,
        occupied={"general": 450, "isolation": 280, "icu": 55, "ventilator": 25},
    )  # fmt: skip
    for depot, item, lot, qty, expiry in (
        ("D-WH", "n95_respirator", "N95-WH", 1000, TODAY + timedelta(days=200)),
        ("D-WH", "n95_respirator", "N95-OLD", 400, TODAY - timedelta(days=1)),
        ("D-YC", "n95_respirator", "N95-YC", 2000, TODAY + timedelta(days=90)),
        ("D-WH", "protective_suit", "PS-1", 300, None),
    ):
        supplies.receive_stock(
            engine, HUBEI_LOG, tree, warehouse_code=depot, item_code=item, lot_code=lot,
            quantity=qty, movement_date=TODAY - timedelta(days=2), expiry_date=expiry,
        )  # fmt: skip
    donations.record_donation(
        engine, HUBEI_LOG, tree, donor="某基金会", donor_kind="organisation",
        provenance="上海 → 武汉，红十字会渠道", received_date=TODAY - timedelta(days=1),
        item_code="protective_suit", quantity=200, lot_code="PS-DON-1", warehouse_code="D-YC",
    )  # fmt: skip
    # a growing epidemic in Hubei for the ICU runway's forecast (synthetic figures)
    with engine.begin() as conn:
        conn.execute(
            insert(m.DailyReportRow),
            [{"region_code": "420000", "report_date": TODAY - timedelta(days=30 - i),
              "source": "nhc", "new_confirmed": round(30 * math.exp(0.1 * i)),
              "updated_at": datetime.now(UTC)} for i in range(30)],
        )  # fmt: skip
    # Huoshenshan's request is already approved: the stock is contested
    other = requests.create_request(
        engine, WUHAN, tree, hospital_code="HSS", priority="urgent",
        lines=[("n95_respirator", 2000)],
    )  # fmt: skip
    requests.submit_request(engine, WUHAN, tree, other["id"])
    requests.decide_request(engine, HUBEI_CMD, tree, other["id"])
    return live_server


@pytest.fixture
def session(browser: Browser, site: str) -> Iterator[Any]:
    opened: list[Session] = []

    def make(width: int = 1280, height: int = 900) -> Session:
        s = Session(browser, site, width, height)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.context.close()


def go(page: Page, click: str) -> None:
    with page.expect_navigation():
        page.click(click)


def test_request_allocate_ship_receive_and_the_ledger_balances(session) -> None:  # type: ignore[no-untyped-def]
    # 1. the hospital drafts a request on a phone and submits it
    hospital = session(375, 812)
    page = hospital.login("wuhan", "/zh/console/resources/requests")
    page.select_option("#r-hospital_code", "JYT")
    page.select_option("#r-priority", "critical")
    page.select_option("#r-item-0", "n95_respirator")
    page.fill("#r-packs-0", "2.5")
    page.click("#request-form button[type=submit]")
    assert page.get_attribute("#r-packs-0", "aria-invalid") == "true"
    page.fill("#r-packs-0", "100")
    assert page.inner_text("#request-lines .line-row >> nth=0 >> .unit-hint") == "= 2,000"
    page.select_option("#r-item-1", "protective_suit")
    page.fill("#r-packs-1", "20")
    page.fill("#r-note", "ICU 满员，防护物资告急")
    go(page, "#request-form button[type=submit]")
    card = page.locator("article.request.just-saved")
    request_id = card.get_attribute("data-id")
    assert card.get_attribute("data-status") == "draft"
    assert card.get_attribute("data-hospital") == "JYT"
    go(page, f"#request-{request_id} form.submit-request button")
    assert page.get_attribute(f"#request-{request_id}", "data-status") == "submitted"
    hospital.check()

    # 2. the command approves the suits in part and everything else in full, then
    # allocates; each hospital's allocation is explained in plain words
    command = session(1280)
    page = command.login("hubei-cmd", "/zh/console/resources/requests?status=submitted")
    form = page.locator(f"#request-{request_id} form.decide-request")
    form.locator("input[name='approved.protective_suit']").fill("15")
    with page.expect_navigation():
        form.locator("button[value=approve]").click()
    assert page.get_attribute(f"#request-{request_id}", "data-status") == "approved"
    page.goto(command.base + "/zh/console/resources/allocation")
    assert page.get_attribute("#waiting", "data-count") == "2"
    go(page, "#plan-form button[type=submit]")
    assert "/zh/console/resources/allocation/" in page.url
    plan = page.locator("#plan")
    assert float(plan.get_attribute("data-min-fill") or 0) >= float(
        plan.get_attribute("data-greedy-min-fill") or 1
    )
    why = page.inner_text("#explanations li[data-hospital=JYT]")
    assert why.startswith("金银潭医院") and "满足率" in why and "按优先级分配" in why
    assert "（每包20个）" in why
    assert "火神山医院" in page.inner_text("#explanations li[data-hospital=HSS]")
    drafts = page.locator("#plan-shipments tbody tr")
    assert drafts.count() >= 2
    assert set(drafts.evaluate_all("rs => rs.map(r => r.dataset.status)")) == {"draft"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console_allocation_plan.png"), full_page=True)
    page.goto(page.url.replace("/zh/", "/en/"))
    assert "filled" in page.inner_text("#explanations li[data-hospital=JYT]")
    command.check()

    # 3. logistics confirms each draft with a tracking number and dispatches it
    logistics = session(1280)
    page = logistics.login("hubei-log", "/en/console/resources/shipments?status=draft")
    ids = page.locator("#shipment-list tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert len(ids) == drafts.count()
    for n, shipment_id in enumerate(ids):
        page.goto(f"{logistics.base}/en/console/resources/shipments/{shipment_id}")
        page.click("#confirm-form button[type=submit]")  # the tracking number is required
        assert page.get_attribute("#c-tracking_number", "aria-invalid") == "true"
        page.fill("#c-carrier", "SF Express")
        page.fill("#c-tracking_number", f"SF10{n:08d}")
        go(page, "#confirm-form button[type=submit]")
        assert page.get_attribute("#shipment", "data-status") == "confirmed"
        assert page.inner_text("#tracking") == f"SF10{n:08d}"
        go(page, "#dispatch-form button[type=submit]")
        assert page.get_attribute("#shipment", "data-status") == "dispatched"
        kinds = page.locator("#shipment-movements tbody tr").evaluate_all(
            "rs => rs.map(r => r.dataset.kind)"
        )
        assert kinds and set(kinds) == {"issue"}
    logistics.check()

    # 4. the hospital signs for every delivery with proof of receipt
    page = hospital.page
    for shipment_id in ids:
        page.goto(f"{hospital.base}/zh/console/resources/shipments/{shipment_id}")
        page.fill("#v-signed_by", "王护士长")
        page.fill("#v-proof_reference", f"签收单 {shipment_id}")
        go(page, "#receive-form button[type=submit]")
        assert page.get_attribute("#shipment", "data-status") == "received"
        assert "王护士长" in page.inner_text("#proof")
    page.goto(hospital.base + "/zh/console/resources/requests")
    assert page.get_attribute(f"#request-{request_id}", "data-status") == "received"
    # ...and records a day's consumption, which gives its days of supply
    page.goto(hospital.base + "/zh/console/resources/stock?warehouse=H-JYT")
    page.select_option("#m-kind", "issue")
    assert page.is_hidden("#m-to-field")
    page.fill("#m-lot_code", "N95-WH")
    page.fill("#m-quantity", "200")
    page.fill("#m-reason", "ICU 当日消耗")
    go(page, "#movement-form button[type=submit]")
    assert "warehouse=H-JYT" in page.url
    row = page.locator("#stock-table tr[data-warehouse=H-JYT][data-item=n95_respirator]")
    assert row.get_attribute("data-usable") == "1800"
    assert row.get_attribute("data-days") == "63.0"  # 1,800 / (200 / 7 days)
    page.fill("#m-lot_code", "N95-WH")
    page.fill("#m-quantity", "999999")  # more than the store holds: refused, nothing moves
    page.click("#movement-form button[type=submit]")
    page.wait_for_selector("#movement-form[data-result=error]")
    assert "N95-WH" in page.inner_text("#movement-status")
    hospital.check()

    # 5. the ledger: every unit received is on a shelf or moved; stock moved from the
    # depots to the hospitals' stores, the expired lot untouched
    page = command.page
    page.goto(command.base + "/zh/console/resources/stock")
    assert page.get_attribute("#ledger-check", "data-balanced") == "true"
    n95 = page.locator("#ledger-items tr[data-item=n95_respirator]")
    assert n95.get_attribute("data-on-hand") == "3200" and n95.get_attribute("data-gap") == "0"
    stores = page.locator("#stock-table tr[data-item=n95_respirator]").evaluate_all(
        "rs => rs.map(r => [r.dataset.warehouse, Number(r.dataset.usable)])"
    )
    usable = dict(stores)
    assert usable["H-JYT"] + 200 + usable["H-HSS"] == 3000  # all usable N95 went out
    assert usable["H-JYT"] > usable["H-HSS"]  # critical and a full ICU come first
    assert usable.get("D-WH", 0) == 0 and usable.get("D-YC", 0) == 0
    assert (
        page.get_attribute(
            "#stock-table tr[data-warehouse=D-WH][data-item=n95_respirator]", "data-on-hand"
        )
        == "400"
    )  # the expired lot stays on the books, unusable
    page.goto(command.base + "/zh/console/resources/stock?warehouse=H-JYT")
    card_kinds = page.locator("#stock-card tbody tr").evaluate_all(
        "rs => rs.map(r => r.dataset.kind)"
    )
    assert card_kinds and set(card_kinds) == {"receipt", "issue"}
    command.check()
    page = hospital.page
    page.goto(hospital.base + "/zh/console/resources/stock")
    page.screenshot(path=str(SCREENSHOTS / "console_stock_phone.png"), full_page=True)
    hospital.check()


def test_patients_move_into_intensive_care_and_the_census_is_filed(session, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(
            insert(m.CaseRecordRow),
            [{"source": "wh", "case_id": "WH-0001", "region_code": "420102",
              "classification": "confirmed", "confirmation_date": TODAY}],
        )  # fmt: skip
    s = session(375, 812)
    page = s.login("wuhan", "/en/console/resources/hospitals/HSS")
    page.fill("#a-source", "wh")
    page.fill("#a-case_id", "WH-9999")
    page.select_option("#a-severity", "severe")
    page.click("#admit-form button[type=submit]")
    page.wait_for_selector("#admit-form[data-result=error]")
    assert page.get_attribute("#a-case_id", "aria-invalid") == "true"
    page.fill("#a-case_id", "WH-0001")
    go(page, "#admit-form button[type=submit]")
    stay = page.locator("#stay-list li[data-open=true]")
    assert stay.count() == 1 and "WH-0001" in stay.inner_text()
    stay.locator("summary").click()
    transfer = stay.locator("form").first
    transfer.locator("select[name=hospital_code]").select_option("HSS")
    transfer.locator("select[name=bed_type]").select_option("icu")
    transfer.locator("select[name=severity]").select_option("critical")
    with page.expect_navigation():
        transfer.locator("button[type=submit]").click()
    assert page.get_attribute("#beds tr[data-bed=icu] td[data-census]", "data-census") == "1"
    assert page.locator("#stay-list li[data-open=false]").count() == 1
    with page.expect_navigation():
        page.click("#from-census")
    assert "1" in page.inner_text("#beds tr[data-bed=icu] td:nth-child(3)")
    s.check()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_resource_pages_fit_a_phone_without_inline_scripts(session, lang: str) -> None:  # type: ignore[no-untyped-def]
    s = session(375, 812)
    page = s.login("hubei-cmd", f"/{lang}/console/resources")
    for suffix in PAGES:
        page.goto(f"{s.base}/{lang}/console/resources{suffix}")
        inline = page.evaluate("Array.from(document.scripts).filter(s => !s.src).length")
        handlers = page.evaluate(
            "Array.from(document.querySelectorAll('*')).filter(e => "
            "Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"
        )
        assert (inline, handlers) == (0, 0), suffix
        current = page.get_attribute(".console-nav a[aria-current=page]", "href")
        assert current == f"/{lang}/console/resources", suffix
        assert page.locator(".sub-nav a[aria-current=page]").count() == 1, suffix
        assert page.locator(".error[role=alert]").count() == 0, suffix
        s.check()
    page.goto(f"{s.base}/{lang}/console/resources")
    assert page.get_attribute("#hospital-list tr[data-hospital=HSS]", "data-stale") == "true"
    assert page.get_attribute("#hospital-list tr[data-hospital=JYT]", "data-stale") == "false"
    assert page.get_attribute("#runway", "data-region") == "420000"
    assert page.get_attribute("#runway", "data-days") is not None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_resources_page(session, lang: str) -> None:  # type: ignore[no-untyped-def]
    """No sign-in: the ICU runway by region and the donations, on a phone."""
    s = session(375, 812)
    page = s.goto(f"/{lang}/")
    with page.expect_navigation():
        page.click(f".site-nav a[href='/{lang}/resources']")
    assert page.get_attribute(".site-nav a[aria-current=page]", "href") == f"/{lang}/resources"
    rows = page.locator("#public-runway tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.region)") == ["CN", "420000"]
    hubei = page.locator("#public-runway tr[data-region='420000']")
    assert hubei.get_attribute("data-days") != "none"  # Hubei has figures to forecast
    cells = hubei.locator("td").all_inner_texts()
    assert cells[1:4] == ["2", "90", "55"]  # hospitals, ICU beds, occupied
    assert page.get_attribute("#public-runway tr[data-region=CN]", "data-days") == "none"
    donation = page.locator("#donation-list tbody tr").first
    assert "某基金会" in donation.inner_text() and "红十字会" in donation.inner_text()
    inline = page.evaluate("Array.from(document.scripts).filter(s => !s.src).length")
    assert inline == 0
    s.check()
