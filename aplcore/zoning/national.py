"""The national commune-level zoning file and comparing zonings (former home; kept importable).

The file reader and writer live in :mod:`aplcore.io.national`, comparing zonings in
:mod:`aplcore.zoning.compare`, writing a :class:`~aplcore.zoning.Zoning` in
:mod:`aplcore.zoning.result`.
"""

from __future__ import annotations

from ..io.national import (
    PROFESSIONS,
    check_level_codes,
    level_labels,
    read_commune_tvs,
    read_national_file,
    zoning_in_force,
)
from .compare import ZoningComparison, compare_zonings
from .result import write_national_file

__all__ = [
    "PROFESSIONS",
    "ZoningComparison",
    "check_level_codes",
    "compare_zonings",
    "level_labels",
    "read_commune_tvs",
    "read_national_file",
    "write_national_file",
    "zoning_in_force",
]
