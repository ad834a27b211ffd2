"""The APL computation: E2SFCA and the rest of the floating-catchment-area family.

With residence commune ``i``, practice commune ``j``, weight ``W_ij = f(t_ij)``, supply ``S_j`` and
standardised population ``P*_i``, every method is two sparse gathers::

    step 1 (per practice commune j):   D_j = sum_i A_ij u_i P*_i        R_j = S_j / D_j
    step 2 (per residence commune i):  APL_i = v_i sum_j B_ij x_j R_j

==========  ==========================  =====================  ====================================
method      A (step 1)                  B (step 2)             scaling
==========  ==========================  =====================  ====================================
``2sfca``   ``1[W > 0]``                ``1[W > 0]``           none (Luo & Wang 2003)
``e2sfca``  ``W``                       ``W``                  none: the DREES APL (Luo & Qi 2009)
``3sfca``   ``W²``                      ``W²``                 ``u = v = 1 / sum_j W_ij``: selection
                                                               weights ``G = W / sum_j W_ij``
                                                               (Wan, Zou & Sternberg 2012)
``m2sfca``  ``W``                       ``W²``                 none (Delamater 2013)
``bfca``    ``W``                       ``W``                  ``u = 1 / sum_j W_ij``,
                                                               ``x = 1 / sum_i W_ij`` (balanced,
                                                               Paez, Higgins & Vivona 2019)
==========  ==========================  =====================  ====================================

A practice commune whose weighted demand ``D_j`` is 0 has ``R_j = 0``: its supply reaches nobody.
That supply is reported (:attr:`APLResult.lost_supply`) and a :class:`LostSupplyWarning` is issued.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._align import CodeAligner, MissingDemand, align, align_many, scenario_columns
from ._checks import check_demand_floor, check_finite_result
from .area import check_edge_effects
from .decay import Closed, Decay, get_decay
from .errors import (
    InputFormatError,
    ParameterError,
)
from .plausibility import check_plausible
from .result import APLResult, LostSupplyWarning
from .traveltimes import TravelTimes
from .weights import WeightMatrix, weight_matrices

__all__ = [
    "METHODS",
    "APLResult",
    "AccessibilityMatrix",
    "LostSupplyWarning",
    "apl_from_arrays",
    "compute_apl",
    "prepare",
]

logger = logging.getLogger(__name__)

Method = Literal["2sfca", "e2sfca", "3sfca", "m2sfca", "bfca"]
#: The floating-catchment-area methods available.
METHODS: tuple[str, ...] = ("2sfca", "e2sfca", "3sfca", "m2sfca", "bfca")


# ---------------------------------------------------------------------------------- matrix
@dataclass(frozen=True, eq=False)
class AccessibilityMatrix:
    """Travel times turned into FCA weights, ready to solve for any demand and supply.

    Build it with :func:`prepare`. Solving again for new demand or supply vectors reads the two
    sparse matrices once and costs a few milliseconds at France scale; :meth:`solve_batch` solves
    many supply (or demand) scenarios in one pass.

    Attributes
    ----------
    codes
        Commune index (as in the travel times).
    decay
        The decay used for the weights.
    method
        One of :data:`METHODS`.
    step1
        Matrix ``A`` by practice commune (rows: practice, columns: residence communes).
    step2
        Matrix ``B`` by residence commune (rows: residence, columns: practice communes).
    demand_scale, result_scale, ratio_scale
        The vectors ``u``, ``v`` and ``x`` of the module table (None when all ones).
    """

    codes: pd.Index
    decay: Decay
    method: str
    step1: WeightMatrix
    step2: WeightMatrix
    demand_scale: np.ndarray | None = None
    result_scale: np.ndarray | None = None
    ratio_scale: np.ndarray | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_communes(self) -> int:
        """Number of communes."""
        return len(self.codes)

    @property
    def nnz(self) -> int:
        """Number of pairs with a positive weight."""
        return self.step2.nnz

    def __repr__(self) -> str:
        return (
            f"AccessibilityMatrix({self.method}, decay={self.decay.name!r}, "
            f"{self.n_communes} communes, {self.nnz} weighted pairs)"
        )

    @cached_property
    def _aligner(self) -> CodeAligner:
        """Aligns input Series on :attr:`codes` (hash map built once per matrix)."""
        return CodeAligner(self.codes)

    # -------------------------------------------------------------- array level
    def solve_arrays(
        self, demand: np.ndarray, supply: np.ndarray, *, all_weighted_demand: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Solve for demand and supply vectors aligned on :attr:`codes` (no validation).

        Step 1 is computed only for the practice communes that have supply (the others have
        ``R_j = 0`` whatever their demand), unless ``all_weighted_demand`` is set.

        Parameters
        ----------
        demand, supply
            float64 arrays of length :attr:`n_communes`.
        all_weighted_demand
            Compute the weighted demand ``D_j`` of every practice commune, not only of those
            with supply (the APL is the same).

        Returns
        -------
        apl, weighted_demand, ratio : numpy.ndarray
        """
        from .kernels import fca  # lazy: numba

        scaled = demand * self.demand_scale if self.demand_scale is not None else demand
        rows = None if all_weighted_demand else supply > 0
        weighted = self.step1.matvec(scaled, rows=rows)
        r = fca.ratio(supply, weighted)
        gathered = r * self.ratio_scale if self.ratio_scale is not None else r
        apl = self.step2.matvec(gathered)
        if self.result_scale is not None:
            apl *= self.result_scale
        return apl, weighted, r

    def solve_batch_arrays(self, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
        """Solve many scenarios at once, reading each matrix once.

        Parameters
        ----------
        demand
            float64, shape ``(n,)`` (one demand for every scenario) or ``(n, K)``.
        supply
            float64, shape ``(n,)`` or ``(n, K)``.

        Returns
        -------
        numpy.ndarray
            APL of shape ``(n, K)``.
        """
        n_cols = max(_columns(demand), _columns(supply))
        if n_cols == 1:  # one scenario: the vector kernels, step 1 only where there is supply
            return self.solve_arrays(demand.ravel(), supply.ravel())[0][:, None]
        if self.demand_scale is not None:
            demand = demand * (
                self.demand_scale if demand.ndim == 1 else self.demand_scale[:, None]
            )
        if demand.ndim == 1:
            supplied = supply > 0 if supply.ndim == 1 else (supply > 0).any(axis=1)
            weighted = self.step1.matvec(demand, rows=supplied)[:, None]
        else:
            weighted = self.step1.matmat(np.ascontiguousarray(demand))
        supply_2d = supply[:, None] if supply.ndim == 1 else supply
        r = np.zeros((self.n_communes, n_cols))
        np.divide(supply_2d, weighted, out=r, where=weighted > 0)
        if self.ratio_scale is not None:
            r *= self.ratio_scale[:, None]
        apl = self.step2.matmat(r)
        if self.result_scale is not None:
            apl *= self.result_scale[:, None]
        return apl

    # -------------------------------------------------------------- pandas level
    def solve(
        self,
        demand: pd.Series,
        supply: pd.Series,
        *,
        population: pd.Series | None = None,
        missing_demand: MissingDemand = "error",
        scale: float = 1.0,
    ) -> APLResult:
        """Compute the accessibility for one demand and one supply.

        Parameters
        ----------
        demand
            Standardised population ``P*`` by commune code (see
            :func:`aplcore.standardise_population`).
        supply
            Counted supply by practice commune code (see :func:`aplcore.count_gp_activity`);
            communes absent from it have none.
        population
            Total (non-standardised) population by commune code, for the statistics that the
            DREES note computes on it (population under a threshold, quantiles).
        missing_demand
            Communes of the travel times absent from ``demand``: ``"error"`` (default) or
            ``"zero"``.
        scale
            Multiply the result (``100_000`` for FTE per 100 000 inhabitants).
        """
        p, s, pop = _inputs(
            self.codes, demand, supply, population, missing_demand, scale, self._aligner
        )
        apl, weighted, r = self.solve_arrays(p, s, all_weighted_demand=True)
        how = (self.method, self.decay, scale)
        return _result(self.codes, apl, p, s, weighted, r, pop, how)

    def solve_batch(
        self,
        demand: pd.Series | pd.DataFrame,
        supply: pd.Series | pd.DataFrame,
        *,
        missing_demand: MissingDemand = "error",
        scale: float = 1.0,
    ) -> pd.DataFrame:
        """Accessibility for several scenarios: columns of ``supply`` and/or ``demand``.

        Parameters
        ----------
        demand
            A Series (the same demand for every scenario) or a DataFrame with one column per
            scenario, indexed by commune code.
        supply
            A Series or a DataFrame with one column per scenario. When both are DataFrames they
            must have the same columns.
        missing_demand, scale
            As in :meth:`solve`.

        Returns
        -------
        pandas.DataFrame
            APL indexed by commune code, one column per scenario.
        """
        _check_scale(scale)
        columns = scenario_columns(demand, supply)
        aligner = self._aligner
        p = align_many(self.codes, demand, what="demand", missing=missing_demand, aligner=aligner)
        s = align_many(self.codes, supply, what="supply", missing="zero", aligner=aligner)
        for column in p.reshape(len(self.codes), -1).T:
            check_demand_floor(column, self.codes)
        with np.errstate(over="ignore", invalid="ignore"):
            apl = self.solve_batch_arrays(p, s)
            if scale != 1.0:
                apl *= scale
        check_finite_result(self.codes, {"APL": apl})
        return pd.DataFrame(apl, index=pd.Index(self.codes, name="code"), columns=columns)


def _columns(array: np.ndarray) -> int:
    return 1 if array.ndim == 1 else array.shape[1]


def _check_scale(scale: float) -> None:
    if not (np.isfinite(scale) and scale > 0):
        msg = f"scale must be a positive number, found {scale!r}."
        raise ParameterError(msg)


def prepare(
    travel_times: TravelTimes,
    *,
    decay: str | Decay = "drees_gp",
    method: Method = "e2sfca",
    closed: Closed | None = None,
    _stacklevel: int = 3,
) -> AccessibilityMatrix:
    """Turn travel times into the FCA weight matrices of a method.

    Parameters
    ----------
    travel_times
        Residence → practice times.
    decay
        A registered decay name (default ``"drees_gp"``) or a :class:`aplcore.Decay`.
    method
        One of :data:`METHODS` (default ``"e2sfca"``, the DREES APL).
    closed
        Override the decay's band-edge convention (``"left"``: ``[a, b)``, the default of the
        registered decays; ``"right"``: ``(a, b]``).

    Warns
    -----
    EdgeEffectWarning
        The travel times cover an area without the ring of neighbours its border communes need
        (built from ``aplcore.load_communes(departement=...)`` rather than
        ``aplcore.study_area(...).communes``).

    Examples
    --------
    >>> import pandas as pd
    >>> import aplcore
    >>> from aplcore.traveltimes import TravelTimes
    >>> od = pd.DataFrame(
    ...     {
    ...         "origin": ["36044", "36044", "36088", "36088"],
    ...         "destination": ["36044", "36088", "36044", "36088"],
    ...         "minutes": [0.0, 12.0, 12.0, 0.0],
    ...     }
    ... )
    >>> matrix = aplcore.prepare(TravelTimes.from_frame(od, origin="origin",
    ...                          destination="destination", minutes="minutes"))
    >>> demand = pd.Series({"36044": 1000.0, "36088": 500.0})
    >>> matrix.solve(demand, pd.Series({"36044": 6000.0, "36088": 0.0})).apl.round(6).tolist()
    [4.5, 3.0]
    """
    _check_travel_times(travel_times)
    if method not in METHODS:
        msg = f"unknown method {method!r}; methods are {list(METHODS)}."
        raise ParameterError(msg)
    resolved = _resolve_decay(travel_times, decay, closed, stacklevel=_stacklevel + 1)
    n = travel_times.n_communes
    w, w_t = weight_matrices(travel_times, resolved)
    step1, step2 = w_t, w
    scales: dict[str, np.ndarray] = {}
    if method == "2sfca":
        step1, step2 = w_t.power(0), w.power(0)
    elif method == "m2sfca":
        step2 = w.power(2)
    elif method == "3sfca":
        step1, step2 = w_t.power(2), w.power(2)
        inverse_rows = _inverse(w.matvec(np.ones(n)))
        scales = {"demand_scale": inverse_rows, "result_scale": inverse_rows}
    elif method == "bfca":
        inverse_rows = _inverse(w.matvec(np.ones(n)))
        inverse_cols = _inverse(w_t.matvec(np.ones(n)))
        scales = {"demand_scale": inverse_rows, "ratio_scale": inverse_cols}
    return AccessibilityMatrix(
        codes=travel_times.codes,
        decay=resolved,
        method=method,
        step1=step1,
        step2=step2,
        metadata=dict(travel_times.metadata),
        **scales,
    )


def _check_travel_times(travel_times: object) -> None:
    if not isinstance(travel_times, TravelTimes):
        msg = (
            f"expected aplcore.TravelTimes, found {type(travel_times).__name__}; build one with "
            "aplcore.TravelTimes.from_frame(df, origin=..., destination=..., minutes=...)."
        )
        raise InputFormatError(msg)


def _result(
    codes: pd.Index,
    apl: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    weighted: np.ndarray,
    ratio: np.ndarray,
    population: np.ndarray | None,
    how: tuple[str, Decay, float],
) -> APLResult:
    """The result of a computation ``how = (method, decay, scale)``, checked finite."""
    method, decay, scale = how
    with np.errstate(over="ignore", invalid="ignore"):
        apl = apl * scale if scale != 1.0 else apl
    check_finite_result(
        codes,
        {"APL": apl, "step-1 ratio": ratio, "weighted demand": weighted},
        weighted_demand=weighted,
        supply=supply,
    )
    result = APLResult(
        codes=codes,
        apl_values=apl,
        demand_values=demand,
        supply_values=supply,
        weighted_demand_values=weighted,
        ratio_values=ratio,
        population_values=population,
        method=method,
        decay=decay,
        scale=scale,
    )
    result.warn_if_supply_lost()
    return result


def _inverse(values: np.ndarray) -> np.ndarray:
    out = np.zeros_like(values)
    np.divide(1.0, values, out=out, where=values > 0)
    return out


def _resolve_decay(
    travel_times: TravelTimes, decay: str | Decay, closed: Closed | None, *, stacklevel: int
) -> Decay:
    """The decay, checked against the matrix: within its bound, and the edge effects."""
    resolved = get_decay(decay, closed=closed)
    travel_times.check_reach(resolved)
    check_edge_effects(travel_times.metadata, decay=resolved, stacklevel=stacklevel)
    return resolved


def compute_apl(  # noqa: PLR0913 - public entry point, keyword options
    travel_times: TravelTimes,
    *,
    demand: pd.Series,
    supply: pd.Series,
    decay: str | Decay = "drees_gp",
    method: Method = "e2sfca",
    closed: Closed | None = None,
    population: pd.Series | None = None,
    missing_demand: MissingDemand = "error",
    scale: float = 1.0,
) -> APLResult:
    """Compute the APL (or another FCA accessibility) of every commune.

    Parameters
    ----------
    travel_times
        Residence → practice car times (:class:`aplcore.TravelTimes`).
    demand
        Standardised population ``P*`` by commune code.
    supply
        Counted supply by practice commune code (absent communes have none).
    decay
        Registered decay name or :class:`aplcore.Decay` (default: DREES GP steps).
    method
        One of :data:`METHODS` (default ``"e2sfca"``, the DREES APL).
    closed
        Override the band-edge convention (default of ``"drees_gp"``: ``"left"``, so a pair at
        exactly 10 minutes weighs 2/3).
    population
        Total population by commune code, used by the statistics on total population.
    missing_demand
        Communes of the travel times absent from ``demand``: ``"error"`` or ``"zero"``.
    scale
        Multiply the result (``100_000`` for FTE-based professions).

    Returns
    -------
    APLResult

    Warns
    -----
    EdgeEffectWarning
        The travel times cover an area without the ring of neighbours its border communes need
        (built from ``aplcore.load_communes(departement=...)`` rather than
        ``aplcore.study_area(...).communes``).

    Examples
    --------
    Two communes 12 minutes apart, GPs in the first one only (``drees_gp``: weight 1 within the
    commune, 2/3 at 12 minutes):

    >>> import pandas as pd
    >>> import aplcore
    >>> from aplcore.traveltimes import TravelTimes
    >>> od = pd.DataFrame(
    ...     {
    ...         "origin": ["36044", "36044", "36088", "36088"],
    ...         "destination": ["36044", "36088", "36044", "36088"],
    ...         "minutes": [0.0, 12.0, 12.0, 0.0],
    ...     }
    ... )
    >>> columns = {"origin": "origin", "destination": "destination", "minutes": "minutes"}
    >>> tt = TravelTimes.from_frame(od, **columns)
    >>> demand = pd.Series({"36044": 1000.0, "36088": 500.0})
    >>> supply = pd.Series({"36044": 3000.0, "36088": 0.0})
    >>> result = aplcore.compute_apl(tt, demand=demand, supply=supply)
    >>> result.apl.round(6).to_dict()
    {'36044': 2.25, '36088': 1.5}
    """
    if method != "e2sfca":
        matrix = prepare(travel_times, decay=decay, method=method, closed=closed, _stacklevel=4)
        return matrix.solve(
            demand, supply, population=population, missing_demand=missing_demand, scale=scale
        )
    from .kernels import csr, fca  # lazy: numba

    _check_travel_times(travel_times)
    resolved = _resolve_decay(travel_times, decay, closed, stacklevel=4)
    codes = travel_times.codes
    p, s, pop = _inputs(codes, demand, supply, population, missing_demand, scale)
    apl, weighted, r = fca.e2sfca_rows(
        travel_times.indptr,
        travel_times.indices,
        travel_times.minutes,
        p,
        s,
        resolved.kind_id,
        resolved.kernel_params,
        csr.n_chunks_for(travel_times.n_pairs),
    )
    return _result(codes, apl, p, s, weighted, r, pop, (method, resolved, scale))


def apl_from_arrays(
    origin: np.ndarray,
    destination: np.ndarray,
    minutes: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    *,
    decay: str | Decay = "drees_gp",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E2SFCA straight from a long table of integer positions (the fused path).

    The table is streamed twice and never turned into a matrix: step 1 weights each pair while
    accumulating the demand of its practice commune, step 2 while accumulating the ratio of its
    residence commune. Rows may come in any order. For a single computation this is the fastest
    path; to solve again for other demand or supply, build :class:`aplcore.TravelTimes` and use
    :func:`prepare`.

    No validation is done: for callers that have already canonicalised their data (benchmarks,
    generated matrices). A pair given twice counts twice.

    Parameters
    ----------
    origin, destination
        Positions of each pair's residence and practice commune, in ``[0, n)`` (cast to int32).
    minutes
        Travel times (cast to float64).
    demand, supply
        Arrays of length ``n`` (cast to float64).
    decay
        Registered decay name or :class:`aplcore.Decay`.

    Returns
    -------
    apl, weighted_demand, ratio : numpy.ndarray
    """
    from .kernels import csr, fca  # lazy: numba

    resolved = get_decay(decay)
    o = np.ascontiguousarray(origin, dtype=np.int32)
    d = np.ascontiguousarray(destination, dtype=np.int32)
    return fca.e2sfca_long(
        o,
        d,
        np.ascontiguousarray(minutes, dtype=np.float64),
        np.ascontiguousarray(demand, dtype=np.float64),
        np.ascontiguousarray(supply, dtype=np.float64),
        resolved.kind_id,
        resolved.kernel_params,
        csr.n_chunks_for(o.size),
    )


# ---------------------------------------------------------------------------------- validation
def _inputs(
    codes: pd.Index,
    demand: pd.Series,
    supply: pd.Series,
    population: pd.Series | None,
    missing_demand: MissingDemand,
    scale: float,
    aligner: CodeAligner | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Demand, supply and population aligned on ``codes``, checked once."""
    _check_scale(scale)
    aligner = aligner or CodeAligner(codes)
    p = align(codes, demand, what="demand", missing=missing_demand, aligner=aligner)
    check_demand_floor(p, codes)
    s = align(codes, supply, what="supply", missing="zero", aligner=aligner)
    check_plausible("commune_population", p, labels=codes, what="demand", stacklevel=5)
    if population is None:
        return p, s, None
    pop = align(codes, population, what="population", missing="error", aligner=aligner)
    if pop.sum() > 0:
        # a demand below the population is legitimate (women, people aged 60+): only the
        # upper side of the range is checked here
        ratio = max(1.0, p.sum() / pop.sum())
        check_plausible("standardised_ratio", ratio, what="demand / population", stacklevel=5)
    return p, s, pop
