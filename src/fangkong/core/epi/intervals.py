"""Serial intervals and incubation windows from cluster line lists (Tindale et al. 2020).

Tindale L.C., Stockdale J.E., Coombe M. et al. "Evidence for transmission of COVID-19
prior to symptom onset", eLife 2020;9:e57149, data and code carolinecolijn/ClustersCOVID19.
Two line lists: 93 Singapore cases (``Related cases``: comma-separated case numbers with
direct known contact, undirected) and 135 Tianjin cases (``Infection_source``: free text
naming putative sources such as ``"family of TJ9"``; the ``TJ\\d+`` tokens name the
source; the data-entry error ``JN25`` is ``TJ25``, as the authors corrected it).

Pairing rule (the paper's, ``*_serial_intervals_revised.Rmd``): an edge joins a case that
has a symptom onset date to every case it names; edges are undirected and deduplicated;
within a pair the case with the earlier onset is taken as the infector. The direct serial
interval of a pair is then ``|onset difference|``. With ``direction="listed"`` the named
source is the infector and the interval keeps its sign (negative = the infectee fell ill
first, pre-symptomatic transmission), which only the directed Tianjin column supports.

Interval case-to-case (ICC) data (Vink, Bootsma & Wallinga 2014, Am J Epidemiol
180:865-875): the clusters are the connected components of the contact graph; in each,
onsets are sorted and the first ``K`` are kept (``K = 4`` in the paper); the intervals
are the onsets of cases 2..K minus that of the first. The serial interval is estimated
from them by the EM algorithm of Vink et al. (their Web Appendix 2, as Tindale et al.
used it, :func:`vink_mixture`): a mixture of co-primary (half-normal),
primary-secondary (normal μ, σ), primary-tertiary (2μ, 2σ²) and primary-quaternary
(3μ, 3σ²) routes, each folded to both signs, convolved with the triangular kernel of two
day-resolution onsets.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]
TJ_TOKEN = re.compile(r"tj\d+")
#: The paper's rule for an exposure window without a start: onset minus 20 days.
DEFAULT_LOOKBACK_DAYS = 20


@dataclass(frozen=True, slots=True)
class ClusterCase:
    """One case of a cluster line list. ``contacts`` are the case ids it names;
    ``exposure_start``/``exposure_end`` bound its exposure window when known."""

    case_id: str
    onset_date: date | None
    confirmation_date: date | None
    exposure_start: date | None
    exposure_end: date | None
    contacts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CasePair:
    """A transmission pair: ``interval`` = onset of infectee - onset of infector (days)."""

    infector: str
    infectee: str
    interval: int


def _date(text: str | None, formats: Sequence[str]) -> date | None:
    s = (text or "").strip()  # a short row leaves the last cells None
    if not s or s.upper() == "NA":
        return None
    for fmt in formats:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _clean_header(name: str) -> str:
    return name.strip().lstrip("\ufeff")


def detect_cluster_layout(header: Sequence[str]) -> str | None:
    """``singapore`` or ``tianjin`` for the two Tindale et al. layouts, else ``None``."""
    names = {_clean_header(h) for h in header}
    if {"CaseID", "Related cases", "date_onset_symptoms"} <= names:
        return "singapore"
    if {"case_id", "symptom_onset", "Infection_source"} <= names:
        return "tianjin"
    return None


def read_cluster_linelist(text: str) -> tuple[str, list[ClusterCase]]:
    """Parse a Tindale et al. line list (either layout); returns ``(layout, cases)``.

    Raises ``ValueError`` naming the line and column of the first unreadable date.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [_clean_header(h) for h in (reader.fieldnames or [])]
    layout = detect_cluster_layout(header)
    if layout is None:
        raise ValueError(
            "not a cluster line list: expected the Singapore (CaseID, Related cases, "
            "date_onset_symptoms) or Tianjin (case_id, symptom_onset, Infection_source) columns"
        )
    reader.fieldnames = header
    cases: list[ClusterCase] = []
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            cases.append(_singapore(row) if layout == "singapore" else _tianjin(row))
    except (ValueError, csv.Error) as exc:
        raise ValueError(f"line {max(line, reader.line_num)}: {exc}") from exc
    return layout, cases


def _singapore(row: dict[str, str]) -> ClusterCase:
    iso = ("%Y-%m-%d",)
    related = (row.get("Related cases") or "").strip()
    contacts: tuple[str, ...] = ()
    if related and related.upper() != "NA":
        contacts = tuple(t for t in (p.strip() for p in related.split(",")) if t.isdigit())
    return ClusterCase(
        case_id=(row.get("CaseID") or "").strip(),
        onset_date=_date(row.get("date_onset_symptoms", ""), iso),
        confirmation_date=_date(row.get("date_confirmation", ""), iso),
        exposure_start=_date(row.get("start_source", ""), iso),
        exposure_end=_date(row.get("end_source", ""), iso),
        contacts=contacts,
    )


