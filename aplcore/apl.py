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
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._checks import check_demand_floor, check_finite_result
from .aggregation import aggregate as aggregate_values
from .aggregation import population_under, weighted_quantiles
from .area import check_edge_effects
from .codes import normalise_codes
from .decay import Closed, Decay, get_decay
from .errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    LostSupplyWarning,
    MismatchError,
    MissingCommuneError,
    ParameterError,
    describe_values,
)
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
MissingDemand = Literal["error", "zero"]


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
        from .kernels import fca

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
        return _result(self.codes, apl, p, s, weighted, r, pop, self.method, self.decay, scale)

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
        columns = _scenario_columns(demand, supply)
        aligner = self._aligner
        p = _align_many(self.codes, demand, what="demand", missing=missing_demand, aligner=aligner)
        s = _align_many(self.codes, supply, what="supply", missing="zero", aligner=aligner)
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
    resolved = get_decay(decay, closed=closed)
    check_edge_effects(travel_times.metadata, decay=resolved, stacklevel=_stacklevel)
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
    method: str,
    decay: Decay,
    scale: float,
) -> APLResult:
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


def compute_apl(
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
    from .kernels import csr, fca

    _check_travel_times(travel_times)
    resolved = get_decay(decay, closed=closed)
    check_edge_effects(travel_times.metadata, decay=resolved, stacklevel=3)
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
    return _result(codes, apl, p, s, weighted, r, pop, method, resolved, scale)


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
    from .kernels import csr, fca

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


# ---------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class APLResult:
    """Per-commune accessibility with everything needed to check and aggregate it.

    Attributes
    ----------
    codes
        Commune index.
    apl_values, demand_values, supply_values, weighted_demand_values, ratio_values
        Arrays aligned on ``codes``; the pandas views are :attr:`apl`, :attr:`demand`, ...
    population_values
        Total population when given, else None.
    method, decay, scale
        How it was computed.
    """

    codes: pd.Index
    apl_values: np.ndarray
    demand_values: np.ndarray
    supply_values: np.ndarray
    weighted_demand_values: np.ndarray
    ratio_values: np.ndarray
    population_values: np.ndarray | None
    method: str
    decay: Decay
    scale: float = 1.0

    def _series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=pd.Index(self.codes, name="code"), name=name)

    @property
    def apl(self) -> pd.Series:
        """Accessibility of each residence commune (``apl``)."""
        return self._series(self.apl_values, "apl")

    @property
    def demand(self) -> pd.Series:
        """Standardised population ``P*`` used (``pop_std``)."""
        return self._series(self.demand_values, "pop_std")

    @property
    def supply(self) -> pd.Series:
        """Supply ``S`` of each practice commune (``supply``)."""
        return self._series(self.supply_values, "supply")

    @property
    def weighted_demand(self) -> pd.Series:
        """Step-1 denominator ``D_j`` of each practice commune (``weighted_demand``)."""
        return self._series(self.weighted_demand_values, "weighted_demand")

    @property
    def ratio(self) -> pd.Series:
        """Step-1 ratio ``R_j = S_j / D_j`` of each practice commune (``ratio``)."""
        return self._series(self.ratio_values, "ratio")

    @property
    def population(self) -> pd.Series | None:
        """Total population when it was given."""
        if self.population_values is None:
            return None
        return self._series(self.population_values, "population")

    @property
    def lost_supply(self) -> pd.Series:
        """Supply of the practice communes that no demand reaches (``D_j = 0``, ``S_j > 0``)."""
        lost = (self.weighted_demand_values <= 0) & (self.supply_values > 0)
        return self.supply[lost].rename("lost_supply")

    @property
    def lost_supply_total(self) -> float:
        """Total supply that reaches nobody."""
        return float(self.lost_supply.sum())

    def warn_if_supply_lost(self) -> None:
        """Issue a :class:`LostSupplyWarning` when some supply reaches no demand."""
        lost = self.lost_supply
        if len(lost):
            msg = (
                f"supply of {len(lost)} practice communes reaches no demand and is lost "
                f"({lost.sum():g} of {self.supply_values.sum():g}): "
                f"{describe_values(lost.index.tolist())}. See APLResult.lost_supply."
            )
            warnings.warn(msg, LostSupplyWarning, stacklevel=3)

    def to_frame(self) -> pd.DataFrame:
        """One row per commune: ``apl``, ``pop_std``, ``supply``, ``weighted_demand``, ``ratio``
        (and ``population`` when given)."""
        columns = [self.apl, self.demand, self.supply, self.weighted_demand, self.ratio]
        if self.population is not None:
            columns.append(self.population)
        return pd.concat(columns, axis=1)

    def _weights(self, weights: str) -> pd.Series:
        if weights == "standardised":
            return self.demand
        if weights in ("total", "resident"):
            if self.population is None:
                msg = (
                    f"weights={weights!r} needs the total population: pass population= to "
                    "compute_apl."
                )
                raise ParameterError(msg)
            return self.population
        msg = f"weights must be 'standardised', 'total' or 'resident', found {weights!r}."
        raise ParameterError(msg)

    def aggregate(
        self,
        groups: pd.Series | Mapping[str, str],
        *,
        weights: Literal["standardised", "total", "resident"] = "standardised",
        dropna: bool = False,
    ) -> pd.DataFrame:
        """Mean APL per group (département, région, territory, ...).

        Parameters
        ----------
        groups
            Group of each commune, by commune code.
        weights
            ``"standardised"`` (default: the DREES publication rule) or ``"total"`` /
            ``"resident"`` (total population: the 2017 zoning rule for TVS values).
        dropna
            Leave out the communes whose group is missing (by default an error).
        """
        group_series = pd.Series(groups) if not isinstance(groups, pd.Series) else groups
        return aggregate_values(
            self.apl, self._weights(weights), group_series, what="apl", dropna=dropna
        )

    def population_under(self, threshold: float) -> float:
        """Total population living in communes whose APL is under ``threshold``."""
        return population_under(self.apl, self._weights("total"), threshold)

    def quantiles(self, q: float | list[float] | np.ndarray) -> pd.Series:
        """Quantiles of APL weighted by total population."""
        return weighted_quantiles(self.apl, self._weights("total"), q)

    def check_identity(self) -> float:
        """Relative gap between ``sum P* APL`` and ``sum S`` minus lost supply (0 for E2SFCA)."""
        expected = self.supply_values.sum() - self.lost_supply_total
        found = float(self.demand_values @ self.apl_values) / self.scale
        return abs(found - expected) / expected if expected > 0 else abs(found)

    # ------------------------------------------------------------------ notebooks
    def _summary(self) -> list[tuple[str, str]]:
        """Label/value pairs shown by ``repr`` and in notebooks."""
        apl = self.apl_values
        rows = [
            ("method", f"{self.method}, decay {self.decay.name!r}"),
            ("communes", f"{len(self.codes):,}".replace(",", " ")),
        ]
        if len(apl):
            finite = apl[np.isfinite(apl)]
            q = np.quantile(finite, [0.0, 0.5, 1.0]) if len(finite) else [np.nan] * 3
            rows.append(("apl", f"min {q[0]:.3g}, median {q[1]:.3g}, max {q[2]:.3g}"))
            weight = self.demand_values.sum()
            if weight > 0:
                mean = float(self.demand_values @ apl) / weight
                rows.append(("mean apl (weighted by pop_std)", f"{mean:.3g}"))
        total = f"{self.supply_values.sum():,.0f}".replace(",", " ")
        lost = f"{self.lost_supply_total:,.0f}".replace(",", " ")
        rows.append(("supply", f"{total}, lost {lost}"))
        return rows

    def __repr__(self) -> str:
        """A few lines: method, number of communes, APL range, supply (never the arrays)."""
        body = "; ".join(f"{label} {value}" for label, value in self._summary())
        return f"APLResult({body})"

    def _repr_html_(self) -> str:
        """Notebook view: the summary and the first rows of :meth:`to_frame`."""
        from html import escape

        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(label)}</th><td>{escape(value)}</td></tr>"
            for label, value in self._summary()
        )
        head = self.to_frame().head(5).to_html(float_format=lambda v: f"{v:.4g}")
        return f"<div><strong>APLResult</strong><table>{rows}</table>{head}</div>"

    def to_geodataframe(self, *, labels: bool = True) -> Any:
        """:meth:`to_frame` joined to the bundled commune contours, as a GeoDataFrame.

        Needs GeoPandas (``pip install "aplcore[geo]"``). Communes absent from the bundled
        contours (codes of another COG year, or of a commune without a contour) keep an empty
        geometry; update old codes first with :func:`aplcore.codes.update`.

        Parameters
        ----------
        labels
            Add the commune name, its département, région and EPCI with their names
            (:func:`aplcore.datasets.commune_labels`).

        Returns
        -------
        geopandas.GeoDataFrame
            Indexed by commune code, CRS EPSG:4326.

        Examples
        --------
        >>> import aplcore
        >>> communes = aplcore.study_area(departement="36").communes  # Indre and its ring
        >>> tt = aplcore.travel_times_crow_fly(communes, max_minutes=30)
        >>> supply = communes["population"] * 0.0 + 5000.0
        >>> result = aplcore.compute_apl(tt, demand=communes["population"], supply=supply)
        >>> gdf = result.to_geodataframe()  # doctest: +SKIP
        >>> gdf.plot(column="apl")  # doctest: +SKIP
        """
        from .datasets import commune_labels, load_contours

        try:
            import geopandas as gpd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = 'to_geodataframe needs GeoPandas: pip install "aplcore[geo]"'
            raise ImportError(msg) from exc
        frame = self.to_frame()
        if labels:
            frame = frame.join(commune_labels(frame.index))
        geometry = load_contours(france=True).reindex(frame.index)
        return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs="EPSG:4326")


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
    p = _align(codes, demand, what="demand", missing=missing_demand, aligner=aligner)
    check_demand_floor(p, codes)
    s = _align(codes, supply, what="supply", missing="zero", aligner=aligner)
    if population is None:
        return p, s, None
    return p, s, _align(codes, population, what="population", missing="error", aligner=aligner)


