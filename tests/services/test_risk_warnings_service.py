"""Risk zoning and early warning over real 2020 province figures, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import risk, warnings
from fangkong.services.daily_import import import_daily_file
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from support import DEMO_DATA

PROVINCES = DEMO_DATA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"


@pytest.fixture
def loaded(engine: Engine, settings: Settings) -> Engine:
    result = import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR)
    assert result.ok
    return engine


def test_risk_table_on_2020_02_20(loaded: Engine, settings: Settings) -> None:
    tree = region_tree(loaded)
    table = risk.risk_table(loaded, settings, tree, on=date(2020, 2, 20), unit="province")
    items = {i["region_code"]: i for i in table["items"]}
    hubei = items["420000"]
    assert hubei["level"] == "high" and hubei["source"] == "canghailan"
    assert "cumulative confirmed cases (over 50)" in hubei["explanation_en"]
    assert hubei["strategy_en"].startswith("guard against internal spread")
    assert items["540000"]["level"] == "low"  # Tibet: 1 case, none since 2020-01-29
    assert table["ruleset"]["key"] == "cn-2020-02-county@2020-02-17"
    assert sum(table["counts"].values()) == table["total"] == len(items)


def test_risk_history_of_beijing(loaded: Engine, settings: Settings) -> None:
    tree = region_tree(loaded)
    hist = risk.region_risk_history(
        loaded,
        settings,
        tree,
        "110000",
        until=date(2020, 6, 30),
        ruleset="cn-2022-11-twenty-measures",
    )
    steps = [(s["date"], s["to"]) for s in hist["transitions"]]
    assert steps[-1][1] == "high" and "2020-06" in steps[-1][0]
    assert hist["current"]["level"] == "high"
    with pytest.raises(NotFound):
        risk.region_risk_history(loaded, settings, tree, "999999", until=date(2020, 6, 30))
    with pytest.raises(NotFound):
        risk.risk_table(loaded, settings, tree, on=date(2020, 2, 1), ruleset="nope")


def test_user_defined_rule_set(engine: Engine) -> None:
    definition = {
        "name": "guangdong-watch",
        "version": "1",
        "unit": "province",
        "title_zh": "广东",
        "title_en": "Guangdong",
        "levels": ["low", "high"],
        "default": "low",
        "rules": [{"level": "high", "all": [{"feature": "new_today", "op": ">=", "value": 5}]}],
    }
    with pytest.raises(Forbidden):
        risk.create_ruleset(engine, Actor("v", Role.VIEWER, "*"), definition)
    out = risk.create_ruleset(engine, CLI_ACTOR, definition)
    assert out["key"] == "guangdong-watch@1" and not out["shipped"]
    with pytest.raises(Conflict):
        risk.create_ruleset(engine, CLI_ACTOR, definition)
    with pytest.raises(Conflict):
        risk.create_ruleset(engine, CLI_ACTOR, {**definition, "name": "cn-2020-02-county"})
    with pytest.raises(Invalid) as info:
        risk.create_ruleset(engine, CLI_ACTOR, {**definition, "version": "2", "unit": "moon"})
    assert info.value.field == "/unit"
    assert risk.get_ruleset(engine, "guangdong-watch").version == "1"
    keys = [r["key"] for r in risk.list_rulesets(engine)]
    assert len(keys) == 4 and "guangdong-watch@1" in keys


def test_warnings_fire_for_hubei_and_beijing(loaded: Engine, settings: Settings) -> None:
    tree = region_tree(loaded)
    signals = warnings.scan(
        loaded, settings, tree, date_from=date(2020, 1, 10), date_to=date(2020, 6, 30)
    )
    hubei = warnings.first_signals(signals, "420000")
    for method in ("ears_c1", "ears_c2", "ears_c3", "negbin"):
        assert (hubei[method] or "") < "2020-02-01", method
    june = [s for s in signals if s["signal_date"] >= "2020-06-01"]
    beijing = warnings.first_signals(june, "110000")
    for method in ("ears_c1", "ears_c2", "ears_c3", "negbin"):
        assert "2020-06-10" <= (beijing[method] or "") <= "2020-06-16", method
    one = next(s for s in june if s["region_code"] == "110000" and s["method"] == "ears_c1")
    assert one["link"].startswith("/api/v1/regions/110000/daily?")
    assert "EARS C1" in one["explanation_en"] and "基线" in one["explanation_zh"]


def test_store_and_acknowledge(loaded: Engine, settings: Settings) -> None:
    tree = region_tree(loaded)
    signals = warnings.scan(
        loaded,
        settings,
        tree,
        date_from=date(2020, 6, 10),
        date_to=date(2020, 6, 16),
        region_codes=["110000"],
        level=None,
        methods=["ears_c1"],
    )
    assert signals
    first = warnings.store_signals(loaded, CLI_ACTOR, signals)
    again = warnings.store_signals(loaded, CLI_ACTOR, signals)
    assert first["inserted"] == len(signals) and again == {
        "inserted": 0,
        "unchanged": len(signals),
        "outside": 0,
    }
    page = warnings.list_signals(loaded, CLI_ACTOR, tree, region_code="110000")
    sid = page["items"][0]["id"]
    with pytest.raises(Forbidden):
        warnings.set_status(loaded, Actor("h", Role.REPORTER, "420000"), tree, sid, "dismissed", "")
    out = warnings.set_status(
        loaded, Actor("b", Role.EPIDEMIOLOGIST, "110000"), tree, sid, "acknowledged", "team sent"
    )
    assert out["status"] == "acknowledged"
    hubei_view = warnings.list_signals(loaded, Actor("h", Role.VIEWER, "420000"), tree)
    assert hubei_view["total"] == 0
    with pytest.raises(Invalid):
        warnings.scan(loaded, settings, tree, date_from=date(2020, 6, 2), date_to=date(2020, 6, 1))
    with pytest.raises(Invalid):
        warnings.scan(
            loaded,
            settings,
            tree,
            date_from=date(2020, 6, 1),
            date_to=date(2020, 6, 2),
            methods=["magic"],
        )
    with pytest.raises(NotFound):
        warnings.set_status(loaded, CLI_ACTOR, tree, 999999, "dismissed", "")
