"""What-if and siting: the exact effect of supply added in one practice commune, and where to add.

Adding counted activity ``a`` in practice commune ``j`` changes only ``R_j`` (step 1 of the other
communes does not involve ``S_j``), by ``a · x_j / D_j``; step 2 then adds, to every residence
commune ``i``, ``v_i B_ij x_j a / D_j``. For the DREES APL (E2SFCA) this is
``ΔAPL_i = f(t_ij) · a / D_j``: one column of the prepared operator, exact, no re-solve.
(:func:`marginal_effect`). A practice commune with no weighted demand (``D_j = 0``) reaches
nobody: its effect is 0.

Siting puts ``K`` practitioners (each counted ``a``, 5 400 for a GP's new installation) in
practice communes. Effects add up linearly, so the APL of unit ``u`` (commune, or territory: the
mean of its communes weighted by population) after placing ``n_j`` practitioners in each ``j``
is ``apl_u + sum_j c_uj n_j``. Two objectives:

``"lifted"``
    population of the units under ``threshold`` at the start that are no longer under it;
``"deficit"``
    population-weighted gain below the threshold ``sum_u pop_u (min(apl'_u, T) - min(apl_u, T))``.

``"deficit"`` is a concave function of non-negative linear terms, hence monotone DR-submodular:
the greedy choice (with lazy re-evaluation, exact for such functions) is within ``1 - 1/e``
of the optimum. ``"lifted"`` is a step function and not submodular: greedy (ties broken by the
deficit gain) has no guarantee; :func:`exact_siting` solves both exactly as a mixed-integer
program (:func:`scipy.optimize.milp`) on small cases, and :class:`Siting` reports the gap.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from .._checks import check_positive_option
from ..errors import ParameterError, describe_values

__all__ = ["Effects", "Siting", "exact_siting", "greedy_siting", "marginal_effect", "rank_sites"]

Objective = Literal["lifted", "deficit"]


@dataclass(frozen=True, eq=False)
class Effects:
    """The baseline solved once, ready for exact marginal effects.

    Build it with :meth:`from_matrix`. ``column(j)`` gives the residence communes reached from
    practice commune ``j`` and the APL change per unit of counted activity added there.
    """

    codes: pd.Index
    apl: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    weighted_demand: np.ndarray
    gain: np.ndarray  # x_j / D_j (0 where D_j = 0)
    indptr: np.ndarray  # CSR by practice commune of v_i B_ij
    indices: np.ndarray
    values: np.ndarray

    @classmethod
    def from_matrix(cls, matrix, demand: np.ndarray, supply: np.ndarray) -> Effects:
        """Solve the baseline on a prepared :class:`aplcore.AccessibilityMatrix` (arrays aligned
        on its codes)."""
        apl, weighted, _ = matrix.solve_arrays(demand, supply, all_weighted_demand=True)
        columns = matrix.step2.to_scipy().tocsc()  # B by column = by practice commune
        scaled = sparse.csc_array(columns)
        if matrix.result_scale is not None:
            scaled = sparse.csc_array(sparse.diags_array(matrix.result_scale) @ scaled)
        scaled.sort_indices()
        gain = np.zeros_like(weighted)
        np.divide(1.0, weighted, out=gain, where=weighted > 0)
        if matrix.ratio_scale is not None:
            gain *= matrix.ratio_scale
        return cls(
            codes=pd.Index(matrix.codes, name="code"),
            apl=apl,
            demand=np.asarray(demand, dtype=np.float64),
            supply=np.asarray(supply, dtype=np.float64),
            weighted_demand=weighted,
            gain=gain,
            indptr=scaled.indptr.astype(np.int64),
            indices=scaled.indices.astype(np.int64),
            values=scaled.data.astype(np.float64),
        )

    def position(self, commune: str) -> int:
        """Position of a practice commune code."""
        j = self.codes.get_indexer([str(commune)])[0]
        if j < 0:
            msg = f"commune {commune!r} is not in the travel times."
            raise ParameterError(msg)
        return int(j)

    def column(self, j: int, activity: float) -> tuple[np.ndarray, np.ndarray]:
        """Residence communes reached from ``j`` and their exact APL change for ``activity``
        (negative removes, down to the supply there)."""
        a = max(float(activity), -float(self.supply[j]))
        lo, hi = self.indptr[j], self.indptr[j + 1]
        return self.indices[lo:hi], self.values[lo:hi] * (a * self.gain[j])


def marginal_effect(effects: Effects, commune: str, activity: float) -> pd.Series:
    """Exact change in every commune's APL from ``activity`` added in practice commune ``commune``.

    Parameters
    ----------
    effects
        The baseline (:meth:`Effects.from_matrix`).
    commune
        Practice commune code.
    activity
        Counted activity added (negative: removed, at most the supply there).

    Returns
    -------
    pandas.Series
        ``delta_apl`` by commune code (0 where not reached).
    """
    j = effects.position(commune)
    rows, delta = effects.column(j, activity)
    out = np.zeros(len(effects.codes))
    out[rows] = delta
    return pd.Series(out, index=effects.codes, name="delta_apl")


# ------------------------------------------------------------------------------ siting
@dataclass(frozen=True, eq=False)
class _Problem:
    """Units, their APL, population, needs, and ``C`` (units × candidate sites)."""

    units: pd.Index
    apl: np.ndarray
    population: np.ndarray
    need: np.ndarray  # threshold - apl (>= 0 for units under it), 0 otherwise
    under: np.ndarray
    sites: pd.Index
    effect: sparse.csc_array  # unit APL change per practitioner, by site
    threshold: float
    inclusive: bool

    def is_under(self, apl: np.ndarray) -> np.ndarray:
        return apl <= self.threshold if self.inclusive else apl < self.threshold

    def value(self, counts: np.ndarray, objective: Objective) -> float:
        final = self.apl + self.effect @ counts
        if objective == "lifted":
            return float(self.population[self.under & ~self.is_under(final)].sum())
        gained = np.minimum(final, self.threshold) - np.minimum(self.apl, self.threshold)
        return float(self.population @ gained)


def _units(
    codes: pd.Index, groups: pd.Series | None, population: np.ndarray, weights: pd.Series | None
) -> tuple[sparse.csr_array, np.ndarray, pd.Index]:
    """``G`` (units × communes, unit APL = ``G @ apl``), unit populations and unit labels."""
    n = len(codes)
    if groups is None:
        return sparse.identity(n, format="csr"), population, codes
    labels = groups.reindex(codes)
    if labels.isna().any():
        missing = codes[labels.isna().to_numpy()].tolist()
        msg = f"the groups miss {len(missing)} communes: {describe_values(missing)}."
        raise ParameterError(msg)
    w = population if weights is None else weights.reindex(codes).fillna(0.0).to_numpy()
    units, rows = np.unique(labels.astype(str).to_numpy(), return_inverse=True)
    totals = np.bincount(rows, weights=w, minlength=units.size)
    share = np.divide(w, totals[rows], out=np.zeros(n), where=totals[rows] > 0)
    g = sparse.csr_array((share, (rows, np.arange(n))), shape=(units.size, n))
    unit_pop = np.bincount(rows, weights=population, minlength=units.size)
    return g, unit_pop, pd.Index(units, name="territory")


def _problem(
    effects: Effects,
    *,
    threshold: float,
    activity: float,
    groups: pd.Series | None,
    population: pd.Series | None,
    weights: pd.Series | None,
    candidates: list[str] | None,
    inclusive: bool,
) -> _Problem:
    if not np.isfinite(threshold):
        msg = f"threshold must be a finite APL, found {threshold!r}."
        raise ParameterError(msg)
    check_positive_option(activity, name="activity per practitioner")
    pop = (
        effects.demand
        if population is None
        else population.reindex(effects.codes).fillna(0.0).to_numpy(dtype=np.float64)
    )
    g, unit_pop, units = _units(effects.codes, groups, pop, weights)
    unit_apl = g @ effects.apl
    reachable = np.flatnonzero(effects.gain > 0)
    if candidates is not None:
        chosen = np.array([effects.position(c) for c in candidates], dtype=np.int64)
        reachable = np.intersect1d(reachable, chosen)
    b = sparse.csc_array(
        (effects.values, effects.indices, effects.indptr), shape=(len(effects.codes),) * 2
    )
    per_site = b[:, reachable] @ sparse.diags_array(effects.gain[reachable] * activity)
    effect = sparse.csc_array(g @ per_site)
    effect.sort_indices()
    problem = _Problem(
        units=units,
        apl=unit_apl,
        population=unit_pop,
        need=np.zeros(0),
        under=np.zeros(0, dtype=bool),
        sites=effects.codes[reachable],
        effect=effect,
        threshold=float(threshold),
        inclusive=inclusive,
    )
    under = problem.is_under(unit_apl)
    object.__setattr__(problem, "under", under)
    object.__setattr__(problem, "need", np.where(under, threshold - unit_apl, 0.0))
    return problem


def rank_sites(
    effects: Effects,
    threshold: float,
    *,
    activity: float = 5400.0,
    groups: pd.Series | None = None,
    population: pd.Series | None = None,
    weights: pd.Series | None = None,
    inclusive: bool = False,
) -> pd.DataFrame:
    """Practice communes ranked by population lifted above ``threshold`` by one practitioner.

    Parameters
    ----------
    effects
        The baseline (:meth:`Effects.from_matrix`).
    threshold
        APL threshold (2.5 for the population "under 2.5"; a ZIP threshold with ``groups`` and
        ``inclusive=True`` for territories leaving ZIP eligibility, ``APL <= 2.71``).
    activity
        Counted activity of one practitioner (5 400: a GP's new installation).
    groups
        Commune → territory: units are territories, their APL the mean of their communes
        weighted by ``weights`` (default: ``population``). None: units are communes.
    population
        Population per commune counted as lifted (default: the baseline demand).
    weights
        Weights of the territory mean (default: ``population``).
    inclusive
        A unit is under the threshold when ``APL <= threshold`` (else ``<``).

    Returns
    -------
    pandas.DataFrame
        One row per practice commune reaching some demand: ``lifted`` (population per
        practitioner), ``deficit_gain`` and ``units_lifted``, best first.
    """
    p = _problem(
        effects,
        threshold=threshold,
        activity=activity,
        groups=groups,
        population=population,
        weights=weights,
        candidates=None,
        inclusive=inclusive,
    )
    coo = p.effect.tocoo()
    rows, cols, delta = coo.row, coo.col, coo.data
    start = p.apl[rows]
    lifted = p.under[rows] & ~p.is_under(start + delta)
    n_sites = len(p.sites)
    pop = p.population[rows]
    gained = np.minimum(start + delta, p.threshold) - np.minimum(start, p.threshold)
    frame = pd.DataFrame(
        {
            "lifted": np.bincount(cols, weights=pop * lifted, minlength=n_sites),
            "deficit_gain": np.bincount(cols, weights=pop * gained, minlength=n_sites),
            "units_lifted": np.bincount(cols, weights=lifted, minlength=n_sites).astype(np.int64),
        },
        index=pd.Index(p.sites, name="code"),
    )
    return frame.sort_values(["lifted", "deficit_gain"], ascending=False, kind="stable")


@dataclass(frozen=True)
class Siting:
    """A siting plan and how good it is.

    Attributes
    ----------
    sites
        One row per practitioner placed, in order: ``code`` and ``gain`` (objective gained).
    counts
        Practitioners per practice commune.
    value
        Objective of the plan.
    objective, threshold, method
        What was optimised, and how (``greedy`` or ``exact``).
    evaluations
        Marginal gains evaluated (greedy).
    optimum, gap
        Exact optimum and ``optimum - value`` when compared (see :func:`compare_with_exact`).
    """

    sites: pd.DataFrame
    counts: pd.Series
    value: float
    objective: str
    threshold: float
    method: str
    evaluations: int = 0
    optimum: float | None = None
    gap: float | None = field(default=None)


def _gain(p: _Problem, current: np.ndarray, k: int, objective: Objective) -> tuple[float, float]:
    lo, hi = p.effect.indptr[k], p.effect.indptr[k + 1]
    rows = p.effect.indices[lo:hi]
    before = current[rows]
    after = before + p.effect.data[lo:hi]
    pop = p.population[rows]
    deficit = float(pop @ (np.minimum(after, p.threshold) - np.minimum(before, p.threshold)))
    if objective == "deficit":
        return deficit, 0.0
    lifted = p.under[rows] & p.is_under(before) & ~p.is_under(after)
    return float(pop[lifted].sum()), deficit


def greedy_siting(  # noqa: PLR0913 - public entry point, keyword options
    effects: Effects,
    k: int,
    threshold: float,
    *,
    objective: Objective = "lifted",
    activity: float = 5400.0,
    groups: pd.Series | None = None,
    population: pd.Series | None = None,
    weights: pd.Series | None = None,
    candidates: list[str] | None = None,
    inclusive: bool = False,
) -> Siting:
    """Place ``k`` practitioners one at a time where they gain the most (lazy re-evaluation).

    Gains only fall as practitioners are added for ``"deficit"`` (DR-submodular), so a stale
    gain is an upper bound and lazy re-evaluation picks exactly the greedy choice; for
    ``"lifted"`` the same procedure is a heuristic (see the module docstring). Ties are broken by
    the deficit gain, then by commune code.

    Parameters
    ----------
    effects, threshold, activity, groups, population, weights, inclusive
        As in :func:`rank_sites`.
    k
        Number of practitioners.
    objective
        ``"lifted"`` or ``"deficit"``.
    candidates
        Practice communes allowed (default: every one reaching some demand).
    """
    _check_objective(objective, k)
    p = _problem(
        effects,
        threshold=threshold,
        activity=activity,
        groups=groups,
        population=population,
        weights=weights,
        candidates=candidates,
        inclusive=inclusive,
    )
    current = p.apl.copy()
    heap = []
    evaluations = 0
    for s in range(len(p.sites)):
        g1, g2 = _gain(p, current, s, objective)
        evaluations += 1
        heap.append((-g1, -g2, s, 0))
    heapq.heapify(heap)
    counts = np.zeros(len(p.sites))
    chosen: list[tuple[str, float]] = []
    for step in range(1, k + 1):
        while heap:
            neg1, neg2, s, stamp = heapq.heappop(heap)
            if stamp == step:
                break
            g1, g2 = _gain(p, current, s, objective)
            evaluations += 1
            heapq.heappush(heap, (-g1, -g2, s, step))
        else:  # pragma: no cover - no site at all
            break
        lo, hi = p.effect.indptr[s], p.effect.indptr[s + 1]
        current[p.effect.indices[lo:hi]] += p.effect.data[lo:hi]
        counts[s] += 1
        chosen.append((p.sites[s], -neg1))
        heapq.heappush(heap, (neg1, neg2, s, 0))  # stale: re-evaluated when it comes up
    return Siting(
        sites=pd.DataFrame(chosen, columns=["code", "gain"]),
        counts=_counts(p, counts),
        value=p.value(counts, objective),
        objective=objective,
        threshold=p.threshold,
        method="greedy",
        evaluations=evaluations,
    )


def _counts(p: _Problem, counts: np.ndarray) -> pd.Series:
    series = pd.Series(counts, index=pd.Index(p.sites, name="code"), name="practitioners")
    return series[series > 0].astype(np.int64)


def _check_objective(objective: str, k: int) -> None:
    if objective not in ("lifted", "deficit"):
        msg = f"objective must be 'lifted' or 'deficit', found {objective!r}."
        raise ParameterError(msg)
    if int(k) != k or k < 1:
        msg = f"the number of practitioners must be a positive whole number, found {k!r}."
        raise ParameterError(msg)


#: Relative margin by which a lifted unit must clear its need in the exact program, so that the
#: plan it returns lifts it also in floating point.
_LIFT_MARGIN = 1e-9


def exact_siting(  # noqa: PLR0913 - public entry point, keyword options
    effects: Effects,
    k: int,
    threshold: float,
    *,
    objective: Objective = "lifted",
    activity: float = 5400.0,
    groups: pd.Series | None = None,
    population: pd.Series | None = None,
    weights: pd.Series | None = None,
    candidates: list[str] | None = None,
    inclusive: bool = False,
    time_limit: float | None = 60.0,
) -> Siting:
    """The optimal plan of ``k`` practitioners, by mixed-integer programming (small cases).

    ``n_j`` practitioners per candidate commune (integers, ``sum n_j <= k``); for ``"lifted"`` a
    binary ``y_u`` per unit under the threshold with ``sum_j c_uj n_j >= need_u y_u``, maximising
    ``sum pop_u y_u``; for ``"deficit"`` a continuous ``0 <= z_u <= need_u`` with
    ``z_u <= sum_j c_uj n_j``, maximising ``sum pop_u z_u``.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    _check_objective(objective, k)
    p = _problem(
        effects,
        threshold=threshold,
        activity=activity,
        groups=groups,
        population=population,
        weights=weights,
        candidates=candidates,
        inclusive=inclusive,
    )
    under = np.flatnonzero(p.under)
    n_sites, n_units = len(p.sites), under.size
    c = sparse.csr_array(p.effect)[under]  # units under × sites
    need = p.need[under]
    if objective == "lifted":
        need = need * (1 + _LIFT_MARGIN) + (_LIFT_MARGIN if p.inclusive else 0.0)
    budget = sparse.hstack(
        [sparse.csr_array(np.ones((1, n_sites))), sparse.csr_array((1, n_units))]
    )
    cover = sparse.hstack(
        [c, -sparse.diags_array(need if objective == "lifted" else np.ones(n_units))]
    )
    constraints = [
        LinearConstraint(budget, -np.inf, k),
        LinearConstraint(cover, 0.0, np.inf),
    ]
    cost = np.concatenate([np.zeros(n_sites), -p.population[under]])
    upper = np.concatenate(
        [np.full(n_sites, k), np.ones(n_units) if objective == "lifted" else need]
    )
    integrality = np.concatenate(
        [np.ones(n_sites), np.ones(n_units) if objective == "lifted" else np.zeros(n_units)]
    )
    options = {"time_limit": time_limit} if time_limit is not None else {}
    result = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(np.zeros(n_sites + n_units), upper),
        options=options,
    )
    if result.x is None or result.status not in (0, 1):
        msg = f"the exact siting program was not solved: {result.message}"
        raise ParameterError(msg)
    counts = np.round(result.x[:n_sites])
    order = np.repeat(np.arange(n_sites), counts.astype(np.int64))
    return Siting(
        sites=pd.DataFrame({"code": p.sites[order], "gain": np.nan}),
        counts=_counts(p, counts),
        value=p.value(counts, objective),
        objective=objective,
        threshold=p.threshold,
        method="exact" if result.status == 0 else "exact (time limit: best found)",
    )


def compare_with_exact(greedy: Siting, exact: Siting) -> Siting:
    """The greedy plan with the exact optimum and the gap ``optimum - value`` filled in."""
    from dataclasses import replace

    return replace(greedy, optimum=exact.value, gap=exact.value - greedy.value)
