"""End-to-end pipelines with typed results.

* :func:`run_demo`: APL and zoning of the real communes of a study area (bundled data) with a
  synthetic GP activity table — what ``aplcore demo`` runs;
* :func:`zoning_from_workbook`: from the DREES APL workbook (or a CSV) to a zoning — the zoning
  variant column chosen explicitly, commune codes brought to the year of the territories, then
  territories and zones;
* :func:`summarise`: the summary by département of a table of communal results.

The command line only parses arguments, calls these functions and prints their results.
"""

from __future__ import annotations

from .demo import (
    CVL_2025_CAP_SHARES,
    CVL_2025_CAPS,
    CVL_2025_MARGIN,
    DEMO_STEPS,
    DemoResult,
    read_graph,
    run_demo,
    travel_times,
)
from .summary import (
    UNDER_THRESHOLD,
    ZONE_LABELS,
    ZONING_NAMES,
    map_of_bundled_communes,
    summarise,
)
from .workbook import (
    BUNDLED_COG_YEAR,
    WORKBOOK_APL_COLUMNS,
    WorkbookZoning,
    bundled_territories,
    merge_updated_codes,
    read_published_apl,
    zoning_from_workbook,
)

__all__ = [
    "BUNDLED_COG_YEAR",
    "CVL_2025_CAPS",
    "CVL_2025_CAP_SHARES",
    "CVL_2025_MARGIN",
    "DEMO_STEPS",
    "UNDER_THRESHOLD",
    "WORKBOOK_APL_COLUMNS",
    "ZONE_LABELS",
    "ZONING_NAMES",
    "DemoResult",
    "WorkbookZoning",
    "bundled_territories",
    "map_of_bundled_communes",
    "merge_updated_codes",
    "read_graph",
    "read_published_apl",
    "run_demo",
    "summarise",
    "travel_times",
    "zoning_from_workbook",
]
