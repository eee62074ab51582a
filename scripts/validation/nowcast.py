"""Backtest of the nowcast on the beoutbreakprepared line lists (2020).

Usage (against a demo database, built in ~10 s by ``fangkong demo --no-serve``)::

    FANGKONG_DATABASE_URL=sqlite:////tmp/fc_demo.db FANGKONG_VAR_DIR=/tmp/fc_var \\
        .venv/bin/fangkong demo --no-serve
    .venv/bin/python scripts/validation/nowcast.py --database-url sqlite:////tmp/fc_demo.db

The Hubei list has 37 cases with an onset date and only 2 with both onset and
confirmation dates, far too few; the backtest therefore uses every case of the two
lists (Hubei and outside Hubei, as imported by ``fangkong demo``) with both an exact
onset and a confirmation date — 575 cases, most of them in China outside
Hubei. The confirmation date is the report event (the lists have no report date).

For each cut-off day ``c`` from 2020-01-24 to 2020-02-06, the line list is cut to the
cases confirmed by ``c``, and the counts by onset of the last 7 days up to ``c`` are
nowcast. The target is the number of cases with those onset days in the whole list
(snapshot 2020-02-21; confirmation dates up to 2020-02-20): the last cut-off is 14 days
before the end so that the target is itself nearly complete. Scores: mean absolute
error (MAE) of the raw counts and of the nowcast median against the target, and the
share of targets inside the 50% and 90% prediction intervals.

Writes ``docs/validation/nowcast.md`` and ``docs/validation/nowcast.png``.
"""

from __future__ import annotations

import argparse
import sys
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
from sqlalchemy import select  # noqa: E402

from fangkong.core.epi.nowcast import nowcast, reporting_triangle  # noqa: E402
from fangkong.services.nowcast import DEFAULTS  # noqa: E402
from fangkong.store import models as m  # noqa: E402
from fangkong.store.db import make_engine  # noqa: E402

OUT = ROOT / "docs" / "validation"
FIRST_CUT, LAST_CUT = date(2020, 1, 24), date(2020, 2, 6)
LIST_END = date(2020, 2, 20)
DAYS = 7
CONFIGS: list[tuple[str, dict[str, Any]]] = [
    (
        "default: level prior (c = 1), D = 10, window 14",
        {"max_delay": 10, "delay_window": 14, "prior": "level", "prior_shape": 1.0},
    ),
    (
        "level prior, D = 13, window 14",
        {"max_delay": 13, "delay_window": 14, "prior": "level", "prior_shape": 1.0},
    ),
    (
        "level prior, D = 14, window 28",
        {"max_delay": 14, "delay_window": 28, "prior": "level", "prior_shape": 1.0},
    ),
    (
        "level prior, D = 21, all history",
        {"max_delay": 21, "delay_window": None, "prior": "level", "prior_shape": 1.0},
    ),
    (
        "level prior c = 2, D = 10, window 14",
        {"max_delay": 10, "delay_window": 14, "prior": "level", "prior_shape": 2.0},
    ),
    (
        "flat prior (chain ladder + NB), D = 10, window 14",
        {"max_delay": 10, "delay_window": 14, "prior": "flat", "prior_shape": 0.5},
    ),
    (
        "flat prior, D = 21, all history",
        {"max_delay": 21, "delay_window": None, "prior": "flat", "prior_shape": 0.5},
    ),
]


def load(url: str) -> tuple[np.ndarray, np.ndarray, date, dict[str, int]]:
    engine = make_engine(url)
    c = m.CaseRecordRow
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.onset_date, c.confirmation_date, c.region_code).where(
                c.source == "beoutbreakprepared",
                c.onset_date.is_not(None),
                c.confirmation_date.is_not(None),
            )
        ).all()
    engine.dispose()
    onset = [r[0] for r in rows]
    conf = [r[1] for r in rows]
    origin = min(onset)
    stats = {
        "cases": len(rows),
        "backwards": sum(1 for o, r in zip(onset, conf, strict=True) if r < o),
        "china": sum(1 for r in rows if r[2].isdigit() and not r[2].startswith("42")),
        "hubei": sum(1 for r in rows if r[2].startswith("42")),
    }
    o = np.array([(d - origin).days for d in onset])
    r = np.array([(d - origin).days for d in conf])
    keep = r >= o
    return o[keep], r[keep], origin, stats


