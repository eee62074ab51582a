"""Nowcasts of the onset-date curve from case line lists (stored or in a file).

The model is :func:`fangkong.core.epi.nowcast.nowcast` (multiplicative delay model by
reverse-time hazards, Lawless 1994; Bayesian intervals after Höhle & an der Heiden
2014). A case enters when it has an onset date and a report event: its ``report_date``
or, when the list has no report dates (the beoutbreakprepared lists), its
``confirmation_date``. Cases reported after the cut-off are not known at the cut-off and
are ignored; cases reported before their onset (pre-symptomatic detection or a date
error) cannot inform a reporting delay and are left out; both are counted in
``notes``. The defaults (:data:`DEFAULTS`) are those of the backtest in
``scripts/validation/nowcast.py`` (``docs/validation/nowcast.md``).

Stored line lists are case-level data: reading them needs ``READ_CASES`` within the
actor's jurisdiction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Engine, select

from fangkong.core.access import Actor, Permission
from fangkong.core.epi.nowcast import nowcast, reporting_triangle
from fangkong.core.importing.case_beoutbreak import messy_date
from fangkong.core.privacy.csv_safety import SafeWriter
from fangkong.core.regions import RegionTree
from fangkong.services.auth import authorize
from fangkong.services.cases import subtree_codes
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.regions import get_region
from fangkong.store import models as m

#: Settings used unless the caller gives others (see the module docstring).
DEFAULTS: dict[str, Any] = {
    "max_delay": 10,
    "delay_window": 14,
    "prior": "level",
    "prior_shape": 1.0,
    "n_draws": 2000,
    "days": 28,
}
REPORT_EVENTS = ("auto", "report_date", "confirmation_date")
REFERENCE = (
    "multiplicative reporting-delay model by reverse-time hazards (Kalbfleisch & Lawless "
    "1991; Lawless, Can J Stat 1994) with Bayesian intervals after Höhle & an der Heiden, "
    "Biometrics 2014"
)
C = m.CaseRecordRow


def nowcast_pairs(
    pairs: Sequence[tuple[date, date]],
    *,
    cutoff: date | None = None,
    max_delay: int = DEFAULTS["max_delay"],
    delay_window: int | None = DEFAULTS["delay_window"],
    days: int = DEFAULTS["days"],
    seed: int | None = 1,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """Nowcast from ``(onset_date, report_date)`` pairs as known at ``cutoff`` (default:
    the last report date). Returns the last ``days`` onset days with reported counts,
    the nowcast (median, mean, 90%/95% intervals) and the completeness."""
    notes = list(notes or [])
    if not 0 <= max_delay <= 60:
        raise Invalid("max_delay must be 0..60 days", field="max_delay")
    if delay_window is not None and not 1 <= delay_window <= 365:
        raise Invalid("delay_window must be 1..365 days", field="delay_window")
    if not 1 <= days <= 365:
        raise Invalid("days must be 1..365", field="days")
    if not pairs:
        raise Invalid("no case has both an onset date and a report date", field="file")
    last_report = max(r for _, r in pairs)
    cut = cutoff or last_report
    known = [(o, r) for o, r in pairs if r <= cut]
    if len(known) < len(pairs):
        notes.append(
            f"{len(pairs) - len(known)} case(s) reported after the cut-off "
            f"{cut.isoformat()} are not known at the cut-off and were ignored"
        )
    backwards = [(o, r) for o, r in known if r < o]
    if backwards:
        notes.append(
            f"{len(backwards)} case(s) reported before their onset date left out "
            "(a reporting delay cannot be negative)"
        )
    kept = [(o, r) for o, r in known if r >= o]
    if not kept:
        raise Invalid(
            f"no case with onset and report dates is known by {cut.isoformat()}", field="cutoff"
        )
    first = min(o for o, _ in kept)
    n_days = (cut - first).days + 1
    onset = np.array([(o - first).days for o, _ in kept], dtype=np.int64)
    report = np.array([(r - first).days for _, r in kept], dtype=np.int64)
    tri = reporting_triangle(onset, report, n_days, max_delay)
    nc = nowcast(
        tri,
        np.random.default_rng(seed),
        n_draws=DEFAULTS["n_draws"],
        delay_window=delay_window,
        prior=DEFAULTS["prior"],
        prior_shape=DEFAULTS["prior_shape"],
    )
    lv = {q: i for i, q in enumerate(nc.levels)}
    items = []
    for t in range(max(0, n_days - days), n_days):
        q = nc.quantiles[t]
        items.append(
            {
                "onset_date": (first + timedelta(days=t)).isoformat(),
                "reported": int(nc.reported[t]),
                "completeness": float(nc.completeness[t]),
                "median": float(nc.median[t]),
                "mean": float(nc.mean[t]),
                **{f"q{k:g}": float(q[lv[k]]) for k in (0.025, 0.05, 0.25, 0.75, 0.95, 0.975)},
            }
        )
    return {
        "cutoff": cut.isoformat(),
        "cases": len(kept),
        "max_delay": max_delay,
        "delay_window": delay_window,
        "prior": nc.prior,
        "prior_level": nc.prior_level if np.isfinite(nc.prior_level) else None,
        "seed": seed,
        "delay_pmf": [float(p) for p in nc.delay_pmf],
        "items": items,
        "notes": notes,
        "reference": REFERENCE,
    }


def region_nowcast(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    region_code: str,
    *,
    cutoff: date | None = None,
    source: str | None = None,
    report_event: str = "auto",
    max_delay: int = DEFAULTS["max_delay"],
    delay_window: int | None = DEFAULTS["delay_window"],
    days: int = DEFAULTS["days"],
    seed: int | None = 1,
) -> dict[str, Any]:
    """Nowcast of the stored line list of a region's sub-tree (``READ_CASES``)."""
    get_region(engine, region_code)
    authorize(actor, Permission.READ_CASES, region_code, tree)
    if report_event not in REPORT_EVENTS:
        raise Invalid(
            f"report_event must be one of {', '.join(REPORT_EVENTS)}", field="report_event"
        )
    codes = subtree_codes(engine, region_code)
    where: list[ColumnElement[bool]] = [C.region_code.in_(codes), C.onset_date.is_not(None)]
    if source is not None:
        where.append(C.source == source)
    with engine.connect() as conn:
        rows = conn.execute(
            select(C.onset_date, C.report_date, C.confirmation_date).where(*where)
        ).all()
    if not rows:
        raise NotFound(
            f"no cases with an onset date in region {region_code}"
            + (f" from source {source!r}" if source else ""),
            field="region_code",
        )
    event = report_event
    if event == "auto":
        event = "report_date" if any(r[1] is not None for r in rows) else "confirmation_date"
    col = 1 if event == "report_date" else 2
    pairs: list[tuple[date, date]] = []
    for row in rows:
        onset, reported = row[0], row[col]
        if onset is not None and reported is not None:
            pairs.append((onset, reported))
    notes = [f"report event: {event}"]
    if len(pairs) < len(rows):
        notes.append(f"{len(rows) - len(pairs)} case(s) with an onset date but no {event} left out")
    out = nowcast_pairs(
        pairs,
        cutoff=cutoff,
        max_delay=max_delay,
        delay_window=delay_window,
        days=days,
        seed=seed,
        notes=notes,
    )
    return {"region_code": region_code, "source": source, "report_event": event, **out}


