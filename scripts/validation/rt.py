"""Validation of R_t (Cori et al. 2013, as EpiEstim): reference vectors and real 2020 data.

Usage (against a demo database, built in ~10 s by ``fangkong demo --no-serve``)::

    FANGKONG_DATABASE_URL=sqlite:////tmp/rt_demo.db FANGKONG_VAR_DIR=/tmp/rt_var \\
        .venv/bin/fangkong demo --no-serve
    .venv/bin/python scripts/validation/rt.py --database-url sqlite:////tmp/rt_demo.db

Writes ``docs/validation/rt.md`` (tables) and ``docs/validation/rt_hubei.png``:

1. agreement with EpiEstim 3.0.0's saved outputs (Examples 1-4, Flu2009);
2. Hubei: R_t from the China CDC daily new confirmed cases by report date (source
   ``ccdc``) and from the line list by onset date, on one plot, with the serial
   interval of Li et al. (NEJM 2020: mean 7.5 d, sd 3.4 d) and, as a sensitivity
   check, that of Nishiura et al. (IJID 2020: mean 4.7 d, sd 2.9 d);
3. the latest R_t of every province (China CDC series, window ending 2020-03-04).
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from fangkong.core.epi.rt import UncertainSI, estimate_r  # noqa: E402
from fangkong.services import rt as svc  # noqa: E402
from fangkong.services.errors import ServiceError  # noqa: E402
from fangkong.services.regions import daily_series, list_regions  # noqa: E402
from fangkong.settings import Settings  # noqa: E402
from fangkong.store.db import make_engine  # noqa: E402

OUT = ROOT / "docs" / "validation"
FIX = ROOT / "tests" / "fixtures" / "epiestim"
SI = (7.5, 3.4)  # Li Q et al. NEJM 2020;382:1199-1207 (published_reference_values.csv)
SI_ALT = (4.7, 2.9)  # Nishiura H et al. IJID 2020;93:284-286
R_COLS = ["Mean(R)", "Std(R)", "Quantile.0.025(R)", "Quantile.0.05(R)", "Quantile.0.25(R)",
          "Median(R)", "Quantile.0.75(R)", "Quantile.0.95(R)", "Quantile.0.975(R)"]  # fmt: skip
LINE_LIST_END = date(2020, 2, 21)  # snapshot date of the beoutbreakprepared Hubei list


def _csv(name: str) -> list[dict[str, str]]:
    with (FIX / name).open() as fh:
        return list(csv.DictReader(fh))


def epiestim_agreement() -> list[str]:
    flu = np.array([float(r["I"]) for r in _csv("Flu2009_incidence.csv")])
    si = np.array([float(r["si_distr"]) for r in _csv("Flu2009_si_distr.csv")])
    local, imported = np.zeros(27), np.zeros(27)
    onsets = [0, 1, 1, 2, 1, 3, 4, 5, 5, 5, 5, 4, 4, 26, 6, 7, 9]
    origin = ["imp", "loc", "imp", "imp", "loc", "imp", "imp", "imp", "imp", "loc", "loc",
              "loc", "imp", "loc", "imp", "loc", "imp"]  # fmt: skip
    for d, o in zip(onsets, origin, strict=True):
        (local if o == "loc" else imported)[d] += 1
    weeks = {"t_start": np.arange(2, 27), "t_end": np.arange(8, 33)}
    u = UncertainSI(2.6, 1, 1, 4.2, 1.5, 0.5, 0.5, 2.5, n1=2000, n2=100)
    runs = [
        ("1", "non_parametric_si, Flu2009", "expected_Example1_non_parametric_si_R.csv",
         estimate_r(flu, method="non_parametric_si", si_distr=si, **weeks)),
        ("2", "parametric_si 2.6/1.5, local + imported", "expected_Example2_parametric_si_R.csv",
         estimate_r(local, imported, mean_si=2.6, std_si=1.5, t_start=np.arange(2, 22),
                    t_end=np.arange(8, 28))),
        ("3", "parametric_si 2.6/1.5, Flu2009", "expected_Example3_parametric_si_R.csv",
         estimate_r(flu, mean_si=2.6, std_si=1.5)),
        ("4", "uncertain_si (n1 = 2000, n2 = 100, seed 1)", "expected_Example4_uncertain_si_R.csv",
         estimate_r(flu, method="uncertain_si", uncertain=u, rng=np.random.default_rng(1),
                    **weeks)),
    ]  # fmt: skip
    lines = [
        "| Example | method | windows | max abs. difference (mean, sd, 7 quantiles) "
        "| max rel. difference of the mean |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for ex, label, name, est in runs:
        exp = _csv(name)
        want = np.array([[float(r[c]) for c in R_COLS] for r in exp])
        got = np.column_stack([est.mean, est.std, est.quantiles])
        rel = np.abs(got[:, 0] / want[:, 0] - 1).max()
        lines.append(f"| {ex} | {label} | {len(exp)} | {np.abs(got - want).max():.1e} "
                     f"| {rel:.2%} |")  # fmt: skip
    return lines


def hubei(engine: Any, settings: Settings) -> tuple[dict[str, Any], ...]:
    report = svc.region_rt(engine, "420000", si_mean=SI[0], si_sd=SI[1], source="ccdc",
                           priority=settings.source_priority)  # fmt: skip
    report_alt = svc.region_rt(engine, "420000", si_mean=SI_ALT[0], si_sd=SI_ALT[1],
                               source="ccdc", priority=settings.source_priority)  # fmt: skip
    onset = svc.region_rt(engine, "420000", si_mean=SI[0], si_sd=SI[1], basis="onset",
                          date_to=LINE_LIST_END)  # fmt: skip
    return report, report_alt, onset


def _dates(items: list[dict[str, Any]]) -> list[date]:
    return [date.fromisoformat(r["date_end"]) for r in items]


def plot(report: dict[str, Any], onset: dict[str, Any], incidence: list[tuple[date, int]],
         onsets: dict[str, Any]) -> None:  # fmt: skip
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True,
                                   gridspec_kw={"height_ratios": [1, 1.6]})  # fmt: skip
    ax0.bar([d for d, _ in incidence], [n for _, n in incidence], color="#8aa9c9",
            label="new confirmed, by report date (China CDC)")  # fmt: skip
    ax0.bar(onsets["dates"], onsets["local"], color="#c0504d", alpha=0.8,
            label="line-list cases, by onset date")  # fmt: skip
    ax0.annotate("2020-02-12: +14,840\n(clinically diagnosed\ncases added)",
                 xy=(date(2020, 2, 12), 14840), xytext=(date(2020, 2, 20), 11000),
                 arrowprops={"arrowstyle": "->"}, fontsize=8)  # fmt: skip
    ax0.set_ylabel("cases per day")
    ax0.legend(fontsize=8, loc="upper left")
    ax0.set_title("Hubei, 2020: daily cases and R_t (Cori et al. 2013, weekly windows)")
    for data, colour, label in (
        (report, "#1f4e79", "by report date (China CDC daily new confirmed)"),
        (onset, "#c0504d", "by onset date (line list, few onset dates: see text)"),
    ):
        x = _dates(data["items"])
        ax1.plot(x, [r["mean"] for r in data["items"]], color=colour, label=label)
        ax1.fill_between(x, [r["q0.025"] for r in data["items"]],
                         [r["q0.975"] for r in data["items"]], color=colour, alpha=0.2)  # fmt: skip
    ax1.axhline(1, color="black", lw=0.8, ls="--")
    ax1.axvspan(date(2020, 2, 12), date(2020, 2, 18), color="orange", alpha=0.15,
                label="windows containing 2020-02-12")  # fmt: skip
    ax1.axvline(date(2020, 1, 23), color="grey", lw=0.8, ls=":")
    ax1.text(date(2020, 1, 23), 9.3, " Wuhan lockdown", fontsize=8, color="grey")
    ax1.set_ylim(0, 10)
    ax1.set_ylabel("R_t (posterior mean, 95% CrI)")
    ax1.set_xlabel("last day of the 7-day window")
    ax1.legend(fontsize=8, loc="upper right")
    ax1.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax1.set_xlim(date(2019, 12, 25), date(2020, 3, 5))
    fig.tight_layout()
    fig.savefig(OUT / "rt_hubei.png", dpi=110)
    plt.close(fig)


def province_table(engine: Any, settings: Settings) -> list[str]:
    provinces, _ = list_regions(engine, level="province", limit=100)
    lines = [
        "| region | name | source | last window | cases in window | R_t mean | 95% CrI | note |",
        "| --- | --- | --- | --- | ---: | ---: | --- | --- |",
    ]
    for p in provinces:
        try:
            out = svc.region_rt(engine, p.region_code, si_mean=SI[0], si_sd=SI[1],
                                source="ccdc", date_to=date(2020, 3, 4),
                                priority=settings.source_priority)  # fmt: skip
        except ServiceError:
            try:
                out = svc.region_rt(engine, p.region_code, si_mean=SI[0], si_sd=SI[1],
                                    date_to=date(2020, 3, 4),
                                    priority=settings.source_priority)  # fmt: skip
            except ServiceError as exc:
                lines.append(f"| {p.region_code} | {p.name_en} | – | – | – | – | – | "
                             f"{exc.message} |")  # fmt: skip
                continue
        last = out["items"][-1]
        series = daily_series(engine, p.region_code, date_from=date.fromisoformat(
            last["date_start"]), date_to=date.fromisoformat(last["date_end"]),
            source=out["source"], priority=())  # fmt: skip
        cases = sum(max(i["new_confirmed"] or 0, 0) for i in series["items"])
        cv = last["std"] / last["mean"]
        if cases == 0 and last["mean"] > 4.5:
            note = "no information: the prior (no cases in or before the window)"
        elif cases == 0:
            note = "no cases in the window: an upper bound more than an estimate"
        else:
            note = "imprecise (posterior CV > 0.3)" if cv > 0.3 else ""
        lines.append(
            f"| {p.region_code} | {p.name_en} | {out['source']} | {last['date_start']}.."
            f"{last['date_end']} | {cases:,} | {last['mean']:.2f} | "
            f"{last['q0.025']:.2f}–{last['q0.975']:.2f} | {note} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/rt_demo.db")
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url)
    engine = make_engine(args.database_url)
    OUT.mkdir(parents=True, exist_ok=True)
    agreement = epiestim_agreement()
    report, report_alt, onset = hubei(engine, settings)
    series = daily_series(engine, "420000", date_from=None, date_to=None, source="ccdc",
                          priority=(), limit=10_000)  # fmt: skip
    incidence = [(date.fromisoformat(i["report_date"]), i["new_confirmed"] or 0)
                 for i in series["items"]]  # fmt: skip
    onsets = svc.onset_incidence(engine, "420000", source=None)
    plot(report, onset, incidence, onsets)
    by_end = {r["date_end"]: r for r in report["items"]}
    by_end_alt = {r["date_end"]: r for r in report_alt["items"]}
    late_jan = [r for r in report["items"] if "2020-01-24" <= r["date_end"] <= "2020-01-31"]
    after = [r for r in report["items"] if r["date_end"] > "2020-02-20"]
    first_below = next(r["date_end"] for r in report["items"] if r["q0.975"] < 1)
    first_below_alt = next(r["date_end"] for r in report_alt["items"] if r["q0.975"] < 1)
    on_items = [r for r in onset["items"] if r["date_end"] >= "2020-01-01"]
    on_below = next((r["date_end"] for i, r in enumerate(on_items)
                     if all(x["mean"] < 1 for x in on_items[i:])), "never")  # fmt: skip
    n_onset = int(sum(onsets["local"]))
    checks = [
        ("R_t > 2 for every window ending 2020-01-24..01-31 (report date)",
         all(r["q0.025"] > 2 for r in late_jan),
         f"posterior means {min(r['mean'] for r in late_jan):.2f}–"
         f"{max(r['mean'] for r in late_jan):.2f}, lower 95% bounds ≥ "
         f"{min(r['q0.025'] for r in late_jan):.2f}"),
        ("R_t < 1 for every window ending after 2020-02-20 (report date)",
         all(r["q0.975"] < 1 for r in after),
         f"posterior means {min(r['mean'] for r in after):.2f}–"
         f"{max(r['mean'] for r in after):.2f}, upper 95% bounds ≤ "
         f"{max(r['q0.975'] for r in after):.2f}"),
        ("reclassification bump: window ending 2020-02-12 above the one ending 02-11",
         by_end["2020-02-12"]["mean"] > by_end["2020-02-11"]["mean"],
         f"{by_end['2020-02-11']['mean']:.2f} → {by_end['2020-02-12']['mean']:.2f}; "
         f"after the spike leaves the window: {by_end['2020-02-18']['mean']:.2f} (02-18) → "
         f"{by_end['2020-02-19']['mean']:.2f} (02-19)"),
    ]  # fmt: skip
    md = [
        "## Reproduction number R_t (Cori et al. 2013, EpiEstim)",
        "",
        "`fangkong.core.epi.rt.estimate_r` implements the method of Cori A, Ferguson NM, "
        "Fraser C, Cauchemez S (Am J Epidemiol 2013;178:1505-1512) exactly as the R package "
        "EpiEstim's `estimate_R`: gamma posterior (shape = prior shape + local cases in the "
        "window, scale = 1/(1/prior scale + Σ infectivity)), infectivity from local and "
        "imported cases, day 1's cases counted as imported, windows ending on or before the "
        "mean serial interval dropped, EpiEstim's `discr_si` for parametric serial "
        "intervals, and `uncertain_si` sampling. It is vectorised over regions "
        "(`bench/rt.py`: 3,000 regions × 365 days in about 0.14 s on 2 cores).",
        "",
        "### Agreement with EpiEstim 3.0.0",
        "",
        "Saved outputs of EpiEstim's own tests (`tests/fixtures/epiestim/`, see SOURCE.md).",
        "Example 4 is random; R's random-number stream cannot be replayed in NumPy, so it is "
        "compared within 5 % on the mean (ours uses more SI draws, so the difference "
        "measures EpiEstim's Monte Carlo error with n1 = 100).",
        "",
        *agreement,
        "",
        "### Hubei, 2020",
        "",
        f"Serial interval: gamma offset by one day, mean {SI[0]} d, sd {SI[1]} d "
        "(Li Q et al., NEJM 2020;382:1199-1207, 6 pairs in Wuhan; "
        "`published_reference_values.csv`, verified). Prior mean 5, sd 5 (EpiEstim's). "
        "Weekly sliding windows; dates are the window's last day.",
        "",
        "![Hubei R_t by report and onset date](rt_hubei.png)",
        "",
        "| check (China CDC daily new confirmed, by report date, source `ccdc`) | holds | "
        "figures |",
        "| --- | --- | --- |",
        *[f"| {name} | {'yes' if ok else '**no**'} | {fig} |" for name, ok, fig in checks],
        "",
        f"The 95% credible interval lies wholly below 1 from the window ending {first_below} "
        f"(SI {SI[0]}/{SI[1]} d) — {first_below_alt} with the shorter SI of Nishiura et al. "
        f"({SI_ALT[0]}/{SI_ALT[1]} d), whose late-January estimates are lower "
        f"({by_end_alt['2020-01-28']['mean']:.2f} vs {by_end['2020-01-28']['mean']:.2f} "
        "for the window ending 01-28): the level of R_t depends on the SI, the timing of "
        "the decline much less.",
        "",
        "**The 2020-02-12 reclassification.** On 2020-02-12 Hubei began counting clinically "
        "diagnosed cases and reported 14,840 new confirmed cases (13,332 of them clinically "
        "diagnosed, most with onsets days or weeks earlier). Every window that contains "
        "that day (ending 02-12..02-18, shaded) has the backlog in its numerator, so R_t "
        f"jumps from {by_end['2020-02-11']['mean']:.2f} to {by_end['2020-02-12']['mean']:.2f}. "
        "Once the day leaves the window the backlog only inflates the infectivity Λ of "
        f"later windows, and R_t drops to {by_end['2020-02-19']['mean']:.2f} "
        "(window ending 02-19) — below what the true transmission was, for about "
        "two serial intervals. Neither the bump nor the dip is a change in transmission: "
        "the report-date series mixes a change in case definition into the epidemic curve.",
        "",
        "**By onset date.** The line list of Hubei (beoutbreakprepared, Xu et al. 2020, "
        f"snapshot {LINE_LIST_END}) has an exact onset date for only {n_onset} of its "
        "14,729 cases (most rows carry only a confirmation date, and the 57 rows with "
        '"pre 18.01.2020" are ranges, not dates), so the onset-based R_t is very uncertain. '
        f"Its point estimates stay below 1 from the window ending {on_below}, a month before "
        "the report-date series. The direction is expected — report dates lag onsets by "
        "the onset-to-report delay (1-2 weeks in January 2020), and onset-based studies "
        "with complete data put Wuhan's R_t below 1 from early February (Pan A et al., "
        "JAMA 2020, 32,583 cases: < 1 after 2020-02-06; Kucharski AJ et al., Lancet Infect "
        "Dis 2020: median 2.35 one week before 2020-01-23 and 1.05 one week after) — but "
        "here the size of the lead is mostly an artefact: the dated onsets come from the "
        f"first published case reports and end on {onsets['dates'][-1]}, so the last "
        "windows are right-truncated (cases with recent onsets had not been documented yet) "
        "and fall for that reason. Read the onset curve as an illustration of the method on "
        "a line list, not as evidence about Hubei. The published "
        "values are plausibility bands, not targets: they use different data and methods.",
        "",
        "Notes from the service on the onset series: "
        + ("; ".join(onset["notes"]) or "none")
        + ".",
        "",
        "### Latest R_t by province",
        "",
        f"China CDC series (source `ccdc`; other sources where a region has none), last "
        f"weekly window ending on or before 2020-03-04, SI {SI[0]}/{SI[1]} d. With no cases "
        "in the window the posterior is gamma with shape 1 (CV 1): if there were cases "
        "in the weeks before, it says R_t was low; if not, it is the prior (mean 5, 95% "
        "CrI 0.13–18.4), “no information”, not an estimate of 5.",
        "",
        *province_table(engine, settings),
        "",
        "Reproduce: `python scripts/validation/rt.py --database-url sqlite:////tmp/rt_demo.db` "
        "after `fangkong demo --no-serve` on that database.",
        "",
    ]
    (OUT / "rt.md").write_text("\n".join(md))
    for name, ok, fig in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {name}: {fig}")
    print(f"wrote {OUT / 'rt.md'} and {OUT / 'rt_hubei.png'}")
    engine.dispose()


if __name__ == "__main__":
    main()