def backtest(o: np.ndarray, r: np.ndarray, origin: date, cfg: dict[str, Any]) -> dict[str, Any]:
    end = (LIST_END - origin).days
    truth = np.bincount(o[r <= end], minlength=end + 1).astype(float)
    cuts = []
    raw_err, nc_err, in50, in90 = [], [], [], []
    for k in range((LAST_CUT - FIRST_CUT).days + 1):
        cut = FIRST_CUT + timedelta(days=k)
        n = (cut - origin).days + 1
        tri = reporting_triangle(o, r, n, cfg["max_delay"])
        nc = nowcast(
            tri,
            np.random.default_rng(1),
            n_draws=DEFAULTS["n_draws"],
            delay_window=cfg["delay_window"],
            prior=cfg["prior"],
            prior_shape=cfg["prior_shape"],
        )
        sl = slice(n - DAYS, n)
        t = truth[sl]
        lv = {q: i for i, q in enumerate(nc.levels)}
        q = nc.quantiles[sl]
        raw_err.append(np.abs(nc.reported[sl] - t))
        nc_err.append(np.abs(nc.median[sl] - t))
        in50.append((t >= q[:, lv[0.25]]) & (t <= q[:, lv[0.75]]))
        in90.append((t >= q[:, lv[0.05]]) & (t <= q[:, lv[0.95]]))
        cuts.append((cut, nc, t))
    return {
        "raw": np.array(raw_err),
        "nowcast": np.array(nc_err),
        "in50": np.array(in50),
        "in90": np.array(in90),
        "cuts": cuts,
        "truth": truth,
    }


