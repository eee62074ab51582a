"""Allocation benchmark: 50 depots x 3,000 hospitals x 10 items, optimal vs nearest depot.

Usage::

    .venv/bin/python bench/allocate.py [--depots 50] [--hospitals 3000] [--items 10]
                                       [--seed 2020] [--workers 2]

Instance (seeded ``numpy.random.Generator``, documented layout):

* depots sit at the seats of real prefecture-level cities (``CITIES`` below: GB/T 2260
  code, name, latitude and longitude of the city government to 0.01 degree), the first
  ``--depots`` of them; one item's stock is not everywhere (each depot holds each item
  with probability 0.7), and depots in the south-east hold more (log-normal sizes);
* hospitals are spread around all of the cities, each city getting a share drawn from a
  Dirichlet distribution, at a normal offset of 0.35 degree (about 40 km) from the seat;
  a cluster of 20% of the hospitals around Wuhan carries an outbreak (needs x 4);
* needs are negative-binomial packs per hospital and item; the pooled stock of each item
  is 55-95% of its total need (a shortage, which is when allocation matters);
* priorities come from ICU load: 1 + severe patients per ten ICU beds (gamma
  distributed, higher in the outbreak cluster), capped at 3.

Both plans are checked for feasibility (no depot ships stock it does not hold, no
hospital gets more than it needs). Printed: time, minimum fill rate (plain and
priority-weighted), total unmet need, pack-kilometres, for the optimiser and the greedy
nearest-depot baseline, and the improvement; then the ``metric`` lines.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fangkong.core.allocation.greedy import nearest_depot
from fangkong.core.allocation.problem import AllocationProblem, ItemInfo, Site
from fangkong.core.allocation.result import (
    min_fill,
    min_weighted_fill,
    transport_cost,
    unmet_need,
    violations,
)
from fangkong.core.allocation.solve import allocate

#: (GB/T 2260 code, name, latitude, longitude) of prefecture-level city seats.
CITIES: tuple[tuple[str, str, float, float], ...] = (
    ("420100", "Wuhan", 30.59, 114.31),
    ("110000", "Beijing", 39.90, 116.41),
    ("310000", "Shanghai", 31.23, 121.47),
    ("440100", "Guangzhou", 23.13, 113.26),
    ("440300", "Shenzhen", 22.54, 114.06),
    ("120000", "Tianjin", 39.13, 117.20),
    ("500000", "Chongqing", 29.56, 106.55),
    ("510100", "Chengdu", 30.57, 104.07),
    ("610100", "Xi'an", 34.34, 108.94),
    ("320100", "Nanjing", 32.06, 118.80),
    ("330100", "Hangzhou", 30.27, 120.16),
    ("340100", "Hefei", 31.82, 117.23),
    ("350100", "Fuzhou", 26.07, 119.30),
    ("350200", "Xiamen", 24.48, 118.09),
    ("360100", "Nanchang", 28.68, 115.86),
    ("370100", "Jinan", 36.65, 117.12),
    ("370200", "Qingdao", 36.07, 120.38),
    ("410100", "Zhengzhou", 34.75, 113.63),
    ("430100", "Changsha", 28.23, 112.94),
    ("450100", "Nanning", 22.82, 108.37),
    ("460100", "Haikou", 20.04, 110.20),
    ("520100", "Guiyang", 26.65, 106.63),
    ("530100", "Kunming", 25.04, 102.71),
    ("540100", "Lhasa", 29.65, 91.17),
    ("620100", "Lanzhou", 36.06, 103.83),
    ("630100", "Xining", 36.62, 101.78),
    ("640100", "Yinchuan", 38.49, 106.23),
    ("650100", "Urumqi", 43.83, 87.62),
    ("150100", "Hohhot", 40.84, 111.75),
    ("140100", "Taiyuan", 37.87, 112.55),
    ("130100", "Shijiazhuang", 38.04, 114.51),
    ("210100", "Shenyang", 41.81, 123.43),
    ("210200", "Dalian", 38.91, 121.61),
    ("220100", "Changchun", 43.82, 125.32),
    ("230100", "Harbin", 45.80, 126.53),
    ("420500", "Yichang", 30.69, 111.29),
    ("420600", "Xiangyang", 32.01, 112.12),
    ("420900", "Xiaogan", 30.92, 113.92),
    ("421000", "Jingzhou", 30.33, 112.24),
    ("421100", "Huanggang", 30.45, 114.87),
    ("420200", "Huangshi", 30.20, 115.04),
    ("421200", "Xianning", 29.84, 114.32),
    ("420300", "Shiyan", 32.63, 110.80),
    ("320500", "Suzhou", 31.30, 120.59),
    ("330200", "Ningbo", 29.87, 121.55),
    ("330300", "Wenzhou", 28.00, 120.70),
    ("440600", "Foshan", 23.02, 113.12),
    ("441900", "Dongguan", 23.02, 113.75),
    ("411300", "Nanyang", 33.00, 112.53),
    ("411500", "Xinyang", 32.15, 114.09),
    ("431000", "Chenzhou", 25.77, 113.01),
    ("361100", "Shangrao", 28.45, 117.94),
    ("341800", "Xuancheng", 30.94, 118.76),
    ("371300", "Linyi", 35.10, 118.36),
    ("130600", "Baoding", 38.87, 115.46),
    ("610300", "Baoji", 34.36, 107.24),
    ("510700", "Mianyang", 31.47, 104.68),
    ("530500", "Baoshan", 25.11, 99.16),
    ("220200", "Jilin", 43.84, 126.55),
    ("152500", "Xilingol", 43.93, 116.09),
)

ITEMS = (
    ("n95", "N95 医用防护口罩", "N95 respirators", 20),
    ("mask", "医用外科口罩", "surgical masks", 50),
    ("suit", "医用防护服", "protective suits", 10),
    ("goggles", "护目镜", "goggles", 20),
    ("gloves", "医用检查手套", "examination gloves", 100),
    ("testkit", "核酸检测试剂盒", "nucleic-acid test kits", 48),
    ("ventilator", "呼吸机", "ventilators", 1),
    ("hfnc", "高流量氧疗仪", "high-flow nasal cannula units", 1),
    ("oximeter", "指夹式血氧仪", "pulse oximeters", 10),
    ("disinfectant", "含氯消毒剂", "chlorine disinfectant", 12),
)


def instance(n_depots: int, n_hospitals: int, n_items: int, seed: int) -> AllocationProblem:
    rng = np.random.default_rng(seed)
    if n_depots > len(CITIES):
        raise SystemExit(f"at most {len(CITIES)} depots (one per listed city)")
    depots = tuple(
        Site(f"D{code}", f"{name} depot", lat, lon) for code, name, lat, lon in CITIES[:n_depots]
    )
    share = rng.dirichlet(np.full(len(CITIES), 2.0))
    city = rng.choice(len(CITIES), size=n_hospitals, p=share)
    outbreak = rng.random(n_hospitals) < 0.2
    city[outbreak] = 0  # Wuhan
    lat = np.array([CITIES[c][2] for c in city]) + rng.normal(0, 0.35, n_hospitals)
    lon = np.array([CITIES[c][3] for c in city]) + rng.normal(0, 0.35, n_hospitals)
    hospitals = tuple(
        Site(f"H{k:05d}", f"{CITIES[c][1]} hospital {k}", float(la), float(lo))
        for k, (c, la, lo) in enumerate(zip(city, lat, lon, strict=True))
    )
    specs = [ITEMS[k % len(ITEMS)] for k in range(n_items)]
    items = tuple(
        ItemInfo(code if k < len(ITEMS) else f"{code}{k}", zh, en, pack)
        for k, (code, zh, en, pack) in enumerate(specs)
    )
    base = rng.negative_binomial(2, 0.08, size=(n_hospitals, n_items))
    need = base * np.where(outbreak, 4, 1)[:, None]
    total = need.sum(axis=0)
    ratio = rng.uniform(0.55, 0.95, n_items)
    holds = rng.random((n_depots, n_items)) < 0.7
    holds[0] = True
    south_east = np.array([lon_ > 110 and lat_ < 32 for _, _, lat_, lon_ in CITIES[:n_depots]])
    size = rng.lognormal(0, 0.6, (n_depots, n_items)) * np.where(south_east, 1.8, 1.0)[:, None]
    size = size * holds
    supply = np.floor(size / size.sum(axis=0) * total * ratio).astype(np.int64)
    severe = rng.gamma(2.0, 1.0, n_hospitals) * np.where(outbreak, 3.0, 1.0)
    beds = rng.integers(10, 60, n_hospitals)
    load = np.minimum(severe / beds * 10, 2.0)
    priority = np.repeat(1.0 + load[:, None], n_items, axis=1)
    return AllocationProblem(depots, hospitals, items, supply[None], need[None], priority)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depots", type=int, default=50)
    parser.add_argument("--hospitals", type=int, default=3000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 10))
    args = parser.parse_args()
    problem = instance(args.depots, args.hospitals, args.items, args.seed)
    print(
        f"instance: {args.depots} depots x {args.hospitals} hospitals x {args.items} items, "
        f"{int(problem.need.sum()):,} packs needed, {int(problem.supply.sum()):,} in stock, "
        f"{args.depots * args.hospitals * args.items:,} depot-hospital-item arcs"
    )
    started = time.perf_counter()
    optimal = allocate(problem, workers=args.workers)
    seconds = time.perf_counter() - started
    greedy = nearest_depot(problem)
    for name, plan in (("optimal", optimal), ("greedy", greedy)):
        broken = violations(problem, plan)
        if broken:
            print(f"{name} plan is infeasible: {broken[:3]}")
            return 1
    statuses = {o.status for o in optimal.outcomes}
    gaps = [o.cost - o.lp_bound for o in optimal.outcomes]
    print(
        f"optimal: {seconds:.2f} s with {args.workers} thread(s); status {sorted(statuses)}; "
        f"largest cost above the all-arc LP bound {max(gaps):.3g} pack-km; "
        f"{len(optimal.shipments):,} shipments"
    )
    print(f"greedy nearest depot: {greedy.seconds:.2f} s; {len(greedy.shipments):,} shipments")
    rows = (
        ("minimum fill rate", min_fill(problem, optimal), min_fill(problem, greedy), "{:.4f}"),
        (
            "minimum priority-weighted fill rate",
            min_weighted_fill(problem, optimal),
            min_weighted_fill(problem, greedy),
            "{:.4f}",
        ),
        (
            "total unmet need (packs)",
            unmet_need(problem, optimal),
            unmet_need(problem, greedy),
            "{:,}",
        ),
        (
            "transport (pack-km)",
            transport_cost(problem, optimal),
            transport_cost(problem, greedy),
            "{:,.0f}",
        ),
    )
    print(f"{'':38}{'optimal':>16}{'greedy':>16}")
    for label, a, b, fmt in rows:
        print(f"{label:38}{fmt.format(a):>16}{fmt.format(b):>16}")
    opt_fill, gr_fill = rows[0][1], rows[0][2]
    opt_unmet, gr_unmet = rows[2][1], rows[2][2]
    print(
        f"improvement: minimum fill rate {opt_fill - gr_fill:+.4f}; unmet need "
        f"{opt_unmet - gr_unmet:+,} packs ({(gr_unmet - opt_unmet) / max(gr_unmet, 1):.1%} less)"
    )
    print(f"metric allocate_s {seconds:.3f}")
    print(f"metric allocate_min_fill {opt_fill:.4f}")
    print(f"metric greedy_min_fill {gr_fill:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
