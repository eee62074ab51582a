"""Backtest of the renewal-equation forecasts against a naive baseline on real series.

Usage (against a demo database, built in ~10 s by ``fangkong demo --no-serve``)::

    FANGKONG_DATABASE_URL=sqlite:////tmp/fc_demo.db FANGKONG_VAR_DIR=/tmp/fc_var \\
        .venv/bin/fangkong demo --no-serve
    .venv/bin/python scripts/validation/forecast.py --database-url sqlite:////tmp/fc_demo.db

Series: daily new confirmed cases by report date of the 34 province-level divisions of
China in 2020 (source ``canghailan``, 2020-01-10..06-30) and of the 12 countries of the
bundled JHU CSSE extract (source ``jhu``, 2020-01-22..2021-05-30). Negative daily
figures (corrections) count as 0 and missing days as 0 (as the forecast service does).
Forecast dates are every Sunday with 28 days of data after it; horizons 1..28 days.

Protocol (stated in the output): the model settings (window, damping, random-walk sd)
were chosen on the *tuning* forecasts only — the 12 JHU countries with forecast dates
before 2020-07-01 — from the grid printed in the report; the China provinces and the
JHU forecasts from 2020-07-01 on are the *test* set, scored once with those settings.

Writes ``docs/validation/forecast.md`` and ``docs/validation/forecast_fan.png``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from fangkong.core.epi import forecast as fc  # noqa: E402
from fangkong.core.epi.scoring import (  # noqa: E402
    FORECAST_LEVELS,
    coverage,
    weighted_interval_score,
)
from fangkong.core.epi.serial_interval import discr_si  # noqa: E402
from fangkong.services import rt as rt_svc  # noqa: E402
from fangkong.services.forecast import DEFAULTS  # noqa: E402
from fangkong.store.db import make_engine  # noqa: E402

OUT = ROOT / "docs" / "validation"
SI = (4.7, 2.9)  # Nishiura H et al. IJID 2020;93:284-286 (published_reference_values.csv)
HORIZON = 28
JHU_COUNTRIES = ("BR", "DE", "ES", "FR", "GB", "IN", "IR", "IT", "JP", "KR", "SG", "US")
TUNING_END = date(2020, 7, 1)
GRID = [  # (window, damping, rw_sd)
    (7, 1.0, 0.0),
    (7, 1.0, 0.05),
    (7, 0.95, 0.05),
    (7, 0.9, 0.05),
    (7, 0.9, 0.1),
    (7, 0.8, 0.05),
    (14, 1.0, 0.05),
    (14, 0.95, 0.05),
    (14, 0.9, 0.05),
    (14, 0.9, 0.1),
    (21, 0.9, 0.05),
]
LV = np.asarray(FORECAST_LEVELS)


@dataclass
class Series:
    label: str
    dataset: str
    dates: list[date]
    counts: np.ndarray


def load(engine: Any) -> list[Series]:
    out: list[Series] = []
    with engine.connect() as conn:
        from sqlalchemy import text

        provinces = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT DISTINCT region_code FROM daily_reports WHERE source='canghailan' "
                    "AND region_code LIKE '%0000' ORDER BY region_code"
                )
            )
        ]
    for code in provinces:
        out.append(_series(engine, code, "canghailan", "China provinces 2020"))
    for code in JHU_COUNTRIES:
        out.append(_series(engine, code, "jhu", "JHU countries 2020-21"))
    return out


def _series(engine: Any, code: str, source: str, dataset: str) -> Series:
    data = rt_svc.report_incidence(
        engine, code, source=source, date_from=None, date_to=None, priority=()
    )
    local = np.asarray(data["local"], dtype=np.float64)
    if data["imported"] is not None:
        local = local + np.asarray(data["imported"], dtype=np.float64)
    return Series(code, dataset, data["dates"], local)


def origins(s: Series, window: int) -> list[int]:
    """Indexes of the Sundays with at least 21 days of data before and 28 after."""
    idx = []
    for i, d in enumerate(s.dates):
        if d.weekday() == 6 and i >= 21 + window and i + HORIZON < len(s.dates):
            idx.append(i)
    return idx


def run(
    series: list[Series], window: int, damping: float, rw_sd: float, *, with_baseline: bool
) -> list[dict[str, Any]]:
    w = discr_si(np.arange(400), *SI)
    rows: list[dict[str, Any]] = []
    for s in series:
        rng = np.random.default_rng(20200101)
        for i in origins(s, 21):
            hist = s.counts[: i + 1]
            truth = s.counts[i + 1 : i + 1 + HORIZON]
            if hist[-window:].sum() == 0 and hist[-28:].sum() == 0:
                q = np.zeros((HORIZON, LV.size))
            else:
                f = fc.forecast_renewal(
                    hist,
                    w,
                    HORIZON,
                    rng,
                    window=window,
                    damping=damping,
                    rw_sd=rw_sd,
                    n_samples=1000,
                )
                q = f.quantiles
            row: dict[str, Any] = {
                "series": s.label,
                "dataset": s.dataset,
                "date": s.dates[i],
                "truth": truth,
                "model": q,
            }
            if with_baseline:
                row["baseline"] = fc.baseline_forecast(hist, HORIZON)
            rows.append(row)
    return rows


def scores(rows: list[dict[str, Any]], key: str) -> dict[str, np.ndarray]:
    y = np.stack([r["truth"] for r in rows])
    q = np.stack([r[key] for r in rows])
    return {
        "wis": weighted_interval_score(y, LV, q).wis,
        "c50": coverage(y, LV, q, 0.5),
        "c90": coverage(y, LV, q, 0.9),
    }


def fmt(x: float) -> str:
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:.2f}"


def table(rows: list[dict[str, Any]], title: str) -> list[str]:
    lines = [
        f"| {title} | horizon (days) | forecasts | 50% PI coverage (model / baseline) | "
        "90% PI coverage (model / baseline) | mean WIS model | mean WIS baseline | "
        "relative WIS | geometric mean of per-series WIS ratios |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    groups = [*sorted({r["dataset"] for r in rows}), "all"]
    for g in groups:
        sel = [r for r in rows if g in ("all", r["dataset"])]
        if not sel:
            continue
        m, b = scores(sel, "model"), scores(sel, "baseline")
        for lo, hi in ((1, 7), (8, 14), (15, 21), (22, 28), (1, 28)):
            h = slice(lo - 1, hi)
            mw, bw = float(m["wis"][:, h].mean()), float(b["wis"][:, h].mean())
            ratios = []
            for lab in sorted({r["series"] for r in sel}):
                ix = [k for k, r in enumerate(sel) if r["series"] == lab]
                a, c = m["wis"][ix, h].mean(), b["wis"][ix, h].mean()
                if a > 0 and c > 0:
                    ratios.append(a / c)
            gm = float(np.exp(np.mean(np.log(ratios)))) if ratios else float("nan")
            lines.append(
                f"| {g} | {lo}–{hi} | {len(sel)} | {m['c50'][:, h].mean():.2f} / "
                f"{b['c50'][:, h].mean():.2f} | {m['c90'][:, h].mean():.2f} / "
                f"{b['c90'][:, h].mean():.2f} | {fmt(mw)} | {fmt(bw)} | {mw / bw:.3f} | {gm:.3f} |"
            )
    return lines


def findings(rows: list[dict[str, Any]]) -> list[str]:
    """The verdict on the test set, worded from the numbers."""
    m, b = scores(rows, "model"), scores(rows, "baseline")
    rel = float(m["wis"].mean() / b["wis"].mean())
    jhu = [r for r in rows if r["dataset"].startswith("JHU")]
    mj = scores(jhu, "model")
    verdict = "beats" if rel < 1 else "does NOT beat"
    return [
        f"**Verdict**: on the test set the model {verdict} the baseline on the weighted "
        f"interval score (relative WIS {rel:.3f} over all horizons and series). Its "
        f"intervals are too narrow for the JHU countries (50% / 90% intervals cover "
        f"{mj['c50'].mean():.0%} / {mj['c90'].mean():.0%}), because R is extrapolated from "
        "one week and weekday reporting artefacts (zero reports on weekends, batches on "
        "Mondays) are only absorbed by the negative-binomial dispersion; the China series "
        "are over-covered (many provinces near zero cases). Without damping (φ = 1) the "
        "renewal model extrapolates exponential growth for four weeks and is far worse "
        "than the baseline (tuning grid): the damping towards R = 1 is what makes the "
        "projections useful beyond a few days.",
    ]


def fan_chart(series: list[Series], window: int, damping: float, rw_sd: float) -> None:
    w = discr_si(np.arange(400), *SI)
    picks = [
        ("IT", date(2020, 3, 15)),
        ("DE", date(2020, 10, 11)),
        ("US", date(2021, 1, 3)),
        ("420000", date(2020, 2, 2)),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (code, when) in zip(axes.ravel(), picks, strict=True):
        s = next(x for x in series if x.label == code)
        i = s.dates.index(when)
        f = fc.forecast_renewal(
            s.counts[: i + 1],
            w,
            HORIZON,
            np.random.default_rng(1),
            window=window,
            damping=damping,
            rw_sd=rw_sd,
        )
        b = fc.baseline_forecast(s.counts[: i + 1], HORIZON)
        lo = max(0, i - 42)
        hi = min(len(s.dates), i + 1 + HORIZON)
        ax.bar(s.dates[lo:hi], s.counts[lo:hi], color="#bbbbbb", width=1.0, label="reported")
        fut = [when + timedelta(days=h) for h in range(1, HORIZON + 1)]
        j = {q: k for k, q in enumerate(FORECAST_LEVELS)}
        ax.fill_between(
            fut,
            f.quantiles[:, j[0.05]],
            f.quantiles[:, j[0.95]],
            alpha=0.25,
            color="C0",
            label="model 90% PI",
        )
        ax.fill_between(
            fut,
            f.quantiles[:, j[0.25]],
            f.quantiles[:, j[0.75]],
            alpha=0.45,
            color="C0",
            label="model 50% PI",
        )
        ax.plot(fut, f.quantiles[:, j[0.5]], color="C0", lw=2, label="model median")
        ax.plot(fut, b[:, j[0.5]], color="C3", lw=1.5, ls="--", label="baseline median")
        ax.plot(fut, b[:, j[0.05]], color="C3", lw=0.8, ls=":")
        ax.plot(fut, b[:, j[0.95]], color="C3", lw=0.8, ls=":", label="baseline 90% PI")
        ax.axvline(when, color="k", lw=0.8)
        ax.set_title(
            f"{code}: forecast from {when.isoformat()} "
            f"({'canghailan' if code.isdigit() else 'JHU CSSE'})"
        )
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        ax.set_ylabel("daily new confirmed")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(OUT / "forecast_fan.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/fc_demo.db")
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    series = load(engine)
    jhu = [s for s in series if s.dataset.startswith("JHU")]

    grid_lines = [
        "| window (days) | damping φ | random-walk sd σ | tuning forecasts | "
        "mean WIS model | mean WIS baseline | relative WIS | 90% PI coverage |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    best: tuple[float, tuple[int, float, float]] | None = None
    base_rows: list[dict[str, Any]] | None = None
    for cfg in GRID:
        rows = [
            r for r in run(jhu, *cfg, with_baseline=base_rows is None) if r["date"] < TUNING_END
        ]
        if base_rows is None:
            base_rows = rows
        for r, b in zip(rows, base_rows, strict=True):
            r["baseline"] = b["baseline"]
        m, b = scores(rows, "model"), scores(rows, "baseline")
        rel = float(m["wis"].mean() / b["wis"].mean())
        grid_lines.append(
            f"| {cfg[0]} | {cfg[1]} | {cfg[2]} | {len(rows)} | "
            f"{fmt(float(m['wis'].mean()))} | {fmt(float(b['wis'].mean()))} | "
            f"{rel:.3f} | {m['c90'].mean():.2f} |"
        )
        print(grid_lines[-1], flush=True)
        if best is None or rel < best[0]:
            best = (rel, cfg)
    assert best is not None
    chosen = best[1]
    defaults = (DEFAULTS["window"], DEFAULTS["damping"], DEFAULTS["rw_sd"])
    rows = run(series, *chosen, with_baseline=True)
    test = [r for r in rows if r["dataset"].startswith("China") or r["date"] >= TUNING_END]
    tune = [r for r in rows if not (r["dataset"].startswith("China") or r["date"] >= TUNING_END)]
    fan_chart(series, *chosen)

    md = [
        "## Forecasts: renewal equation vs naive baseline (backtest)",
        "",
        "`fangkong.core.epi.forecast.forecast_renewal` projects daily cases by the renewal "
        "equation: R at the forecast date drawn from the Cori et al. (2013) gamma posterior "
        "of the last window (EpiEstim's method, `core.epi.rt`), a damped random walk on "
        "log R over the horizon (log R_h = φ·log R_(h-1) + σ·ε), expected cases fed back "
        "through the serial interval, and negative-binomial counts whose size k is "
        "estimated from the model's own one-step-ahead errors over the last 28 days. "
        "Prediction quantiles 0.025, 0.05, 0.10 … 0.95, 0.975 from 1,000 seeded sample "
        "paths. The deterministic renewal check of EpiNow2 (generation time 1 day, R = "
        "1.2 for 7 days then 0.8, 100 infections → 120, 144, 172.8 … 358.318, then "
        "286.654 …) holds exactly (`tests/core/epi/test_forecast_renewal.py`).",
        "",
        "**Baseline**: the mean of the last 7 days carried forward; its prediction "
        "quantiles are that level plus the empirical quantiles of its own past errors at "
        "the same horizon (y_(s+h) − level_s over the forecast origins of the last 56 "
        "days), mirrored around 0 and clipped at 0 — the construction of the COVID-19 "
        "Forecast Hub baseline (Cramer et al., PNAS 2022), applied to the weekly level.",
        "",
        "**Scores** (Bracher et al., PLoS Comput Biol 2021;17:e1008618): weighted interval "
        "score (WIS; K = 10 central intervals plus the median, lower is better) and the "
        "share of observations inside the central 50% and 90% prediction intervals. "
        "*Relative WIS* = mean WIS of the model / mean WIS of the baseline over the same "
        "forecasts (below 1: the model is better); since the mean is dominated by large "
        "series, the geometric mean of the per-series ratios is given too.",
        "",
        "**Data**: daily new confirmed cases by report date: "
        f"{sum(1 for s in series if s.dataset.startswith('China'))} "
        "province-level divisions of China (canghailan, 2020-01-10..06-30, Hubei's "
        "2020-02-12 jump of clinically diagnosed cases left in) and 12 countries of JHU "
        "CSSE (2020-01-22..2021-05-30: "
        f"{', '.join(JHU_COUNTRIES)}). Negative daily figures (corrections) count as 0, "
        "missing days as 0. Forecast dates: every Sunday with at least 28 days of data "
        "before and 28 after; horizons 1–28 days. Serial interval: offset gamma, mean "
        f"{SI[0]} d, sd {SI[1]} d (Nishiura et al., IJID 2020).",
        "",
        "**Protocol**: the settings (window, φ, σ) were chosen on the *tuning* forecasts "
        f"only (the JHU countries, forecast dates before {TUNING_END.isoformat()}); the "
        "grid is below. The *test* forecasts — all China provinces and the JHU forecasts "
        f"from {TUNING_END.isoformat()} on — were scored once with the chosen settings "
        f"(window {chosen[0]} d, φ = {chosen[1]}, σ = {chosen[2]}). The service "
        f"defaults are window {defaults[0]} d, φ = {defaults[1]}, σ = {defaults[2]}"
        + (" (the same)." if defaults == chosen else " (differ: see the report)."),
        "",
        "### Tuning grid (JHU countries, forecast dates before 2020-07-01, horizons 1–28)",
        "",
        *grid_lines,
        "",
        "### Test set",
        "",
        *table(test, "test set"),
        "",
        *findings(test),
        "",
        "### Tuning set (for reference: not an independent check)",
        "",
        *table(tune, "tuning set"),
        "",
        "![Fan charts](forecast_fan.png)",
        "",
        "Fan charts: model median with 50% and 90% prediction intervals (blue), baseline "
        "median and 90% interval (red), for four forecast dates (the bars after the "
        "vertical line are the data the forecast is scored against).",
        "",
    ]
    (OUT / "forecast.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
