"""Readers and writers of the files researchers arrive with and leave with.

Readers validate and report problems with file line numbers and the offending values; commune
codes are always read as text. Writers are atomic and refuse to overwrite unless asked.

``read_drees_apl``, ``read_drees_parameters`` (DREES APL workbook), ``read_od_table``
(Metric/OSRM origin-destination exports) and ``read_code_frame`` (any table indexed by commune
codes) read the other inputs.
"""

from __future__ import annotations

from ._common import code_indexed, read_code_frame
from .cog import COG_TYPES, read_cog_communes, read_territories
from .drees import read_drees_apl, read_drees_parameters
from .od import read_od_table
from .population import AGE_BANDS, read_population_by_age
from .practitioners import PRACTITIONER_COLUMNS, read_practitioners
from .writers import (
    OutputExistsError,
    OutputSet,
    OutputSetError,
    atomic_write,
    output_set,
    write_csv,
    write_geojson,
    write_parquet,
)

__all__ = [
    "AGE_BANDS",
    "COG_TYPES",
    "PRACTITIONER_COLUMNS",
    "OutputExistsError",
    "OutputSet",
    "OutputSetError",
    "atomic_write",
    "code_indexed",
    "output_set",
    "read_code_frame",
    "read_cog_communes",
    "read_drees_apl",
    "read_drees_parameters",
    "read_od_table",
    "read_population_by_age",
    "read_practitioners",
    "read_territories",
    "write_csv",
    "write_geojson",
    "write_parquet",
]
