"""Validation of the SEIR scenario model: analytic checks and a Hubei comparison.

Usage (no database needed; Hubei's population is the 2020 census figure bundled in
``src/fangkong/data/populations.csv``)::

    .venv/bin/python scripts/validation/seir.py

Writes ``docs/validation/seir.md`` and ``docs/validation/seir_hubei.png``:

1. closed-form checks: final size (Kermack & McKendrick), age-structured final size
   (Ma & Earn 2006), initial growth rate (Wallinga & Lipsitch 2007), herd-immunity
   threshold, conservation of the population, stochastic mean vs the ODE;
2. Hubei: the Level I response of 2020-01-23 against the same response a week later.
"""

from __future__ import annotations

import csv
import math
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from scipy import optimize  # noqa: E402

from fangkong.core.epi import seir  # noqa: E402
from fangkong.services import scenarios as svc  # noqa: E402

OUT = ROOT / "docs" / "validation"
CONTACTS = np.array([[8.0, 3.0], [3.0, 5.0]])


def hubei_population() -> int:
    with (ROOT / "src" / "fangkong" / "data" / "populations.csv").open() as fh:
        return next(
            int(r["population"]) for r in csv.DictReader(fh) if r["region_code"] == "420000"
        )


def analytic_checks() -> list[tuple[str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str]] = []
    for r0 in (1.3, 2.2, 2.68, 4.0):
        res = seir.simulate(seir.SEIRModel(np.array([1e9]), r0), 1000, initial_infections=1.0)
        z_sim = res.cumulative_infections()[-1] / 1e9
        z = seir.final_size(r0)
        rows.append(
            (
                f"final size, R0 = {r0}",
                f"{z:.6f} (z = 1 − e^(−R0 z))",
                f"{z_sim:.6f}",
                f"{abs(z - z_sim):.1e}",
                "1e-4",
            )
        )
    model = seir.SEIRModel(np.array([2e8, 5e8]), 2.2, 5.2, 2.3, CONTACTS)
    res = seir.simulate(model, 1000, initial_infections=1.0)
    attack = (res.S[0] - res.S[-1] + res.E[0] + res.I[0]) / model.population
    z2 = seir.final_size_structured(model)
    rows.append(
        (
            "final size, 2 age groups, R0 = 2.2",
            f"{z2[0]:.5f} / {z2[1]:.5f} (Ma & Earn 2006)",
            f"{attack[0]:.5f} / {attack[1]:.5f}",
            f"{np.max(np.abs(attack - z2)):.1e}",
            "1e-4",
        )
    )
    for r0, lat, inf in ((2.2, 5.2, 2.3), (2.68, 6.0, 2.4), (1.5, 3.0, 7.0)):
        m = seir.SEIRModel(np.array([1e12]), r0, lat, inf)
        r = seir.growth_rate_from_r0(r0, lat, inf)
        sim = seir.simulate(m, 60, initial_infections=1.0)
        slope = float(np.polyfit(np.arange(10, 60), np.log(sim.total("I")[10:60]), 1)[0])
        rows.append(
            (
                f"growth rate r, R0 {r0}, L {lat} d, D {inf} d",
                f"{r:.6f}/d ((1 + rL)(1 + rD) = R0)",
                f"{slope:.6f}/d (log-linear, days 10-59)",
                f"{abs(r - slope):.1e}",
                "1e-3",
            )
        )
    for r0 in (1.8, 2.5, 3.5):
        sol = seir.dense_solution(seir.SEIRModel(np.array([1e9]), r0), 1000.0, 10.0)

        def neg(t: float, sol=sol) -> float:  # type: ignore[no-untyped-def]
            y = sol(t)
            return -float(y[1] + y[2])

        grid = np.arange(0.0, 1000.0, 0.5)
        t0 = grid[int(np.argmin([neg(t) for t in grid]))]
        best = optimize.minimize_scalar(
            neg, bounds=(t0 - 1, t0 + 1), method="bounded", options={"xatol": 1e-9}
        )
        s = sol(best.x)[0] / 1e9
        rows.append(
            (
                f"S/N at the peak of E + I, R0 = {r0}",
                f"{1 / r0:.6f} (1/R0)",
                f"{s:.6f} (day {best.x:.2f})",
                f"{abs(s - 1 / r0):.1e}",
                "1e-6",
            )
        )
    m = seir.SEIRModel(np.array([2e7, 5e7]), 2.7, 5.2, 2.3, CONTACTS)
    ivs = [seir.Intervention(30, 0.6, end=90, ramp_days=5), seir.Intervention(60, 0.3)]
    res = seir.simulate(m, 400, ivs, initial_infections=50)
    drift = float(np.max(np.abs((res.S + res.E + res.I + res.R).sum(axis=1) / 7e7 - 1)))
    rows.append(
        (
            "S + E + I + R = N (2 groups, ramped and lifted interventions, 400 d)",
            "0",
            f"{drift:.1e}",
            f"{drift:.1e}",
            "1e-9 relative",
        )
    )
    m = seir.SEIRModel(np.array([1e7]), 2.5)
    det = seir.simulate(m, 250, initial_infections=200)
    runs = seir.simulate_stochastic(
        m, 250, np.random.default_rng(1), initial_infections=200, replicates=20, steps_per_day=20
    )
    fin = runs.cumulative_infections()[:, -1].mean() / det.cumulative_infections()[-1] - 1
    prev = runs.prevalence().mean(axis=0)
    pk = prev.max() / det.prevalence().max() - 1
    rows.append(
        (
            "stochastic mean vs ODE, N = 1e7, 20 runs: total infected",
            f"{det.cumulative_infections()[-1]:,.0f}",
            f"{runs.cumulative_infections()[:, -1].mean():,.0f}",
            f"{abs(fin):.1e} rel.",
            "2e-3 rel.",
        )
    )
    rows.append(
        (
            "stochastic mean vs ODE: peak prevalence (day)",
            f"{det.prevalence().max():,.0f} (day {int(det.prevalence().argmax())})",
            f"{prev.max():,.0f} (day {int(prev.argmax())})",
            f"{abs(pk):.1e} rel.",
            "3e-2 rel., ±2 days",
        )
    )
    return rows


