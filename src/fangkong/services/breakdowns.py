"""Public breakdowns of the case line list by age band, sex and area, with small cells
suppressed (:mod:`fangkong.core.privacy`). Only aggregates leave this module.

What is counted: cases classified ``confirmed`` or ``clinically_diagnosed`` recorded in
the region or anywhere below it. A period (``date_from``/``date_to``) selects cases by
``confirmation_date``; cases without one are counted only when no period is given.

Tables:

* ``age_band``, ``sex`` and ``age_band,sex`` are one publication: the two-way age x
  sex table is protected, and the one-way tables are its margins with the same pattern.
  Were each one-way table protected on its own, a total hidden in one could be read
  off another (linked tables, Hundepool et al. 2012, *Statistical Disclosure Control*,
  ch. 4); sharing one pattern, the three together show nothing the two-way table does
  not.
* ``area`` counts cases by the region's direct sub-areas (provinces of China,
  prefectures of a province, counties of a prefecture); cases recorded at the region
  itself, without a finer place, form the ``unassigned`` category. Its total is the
  same grand total as the age x sex table.

Every category is always listed, empty or not, and zeros are published (see
:mod:`fangkong.core.privacy.suppression` for why). The suppression threshold comes from
``Settings.suppress_below``; a request may raise it (``min_cell``), never lower it.

Known limit: suppression protects each publication, not differences between
publications of overlapping periods or of a region and its sub-regions (e.g. a
province's age table minus those of all its prefectures); such differences can show
small counts, and nothing here prevents them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from fangkong.core.cases import Classification
from fangkong.core.privacy import (
    Cell,
    SuppressionRule,
    exposed_entries,
    one_way_graph,
    suppress_one_way,
    suppress_two_way,
    two_way_graph,
)
from fangkong.core.privacy.categories import (
    AGE_CATEGORIES,
    SEX_CATEGORIES,
    age_category,
    sex_category,
)
from fangkong.core.privacy.graph import TableGraph
from fangkong.services.errors import Invalid, NotFound
from fangkong.settings import Settings
from fangkong.store import models as m

C = m.CaseRecordRow
#: The tables a request may ask for, as the ``by`` parameter spells them.
BREAKDOWNS: tuple[str, ...] = ("age_band", "sex", "age_band,sex", "area")
COUNTED: tuple[Classification, ...] = (
    Classification.CONFIRMED,
    Classification.CLINICALLY_DIAGNOSED,
)
UNASSIGNED = "unassigned"
METHOD = (
    "Primary suppression of small counts in cells and totals; secondary suppression "
    "until every suppressed count lies on a cycle of suppressed non-zero counts, so "
    "that each could be at least one higher or lower with all published figures "
    "unchanged (network method for two-way tables); checked before every publication."
)
REFERENCE = (
    "Hundepool A. et al., Statistical Disclosure Control, Wiley, 2012, ch. 4-5; "
    "Cox L.H., JASA 75:377-385, 1980; Castro J., LNCS 2316:59-73, 2002"
)


def suppression_threshold(settings: Settings, min_cell: int | None) -> int:
    """The threshold in force: the configured one, or a stricter one asked for."""
    floor = settings.suppress_below
    if min_cell is None:
        return floor
    if min_cell < floor:
        raise Invalid(
            f"min_cell {min_cell} would weaken the configured suppression: counts below "
            f"{floor} are always suppressed; min_cell may only raise that threshold",
            field="min_cell",
        )
    return min_cell


def parse_by(text: str) -> str:
    """The canonical name of a breakdown (``"sex,age_band"`` is ``"age_band,sex"``)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    for name in (",".join(parts), ",".join(reversed(parts))):
        if name in BREAKDOWNS:
            return name
    raise Invalid(f"unknown breakdown {text!r}; choose one of {', '.join(BREAKDOWNS)}", field="by")


def _regions(engine: Engine) -> dict[str, tuple[str | None, str, str]]:
    R = m.RegionRow
    with engine.connect() as conn:
        rows = conn.execute(select(R.region_code, R.parent_code, R.name_zh, R.name_en)).all()
    return {code: (parent, zh, en) for code, parent, zh, en in rows}


def _sub_area_of(regions: dict[str, tuple[str | None, str, str]], root: str) -> dict[str, str]:
    """Every region in ``root``'s sub-tree mapped to the child of ``root`` it lies in
    (``root`` itself to :data:`UNASSIGNED`)."""
    children: dict[str, list[str]] = {}
    for code, (parent, _, _) in regions.items():
        if parent is not None:
            children.setdefault(parent, []).append(code)
    area = {root: UNASSIGNED}
    for child in children.get(root, ()):
        stack = [child]
        while stack:
            code = stack.pop()
            area[code] = child
            stack.extend(children.get(code, ()))
    return area


