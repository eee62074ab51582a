"""Directives and guidance teams through the service, on both databases: issue,
acknowledge, progress, completion, cancellation, escalation, attachments, audit and
jurisdiction."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import directives as svc
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

NATIONAL = Actor("nat.cmd", Role.COMMANDER, "*")
HUBEI_CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
HUBEI_REP = Actor("hubei.rep", Role.REPORTER, "420000")
WUHAN_REP = Actor("wuhan.rep", Role.REPORTER, "420100")
BJ_REP = Actor("bj.rep", Role.REPORTER, "110000")
VIEWER_BJ = Actor("bj.view", Role.VIEWER, "110000")
T0 = datetime(2020, 1, 23, 2, 0, tzinfo=UTC)


def issue_to_hubei(engine: Engine, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "title": "加强发热门诊管理",
        "body": "各地立即落实发热门诊预检分诊。",
        "due_at": T0 + timedelta(days=2),
        "priority": "urgent",
        "regions": ["420100", "420200"],
        "now": T0,
    }
    args.update(kw)
    return svc.issue(engine, HUBEI_CMD, region_tree(engine), **args)


def test_issue_acknowledge_progress_complete(engine: Engine) -> None:
    tree = region_tree(engine)
    d = issue_to_hubei(engine)
    assert d["status"] == "open" and d["priority_zh"] == "加急"
    assert [r["region_code"] for r in d["recipients"]] == ["420100", "420200"]
    did = int(d["id"])
    ack = svc.acknowledge(engine, WUHAN_REP, tree, did, note="收到", now=T0 + timedelta(hours=1))
    wuhan = ack["recipients"][0]
    assert wuhan["status"] == "acknowledged" and wuhan["acknowledged_by"] == "wuhan.rep"
    with pytest.raises(Conflict, match="already acknowledged"):
        svc.acknowledge(engine, WUHAN_REP, tree, did, now=T0 + timedelta(hours=2))
    with pytest.raises(Forbidden):
        svc.acknowledge(engine, BJ_REP, tree, did, now=T0)
    with pytest.raises(Forbidden):
        svc.acknowledge(engine, VIEWER_BJ, tree, did, region_code="420200", now=T0)
    with pytest.raises(Invalid, match="name one"):  # Hubei's reporter covers both
        svc.acknowledge(engine, HUBEI_REP, tree, did, now=T0)
    with pytest.raises(NotFound):
        svc.acknowledge(engine, HUBEI_REP, tree, did, region_code="110000", now=T0)
    step = svc.report_progress(
        engine, WUHAN_REP, tree, did, percent=50, note="12 clinics", now=T0 + timedelta(hours=3)
    )
    assert step["recipients"][0]["progress_percent"] == 50
    with pytest.raises(Invalid, match="0-100"):
        svc.report_progress(engine, WUHAN_REP, tree, did, percent=120, now=T0)
    with pytest.raises(Invalid, match="note must say why"):
        svc.report_progress(engine, WUHAN_REP, tree, did, percent=10, now=T0)
    svc.report_progress(engine, WUHAN_REP, tree, did, percent=100, now=T0 + timedelta(hours=5))
    # progress without acknowledgement acknowledges first
    done = svc.report_progress(
        engine,
        HUBEI_REP,
        tree,
        did,
        region_code="420200",
        percent=100,
        note="done",
        now=T0 + timedelta(hours=6),
    )
    assert done["status"] == "completed"
    assert done["recipients"][1]["acknowledged_by"] == "hubei.rep"
    kinds = [e["kind"] for e in done["events"]]
    assert kinds == [
        "issue",
        "acknowledge",
        "progress",
        "progress",
        "complete",
        "acknowledge",
        "progress",
        "complete",
    ]
    assert done["events"][2]["note"] == "12 clinics" and done["events"][2]["actor"] == "wuhan.rep"
    with pytest.raises(Conflict):
        svc.report_progress(engine, WUHAN_REP, tree, did, percent=100, now=T0)


def test_issue_refusals(engine: Engine) -> None:
    tree = region_tree(engine)
    with pytest.raises(Forbidden):
        issue_to_hubei(engine, regions=["110000"])
    with pytest.raises(Forbidden):
        svc.issue(
            engine,
            HUBEI_REP,
            tree,
            title="x",
            body="y",
            due_at=T0 + timedelta(1),
            regions=["420100"],
            now=T0,
        )
    with pytest.raises(Invalid, match="future"):
        issue_to_hubei(engine, due_at=T0 - timedelta(hours=1))
    with pytest.raises(Invalid, match="at least one"):
        issue_to_hubei(engine, regions=[])
    with pytest.raises(Invalid, match="priority"):
        issue_to_hubei(engine, priority="asap")
    with pytest.raises(Invalid, match="title"):
        issue_to_hubei(engine, title="  ")
    with pytest.raises(NotFound):
        issue_to_hubei(engine, regions=["999999"])
    with pytest.raises(NotFound):
        issue_to_hubei(engine, team_ids=[12345])


def test_guidance_team_recipient_and_members(engine: Engine) -> None:
    tree = region_tree(engine)
    team = svc.create_team(
        engine,
        NATIONAL,
        tree,
        name="中央指导组",
        leader="sun.lead",
        members=["expert.li"],
        region_code="420000",
    )
    assert team["members"] == ["expert.li"] and team["region_name_en"] == "Hubei"
    with pytest.raises(Forbidden):
        svc.create_team(
            engine, HUBEI_CMD, tree, name="x", leader="y", members=[], region_code="110000"
        )
    d = svc.issue(
        engine,
        NATIONAL,
        tree,
        title="应收尽收",
        body="all confirmed cases hospitalised",
        due_at=T0 + timedelta(hours=12),
        priority="extra_urgent",
        team_ids=[team["id"]],
        now=T0,
    )
    assert d["recipients"][0]["team_name"] == "中央指导组"
    member = Actor("expert.li", Role.EPIDEMIOLOGIST, "110000")  # outside Hubei, but a member
    out = svc.acknowledge(engine, member, tree, d["id"], now=T0 + timedelta(minutes=30))
    assert out["recipients"][0]["status"] == "acknowledged"
    outsider = Actor("someone", Role.EPIDEMIOLOGIST, "110000")
    with pytest.raises(Forbidden):
        svc.report_progress(engine, outsider, tree, d["id"], percent=10, now=T0)
    assert [t["id"] for t in svc.list_teams(engine, HUBEI_REP, tree)] == [team["id"]]
    assert svc.list_teams(engine, BJ_REP, tree) == []
    svc.disband_team(engine, NATIONAL, tree, team["id"])
    assert svc.list_teams(engine, NATIONAL, tree) == []
    with pytest.raises(Conflict, match="disbanded"):
        svc.issue(
            engine,
            NATIONAL,
            tree,
            title="x",
            body="y",
            due_at=T0 + timedelta(days=1),
            team_ids=[team["id"]],
            now=T0,
        )


def test_dashboard_escalates_once_and_cancel(engine: Engine) -> None:
    tree = region_tree(engine)
    d = issue_to_hubei(engine, priority="extra_urgent")
    did = d["id"]
    assert svc.dashboard(engine, HUBEI_CMD, tree, now=T0 + timedelta(minutes=30))["total"] == 0
    svc.acknowledge(engine, WUHAN_REP, tree, did, now=T0 + timedelta(minutes=20))
    board = svc.dashboard(engine, HUBEI_CMD, tree, now=T0 + timedelta(hours=2))
    assert board["total"] == 1
    esc = board["items"][0]["escalations"]
    assert [(e["recipient"], e["reason"]) for e in esc] == [("黄石市", "unacknowledged")]
    late = T0 + timedelta(days=3)
    board = svc.dashboard(engine, HUBEI_CMD, tree, now=late)
    reasons = sorted(e["reason"] for e in board["items"][0]["escalations"])
    assert reasons == ["overdue", "overdue", "unacknowledged"]
    svc.dashboard(engine, HUBEI_CMD, tree, now=late + timedelta(hours=1))  # seen again
    full = svc.get(engine, HUBEI_CMD, tree, did, now=late)
    assert [e["kind"] for e in full["events"]].count("escalate") == 3
    assert full["escalated_at"] is not None
    # a national commander sees the province's escalations; a reporter has no dashboard
    assert svc.dashboard(engine, NATIONAL, tree, now=late)["total"] == 1
    with pytest.raises(Forbidden):
        svc.dashboard(engine, HUBEI_REP, tree, now=late)
    other = Actor("gd.cmd", Role.COMMANDER, "440000")
    assert svc.dashboard(engine, other, tree, now=late)["total"] == 0
    with pytest.raises(Forbidden):
        svc.cancel(engine, other, tree, did, note="not mine")
    with pytest.raises(Invalid):
        svc.cancel(engine, HUBEI_CMD, tree, did, note=" ")
    out = svc.cancel(engine, HUBEI_CMD, tree, did, note="superseded", now=late)
    assert out["status"] == "cancelled" and out["escalations"] == []
    assert svc.dashboard(engine, HUBEI_CMD, tree, now=late)["total"] == 0
    with pytest.raises(Conflict, match="cancelled"):
        svc.acknowledge(engine, HUBEI_REP, tree, did, region_code="420200", now=late)


def test_reading_and_listing_by_jurisdiction(engine: Engine) -> None:
    tree = region_tree(engine)
    d = issue_to_hubei(engine)
    with pytest.raises(Forbidden):
        svc.get(engine, BJ_REP, tree, d["id"])
    with pytest.raises(NotFound):
        svc.get(engine, HUBEI_CMD, tree, 999999)
    assert svc.get(engine, WUHAN_REP, tree, d["id"])["title"] == "加强发热门诊管理"
    assert svc.list_directives(engine, BJ_REP, tree)["total"] == 0
    assert svc.list_directives(engine, WUHAN_REP, tree, box="received")["total"] == 1
    assert svc.list_directives(engine, WUHAN_REP, tree, box="issued")["total"] == 0
    assert svc.list_directives(engine, HUBEI_CMD, tree, box="issued")["total"] == 1
    assert svc.list_directives(engine, NATIONAL, tree, region="420200")["total"] == 1
    assert svc.list_directives(engine, NATIONAL, tree, status="completed")["total"] == 0
    with pytest.raises(Invalid):
        svc.list_directives(engine, NATIONAL, tree, box="outbox")


def test_attachments_hash_limit_and_safe_names(engine: Engine, settings: Settings) -> None:
    tree = region_tree(engine)
    d = issue_to_hubei(engine)
    data = b"%PDF-1.4 directive text"
    att = svc.add_attachment(
        engine,
        settings,
        HUBEI_CMD,
        tree,
        d["id"],
        filename="../../etc/关于加强防控的通知.PDF",
        stream=io.BytesIO(data),
    )
    assert att["filename"] == "关于加强防控的通知.pdf" and att["size_bytes"] == len(data)
    assert att["content_type"] == "application/pdf"
    assert att["sha256"] == hashlib.sha256(data).hexdigest()
    path, name, media = svc.attachment_file(engine, settings, WUHAN_REP, tree, d["id"], att["id"])
    assert (name, media) == ("关于加强防控的通知.pdf", "application/pdf")
    assert path.read_bytes() == data and path.is_relative_to(
        (settings.var_dir / "attachments").resolve()
    )
    with pytest.raises(Forbidden):
        svc.attachment_file(engine, settings, BJ_REP, tree, d["id"], att["id"])
    with pytest.raises(Invalid, match="not accepted"):
        svc.add_attachment(
            engine, settings, HUBEI_CMD, tree, d["id"], filename="x.exe", stream=io.BytesIO(b"1")
        )
    with pytest.raises(Invalid, match="empty"):
        svc.add_attachment(
            engine, settings, HUBEI_CMD, tree, d["id"], filename="x.txt", stream=io.BytesIO(b"")
        )
    with pytest.raises(Invalid, match="limited"):
        svc.add_attachment(
            engine,
            settings,
            HUBEI_CMD,
            tree,
            d["id"],
            filename="big.csv",
            stream=io.BytesIO(b"x" * 2048),
            max_bytes=1024,
        )
    with pytest.raises(Forbidden):
        svc.add_attachment(
            engine, settings, WUHAN_REP, tree, d["id"], filename="a.txt", stream=io.BytesIO(b"1")
        )
    folder = settings.var_dir / "attachments" / str(d["id"])
    assert [p.name for p in folder.iterdir()] == [f"{att['sha256'][:16]}-关于加强防控的通知.pdf"]
    full = svc.get(engine, CLI_ACTOR, tree, d["id"])
    assert [a["id"] for a in full["attachments"]] == [att["id"]]
    assert full["events"][-1]["kind"] == "attach"
