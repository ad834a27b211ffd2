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
:func:`cost` prices a plan of installations by measure and year. Conditions the profile leaves
unknown (age, sector, days a year, commune size, ZRR/ZFU, ...) make a measure "depend on" them:
it is listed, never silently granted or refused. See ``docs/aids.md`` for the sources, the
figures each one gives and which one applies where two documents disagree.
"""

from __future__ import annotations

from .catalogue import (
    CONDITION_FIELDS,
    NOT_STATED,
    RULES,
    SITUATIONS,
    ZONES,
    Assumption,
    Catalogue,
    CatalogueError,
    Condition,
    EligibilityRule,
    Measure,
    Quote,
    Supplement,
    default_catalogue,
    load_catalogue,
)
from .compute import (
    PROFILES,
    SECTORS,
    AidsAtCommune,
    AidsCost,
    Assessment,
    Evaluation,
    Profile,
    as_date,
    assess,
    cost,
    evaluate,
    for_commune,
    holds,
    resolve_profile,
    zone_table,
)

__all__ = [
    "CONDITION_FIELDS",
    "NOT_STATED",
    "PROFILES",
    "RULES",
    "SECTORS",
    "SITUATIONS",
    "ZONES",
    "AidsAtCommune",
    "AidsCost",
    "Assessment",
    "Assumption",
    "Catalogue",
    "CatalogueError",
    "Condition",
    "EligibilityRule",
    "Evaluation",
    "Measure",
    "Profile",
    "Quote",
    "Supplement",
    "as_date",
    "assess",
    "cost",
    "default_catalogue",
    "evaluate",
    "for_commune",
    "holds",
    "load_catalogue",
    "resolve_profile",
    "zone_table",
]
