"""Consistency checks of a bulletin's figures before publication.

A bulletin states stocks and flows that must agree with each other and with the day
before; the NHC's own texts obey the identities below, and when a cumulative figure
falls they say why (``湖北省核减1043例``, "因重复统计"). A check that fails with
severity ``error`` blocks publication (see :mod:`fangkong.services.bulletins`); a
``warning`` is shown to the approving commander but does not block. Every failure says
why, with the numbers.

Checks:

* ``current_identity`` (error) — current confirmed = cumulative confirmed − cumulative
  recovered − cumulative deaths, for the bulletin's region and for every sub-region
  listed with all four figures;
* ``cumulative_not_decreasing`` (error) — no region's cumulative confirmed, recovered or
  deaths is lower than on the previous day unless a revision reason is recorded for
  that region and figure (a stored revision, or a reason given with the draft);
* ``local_imported_sum`` (error) — local + imported new cases = new confirmed cases;
* ``breakdown_sum`` (warning) — the by-region breakdown of a flow does not exceed the
  bulletin's total (a breakdown may be partial, so it only has to fit inside the total);
* ``non_negative`` (error) — counts that cannot be negative (stocks, contacts) are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from fangkong.core.bulletins.compose import BulletinFigures

CUMULATIVE = ("cumulative_confirmed", "cumulative_recovered", "cumulative_deaths")
_NEVER_NEGATIVE = (
    "current_confirmed",
    "current_severe",
    "current_suspected",
    "cumulative_confirmed",
    "cumulative_recovered",
    "cumulative_deaths",
    "close_contacts_traced",
    "close_contacts_under_observation",
    "new_asymptomatic",
)
_BREAKDOWN_FLOWS = (
    "new_confirmed",
    "new_confirmed_imported",
    "new_confirmed_local",
    "new_deaths",
    "new_recovered",
    "new_suspected",
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check; ``message`` says why it failed (or what was checked)."""

    check: str
    passed: bool
    severity: str
    message: str
    region_code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity == "error"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["blocking"] = self.blocking
        return out


def _name(b: BulletinFigures, code: str) -> str:
    if code == b.region_code:
        return f"{b.place.name_en} ({code})"
    place = b.places.get(code)
    return f"{place.name_en} ({code})" if place else code


def check_identity(b: BulletinFigures) -> list[CheckResult]:
    """current = cumulative − recovered − deaths, wherever all four are given."""
    out: list[CheckResult] = []
    regions = [(b.region_code, b.figures), *sorted(b.breakdowns.items())]
    need = ("current_confirmed", *CUMULATIVE)
    for code, f in regions:
        if not all(k in f for k in need):
            continue
        expected = f["cumulative_confirmed"] - f["cumulative_recovered"] - f["cumulative_deaths"]
        ok = expected == f["current_confirmed"]
        msg = (
            f"{_name(b, code)}: current confirmed {f['current_confirmed']} = cumulative "
            f"{f['cumulative_confirmed']} − recovered {f['cumulative_recovered']} − deaths "
            f"{f['cumulative_deaths']}"
            if ok
            else f"{_name(b, code)}: current confirmed is {f['current_confirmed']} but cumulative "
            f"{f['cumulative_confirmed']} − recovered {f['cumulative_recovered']} − deaths "
            f"{f['cumulative_deaths']} = {expected} (off by {f['current_confirmed'] - expected})"
        )
        out.append(
            CheckResult(
                "current_identity",
                ok,
                "error",
                msg,
                code,
                {"current_confirmed": f["current_confirmed"], "expected": expected},
            )
        )
    if not out:
        out.append(
            CheckResult(
                "current_identity",
                True,
                "error",
                "current confirmed, cumulative confirmed, recovered and deaths are not all "
                "reported: nothing to check",
                b.region_code,
            )
        )
    return out


