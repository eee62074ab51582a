"""Validation of the early-warning methods on the real 2020 province figures.

Writes docs/validation/warnings.md and docs/validation/warnings.png. Run from the
repository root: ``.venv/bin/python scripts/validation/early_warning.py``. A temporary SQLite
database is migrated and loaded with the canghailan province series (the official
daily figures, 2020-01-10 … 2020-06-30, bundled in src/fangkong/data/demo), then scanned by
``services.warnings.scan`` exactly as the API and CLI do.

Checks: signals for Hubei in January 2020 and for Beijing in June 2020 (the Xinfadi
market outbreak, first case reported 2020-06-11); the first signal date of each method;
and the false-signal rate on quiet provinces: provinces with at most ``QUIET_MAX`` new
confirmed cases over the quiet window ``QUIET`` (every signal there counts as false).
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from fangkong.core.access import CLI_ACTOR
from fangkong.services import warnings as w
from fangkong.services.daily_import import import_daily_file
from fangkong.services.database import upgrade_database
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "validation"
DATA = ROOT / "src/fangkong/data/demo/canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
FIRST, LAST = date(2020, 1, 10), date(2020, 6, 30)
QUIET = (date(2020, 5, 1), date(2020, 6, 30))
QUIET_MAX = 5
METHODS = w.ABERRATION_METHODS


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fangkong-warnings-"))
    settings = Settings(database_url=f"sqlite:///{tmp / 'v.db'}", var_dir=tmp / "var")
    upgrade_database(settings)
    engine = make_engine(settings.database_url)
    assert import_daily_file(engine, settings, DATA, actor=CLI_ACTOR).ok
    tree = region_tree(engine)
    signals = w.scan(engine, settings, tree, date_from=FIRST, date_to=LAST)
    series = w.load_series(engine, settings, tree, level="province", until=LAST)
    engine.dispose()

    hubei = w.first_signals(signals, "420000")
    june = [s for s in signals if s["signal_date"] >= "2020-06-01"]
    beijing = w.first_signals(june, "110000")

    lo = (QUIET[0] - series.start).days
    hi = (QUIET[1] - series.start).days + 1
    totals = np.nansum(series.values[:, lo:hi], axis=1)
    quiet = [c for c, t in zip(series.codes, totals, strict=True) if t <= QUIET_MAX]
    quiet_days = len(quiet) * (hi - lo)
    rates = {}
    for method in METHODS:
        n = sum(
            1
            for s in signals
            if s["method"] == method
            and s["region_code"] in quiet
            and QUIET[0].isoformat() <= s["signal_date"] <= QUIET[1].isoformat()
        )
        rates[method] = (n, n / quiet_days if quiet_days else float("nan"))

    names = {
        "ears_c1": "EARS C1 (baseline t−7…t−1, > 3 sd)",
        "ears_c2": "EARS C2 (baseline t−9…t−3, > 3 sd)",
        "ears_c3": "EARS C3 (Σ 3 days max(0, C2 − 1) > 2)",
        "negbin": "negative-binomial regression, 99% (Farrington-type)",
    }
    lines = [
        "## Early warning: aberration detection on the 2020 province series",
        "",
        "Produced by `scripts/validation/early_warning.py` from the canghailan province series "
        f"(official daily figures, {FIRST} … {LAST}), series `new_confirmed`, each method "
        "as implemented in `fangkong.core.rules.aberration` (definitions in its docstring: "
        "Hutwagner et al. 2003 for EARS, Farrington et al. 1996 / Noufaily et al. 2013 for "
        "the negative-binomial threshold; baseline sd floored at 1 case for EARS; the "
        "negative-binomial baseline is t−30…t−3, at least 7 reported days, and a signal "
        "needs ≥ 5 cases over t−3…t).",
        "",
        "### First signal dates",
        "",
        "| method | Hubei (first signal in 2020) | Beijing (first signal from 2020-06-01) |",
        "|---|---|---|",
    ]
    for method in METHODS:
        lines.append(f"| {names[method]} | {hubei[method] or '—'} | {beijing[method] or '—'} |")
    lines += [
        "",
        "Hubei's series starts on 2020-01-10 (41 cumulative cases), so EARS C1 can first "
        "be computed on 2020-01-17, C2 on 2020-01-19; the surge of reported cases on "
        "2020-01-18/19 is the first signal. Beijing's Xinfadi outbreak: first case "
        "reported 2020-06-11; this series has 1 case on 2020-06-11, 2 on 06-12, 4 on "
        "06-13 and 44 on 06-14, so every method first fires on the day the count "
        "clears the noise of a quiet week (C1: (4 − 0.4)/1 = 3.6 > 3).",
        "",
        "### False signals on quiet provinces",
        "",
        f"Quiet provinces: at most {QUIET_MAX} new confirmed cases over "
        f"{QUIET[0]} … {QUIET[1]} ({len(quiet)} provinces: {', '.join(quiet)}; "
        f"{quiet_days} province-days). Every signal in them in that window counts as false.",
        "",
        "| method | signals | false-signal rate per province-day |",
        "|---|---|---|",
    ]
    for method in METHODS:
        n, rate = rates[method]
        lines.append(f"| {names[method]} | {n} | {rate:.4f} |")
    may = [
        s
        for s in signals
        if s["kind"] == "aberration" and "2020-05-01" <= s["signal_date"] <= "2020-05-31"
    ]
    lines += [
        "",
        "By construction a province with at most 5 cases in two months can hardly reach "
        "the thresholds (EARS needs about 4 cases in a day after a quiet week, the "
        "negative-binomial rule 5 cases in 4 days), so the rate above bounds the noise "
        "of sporadic single cases only. For the whole picture, every aberration signal "
        "of May 2020 over all provinces (before Xinfadi; it includes real events such as "
        "the Jilin/Shulan cluster and imported cases in Hong Kong and Taiwan):",
        "",
        "| method | signals, May 2020 | provinces |",
        "|---|---|---|",
    ]
    for method in METHODS:
        hits = [s for s in may if s["method"] == method]
        where = sorted({s["region_code"] for s in hits})
        lines.append(f"| {names[method]} | {len(hits)} | {', '.join(where) or '—'} |")
    quality = [s for s in signals if s["kind"] == "quality"]
    lines += [
        "",
        "### Data-quality signals",
        "",
        "| date | region | signal | explanation |",
        "|---|---|---|---|",
    ]
    for s in quality[:20]:
        lines.append(
            f"| {s['signal_date']} | {s['region_code']} {s['name_en']} | {s['method']} "
            f"| {s['explanation_en']} |"
        )
    if len(quality) > 20:
        lines.append(f"| … | | | {len(quality) - 20} more |")
    lines.append("")
    lines.append("![Hubei, January 2020 and Beijing, June 2020](warnings.png)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "warnings.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    panels = [
        ("420000", "Hubei", date(2020, 1, 10), date(2020, 2, 10)),
        ("110000", "Beijing", date(2020, 5, 25), date(2020, 6, 30)),
    ]
    markers = {"ears_c1": "v", "ears_c2": "^", "ears_c3": "s", "negbin": "D"}
    for ax, (code, label, a, b) in zip(axes, panels, strict=True):
        u = series.codes.index(code)
        ta, tb = (a - series.start).days, (b - series.start).days + 1
        days = [series.start + timedelta(days=t) for t in range(ta, tb)]
        ax.bar(days, np.nan_to_num(series.values[u, ta:tb]), color="#bbb", label="new confirmed")
        top = float(np.nanmax(series.values[u, ta:tb]))
        for i, method in enumerate(METHODS):
            hits = [
                date.fromisoformat(s["signal_date"])
                for s in signals
                if s["region_code"] == code
                and s["method"] == method
                and a.isoformat() <= s["signal_date"] <= b.isoformat()
            ]
            ax.scatter(
                hits,
                [top * (1.05 + 0.07 * i)] * len(hits),
                marker=markers[method],
                label=method,
                s=18,
            )
        ax.set_title(f"{label}: new confirmed and signals")
        ax.tick_params(axis="x", rotation=45)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "warnings.png", dpi=110)
    print((OUT / "warnings.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
