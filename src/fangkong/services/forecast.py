"""Forecasts of daily new confirmed cases for incidence files and stored regions.

The model is :func:`fangkong.core.epi.forecast.forecast_renewal` (renewal equation, R
from the Cori et al. posterior of the last window, damped random walk on log R,
negative-binomial counts); the serial interval is EpiEstim's discretised offset gamma
with the given mean and sd. The defaults (:data:`DEFAULTS`) are those chosen on the
tuning part of the backtest in ``scripts/validation/forecast.py`` (see
``docs/validation/forecast.md``).

Stored series are read as the R_t service reads them
(:func:`fangkong.services.rt.report_incidence`: one source, missing days and negative
corrections counted as 0, both reported in ``notes``); imported cases are added back,
since every reported case is forecast.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine

from fangkong.core.epi.forecast import Forecast, forecast_renewal
from fangkong.core.epi.serial_interval import discr_si
from fangkong.core.privacy.csv_safety import SafeWriter
from fangkong.services.errors import Invalid
from fangkong.services.rt import report_incidence

#: Model settings used unless the caller gives others.
DEFAULTS: dict[str, Any] = {
    "window": 7,
    "damping": 0.9,
    "rw_sd": 0.05,
    "n_samples": 2000,
    "si_mean": 4.7,  # Nishiura H et al. Int J Infect Dis 2020;93:284-286
    "si_sd": 2.9,
}
MAX_HORIZON = 28
REFERENCE = (
    "renewal equation (Fraser 2007; Cori et al. Am J Epidemiol 2013) with R from the Cori "
    "posterior of the last window, damped random walk on log R, negative-binomial counts; "
    "scored by the weighted interval score (Bracher et al. PLoS Comput Biol 2021)"
)


def _check(horizon: int, si_mean: float, si_sd: float, window: int, seed: int | None) -> None:
    if not (isinstance(horizon, int) and 1 <= horizon <= MAX_HORIZON):
        raise Invalid(
            f"horizon must be a whole number of days in 1..{MAX_HORIZON}", field="horizon"
        )
    if not si_mean > 1:
        raise Invalid("si_mean must be > 1 day (EpiEstim's offset gamma)", field="si_mean")
    if not si_sd > 0:
        raise Invalid("si_sd must be > 0", field="si_sd")
    if not (isinstance(window, int) and 1 <= window <= 90):
        raise Invalid("window must be a whole number of days in 1..90", field="window")
    if seed is not None and not 0 <= seed < 2**63:
        raise Invalid("seed must be a non-negative integer", field="seed")


def forecast_counts(
    counts: Sequence[float] | np.ndarray,
    *,
    horizon: int,
    si_mean: float = DEFAULTS["si_mean"],
    si_sd: float = DEFAULTS["si_sd"],
    window: int = DEFAULTS["window"],
    seed: int | None = 1,
    dates: Sequence[date] | None = None,
) -> dict[str, Any]:
    """Forecast the ``horizon`` days after a daily series (non-negative counts, oldest
    first; ``dates`` optional, consecutive). Same ``seed``, same answer."""
    _check(horizon, si_mean, si_sd, window, seed)
    y = np.asarray(counts, dtype=np.float64)
    if y.size < window + 1:
        raise Invalid(
            f"{y.size} day(s) of data: a {window}-day window needs at least {window + 1}",
            field="window",
        )
    if not np.all(np.isfinite(y)) or np.any(y < 0):
        raise Invalid("counts must be finite and non-negative", field="incidence")
    if y[-window:].sum() == 0 and y.sum() == 0:
        raise Invalid(
            "the series has no cases at all: there is nothing to project", field="incidence"
        )
    w = discr_si(np.arange(y.size + horizon + 1), si_mean, si_sd)
    try:
        f = forecast_renewal(
            y,
            w,
            horizon,
            np.random.default_rng(seed),
            window=window,
            damping=DEFAULTS["damping"],
            rw_sd=DEFAULTS["rw_sd"],
            n_samples=DEFAULTS["n_samples"],
        )
    except ValueError as exc:
        raise Invalid(str(exc), field="incidence") from None
    return {
        "horizon": horizon,
        "si_mean": si_mean,
        "si_sd": si_sd,
        "window": window,
        "damping": DEFAULTS["damping"],
        "rw_sd": DEFAULTS["rw_sd"],
        "n_samples": DEFAULTS["n_samples"],
        "seed": seed,
        "r_last_window": _r_summary(f),
        "dispersion": None if not np.isfinite(f.dispersion) else f.dispersion,
        "items": forecast_items(f, y.size, dates),
        "reference": REFERENCE,
    }


def _r_summary(f: Forecast) -> dict[str, float]:
    from scipy import stats

    return {
        "mean": f.r_shape * f.r_scale,
        "q0.025": float(stats.gamma.ppf(0.025, f.r_shape, scale=f.r_scale)),
        "q0.975": float(stats.gamma.ppf(0.975, f.r_shape, scale=f.r_scale)),
    }


def forecast_items(f: Forecast, n_days: int, dates: Sequence[date] | None) -> list[dict[str, Any]]:
    """One dict per forecast day: ``day`` (1-based day of the series), ``date`` when
    known, ``mean``, quantiles ``q0.025 … q0.975`` and the median R of the paths."""
    items: list[dict[str, Any]] = []
    last = dates[-1] if dates else None
    mid = f.levels.index(0.5)
    for h in range(f.quantiles.shape[0]):
        item: dict[str, Any] = {"day": n_days + h + 1}
        if last is not None:
            item["date"] = (last + timedelta(days=h + 1)).isoformat()
        item["mean"] = float(f.mean[h])
        for j, q in enumerate(f.levels):
            item[f"q{q:g}"] = float(f.quantiles[h, j])
        item["r_median"] = float(f.r_quantiles[h, mid])
        items.append(item)
    return items


def items_to_csv(items: Sequence[dict[str, Any]]) -> str:
    """CSV of forecast items (columns in their order; floats at full precision)."""
    if not items:
        return ""
    cols = list(items[0])
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(cols)
    for it in items:
        writer.writerow([repr(it[c]) if isinstance(it[c], float) else it.get(c) for c in cols])
    return out.getvalue()


def to_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=1)


def region_forecast(
    engine: Engine,
    region_code: str,
    *,
    horizon: int = 14,
    si_mean: float = DEFAULTS["si_mean"],
    si_sd: float = DEFAULTS["si_sd"],
    window: int = DEFAULTS["window"],
    forecast_from: date | None = None,
    source: str | None = None,
    priority: tuple[str, ...] = (),
    seed: int | None = 1,
) -> dict[str, Any]:
    """Forecast a stored region's daily new confirmed cases by report date.

    The forecast starts on ``forecast_from`` (default: the day after the last stored
    day) and uses the data before it; where the forecast days are already stored (a
    backtest), their reported counts are returned as ``observed``.
    """
    _check(horizon, si_mean, si_sd, window, seed)
    to = None if forecast_from is None else forecast_from - timedelta(days=1)
    data = report_incidence(
        engine, region_code, source=source, date_from=None, date_to=to, priority=priority
    )
    dates: list[date] = data["dates"]
    counts = np.asarray(data["local"], dtype=np.float64)
    if data["imported"] is not None:
        counts = counts + np.asarray(data["imported"], dtype=np.float64)
    notes = list(data["notes"])
    if to is not None and dates[-1] < to:
        gap = (to - dates[-1]).days
        notes.append(f"no figures for the {gap} day(s) before {forecast_from}: counted as 0")
        dates = dates + [dates[-1] + timedelta(days=i) for i in range(1, gap + 1)]
        counts = np.concatenate([counts, np.zeros(gap)])
    out = forecast_counts(
        counts, horizon=horizon, si_mean=si_mean, si_sd=si_sd, window=window, seed=seed, dates=dates
    )
    observed = _observed(engine, region_code, data["source"], dates[-1], horizon, priority)
    for item in out["items"]:
        item["observed"] = observed.get(item["date"])
    history = [
        {"date": d.isoformat(), "new_confirmed": int(c)}
        for d, c in zip(dates[-28:], counts[-28:], strict=True)
    ]
    return {
        "region_code": region_code,
        "source": data["source"],
        "available_sources": data["available_sources"],
        "measure": "new_confirmed",
        "forecast_from": (dates[-1] + timedelta(days=1)).isoformat(),
        "data_to": dates[-1].isoformat(),
        **out,
        "history": history,
        "notes": notes,
    }


def _observed(
    engine: Engine, code: str, source: str, last: date, horizon: int, priority: tuple[str, ...]
) -> dict[str, int | None]:
    from fangkong.services.errors import NotFound
    from fangkong.services.regions import daily_series

    try:
        series = daily_series(
            engine,
            code,
            date_from=last + timedelta(days=1),
            date_to=last + timedelta(days=horizon),
            source=source,
            priority=priority,
            limit=horizon,
        )
    except NotFound:
        return {}
    out: dict[str, int | None] = {}
    for item in series["items"]:
        out[item["report_date"]] = item["new_confirmed"]
    return out