def _tianjin(row: dict[str, str]) -> ClusterCase:
    dmy = ("%d/%m/%Y",)
    source = (row.get("Infection_source") or "").lower().replace("jn", "tj")
    return ClusterCase(
        case_id=(row.get("case_id") or "").strip().lower(),
        onset_date=_date(row.get("symptom_onset", ""), dmy),
        confirmation_date=_date(row.get("confirm_date", ""), dmy),
        exposure_start=_date(row.get("start_source", ""), dmy),
        exposure_end=_date(row.get("end_source", ""), dmy),
        contacts=tuple(TJ_TOKEN.findall(source)),
    )


def contact_edges(cases: Iterable[ClusterCase]) -> list[tuple[str, str]]:
    """Directed ``(named contact, case)`` edges from cases that have an onset date
    (the paper drops cases without onset before building the graph); self-loops and
    repeats removed, order kept."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for case in cases:
        if case.onset_date is None:
            continue
        for contact in case.contacts:
            edge = (contact, case.case_id)
            if contact != case.case_id and edge not in seen:
                seen.add(edge)
                out.append(edge)
    return out


def serial_interval_pairs(cases: Sequence[ClusterCase], direction: str = "onset") -> list[CasePair]:
    """Infector-infectee pairs with both onsets known (pairing rule in the module doc).

    ``direction="onset"``: undirected pairs, the earlier onset is the infector (the
    paper's rule; intervals >= 0). ``direction="listed"``: the named contact is the
    infector and the interval keeps its sign; a pair named both ways is kept once, in
    the direction of the earlier onset.
    """
    if direction not in ("onset", "listed"):
        raise ValueError("direction is 'onset' or 'listed'")
    onset = {c.case_id: c.onset_date for c in cases}
    pairs: dict[frozenset[str], CasePair] = {}
    for source, target in contact_edges(cases):
        a, b = onset.get(source), onset.get(target)
        if a is None or b is None:
            continue
        key = frozenset((source, target))
        if direction == "listed" and key not in pairs:
            pairs[key] = CasePair(source, target, (b - a).days)
            continue
        first, second = (source, target) if a <= b else (target, source)
        pairs[key] = CasePair(first, second, abs((b - a).days))
    return list(pairs.values())


def components(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of an undirected graph (union-find), members sorted."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for node in nodes:
        find(node)
    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def icc_intervals(
    cases: Sequence[ClusterCase], k: int = 4, *, bridge_missing_onset: bool = True
) -> list[int]:
    """Interval case-to-case data: for each cluster, onset of its 2nd..k-th case minus
    that of its first (sorted by onset). Clusters are components of the contact graph.

    ``bridge_missing_onset``: keep named contacts that lack an onset date as graph nodes,
    so they can join two clusters (the paper's Singapore analysis does; its Tianjin
    analysis drops edges with a missing onset first, ``False``).
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    onset = {c.case_id: c.onset_date for c in cases}
    edges = contact_edges(cases)
    if not bridge_missing_onset:
        edges = [(a, b) for a, b in edges if onset.get(a) and onset.get(b)]
    nodes = {n for e in edges for n in e}
    out: list[int] = []
    for group in components(nodes, edges):
        days = sorted(d for d in (onset.get(n) for n in group) if d is not None)[:k]
        out.extend((d - days[0]).days for d in days[1:])
    return out


def incubation_windows(
    cases: Iterable[ClusterCase], lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> list[tuple[int, int]]:
    """Incubation windows ``(onset - exposure_end, onset - exposure_start)`` in days for
    cases with an onset. A missing end is the onset itself and a missing start is
    ``onset - lookback_days`` (the paper's rules for cases without information); an end
    after onset is moved to onset (exposure precedes symptoms)."""
    out: list[tuple[int, int]] = []
    for case in cases:
        if case.onset_date is None:
            continue
        onset = case.onset_date.toordinal()
        end = case.exposure_end.toordinal() if case.exposure_end else onset
        start = case.exposure_start.toordinal() if case.exposure_start else onset - lookback_days
        end = min(end, onset)
        start = min(start, end)
        out.append((onset - end, onset - start))
    return out


def tindale_incubation_intervals(cases: Iterable[ClusterCase]) -> list[tuple[float, float]]:
    """The paper's incubation data (``*_wtables_revised.Rmd``): ``[max(1, onset - end),
    max(3, onset - start)]`` continuous, right-censored (``hi = inf``) when the start of
    exposure is unknown (``Surv(type = "interval2")`` with a missing upper end)."""
    out: list[tuple[float, float]] = []
    for case in cases:
        if case.onset_date is None or case.exposure_end is None:
            continue
        lo = max(1.0, float((case.onset_date - case.exposure_end).days))
        if case.exposure_start is None:
            out.append((lo, math.inf))
        else:
            out.append((lo, max(3.0, float((case.onset_date - case.exposure_start).days))))
    return out


# --- Vink et al. 2014 mixture ----------------------------------------------------------


def _tri_linear(a: FloatArray, b: FloatArray, c: FloatArray, m: float, s: float) -> FloatArray:
    """∫_a^b (x - c) N(x; m, s²) dx in closed form (elementwise)."""
    za, zb = (a - m) / s, (b - m) / s
    pa = np.exp(-za * za / 2) / math.sqrt(2 * math.pi)
    pb = np.exp(-zb * zb / 2) / math.sqrt(2 * math.pi)
    return np.asarray(s * (pa - pb) + (m - c) * (special.ndtr(zb) - special.ndtr(za)))


def _discretised(d: FloatArray, m: float, s: float, half: bool = False) -> FloatArray:
    """Probability of observed whole-day ICCs ``d`` under N(m, s²) (or the half-normal
    of scale ``s`` when ``half``) convolved with the triangular day kernel, exactly as
    the p*0 / p*lower / p*upper functions of Vink et al.'s appendix."""
    scale = 2.0 if half else 1.0
    zero = -2.0 * _tri_linear(np.zeros_like(d), np.ones_like(d), np.ones_like(d), m, s)
    lower = _tri_linear(d - 1.0, d, d - 1.0, m, s)
    upper = -_tri_linear(d, d + 1.0, d + 1.0, m, s)
    return np.asarray(scale * np.where(d == 0, zero, lower + upper))


def _weighted_var(x: FloatArray, w: FloatArray) -> float:
    sw = float(w.sum())
    mean = float(np.sum(w * x) / sw)
    return sw * float(np.sum(w * (x - mean) ** 2)) / (sw * sw - float(np.sum(w * w)))


@dataclass(frozen=True, slots=True)
class MixtureEstimate:
    mean: float
    sd: float
    iterations: int
    route_weights: tuple[float, ...]


def vink_mixture(
    icc: Sequence[int], iterations: int = 100, start_mean: float = 10.0, start_sd: float = 4.0
) -> MixtureEstimate:
    """Serial interval (normal mean and sd) from ICC data by the EM algorithm of Vink et
    al. 2014 (Web Appendix 2) as run by Tindale et al. 2020 (``serial_mix_est`` with
    ``N = 100`` iterations, start 10 and 4). Seven components: co-primary (half-normal of
    sd √2σ), primary-secondary (±μ, σ), primary-tertiary (±2μ, √2σ), primary-quaternary
    (±3μ, √3σ). As in that code the E-step weighs the components equally (the route
    weights are reported but not fed back); the M-step is the ``tau``-weighted mean and
    unbiased weighted variance of the primary-secondary route.
    """
    data = np.asarray(icc, dtype=np.float64)
    if data.size < 3:
        raise ValueError(f"{data.size} ICC interval(s); the mixture needs at least 3")
    if np.any(data < 0):
        raise ValueError("ICC intervals are non-negative (onsets sorted within a cluster)")
    mu, sigma = start_mean, start_sd
    tau = np.zeros((data.size, 7))
    for _ in range(iterations):
        root2, root3 = math.sqrt(2.0), math.sqrt(3.0)
        tau = np.column_stack(
            [
                _discretised(data, 0.0, root2 * sigma, half=True),
                _discretised(data, mu, sigma),
                _discretised(data, -mu, sigma),
                _discretised(data, 2 * mu, root2 * sigma),
                _discretised(data, -2 * mu, root2 * sigma),
                _discretised(data, 3 * mu, root3 * sigma),
                _discretised(data, -3 * mu, root3 * sigma),
            ]
        )
        total = tau.sum(axis=1, keepdims=True)
        # An interval no component can produce (all densities underflow) is shared
        # equally rather than dividing by zero.
        tau = np.where(total > 0, tau / np.where(total > 0, total, 1.0), 1.0 / 7.0)
        if float(tau[:, 1].sum()) <= 0.0:
            break
        w = tau[:, 1]
        mu = float(np.sum(w * data) / np.sum(w))
        sigma = math.sqrt(_weighted_var(data, w))
    weights = tuple(float(v) for v in tau.mean(axis=0))
    return MixtureEstimate(mu, sigma, iterations, weights)


def vink_bootstrap(
    icc: Sequence[int],
    replicates: int,
    rng: np.random.Generator,
    iterations: int = 100,
) -> FloatArray:
    """Bootstrap replicates ``(mean, sd)`` of :func:`vink_mixture`, resampling the ICC
    intervals with ``rng`` (the paper used 100 replicates and reported the estimate
    ± 1.96 × the replicates' standard deviation)."""
    data = np.asarray(icc, dtype=np.int64)
    out = np.empty((replicates, 2))
    for r in range(replicates):
        sample = rng.choice(data, size=data.size, replace=True)
        est = vink_mixture(sample.tolist(), iterations=iterations)
        out[r] = (est.mean, est.sd)
    return out
