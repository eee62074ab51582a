"""services.delays: growth of stored daily figures, delays of the stored line list
(READ_CASES, jurisdiction), and the file commands behind ``fangkong epi``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.core.epi import intervals as iv
from fangkong.services import cases as case_svc
from fangkong.services import delays as svc
from fangkong.services.daily_import import import_daily_file
from fangkong.services.errors import Forbidden, Invalid
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from support import DEMO_DATA

FIX = Path(__file__).parents[1] / "fixtures" / "delays"
SINGAPORE = FIX / "tindale2020_COVID-19_Singapore_data_revised.csv"
TIANJIN = FIX / "tindale2020_Tianjin135cases_revised.csv"
CCDC = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"


def singapore_cases() -> list[dict[str, object]]:
    """The 93 Singapore cases of Tindale et al. as line-list records (real dates)."""
    _, cases = iv.read_cluster_linelist(SINGAPORE.read_text(encoding="utf-8-sig"))
    return [
        {
            "source": "moh-sg",
            "case_id": c.case_id,
            "region_code": "SG",
            "classification": "confirmed",
            "onset_date": c.onset_date.isoformat() if c.onset_date else None,
            "confirmation_date": c.confirmation_date.isoformat() if c.confirmation_date else None,
        }
        for c in cases
    ]


def test_region_growth_of_hubei(engine: Engine, settings: Settings) -> None:
    assert import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR).ok
    out = svc.region_growth(
        engine,
        "420000",
        date_from=date(2020, 1, 19),
        date_to=date(2020, 1, 31),
        source="ccdc",
        model="negbin",
        priority=settings.source_priority,
    )
    assert out["source"] == "ccdc" and out["n_days"] == 13
    assert 0.2 < out["growth_rate"] < 0.35 and out["doubling_time"] < 3.5
    lo, hi = out["doubling_time_ci95"]
    assert lo < out["doubling_time"] < hi
    with pytest.raises(Invalid, match="at least"):
        svc.region_growth(
            engine,
            "420000",
            date_from=date(2020, 1, 19),
            date_to=date(2020, 1, 21),
            source="ccdc",
            model="poisson",
            priority=settings.source_priority,
        )
    with pytest.raises(Invalid, match="model"):
        svc.region_growth(
            engine,
            "420000",
            date_from=None,
            date_to=None,
            source=None,
            model="ols",
            priority=settings.source_priority,
        )


def test_region_delays_need_read_cases_in_the_jurisdiction(engine: Engine) -> None:
    tree = region_tree(engine)
    case_svc.submit_cases(engine, CLI_ACTOR, tree, singapore_cases())
    epi = Actor("epi", Role.EPIDEMIOLOGIST, "*")
    out = svc.region_delays(
        engine,
        epi,
        tree,
        region_code="SG",
        kind="onset_to_confirmation",
        source="moh-sg",
        bootstrap=20,
        seed=1,
    )
    assert out["n"] == 83 and out["fits"][0]["delta_aic"] == 0
    assert {f["family"] for f in out["fits"]} >= {"gamma", "lognormal", "weibull"}
    assert 5 < out["fits"][0]["mean"] < 9 and "mean" in out["fits"][0]["ci95"]
    with pytest.raises(Forbidden):
        svc.region_delays(
            engine,
            Actor("v", Role.VIEWER, "*"),
            tree,
            region_code="SG",
            kind="onset_to_confirmation",
            source=None,
        )
    with pytest.raises(Forbidden):
        svc.region_delays(
            engine,
            Actor("h", Role.EPIDEMIOLOGIST, "420000"),
            tree,
            region_code="SG",
            kind="onset_to_confirmation",
            source=None,
        )
    # without region_code the jurisdiction (Hubei, no cases there) is used
    with pytest.raises(Invalid, match="usable observation"):
        svc.region_delays(
            engine,
            Actor("h", Role.EPIDEMIOLOGIST, "420000"),
            tree,
            region_code=None,
            kind="onset_to_confirmation",
            source=None,
        )


def test_file_delays_and_growth(tmp_path: Path) -> None:
    serial = svc.file_delays(TIANJIN, "serial", bootstrap=20, seed=2)
    assert serial["layout"] == "tianjin" and serial["pairing"] == "listed"
    assert round(serial["icc"]["mean"], 2) == 4.31
    assert serial["best"] == "normal"  # negative intervals present
    inc = svc.file_delays(SINGAPORE, "incubation", dist="gamma")
    assert [f["family"] for f in inc["fits"]] == ["gamma"]
    o2c = svc.file_delays(SINGAPORE, "onset-to-confirmation", dist="best")
    assert o2c["n"] == 83
    with pytest.raises(Invalid, match="cluster line list"):
        svc.file_delays(CCDC, "serial")
    with pytest.raises(Invalid, match="kind"):
        svc.file_delays(SINGAPORE, "generation")
    incidence = tmp_path / "inc.csv"
    incidence.write_text(
        "date,count\n" + "".join(f"2020-01-{d:02d},{2 ** (d // 3)}\n" for d in range(1, 22))
    )
    out = svc.file_growth(incidence, date_from=date(2020, 1, 3), date_to=None, model="poisson")
    assert out["from"] == "2020-01-03" and out["doubling_time"] == pytest.approx(3, rel=0.1)
    with pytest.raises(Invalid, match="count"):
        svc.file_growth(SINGAPORE, date_from=None, date_to=None, model="poisson")
