"""Zoning engine: communal APL → ZIP / ZAC / hors zonage (or five levels) per territory, under caps.

>>> z = classify_zones(apl, population=pop, territory=tvs_of_commune, method="zonage_2025",
...                    thresholds=(2.71, 3.98), caps={"ZIP": 1_834_765, "ZAC": 548_114},
...                    margin=2_346)  # doctest: +SKIP
>>> z.communes, z.territories, z.report  # doctest: +SKIP

Rules, for the capped methods (details in :class:`~aplcore.zoning.methods.CappedMethod`):

* the unit is the territory; its APL is the mean of communal APL weighted by the resident or
  the standardised population, as the method says;
* thresholds decide **eligibility** (a zone takes territories with ``APL <= threshold``), caps
  decide **how many**: eligible territories are taken by ascending APL while every cap of every
  région where they have residents holds. The first one that does not fit **stops** the zone in
  those régions (no skipping to a smaller territory further down), so a territory never gets a
  better zone than one with a lower APL in the same région (``fill_rule="skip"`` in the method
  passes over it instead, filling the caps more fully without that guarantee);
* ties in APL: larger population first, then territory code;
* a zone without a cap is not limited; a cap on the residual zone is a floor; the margin only
  extends the margin zone's own cap; with ``cap_rule="cumulative"`` (2025) the first *k* zones
  together stay within the sum of their caps;
* a mandatory tier (2017 zone A, ``APL <= 2.5``) is never cut: if it alone exceeds a cap, a
  :class:`ZoningWarning` says so and ``checks["mandatory_over_cap"]`` is true;
* overrides (territory or commune level) are applied last and every cap is checked again.

Modules: :mod:`~aplcore.zoning.territories` (commune → territory tables, territory APL,
attribution), :mod:`~aplcore.zoning.methods` (presets), :mod:`~aplcore.zoning.caps`,
:mod:`~aplcore.zoning.fill` (the capped fill), :mod:`~aplcore.zoning.overrides`,
:mod:`~aplcore.zoning.report`.
"""

from __future__ import annotations

from .caps import resolve_caps
from .core import Zoning, ZoningWarning, classify_zones
from .methods import (
    METHOD_PRESETS,
    CappedMethod,
    ShareMethod,
    ThresholdMethod,
    ZoningMethod,
    get_method,
)
from .report import format_report, national_schema, write_csv
from .territories import build_territory_table, departement_of

__all__ = [
    "METHOD_PRESETS",
    "CappedMethod",
    "ShareMethod",
    "ThresholdMethod",
    "Zoning",
    "ZoningMethod",
    "ZoningWarning",
    "build_territory_table",
    "classify_zones",
    "departement_of",
    "format_report",
    "get_method",
    "national_schema",
    "resolve_caps",
    "write_csv",
]
