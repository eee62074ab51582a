"""Each hospital's allocation in plain words, in Chinese and English.

A commander signing a plan and a hospital receiving less than it asked for both need
the reason in one paragraph: what was asked, what is sent from where (and how far),
the fill rate, the hospital's priority relative to the most urgent one, and the rule
that decided — full supply when stock sufficed, otherwise the guarantee shared in
proportion to priority (stage 1 of :mod:`.solve`) topped up by priority. A plan of
several periods also says how many packs go in each period (``period_labels`` name
them, e.g. by their first day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fangkong.core.allocation.problem import AllocationProblem
from fangkong.core.allocation.result import Allocation


@dataclass(frozen=True, slots=True)
class Explanation:
    hospital_id: str
    zh: str
    en: str


#: Base units of the catalogue (data/supplies_catalogue.csv) as the texts name them:
#: (Chinese measure word, English plural).
UNIT_NAMES: dict[str, tuple[str, str]] = {
    "piece": ("个", "pieces"),
    "pair": ("副", "pairs"),
    "test": ("人份", "tests"),
    "unit": ("台", "units"),
}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _by_period(
    problem: AllocationProblem, allocation: Allocation, h: int, i: int, labels: Sequence[str]
) -> tuple[str, str]:
    """``"；按周期：…"`` and ``"; by period: …"`` for a plan of several periods."""
    if problem.periods == 1:
        return "", ""
    zh, en = [], []
    for t in range(problem.periods):
        name = labels[t] if t < len(labels) else str(t + 1)
        need, got = int(problem.need[t, h, i]), int(allocation.delivered[t, h, i])
        if need or got:
            zh.append(f"{name}期需{need}包、发{got}包")
            en.append(f"period {name}: need {need}, send {got}")
    return "；按周期：" + "，".join(zh), "; by period: " + ", ".join(en)


def explain_hospital(
    problem: AllocationProblem,
    allocation: Allocation,
    h: int,
    period_labels: Sequence[str] = (),
) -> Explanation:
    """The explanation for hospital index ``h``."""
    hospital = problem.hospitals[h]
    need = problem.need.sum(axis=0)
    got = allocation.delivered.sum(axis=0)
    weight = problem.scaled_priority()
    pooled = problem.supply.sum(axis=(0, 1))
    total_need = need.sum(axis=0)
    zh: list[str] = []
    en: list[str] = []
    for i, item in enumerate(problem.items):
        if need[h, i] == 0:
            continue
        sources: dict[int, int] = {}
        for s in allocation.shipments:
            if s.hospital == h and s.item == i:
                sources[s.depot] = sources.get(s.depot, 0) + s.packs
        parts_zh = [
            f"{problem.depots[d].name} {p}包（{problem.cost[d, h]:.0f}公里）"
            for d, p in sorted(sources.items(), key=lambda kv: problem.cost[kv[0], h])
        ]
        parts_en = [
            f"{p} from {problem.depots[d].name} ({problem.cost[d, h]:.0f} km)"
            for d, p in sorted(sources.items(), key=lambda kv: problem.cost[kv[0], h])
        ]
        fill = got[h, i] / need[h, i]
        unit_zh, unit_en = UNIT_NAMES.get(item.unit, (item.unit, item.unit))
        units = f"（每包{item.pack_size}{unit_zh}）" if item.pack_size > 1 else ""
        units_en = f" of {item.pack_size} {unit_en}" if item.pack_size > 1 else ""
        outcome = allocation.item_outcome(i)
        zh_line = (
            f"{item.name_zh}：申请{need[h, i]}包{units}，分配{got[h, i]}包，满足率{_pct(fill)}"
        )
        en_line = (
            f"{item.name_en}: requested {need[h, i]} packs{units_en}, allocated {got[h, i]} "
            f"({_pct(fill)} filled)"
        )
        if sources:
            zh_line += "，来自" + "、".join(parts_zh)
            en_line += ": " + ", ".join(parts_en)
        period_zh, period_en = _by_period(problem, allocation, h, i, period_labels)
        zh_line += period_zh
        en_line += period_en
        if pooled[i] >= total_need[i]:
            zh_line += "。库存充足，全部满足。"
            en_line += ". Stock covered every request in full."
        else:
            share = pooled[i] / total_need[i] if total_need[i] else 0.0
            zh_line += (
                f"。全部库存{pooled[i]}包仅够总需求{total_need[i]}包的{_pct(share)}，"
                f"按优先级分配：本院优先级为最高者的{_pct(weight[h, i])}"
            )
            en_line += (
                f". Stock of {pooled[i]} packs covered {_pct(share)} of the total need of "
                f"{total_need[i]}, so it was shared by priority: this hospital's priority "
                f"is {_pct(weight[h, i])} of the highest"
            )
            if outcome is not None:
                guarantee = min(1.0, outcome.guaranteed_fill * weight[h, i])
                zh_line += (
                    f"，每家医院至少获得“{_pct(outcome.guaranteed_fill)}×相对优先级”的需求，"
                    f"本院保底{_pct(guarantee)}，余量优先给优先级更高者。"
                )
                en_line += (
                    f"; every hospital was guaranteed at least {_pct(outcome.guaranteed_fill)} "
                    f"x its relative priority of its need ({_pct(guarantee)} here), and the "
                    f"rest went to the most urgent first."
                )
            else:
                zh_line += "（按就近仓库先到先得的方案）。"
                en_line += " (nearest-depot, first-come plan)."
        zh.append(zh_line)
        en.append(en_line)
    if not zh:
        zh.append("本期无申请。")
        en.append("No request in this plan.")
    header_zh = f"{hospital.name}："
    header_en = f"{hospital.name}: "
    return Explanation(hospital.site_id, header_zh + " ".join(zh), header_en + " ".join(en))


def explain(
    problem: AllocationProblem, allocation: Allocation, period_labels: Sequence[str] = ()
) -> list[Explanation]:
    """Explanations for every hospital with a need, in hospital order."""
    needy = np.flatnonzero(problem.need.sum(axis=(0, 2)) > 0)
    return [explain_hospital(problem, allocation, int(h), period_labels) for h in needy]