class CodeAligner:
    """Positions of the codes of input Series in an index of codes, with its hash map built once.

    A Series whose index is the matrix's own index object, or an index already found equal to
    it, takes the array path with no lookup at all; another index is looked up once in the hash
    table that pandas keeps on the matrix's index, and its positions are remembered for the
    next call with the same index object (pandas indexes are immutable).
    """

    #: How many index objects are remembered.
    REMEMBERED = 8

    def __init__(self, codes: pd.Index) -> None:
        self.codes = codes
        self._known: list[tuple[pd.Index, np.ndarray | None]] = []

    def positions(self, index: pd.Index) -> np.ndarray | None:
        """Position of each code of ``index`` in the codes (-1: absent); ``None``: identical."""
        if index is self.codes:
            return None
        for known, positions in self._known:
            if index is known:
                return positions
        if _known_equal(index, self.codes):
            positions = None
        else:
            positions = self.codes.get_indexer(index)
            positions.flags.writeable = False
        self._known = [(index, positions), *self._known[: self.REMEMBERED - 1]]
        return positions


#: Pairs of indexes found equal lately (indexes are immutable: a matrix built again from the
#: same table has the same codes object, and the user's Series keep theirs).
_EQUAL_INDEXES: list[tuple[pd.Index, pd.Index]] = []
_EQUAL_INDEXES_KEPT = 4


