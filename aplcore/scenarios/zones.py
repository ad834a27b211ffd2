"""Zoning of each scenario: :func:`aplcore.classify_zones` on its APL, kept as zone numbers.

The zoning rules live in :mod:`aplcore.zoning` only; a scenario's zoning is that function called
with the scenario's APL, populations and zoning changes. Zones are stored per territory as small
integers (positions in the method's zones) so that thousands of scenarios fit in memory.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .baseline import ZoningSpec
from .model import Scenario, ZoningChange

__all__ = ["Zoner"]


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
    """

    spec: ZoningSpec
    codes: pd.Index
    territories: pd.Index
    zones: tuple[str, ...]
    commune_territory: np.ndarray

    @classmethod
    def build(cls, spec: ZoningSpec, codes: pd.Index, apl: np.ndarray, population: np.ndarray,
              standardised: np.ndarray) -> tuple[Zoner, Any]:  # fmt: skip
        """The zoner and the baseline :class:`aplcore.zoning.Zoning`."""
        zoning = _classify(spec, None, codes, apl, population, standardised)
        territories = pd.Index(zoning.territories.index.astype(str), dtype=object, name="territory")
        commune_territory = territories.get_indexer(zoning.communes["territory"].astype(str))
        if (commune_territory < 0).any():  # commune-level methods: one territory per commune
            territories = pd.Index(codes, name="territory")
            commune_territory = np.arange(len(codes))
        return cls(spec, codes, territories, tuple(zoning.zones), commune_territory), zoning

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
        for k, s in enumerate(scenarios):
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


def _classify(
    spec: ZoningSpec,
    change: ZoningChange | None,
    codes: pd.Index,
    apl: np.ndarray,
    population: np.ndarray,
    standardised: np.ndarray,
) -> Any:
    from ..zoning import classify_zones

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
