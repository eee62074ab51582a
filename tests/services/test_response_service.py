"""Response levels through the service, on both databases: rules, audit, inheritance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import response as svc
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.store import models as m

HUBEI = Actor("hubei.cmd", Role.COMMANDER, "420000")
WUHAN = Actor("wuhan.cmd", Role.COMMANDER, "420100")
HUBEI_REPORTER = Actor("hubei.rep", Role.REPORTER, "420000")


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2020, 1, day, hour, tzinfo=UTC)


def test_declare_raise_lower_lift_with_audit(engine: Engine) -> None:
    tree = region_tree(engine)
    out = svc.declare(
        engine, HUBEI, tree, region_code="420000", level="II", reason="cluster", effective_at=at(22)
    )
    assert out["action"] == "declare" and out["previous_level"] == "none"
    assert out["authority"].startswith("湖北省")
    up = svc.declare(
        engine,
        CLI_ACTOR,
        tree,
        region_code="420000",
        level="I",
        reason="spread",
        authority="国务院联防联控机制",
        effective_at=at(24),
    )
    assert up["action"] == "raise"
    with pytest.raises(Forbidden, match="Level I needs"):
        svc.declare(
            engine, HUBEI, tree, region_code="420000", level="II", reason="x", effective_at=at(26)
        )
    svc.declare(
        engine,
        CLI_ACTOR,
        tree,
        region_code="420000",
        level="II",
        reason="falling",
        effective_at=at(27),
    )
    last = svc.declare(
        engine, HUBEI, tree, region_code="420000", level="none", reason="over", effective_at=at(28)
    )
    assert last["action"] == "lift"
    hist = svc.history(engine, region_code="420000")
    assert [i["action"] for i in hist["items"]] == ["lift", "lower", "raise", "declare"]
    with engine.connect() as conn:
        audits = conn.execute(
            select(m.RevisionRow).where(m.RevisionRow.entity == "response_level")
        ).all()
    assert len(audits) == 4
    assert {(a.old_value, a.new_value) for a in audits} >= {("none", "II"), ("II", "I")}


def test_rejections(engine: Engine) -> None:
    tree = region_tree(engine)
    with pytest.raises(Forbidden, match="lacks the permission command"):
        svc.declare(engine, HUBEI_REPORTER, tree, region_code="420000", level="IV", reason="x")
    with pytest.raises(Forbidden, match="outside"):
        svc.declare(engine, HUBEI, tree, region_code="430000", level="IV", reason="x")
    with pytest.raises(Forbidden, match="Level II needs a province"):
        svc.declare(engine, WUHAN, tree, region_code="420100", level="II", reason="x")
    with pytest.raises(Invalid):
        svc.declare(engine, HUBEI, tree, region_code="420000", level="V", reason="x")
    with pytest.raises(Invalid):
        svc.declare(engine, HUBEI, tree, region_code="420000", level="IV", reason="  ")
    with pytest.raises(NotFound):
        svc.declare(engine, CLI_ACTOR, tree, region_code="999999", level="IV", reason="x")
    svc.declare(
        engine, HUBEI, tree, region_code="420000", level="IV", reason="x", effective_at=at(20)
    )
    with pytest.raises(Conflict, match="already"):
        svc.declare(
            engine, HUBEI, tree, region_code="420000", level="IV", reason="x", effective_at=at(21)
        )
    with pytest.raises(Conflict, match="after"):
        svc.declare(
            engine, HUBEI, tree, region_code="420000", level="III", reason="x", effective_at=at(19)
        )


def test_children_inherit_unless_higher(engine: Engine) -> None:
    tree = region_tree(engine)
    svc.declare(
        engine, HUBEI, tree, region_code="420000", level="II", reason="x", effective_at=at(22)
    )
    svc.declare(
        engine, WUHAN, tree, region_code="420100", level="III", reason="x", effective_at=at(22, 1)
    )
    wuhan = svc.region_response(engine, tree, "420100", at(23))
    assert wuhan["level"] == "II" and wuhan["inherited"] and wuhan["source_region"] == "420000"
    assert wuhan["own_level"] == "III"
    assert wuhan["measures"][0]["text_en"].startswith("provincial")
    before = svc.region_response(engine, tree, "420100", at(21))
    assert before["level"] == "none" and before["measures"] == []
    svc.declare(
        engine, CLI_ACTOR, tree, region_code="420100", level="I", reason="x", effective_at=at(23)
    )
    provinces = {i["region_code"]: i for i in svc.levels(engine, tree, at=at(24))}
    assert provinces["420000"]["level"] == "II" and provinces["430000"]["level"] == "none"
    cities = {
        i["region_code"]: i for i in svc.levels(engine, tree, parent_code="420000", at=at(24))
    }
    assert cities["420100"]["level"] == "I" and not cities["420100"]["inherited"]
    assert cities["420200"]["level"] == "II" and cities["420200"]["inherited"]
    active = svc.levels(engine, tree, at=at(24), only_active=True)
    assert [i["region_code"] for i in active] == ["420000"]


def test_measures_catalogue_is_editable_and_audited(engine: Engine) -> None:
    assert len(svc.list_measures(engine, "I")) == 5
    with pytest.raises(Forbidden):
        svc.replace_measures(engine, HUBEI, "IV", [{"text_zh": "a", "text_en": "b"}], "r")
    items = [{"category": "control", "text_zh": "封控", "text_en": "lockdown"}]
    svc.replace_measures(engine, CLI_ACTOR, "IV", items, "new catalogue")
    assert [x["text_en"] for x in svc.list_measures(engine, "IV")] == ["lockdown"]
    assert len(svc.list_measures(engine, "I")) == 5  # other levels kept
    with pytest.raises(Invalid):
        svc.replace_measures(engine, CLI_ACTOR, "IV", [{"text_zh": "", "text_en": "b"}], "r")
    with engine.connect() as conn:
        audit = conn.execute(
            select(m.RevisionRow).where(m.RevisionRow.entity == "response_measures")
        ).one()
    assert "lockdown" in (audit.new_value or "") and audit.reason == "new catalogue"
