"""R_t from stored data: report-date series, onset-date line lists, corrections and gaps."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR
from fangkong.core.epi.rt import estimate_r
from fangkong.services import rt as svc
from fangkong.services.case_import import import_case_file
from fangkong.services.daily_import import import_daily_file
from fangkong.services.errors import Invalid, NotFound
from fangkong.settings import Settings
from support import DEMO_DATA

CCDC = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
DAILY_HEADER = "region_code,report_date,new_confirmed,new_confirmed_imported\n"


def write_daily(tmp_path: Path, counts: dict[date, int], imported: dict[date, int]) -> Path:
    path = tmp_path / "daily.csv"
    lines = [f"110000,{d.isoformat()},{n},{imported.get(d, '')}" for d, n in sorted(counts.items())]
    path.write_text(DAILY_HEADER + "\n".join(lines) + "\n")
    return path


def test_hubei_ccdc_report_date_rt(engine: Engine, settings: Settings) -> None:
    result = import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    assert result.rows_rejected == 0
    out = svc.region_rt(engine, "420000", si_mean=7.5, si_sd=3.4, source="ccdc",
                        priority=settings.source_priority)  # fmt: skip
    assert out["source"] == "ccdc" and out["series_start"] == "2020-01-17"
    by_end = {r["date_end"]: r for r in out["items"]}
    assert by_end["2020-01-28"]["mean"] > 2
    assert all(r["mean"] < 1 for r in out["items"] if r["date_end"] > "2020-02-20")
    # The 2020-02-12 reclassification (+14,840) lifts the windows that contain it.
    assert by_end["2020-02-12"]["mean"] > by_end["2020-02-11"]["mean"] + 0.5
    assert out["items"][0]["t_start"] == 2
    window = svc.region_rt(engine, "420000", si_mean=7.5, si_sd=3.4, source="ccdc",
                           date_from=date(2020, 2, 1), date_to=date(2020, 2, 10),
                           priority=settings.source_priority)  # fmt: skip
    assert window["items"][0]["date_end"] == "2020-02-01"
    assert window["items"][-1]["date_end"] == "2020-02-10"
    # Same figures as the full run: earlier days still feed the infectivity.
    assert window["items"][0]["mean"] == pytest.approx(by_end["2020-02-01"]["mean"], rel=1e-12)


def test_negative_corrections_and_gaps_are_reported(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    start = date(2020, 3, 1)
    counts = {start + timedelta(days=i): 10 + i for i in range(30)}
    counts[start + timedelta(days=12)] = -4
    del counts[start + timedelta(days=20)]
    imported = {start + timedelta(days=i): 2 for i in range(5, 10)}
    result = import_daily_file(engine, settings, write_daily(tmp_path, counts, imported),
                               actor=CLI_ACTOR)  # fmt: skip
    assert result.rows_rejected == 0, result.issues
    out = svc.region_rt(engine, "110000", si_mean=4.7, si_sd=2.9,
                        priority=settings.source_priority)  # fmt: skip
    notes = " ".join(out["notes"])
    assert "2020-03-13 (-4)" in notes and "set to 0" in notes
    assert "1 day(s) without a figure" in notes and "2020-03-21" in notes
    assert "imported" in notes
    # The estimator saw the corrected series: recompute it directly.
    total = np.array([max(counts.get(start + timedelta(days=i), 0), 0) for i in range(30)])
    imp = np.array([imported.get(start + timedelta(days=i), 0) for i in range(30)], float)
    direct = estimate_r(total - imp, imp, method="parametric_si", mean_si=4.7, std_si=2.9)
    np.testing.assert_allclose([r["mean"] for r in out["items"]], direct.mean, rtol=1e-12)


def test_onset_basis_counts_the_line_list_subtree(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "cases.csv"
    rows = ["source,case_id,region_code,classification,onset_date,confirmation_date"]
    rng = np.random.default_rng(5)
    n = 0
    for day in range(25):
        for _ in range(int(rng.poisson(3 + day))):
            n += 1
            onset = date(2020, 1, 1) + timedelta(days=day)
            city = "420100" if n % 3 else "420200"
            rows.append(f"t,{n},{city},confirmed,{onset},{onset + timedelta(days=4)}")
    rows.append(f"t,{n + 1},420100,confirmed,,2020-01-20")
    rows.append(f"t,{n + 2},420100,confirmed,2020-11-26,2020-01-20")
    path.write_text("\n".join(rows) + "\n")
    result = import_case_file(engine, settings, path, format_name="fangkong-cases")
    assert result.rows_rejected == 0, result.issues
    out = svc.region_rt(engine, "420000", si_mean=7.5, si_sd=3.4, basis="onset", source="t")
    assert out["basis"] == "onset" and out["series_start"] == "2020-01-01"
    notes = " ".join(out["notes"])
    assert "1 case(s) of the line list without an onset date" in notes
    assert "2020-11-26" in notes and out["series_end"] == "2020-01-25"
    assert out["items"][-1]["mean"] > 1


def test_bad_requests_name_the_parameter(engine: Engine, settings: Settings) -> None:
    with pytest.raises(NotFound) as nf:
        svc.region_rt(engine, "999999", si_mean=7.5, si_sd=3.4)
    assert nf.value.field == "region_code"
    with pytest.raises(NotFound) as nf:
        svc.region_rt(engine, "420000", si_mean=7.5, si_sd=3.4)
    assert nf.value.field == "region_code"  # no figures stored yet
    for kwargs, field in (
        ({"si_mean": 0.9}, "si_mean"),
        ({"si_sd": 0.0}, "si_sd"),
        ({"window": 0}, "window"),
        ({"basis": "death"}, "basis"),
        ({"date_from": date(2020, 3, 1), "date_to": date(2020, 2, 1)}, "from"),
    ):
        args = {"si_mean": 7.5, "si_sd": 3.4, **kwargs}
        with pytest.raises(Invalid) as inv:
            svc.region_rt(engine, "420000", **args)  # type: ignore[arg-type]
        assert inv.value.field == field


def test_incidence_file_errors_name_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "inc.csv"
    path.write_text("date,local,imported\n2020-01-01,3,1\n2020-01-02,x,0\n")
    with pytest.raises(Invalid, match=r"inc.csv:3: column 'local': 'x' is not a number"):
        svc.read_incidence_csv(path)
    path.write_text("date,local\n2020-01-01,3\n2020-01-03,4\n")
    with pytest.raises(Invalid, match=r"inc.csv:3: column 'date': 2020-01-03 does not follow"):
        svc.read_incidence_csv(path)
    path.write_text("day,cases\n1,3\n")
    with pytest.raises(Invalid, match=r"inc.csv:1: no incidence column"):
        svc.read_incidence_csv(path)
    path.write_text("I\n3\n-1\n")
    with pytest.raises(Invalid, match=r"inc.csv:3: column 'I': '-1' is not a non-negative"):
        svc.read_incidence_csv(path)
    path.write_text("Incidence\n3\n\n4\n")
    assert svc.read_incidence_csv(path).local == [3.0, 4.0]
    with pytest.raises(Invalid, match="no such file"):
        svc.read_incidence_csv(tmp_path / "missing.csv")
    si = tmp_path / "si.csv"
    si.write_text("0\n0.5\n0.5\n")
    assert svc.read_si_distr_csv(si) == [0.0, 0.5, 0.5]
