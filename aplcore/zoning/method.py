"""The zoning-method interface: what :func:`aplcore.zoning.classify_zones` asks of a method.

Every method derives from :class:`ZoningMethod` and answers the same questions, so that
:func:`aplcore.zoning.classify_zones` never asks which kind of method it holds:

* ``zones`` — zone labels, most priority first (the last one is the residual zone), and
  ``regional_zones`` — optional regional categories an agency may assign (``ZAR``), never
  computed and never capped;
* ``tiers(apl)`` — the best zone each APL is eligible for (the thresholds);
* ``fill_order(apl, population)`` — the order territories are considered in;
* ``caps(...)`` — resolved caps and the constraints the fill keeps (none for uncapped methods);
* ``classify(inputs)`` — zone index and how it was chosen, per territory;
* ``checks(state)`` — the rules of the method an agency's choices may break (rows of
  :attr:`Zoning.checks`, built by :func:`aplcore.zoning.checks.check_row`).

:class:`TerritoryInputs` is what a method classifies, :class:`ZoningState` what its checks read.
The methods that ship and their named presets are in :mod:`aplcore.zoning.presets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .caps import CapsInput, Constraint, MarginInput
from .fill import fill_order

__all__ = [
    "DEFAULT_LEVEL_CODES",
    "FIVE_LEVELS",
    "SHARE_SUM_TOLERANCE",
    "TerritoryInputs",
    "ZoningMethod",
    "ZoningState",
]

Weighting = Literal["population", "standardised"]

#: Level codes of the national zoning file (``zmed_niveau`` and the other professions'
#: ``z<prof>_niveau``) that aplcore writes: médecins ``1_ZIP``, ``2_ZAC``, ``3_HZ``, ``4_ZAR``
#: (a regional category seen in 23 départements); other professions ``1_Tres_sous_dotee`` ...
#: ``5_Sur_dotee`` and ``5b_Non_prioritaire``. The 2017 zones de vigilance and hors vivier carry
#: no aid: the files give them ``3_HZ``. ``2_Sous_dotee`` is an assumption
#: (:data:`aplcore.io.national.ASSUMED_LEVEL_CODES`).
DEFAULT_LEVEL_CODES: dict[str, str] = {
    "ZIP": "1_ZIP",
    "ZAC": "2_ZAC",
    "HZ": "3_HZ",
    "ZV": "3_HZ",
    "HV": "3_HZ",
    "ZAR": "4_ZAR",
    "very_under_served": "1_Tres_sous_dotee",
    "under_served": "2_Sous_dotee",
    "intermediate": "3_intermediaire",
    "well_served": "4_Tres_dotee",
    "over_served": "5_Sur_dotee",
    "not_priority": "5b_Non_prioritaire",
}

#: Tolerance on the sum of the shares of a :class:`ShareMethod` (published shares are rounded).
SHARE_SUM_TOLERANCE = 0.002

FIVE_LEVELS = ("very_under_served", "under_served", "intermediate", "well_served", "over_served")


@dataclass(frozen=True)
class TerritoryInputs:
    """What a method classifies: territories and their parts per région, and the constraints.

    Attributes
    ----------
    territories
        Indexed by territory (sorted): ``apl``, ``population``, ``weight``, ``communes``,
        ``departement`` and ``region`` of attribution.
    regions
        Région codes (sorted); positions index ``part_region``, ``decider`` and constraints.
    part_indptr, part_region, part_population
        CSR of the territory parts: residents of territory ``t`` per région.
    decider
        Per territory, the position of the région that decides it (largest share of residents).
    constraints
        The caps to keep (:meth:`ZoningMethod.caps`).
    """

    territories: pd.DataFrame
    regions: pd.Index
    part_indptr: np.ndarray
    part_region: np.ndarray
    part_population: np.ndarray
    decider: np.ndarray
    constraints: list[Constraint]


@dataclass(frozen=True)
class ZoningState:
    """A zoning after the agency's choices, as a method's :meth:`~ZoningMethod.checks` sees it.

    Attributes
    ----------
    communes
        Per commune: ``territory``, ``region``, ``population``, ``apl``, ``zone``,
        ``zone_computed``, ``source`` (row of ``overrides`` that set it, -1 for none).
    territories
        Per territory: ``apl``, ``population``, ``region``, ``zone`` (computed), ``selection``.
    overrides
        The agency's choices (``code``, ``level``, ``zone``, ``reason``).
    regions
        Région codes.
    qpv
        QPV classified on their own: ``code``, ``commune``, ``region``, ``population``,
        ``zone``, ``zone_computed``.
    """

    communes: pd.DataFrame
    territories: pd.DataFrame
    overrides: pd.DataFrame
    regions: pd.Index
    qpv: pd.DataFrame = field(default_factory=pd.DataFrame)


class ZoningMethod:
    """Base of every zoning method (see the module docstring for the interface).

    Subclasses are frozen dataclasses with at least ``name``, ``weighting`` and ``level_codes``
    fields, and implement :attr:`zones` and :meth:`classify`; the other methods have defaults.
    """

    name: str
    weighting: Weighting
    level_codes: Mapping[str, str]
    #: Whether the method accepts regional caps.
    takes_caps: ClassVar[bool] = False
    #: Column of the national file that holds the territory code (``tvs_code`` for the GP
    #: zonings, ``bvcv_code`` for professions zoned on bassins de vie / canton-ville).
    territory_column: ClassVar[str] = "tvs_code"
    #: Classification unit: ``"territory"`` or ``"commune"``.
    level: str = "territory"
    #: Zone labels, most priority first; the last one is the residual zone (a field or a
    #: property of each subclass).
    zones: tuple[str, ...]
    #: Optional regional categories an agency may assign (never computed or capped).
    regional_zones: tuple[str, ...] = ()
    #: Zone whose cap the margin belongs to (None: no margin).
    margin_zone: str | None = None
    #: Whether the margin lies inside the margin zone's cap (``"inside"``) or beyond it.
    margin_rule: str = "inside"
    #: How caps of successive zones combine (``"separate"`` or ``"cumulative"``); also used for
    #: département caps.
    cap_rule: str = "separate"

    @property
    def all_zones(self) -> tuple[str, ...]:
        """:attr:`zones` then :attr:`regional_zones`."""
        return (*self.zones, *self.regional_zones)

    def tiers(self, apl: np.ndarray) -> np.ndarray:
        """Index of the best zone each APL is eligible for (the residual zone when none)."""
        return np.full(apl.shape, len(self.zones) - 1, dtype=np.int64)

    def fill_order(self, apl: np.ndarray, population: np.ndarray) -> np.ndarray:
        """Territories by ascending APL, then larger population, then code (NaN last)."""
        return fill_order(apl, population)

    def caps(
        self,
        caps: CapsInput,
        *,
        region_population: pd.Series,
        cap_unit: Literal["inhabitants", "share"] = "inhabitants",
        margin: MarginInput = None,
    ) -> tuple[pd.DataFrame, list[Constraint]]:
        """Caps in inhabitants per région (``inf`` where none) and the constraints to keep."""
        if caps is not None or margin is not None:
            msg = (
                f"caps and margin apply to capped methods (zonage_2017, zonage_2025); method "
                f"{self.name!r} is a {type(self).__name__}. Drop caps= and margin=."
            )
            raise ParameterError(msg)
        table = pd.DataFrame(np.inf, index=region_population.index, columns=list(self.zones))
        table["margin"] = 0.0
        return table, []

    def classify(self, inputs: TerritoryInputs) -> tuple[np.ndarray, list[str]]:
        """Zone index (into :attr:`zones`) and how it was chosen, per territory."""
        raise NotImplementedError

    def checks(self, state: ZoningState) -> list[dict]:
        """Rules of the method broken (or kept) by the agency's choices, as check rows."""
        return []

    def commune_limit_share(self) -> float | None:
        """Default share of the regional population commune-level choices may concern."""
        return None
