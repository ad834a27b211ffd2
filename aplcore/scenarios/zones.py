"""Zoning of each scenario, by the zoning method's own rules, kept as zone numbers.

The rules live in :mod:`aplcore.zoning` only. The baseline is zoned with
:func:`aplcore.classify_zones`; its territory table, parts per région and cap constraints are then
kept, and a scenario that changes neither the populations nor the zoning parameters (supply,
decay, age variant, random activity) only needs new territory APL: they are computed for the whole
block at once (weighted means, as :func:`aplcore.aggregate` computes them, to rounding) and the
method's :meth:`~aplcore.zoning.ZoningMethod.classify` is called on them; for plain thresholds, or
a capped method without caps, its vectorised ``tiers`` (every eligible territory then fits).
Other scenarios (new populations, other thresholds or caps) go through
:func:`aplcore.classify_zones` whole. Zones are stored per territory as small integers (positions
in the method's zones).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ..zoning import CappedMethod, ThresholdMethod, classify_zones
from ..zoning.core import territory_parts
from ..zoning.methods import TerritoryInputs
from .baseline import ZoningSpec
from .changes import ZoningChange
from .model import Scenario

__all__ = ["Zoner"]

#: Columns of the territory table a method classifies.
_TERRITORY_COLUMNS = ["apl", "population", "weight", "communes", "departement", "region"]


@dataclass(frozen=True, eq=False)
class Zoner:
    """Zones territories for blocks of scenarios.

    Attributes
    ----------
    spec
        The baseline zoning arguments.
    codes
        Commune index of the APL.
    territories
        Territory index (sorted codes), rows of the zone matrices.
    zones
        Zone labels of the method, most priority first.
    commune_territory
        Position of each commune's territory in :attr:`territories`.
    method
        The resolved zoning method.
    inputs
        The baseline :class:`aplcore.zoning.methods.TerritoryInputs` (None for commune-level
        methods, which always take the whole path).
    means
        Territories × communes: the weights of the territory mean (rows sum to 1).
    """

    spec: ZoningSpec
    codes: pd.Index
    territories: pd.Index
    zones: tuple[str, ...]
    commune_territory: np.ndarray
    method: Any = None
    inputs: Any = None
    means: Any = None
    population: np.ndarray | None = None
    standardised: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        spec: ZoningSpec,
        codes: pd.Index,
        apl: np.ndarray,
        population: np.ndarray,
        standardised: np.ndarray,
    ) -> tuple[Zoner, Any]:
        """The zoner and the baseline :class:`aplcore.zoning.Zoning`."""
        zoning = _classify(spec, None, codes, apl, population, standardised)
        method = zoning.method
        if getattr(method, "level", "territory") == "commune":
            territories = pd.Index(codes, dtype=object, name="territory")
            zoner = cls(spec, codes, territories, tuple(zoning.zones), np.arange(len(codes)))
            return zoner, zoning
        terr = zoning.territories
        territories = pd.Index(terr.index.astype(str), dtype=object, name="territory")
        communes = zoning.communes
        position = territories.get_indexer(communes["territory"].astype(str))
        weights = standardised if method.weighting == "standardised" else population
        inputs = _territory_inputs(spec, zoning, position, population)
        totals = np.bincount(position, weights=weights, minlength=len(territories))
        share = np.divide(weights, totals[position], out=np.zeros(len(codes)), where=weights > 0)
        means = sparse.csr_array(
            (share, (position, np.arange(len(codes)))), shape=(len(territories), len(codes))
        )
        zoner = cls(
            spec,
            codes,
            territories,
            tuple(zoning.zones),
            position,
            method=method,
            inputs=inputs,
            means=means,
            population=population,
            standardised=standardised,
        )
        return zoner, zoning

    def fast(self, scenario: Scenario, population: np.ndarray, standardised: np.ndarray) -> bool:
        """Whether only the territory APL change in this scenario: no zoning change, the
        baseline populations (caps, parts per région) and the baseline weights of the territory
        means (a new weights vintage keeps them when the means weigh by resident population)."""
        if self.inputs is None or scenario.one("zoning") is not None:
            return False
        if not scenario.of("demand"):
            return True
        if not np.array_equal(population, self.population):
            return False
        return self.method.weighting != "standardised" or np.array_equal(
            standardised, self.standardised
        )

    def zone_block(
        self,
        scenarios: list[Scenario],
        apl: np.ndarray,
        population: np.ndarray,
        standardised: np.ndarray,
    ) -> np.ndarray:
        """Zone number per territory (rows) and scenario (columns), int8."""
        out = np.empty((len(self.territories), len(scenarios)), dtype=np.int8)
        position = {z: i for i, z in enumerate(self.zones)}
        fast = [
            k for k, s in enumerate(scenarios) if self.fast(s, population[:, k], standardised[:, k])
        ]
        block = apl if len(fast) == apl.shape[1] else apl[:, fast]
        if fast and self._tiers_only():
            out[:, fast] = self.method.tiers(self._territory_apl(block))
        elif fast:
            means = self._territory_apl(block)
            for col, k in enumerate(fast):
                terr = self.inputs.territories.assign(apl=means[:, col])
                zone, _ = self.method.classify(dataclasses.replace(self.inputs, territories=terr))
                out[:, k] = zone
        for k, s in enumerate(scenarios):
            if k in fast:
                continue
            change = s.one("zoning")
            zoning = _classify(
                self.spec,
                change if isinstance(change, ZoningChange) else None,
                self.codes,
                apl[:, k],
                population[:, k],
                standardised[:, k],
            )
            terr = zoning.territories["zone"]
            if len(terr) != len(self.territories):  # commune-level method
                terr = zoning.communes["zone"]
            out[:, k] = terr.reindex(self.territories).map(position).to_numpy(dtype=np.int8)
        return out

    def _tiers_only(self) -> bool:
        """Whether the classification is each territory's tier: plain thresholds, or a capped
        method without any cap (every eligible territory then fits)."""
        if isinstance(self.method, ThresholdMethod):
            return True
        return isinstance(self.method, CappedMethod) and not self.inputs.constraints

    def _territory_apl(self, apl: np.ndarray) -> np.ndarray:
        """Territory means of a block (territories × scenarios): ``means @ apl``, the terms of
        each territory added in the same order, in parallel over territories."""
        from ..kernels.summary import segment_means  # lazy: numba

        m = self.means
        means = segment_means(
            np.asarray(m.indptr, dtype=np.int64),
            np.asarray(m.indices, dtype=np.int64),
            np.asarray(m.data, dtype=np.float64),
            np.ascontiguousarray(apl, dtype=np.float64),
        )
        empty = self.inputs.territories["weight"].to_numpy() <= 0
        means[empty] = np.nan
        return means


def _territory_inputs(
    spec: ZoningSpec, zoning: Any, position: np.ndarray, population: np.ndarray
) -> Any:
    """The baseline's :class:`~aplcore.zoning.methods.TerritoryInputs`, as classify_zones builds
    them."""
    method = zoning.method
    terr = zoning.territories[_TERRITORY_COLUMNS]
    region = zoning.communes["region"].astype(str).to_numpy()
    regions = pd.Index(sorted(set(region)), dtype=object, name="region")
    region_pos = regions.get_indexer(region)
    region_pop = pd.Series(
        np.bincount(region_pos, weights=population, minlength=len(regions)), index=regions
    )
    _, constraints = method.caps(
        spec.caps, region_population=region_pop, cap_unit=spec.cap_unit, margin=spec.margin
    )
    indptr, part_region, part_population = territory_parts(
        position, region_pos, population, n_territories=len(terr)
    )
    return TerritoryInputs(
        territories=terr,
        regions=regions,
        part_indptr=indptr,
        part_region=part_region,
        part_population=part_population,
        decider=np.asarray(regions.get_indexer(terr["region"].astype(str)), dtype=np.int64),
        constraints=constraints,
    )


def _classify(
    spec: ZoningSpec,
    change: ZoningChange | None,
    codes: pd.Index,
    apl: np.ndarray,
    population: np.ndarray,
    standardised: np.ndarray,
) -> Any:
    thresholds, caps, margin = spec.thresholds, spec.caps, spec.margin
    if change is not None:
        thresholds = change.thresholds if change.thresholds is not None else thresholds
        caps = change.caps if change.caps is not None else caps
        margin = change.margin if change.margin is not None else margin
    index = pd.Index(codes, name="code")
    with warnings.catch_warnings():  # one scenario's broken cap is reported by its zones
        warnings.simplefilter("ignore")
        return classify_zones(
            pd.Series(apl, index=index),
            population=pd.Series(population, index=index),
            standardised=pd.Series(standardised, index=index),
            territory=spec.territory,
            method=spec.method,
            thresholds=thresholds,
            caps=caps,
            margin=margin,
            cap_unit=spec.cap_unit,
        )
