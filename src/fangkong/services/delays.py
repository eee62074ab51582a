"""Delay distributions and growth rates for stored data and for files.

Stored data: the growth rate of a region's daily new confirmed cases (one source, as the
daily series gives it) and delay distributions from the line list (``case_records``:
onset to confirmation, onset to report), which needs ``READ_CASES`` within the actor's
jurisdiction. Files (the CLI): Tindale et al. cluster line lists for serial intervals
and incubation periods, any line list with onset and confirmation dates, and incidence
CSVs. The numerics live in ``core.epi.delays``, ``core.epi.intervals`` and
``core.epi.growth``; this module selects the data, checks it and reports every
observation it could not use.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from fangkong.core.access import WORLD, Actor, Permission
from fangkong.core.epi import delays as dl
from fangkong.core.epi import growth as gr
from fangkong.core.epi import intervals as iv
from fangkong.core.importing.case_beoutbreak import messy_date
from fangkong.core.regions import RegionTree
from fangkong.services.auth import authorize
from fangkong.services.cases import subtree_codes
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.regions import daily_series, get_region
from fangkong.store import models as m

C = m.CaseRecordRow
STORED_KINDS = {"onset_to_confirmation": "confirmation_date", "onset_to_report": "report_date"}
FILE_KINDS = ("serial", "incubation", "onset-to-confirmation")
DIST_CHOICES = ("best", *dl.FAMILIES)
MAX_BOOTSTRAP = 5000


def _families(dist: str, data: dl.DelayData) -> tuple[str, ...] | None:
    if dist not in DIST_CHOICES:
        raise Invalid(f"dist must be one of {', '.join(DIST_CHOICES)}", field="dist")
    return None if dist == "best" else (dist,)


def fit_report(
    data: dl.DelayData,
    *,
    dist: str = "best",
    censoring: str = "double",
    bootstrap: int = 0,
    seed: int | None = None,
) -> dict[str, Any]:
    """Fit the requested family (or every candidate, ``best``) and describe the fits,
    best AIC first, with ΔAIC. Too few observations or an impossible family is
    :class:`Invalid` (422), never a crash."""
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise Invalid(f"bootstrap must be 0..{MAX_BOOTSTRAP}", field="bootstrap")
    families = _families(dist, data)
    rng = np.random.default_rng(seed) if bootstrap else None
    try:
        fits = dl.fit_all(data, families, censoring=censoring, bootstrap=bootstrap, rng=rng)
    except dl.TooFewObservations as exc:
        raise Invalid(str(exc), field="data") from exc
    except ValueError as exc:
        raise Invalid(str(exc), field="dist") from exc
    out = []
    for fit, delta in zip(fits, dl.delta_aic(fits), strict=True):
        item = fit.as_dict()
        item["delta_aic"] = delta
        out.append(item)
    return {
        "n": data.n,
        "censoring": censoring,
        "best": out[0]["family"],
        "fits": out,
        "bootstrap_seed": seed if bootstrap else None,
    }


# --- stored data ----------------------------------------------------------------------


def region_growth(
    engine: Engine,
    region_code: str,
    *,
    date_from: date | None,
    date_to: date | None,
    source: str | None,
    model: str,
    priority: tuple[str, ...],
) -> dict[str, Any]:
    """Growth rate of daily new confirmed cases of one region over ``from..to``.

    Days whose figure was not reported are left out (a gap, not a zero). A negative
    daily figure (a publisher's correction) cannot be a Poisson count: the request is
    refused naming those dates, so the user can choose a window without them.
    """
    if model not in gr.MODELS:
        raise Invalid(f"model must be one of {', '.join(gr.MODELS)}", field="model")
    series = daily_series(
        engine,
        region_code,
        date_from=date_from,
        date_to=date_to,
        source=source,
        priority=priority,
        limit=100_000,
    )
    if series["source"] is None:
        raise Invalid(f"region {region_code} has no daily figures", field="region_code")
    points = [
        (date.fromisoformat(i["report_date"]), i["new_confirmed"])
        for i in series["items"]
        if i["new_confirmed"] is not None
    ]
    negative = [d.isoformat() for d, v in points if v < 0]
    if negative:
        raise Invalid(
            f"negative daily counts (corrections) on {', '.join(negative[:10])}: "
            "choose a window without them",
            field="from",
        )
    if not points:
        raise Invalid("no reported days in the window", field="from")
    first = points[0][0]
    try:
        fit = gr.fit_growth(
            [(d - first).days for d, _ in points], [v for _, v in points], model=model
        )
    except gr.GrowthError as exc:
        raise Invalid(str(exc), field="from") from exc
    return {
        "region_code": region_code,
        "source": series["source"],
        "available_sources": series["available_sources"],
        "measure": "new_confirmed",
        "from": first.isoformat(),
        "to": points[-1][0].isoformat(),
        "missing_days": (points[-1][0] - first).days + 1 - len(points),
        **fit.as_dict(),
    }


def region_delays(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    region_code: str | None,
    kind: str,
    source: str | None,
    dist: str = "best",
    bootstrap: int = 200,
    seed: int = 1,
) -> dict[str, Any]:
    """Delay from symptom onset to confirmation (or report) in the stored line list.

    Needs ``READ_CASES``; without ``region_code`` the actor's whole jurisdiction is used.
    Both dates are day-resolution, so the fit is doubly interval-censored. Negative
    delays (confirmed before symptom onset: pre-symptomatic detection or a date error)
    are counted and left out, because onset-to-confirmation is a positive delay.
    """
    if kind not in STORED_KINDS:
        raise Invalid(f"kind must be one of {', '.join(STORED_KINDS)}", field="kind")
    if region_code is None and actor.jurisdiction != WORLD:
        region_code = actor.jurisdiction
    if region_code is not None:
        get_region(engine, region_code)
    authorize(actor, Permission.READ_CASES, region_code, tree if region_code else None)
    end_col = getattr(C, STORED_KINDS[kind])
    query = select(C.onset_date, end_col).where(C.onset_date.is_not(None), end_col.is_not(None))
    if region_code is not None:
        query = query.where(C.region_code.in_(subtree_codes(engine, region_code)))
    if source is not None:
        query = query.where(C.source == source)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows and source is not None:
        with engine.connect() as conn:
            known = conn.execute(select(C.source).where(C.source == source).limit(1)).first()
        if known is None:
            raise NotFound(f"no cases from source {source!r}", field="source")
    delays = [(end - onset).days for onset, end in rows]
    kept = [d for d in delays if d >= 0]
    report = fit_report(dl.DelayData.from_days(kept), dist=dist, bootstrap=bootstrap, seed=seed)
    return {
        "region_code": region_code,
        "kind": kind,
        "source": source,
        "excluded_negative": len(delays) - len(kept),
        **report,
    }


# --- files (CLI) ----------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror}", field="file") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid(f"{path} is neither UTF-8 nor GB18030 text", field="file")


_ONSET = ("onset_date", "date_onset_symptoms", "symptom_onset")
_CONFIRM = ("confirmation_date", "date_confirmation", "confirm_date")


def _any_date(text: str) -> date | None:
    s = text.strip()
    if not s or s.upper() == "NA":
        return None
    for parse in (date.fromisoformat, _dmy):
        try:
            return parse(s)
        except ValueError:
            continue
    iso, _note, _bad = messy_date(s)
    return date.fromisoformat(iso) if iso else None


def _dmy(text: str) -> date:
    sep = "/" if "/" in text else "."
    day, month, year = (int(p) for p in text.split(sep))
    return date(year, month, day)


def onset_confirmation_from_text(text: str) -> tuple[list[int], list[str]]:
    """Onset-to-confirmation delays (days) of a line list with onset and confirmation
    columns (fangkong, beoutbreakprepared or Tindale layouts); and one note per row that
    could not be used (line, reason)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    onset_col = next((c for c in _ONSET if c in header), None)
    confirm_col = next((c for c in _CONFIRM if c in header), None)
    if onset_col is None or confirm_col is None:
        raise Invalid(
            f"the line list needs an onset column ({', '.join(_ONSET)}) and a confirmation "
            f"column ({', '.join(_CONFIRM)})",
            field="file",
        )
    reader.fieldnames = header
    delays: list[int] = []
    skipped: list[str] = []
    for line, row in enumerate(reader, start=2):
        try:
            onset = _any_date(row.get(onset_col) or "")
            confirmed = _any_date(row.get(confirm_col) or "")
        except ValueError:
            skipped.append(f"line {line}: unreadable date")
            continue
        if onset is None or confirmed is None:
            continue
        delay = (confirmed - onset).days
        if delay < 0:
            skipped.append(f"line {line}: confirmed {-delay} day(s) before onset")
            continue
        delays.append(delay)
    return delays, skipped


def file_delays(
    path: Path,
    kind: str,
    *,
    dist: str = "best",
    bootstrap: int = 0,
    seed: int | None = None,
    censoring: str = "double",
) -> dict[str, Any]:
    """Delay fits from a line-list file (see :func:`region_delays` for the model).

    ``serial`` needs a Tindale et al. cluster line list: it fits the direct
    infector-infectee pairs (signed when the file names sources, i.e. Tianjin) and also
    gives the interval case-to-case estimate of Vink et al. that the paper published.
    ``incubation`` uses the exposure windows of the same files.
    """
    if kind not in FILE_KINDS:
        raise Invalid(f"kind must be one of {', '.join(FILE_KINDS)}", field="kind")
    if censoring not in dl.CENSORING:
        raise Invalid(f"censoring must be one of {', '.join(dl.CENSORING)}", field="censoring")
    text = _read_text(path)
    notes: list[str] = []
    extra: dict[str, Any] = {}
    if kind == "onset-to-confirmation":
        days, notes = onset_confirmation_from_text(text)
        data = dl.DelayData.from_days(days)
    else:
        try:
            layout, cases = iv.read_cluster_linelist(text)
        except ValueError as exc:
            raise Invalid(str(exc), field="file") from exc
        extra["layout"] = layout
        if kind == "serial":
            direction = "listed" if layout == "tianjin" else "onset"
            pairs = iv.serial_interval_pairs(cases, direction)
            data = dl.DelayData.from_days([p.interval for p in pairs])
            extra["pairing"] = direction
            extra["pairs"] = len(pairs)
            extra["icc"] = icc_estimate(cases, layout, bootstrap=bootstrap, seed=seed)
        else:
            data = dl.DelayData.from_windows(iv.incubation_windows(cases))
    report = fit_report(data, dist=dist, censoring=censoring, bootstrap=bootstrap, seed=seed)
    return {"file": str(path), "kind": kind, **extra, **report, "skipped": notes}


def icc_estimate(
    cases: list[iv.ClusterCase], layout: str, *, bootstrap: int, seed: int | None, k: int = 4
) -> dict[str, Any]:
    """Tindale et al.'s published serial-interval estimate: Vink et al. mixture on ICC
    intervals (K = 4); CI = estimate ± 1.96 × bootstrap sd of the mean, as in the paper."""
    icc = iv.icc_intervals(cases, k, bridge_missing_onset=layout == "singapore")
    try:
        est = iv.vink_mixture(icc)
    except ValueError as exc:
        return {"error": str(exc), "n_intervals": len(icc)}
    out: dict[str, Any] = {"n_intervals": len(icc), "k": k, "mean": est.mean, "sd": est.sd}
    if bootstrap:
        reps = iv.vink_bootstrap(icc, min(bootstrap, 200), np.random.default_rng(seed))
        spread = float(np.std(reps[:, 0], ddof=1))
        out["mean_ci95"] = [est.mean - 1.96 * spread, est.mean + 1.96 * spread]
        out["bootstrap_replicates"] = int(reps.shape[0])
    return out


_DATE_COLS = ("date", "report_date", "onset_date", "dates")
_COUNT_COLS = ("count", "new_confirmed", "cases", "incidence", "I", "local", "confirm")


def file_growth(
    path: Path, *, date_from: date | None, date_to: date | None, model: str
) -> dict[str, Any]:
    """Growth rate from an incidence CSV with a date column and a daily count column."""
    if model not in gr.MODELS:
        raise Invalid(f"model must be one of {', '.join(gr.MODELS)}", field="model")
    if date_from and date_to and date_from > date_to:
        raise Invalid("'from' is after 'to'", field="from")
    reader = csv.DictReader(io.StringIO(_read_text(path).lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    date_col = next((c for c in _DATE_COLS if c in header), None)
    count_col = next((c for c in _COUNT_COLS if c in header), None)
    if date_col is None or count_col is None:
        raise Invalid(
            f"the incidence file needs a date column ({', '.join(_DATE_COLS)}) and a count "
            f"column ({', '.join(_COUNT_COLS)})",
            field="file",
        )
    reader.fieldnames = header
    points: list[tuple[date, int]] = []
    for line, row in enumerate(reader, start=2):
        try:
            day = _any_date(row.get(date_col) or "")
            raw = (row.get(count_col) or "").strip()
            value = int(float(raw)) if raw else None
        except ValueError as exc:
            raise Invalid(f"line {line}: {exc}", field="file") from exc
        if day is None or value is None:
            continue
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        points.append((day, value))
    points.sort()
    if not points:
        raise Invalid("no dated counts in the window", field="from")
    first = points[0][0]
    try:
        fit = gr.fit_growth([(d - first).days for d, _ in points], [v for _, v in points], model)
    except gr.GrowthError as exc:
        raise Invalid(str(exc), field="file") from exc
    return {
        "file": str(path),
        "from": first.isoformat(),
        "to": points[-1][0].isoformat(),
        **fit.as_dict(),
    }
