"""Forecast and nowcast services on real stored data (both databases)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import forecast as fc_svc
from fangkong.services import nowcast as nc_svc
from fangkong.services.cases import submit_cases
from fangkong.services.daily_import import import_daily_file
from fangkong.services.errors import Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "src" / "fangkong" / "data" / "demo"
CCDC = DEMO / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
PMF = [0.1, 0.3, 0.25, 0.15, 0.1, 0.05, 0.05]


def test_region_forecast_backtest_on_hubei(engine: Engine, settings: Settings) -> None:
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    out = fc_svc.region_forecast(engine, "420000", horizon=7, forecast_from=date(2020, 2, 25))
    assert out["source"] == "ccdc"
    assert out["data_to"] == "2020-02-24"
    assert next(i["date"] for i in out["items"]) == "2020-02-25"
    assert len(out["items"]) == 7
    for item in out["items"]:
        assert item["q0.025"] <= item["q0.5"] <= item["q0.975"]
        assert item["observed"] is not None
    assert out["r_last_window"]["mean"] < 1  # Hubei was declining in late February
    again = fc_svc.region_forecast(engine, "420000", horizon=7, forecast_from=date(2020, 2, 25))
    assert again["items"] == out["items"]  # seeded
    latest = fc_svc.region_forecast(engine, "420000", horizon=3)
    assert latest["forecast_from"] == "2020-03-05"
    assert all(i["observed"] is None for i in latest["items"])


def test_region_forecast_errors(engine: Engine, settings: Settings) -> None:
    with pytest.raises(NotFound):
        fc_svc.region_forecast(engine, "420000", horizon=7)
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    with pytest.raises(Invalid) as exc:
        fc_svc.region_forecast(engine, "420000", horizon=0)
    assert exc.value.field == "horizon"
    with pytest.raises(Invalid):
        fc_svc.region_forecast(engine, "420000", horizon=7, forecast_from=date(2020, 1, 19))
    with pytest.raises(Invalid) as exc:
        fc_svc.region_forecast(engine, "420000", si_mean=0.5)
    assert exc.value.field == "si_mean"


def synthetic_cases(n_days: int = 40, seed: int = 3) -> tuple[list[dict[str, object]], list[int]]:
    rng = np.random.default_rng(seed)
    start = date(2020, 3, 1)
    items: list[dict[str, object]] = []
    truth = rng.poisson(15, size=n_days).tolist()
    for t, n in enumerate(truth):
        for _ in range(n):
            onset = start + timedelta(days=t)
            delay = int(rng.choice(len(PMF), p=PMF))
            items.append(
                {
                    "source": "cdc",
                    "case_id": str(len(items)),
                    "region_code": "420106",
                    "classification": "confirmed",
                    "onset_date": onset.isoformat(),
                    "confirmation_date": (onset + timedelta(days=delay)).isoformat(),
                }
            )
    return items, truth


def test_region_nowcast_needs_read_cases_and_recovers_truth(engine: Engine) -> None:
    tree = region_tree(engine)
    items, truth = synthetic_cases()
    submit_cases(engine, CLI_ACTOR, tree, items)
    cutoff = date(2020, 3, 30)
    out = nc_svc.region_nowcast(engine, CLI_ACTOR, tree, "420000", cutoff=cutoff, days=10)
    assert out["report_event"] == "confirmation_date"
    assert out["items"][-1]["onset_date"] == cutoff.isoformat()
    hits = 0
    for item in out["items"][:-2]:
        t = (date.fromisoformat(item["onset_date"]) - date(2020, 3, 1)).days
        hits += item["q0.025"] <= truth[t] <= item["q0.975"]
        assert item["reported"] <= item["median"]
    assert hits >= 7
    viewer = Actor("v", Role.VIEWER, "*")
    with pytest.raises(Forbidden):
        nc_svc.region_nowcast(engine, viewer, tree, "420000")
    outsider = Actor("e", Role.EPIDEMIOLOGIST, "110000")
    with pytest.raises(Forbidden):
        nc_svc.region_nowcast(engine, outsider, tree, "420000")
    with pytest.raises(NotFound):
        nc_svc.region_nowcast(engine, CLI_ACTOR, tree, "110000")


def test_file_nowcast_reads_the_beoutbreakprepared_list() -> None:
    path = DEMO / "beoutbreakprepared_ncov_outside_hubei_20200221.csv"
    out = nc_svc.file_nowcast(path, cutoff=date(2020, 2, 5), days=7)
    assert out["report_event"] == "date_confirmation"
    assert len(out["items"]) == 7
    assert out["items"][-1]["onset_date"] == "2020-02-05"
    assert any("after the cut-off" in n for n in out["notes"])
