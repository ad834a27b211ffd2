"""Installation and retention aids by zone and date, and the public cost of a plan.

>>> import pandas as pd
>>> from aplcore import aids
>>> zoning = pd.Series({"36044": "ZIP", "36001": "ZAC"})
>>> claim = aids.for_commune("36044", zoning, on="2026-03-01", profile="first_installation")
>>> float(claim.measures.loc["installation_zip_2026", "total"])
10000.0
>>> aids.cost(["36044", "36001"], zoning, on="2026-03-01").total
15000.0

The catalogue (``catalogue.toml`` in this package) is data: one entry per measure with who is
eligible, the zones, the amount rule, cap, duration, payment schedule, validity dates, and the
source document with its section and pages. :func:`load_catalogue` reads and checks it (or a file
of the same schema); :func:`for_commune` lists what a GP could claim in a commune on a date;
:func:`cost` prices a plan of installations by measure and year.
"""

from __future__ import annotations

from .catalogue import (
    RULES,
    SITUATIONS,
    ZONES,
    Catalogue,
    CatalogueError,
    EligibilityRule,
    Measure,
    default_catalogue,
    load_catalogue,
)
from .compute import (
    PROFILES,
    AidsAtCommune,
    AidsCost,
    Assessment,
    Profile,
    as_date,
    assess,
    cost,
    for_commune,
    resolve_profile,
    zone_table,
)

__all__ = [
    "PROFILES",
    "RULES",
    "SITUATIONS",
    "ZONES",
    "AidsAtCommune",
    "AidsCost",
    "Assessment",
    "Catalogue",
    "CatalogueError",
    "EligibilityRule",
    "Measure",
    "Profile",
    "as_date",
    "assess",
    "cost",
    "default_catalogue",
    "for_commune",
    "load_catalogue",
    "resolve_profile",
    "zone_table",
]