def check_not_decreasing(
    b: BulletinFigures,
    previous: Mapping[str, Mapping[str, int]],
    current: Mapping[str, Mapping[str, int]],
    reasons: Mapping[tuple[str, str], str],
) -> list[CheckResult]:
    """No cumulative figure of any region falls from the previous day without a reason.

    ``previous`` and ``current`` map a region code to its cumulative figures on the day
    before and on the bulletin's day; ``reasons`` maps (region_code, figure) to the
    recorded revision reason."""
    out: list[CheckResult] = []
    for code in sorted(current):
        before = previous.get(code, {})
        for name in CUMULATIVE:
            now, then = current[code].get(name), before.get(name)
            if now is None or then is None or now >= then:
                continue
            reason = reasons.get((code, name))
            label = name.replace("_", " ")
            if reason:
                out.append(
                    CheckResult(
                        "cumulative_not_decreasing",
                        True,
                        "error",
                        f"{_name(b, code)}: {label} fell from {then} to {now} "
                        f"({now - then}); revision reason: {reason}",
                        code,
                        {"field": name, "previous": then, "current": now, "reason": reason},
                    )
                )
            else:
                out.append(
                    CheckResult(
                        "cumulative_not_decreasing",
                        False,
                        "error",
                        f"{_name(b, code)}: {label} fell from {then} on the previous day to "
                        f"{now} ({now - then}) and no revision reason is recorded; give the "
                        "reason (e.g. duplicate counts removed) before publishing",
                        code,
                        {"field": name, "previous": then, "current": now},
                    )
                )
    if not any(r.check == "cumulative_not_decreasing" for r in out):
        out.append(
            CheckResult(
                "cumulative_not_decreasing",
                True,
                "error",
                f"no cumulative figure of {len(current)} region(s) fell from the previous day",
            )
        )
    return out


def check_local_imported(b: BulletinFigures) -> list[CheckResult]:
    f = b.figures
    keys = ("new_confirmed", "new_confirmed_local", "new_confirmed_imported")
    if not all(k in f for k in keys):
        return []
    total, loc, imp = (f[k] for k in keys)
    ok = loc + imp == total
    msg = (
        f"local {loc} + imported {imp} = new confirmed {total}"
        if ok
        else f"local {loc} + imported {imp} = {loc + imp}, but new confirmed is {total}"
    )
    return [CheckResult("local_imported_sum", ok, "error", msg, b.region_code)]


def check_breakdowns(b: BulletinFigures) -> list[CheckResult]:
    out: list[CheckResult] = []
    for name in _BREAKDOWN_FLOWS:
        total = b.figures.get(name)
        parts = [f[name] for f in b.breakdowns.values() if f.get(name, 0) > 0]
        if total is None or not parts:
            continue
        listed = sum(parts)
        ok = listed <= total
        label = name.replace("_", " ")
        msg = (
            f"{label}: the regions listed add up to {listed} of {total}"
            if ok
            else f"{label}: the regions listed add up to {listed}, more than the total {total} "
            "(the regions' and the nation's sources disagree)"
        )
        out.append(CheckResult("breakdown_sum", ok, "warning", msg, b.region_code))
    return out


def check_non_negative(b: BulletinFigures) -> list[CheckResult]:
    out: list[CheckResult] = []
    for name in _NEVER_NEGATIVE:
        v = b.figures.get(name)
        if v is not None and v < 0:
            out.append(
                CheckResult(
                    "non_negative",
                    False,
                    "error",
                    f"{name.replace('_', ' ')} is {v}: a count of people cannot be negative",
                    b.region_code,
                    {"field": name, "value": v},
                )
            )
    return out


def run_checks(
    b: BulletinFigures,
    *,
    previous: Mapping[str, Mapping[str, int]] | None = None,
    current: Mapping[str, Mapping[str, int]] | None = None,
    reasons: Mapping[tuple[str, str], str] | None = None,
) -> list[CheckResult]:
    """Every check of the module docstring, in order."""
    results = check_identity(b)
    results += check_not_decreasing(b, previous or {}, current or {}, reasons or {})
    results += check_local_imported(b)
    results += check_breakdowns(b)
    results += check_non_negative(b)
    return results


def blocking(results: list[CheckResult]) -> list[CheckResult]:
    """The failed checks that block publication."""
    return [r for r in results if r.blocking]
