"""Zoning engine: communal APL → ZIP / ZAC / hors zonage (or five levels) per territory, under caps.

>>> z = classify_zones(apl, population=pop, territory=tvs_of_commune, method="zonage_2025",
...                    thresholds=(2.71, 3.98), caps={"ZIP": 1_834_765, "ZAC": 548_114},
...                    margin=2_346)  # doctest: +SKIP
>>> z.communes, z.territories, z.report  # doctest: +SKIP

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