def plot(res: dict[str, Any], origin: date) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    picks = [date(2020, 1, 28), date(2020, 2, 1), date(2020, 2, 4), None]
    for ax, cut in zip(axes.ravel(), picks, strict=True):
        if cut is None:
            x = [c for c, _, _ in res["cuts"]]
            ax.plot(x, res["raw"].mean(axis=1), "o-", color="#888888", label="raw counts")
            ax.plot(x, res["nowcast"].mean(axis=1), "o-", color="C0", label="nowcast median")
            ax.set_title("MAE over the last 7 onset days, per cut-off")
            ax.set_ylabel("mean absolute error (cases/day)")
            ax.legend(fontsize=8)
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
            continue
        _, nc, _ = next(x for x in res["cuts"] if x[0] == cut)
        n = nc.reported.size
        lo = max(0, n - 21)
        days = [origin + timedelta(days=i) for i in range(lo, n)]
        lv = {q: i for i, q in enumerate(nc.levels)}
        ax.bar(days, nc.reported[lo:], color="#bbbbbb", width=0.9, label="reported by cut-off")
        ax.plot(days, res["truth"][lo:n], "k.-", label="eventually reported (2020-02-20)")
        ax.plot(days, nc.median[lo:], color="C0", lw=2, label="nowcast median")
        ax.fill_between(
            days,
            nc.quantiles[lo:, lv[0.05]],
            nc.quantiles[lo:, lv[0.95]],
            color="C0",
            alpha=0.25,
            label="nowcast 90% PI",
        )
        ax.set_title(f"cut-off {cut.isoformat()}")
        ax.set_ylabel("cases by onset date")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(OUT / "nowcast.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/fc_demo.db")
    args = parser.parse_args()
    o, r, origin, stats = load(args.database_url)
    results = [(name, backtest(o, r, origin, cfg)) for name, cfg in CONFIGS]
    default = results[0][1]
    lines = [
        "| setting | MAE raw | MAE nowcast | 50% PI coverage | 90% PI coverage | "
        "nowcast closer than raw |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, res in results:
        raw, now = res["raw"].mean(), res["nowcast"].mean()
        lines.append(
            f"| {name} | {raw:.2f} | {now:.2f} | {res['in50'].mean():.2f} | "
            f"{res['in90'].mean():.2f} | {'yes' if now < raw else 'no'} |"
        )
    per_cut = [
        "| cut-off | target (last 7 onset days) | raw | nowcast median | MAE raw | MAE nowcast |",
        "| --- | --- | --- | --- | ---: | ---: |",
    ]
    for k, (cut, nc, t) in enumerate(default["cuts"]):
        n = nc.reported.size
        per_cut.append(
            f"| {cut.isoformat()} | {' '.join(str(int(x)) for x in t)} | "
            f"{' '.join(str(int(x)) for x in nc.reported[n - DAYS :])} | "
            f"{' '.join(str(int(x)) for x in nc.median[n - DAYS :])} | "
            f"{default['raw'][k].mean():.1f} | {default['nowcast'][k].mean():.1f} |"
        )
    by_lag = [
        "| days before the cut-off | 0 | 1 | 2 | 3 | 4 | 5 | 6 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_lag.append(
        "| MAE raw | " + " | ".join(f"{x:.1f}" for x in default["raw"].mean(axis=0)[::-1]) + " |"
    )
    by_lag.append(
        "| MAE nowcast | "
        + " | ".join(f"{x:.1f}" for x in default["nowcast"].mean(axis=0)[::-1])
        + " |"
    )
    plot(default, origin)
    raw, now = default["raw"].mean(), default["nowcast"].mean()
    md = [
        "## Nowcasting the onset curve (backtest on the beoutbreakprepared line lists)",
        "",
        "`fangkong.core.epi.nowcast.nowcast` corrects the right truncation of the "
        "onset-date curve: the reporting delay is estimated from the reporting triangle "
        "by reverse-time hazards (the multiplicative model of Kalbfleisch & Lawless 1991 "
        "and Lawless 1994, whose maximum-likelihood point estimate is the chain ladder), "
        "with beta posteriors for the hazards and a negative-binomial predictive for the "
        "cases not yet reported (after Höhle & an der Heiden, Biometrics 2014), 2,000 "
        "seeded draws. Delays are estimated from the onset days of the last 14 days only "
        "(moving window) and longer delays than D days count as D. The gamma prior on "
        "each day's expected count is centred on the level of the recent days that are at "
        "least 50% complete (empirical Bayes, the role of NobBS's random-walk smoothing): "
        "when 1% of a day's cases are reported by the cut-off, the count itself says "
        "almost nothing.",
        "",
        f"**Data.** The Hubei list has only 37 cases with an exact onset date and 2 with "
        "both onset and confirmation dates: too few. The backtest uses every case of the "
        f"two lists with both dates: {stats['cases']} cases ({stats['china']} in China "
        f"outside Hubei, {stats['hubei']} in Hubei, the rest abroad), "
        f"{stats['backwards']} of them confirmed before their onset (left out). This is "
        "the whole evidence available in the bundled data — not the thousands of cases "
        "one would like; the counts are 0–46 a day. The confirmation date is the report "
        "event.",
        "",
        f"**Protocol.** Cut-offs every day from {FIRST_CUT.isoformat()} to "
        f"{LAST_CUT.isoformat()} ({len(default['cuts'])} cut-offs); at each, the list is "
        "cut to the cases confirmed by then and the 7 last onset days are nowcast. Target: "
        f"the counts of those days in the whole list (confirmations up to "
        f"{LIST_END.isoformat()}, at least 14 days after every cut-off).",
        "",
        f"**Result (default settings):** mean absolute error over the last 7 days "
        f"**{now:.2f}** cases/day for the nowcast median against **{raw:.2f}** for the "
        f"raw counts ({'the nowcast is closer' if now < raw else 'the nowcast is NOT closer'}"
        f"); 50% / 90% prediction intervals cover {default['in50'].mean():.0%} / "
        f"{default['in90'].mean():.0%} of the targets — too narrow: the delay "
        "distribution of this volunteer-compiled list changed fast (reporting outside "
        "Hubei started around 2020-01-20, delays shortened afterwards, and curation "
        "thinned in February), which the stationary-delay model within its 14-day window "
        "does not capture.",
        "",
        "**Honesty note.** There is no second line list to tune on: the settings below "
        "were compared on this same backtest. The default (D = 10, window 14, level "
        "prior c = 1) was fixed before the c = 2 variant was tried; that variant does "
        "better here, and it was deliberately not adopted, to stop tuning on the only test "
        "data. All settings tried are shown, including those that lose to "
        "the raw counts; the flat prior (plain chain ladder with negative-binomial "
        "intervals) is far worse here, because it divides counts of 0–3 by completeness "
        "estimates of 1–8%.",
        "",
        *lines,
        "",
        "Error by distance from the cut-off (default settings):",
        "",
        *by_lag,
        "",
        "![Nowcast backtest](nowcast.png)",
        "",
        "Per cut-off (default settings):",
        "",
        *per_cut,
        "",
    ]
    (OUT / "nowcast.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