_ONSET = ("onset_date", "date_onset_symptoms", "symptom_onset")
_REPORT = ("report_date", "confirmation_date", "date_confirmation", "confirm_date")


def _parse(text: str) -> date | None:
    s = text.strip()
    if not s:
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    iso, _note, error = messy_date(s)
    if error:
        raise ValueError(s)
    return date.fromisoformat(iso) if iso else None


def read_linelist(path: Path) -> tuple[list[tuple[date, date]], list[str], str]:
    """``(onset, report)`` pairs of a line-list CSV (fangkong layout with
    ``onset_date`` and ``report_date``/``confirmation_date``, or the beoutbreakprepared
    layout), the rows left out (line and reason) and the report column used."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror}", field="file") from None
    skipped: list[str] = []
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        # Only the date columns are read, and dates are ASCII: stray bytes elsewhere
        # (the outside-Hubei list has some) need not stop the nowcast.
        text = raw.decode("utf-8-sig", errors="replace")
        skipped.append("file: bytes that are not UTF-8 were replaced (text columns only)")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    onset_col = next((c for c in _ONSET if c in header), None)
    report_col = next((c for c in _REPORT if c in header), None)
    if onset_col is None or report_col is None:
        raise Invalid(
            f"{path}: the line list needs an onset column ({', '.join(_ONSET)}) "
            f"and a report column ({', '.join(_REPORT)})",
            field="file",
        )
    reader.fieldnames = header
    pairs: list[tuple[date, date]] = []
    for row in reader:
        line = reader.line_num
        try:
            onset = _parse(row.get(onset_col) or "")
            reported = _parse(row.get(report_col) or "")
        except ValueError as exc:
            skipped.append(f"line {line}: {exc.args[0]!r} is not a date")
            continue
        if onset is None or reported is None:
            continue
        pairs.append((onset, reported))
    return pairs, skipped, report_col


def file_nowcast(
    path: Path, *, cutoff: date | None = None, seed: int | None = 1, days: int = DEFAULTS["days"]
) -> dict[str, Any]:
    """Nowcast of a line-list file (see :func:`read_linelist`)."""
    pairs, skipped, col = read_linelist(path)
    notes = [f"report event: {col}"]
    if skipped:
        notes.append(
            f"{len(skipped)} problem(s) with rows or bytes (unreadable dates are left out): "
            + "; ".join(skipped[:10])
            + (" …" if len(skipped) > 10 else "")
        )
    out = nowcast_pairs(pairs, cutoff=cutoff, seed=seed, days=days, notes=notes)
    return {"file": str(path), "report_event": col, **out}


def items_to_csv(items: Sequence[dict[str, Any]]) -> str:
    """CSV of nowcast items."""
    if not items:
        return ""
    cols = list(items[0])
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(cols)
    for it in items:
        writer.writerow([repr(it[c]) if isinstance(it[c], float) else it[c] for c in cols])
    return out.getvalue()