def _cell(cell: Cell, **labels: Any) -> dict[str, Any]:
    return {**labels, "count": cell.published, "suppressed": cell.suppressed}


def _audit(graph: TableGraph, cells: Sequence[Cell], threshold: int) -> None:
    """Refuse to publish a table whose protection does not hold (a defect, not input):
    a small count shown, or a hidden count derivable from the published ones."""
    hidden = [c.suppressed for c in cells]
    small_shown = any(0 < c.count < threshold for c in cells if not c.suppressed)
    if small_shown or exposed_entries(graph, hidden):
        raise RuntimeError("small-cell suppression failed its audit; nothing published")


def case_breakdown(
    engine: Engine,
    settings: Settings,
    region_code: str,
    by: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    min_cell: int | None = None,
) -> dict[str, Any]:
    """One public breakdown of the cases of ``region_code`` (see the module docstring)."""
    threshold = suppression_threshold(settings, min_cell)
    breakdown = parse_by(by)
    if date_from and date_to and date_from > date_to:
        raise Invalid("'from' is after 'to'", field="from")
    regions = _regions(engine)
    if region_code not in regions:
        raise NotFound(f"no region with code {region_code!r}", field="region_code")
    area_of = _sub_area_of(regions, region_code)
    children = sorted(c for c, (p, _, _) in regions.items() if p == region_code)
    if breakdown == "area" and not children:
        raise Invalid(f"region {region_code} has no sub-areas to break down by", field="by")

    query = select(C.region_code, C.age_years, C.age_band, C.sex, func.count()).where(
        C.region_code.in_(sorted(area_of)),
        C.classification.in_([c.value for c in COUNTED]),
    )
    if date_from is not None:
        query = query.where(C.confirmation_date >= date_from)
    if date_to is not None:
        query = query.where(C.confirmation_date <= date_to)
    query = query.group_by(C.region_code, C.age_years, C.age_band, C.sex)
    with engine.connect() as conn:
        groups = conn.execute(query).all()

    rule = SuppressionRule(threshold)
    out: dict[str, Any] = {
        "region_code": region_code,
        "by": breakdown.split(","),
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "date_basis": "confirmation_date",
        "classifications": [c.value for c in COUNTED],
        "suppression": {
            "min_cell": threshold,
            "rule": rule.describe(),
            "method": METHOD,
            "reference": REFERENCE,
        },
    }
    if breakdown == "area":
        by_area: Counter[str] = Counter()
        for code, _age, _band, _sex, n in groups:
            by_area[area_of[code]] += int(n)
        categories = [*children, UNASSIGNED]
        table = suppress_one_way([by_area[a] for a in categories], rule)
        _audit(one_way_graph([c.count for c in table.cells]), table.entries(), threshold)
        cells = []
        for code, cell in zip(categories, table.cells, strict=True):
            _, zh, en = regions.get(code, (None, "未分配到下级地区", "not assigned to a sub-area"))
            cells.append(_cell(cell, area=code, name_zh=zh, name_en=en))
        out["categories"] = {"area": categories}
        out["cells"] = cells
        out["total"] = _cell(table.total)
        out["suppressed_cells"] = sum(c.suppressed for c in table.entries())
        return out

    counts: Counter[tuple[str, str]] = Counter()
    for _code, age_years, band, sex, n in groups:
        counts[(age_category(age_years, band), sex_category(sex))] += int(n)
    grid = [[counts[(a, s)] for s in SEX_CATEGORIES] for a in AGE_CATEGORIES]
    two_way = suppress_two_way(grid, rule)
    _audit(two_way_graph(grid), two_way.entries(), threshold)
    ages = [_cell(c, age_band=a) for a, c in zip(AGE_CATEGORIES, two_way.row_totals, strict=True)]
    sexes = [_cell(c, sex=s) for s, c in zip(SEX_CATEGORIES, two_way.column_totals, strict=True)]
    if breakdown == "age_band,sex":
        out["categories"] = {"age_band": list(AGE_CATEGORIES), "sex": list(SEX_CATEGORIES)}
        out["cells"] = [
            _cell(cell, age_band=a, sex=s)
            for a, row in zip(AGE_CATEGORIES, two_way.cells, strict=True)
            for s, cell in zip(SEX_CATEGORIES, row, strict=True)
        ]
        out["margins"] = {"age_band": ages, "sex": sexes}
        shown = list(two_way.entries())
    elif breakdown == "age_band":
        out["categories"] = {"age_band": list(AGE_CATEGORIES)}
        out["cells"] = ages
        shown = [*two_way.row_totals, two_way.total]
    else:
        out["categories"] = {"sex": list(SEX_CATEGORIES)}
        out["cells"] = sexes
        shown = [*two_way.column_totals, two_way.total]
    out["total"] = _cell(two_way.total)
    out["suppressed_cells"] = sum(c.suppressed for c in shown)
    return out
