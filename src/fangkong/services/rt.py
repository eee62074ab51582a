"""R_t (Cori et al. 2013, EpiEstim's ``estimate_R``) for incidence files and stored regions.

Two entry points:

* files (no database): :func:`read_incidence_csv` and :func:`read_si_distr_csv` read the
  inputs with one-line errors that name file, line and column; :func:`estimate_rows`
  turns an estimate into output rows (:data:`CSV_COLUMNS`).
* stored data: :func:`region_rt` estimates R_t from a region's daily series of new
  confirmed cases by report date (:func:`fangkong.services.regions.daily_series`, one
  source, never mixed) or, with ``basis="onset"``, from the case line list of the
  region's sub-tree counted by onset date.

Stored series need two decisions, both reported in ``notes``, never silent: days
missing from the series count as 0 cases, and a negative daily figure (a publisher's
correction of earlier days; see :mod:`fangkong.core.reports`) is set to 0 for the
estimator, since the renewal equation has no negative cases.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from fangkong.core.epi.rt import METHODS, QUANTILES, RtEstimate, UncertainSI, estimate_r
from fangkong.core.epi.rt import window_dates as _window_dates
from fangkong.core.privacy.csv_safety import SafeWriter
from fangkong.services.cases import subtree_codes
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.regions import daily_series, get_region
from fangkong.store import models as m

#: Output columns of an R_t table (``date_start``/``date_end`` follow when dates are known).
CSV_COLUMNS: tuple[str, ...] = (
    "t_start",
    "t_end",
    "mean",
    "std",
    *(f"q{q}" for q in QUANTILES),
)
DATE_COLUMNS: tuple[str, ...] = ("date_start", "date_end")
LOCAL_NAMES = ("local", "i", "incidence")
DATE_NAMES = ("dates", "date")
#: The case line-list source counted for ``basis="onset"`` when none is given.
ONSET_SOURCE = "beoutbreakprepared"


@dataclass(slots=True)
class IncidenceInput:
    """A daily incidence series read from a file."""

    local: list[float]
    imported: list[float] | None
    dates: list[date] | None


def _number(path: Path, line: int, column: str, text: str) -> float:
    where = f"{path}:{line}: column {column!r}"
    if text.strip() == "":
        raise Invalid(f"{where}: empty value (write 0 for a day without cases)", field=column)
    try:
        value = float(text)
    except ValueError:
        raise Invalid(f"{where}: {text!r} is not a number", field=column) from None
    if not math.isfinite(value) or value < 0:
        raise Invalid(f"{where}: {text!r} is not a non-negative count", field=column)
    return value


def _open_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise Invalid(f"{path}: no such file", field="file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"{path}: cannot be read as UTF-8 text ({exc})", field="file") from None
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise Invalid(f"{path}: the file is empty", field="file")
    return [c.strip() for c in rows[0][1]], rows[1:]


def read_incidence_csv(path: Path) -> IncidenceInput:
    """Read a daily incidence CSV: a column ``local`` (or ``I`` / ``incidence``), optionally
    ``imported`` and ``dates``/``date`` (ISO, consecutive days, ascending), one row a day.
    Column names are case-insensitive. Errors name file, line and column."""
    header, rows = _open_rows(path)
    lower = [h.lower() for h in header]
    local_col = next((lower.index(n) for n in LOCAL_NAMES if n in lower), None)
    if local_col is None:
        raise Invalid(
            f"{path}:1: no incidence column; expected one of 'local', 'I', 'incidence' "
            f"(found {', '.join(header) or 'nothing'})",
            field="local",
        )
    imp_col = lower.index("imported") if "imported" in lower else None
    date_col = next((lower.index(n) for n in DATE_NAMES if n in lower), None)
    if not rows:
        raise Invalid(f"{path}: no data rows after the header", field="file")
    local: list[float] = []
    imported: list[float] | None = [] if imp_col is not None else None
    dates: list[date] | None = [] if date_col is not None else None
    for line, row in rows:
        if len(row) < len(header):
            raise Invalid(
                f"{path}:{line}: {len(row)} fields, the header has {len(header)}", field="file"
            )
        local.append(_number(path, line, header[local_col], row[local_col]))
        if imported is not None and imp_col is not None:
            imported.append(_number(path, line, header[imp_col], row[imp_col]))
        if dates is not None and date_col is not None:
            text = row[date_col].strip()
            try:
                day = date.fromisoformat(text)
            except ValueError:
                raise Invalid(
                    f"{path}:{line}: column {header[date_col]!r}: {text!r} is not an ISO date "
                    "(YYYY-MM-DD)",
                    field=header[date_col],
                ) from None
            if dates and day != dates[-1] + timedelta(days=1):
                raise Invalid(
                    f"{path}:{line}: column {header[date_col]!r}: {text} does not follow "
                    f"{dates[-1].isoformat()}; dates must be consecutive days in ascending "
                    "order",
                    field=header[date_col],
                )
            dates.append(day)
    return IncidenceInput(local, imported, dates)


def read_si_distr_csv(path: Path) -> list[float]:
    """Read a discrete serial-interval distribution: one probability per line for days
    0, 1, 2 …, with an optional header line (e.g. ``si_distr``); the first column is used."""
    header, rows = _open_rows(path)
    try:
        float(header[0])
        rows = [(1, header), *rows]
        name = "si_distr"
    except ValueError:
        name = header[0] or "si_distr"
    values = [_number(path, line, name, row[0] if row else "") for line, row in rows]
    if not values:
        raise Invalid(f"{path}: no probabilities", field="si_distr")
    return values


def _core_error(exc: ValueError, field: str) -> Invalid:
    return Invalid(str(exc), field=field)


def _field_of(message: str) -> str:
    for name in ("t_start", "t_end", "si_distr", "window", "mean_si", "std_si", "prior"):
        if name in message:
            return name
    if "serial interval" in message:
        return "si_mean"
    return "incidence"


def estimate(
    local: Sequence[float] | np.ndarray,
    imported: Sequence[float] | np.ndarray | None = None,
    *,
    method: str | None = None,
    si_distr: Sequence[float] | None = None,
    si_mean: float | None = None,
    si_sd: float | None = None,
    uncertain: UncertainSI | None = None,
    t_start: Sequence[int] | None = None,
    t_end: Sequence[int] | None = None,
    window: int = 7,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    seed: int | None = None,
) -> RtEstimate:
    """Run the estimator, choosing the method from the SI given when ``method`` is None;
    invalid input becomes :class:`Invalid` naming the parameter."""
    if method is None:
        method = "non_parametric_si" if si_distr is not None else "parametric_si"
    if method not in METHODS:
        raise Invalid(f"unknown method {method!r}; one of {', '.join(METHODS)}", field="method")
    if method == "non_parametric_si" and si_distr is None:
        raise Invalid("method non_parametric_si needs a serial-interval distribution",
                      field="si_distr")  # fmt: skip
    if method != "non_parametric_si" and (si_mean is None or si_sd is None):
        raise Invalid(f"method {method} needs the SI mean and sd", field="si_mean")
    if method == "uncertain_si" and uncertain is None:
        raise Invalid("method uncertain_si needs the SI mean/sd uncertainty", field="method")
    try:
        return estimate_r(
            np.asarray(local, dtype=np.float64),
            None if imported is None else np.asarray(imported, dtype=np.float64),
            method=method,
            si_distr=si_distr,
            mean_si=si_mean,
            std_si=si_sd,
            uncertain=uncertain,
            t_start=t_start,
            t_end=t_end,
            window=window,
            mean_prior=mean_prior,
            std_prior=std_prior,
            rng=np.random.default_rng(seed) if method == "uncertain_si" else None,
        )
    except ValueError as exc:
        raise _core_error(exc, _field_of(str(exc))) from None


def estimate_rows(est: RtEstimate, dates: Sequence[date] | None = None) -> list[dict[str, Any]]:
    """One dict per window of a single-series estimate, keys :data:`CSV_COLUMNS` (+ dates)."""
    rows: list[dict[str, Any]] = []
    starts, ends = _window_dates(dates, est.t_start, est.t_end) if dates is not None else ([], [])
    for i in range(est.t_start.size):
        row: dict[str, Any] = {
            "t_start": int(est.t_start[i]),
            "t_end": int(est.t_end[i]),
            "mean": float(est.mean[i]),
            "std": float(est.std[i]),
        }
        for j, q in enumerate(QUANTILES):
            row[f"q{q}"] = float(est.quantiles[i, j])
        if dates is not None:
            row["date_start"] = starts[i].isoformat()
            row["date_end"] = ends[i].isoformat()
        rows.append(row)
    return rows


def rows_to_csv(rows: Sequence[dict[str, Any]], with_dates: bool) -> str:
    """CSV text of :func:`estimate_rows` output; floats at full precision (``repr``)."""
    cols = list(CSV_COLUMNS) + (list(DATE_COLUMNS) if with_dates else [])
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([repr(row[c]) if isinstance(row[c], float) else row[c] for c in cols])
    return out.getvalue()


def _fill_days(
    by_day: dict[date, int], notes: list[str], what: str
) -> tuple[list[date], list[float]]:
    """Consecutive days from the first to the last, negative counts set to 0 and missing
    days counted as 0 — both listed in ``notes``."""
    first, last = min(by_day), max(by_day)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    missing = [d for d in days if d not in by_day]
    negative = [(d, by_day[d]) for d in days if by_day.get(d, 0) < 0]
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:10])
        notes.append(
            f"{len(missing)} day(s) without a figure counted as 0 {what}: {shown}"
            f"{' …' if len(missing) > 10 else ''}"
        )
    if negative:
        shown = ", ".join(f"{d.isoformat()} ({v})" for d, v in negative)
        notes.append(
            f"negative daily {what} (publisher's corrections of earlier days) set to 0 for "
            f"the estimator: {shown}"
        )
    return days, [float(max(by_day.get(d, 0), 0)) for d in days]


def report_incidence(
    engine: Engine,
    region_code: str,
    *,
    source: str | None,
    date_from: date | None,
    date_to: date | None,
    priority: tuple[str, ...],
) -> dict[str, Any]:
    """A region's new confirmed cases by report date from one source, as consecutive days
    up to ``date_to`` (all earlier days too: they are infectors of the first windows)."""
    picked = daily_series(engine, region_code, date_from=date_from, date_to=date_to,
                          source=source, priority=priority, limit=1)  # fmt: skip
    chosen = picked["source"]
    if chosen is None:
        raise NotFound(f"region {region_code} has no daily figures", field="region_code")
    series = daily_series(engine, region_code, date_from=None, date_to=date_to, source=chosen,
                          priority=priority, limit=100_000)  # fmt: skip
    notes: list[str] = []
    by_day: dict[date, int] = {}
    imported: dict[date, int] = {}
    no_value = []
    for item in series["items"]:
        day = date.fromisoformat(item["report_date"])
        if item["new_confirmed"] is None:
            no_value.append(day)
            continue
        by_day[day] = int(item["new_confirmed"])
        if item["new_confirmed_imported"] is not None:
            imported[day] = int(item["new_confirmed_imported"])
    if not by_day:
        raise NotFound(f"region {region_code} has no new confirmed figures from {chosen}",
                       field="source")  # fmt: skip
    if no_value:
        notes.append(f"{len(no_value)} stored day(s) without new_confirmed counted as 0")
    days, total = _fill_days(by_day, notes, "new confirmed cases")
    imp: list[float] | None = None
    if any(imported.get(d, 0) > 0 for d in days):
        imp = [float(min(max(imported.get(d, 0), 0), t)) for d, t in zip(days, total, strict=True)]
        total = [t - i for t, i in zip(total, imp, strict=True)]
        notes.append(
            "imported cases (new_confirmed_imported) infect others but are not counted as "
            "local transmission; days without the figure count as 0 imported"
        )
    return {"source": chosen, "available_sources": series["available_sources"],
            "dates": days, "local": total, "imported": imp, "notes": notes}  # fmt: skip


def onset_incidence(engine: Engine, region_code: str, *, source: str | None) -> dict[str, Any]:
    """Cases of the region's sub-tree in the line list, counted by onset date (cases
    without an onset date are left out, and counted in ``notes``)."""
    get_region(engine, region_code)
    src = source or ONSET_SOURCE
    codes = subtree_codes(engine, region_code)
    c = m.CaseRecordRow
    where = (c.region_code.in_(codes), c.source == src)
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.onset_date, func.count()).where(*where, c.onset_date.is_not(None))
            .group_by(c.onset_date)
        ).all()  # fmt: skip
        no_onset = conn.execute(
            select(func.count()).select_from(c).where(*where, c.onset_date.is_(None))
        ).scalar_one()
        latest = conn.execute(
            select(func.max(c.confirmation_date), func.max(c.report_date)).where(*where)
        ).one()
    if not rows:
        raise NotFound(
            f"no cases with an onset date in region {region_code} from source {src!r}",
            field="source",
        )
    notes = (
        [f"{int(no_onset):,} case(s) of the line list without an onset date left out"]
        if no_onset
        else []
    )
    by_day: dict[date, int] = {d: int(n) for d, n in rows if d is not None}
    last_known = max((d for d in latest if d is not None), default=None)
    if last_known is not None:
        late = {d: n for d, n in by_day.items() if d > last_known}
        if late:
            notes.append(
                f"{sum(late.values())} case(s) with an onset date after the last confirmation "
                f"or report date of the list ({last_known.isoformat()}) left out as impossible: "
                + ", ".join(d.isoformat() for d in sorted(late))
            )
            by_day = {d: n for d, n in by_day.items() if d <= last_known}
    if not by_day:
        raise NotFound(f"no plausible onset dates in region {region_code}", field="source")
    days, counts = _fill_days(by_day, notes, "cases by onset")
    return {"source": src, "available_sources": [src], "dates": days, "local": counts,
            "imported": None, "notes": notes}  # fmt: skip


def region_rt(
    engine: Engine,
    region_code: str,
    *,
    si_mean: float,
    si_sd: float,
    window: int = 7,
    date_from: date | None = None,
    date_to: date | None = None,
    source: str | None = None,
    basis: str = "report",
    priority: tuple[str, ...] = (),
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
) -> dict[str, Any]:
    """R_t of a stored region over weekly (or ``window``-day) sliding windows.

    ``basis`` is ``report`` (daily new confirmed by report date) or ``onset`` (line-list
    cases by onset date). The whole series up to ``date_to`` feeds the infectivity;
    windows ending within ``[date_from, date_to]`` are returned. The SI is EpiEstim's
    discretised offset gamma with mean ``si_mean`` and sd ``si_sd`` (days).
    """
    if date_from and date_to and date_from > date_to:
        raise Invalid("'from' is after 'to'", field="from")
    if not (isinstance(window, int) and 1 <= window <= 365):
        raise Invalid("window must be a whole number of days in 1..365", field="window")
    if not si_mean > 1:
        raise Invalid("si_mean must be > 1 day (EpiEstim's offset gamma)", field="si_mean")
    if not si_sd > 0:
        raise Invalid("si_sd must be > 0", field="si_sd")
    if basis == "report":
        data = report_incidence(engine, region_code, source=source, date_from=date_from,
                                date_to=date_to, priority=priority)  # fmt: skip
    elif basis == "onset":
        data = onset_incidence(engine, region_code, source=source)
        if date_to is not None:
            keep = [i for i, d in enumerate(data["dates"]) if d <= date_to]
            data["dates"] = [data["dates"][i] for i in keep]
            data["local"] = [data["local"][i] for i in keep]
    else:
        raise Invalid("basis must be 'report' or 'onset'", field="basis")
    dates: list[date] = data["dates"]
    if len(dates) < window + 1:
        raise Invalid(
            f"{len(dates)} day(s) of data for region {region_code}: a {window}-day window "
            f"needs at least {window + 1}",
            field="window",
        )
    try:
        est = estimate_r(
            np.asarray(data["local"]),
            None if data["imported"] is None else np.asarray(data["imported"]),
            method="parametric_si",
            mean_si=si_mean,
            std_si=si_sd,
            window=window,
            mean_prior=mean_prior,
            std_prior=std_prior,
        )
    except ValueError as exc:
        raise _core_error(exc, _field_of(str(exc))) from None
    rows = [
        r
        for r in estimate_rows(est, dates)
        if (date_from is None or r["date_end"] >= date_from.isoformat())
        and (date_to is None or r["date_end"] <= date_to.isoformat())
    ]
    return {
        "region_code": region_code,
        "basis": basis,
        "source": data["source"],
        "available_sources": data["available_sources"],
        "method": "parametric_si",
        "si_mean": si_mean,
        "si_sd": si_sd,
        "window": window,
        "mean_prior": mean_prior,
        "std_prior": std_prior,
        "series_start": dates[0].isoformat(),
        "series_end": dates[-1].isoformat(),
        "items": rows,
        "notes": data["notes"],
        "warnings": list(est.warnings),
        "reference": "Cori A et al. Am J Epidemiol 2013;178:1505-1512 (EpiEstim estimate_R)",
    }
