"""Public breakdowns of the line list on both databases: counting, periods, areas, the
threshold rule, and protection checked by an attacker's linear programmes on real
beoutbreakprepared data (Hubei, 2020)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog
from sqlalchemy import Engine

from fangkong.core.cases import CASE_FIELDS
from fangkong.core.privacy.categories import AGE_CATEGORIES, SEX_CATEGORIES
from fangkong.services.breakdowns import case_breakdown
from fangkong.services.case_import import import_case_file
from fangkong.services.errors import Invalid, NotFound
from fangkong.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "src" / "fangkong" / "data" / "demo"
HUBEI = DEMO / "beoutbreakprepared_ncov_hubei_20200221.csv"


def load_cases(
    engine: Engine, settings: Settings, tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    path = tmp_path / "cases.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CASE_FIELDS)
        writer.writeheader()
        for k, r in enumerate(rows):
            base = {
                "source": "cdc",
                "case_id": f"c{k}",
                "region_code": "420106",
                "classification": "confirmed",
                "confirmation_date": "2020-02-01",
            }
            writer.writerow({f: {**base, **r}.get(f, "") for f in CASE_FIELDS})
    result = import_case_file(engine, settings, path)
    assert result.rows_rejected == 0, result.issues


def many(n: int, **values: Any) -> list[dict[str, Any]]:
    return [dict(values) for _ in range(n)]


def attacker_bounds(table: dict[str, Any]) -> list[tuple[int | None, float, float]]:
    """LP bounds of every hidden figure of a published age x sex table (cells, both
    margins, total), from the published ones: ``(hidden?, low, high)`` per variable."""
    ages, sexes = table["categories"]["age_band"], table["categories"]["sex"]
    m, n = len(ages), len(sexes)
    shown = {(c["age_band"], c["sex"]): c["count"] for c in table["cells"]}
    grid = [[shown[(a, s)] for s in sexes] for a in ages]
    rows = {c["age_band"]: c["count"] for c in table["margins"]["age_band"]}
    cols = {c["sex"]: c["count"] for c in table["margins"]["sex"]}
    ext = [[*grid[i], rows[a]] for i, a in enumerate(ages)]
    ext.append([*(cols[s] for s in sexes), table["total"]["count"]])
    var = [(i, j) for i in range(m + 1) for j in range(n + 1)]
    pos = {v: k for k, v in enumerate(var)}
    eqs = []
    for i in range(m + 1):
        r = np.zeros(len(var))
        for j in range(n):
            r[pos[(i, j)]] = 1
        r[pos[(i, n)]] = -1
        eqs.append(r)
    for j in range(n + 1):
        r = np.zeros(len(var))
        for i in range(m):
            r[pos[(i, j)]] = 1
        r[pos[(m, j)]] = -1
        eqs.append(r)
    bounds = [(0, None) if ext[i][j] is None else (ext[i][j], ext[i][j]) for i, j in var]
    out = []
    for v in var:
        if ext[v[0]][v[1]] is not None:
            continue
        c = np.zeros(len(var))
        c[pos[v]] = 1
        lo = linprog(c, A_eq=np.array(eqs), b_eq=np.zeros(len(eqs)), bounds=bounds)
        hi = linprog(-c, A_eq=np.array(eqs), b_eq=np.zeros(len(eqs)), bounds=bounds)
        assert lo.status == 0
        out.append((v, lo.fun, np.inf if hi.status == 3 else -hi.fun))
    return out


def published_counts(table: dict[str, Any]) -> list[int]:
    found = [c["count"] for c in table["cells"]] + [table["total"]["count"]]
    for margin in table.get("margins", {}).values():
        found += [c["count"] for c in margin]
    return [c for c in found if c is not None]


def test_age_sex_table_counts_suppresses_and_stays_linked(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = (
        many(12, age_years=42, sex="female")
        + many(3, age_years=45, sex="male")
        + many(7, age_band="50-59", sex="female")
        + many(9, age_years=55, sex="male")
        + many(20)
        + many(1, age_years=85, sex="male")
        + many(2, age_years=30, sex="female", classification="asymptomatic")
        + many(2, age_years=30, sex="female", classification="suspected")
        + many(6, age_band="15-88", sex="female")
    )
    load_cases(engine, settings, tmp_path, rows)
    table = case_breakdown(engine, settings, "420000", "age_band,sex")
    assert table["total"] == {"count": 58, "suppressed": False}
    assert table["suppression"]["min_cell"] == 5
    assert "1 to 4" in table["suppression"]["rule"]
    cells = {(c["age_band"], c["sex"]): c for c in table["cells"]}
    assert len(cells) == len(AGE_CATEGORIES) * len(SEX_CATEGORIES)
    assert cells[("40-49", "male")] == {
        "age_band": "40-49",
        "sex": "male",
        "count": None,
        "suppressed": True,
    }
    assert cells[("80+", "male")]["suppressed"]
    assert cells[("unknown", "unknown")]["count"] == 20
    assert cells[("unknown", "female")]["count"] == 6  # a band across bands is unknown
    assert cells[("0-9", "female")] == {
        "age_band": "0-9",
        "sex": "female",
        "count": 0,
        "suppressed": False,
    }
    assert all(c == 0 or c >= 5 for c in published_counts(table))
    for _, low, high in attacker_bounds(table):
        assert high - low >= 2 - 1e-6
    # The one-way tables are the margins of the two-way table, pattern and all.
    ages = case_breakdown(engine, settings, "420000", "age_band")
    sexes = case_breakdown(engine, settings, "420000", "sex,age_band")
    assert sexes["by"] == ["age_band", "sex"]
    sexes = case_breakdown(engine, settings, "420000", "sex")
    assert ages["cells"] == table["margins"]["age_band"]
    assert sexes["cells"] == table["margins"]["sex"]
    assert ages["total"] == sexes["total"] == table["total"]


def test_period_selects_by_confirmation_date(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = (
        many(30, sex="male", confirmation_date="2020-01-25")
        + many(8, sex="female", confirmation_date="2020-02-05")
        + many(5, sex="female", confirmation_date="")
    )
    load_cases(engine, settings, tmp_path, rows)
    everything = case_breakdown(engine, settings, "420000", "sex")
    assert everything["total"]["count"] == 43
    february = case_breakdown(
        engine, settings, "420000", "sex", date_from=date(2020, 2, 1), date_to=date(2020, 2, 29)
    )
    assert (february["from"], february["to"]) == ("2020-02-01", "2020-02-29")
    assert february["total"]["count"] == 8
    assert {c["sex"]: c["count"] for c in february["cells"]}["female"] == 8
    with pytest.raises(Invalid):
        case_breakdown(
            engine, settings, "420000", "sex", date_from=date(2020, 3, 1), date_to=date(2020, 2, 1)
        )


def test_area_breakdown_by_sub_areas_with_unassigned(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = (
        many(40, region_code="420102")
        + many(2, region_code="420103")
        + many(9, region_code="420106")
        + many(6, region_code="420100")
        + many(50, region_code="420500")  # Yichang, outside Wuhan
    )
    load_cases(engine, settings, tmp_path, rows)
    table = case_breakdown(engine, settings, "420100", "area")
    cells = {c["area"]: c for c in table["cells"]}
    assert cells["420102"]["count"] == 40 and cells["420102"]["name_en"]
    assert cells["420103"] == {**cells["420103"], "count": None, "suppressed": True}
    assert cells["unassigned"]["count"] is not None or cells["unassigned"]["suppressed"]
    assert table["total"]["count"] == 57
    assert sum(c["suppressed"] for c in table["cells"]) >= 2
    assert all(c == 0 or c >= 5 for c in published_counts(table))
    hubei = case_breakdown(engine, settings, "420000", "area")
    assert {c["area"]: c["count"] for c in hubei["cells"]}["420100"] == 57
    with pytest.raises(Invalid, match="no sub-areas"):
        case_breakdown(engine, settings, "420102", "area")


def test_threshold_may_only_be_raised(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    load_cases(engine, settings, tmp_path, many(7, sex="male") + many(30, sex="female"))
    assert case_breakdown(engine, settings, "CN", "sex")["cells"][1]["count"] == 7
    strict = case_breakdown(engine, settings, "CN", "sex", min_cell=10)
    assert strict["suppression"]["min_cell"] == 10
    assert {c["sex"]: c["suppressed"] for c in strict["cells"]}["male"]
    with pytest.raises(Invalid, match="only raise") as caught:
        case_breakdown(engine, settings, "CN", "sex", min_cell=3)
    assert caught.value.field == "min_cell"
    stricter_site = settings.model_copy(update={"suppress_below": 8})
    assert case_breakdown(engine, stricter_site, "CN", "sex")["cells"][1]["count"] is None


def test_bad_requests(engine: Engine, settings: Settings) -> None:
    with pytest.raises(NotFound):
        case_breakdown(engine, settings, "999999", "sex")
    with pytest.raises(Invalid, match="unknown breakdown"):
        case_breakdown(engine, settings, "CN", "age_band,area")
    empty = case_breakdown(engine, settings, "CN", "age_band,sex")
    assert empty["total"]["count"] == 0 and empty["suppressed_cells"] == 0


def test_hubei_line_list_age_by_sex_is_protected(engine: Engine, settings: Settings) -> None:
    """The real 2020 Hubei list: 14,729 cases, almost all of unknown age and sex, so
    the known ones fall in small cells — the case suppression exists for."""
    result = import_case_file(engine, settings, HUBEI)
    assert result.rows_inserted == 14729
    table = case_breakdown(engine, settings, "420000", "age_band,sex")
    assert table["total"] == {"count": 14729, "suppressed": False}
    counts = published_counts(table)
    assert counts and all(c == 0 or c >= 5 for c in counts)
    hidden = attacker_bounds(table)
    assert len(hidden) == table["suppressed_cells"] >= 10
    for _, low, high in hidden:
        assert high - low >= 2 - 1e-6
    cells = {(c["age_band"], c["sex"]): c["count"] for c in table["cells"]}
    assert cells[("unknown", "unknown")] == 14556
    area = case_breakdown(engine, settings, "420000", "area")
    assert {c["area"]: c["count"] for c in area["cells"]}["420100"] == 7916
    assert all(c == 0 or c >= 5 for c in published_counts(area))