def _known_equal(index: pd.Index, codes: pd.Index) -> bool:
    """Whether two indexes hold the same codes in the same order (remembered once found)."""
    for known_index, known_codes in _EQUAL_INDEXES:
        if known_index is index and known_codes is codes:
            return True
    if len(index) != len(codes) or not index.equals(codes):
        return False
    _EQUAL_INDEXES.insert(0, (index, codes))
    del _EQUAL_INDEXES[_EQUAL_INDEXES_KEPT:]
    return True


def _align(
    codes: pd.Index,
    values: pd.Series,
    *,
    what: str,
    missing: MissingDemand,
    aligner: CodeAligner | None = None,
) -> np.ndarray:
    """``values`` as a float64 array aligned on ``codes``, checked (codes, duplicates, numbers)."""
    if missing not in ("error", "zero"):
        msg = f"missing_demand must be 'error' or 'zero', found {missing!r}."
        raise ParameterError(msg)
    series = _as_series(values, what=what)
    positions = (aligner or CodeAligner(codes)).positions(series.index)
    array = _numbers(series, what=what)
    if positions is None:
        _check_values(array, series.index, what=what)
        return array
    unknown = positions < 0
    if unknown.any():
        offending = normalise_codes(series.index[unknown], what=f"commune codes of the {what}")
        msg = (
            f"{len(offending)} communes of the {what} are not in the travel times: "
            f"{describe_values(offending.tolist())}. Build the travel times over these communes "
            f"too, or drop them from the {what}."
        )
        raise MissingCommuneError(msg)
    counts = np.bincount(positions, minlength=len(codes))
    if (counts > 1).any():
        dup = codes[counts > 1].tolist()
        msg = (
            f"the {what} gives some communes more than once: {describe_values(dup)}. "
            "Sum them per commune first."
        )
        raise DuplicateError(msg)
    _check_values(array, series.index, what=what)
    if missing == "error" and (counts == 0).any():
        absent = codes[counts == 0].tolist()
        msg = (
            f"the {what} has no value for {len(absent)} communes of the travel times: "
            f"{describe_values(absent)}. Give every commune a value (0 where there is none)."
        )
        raise MissingCommuneError(msg, fix="Or pass {param}.", param="missing_demand", value="zero")
    out = np.zeros(len(codes), dtype=np.float64)
    out[positions] = array
    return out


