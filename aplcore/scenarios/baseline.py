"""The baseline every scenario changes, validated once, and the vectors of each scenario.

:class:`Baseline` holds the user's inputs (travel times, population by age band or standardised
demand, practitioner table or supply per commune, decay, age variant, zoning). :class:`Inputs`
is the same, checked and aligned on the commune index as arrays; :meth:`Inputs.columns` turns a
block of scenarios into demand, population and supply matrices (one column per scenario).
Counting follows :class:`aplcore.GPActivityRules` exactly, vectorised over scenarios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._align import align
from ..apl import _check_travel_times
from ..decay import Closed, Decay, get_decay
from ..demand import AGE_BANDS, band_weights, standardise_population
from ..errors import InputFormatError, ParameterError, describe_values, type_name
from ..supply import GPActivityRules, SupplyRules, count_supply
from ..traveltimes import TravelTimes
from ._arrays import CommuneSupply, DemandState, commune_mask, positions_in
from ._arrays import Practitioners as _Practitioners
from .changes import ActivityNoise, Change
from .model import Scenario

__all__ = ["Baseline", "Inputs", "ZoningSpec"]


@dataclass(frozen=True)
class ZoningSpec:
    """How to zone each scenario's APL (the arguments of :func:`aplcore.classify_zones`).

    Parameters
    ----------
    territory
        Commune → territory (Series or the DataFrame of
        :func:`aplcore.zoning.build_territory_table`).
    method
        A preset name or method object (default ``"zonage_2025"``).
    thresholds, caps, margin, cap_unit
        As in :func:`aplcore.classify_zones`.
    """

    territory: pd.Series | pd.DataFrame
    method: Any = "zonage_2025"
    thresholds: tuple[float, ...] | None = None
    caps: Any = None
    margin: Any = None
    cap_unit: str = "inhabitants"


@dataclass(frozen=True, eq=False)
class Baseline:
    """The inputs of the baseline APL that scenarios change.

    Give the demand as ``population_by_age`` (19 band columns, index commune code: projections
    and weights vintages are then possible) or as ``demand`` (standardised) with ``population``
    (total); the supply as ``practitioners`` (one row per practitioner and site, see
    :func:`aplcore.count_gp_activity`: per-practitioner changes are then possible) or ``supply``
    (counted, per commune).

    Parameters
    ----------
    travel_times
        Residence → practice times.
    population_by_age, demand, population
        See above. Communes of the travel times absent from the demand have none.
    practitioners, supply
        See above.
    weights
        Age-band weights of the baseline (preset name or 19 weights).
    decay, closed, method
        As in :func:`aplcore.prepare`.
    max_age
        Age variant of the practitioners (65: the zoning one; None: all).
    rules
        Counting rules (default: the DREES GP rules).
    zoning
        How to zone each scenario (None: no zoning).
    core
        The communes the study is about: a :class:`aplcore.StudyArea` (its ``.core``) or
        commune codes. The APL is computed on every commune of the travel times (the area and
        its ring of neighbours, so that border communes see the doctors and patients beyond the
        border), and the run keeps the core's: per-commune APL, quantiles and probabilities,
        tables and maps cover the core only, and only the core is zoned (territories are those
        of its communes, their means and the regional caps count its communes only). None:
        every commune of the travel times.

    Examples
    --------
    A région with its 40-minute ring, zoned on the région alone::

        area = aplcore.study_area(region="24")
        tt = aplcore.travel_times_crow_fly(area.communes, max_minutes=30)
        base = Baseline(tt, demand=..., practitioners=..., core=area,
                        zoning=ZoningSpec(area.communes["epci"]))
    """

    travel_times: TravelTimes
    population_by_age: pd.DataFrame | None = None
    demand: pd.Series | None = None
    population: pd.Series | None = None
    practitioners: pd.DataFrame | None = None
    supply: pd.Series | None = None
    weights: str | Sequence[float] = "drees_gp_2023"
    decay: str | Decay = "drees_gp"
    closed: Closed | None = None
    method: str = "e2sfca"
    max_age: int | None = 65
    rules: SupplyRules = field(default_factory=GPActivityRules)
    zoning: ZoningSpec | None = None
    core: Any = None


@dataclass(frozen=True, eq=False)
class Inputs:
    """A :class:`Baseline` checked once and aligned on the commune index, as arrays."""

    codes: pd.Index
    ages: np.ndarray | None  # communes × 19 bands
    weights: np.ndarray | None  # 19 baseline weights
    demand: np.ndarray
    population: np.ndarray
    supply: np.ndarray  # counted supply of the baseline
    practitioners: _Practitioners | None
    rules: SupplyRules
    max_age: int | None
    decay: Decay
    method: str
    core: np.ndarray | None = None  # sorted positions of the reported communes (None: all)
    #: The rules when they are the GP rules the counting kernels follow (None: other rules).
    gp_rules: GPActivityRules | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gp_rules", _gp_rules(self.rules))

    @classmethod
    def from_baseline(cls, baseline: Baseline) -> Inputs:
        """Validate and align the baseline (the only place its inputs are checked)."""
        _check_travel_times(baseline.travel_times)
        codes = baseline.travel_times.codes
        n = len(codes)
        ages = weights = None
        if baseline.population_by_age is not None:
            if baseline.demand is not None:
                msg = "give the baseline demand as population_by_age or as demand, not both."
                raise ParameterError(msg)
            w = band_weights(_weights_arg(baseline.weights))
            std = standardise_population(baseline.population_by_age, _weights_arg(baseline.weights))
            positions = positions_in(codes, std.index, what="population by age")
            table = baseline.population_by_age.rename(columns=str)[list(AGE_BANDS)]
            ages = np.zeros((n, len(AGE_BANDS)))
            ages[positions] = table.to_numpy(dtype=np.float64)
            weights = w.to_numpy()
            demand = ages @ weights
            population = ages.sum(axis=1)
        elif baseline.demand is not None:
            demand = align(codes, baseline.demand, what="demand", missing="zero")
            if baseline.population is None:
                population = demand.copy()
            else:
                population = align(codes, baseline.population, what="population", missing="zero")
        else:
            msg = "the baseline needs a demand: population_by_age=, or demand= (and population=)."
            raise ParameterError(msg)
        practitioners = None
        if baseline.practitioners is not None:
            if baseline.max_age is not None and "age" not in baseline.practitioners.columns:
                msg = (
                    f"the baseline keeps practitioners aged {baseline.max_age} or less, but the "
                    "practitioner table has no 'age' column: add it, or pass max_age=None."
                )
                raise ParameterError(msg)
            if baseline.supply is not None:
                msg = "give the baseline supply as practitioners or as supply, not both."
                raise ParameterError(msg)
            practitioners = _practitioner_arrays(baseline.practitioners, codes, baseline.rules)
        elif baseline.supply is not None:
            supply = align(codes, baseline.supply, what="supply", missing="zero")
        else:
            msg = "the baseline needs a supply: practitioners= or supply=."
            raise ParameterError(msg)
        inputs = cls(
            codes=codes,
            ages=ages,
            weights=weights,
            demand=demand,
            population=population,
            supply=np.zeros(n) if practitioners is not None else supply,
            practitioners=practitioners,
            rules=baseline.rules,
            max_age=baseline.max_age,
            decay=get_decay(baseline.decay, closed=baseline.closed),
            method=baseline.method,
            core=_core_positions(baseline.core, codes),
        )
        if practitioners is not None:
            base = inputs._count(
                practitioners.activity[None, :], _row_mask(inputs, None, ())[None, :]
            )
            object.__setattr__(inputs, "supply", base[:, 0])
        return inputs

    @property
    def n_communes(self) -> int:
        return len(self.codes)

    @property
    def reported(self) -> np.ndarray | slice:
        """Rows of the APL a run keeps: the core's positions, or every row."""
        return slice(None) if self.core is None else self.core

    @property
    def reported_codes(self) -> pd.Index:
        """Codes of the communes a run keeps (the core, or every commune)."""
        return self.codes[self.reported]

    # ------------------------------------------------------------------ scenario keys
    def decay_of(self, scenario: Scenario) -> Decay:
        """The decay a scenario uses (the grouping key of the engine)."""
        change = scenario.one("decay")
        return self.decay if change is None else change.apply_decay(self.decay)

    def check(self, scenarios: Sequence[Scenario]) -> None:
        """Refuse, before any computation, changes the baseline cannot support."""
        for s in scenarios:
            for c in s.changes:
                self._check_change(s.name, c)

    def _check_change(self, scenario: str, c: Change) -> None:
        needs = c.requires()
        name = type(c).__name__
        if "ages" in needs and self.ages is None:
            msg = (
                f"scenario {scenario!r}: {name} needs the population by age "
                "band: give the baseline population_by_age= instead of demand=."
            )
            raise ParameterError(msg)
        prac = self.practitioners
        if "practitioner_ages" in needs and prac is not None and np.isnan(prac.age).any():
            msg = (
                f"scenario {scenario!r}: {name} needs the practitioners' ages: "
                "the practitioner table has no 'age' column."
            )
            raise ParameterError(msg)
        if "practitioners" in needs and prac is None:
            msg = (
                f"scenario {scenario!r}: {name} changes practitioners: give "
                "the baseline practitioners= instead of supply=."
            )
            raise ParameterError(msg)
        unknown = [x for x in c.named_communes() if x not in self.codes]
        if unknown:
            msg = (
                f"scenario {scenario!r}: {name} names communes that are "
                f"not in the travel times: {describe_values(unknown)}."
            )
            raise ParameterError(msg)

    # ------------------------------------------------------------------ columns
    def columns(self, scenarios: Sequence[Scenario]) -> tuple[np.ndarray, ...]:
        """Demand, population and supply of each scenario (``n × K`` float64 each; demand and
        population are the baseline vectors, 1-D, when no scenario of the block changes them:
        the batched solve then computes step 1 once for the whole block)."""
        if any(s.of("demand") for s in scenarios):
            demand, population = self._demand_columns(scenarios)
        else:
            demand, population = self.demand, self.population
        supply = self._supply_columns(scenarios)
        return demand, population, supply

    def _demand_columns(self, scenarios: Sequence[Scenario]) -> tuple[np.ndarray, np.ndarray]:
        n, k = self.n_communes, len(scenarios)
        demand = np.empty((n, k))
        population = np.empty((n, k))
        for col, s in enumerate(scenarios):
            changes = s.of("demand")
            if not changes:
                demand[:, col] = self.demand
                population[:, col] = self.population
                continue
            state = DemandState(
                codes=self.codes,
                ages=self.ages.copy() if self.ages is not None else None,
                weights=self.weights,
                demand=self.demand.copy(),
                population=self.population.copy(),
            )
            for c in changes:
                c.apply_ages(state)
            if state.ages is not None:
                state.demand = state.ages @ state.weights
                state.population = state.ages.sum(axis=1)
            for c in changes:
                c.apply_demand(state)
            demand[:, col] = state.demand
            population[:, col] = state.population
        return demand, population

    def _mask(self, communes: tuple[str, ...] | None) -> np.ndarray:
        return commune_mask(self.codes, communes)

    def _supply_columns(self, scenarios: Sequence[Scenario]) -> np.ndarray:
        k = len(scenarios)
        prac = self.practitioners
        if prac is None:
            supply = np.repeat(self.supply[:, None], k, axis=1)
        elif self.gp_rules is not None and all(map(_noise_only, scenarios)):
            supply = self._count_noise(scenarios)
        else:
            activity = np.empty((k, len(prac.commune)))  # one row per scenario
            keep = np.empty((k, len(prac.commune)), dtype=np.bool_)
            for col, s in enumerate(scenarios):
                activity[col] = self._activity(s)
                keep[col] = _row_mask(self, s.one("age"), s.of("supply"))
            supply = self._count(activity, keep)
        context = CommuneSupply(self.codes, self.supply, self._counted_new)
        for col, s in enumerate(scenarios):
            for c in s.of("supply"):
                c.apply_supply(supply[:, col], context)
        return supply

    def _activity(self, scenario: Scenario) -> np.ndarray:
        prac = self.practitioners
        assert prac is not None
        a = prac.activity.copy()
        for c in scenario.of("supply"):
            c.apply_activity(a, prac, self.codes)
        return a

    def _counted_new(self, activity: float | None) -> float:
        """Counted supply of one new practitioner (imputed, or a recorded activity)."""
        rules = self.gp_rules
        if rules is None:
            if activity is None:
                msg = "AddPractitioners/NewInstallations need an activity with non-GP rules."
                raise ParameterError(msg)
            return float(activity)
        if activity is None:
            return rules.new_install_activity
        return float(rules.bound(np.array([activity]))[0])

    def _count(self, activity: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Supply per commune (n × K) for activity and kept rows (K × rows), by the rules."""
        from ..kernels.supply import count_gp_columns  # lazy: numba

        prac = self.practitioners
        assert prac is not None
        rules = self.gp_rules
        if rules is None:
            return self._count_generic(activity, keep)
        supply = count_gp_columns(
            prac.gp_indptr,
            prac.gp_rows,
            prac.centre_rows,
            prac.commune,
            np.ascontiguousarray(activity, dtype=np.float64),
            np.ascontiguousarray(keep, dtype=np.bool_),
            prac.new_install,
            prac.sites,
            float(rules.zero_below),
            float(rules.floor),
            float(rules.cap),
            float(rules.new_install_activity),
            self.n_communes,
        )
        return np.ascontiguousarray(supply.T)  # the solver's layout: communes × scenarios

    def _count_noise(self, scenarios: Sequence[Scenario]) -> np.ndarray:
        """Supply (n × K) of scenarios whose activity changes are at most one
        :class:`ActivityNoise` each: each factor is computed from its counter inside the counting
        kernel, where it is used (same values as :meth:`_count` on ``ActivityNoise.factors``)."""
        from ..kernels.supply import count_gp_noise  # lazy: numba

        prac = self.practitioners
        assert prac is not None
        rules = self.gp_rules
        assert rules is not None
        keys, sigma, shift = noise_streams(
            [next((c for c in s.of("supply") if c.random_activity), None) for s in scenarios]
        )
        masks: dict[Any, int] = {}
        rows: list[np.ndarray] = []
        keep_of = np.empty(len(scenarios), dtype=np.int64)
        for col, s in enumerate(scenarios):
            key = _mask_key(s)
            if key not in masks:
                masks[key] = len(rows)
                rows.append(_row_mask(self, s.one("age"), s.of("supply")))
            keep_of[col] = masks[key]
        return count_gp_noise(
            prac.gp_indptr,
            prac.gp_rows,
            prac.commune_indptr,
            prac.commune_rows,
            prac.gp,
            prac.bounded,
            prac.activity,
            keys,
            sigma,
            shift,
            np.vstack(rows),
            keep_of,
            prac.new_install,
            prac.sites,
            float(rules.zero_below),
            float(rules.floor),
            float(rules.cap),
            float(rules.new_install_activity),
        )

    def _count_generic(self, activity: np.ndarray, keep: np.ndarray) -> np.ndarray:
        prac = self.practitioners
        assert prac is not None
        column = self.rules.value_column
        out = np.empty((self.n_communes, activity.shape[0]))
        for col in range(activity.shape[0]):
            rows = prac.frame.assign(**{column: activity[col]})[keep[col]]
            counted = self.rules.counted(rows) if len(rows) else np.zeros(0)
            out[:, col] = np.bincount(
                prac.commune[keep[col]], weights=counted, minlength=self.n_communes
            )
        return out


def _noise_only(scenario: Scenario) -> bool:
    """Whether a scenario changes activity by at most one :class:`ActivityNoise`."""
    edits = [c for c in scenario.of("supply") if c.edits_activity]
    return len(edits) <= 1 and all(c.random_activity for c in edits)


def _mask_key(scenario: Scenario) -> Any:
    """What decides a scenario's kept rows (scenarios with equal keys share one mask)."""
    removals = tuple(c for c in scenario.of("supply") if c.drops_rows)
    key = (scenario.one("age"), removals)
    try:
        hash(key)
    except TypeError:
        return id(scenario)
    return key


def noise_streams(
    noises: Sequence[ActivityNoise | None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Key, ``sigma`` and ``shift`` of each scenario's :class:`ActivityNoise` (``sigma`` 0, no
    noise, where None): the arguments of :func:`aplcore.kernels.supply.count_gp_noise`."""
    from ..kernels.random import draw_keys  # lazy: numba

    present = [k for k, noise in enumerate(noises) if noise is not None]
    seeds = np.array([noises[k].seed for k in present], dtype=np.uint64)  # type: ignore[union-attr]
    draws = np.array([noises[k].draw for k in present], dtype=np.uint64)  # type: ignore[union-attr]
    keys = np.zeros(len(noises), dtype=np.uint64)
    sigma = np.zeros(len(noises))
    shift = np.zeros(len(noises))
    keys[present] = draw_keys(seeds, draws)
    for k in present:
        sigma[k], shift[k] = noises[k].sigma, noises[k].shift  # type: ignore[union-attr]
    return keys, sigma, shift


def _core_positions(core: Any, codes: pd.Index) -> np.ndarray | None:
    """Sorted positions of the core's communes in the travel times (None: no core)."""
    if core is None:
        return None
    core = getattr(core, "core", core)  # a StudyArea
    if isinstance(core, str):
        core = [core]
    wanted = pd.Index([str(c) for c in core])
    if len(wanted) == 0:
        msg = "the baseline core is empty: give the codes of the communes to report (or None)."
        raise ParameterError(msg)
    positions = codes.get_indexer(wanted.unique())
    if (positions < 0).any():
        unknown = wanted.unique()[positions < 0].tolist()
        msg = (
            f"{len(unknown)} communes of the baseline core are not in the travel times: "
            f"{describe_values(unknown)}; build the travel times on the study area's "
            ".communes (the core and its ring)."
        )
        raise ParameterError(msg)
    return np.sort(positions).astype(np.int64)


def _gp_rules(rules: SupplyRules) -> GPActivityRules | None:
    """The rules when the counting kernels follow them (the GP rules), else None."""
    return rules if isinstance(rules, GPActivityRules) else None


def _weights_arg(weights: str | Sequence[float]) -> Any:
    return weights if isinstance(weights, str) else list(weights)


def _row_mask(inputs: Inputs, age: Change | None, supply: Sequence[Change]) -> np.ndarray:
    """Rows kept: age variant (after ageing), retirements, removals."""
    prac = inputs.practitioners
    assert prac is not None
    keep = np.ones(len(prac.commune), dtype=bool)
    ages = prac.age.copy()
    for c in supply:
        ages = c.apply_rows(keep, ages, prac)
    max_age = inputs.max_age if age is None else age.max_age  # type: ignore[attr-defined]
    if max_age is not None:
        keep &= ages <= max_age
    return keep


def _practitioner_arrays(
    practitioners: pd.DataFrame, codes: pd.Index, rules: SupplyRules
) -> _Practitioners:
    if not isinstance(practitioners, pd.DataFrame):
        msg = f"practitioners must be a DataFrame, found {type_name(practitioners)}."
        raise InputFormatError(msg)
    rows = count_supply(practitioners, rules=rules, max_age=None, detail=True)
    rows = rows.drop(columns="counted")
    commune = positions_in(codes, pd.Index(rows["commune"]), what="practitioner table")
    ids, gp = np.unique(rows["practitioner_id"].astype(str).to_numpy(), return_inverse=True)
    n_rows, n_gp = len(rows), len(ids)
    bounded = (rows["kind"] == "liberal").to_numpy()
    gp_rules = _gp_rules(rules)
    if gp_rules is not None and gp_rules.bound_centres_sante:
        bounded = np.ones(n_rows, dtype=bool)
    age = (
        rows["age"].to_numpy(dtype=np.float64) if "age" in rows.columns else np.full(n_rows, np.nan)
    )
    lib_rows = np.flatnonzero(bounded)
    gp_rows = lib_rows[np.argsort(gp[lib_rows], kind="stable")].astype(np.int64)
    counts = np.bincount(gp[lib_rows], minlength=n_gp)
    gp_indptr = np.zeros(n_gp + 1, dtype=np.int64)
    np.cumsum(counts, out=gp_indptr[1:])
    new = np.zeros(n_gp, dtype=bool)
    np.logical_or.at(new, gp[lib_rows], rows["new_install"].to_numpy(dtype=bool)[lib_rows])
    centre_rows = np.flatnonzero(~bounded).astype(np.int64)
    # each commune's rows in the order the counting kernels add them
    counted_rows = np.concatenate([gp_rows, centre_rows])
    commune_rows = counted_rows[np.argsort(commune[counted_rows], kind="stable")]
    commune_indptr = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(commune[counted_rows], minlength=len(codes)), out=commune_indptr[1:])
    return _Practitioners(
        commune=commune.astype(np.int32),
        gp=gp,
        ids=pd.Index(ids),
        activity=rows[rules.value_column].to_numpy(dtype=np.float64),
        age=age,
        gp_indptr=gp_indptr,
        gp_rows=gp_rows,
        centre_rows=centre_rows,
        new_install=new,
        sites=np.maximum(counts, 1).astype(np.float64),
        frame=rows,
        bounded=bounded,
        commune_indptr=commune_indptr,
        commune_rows=commune_rows.astype(np.int64),
    )
