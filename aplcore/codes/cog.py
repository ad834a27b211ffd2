"""The bundled Code officiel géographique (COG): every commune code of recent years.

The table ``aplcore/data/commune_history.parquet`` is built by ``data/build_code_history.py``
from the ``@etalab/decoupage-administratif`` npm package, COG 2021 to 2026 (provenance in
``data/README.md``); :mod:`aplcore.codes.history` reads mergers and splits from it.
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

__all__ = ["HISTORY_SOURCE", "UNIT_STATUSES", "current_codes", "history_table"]

_HISTORY_FILE = "commune_history.parquet"
#: Source of the bundled history (one version of the package per COG year; data/README.md).
HISTORY_SOURCE = "@etalab/decoupage-administratif"
#: Statuses of a code that is a unit of its own (APL is computed by commune or arrondissement).
UNIT_STATUSES = ("commune", "arrondissement")


@functools.lru_cache(maxsize=1)
def history_table() -> pd.DataFrame:
    """The bundled table, one row per code and run of COG years (cached: do not modify)."""
    with resources.as_file(resources.files("aplcore").joinpath("data", _HISTORY_FILE)) as path:
        table = pd.read_parquet(path)
    for column in ("code", "status", "unit", "name"):
        table[column] = table[column].astype(object)
    return table


@functools.lru_cache(maxsize=1)
def current_codes() -> pd.Index:
    """Codes of the communes and arrondissements of the latest bundled COG."""
    history = history_table()
    latest = history["until"].max()
    units = history["status"].isin(UNIT_STATUSES)
    codes = history.loc[(history["until"] == latest) & units, "code"].unique()
    return pd.Index(codes, dtype=object)
