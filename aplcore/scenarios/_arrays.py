"""The arrays a scenario change edits: practitioner rows, one scenario's demand, its supply.

:class:`~aplcore.scenarios.baseline.Inputs` builds them from the baseline; each
:class:`~aplcore.scenarios.model.Change` edits them in its ``apply_*`` methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError, describe_values

__all__ = ["CommuneSupply", "DemandState", "Practitioners", "commune_mask", "positions_in"]


@dataclass(frozen=True, eq=False)
class Practitioners:
    """The practitioner table as arrays (rows: practitioner × site)."""

    commune: np.ndarray  # int32 position of the row's commune
    gp: np.ndarray  # position of the row's practitioner
    ids: pd.Index  # practitioner ids, by position
    activity: np.ndarray
    age: np.ndarray  # NaN when unknown
    gp_indptr: np.ndarray  # int64: rows counted per practitioner (CSR over gp_rows)
    gp_rows: np.ndarray  # int64: rows under the bounds, grouped by practitioner
    centre_rows: np.ndarray  # int64: rows counted as recorded (centres de santé)
    new_install: np.ndarray  # per practitioner
    sites: np.ndarray  # per practitioner: number of rows under the bounds (at least 1)
    frame: pd.DataFrame  # validated rows (for non-GP rules)
    bounded: np.ndarray  # per row: counted under the bounds (a row of gp_rows)
    commune_indptr: np.ndarray  # int64: rows counted per commune (CSR over commune_rows)
    commune_rows: np.ndarray  # int64: gp_rows then centre_rows, grouped by commune

    @property
    def n_gp(self) -> int:
        return len(self.ids)


@dataclass
class DemandState:
    """One scenario's demand while its changes apply (edited in place).

    Changes first edit the population by age band and the band weights
    (:meth:`~aplcore.scenarios.model.Change.apply_ages`); the demand and population are then
    recomputed from them, and changes edit those (:meth:`~.Change.apply_demand`).
    """

    codes: pd.Index
    ages: np.ndarray | None
    weights: np.ndarray | None
    demand: np.ndarray
    population: np.ndarray


@dataclass(frozen=True)
class CommuneSupply:
    """What a change of the counted supply per commune needs besides the supply column."""

    codes: pd.Index
    baseline: np.ndarray  # counted supply of the baseline
    counted_new: Callable[[float | None], float]  # counted supply of one new practitioner


def commune_mask(codes: pd.Index, communes: tuple[str, ...] | None) -> np.ndarray:
    """Boolean mask of ``communes`` among ``codes`` (every commune when None)."""
    if communes is None:
        return np.ones(len(codes), dtype=bool)
    mask = np.zeros(len(codes), dtype=bool)
    mask[codes.get_indexer(list(communes))] = True
    return mask


def positions_in(codes: pd.Index, index: pd.Index, *, what: str) -> np.ndarray:
    """Position of each code of ``index`` in ``codes``; refuse codes that are not there."""
    positions = codes.get_indexer(index)
    if (positions < 0).any():
        unknown = index[positions < 0].tolist()
        msg = (
            f"{len(unknown)} communes of the {what} are not in the travel times: "
            f"{describe_values(unknown)}."
        )
        raise ParameterError(msg)
    return positions
