"""Daily bulletins on the real canghailan national and province files (both backends):
draft, checks, approval by a commander, numbered frozen versions, corrections."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.core.bulletins import read_bulletin
from fangkong.services import bulletins as svc
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.demo import demo_dir
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

NATIONAL = "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"
PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bulletins"
DAY = date(2020, 2, 13)
NATION_CMD = Actor("nat.cmd", Role.COMMANDER, "*")
HUBEI_CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
REPORTER = Actor("rep", Role.REPORTER, "*")


@pytest.fixture
def china(engine: Engine, settings: Settings) -> Engine:
    for name in (NATIONAL, PROVINCES):
        assert import_daily_file(engine, settings, demo_dir() / name, actor=CLI_ACTOR).ok
    return engine


def test_national_bulletin_of_2020_02_13_matches_the_real_nhc_bulletin(
    china: Engine, settings: Settings
) -> None:
    tree = region_tree(china)
    draft = svc.draft_bulletin(china, settings, REPORTER, tree, "CN", DAY)
    assert draft["status"] == "draft" and draft["version"] is None
    official = read_bulletin(
        (FIXTURES / "nhc_2020-02-13.txt").read_text(encoding="utf-8"),
        filename="nhc_2020-02-13.txt",
    ).figures
    ours = draft["figures"]["figures"]
    # every headline figure our data has equals the NHC's, and the data has these:
    assert set(ours) >= {
        "new_confirmed",
        "new_deaths",
        "new_recovered",
        "cumulative_confirmed",
        "cumulative_recovered",
        "cumulative_deaths",
        "current_confirmed",
        "current_suspected",
    }
    assert {k: official[k] for k in ours} == ours
    assert ours["new_confirmed"] == 5090 and ours["current_confirmed"] == 55748
    # Hong Kong, Macao and Taiwan: their own block, as in the official text
    assert draft["figures"]["hk_mo_tw"]["810000"]["cumulative_confirmed"] == 53
    assert "累计收到港澳台地区通报确诊病例81例" in draft["text_zh"]
    assert any("Hong Kong, Macao and Taiwan" in n for n in draft["figures"]["notes"])
    # round trip: the composed Chinese text read back gives the same numbers
    back = read_bulletin(draft["text_zh"], as_of=DAY)
    assert back.unread == [] and back.region_code == "CN" and back.date == DAY
    assert back.figures == ours
    for code, fs in draft["figures"]["breakdowns"].items():
        for k in ("new_deaths", "new_recovered"):
            if fs.get(k, 0) > 0:
                assert back.breakdowns[code][k] == fs[k]
    # not reported ≠ 0: severe cases and contacts are named as not reported
    assert "重症" not in draft["text_zh"].split("\n")[0]
    assert "尚在医学观察的密切接触者" in draft["text_zh"].split("\n")[-1]
    assert draft["publishable"] is True
    assert "63,851 confirmed cases reported in total" in draft["text_en"]


def test_publish_needs_a_commander_and_freezes_numbered_versions(
    china: Engine, settings: Settings, tmp_path: Path
) -> None:
    tree = region_tree(china)
    first = svc.draft_bulletin(china, settings, REPORTER, tree, "CN", DAY)
    with pytest.raises(Forbidden, match="lacks the permission command"):
        svc.publish_bulletin(china, REPORTER, tree, first["id"])
    with pytest.raises(Forbidden, match="outside the jurisdiction"):
        svc.publish_bulletin(china, HUBEI_CMD, tree, first["id"])
    with pytest.raises(NotFound):
        svc.published_bulletin(china, "CN", DAY)
    v1 = svc.publish_bulletin(china, NATION_CMD, tree, first["id"])
    assert v1["version"] == 1 and v1["approved_by"] == "nat.cmd" and v1["changes"] is None
    with pytest.raises(Conflict, match="already published as version 1"):
        svc.publish_bulletin(china, NATION_CMD, tree, first["id"])
    # the same figures again: a correction needs a reason, and a difference
    same = svc.draft_bulletin(china, settings, REPORTER, tree, "CN", DAY)
    with pytest.raises(Invalid, match="needs a reason"):
        svc.publish_bulletin(china, NATION_CMD, tree, same["id"])
    with pytest.raises(Conflict, match="nothing differs"):
        svc.publish_bulletin(china, NATION_CMD, tree, same["id"], reason="again")
    # the publisher revises 2020-02-13 (+10 confirmed): a correction, version 2
    revised = tmp_path / NATIONAL
    with (demo_dir() / NATIONAL).open(encoding="utf-8") as src:
        rows = list(csv.DictReader(src))
    for row in rows:
        if row["date"] >= "2020-02-13":
            row["confirmed"] = str(int(row["confirmed"]) + 10)
    with revised.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert import_daily_file(china, settings, revised, actor=CLI_ACTOR).ok
    fixed = svc.draft_bulletin(china, settings, REPORTER, tree, "CN", DAY)
    v2 = svc.publish_bulletin(
        china, NATION_CMD, tree, fixed["id"], reason="late reports from a province"
    )
    assert v2["version"] == 2 and v2["reason"] == "late reports from a province"
    changed = {c["field"]: (c["old_value"], c["new_value"]) for c in v2["changes"]}
    assert changed["figures.new_confirmed"] == (5090, 5100)
    assert changed["figures.cumulative_confirmed"] == (63851, 63861)
    assert changed["figures.current_confirmed"] == (55748, 55758)
    # the public reads: latest by default, older by number, each frozen
    latest = svc.published_bulletin(china, "CN", DAY)
    assert latest["version"] == 2 and latest["latest_version"] == 2
    assert [v["version"] for v in latest["versions"]] == [1, 2]
    old = svc.published_bulletin(china, "CN", DAY, 1)
    assert old["figures"]["figures"]["new_confirmed"] == 5090 and old["text_zh"] == v1["text_zh"]
    with pytest.raises(NotFound, match="versions 1–2, not 3"):
        svc.published_bulletin(china, "CN", DAY, 3)
    listing = svc.list_published(china, region_code="CN")
    assert listing["total"] == 1 and listing["items"][0]["version"] == 2
    # the corrections log lists the correction with its reason and changes
    log = svc.corrections_log(china)
    assert len(log) == 1 and log[0]["version"] == 2 and log[0]["previous_version"] == 1
    assert log[0]["reason"] == "late reports from a province"
    text = svc.corrections_csv(log)
    lines = text.strip().split("\r\n")
    assert lines[0] == ",".join(svc.CORRECTION_COLUMNS)
    assert any(",figures.new_confirmed,5090,5100" in line for line in lines[1:])
    tag = svc.corrections_etag(china)
    assert tag.startswith('"') and tag == svc.corrections_etag(china)


def _enter(engine: Engine, settings: Settings, items: list[dict[str, object]]) -> None:
    submit_daily_reports(engine, settings, items, actor=CLI_ACTOR, today=date(2020, 12, 31))


def test_a_falling_cumulative_blocks_publishing_until_a_reason_is_given(
    engine: Engine, settings: Settings
) -> None:
    tree = region_tree(engine)
    _enter(
        engine,
        settings,
        [
            {
                "region_code": "420000",
                "report_date": "2020-02-12",
                "new_confirmed": 100,
                "new_recovered": 10,
                "new_deaths": 1,
            },
            {
                "region_code": "420000",
                "report_date": "2020-02-13",
                "new_confirmed": -7,
                "new_recovered": 2,
                "new_deaths": 0,
            },
        ],
    )
    draft = svc.draft_bulletin(engine, settings, HUBEI_CMD, tree, "420000", DAY)
    assert draft["publishable"] is False
    failed = [c for c in draft["checks"] if c["blocking"]]
    assert [c["check"] for c in failed] == ["cumulative_not_decreasing"]
    assert (
        "cumulative confirmed fell from 100 on the previous day to 93 (-7)" in failed[0]["message"]
    )
    with pytest.raises(svc.ChecksFailed) as caught:
        svc.publish_bulletin(engine, HUBEI_CMD, tree, draft["id"])
    assert "publishing is blocked" in caught.value.message
    assert caught.value.failed[0]["check"] == "cumulative_not_decreasing"
    # with the revision reason, the fall is explained in the text and publishing works
    reasons = svc.parse_reasons(
        [{"region_code": "420000", "field": "cumulative_confirmed", "reason": "duplicates removed"}]
    )
    again = svc.draft_bulletin(engine, settings, HUBEI_CMD, tree, "420000", DAY, reasons=reasons)
    assert again["publishable"] is True
    assert "累计报告确诊病例93例（湖北省核减7例）" in again["text_zh"]
    assert "新增确诊病例为负数（订正核减7例）" in again["text_zh"]
    assert "无新增死亡病例" in again["text_zh"]
    published = svc.publish_bulletin(engine, HUBEI_CMD, tree, again["id"])
    assert published["version"] == 1
    stored = json.loads(json.dumps(published["figures"]))
    assert stored["corrections"][0]["reason"] == "duplicates removed"


def test_draft_refusals_say_why(china: Engine, settings: Settings) -> None:
    tree = region_tree(china)
    with pytest.raises(Invalid, match="420100 is a prefecture"):
        svc.draft_bulletin(china, settings, REPORTER, tree, "420100", DAY)
    with pytest.raises(NotFound, match="no region with code"):
        svc.draft_bulletin(china, settings, REPORTER, tree, "999999", DAY)
    with pytest.raises(NotFound, match="for 2019-12-01"):
        svc.draft_bulletin(china, settings, REPORTER, tree, "CN", date(2019, 12, 1))
    with pytest.raises(NotFound, match="available: canghailan"):
        svc.draft_bulletin(china, settings, REPORTER, tree, "CN", DAY, source="jhu")
    with pytest.raises(Forbidden):
        svc.draft_bulletin(china, settings, Actor("v", Role.VIEWER, "*"), tree, "CN", DAY)
    with pytest.raises(Forbidden, match="outside the jurisdiction"):
        svc.draft_bulletin(china, settings, HUBEI_CMD, tree, "440000", DAY)
    with pytest.raises(Invalid, match="field must be one of"):
        svc.parse_reasons([{"region_code": "420000", "field": "new_confirmed", "reason": "x"}])
    hubei = svc.draft_bulletin(china, settings, HUBEI_CMD, tree, "420000", DAY)
    assert hubei["figures"]["figures"]["cumulative_confirmed"] == 51986
    assert hubei["text_zh"].startswith("2月13日0—24时，湖北省报告新增确诊病例4823例")
    assert svc.list_drafts(china)[0]["id"] == hubei["id"]
