"""What an agency publishes from a zoning (former home; kept importable).

The annex, the table per département, the zoning map and the GeoDataFrame live with
:class:`~aplcore.zoning.Zoning` in :mod:`aplcore.zoning.result`; the comparison map in
:mod:`aplcore.zoning.compare`.
"""

from __future__ import annotations

from .compare import comparison_map
from .result import (
    ZONE_NAMES,
    decree_annex,
    format_annex,
    published_table,
    to_geodataframe,
    zoning_map,
)

__all__ = [
    "ZONE_NAMES",
    "comparison_map",
    "decree_annex",
    "format_annex",
    "published_table",
    "to_geodataframe",
    "zoning_map",
]
