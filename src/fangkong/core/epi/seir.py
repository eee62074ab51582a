"""SEIR transmission model with time-varying contacts, deterministic and stochastic.

Model (Anderson & May 1991, ch. 6; Keeling & Rohani 2008, "Modeling Infectious Diseases",
§2.5 and §3.1 for the age-structured form). ``G`` groups (``G = 1``: homogeneous
mixing), populations ``N_i``, contact matrix ``C`` (``C_ij``: relative rate at which a
person of group ``i`` meets people of group ``j``; ``C = [[1]]`` when ``G = 1``)::

    λ_i(t) = β · c(t) · Σ_j C_ij I_j / N_j          (force of infection)
    S_i' = -λ_i S_i
    E_i' =  λ_i S_i - σ E_i                          (1/σ: mean latent period)
    I_i' =  σ E_i - γ I_i                            (1/γ: mean infectious period)
    R_i' =  γ I_i

``c(t)`` is the product over interventions of ``1 - reduction · ramp(t)`` (see
:class:`Intervention`), so ``R_t = R0 · c(t) · S/N`` in the homogeneous model.

Parameterisation from R0: the next-generation matrix at the disease-free state is
``K = (β/γ) · diag(N) C diag(N)^-1`` (Diekmann, Heesterbeek & Roberts, J R Soc Interface
2010;7:873-885), which is similar to ``(β/γ) C``, so ``R0 = (β/γ) ρ(C)`` and

    β = R0 · γ / ρ(C)          (homogeneous: β = R0 · γ = R0 / infectious period).

Deterministic solution: :func:`scipy.integrate.solve_ivp` (DOP853, Hairer, Nørsett &
Wanner 1993; ``rtol`` 1e-10) integrated piecewise between the intervention break points
so the integrator never steps across a kink of ``c(t)``. Runge-Kutta methods preserve
linear invariants, so ``S + E + I + R`` stays equal to ``N`` to rounding error.

Stochastic variant: the binomial chain (Reed-Frost type) tau-leap of Bretó, He, Ionides
& King (Ann Appl Stat 2009;3:319-348, "Euler-multinomial" with one exit per compartment):
in a step ``h``, ``S→E ~ Bin(S, 1 - e^{-λh})``, ``E→I ~ Bin(E, σh)``,
``I→R ~ Bin(I, γh)``, drawn from an explicit ``numpy.random.Generator``. The exit
probabilities ``σh`` and ``γh`` (instead of Bretó's ``1 - e^{-σh}``) make the number of
steps spent in a stage geometric with mean exactly ``1/(σh)`` steps, i.e. a mean latent
period of exactly ``1/σ`` days (``1 - e^{-σh}`` would lengthen each stage by about
``h/2`` and so raise the effective R0 and the final size); this needs ``h`` no longer
than the shorter period. Counts stay integers and the population is conserved exactly;
as ``N → ∞`` and ``h → 0`` the mean tends to the ODE solution (Kurtz 1970, J Appl Prob
7:49-58).

Analytic checks (used by the tests and ``scripts/validation/seir.py``):

* final size without intervention (Kermack & McKendrick 1927; holds for SEIR because the
  latent stage does not change who is eventually infected): ``ln(S0/S∞) = R0 (1 - S∞/N)``,
  i.e. ``z = 1 - exp(-R0 z)`` when ``S0 → N``; age-structured:
  ``z_i = 1 - exp(-(β/γ) Σ_j C_ij z_j)`` (Ma & Earn, Bull Math Biol 2006;68:679-702);
* initial growth rate ``r``: the largest eigenvalue of the linearised (E, I) system; for
  the homogeneous SEIR with exponential stages ``R0 = (1 + r/σ)(1 + r/γ)`` (Wallinga &
  Lipsitch, Proc R Soc B 2007;274:599-604, eq. 3.3 for exponential latent and infectious
  periods);
* herd-immunity threshold: ``(E + I)' = γ I (R0 S/N - 1)``, so the prevalence of
  infection ``E + I`` peaks exactly when ``S/N = 1/R0``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import integrate, optimize

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Mean incubation period, days: Li Q et al., NEJM 2020;382:1199-1207 (95% CI 4.1-7.0),
#: used as the mean latent period (no pre-symptomatic transmission in this model).
DEFAULT_LATENT_PERIOD = 5.2
#: Mean infectious period, days, chosen so that the mean generation time of the SEIR
#: model, latent + infectious = 7.5 d, equals the mean serial interval of Li et al. 2020.
DEFAULT_INFECTIOUS_PERIOD = 2.3
#: Basic reproduction number: Li Q et al. NEJM 2020 (2.2, 95% CI 1.4-3.9); Wu JT et al.
#: Lancet 2020;395:689-697 give 2.68 (95% CrI 2.47-2.86).
DEFAULT_R0 = 2.2


@dataclass(frozen=True, slots=True)
class Intervention:
    """A reduction of contacts from day ``start`` (days since the start of the run).

    ``reduction`` is the fraction of contacts removed (0: none, 1: all). With
    ``ramp_days > 0`` the reduction grows linearly from 0 at ``start`` to its full value
    at ``start + ramp_days``; from ``end`` on (when given) it is lifted at once.
    """

    start: float
    reduction: float
    end: float | None = None
    ramp_days: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.reduction <= 1.0:
            raise ValueError(f"reduction must be within [0, 1], got {self.reduction}")
        if self.ramp_days < 0:
            raise ValueError("ramp_days must be >= 0")
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")

    def factor(self, t: float) -> float:
        """Contact multiplier ``1 - reduction · ramp(t)`` at time ``t`` (days)."""
        if t < self.start or (self.end is not None and t >= self.end):
            return 1.0
        if self.ramp_days > 0 and t < self.start + self.ramp_days:
            return 1.0 - self.reduction * (t - self.start) / self.ramp_days
        return 1.0 - self.reduction

    def breaks(self) -> tuple[float, ...]:
        """Times where ``factor`` has a kink or a jump."""
        points = [self.start]
        if self.ramp_days > 0:
            points.append(self.start + self.ramp_days)
        if self.end is not None:
            points.append(self.end)
        return tuple(points)

    def shifted(self, days: float) -> Intervention:
        """The same intervention ``days`` later (start and end)."""
        end = None if self.end is None else self.end + days
        return Intervention(self.start + days, self.reduction, end, self.ramp_days)


def contact_multiplier(t: float, interventions: Sequence[Intervention]) -> float:
    """``c(t)``: the product of the interventions' factors (independent reductions)."""
    value = 1.0
    for iv in interventions:
        value *= iv.factor(t)
    return value


