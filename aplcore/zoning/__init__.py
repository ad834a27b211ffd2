"""Zoning engine: communal APL → ZIP / ZAC / hors zonage (or five levels) per territory, under caps.

>>> z = classify_zones(apl, population=pop, territory=tvs_of_commune, method="zonage_2025",
...                    thresholds=(2.71, 3.98), caps={"ZIP": 1_834_765, "ZAC": 548_114},
...                    margin=2_346)  # doctest: +SKIP
>>> z.communes, z.territories, z.report  # doctest: +SKIP

Rules, for the capped methods (details in :class:`~aplcore.zoning.methods.CappedMethod`):

* the unit is the territory; its APL is the mean of communal APL weighted by the resident or
  the standardised population, as the method says;
* thresholds decide **eligibility** (a zone takes territories with ``APL <= threshold``), caps
  decide **how many**: eligible territories are taken by ascending APL while every cap of the
  région that decides them holds. The first one that does not fit **stops** the zone in that
  région (no skipping to a smaller territory further down), so a territory never gets a better
  zone than one with a lower APL that the same région decides (``fill_rule="skip"`` in the
  method passes over it instead, filling the caps more fully without that guarantee);
* ties in APL: larger population first, then territory code;
* a zone without a cap is not limited; a cap on the residual zone is a floor; the margin lies
  inside the margin zone's cap (``margin_rule="inside"``, so every published share holds;
  ``"above"`` lets the zone reach cap + margin); with ``cap_rule="cumulative"`` (2025) the
  first *k* zones together stay within the sum of their caps; 2017 takes the zone-B share as an
  extra ``ZIP_B`` cap and refuses to run without a ZIP cap (unless ``vivier="all-zip"``);
* département thresholds (``departement_caps=``) are checked and reported per département of
  attribution;
* a mandatory tier (2017 zone A, ``APL <= 2.5``) is never cut: if it alone exceeds a cap, a
  :class:`ZoningWarning` says so and ``checks["mandatory_over_cap"]`` is true;
* a territory spanning régions counts each région's residents against that région's caps; in
  2017 it is decided by the région holding the largest share (below the national selection
  threshold it is ZIP automatically); in 2025 each région qualifies its own communes (the
  territory is one part per région, ``<territory>@<région>``; ``cross_region`` of the method);
* the agency's choices (territory, commune or QPV level) are applied last; every cap, derogation
  limit and rule of the method is then checked again (``strict=True`` raises).

Each method is an object with one small interface (:class:`ZoningMethod`: zones, eligible
tiers, fill order, caps, classify, checks); a new method is one class and
:func:`register_method`.

Modules: :mod:`~aplcore.zoning.territories` (commune → territory tables, territory APL,
attribution), :mod:`~aplcore.zoning.methods` (the interface and presets),
:mod:`~aplcore.zoning.caps`, :mod:`~aplcore.zoning.fill` (the capped fill),
:mod:`~aplcore.zoning.overrides` (agency choices), :mod:`~aplcore.zoning.checks`,
:mod:`~aplcore.zoning.report`, :mod:`~aplcore.zoning.composite` (composite-indicator methods),
:mod:`~aplcore.zoning.result` (:class:`Zoning`, annex, tables, maps, the national file),
:mod:`~aplcore.zoning.compare` (comparing zonings; a zoning as a commune → zone table),
:mod:`~aplcore.zoning.session`; the national file's reader is :mod:`aplcore.io.national`.
"""

from __future__ import annotations

from ..io.national import read_commune_tvs, read_national_file, zoning_in_force
from .caps import resolve_caps
from .checks import check_row
from .compare import ZoningComparison, compare_zonings
from .composite import CompositeMethod, Indicator
from .core import ZoningWarning, classify_zones
from .methods import (
    METHOD_PRESETS,
    CappedMethod,
    ShareMethod,
    TerritoryInputs,
    ThresholdMethod,
    ZoningMethod,
    ZoningState,
    get_method,
    register_method,
)
from .report import format_report, national_schema, write_csv
from .result import (
    ZONE_NAMES,
    Zoning,
    decree_annex,
    format_annex,
    published_table,
    write_national_file,
)
from .session import ZoningSession, diff_choices, read_choices
from .territories import build_territory_table, departement_of

__all__ = [
    "METHOD_PRESETS",
    "ZONE_NAMES",
    "CappedMethod",
    "CompositeMethod",
    "Indicator",
    "ShareMethod",
    "TerritoryInputs",
    "ThresholdMethod",
    "Zoning",
    "ZoningComparison",
    "ZoningMethod",
    "ZoningSession",
    "ZoningState",
    "ZoningWarning",
    "build_territory_table",
    "check_row",
    "classify_zones",
    "compare_zonings",
    "decree_annex",
    "departement_of",
    "diff_choices",
    "format_annex",
    "format_report",
    "get_method",
    "national_schema",
    "published_table",
    "read_choices",
    "read_commune_tvs",
    "read_national_file",
    "register_method",
    "resolve_caps",
    "write_csv",
    "write_national_file",
    "zoning_in_force",
]
