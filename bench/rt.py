"""R_t benchmark: Cori et al. (2013) for 3,000 counties x 365 days in one vectorised call.

Usage::

    .venv/bin/python bench/rt.py [--regions 3000] [--days 365] [--repeat 5]

Synthetic incidence (seeded ``numpy.random.Generator``): each county has a population
drawn from a log-normal, an epidemic seeded on a random day, and a time-varying R
(a smooth wave with an intervention dip) driving a renewal process with the serial
interval used throughout (gamma, mean 7.5 d, sd 3.4 d: Li et al., NEJM 2020); daily
counts are negative-binomial around the expected incidence, with weekly reporting
effects — small counties have long runs of zeros, big ones thousands of cases a day.

Timed, in this one process, each the best of ``--repeat`` runs:

1. ``estimate_r`` on the whole (regions x days) array (weekly sliding windows, all
   posterior summaries: mean, sd and 7 quantiles);
2. a Python loop calling the same ``estimate_r`` on one region at a time;
3. the Python package ``epyestim``: its Cori step ``epyestim.estimate_r.estimate_r``
   (posterior shape and scale from an SI distribution and an incidence series, pandas)
   plus its ``gamma_quantiles`` for the same 7 quantiles, on a subset of regions,
   scaled per region to the full set (the output says so).

Ends with the ``metric`` lines read by the project's benchmark tracking.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fangkong.core.epi.rt import QUANTILES, estimate_r
from fangkong.core.epi.serial_interval import discr_si

SEED = 20200123
SI_MEAN, SI_SD = 7.5, 3.4


def synthetic_incidence(n_regions: int, n_days: int, seed: int = SEED) -> np.ndarray:
    """Seeded renewal-process epidemics with negative-binomial reporting noise."""
    rng = np.random.default_rng(seed)
    w = discr_si(np.arange(n_days), SI_MEAN, SI_SD)
    pop = np.exp(rng.normal(10.5, 1.2, n_regions))  # median ~36,000, a long upper tail
    t = np.arange(n_days)
    seed_day = rng.integers(0, 60, n_regions)
    r_peak = rng.uniform(1.3, 2.6, n_regions)
    dip_day = rng.integers(40, 120, n_regions)
    rt = 1.0 + (r_peak[:, None] - 1.0) * np.cos(2 * np.pi * t[None, :] / 180.0) ** 2
    rt = np.where(t[None, :] >= dip_day[:, None], rt * 0.55 + 0.3, rt)
    expected = np.zeros((n_regions, n_days))
    infected = np.zeros(n_regions)
    cases = np.zeros((n_regions, n_days))
    cases[np.arange(n_regions), seed_day] = rng.integers(1, 5, n_regions)
    for day in range(1, n_days):
        lam = cases[:, day - 1 :: -1] @ w[1 : day + 1]
        susceptible = np.clip(1.0 - infected / pop, 0.0, 1.0)
        expected[:, day] = rt[:, day] * lam * susceptible
        mean = expected[:, day] * (0.85 if day % 7 in (5, 6) else 1.05)
        draw = rng.negative_binomial(10, 10 / (10 + mean + 1e-12))
        cases[:, day] = np.where(day > seed_day, draw, cases[:, day])
        infected += cases[:, day]
    return cases


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def epyestim_run(x: np.ndarray, w: np.ndarray) -> None:
    """epyestim's Cori step per region (its own API takes one pandas Series at a time)."""
    import pandas as pd
    from epyestim.estimate_r import estimate_r as ep_estimate_r
    from epyestim.estimate_r import gamma_quantiles

    index = pd.date_range("2020-01-01", periods=x.shape[1], freq="D")
    for row in x:
        post = ep_estimate_r(pd.Series(row, index=index), w, a_prior=1.0, b_prior=5.0,
                             window_size=7)  # fmt: skip
        a, b = post["a_posterior"].to_numpy(), post["b_posterior"].to_numpy()
        _ = a * b, np.sqrt(a) * b
        for q in QUANTILES:
            gamma_quantiles(q, a, b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, default=3000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loop-regions", type=int, default=300,
                        help="regions timed in the per-region loops (scaled to all)")  # fmt: skip
    args = parser.parse_args()
    x = synthetic_incidence(args.regions, args.days)
    load = os.getloadavg()
    print(f"incidence: {args.regions:,} regions x {args.days} days, "
          f"{int(x.sum()):,} cases, max {int(x.max()):,}/day, "
          f"{np.mean(x == 0):.0%} zero days; load average {load[0]:.2f} on "
          f"{os.cpu_count()} CPUs")  # fmt: skip

    est = estimate_r(x, method="parametric_si", mean_si=SI_MEAN, std_si=SI_SD)
    print(f"windows: {est.t_start.size} weekly per region; results array {est.mean.shape}")
    vec = best_of(lambda: estimate_r(x, method="parametric_si", mean_si=SI_MEAN,
                                     std_si=SI_SD), args.repeat)  # fmt: skip
    print(
        f"vectorised estimate_r (all regions, mean/sd/7 quantiles): {vec:.3f} s "
        f"(best of {args.repeat})"
    )

    n_loop = min(args.loop_regions, args.regions)
    sub = x[:n_loop]

    def loop() -> None:
        for row in sub:
            estimate_r(row, method="parametric_si", mean_si=SI_MEAN, std_si=SI_SD)

    loop_sub = best_of(loop, max(1, args.repeat // 2))
    loop_all = loop_sub * args.regions / n_loop
    scaled = "" if n_loop == args.regions else f" ({n_loop} regions timed, scaled per region)"
    print(f"per-region Python loop over estimate_r: {loop_all:.3f} s{scaled}")

    w = est.si_distr[: args.days]
    w = w / w.sum()  # epyestim asserts the SI sums to 1 within 0.001
    ep_sub = best_of(lambda: epyestim_run(sub, w), max(1, args.repeat // 2))
    ep_all = ep_sub * args.regions / n_loop
    print(f"epyestim.estimate_r.estimate_r + gamma_quantiles per region: {ep_all:.3f} s"
          f"{scaled}")  # fmt: skip
    print(f"metric rt_3000x365_s {vec:.4f}")
    print(f"metric rt_speedup_vs_loop {loop_all / vec:.1f}")
    print(f"metric rt_speedup_vs_epyestim {ep_all / vec:.1f}")


if __name__ == "__main__":
    main()