@dataclass(frozen=True)
class SEIRModel:
    """Parameters of the SEIR model (periods in days).

    ``population`` has one entry per group; ``contact_matrix`` (``G × G``, non-negative)
    is required when there is more than one group and is then normalised by its spectral
    radius only through :attr:`beta` (so any scale may be given).
    """

    population: FloatArray
    r0: float = DEFAULT_R0
    latent_period: float = DEFAULT_LATENT_PERIOD
    infectious_period: float = DEFAULT_INFECTIOUS_PERIOD
    contact_matrix: FloatArray = field(default_factory=lambda: np.ones((1, 1)))

    def __post_init__(self) -> None:
        pop = np.atleast_1d(np.asarray(self.population, dtype=np.float64))
        object.__setattr__(self, "population", pop)
        cm = np.atleast_2d(np.asarray(self.contact_matrix, dtype=np.float64))
        if pop.ndim != 1 or pop.size == 0 or not np.all(np.isfinite(pop)) or np.any(pop <= 0):
            raise ValueError("population must be positive, one entry per group")
        if cm.shape == (1, 1) and pop.size > 1:
            raise ValueError("a contact matrix is required with more than one group")
        if cm.shape != (pop.size, pop.size):
            raise ValueError(f"contact matrix must be {pop.size} x {pop.size}, got {cm.shape}")
        if not np.all(np.isfinite(cm)) or np.any(cm < 0) or spectral_radius(cm) <= 0:
            raise ValueError("contact matrix must be finite, non-negative and non-zero")
        object.__setattr__(self, "contact_matrix", cm)
        for name in ("r0", "latent_period", "infectious_period"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")

    @property
    def groups(self) -> int:
        return int(self.population.size)

    @property
    def total_population(self) -> float:
        return float(self.population.sum())

    @property
    def sigma(self) -> float:
        """Rate of leaving the latent stage, 1/latent period."""
        return 1.0 / self.latent_period

    @property
    def gamma(self) -> float:
        """Recovery rate, 1/infectious period."""
        return 1.0 / self.infectious_period

    @property
    def beta(self) -> float:
        """Transmission rate ``β = R0 γ / ρ(C)`` (module docstring)."""
        return self.r0 * self.gamma / spectral_radius(self.contact_matrix)


def spectral_radius(matrix: FloatArray) -> float:
    """Largest absolute eigenvalue."""
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def _linearised(model: SEIRModel) -> FloatArray:
    """Jacobian of (E, I) at the disease-free state (2G × 2G)."""
    g = model.groups
    n = model.population
    k = model.beta * model.contact_matrix * n[:, None] / n[None, :]
    jac = np.zeros((2 * g, 2 * g))
    jac[:g, :g] = -model.sigma * np.eye(g)
    jac[:g, g:] = k
    jac[g:, :g] = model.sigma * np.eye(g)
    jac[g:, g:] = -model.gamma * np.eye(g)
    return jac


def growth_rate(model: SEIRModel) -> float:
    """Initial exponential growth rate ``r`` (per day): the largest real eigenvalue of
    the linearised infected subsystem (Wallinga & Lipsitch 2007; Ma, Bull Math Biol 2020
    for structured models)."""
    return float(np.max(np.linalg.eigvals(_linearised(model)).real))


def growth_rate_from_r0(r0: float, latent_period: float, infectious_period: float) -> float:
    """``r`` solving ``R0 = (1 + r L)(1 + r D)`` (Wallinga & Lipsitch 2007 for an SEIR
    model with exponential stages of means ``L`` and ``D``): the positive root of
    ``L D r² + (L + D) r + 1 - R0 = 0`` (negative when ``R0 < 1``)."""
    a = latent_period * infectious_period
    b = latent_period + infectious_period
    c = 1.0 - r0
    return (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)


def r0_from_growth_rate(r: float, latent_period: float, infectious_period: float) -> float:
    """``R = (1 + r L)(1 + r D)`` (Wallinga & Lipsitch 2007, SEIR, exponential stages)."""
    return (1.0 + r * latent_period) * (1.0 + r * infectious_period)


def final_size(r0: float, susceptible_fraction: float = 1.0) -> float:
    """Fraction ``z`` of the population ever infected, without intervention.

    Solves ``ln(s0 / (1 - z)) = R0 z`` with ``s0`` the initially susceptible fraction
    (Kermack & McKendrick 1927; ``z = 1 - exp(-R0 z)`` when ``s0 = 1``). Returns 0 for
    ``R0 <= 1`` and ``s0 = 1``.
    """
    s0 = susceptible_fraction
    if not 0 < s0 <= 1:
        raise ValueError("susceptible_fraction must be within (0, 1]")
    if r0 <= 1 and s0 == 1:
        return 0.0

    def eq(z: float) -> float:
        return math.log(s0) - math.log1p(-z) - r0 * z

    lo = max(1 - s0, 1e-15)
    hi = 1 - 1e-300
    if eq(lo) >= 0:  # only the trivial root
        return lo if s0 < 1 else 0.0
    return float(optimize.brentq(eq, lo, min(hi, 1 - 1e-16), xtol=1e-15, rtol=1e-14))


def final_size_structured(model: SEIRModel) -> FloatArray:
    """Attack rate of each group, ``z_i = 1 - exp(-(β/γ) Σ_j C_ij z_j)`` (Ma & Earn
    2006), found by fixed-point iteration from ``z = 1`` (monotone, converges to the
    largest solution, which is the epidemic's when ``R0 > 1``)."""
    k = model.beta / model.gamma * model.contact_matrix
    z = np.ones(model.groups)
    for _ in range(100_000):
        new = 1.0 - np.exp(-k @ z)
        if np.max(np.abs(new - z)) < 1e-15:
            return np.asarray(new, dtype=np.float64)
        z = new
    return np.asarray(z, dtype=np.float64)


def initial_state(model: SEIRModel, initial_infections: float) -> FloatArray:
    """State ``(S, E, I, R)`` (``4 × G``) with ``initial_infections`` people infected,
    split between E and I (and among groups) along the dominant eigenvector of the
    linearised system, so the run starts on its exponential growth phase with no
    transient (the growth-rate check relies on this)."""
    if not 0 < initial_infections < model.total_population:
        raise ValueError("initial_infections must be positive and below the population")
    g = model.groups
    values, vectors = np.linalg.eig(_linearised(model))
    vec = np.abs(vectors[:, int(np.argmax(values.real))].real)
    vec = vec / vec.sum() * initial_infections
    state = np.zeros((4, g))
    state[1] = vec[:g]
    state[2] = vec[g:]
    if np.any(state[1] + state[2] >= model.population):
        raise ValueError("initial_infections exceeds a group's population")
    state[0] = model.population - state[1] - state[2]
    return state


@dataclass(frozen=True)
class SEIRResult:
    """Compartments at the start of each day ``0..days`` (arrays ``days+1 × G``;
    stochastic runs add a leading replicate axis)."""

    S: FloatArray
    E: FloatArray
    I: FloatArray  # noqa: E741 - the conventional name of the compartment
    R: FloatArray
    initial_infections: float

    @property
    def days(self) -> int:
        return int(self.S.shape[-2] - 1)

    def total(self, compartment: str) -> FloatArray:
        """One compartment summed over groups."""
        arr: FloatArray = getattr(self, compartment)
        return np.asarray(arr.sum(axis=-1), dtype=np.float64)

    def new_infections(self) -> FloatArray:
        """Infections during each day ``t..t+1`` (length ``days``), all groups."""
        s = self.total("S")
        return np.asarray(-np.diff(s, axis=-1), dtype=np.float64)

    def cumulative_infections(self) -> FloatArray:
        """People ever infected by the start of each day (initial infections included)."""
        s = self.total("S")
        return np.asarray(s[..., :1] - s + self.initial_infections, dtype=np.float64)

    def prevalence(self) -> FloatArray:
        """Currently infected, ``E + I``, at the start of each day."""
        return self.total("E") + self.total("I")


def _rhs(
    model: SEIRModel, interventions: Sequence[Intervention]
) -> Callable[[float, FloatArray], FloatArray]:
    g = model.groups
    beta_c = model.beta * model.contact_matrix
    inv_n = 1.0 / model.population
    sigma, gamma = model.sigma, model.gamma

    def f(t: float, y: FloatArray) -> FloatArray:
        s, e, i = y[:g], y[g : 2 * g], y[2 * g : 3 * g]
        lam = contact_multiplier(t, interventions) * (beta_c @ (i * inv_n))
        inf = lam * s
        lat = sigma * e
        rec = gamma * i
        return np.concatenate((-inf, inf - lat, lat - rec, rec))

    return f


def simulate(
    model: SEIRModel,
    days: int,
    interventions: Sequence[Intervention] = (),
    initial_infections: float = 1.0,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-9,
) -> SEIRResult:
    """Deterministic solution on days ``0..days`` (module docstring: DOP853, piecewise
    between break points). ``atol`` is in people."""
    if days < 1:
        raise ValueError("days must be >= 1")
    g = model.groups
    y = initial_state(model, initial_infections).reshape(-1)
    f = _rhs(model, interventions)
    cuts = sorted({0.0, float(days), *(b for iv in interventions for b in iv.breaks())})
    cuts = [c for c in cuts if 0.0 <= c <= days]
    out = np.empty((days + 1, 4 * g))
    out[0] = y
    for a, b in itertools.pairwise(cuts):
        sol = integrate.solve_ivp(
            f, (a, b), y, method="DOP853", rtol=rtol, atol=atol, dense_output=True
        )
        if not sol.success:
            raise ArithmeticError(f"ODE solver failed on [{a}, {b}]: {sol.message}")
        first, last = math.floor(a) + 1, math.floor(b)
        if last >= first:
            grid = np.arange(first, last + 1, dtype=np.float64)
            out[first : last + 1] = sol.sol(grid).T
        y = sol.y[:, -1]
        if b == math.floor(b):
            out[int(b)] = y
    out = np.maximum(out, 0.0)
    parts = out.reshape(days + 1, 4, g)
    return SEIRResult(
        S=parts[:, 0].copy(),
        E=parts[:, 1].copy(),
        I=parts[:, 2].copy(),
        R=parts[:, 3].copy(),
        initial_infections=float(initial_infections),
    )


def dense_solution(
    model: SEIRModel, t_end: float, initial_infections: float = 1.0
) -> Callable[[float], FloatArray]:
    """Continuous solution without intervention (for the peak-timing check): a callable
    ``t -> y`` with ``y = (S, E, I, R)`` stacked by group."""
    y0 = initial_state(model, initial_infections).reshape(-1)
    sol = integrate.solve_ivp(
        _rhs(model, ()),
        (0.0, t_end),
        y0,
        method="DOP853",
        rtol=1e-12,
        atol=1e-10,
        dense_output=True,
    )
    if not sol.success:
        raise ArithmeticError(f"ODE solver failed: {sol.message}")
    dense: Callable[[float], FloatArray] = sol.sol
    return dense


def seed_for_cumulative(
    model: SEIRModel,
    day: int,
    target: float,
    interventions: Sequence[Intervention] = (),
) -> float:
    """Initial infections on day 0 such that the deterministic run has had ``target``
    infections in total (initial ones included) by the start of ``day``.

    Cumulative infections grow monotonically with the seed, so the root is bracketed on
    ``log(seed)`` and found by Brent's method (Brent 1973) to 1e-10 relative.
    """
    if day < 1:
        raise ValueError("day must be >= 1")
    if not 0 < target < model.total_population:
        raise ValueError("target must be positive and below the population")

    def gap(log_seed: float) -> float:
        run = simulate(model, day, interventions, math.exp(log_seed))
        return math.log(run.cumulative_infections()[-1]) - math.log(target)

    lo, hi = math.log(1e-6), math.log(target)
    if gap(lo) > 0:
        raise ValueError("target is reached even from a seed of 1e-6 infections")
    if gap(hi) < 0:  # pragma: no cover - cumulative >= seed always
        return target
    return math.exp(float(optimize.brentq(gap, lo, hi, xtol=1e-12, rtol=1e-10)))


def effective_r(
    model: SEIRModel, result: SEIRResult, interventions: Sequence[Intervention]
) -> FloatArray:
    """``R_t`` at the start of each day: the spectral radius of the next-generation
    matrix ``(β/γ) c(t) diag(S/N) C`` (homogeneous: ``R0 c(t) S/N``). Deterministic
    results only (``days+1 × G`` arrays)."""
    k = model.beta / model.gamma * model.contact_matrix
    frac = result.S / model.population
    out = np.empty(frac.shape[0])
    for t in range(frac.shape[0]):
        c = contact_multiplier(float(t), interventions)
        out[t] = (
            c * spectral_radius(frac[t][:, None] * k)
            if model.groups > 1
            else (c * float(k[0, 0]) * float(frac[t, 0]))
        )
    return out


def simulate_stochastic(
    model: SEIRModel,
    days: int,
    rng: np.random.Generator,
    interventions: Sequence[Intervention] = (),
    initial_infections: float = 1.0,
    *,
    replicates: int = 1,
    steps_per_day: int = 10,
) -> SEIRResult:
    """Binomial-chain tau-leap (Bretó et al. 2009), ``replicates`` independent runs.

    Populations and the initial split of infections (:func:`initial_state`) are
    rounded to whole people (at least one infected). The contact multiplier is evaluated
    at the middle of each step. Returns arrays ``replicates × (days+1) × G``.
    """
    if days < 1 or replicates < 1 or steps_per_day < 1:
        raise ValueError("days, replicates and steps_per_day must be >= 1")
    if steps_per_day * min(model.latent_period, model.infectious_period) < 1:
        raise ValueError("steps_per_day must be at least 1 / the shorter period")
    g = model.groups
    start = np.rint(initial_state(model, initial_infections)).astype(np.int64)
    if start[1].sum() + start[2].sum() == 0:
        start[2, int(np.argmax(model.population))] = 1
    start[0] = np.rint(model.population).astype(np.int64) - start[1] - start[2]
    s = np.repeat(start[0][None, :], replicates, axis=0)
    e = np.repeat(start[1][None, :], replicates, axis=0)
    i = np.repeat(start[2][None, :], replicates, axis=0)
    r = np.zeros_like(s)
    inv_n = 1.0 / np.rint(model.population)
    beta_c = model.beta * model.contact_matrix
    h = 1.0 / steps_per_day
    p_lat = model.sigma * h
    p_rec = model.gamma * h
    out = np.empty((4, replicates, days + 1, g), dtype=np.int64)
    out[:, :, 0] = (s, e, i, r)
    for day in range(days):
        for step in range(steps_per_day):
            c = contact_multiplier(day + (step + 0.5) * h, interventions)
            lam = c * ((i * inv_n) @ beta_c.T)
            new_e = rng.binomial(s, -np.expm1(-lam * h))
            new_i = rng.binomial(e, p_lat)
            new_r = rng.binomial(i, p_rec)
            s = s - new_e
            e = e + new_e - new_i
            i = i + new_i - new_r
            r = r + new_r
        out[:, :, day + 1] = (s, e, i, r)
    seeded = float(start[1].sum() + start[2].sum())
    f = out.astype(np.float64)
    return SEIRResult(S=f[0], E=f[1], I=f[2], R=f[3], initial_infections=seeded)
