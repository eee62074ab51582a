"""Scenario service: region populations, bounds and field pointers, delayed scenarios,
stochastic runs, and the ``fangkong scenario`` command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from fangkong.cli import app
from fangkong.services import scenarios as svc
from fangkong.services.errors import Invalid

HUBEI_POPULATION = 57_752_557  # 2020 census (src/fangkong/data/populations.csv)
LEVEL_I = svc.InterventionSpec(date(2020, 1, 23), 0.7, label="Level I response")


def request(**changes: object) -> svc.ScenarioRequest:
    base: dict[str, object] = {
        "start": date(2020, 1, 1),
        "days": 180,
        "region_code": "420000",
        "r0": 2.5,
        "initial_infections": 1000.0,
        "interventions": (LEVEL_I,),
        "scenarios": (svc.ScenarioSpec("on time"), svc.ScenarioSpec("a week later", 7)),
    }
    base.update(changes)
    return svc.ScenarioRequest(**base)  # type: ignore[arg-type]


def test_region_population_and_a_week_later(engine: Engine) -> None:
    out = svc.run(engine, request())
    assert out["population"] == HUBEI_POPULATION
    assert out["region"]["name_en"] == "Hubei"
    on_time, late = out["scenarios"]
    assert late["interventions"][0]["start"] == "2020-01-30"
    assert late["summary"]["total_infections"] > on_time["summary"]["total_infections"]
    diff = out["comparison"][0]["differences"]
    assert diff["peak_prevalence_day"] == 7
    assert diff["peak_hospital_beds"] == pytest.approx(
        late["summary"]["peak_hospital_beds"]["value"]
        - on_time["summary"]["peak_hospital_beds"]["value"]
    )
    series = on_time["series"]
    assert len(series["date"]) == 180 and series["date"][22] == "2020-01-23"
    assert series["contact_multiplier"][21:23] == pytest.approx([1.0, 0.3])
    assert series["effective_r"][0] == pytest.approx(2.5, rel=1e-4)
    assert out["model"]["growth_rate"] == pytest.approx(0.15945, abs=1e-5)  # Wallinga-Lipsitch


def test_population_overrides_and_needs_no_database() -> None:
    out = svc.run(None, request(region_code=None, population=1e6, scenarios=()))
    assert out["region"] is None and out["population"] == 1e6
    assert [s["name"] for s in out["scenarios"]] == ["baseline"] and out["comparison"] == []


def test_unknown_region_and_region_without_population(engine: Engine) -> None:
    with pytest.raises(Invalid) as err:
        svc.run(engine, request(region_code="999999"))
    assert err.value.field == "/region_code"
    with pytest.raises(Invalid, match="no population") as err:
        svc.run(engine, request(region_code="420100"))  # Wuhan: no census figure stored
    assert err.value.field == "/region_code"
    assert svc.run(engine, request(region_code="420100", population=11e6))["population"] == 11e6


def test_bad_values_are_all_named_by_json_pointer() -> None:
    bad = request(
        region_code=None,
        population=3e9,
        days=2000,
        interventions=(svc.InterventionSpec(date(2020, 2, 1), 0.5, end=date(2020, 1, 1)),),
        scenarios=tuple(svc.ScenarioSpec(f"s{k}") for k in range(11)),
    )
    with pytest.raises(svc.InvalidFields) as err:
        svc.run(None, bad)
    pointers = [p for p, _ in err.value.errors]
    assert pointers == ["/days", "/population", "/interventions/0/end", "/scenarios"]
    with pytest.raises(Invalid) as one:
        svc.validate(request(scenarios=(svc.ScenarioSpec("a"), svc.ScenarioSpec("a", 7))))
    assert one.value.field == "/scenarios/1/name"
    with pytest.raises(Invalid) as hosp:
        svc.hospital_parameters(icu_fraction=2, hospital_stay=(0, 0))
    assert [p for p, _ in hosp.value.errors] == [  # type: ignore[attr-defined]
        "/hospital/icu_fraction",
        "/hospital/hospital_stay/mean",
    ]


def test_calibration_and_age_groups() -> None:
    ages = svc.AgeGroups(("0-19", "20+"), (0.25, 0.75), ((8.0, 3.0), (3.0, 5.0)))
    out = svc.run(
        None,
        request(
            region_code=None,
            population=HUBEI_POPULATION,
            age_groups=ages,
            calibrate=svc.Calibration(date(2020, 1, 20), 50_000),
        ),
    )
    base = out["scenarios"][0]
    assert base["series"]["cumulative_infections"][18] == pytest.approx(50_000, rel=1e-6)
    assert len(base["summary"]["group_attack_rates"]) == 2
    assert out["model"]["age_groups"]["population"][0] == pytest.approx(HUBEI_POPULATION / 4)


def test_stochastic_scenarios_share_random_numbers_and_are_reproducible() -> None:
    req = request(
        region_code=None,
        population=1e6,
        stochastic=True,
        seed=3,
        replicates=10,
        days=120,
        include_series=False,
    )
    a, b = svc.run(None, req), svc.run(None, req)
    assert a["scenarios"] == b["scenarios"]
    stoch = a["scenarios"][0]["stochastic"]
    assert stoch["replicates"] == 10
    assert stoch["total_infections"]["q0.025"] <= stoch["total_infections"]["q0.975"]
    assert "series" not in a["scenarios"][0]
    with pytest.raises(Invalid) as err:
        eye = tuple(tuple(float(i == j) for j in range(10)) for i in range(10))
        ages = svc.AgeGroups(tuple("abcdefghij"), (1.0,) * 10, eye)
        svc.run(
            None,
            request(
                region_code=None,
                population=1e6,
                stochastic=True,
                replicates=200,
                days=1000,
                age_groups=ages,
            ),
        )
    assert err.value.field == "/replicates"


def test_cli_scenario_table_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    args = [
        "scenario",
        "--population",
        "57752557",
        "--r0",
        "2.5",
        "--start",
        "2020-01-01",
        "--days",
        "180",
        "--intervention",
        "2020-01-23:0.7",
        "--compare-delay",
        "7",
        "--initial-infections",
        "1000",
    ]
    table = runner.invoke(app, args, env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.output
    assert "Δ +7 days" in table.output and "peak ICU beds" in table.output
    js = runner.invoke(
        app, [*args, "--format", "json", "--stochastic", "--seed", "1", "--replicates", "5"]
    )
    assert js.exit_code == 0, js.output
    out = json.loads(js.output)
    assert out["comparison"][0]["differences"]["peak_prevalence_day"] == 7
    bad = runner.invoke(app, [*args[:-2], "--intervention", "2020-01-30:0.5:end=2020-01-01"])
    assert bad.exit_code == 2 and "/interventions/1/end" in bad.output
    bad = runner.invoke(app, [*args, "--intervention", "2020-13-01:0.5"])
    assert bad.exit_code == 2