def hubei() -> tuple[dict[str, object], str]:
    start = date(2019, 12, 1)
    req = svc.ScenarioRequest(
        start=start,
        days=200,
        population=float(hubei_population()),
        r0=2.68,
        calibrate=svc.Calibration(date(2020, 1, 25), 75_815),
        interventions=(svc.InterventionSpec(date(2020, 1, 23), 0.7, label="Level I"),),
        scenarios=(
            svc.ScenarioSpec("Level I on 2020-01-23"),
            svc.ScenarioSpec("one week later (2020-01-30)", delay_days=7),
        ),
    )
    out = svc.run(None, req)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    panels = [
        ("new_infections", "new infections per day"),
        ("prevalence", "infected (E + I)"),
        ("hospital_beds", "hospital (ward) beds occupied"),
        ("icu_beds", "ICU beds occupied"),
    ]
    for ax, (key, title) in zip(axes.flat, panels, strict=True):
        for s, colour in zip(out["scenarios"], ("tab:blue", "tab:red"), strict=True):
            days = [date.fromisoformat(d) for d in s["series"]["date"]]
            ax.plot(days, s["series"][key], color=colour, label=s["name"])
            ax.axvline(
                date.fromisoformat(s["interventions"][0]["start"]), color=colour, ls=":", lw=1
            )
        ax.set_title(title)
        ax.set_xlim(date(2020, 1, 1), date(2020, 4, 15))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        ax.grid(alpha=0.3)
    axes[0, 0].legend()
    fig.suptitle(
        "Hubei SEIR scenarios: R0 2.68, contacts −70% from the Level I response "
        "(dotted), 75,815 infected by 2020-01-25"
    )
    fig.tight_layout()
    fig.savefig(OUT / "seir_hubei.png", dpi=110)
    plt.close(fig)
    lines = [
        "| | " + " | ".join(s["name"] for s in out["scenarios"]) + " | difference |",
        "| --- | ---: | ---: | ---: |",
    ]
    a, b = (s["summary"] for s in out["scenarios"])
    d = out["comparison"][0]["differences"]

    def pk(x: dict[str, object]) -> str:
        return f"{x['value']:,.0f} on {x['date']}"

    lines += [
        f"| peak new infections/day | {pk(a['peak_infections'])} | {pk(b['peak_infections'])} "
        f"| {d['peak_infections']:+,.0f} ({d['peak_infections_day']:+d} d) |",
        f"| peak prevalence (E + I) | {pk(a['peak_prevalence'])} | {pk(b['peak_prevalence'])} "
        f"| {d['peak_prevalence']:+,.0f} ({d['peak_prevalence_day']:+d} d) |",
        f"| total infected by {start + timedelta(days=200)} | {a['total_infections']:,.0f} "
        f"({a['attack_rate']:.2%}) | {b['total_infections']:,.0f} ({b['attack_rate']:.2%}) "
        f"| {d['total_infections']:+,.0f} (×{b['total_infections'] / a['total_infections']:.2f}) |",
        f"| peak hospital beds | {pk(a['peak_hospital_beds'])} | {pk(b['peak_hospital_beds'])} "
        f"| {d['peak_hospital_beds']:+,.0f} |",
        f"| peak ICU beds | {pk(a['peak_icu_beds'])} | {pk(b['peak_icu_beds'])} "
        f"| {d['peak_icu_beds']:+,.0f} |",
    ]
    return out, "\n".join(lines)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = analytic_checks()
    out, table = hubei()
    m = out["model"]
    md = [
        "## SEIR intervention scenarios",
        "",
        "`fangkong.core.epi.seir` is a deterministic SEIR model (optionally age-structured "
        "with a contact matrix) with time-varying contacts `c(t)` from interventions (start, "
        "contact reduction, optional end and linear ramp), parameterised from R0 by "
        "β = R0·γ/ρ(C) (β = R0/D for one group, D the mean infectious period), solved with "
        "SciPy's DOP853 (rtol 1e-10) piecewise between the interventions' break points; and a "
        "binomial-chain tau-leap stochastic variant (seeded `numpy.random.Generator`). "
        "`fangkong.core.epi.scenario` turns infections into hospital and ICU bed demand: "
        "admissions = fraction hospitalised × infections convolved with the whole-day "
        "infection-to-admission delay, beds = admissions convolved with "
        "`w_k = ∫_k^{k+1} P(stay > u) du` (gamma stays), so bed-days = admissions × mean stay.",
        "",
        "### Analytic checks",
        "",
        "| check | closed form | model | difference | tolerance |",
        "| --- | --- | --- | ---: | --- |",
        *(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows),
        "",
        "The stochastic chain uses exit probabilities σh and γh, which keep the mean stage "
        "durations exactly 1/σ and 1/γ (with Bretó et al.'s 1 − e^(−σh) the stages last "
        "about h/2 longer and the final size overshoots, by 0.8 % at 10 steps a day).",
        "",
        "### Parameters (defaults)",
        "",
        "| parameter | default | source |",
        "| --- | --- | --- |",
        "| R0 | 2.2 | Li Q et al., NEJM 2020;382:1199-1207 (95% CI 1.4-3.9); the Hubei run "
        "below uses 2.68 (Wu JT et al., Lancet 2020;395:689-697, 95% CrI 2.47-2.86); both in "
        "`published_reference_values.csv`, verified |",
        "| latent period 1/σ | 5.2 d | mean incubation period, Li et al. 2020 (verified); "
        "the model has no pre-symptomatic transmission |",
        "| infectious period 1/γ | 2.3 d | mean serial interval 7.5 d (Li et al. 2020, "
        "verified) − 5.2 d: the SEIR generation time has mean 1/σ + 1/γ |",
        "| hospitalised fraction | 0.044 of infections | Ferguson NM et al., Imperial "
        "College Report 9 (2020-03-16); not checked against the report's text |",
        "| ICU fraction | 0.30 of admissions | Ferguson et al., Report 9; not checked |",
        "| infection → admission | gamma, mean 10.2 d, sd 4.0 d | incubation 5.2 d + onset "
        "to admission 5 d (Report 9, not checked); the sd is an assumption |",
        "| ward stay | gamma, mean 8 d, sd 4 d | Report 9 (not checked); sd assumed |",
        "| ICU stay | gamma, mean 10 d, sd 5 d | Report 9 (not checked); sd assumed; ward "
        "days of ICU patients are not counted |",
        "",
        f"The defaults imply r = {seir.growth_rate_from_r0(2.2, 5.2, 2.3):.3f}/day (doubling "
        f"{math.log(2) / seir.growth_rate_from_r0(2.2, 5.2, 2.3):.1f} d), inside Li et al.'s "
        "95% CI for the Wuhan growth rate (0.050-0.16/day; doubling 4.2-14 d) — a test checks it.",
        "",
        "### Hubei: Level I response on 2020-01-23 vs one week later",
        "",
        f"Population {out['population']:,.0f} (2020 census), R0 2.68 (Wu et al.), latent "
        f"5.2 d, infectious 2.3 d (r = {m['growth_rate']:.3f}/day, doubling "
        f"{m['doubling_time']:.1f} d). The run starts on 2019-12-01 with "
        f"{m['initial_infections']:.2f} infections, chosen (Brent's method) so that 75,815 "
        "people have been infected by 2020-01-25 — Wu et al.'s estimate for Wuhan, applied "
        "to Hubei. The Level I response is modelled as a 70% cut in contacts from its "
        "first day (R_t 2.68 → 0.80 at the start; Kucharski et al. 2020 estimate a median R_t "
        "of 1.05 a week after 2020-01-23, Wang C et al. 0.32 after the interventions). The "
        "other scenario starts the same response on 2020-01-30.",
        "",
        "![Hubei scenarios](seir_hubei.png)",
        "",
        table,
        "",
        "A week's delay, at a doubling time of about four days, roughly triples every "
        "figure: every day before the response adds r = 0.175 to the log of the epidemic's "
        "size (e^(7·0.175) = 3.4), and everything downstream scales with it. These are "
        "scenario outputs, not a reconstruction: the model ignores under-reporting, the "
        "Wuhan-Hubei difference and the hospital capacity limits of February 2020.",
        "",
        "Reproduce: `.venv/bin/python scripts/validation/seir.py`; the same comparison from "
        "the command line: `fangkong scenario --region 420000 --r0 2.68 --start 2019-12-01 "
        "--days 200 --calibrate 2020-01-25:75815 --intervention 2020-01-23:0.7 "
        "--compare-delay 7`.",
        "",
    ]
    (OUT / "seir.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