def _as_series(values: pd.Series, *, what: str) -> pd.Series:
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        values = values.iloc[:, 0]
    if not isinstance(values, pd.Series):
        msg = (
            f"the {what} must be a pandas Series indexed by commune code, found "
            f"{type(values).__name__}."
        )
        raise InputFormatError(msg)
    if len(values) == 0:
        msg = f"the {what} is empty: expected one value per commune."
        raise InputFormatError(msg)
    return values


def _numbers(series: pd.Series, *, what: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        msg = f"the {what} must be numbers, found dtype {series.dtype}."
        raise InvalidValueError(msg)
    # a fresh writable array: pandas hands out read-only views, which Numba compiles apart
    return np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _check_values(array: np.ndarray, index: pd.Index, *, what: str) -> None:
    bad = ~((array >= 0) & (array < np.inf))
    if bad.any():
        offending = [f"{c}: {v}" for c, v in zip(index[bad][:5], array[bad][:5], strict=True)]
        msg = (
            f"the {what} must be finite and non-negative; {int(bad.sum())} communes are not "
            f"({describe_values(offending)})."
        )
        raise InvalidValueError(msg)


def _scenario_columns(
    demand: pd.Series | pd.DataFrame, supply: pd.Series | pd.DataFrame
) -> pd.Index:
    frames = [x for x in (demand, supply) if isinstance(x, pd.DataFrame)]
    if not frames:
        return pd.Index([supply.name or "apl"])
    if len(frames) == 2 and not frames[0].columns.equals(frames[1].columns):
        msg = (
            "demand and supply scenarios must have the same columns, found "
            f"{list(frames[0].columns)[:5]} and {list(frames[1].columns)[:5]}."
        )
        raise MismatchError(msg)
    return frames[0].columns


def _align_many(
    codes: pd.Index,
    values: pd.Series | pd.DataFrame,
    *,
    what: str,
    missing: MissingDemand,
    aligner: CodeAligner | None = None,
) -> np.ndarray:
    aligner = aligner or CodeAligner(codes)
    if isinstance(values, pd.Series):
        return _align(codes, values, what=what, missing=missing, aligner=aligner)
    if not isinstance(values, pd.DataFrame) or values.shape[1] == 0:
        msg = f"the {what} scenarios must be a Series or a non-empty DataFrame by commune code."
        raise InputFormatError(msg)
    out = np.empty((len(codes), values.shape[1]), dtype=np.float64)
    for k, column in enumerate(values.columns):
        out[:, k] = _align(
            codes, values[column], what=f"{what} {column!r}", missing=missing, aligner=aligner
        )
    return out
