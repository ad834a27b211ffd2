"""The study area: the communes whose APL is wanted, and the ring of neighbours it needs.

APL of a commune depends on the supply within its catchment and on the demand of the catchments
of that supply. Computed on an area alone, communes near its border lose the doctors and the
patients beyond it: their APL is wrong. Computing on the area plus a ring of neighbours within
twice the catchment radius (40 minutes for the DREES GP decay, whose catchment is 20 minutes)
gives them the values a national run gives.

:func:`study_area` selects the area from the bundled communes (or from any commune table) with
its ring; :meth:`StudyArea.metadata` is what travel times built on it carry, so that
:func:`check_edge_effects` can warn when APL is computed on an area cut at its border.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from . import datasets
from .datasets import METADATA_KEY, area_label, area_of_table
from .decay import Decay, get_decay
from .errors import EdgeEffectWarning, ParameterError, describe_values
from .traveltimes.crowfly import CrowFlyModel
from .traveltimes.geometry import commune_points

__all__ = [
    "StudyArea",
    "area_of_table",
    "check_edge_effects",
    "required_ring_minutes",
    "study_area",
]

logger = logging.getLogger(__name__)


def required_ring_minutes(decay: str | Decay = "drees_gp") -> float:
    """Ring (minutes) that gives border communes their national APL: twice the decay's cutoff.

    Examples
    --------
    >>> required_ring_minutes("drees_gp")
    40.0
    """
    return 2.0 * float(get_decay(decay).cutoff)


@dataclass(frozen=True, repr=False)
class StudyArea:
    """Communes of an area and of its neighbour ring.

    Attributes
    ----------
    communes
        Every commune of the computation (area and ring), indexed by code, with at least ``lon``
        and ``lat``, ``population`` and, for the bundled data, ``name``, ``departement``,
        ``region``.
    core
        Codes of the area itself: the communes whose results are reported.
    ring_minutes
        Width of the ring in minutes (crow-fly model); 0 for no ring, ``inf`` for all France.
    label
        Readable name, e.g. ``"département 36 Indre"``.
    notes
        What was left out (communes without a population or a point).
    """

    communes: pd.DataFrame
    core: pd.Index
    ring_minutes: float
    label: str = ""
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # the commune table says which area it covers, so that travel times built from it carry
        # it (see area_of_table); a shallow copy leaves the caller's table untouched
        communes = self.communes.copy(deep=False)
        communes.attrs = {**self.communes.attrs, METADATA_KEY: self._summary()}
        object.__setattr__(self, "communes", communes)

    def _summary(self) -> dict[str, Any]:
        ring = self.ring_minutes if np.isfinite(self.ring_minutes) else "all"
        return {
            "label": self.label,
            "ring_minutes": ring,
            "n_core": len(self.core),
            "n_ring": len(self.communes) - len(self.core),
        }

    @property
    def ring(self) -> pd.Index:
        """Codes of the neighbours added around the area."""
        return self.communes.index.difference(self.core, sort=False)

    @property
    def codes(self) -> pd.Index:
        """Codes of every commune of the computation."""
        return self.communes.index

    def metadata(self) -> dict[str, Any]:
        """What travel times built on this area carry (see :func:`check_edge_effects`)."""
        return {METADATA_KEY: {**self._summary(), "core": [str(c) for c in self.core]}}

    def __repr__(self) -> str:
        if not np.isfinite(self.ring_minutes):
            return f"StudyArea({self.label}: {len(self.core)} communes, no border)"
        return (
            f"StudyArea({self.label or 'communes'}: {len(self.core)} communes + "
            f"{len(self.ring)} within {self.ring_minutes:g} min)"
        )


def study_area(
    *,
    region: str | Iterable[str] | None = None,
    departement: str | Iterable[str] | None = None,
    france: bool = False,
    codes: Iterable[str] | None = None,
    ring_minutes: float | None = None,
    decay: str | Decay = "drees_gp",
    communes: pd.DataFrame | None = None,
) -> StudyArea:
    """The communes of an area and of its neighbour ring.

    Parameters
    ----------
    region, departement, france, codes
        The area: a région, département(s), all France (no ring needed), or commune codes.
    ring_minutes
        Width of the ring in minutes, measured with the crow-fly model between town halls. By
        default twice the catchment of ``decay`` (:func:`required_ring_minutes`, 40 minutes for
        ``drees_gp``); 0 for the area alone (APL of its border communes will be biased).
    decay
        The decay the APL will use, for the default ring.
    communes
        The commune table to select from: indexed by code with ``lon``, ``lat`` (and
        ``population``, ``departement``, ``region`` for area selections). By default the
        bundled communes that have a population and a point.

    Returns
    -------
    StudyArea
        The area and its ring.

    Raises
    ------
    ParameterError
        No area, or several, or a negative ring.

    Examples
    --------
    >>> area = study_area(departement="36")
    >>> area.ring_minutes, len(area.core) < len(area.communes)
    (40.0, True)
    """
    chosen = [region is not None, departement is not None, bool(france), codes is not None]
    if sum(chosen) != 1:
        msg = "give exactly one area: region=, departement=, france=True or codes=."
        raise ParameterError(msg)
    if ring_minutes is None:
        ring_minutes = required_ring_minutes(decay)
    ring_minutes = float(ring_minutes)
    if not ring_minutes >= 0:
        msg = f"ring_minutes must be a non-negative number of minutes, found {ring_minutes!r}."
        raise ParameterError(msg)
    if communes is None:
        table = datasets.load_communes(france=True)
        usable = table["population"].notna().to_numpy() & table["lon"].notna().to_numpy()
        table = table[usable]
    else:
        table = communes
    if france:
        wanted = datasets.load_communes(france=True).index if communes is None else table.index
        notes = _dropped_note(wanted, table.index)
        return StudyArea(table, table.index, float("inf"), "France", notes)
    if codes is not None:
        wanted = pd.Index([str(c) for c in codes])
        label = f"{len(wanted)} communes"
    else:
        wanted = datasets.load_communes(region=region, departement=departement).index
        label = area_label(region=region, departement=departement)
    core = wanted.intersection(table.index, sort=False)
    notes = _dropped_note(wanted, core)
    if len(core) == 0:
        msg = f"no commune with a population and a point in {label}."
        raise ParameterError(msg)
    if ring_minutes == 0:
        return StudyArea(table.loc[core], core, 0.0, label, notes)
    keep = _within(table, core, ring_minutes)
    return StudyArea(table.loc[keep], core, ring_minutes, label, notes)


def _dropped_note(wanted: pd.Index, kept: pd.Index) -> tuple[str, ...]:
    dropped = wanted.difference(kept, sort=False)
    if len(dropped) == 0:
        return ()
    return (
        f"{len(dropped)} communes without a population or a point were left out "
        f"({describe_values(dropped.tolist())}).",
    )


def _within(table: pd.DataFrame, core: pd.Index, minutes: float) -> np.ndarray:
    """Mask of the communes of ``table`` within ``minutes`` (crow-fly) of one of ``core``."""
    frame = table[["lon", "lat"]].copy()
    frame.index.name = "code"
    codes, xyz = commune_points(frame.reset_index(), code="code")
    inside = codes.isin(core)
    radius = CrowFlyModel().max_distance_km(minutes) * 1000.0
    keep = inside.copy()
    if radius > 0:
        tree = cKDTree(xyz)
        for row in tree.query_ball_point(xyz[inside], r=radius, return_sorted=False):
            keep[row] = True
    return np.asarray(keep, dtype=bool)


def check_edge_effects(
    metadata: Mapping[str, Any], *, decay: str | Decay = "drees_gp", stacklevel: int = 2
) -> bool:
    """Warn when travel times cover an area without the ring its border communes need.

    Parameters
    ----------
    metadata
        Metadata of the travel times (``TravelTimes.metadata``, or of a saved matrix).
    decay
        The decay of the APL computation.

    Returns
    -------
    bool
        True when a warning was given. Travel times that do not say which area they cover
        (your own O-D tables) give no warning.
    """
    info = metadata.get(METADATA_KEY) if metadata else None
    if not info:
        return False
    ring = info.get("ring_minutes")
    if ring == "all":
        return False
    needed = required_ring_minutes(decay)
    if ring is None or float(ring) >= needed:
        return False
    message = (
        f"APL computed on {info.get('label') or 'an area'} with a ring of {float(ring):g} min "
        f"of neighbours: communes near its border miss the doctors and patients beyond it. "
        f"Use a ring of {needed:g} min: travel times on aplcore.study_area(..., "
        f"ring_minutes={needed:g}).communes (the area and its ring; 'aplcore matrix "
        "--ring-minutes' on the command line), and keep the results of its .core only."
    )
    warnings.warn(message, EdgeEffectWarning, stacklevel=stacklevel)
    return True
