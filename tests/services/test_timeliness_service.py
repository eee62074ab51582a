"""Reporting accountability through the services, on both databases: every stored daily
report is a submission; deadlines; the scorecard; alerts; urgent event reports; and the
scorecard of the bundled canghailan province file imported by a reporter."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import timeliness as svc
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.demo import demo_dir
from fangkong.services.errors import Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store import models as m

HUBEI_REP = Actor("hubei.rep", Role.REPORTER, "420000")
HUBEI_CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
VIEWER_BJ = Actor("bj.view", Role.VIEWER, "110000")
PROVINCE_FILE = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"


def submissions(engine: Engine) -> list[tuple[str, str, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(select(m.ReportSubmissionRow).order_by(m.ReportSubmissionRow.id)).all()
    return [(r.region_code, r.report_date.isoformat(), bool(r.correction)) for r in rows]


def test_every_stored_report_is_a_submission(engine: Engine, settings: Settings) -> None:
    item = {"region_code": "420100", "report_date": "2020-02-12", "new_confirmed": 13436}
    submit_daily_reports(engine, settings, [item], actor=HUBEI_REP)
    assert submissions(engine) == [("420100", "2020-02-12", False)]
    submit_daily_reports(engine, settings, [item], actor=HUBEI_REP)  # unchanged: nothing
    assert len(submissions(engine)) == 1
    submit_daily_reports(engine, settings, [{**item, "new_deaths": 5}], actor=HUBEI_REP)
    assert submissions(engine)[-1] == ("420100", "2020-02-12", False)  # filled in, no fix
    submit_daily_reports(engine, settings, [{**item, "new_confirmed": 13332}], actor=HUBEI_REP)
    assert submissions(engine)[-1] == ("420100", "2020-02-12", True)  # a changed figure
    with pytest.raises(Forbidden):
        submit_daily_reports(engine, settings, [{**item, "region_code": "110000"}], actor=HUBEI_REP)
    assert len(submissions(engine)) == 3  # a refused batch records nothing


def test_scorecard_on_time_late_missing_corrected(engine: Engine, settings: Settings) -> None:
    tree = region_tree(engine)
    today = datetime.now(UTC).date()
    old = today - timedelta(days=10)
    submit_daily_reports(
        engine,
        settings,
        [
            {"region_code": "420100", "report_date": today.isoformat(), "new_confirmed": 1},
            {"region_code": "420100", "report_date": old.isoformat(), "new_confirmed": 2},
        ],
        actor=HUBEI_REP,
    )
    submit_daily_reports(
        engine,
        settings,
        [{"region_code": "420100", "report_date": today.isoformat(), "new_confirmed": 3}],
        actor=HUBEI_REP,
    )
    later = datetime.now(UTC) + timedelta(days=3)
    card = svc.scorecard(engine, HUBEI_CMD, tree, date_from=old, date_to=today, now=later)
    assert card["region"] == "420000" and card["level"] == "prefecture"
    rows = {i["region_code"]: i for i in card["items"]}
    assert len(rows) == 17  # Hubei's prefecture-level units
    wuhan = rows["420100"]
    assert (wuhan["expected"], wuhan["on_time"], wuhan["late"], wuhan["corrected"]) == (
        11,
        1,
        1,
        1,
    )
    assert wuhan["missing"] == 9 and wuhan["rule"]["key"] == "default"
    assert rows["420200"]["missing"] == 11
    assert card["totals"]["missing"] == 9 + 16 * 11
    assert card["alerts_total"] == card["totals"]["late"] + card["totals"]["missing"]
    assert len(card["alerts"]) == svc.INLINE_ALERTS
    # before today's deadline, today's reports are pending, not missing
    now_card = svc.scorecard(
        engine, HUBEI_CMD, tree, date_from=today, date_to=today, region="420000"
    )
    assert now_card["totals"]["missing"] == 0 and now_card["totals"]["pending"] == 16
    # a stricter deadline for Wuhan: same-day 00:00 makes today's report late
    svc.set_deadline(engine, HUBEI_CMD, tree, "420100", due_time="00:00", day_offset=0)
    strict = svc.scorecard(engine, HUBEI_CMD, tree, date_from=today, date_to=today, now=later)
    w = next(i for i in strict["items"] if i["region_code"] == "420100")
    assert w["late"] == 1 and w["rule"]["key"] == "420100"
    alerts = svc.alerts(
        engine, HUBEI_CMD, tree, date_from=old, date_to=today, now=later, limit=1000
    )
    assert alerts["total"] == card["alerts_total"] + 1  # Wuhan's today is late now
    assert alerts["items"][0]["report_date"] == today.isoformat()
    late = [a for a in alerts["items"] if a["status"] == "late"]
    assert [a["report_date"] for a in late] == [today.isoformat(), old.isoformat()]
    assert "迟报" in late[1]["explanation_zh"] and late[1]["minutes_late"] > 8 * 24 * 60


def test_scorecard_refusals(engine: Engine) -> None:
    tree = region_tree(engine)
    day = date(2020, 2, 1)
    with pytest.raises(Forbidden):
        svc.scorecard(engine, VIEWER_BJ, tree, date_from=day, date_to=day, region="420000")
    with pytest.raises(Invalid, match="after"):
        svc.scorecard(engine, CLI_ACTOR, tree, date_from=day, date_to=day - timedelta(days=1))
    with pytest.raises(Invalid, match="at most"):
        svc.scorecard(engine, CLI_ACTOR, tree, date_from=day, date_to=day + timedelta(days=500))
    with pytest.raises(NotFound):
        svc.scorecard(engine, CLI_ACTOR, tree, date_from=day, date_to=day, region="999999")
    with pytest.raises(Invalid, match="level"):
        svc.scorecard(engine, CLI_ACTOR, tree, date_from=day, date_to=day, level="street")
    bj = svc.scorecard(engine, VIEWER_BJ, tree, date_from=day, date_to=day)
    assert bj["region"] == "110000" and bj["level"] == "prefecture"


def test_deadline_rules_are_permissioned_and_audited(engine: Engine) -> None:
    tree = region_tree(engine)
    with pytest.raises(Forbidden):
        svc.set_deadline(engine, HUBEI_REP, tree, "420100", due_time="08:00", day_offset=1)
    with pytest.raises(Forbidden):
        svc.set_deadline(engine, HUBEI_CMD, tree, "110000", due_time="08:00", day_offset=1)
    with pytest.raises(Forbidden, match="nationwide"):
        svc.set_deadline(engine, HUBEI_CMD, tree, "@county", due_time="08:00", day_offset=1)
    with pytest.raises(Invalid, match="HH:MM"):
        svc.set_deadline(engine, HUBEI_CMD, tree, "420100", due_time="25:00", day_offset=1)
    with pytest.raises(Invalid, match="time zone"):
        svc.set_deadline(
            engine, HUBEI_CMD, tree, "420100", due_time="08:00", day_offset=1, timezone="X/Y"
        )
    with pytest.raises(Invalid, match="unknown level"):
        svc.set_deadline(engine, CLI_ACTOR, tree, "@street", due_time="08:00", day_offset=1)
    with pytest.raises(NotFound):
        svc.set_deadline(engine, CLI_ACTOR, tree, "999999", due_time="08:00", day_offset=1)
    out = svc.set_deadline(
        engine, HUBEI_CMD, tree, "420000", due_time="08:00", day_offset=1, reason="bulletin"
    )
    assert out["urgent_limit_minutes"] == 60  # a province: art. 19
    svc.set_deadline(engine, CLI_ACTOR, tree, "@county", due_time="07:00", day_offset=1)
    svc.set_deadline(engine, HUBEI_CMD, tree, "420000", due_time="07:30", day_offset=1)
    listed = svc.list_deadlines(engine, HUBEI_REP)
    assert [i["key"] for i in listed["items"]] == ["420000", "@county"]
    assert listed["items"][0]["due_time"] == "07:30"
    svc.delete_deadline(engine, HUBEI_CMD, tree, "420000", reason="back to default")
    with pytest.raises(NotFound):
        svc.delete_deadline(engine, HUBEI_CMD, tree, "420000")
    with engine.connect() as conn:
        revs = conn.execute(
            select(m.RevisionRow)
            .where(m.RevisionRow.entity == "reporting_deadline")
            .order_by(m.RevisionRow.id)
        ).all()
    assert [(r.entity_key, r.new_value is None) for r in revs] == [
        ("420000", False),
        ("@county", False),
        ("420000", False),
        ("420000", True),
    ]
    assert revs[2].old_value.startswith("D+1 08:00") and revs[0].reason == "bulletin"


def test_urgent_event_reports(engine: Engine) -> None:
    tree = region_tree(engine)
    now = datetime(2020, 1, 20, 12, tzinfo=UTC)
    on_time = svc.record_event(
        engine,
        HUBEI_REP,
        tree,
        region_code="420102",
        title="不明原因肺炎聚集",
        detected_at=now - timedelta(minutes=100),
        reported_at=now - timedelta(minutes=5),
        now=now,
    )
    assert on_time["status"] == "on_time" and on_time["limit_minutes"] == 120
    province = svc.record_event(
        engine,
        HUBEI_REP,
        tree,
        region_code="420000",
        title="province to the State Council",
        detected_at=now - timedelta(minutes=90),
        reported_at=now,
        now=now,
    )
    assert province["status"] == "late" and province["limit_minutes"] == 60
    open_one = svc.record_event(
        engine,
        HUBEI_REP,
        tree,
        region_code="420100",
        title="cluster",
        detected_at=now - timedelta(hours=3),
        now=now,
    )
    assert open_one["status"] == "overdue" and "not reported" in open_one["explanation_en"]
    with pytest.raises(Forbidden):
        svc.record_event(
            engine, HUBEI_REP, tree, region_code="110000", title="x", detected_at=now, now=now
        )
    with pytest.raises(Invalid, match="future"):
        svc.record_event(
            engine,
            HUBEI_REP,
            tree,
            region_code="420100",
            title="x",
            detected_at=now + timedelta(hours=1),
            now=now,
        )
    done = svc.mark_event_reported(engine, HUBEI_REP, tree, open_one["id"], now=now)
    assert done["status"] == "late" and done["minutes_taken"] == 180
    with pytest.raises(Invalid, match="already"):
        svc.mark_event_reported(engine, HUBEI_REP, tree, open_one["id"], now=now)
    listed = svc.list_events(engine, HUBEI_CMD, tree, status="late", now=now)
    assert listed["total"] == 2
    assert svc.list_events(engine, VIEWER_BJ, tree, now=now)["total"] == 0
    card = svc.scorecard(
        engine, HUBEI_CMD, tree, date_from=date(2020, 1, 19), date_to=date(2020, 1, 19), now=now
    )
    wuhan = next(i for i in card["items"] if i["region_code"] == "420100")
    assert wuhan["events"] == {"on_time": 1, "late": 1, "overdue": 0, "pending": 0}
    alerts = svc.alerts(
        engine, CLI_ACTOR, tree, date_from=date(2020, 1, 19), date_to=date(2020, 1, 19), now=now
    )
    assert {e["title"] for e in alerts["events"]} == {"province to the State Council", "cluster"}


def test_scorecard_of_the_canghailan_province_file(engine: Engine, settings: Settings) -> None:
    """Real data: the bundled canghailan archive of the official provincial figures,
    imported by a national-level reporter. Every report arrives now, years after its
    deadline, so each row of the file is one late report; every other day of the
    period is missing. Re-importing a changed figure makes one report later-corrected."""
    path = demo_dir() / PROVINCE_FILE
    reporter = Actor("cn.rep", Role.REPORTER, "CN")
    result = import_daily_file(engine, settings, path, actor=reporter)
    assert result.status == "completed"
    expected: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            expected[row["provinceCode"]].add(row["date"])
    first, last = date(2020, 1, 10), date(2020, 6, 30)
    days = (last - first).days + 1
    tree = region_tree(engine)
    card = svc.scorecard(
        engine, reporter, tree, date_from=first, date_to=last, region="CN", source="canghailan"
    )
    rows = {i["region_code"]: i for i in card["items"]}
    assert set(expected) <= set(rows)
    for code, dates in expected.items():
        row = rows[code]
        assert (row["on_time"], row["late"], row["missing"], row["corrected"]) == (
            0,
            len(dates),
            days - len(dates),
            0,
        ), code
        assert row["median_minutes_late"] > 365 * 24 * 60
    assert rows["420000"]["late"] == days  # Hubei is in every day of the archive
    silent = [c for c in rows if c not in expected]
    assert all(rows[c]["missing"] == days for c in silent)
    assert card["totals"]["late"] == sum(len(d) for d in expected.values())
    # a corrected figure: change Hubei's cumulative count on the last day
    changed = settings.var_dir / "corrected.csv"
    changed.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8").splitlines()
    out = []
    for line in text:
        if line.startswith("2020-06-30,湖北省"):
            cells = line.split(",")
            cells[4] = str(int(cells[4]) + 1)
            line = ",".join(cells)
        out.append(line)
    changed.write_text("\n".join(out) + "\n", encoding="utf-8")
    again = import_daily_file(engine, settings, changed, actor=reporter)
    assert again.rows_updated == 1
    card = svc.scorecard(
        engine, reporter, tree, date_from=first, date_to=last, region="CN", source="canghailan"
    )
    assert next(i for i in card["items"] if i["region_code"] == "420000")["corrected"] == 1
    assert card["totals"]["corrected"] == 1
