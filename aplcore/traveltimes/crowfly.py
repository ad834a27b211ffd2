"""Crow-fly travel times: ``t = a + b · d^c`` minutes for a straight-line distance of ``d`` km.

Commune points are given as WGS84 longitude/latitude or as projected x/y (Lambert-93 by default).
Every point is converted once with pyproj to geocentric coordinates (EPSG:4978, metres); the
straight line between two geocentric points (the chord) equals the geodesic distance on the
ellipsoid to within 1 m below 100 km, so one ``scipy.spatial.cKDTree`` finds all pairs within the
radius that ``max_minutes`` allows, anywhere in France including overseas, never forming an
n×n matrix.

The default :class:`CrowFlyModel` is calibrated on 2 429 real Gironde point pairs timed by Metric
(the INSEE distancier behind the published APL, off-peak times); the fitted parameters and the
measured errors are in ``aplcore/data/crow_fly_calibration.json``, written by
``data/calibrate_crow_fly.py``. Use the model's error report to judge it: the straight line ignores
rivers, estuaries and mountains.

**Crow-fly times are a stand-in for road times.** Measured by ``data/crow_fly_error.py``
(figures in ``aplcore/data/crow_fly_error.json``, see :func:`crow_fly_error_report`) for the pairs
under 20 minutes: on Gironde's Metric pairs, mean absolute error 2.1 min, bias +1.4 min, 27 % of
the pairs in another DREES band; on the OSRM times between Isère's town halls, 3.5 min, bias
−3.3 min, 56 % in another band. Straight-line models refitted on one area do worse on the other
(see the file), so the default is kept. Road engines: :func:`aplcore.travel_times_from_graph` on
:func:`aplcore.road_graph_from_pbf` (an OpenStreetMap extract, no internet), an OSRM server,
or the matrices users already have (:func:`aplcore.travel_times_from_table`, long or wide).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import bad_non_negative, check_non_negative_option
from ..datasets import area_of_table
from ..errors import InputFormatError, InvalidValueError, ParameterError, describe_values
from .geometry import commune_points
from .model import TravelTimes

__all__ = [
    "DREES_BAND_EDGES",
    "CrowFlyModel",
    "calibrate_crow_fly",
    "calibration_report",
    "crow_fly_error_report",
    "crow_fly_errors",
    "drees_band",
    "stand_in_note",
    "travel_times_crow_fly",
]

logger = logging.getLogger(__name__)

#: DREES GP decay band edges (minutes); bands are left-closed: t = 10 is in the 2/3 band.
DREES_BAND_EDGES = (10.0, 15.0, 20.0)

_CALIBRATION_FILE = "crow_fly_calibration.json"
_ERROR_FILE = "crow_fly_error.json"
#: Where road times come from instead (said wherever crow-fly times are used).
ROAD_ENGINES = (
    "aplcore.road_graph_from_pbf + aplcore.travel_times_from_graph (OpenStreetMap extract), "
    "an OSRM server, or a Metric/OSRM matrix via aplcore.travel_times_from_table (long or wide)"
)


# ---------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class CrowFlyModel:
    """Travel time as a function of straight-line distance: ``t = intercept + slope · d^exponent``.

    The defaults mirror the calibration on the Gironde Metric pairs (off-peak car times,
    ``aplcore/data/crow_fly_calibration.json``; a test checks they agree).

    Parameters
    ----------
    intercept
        Minutes at zero distance (getting onto the road network and parking), ``>= 0``.
    slope
        Minutes per km (raised to ``exponent``), ``> 0``.
    exponent
        Power of the distance, ``> 0``; 1 gives the linear model.
    """

    intercept: float = 2.3583
    slope: float = 1.0672
    exponent: float = 1.0

    def __post_init__(self) -> None:
        for name in ("intercept", "slope", "exponent"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                msg = f"CrowFlyModel.{name} must be a finite number, found {value!r}."
                raise ParameterError(msg)
        if self.intercept < 0:
            msg = f"CrowFlyModel.intercept must be >= 0 minutes, found {self.intercept!r}."
            raise ParameterError(msg)
        if self.slope <= 0 or self.exponent <= 0:
            msg = (
                "CrowFlyModel.slope and exponent must be > 0 (time grows with distance), found "
                f"slope={self.slope!r}, exponent={self.exponent!r}."
            )
            raise ParameterError(msg)

    def minutes(self, distance_km: np.ndarray | float) -> np.ndarray:
        """Travel time in minutes for straight-line distances in km."""
        d = np.asarray(distance_km, dtype=np.float64)
        if self.exponent == 1.0:
            return self.intercept + self.slope * d
        return self.intercept + self.slope * np.power(d, self.exponent)

    def max_distance_km(self, max_minutes: float) -> float:
        """Largest distance whose time is ``<= max_minutes`` (negative when none is)."""
        if max_minutes < self.intercept:
            return -1.0
        return float(((max_minutes - self.intercept) / self.slope) ** (1.0 / self.exponent))

    def to_dict(self) -> dict[str, float]:
        """The parameters as a plain dict (for metadata)."""
        return asdict(self)

    @classmethod
    def calibrated(cls) -> CrowFlyModel:
        """The model stored in the committed calibration file (same as the defaults)."""
        params = calibration_report()["model"]
        return cls(**{k: float(params[k]) for k in ("intercept", "slope", "exponent")})


def calibration_report() -> dict[str, Any]:
    """The committed calibration: fitted parameters, fit subset and measured errors vs Metric."""
    text = resources.files("aplcore").joinpath("data", _CALIBRATION_FILE).read_text("utf-8")
    return json.loads(text)


def crow_fly_error_report() -> dict[str, Any]:
    """The committed error of the default model on Gironde's Metric pairs and Isère's OSRM
    pairs, with the cross-area checks of refitted models (``data/crow_fly_error.py``)."""
    text = resources.files("aplcore").joinpath("data", _ERROR_FILE).read_text("utf-8")
    return json.loads(text)


def stand_in_note() -> dict[str, Any]:
    """What crow-fly metadata says of itself: a stand-in, its measured error, the road engines."""
    sources = crow_fly_error_report()["sources"]
    parts = []
    for name, label in (("gironde_metric", "Gironde vs Metric"), ("isere_osrm", "Isère vs OSRM")):
        e = sources[name]["under_20"]
        parts.append(
            f"{label}: mean abs. error {e['mean_abs_error']:.1f} min, bias {e['bias']:+.1f} min, "
            f"{e['band_change_share']:.0%} of pairs in another DREES band"
        )
    return {
        "note": (
            "crow-fly times are a stand-in for road times; on pairs under 20 minutes, "
            + "; ".join(parts)
            + f". For road times use {ROAD_ENGINES}."
        ),
        "error_under_20_min": {name: sources[name]["under_20"] for name in sources},
        "error_under_30_min": {name: sources[name]["under_30"] for name in sources},
    }


def calibrate_crow_fly(
    distance_km: np.ndarray | pd.Series,
    minutes: np.ndarray | pd.Series,
    *,
    form: Literal["linear", "power"] = "linear",
    max_distance_km: float | None = None,
) -> CrowFlyModel:
    """Fit a :class:`CrowFlyModel` to reference times by least squares.

    Parameters
    ----------
    distance_km
        Straight-line distance of each reference pair (see :func:`pair_distance_km`).
    minutes
        Reference travel time of each pair (e.g. Metric off-peak).
    form
        ``"linear"`` fits ``a + b·d``; ``"power"`` fits ``a + b·d^c``.
    max_distance_km
        Fit only the pairs at most this far apart (selecting on distance, not on time, so
        the fit is not biased by the selection); ``None`` uses every pair.

    Returns
    -------
    CrowFlyModel
        The fitted model; an intercept fitted below 0 is set to 0 and the slope refitted.

    Raises
    ------
    InvalidValueError
        Distances or times that are negative, NaN or infinite, or fewer than 3 pairs to fit.
    """
    d = _finite_non_negative(distance_km, what="distances")
    t = _finite_non_negative(minutes, what="reference minutes")
    if d.shape != t.shape:
        msg = f"distance_km and minutes must have the same length, found {d.size} and {t.size}."
        raise InputFormatError(msg)
    if max_distance_km is not None:
        keep = d <= max_distance_km
        d, t = d[keep], t[keep]
    if d.size < 3:
        msg = (
            f"calibrating needs at least 3 pairs, found {d.size} (after max_distance_km="
            f"{max_distance_km!r}). Give more reference pairs or a larger max_distance_km."
        )
        raise InvalidValueError(msg)
    if form == "linear":
        slope, intercept = np.polyfit(d, t, 1)
        if intercept < 0:
            intercept, slope = 0.0, float(d @ t / (d @ d))
        return CrowFlyModel(intercept=float(intercept), slope=float(slope), exponent=1.0)
    if form == "power":
        from scipy.optimize import least_squares

        slope0, intercept0 = np.polyfit(d, t, 1)

        def residuals(p: np.ndarray) -> np.ndarray:
            return p[0] + p[1] * np.power(d, p[2]) - t

        fit = least_squares(
            residuals,
            x0=[max(intercept0, 0.0), max(slope0, 1e-3), 1.0],
            bounds=([0.0, 1e-9, 0.05], [np.inf, np.inf, 5.0]),
        )
        a, b, c = (float(v) for v in fit.x)
        return CrowFlyModel(intercept=a, slope=b, exponent=c)
    msg = f"form must be 'linear' or 'power', found {form!r}."
    raise ParameterError(msg)


def drees_band(minutes: np.ndarray) -> np.ndarray:
    """DREES GP band index: 0 (t < 10, weight 1), 1 (2/3), 2 (1/3), 3 (t >= 20, weight 0).

    Bands are left-closed: ``t = 10`` falls in band 1 (weight 2/3).
    """
    return np.searchsorted(np.asarray(DREES_BAND_EDGES), np.asarray(minutes), side="right")


def crow_fly_errors(
    model: CrowFlyModel,
    distance_km: np.ndarray | pd.Series,
    reference_minutes: np.ndarray | pd.Series,
) -> dict[str, Any]:
    """Errors of a model against reference times, over all pairs and pairs under 30 minutes.

    Returns
    -------
    dict
        ``{"all": {...}, "under_30": {...}, "under_20": {...}}``, each with ``n_pairs``,
        ``mean_abs_error``, ``median_abs_error``, ``bias`` (model minus reference, minutes) and
        ``band_change_share``: among those pairs whose reference time is under 20 minutes, the
        share whose DREES band (1, 2/3, 1/3, 0 at 10/15/20 min, left-closed) differs under the
        model; ``band_change_share_of_subset``: the same share among all the pairs of the
        subset (so, for ``under_30``, a pair at 25 minutes predicted at 18 counts). Subsets
        select on the reference time.
    """
    d = _finite_non_negative(distance_km, what="distances")
    ref = _finite_non_negative(reference_minutes, what="reference minutes")
    pred = model.minutes(d)
    out: dict[str, Any] = {}
    for name, keep in (
        ("all", np.ones(ref.size, dtype=bool)),
        ("under_30", ref < 30),
        ("under_20", ref < 20),
    ):
        err = pred[keep] - ref[keep]
        short = keep & (ref < 20)
        changed = drees_band(pred[short]) != drees_band(ref[short])
        out[name] = {
            "n_pairs": int(keep.sum()),
            "mean_abs_error": float(np.mean(np.abs(err))) if err.size else float("nan"),
            "median_abs_error": float(np.median(np.abs(err))) if err.size else float("nan"),
            "bias": float(np.mean(err)) if err.size else float("nan"),
            "n_pairs_under_20": int(short.sum()),
            "band_change_share": float(changed.mean()) if changed.size else float("nan"),
            "band_change_share_of_subset": (
                float((drees_band(pred[keep]) != drees_band(ref[keep])).mean())
                if keep.any()
                else float("nan")
            ),
        }
    return out


# ---------------------------------------------------------------------------------- matrix
def travel_times_crow_fly(
    communes: pd.DataFrame,
    max_minutes: float = 30,
    *,
    model: CrowFlyModel | None = None,
    code: str = "code",
    crs: Any = None,
    intra_minutes: float | pd.Series = 0.0,
    repair_integers: bool = False,
) -> TravelTimes:
    """Travel times between communes from straight-line distances: a stand-in for road times.

    The straight line ignores the road network: measured on pairs under 20 minutes, the default
    model is off by 2.1 minutes on average (bias +1.4) against Metric in Gironde, with 27 % of
    the pairs in another DREES band, and by 3.5 minutes (bias −3.3) against OSRM between
    Isère's town halls, with 56 % in another band (``aplcore/data/crow_fly_error.json``,
    :func:`crow_fly_error_report`). The result's ``metadata["stand_in"]`` says so, and is
    written to ``run.json``. For road times use :func:`aplcore.road_graph_from_pbf` with
    :func:`aplcore.travel_times_from_graph` (an OpenStreetMap extract, no internet), an OSRM
    server, or :func:`aplcore.travel_times_from_table` on a Metric or OSRM matrix (long or
    wide).

    Parameters
    ----------
    communes
        Points, one per commune: see :func:`commune_points`.
    max_minutes
        Keep pairs with ``t <= max_minutes``.
    model
        The distance → time model (default: the calibrated :class:`CrowFlyModel`).
    code, crs, repair_integers
        As in :func:`commune_points`.
    intra_minutes
        Time of the ``i → i`` pair: a number, or a Series by code (see
        :func:`aplcore.intra_commune_minutes`). The model's intercept is not used there:
        it describes trips between two distinct points.

    Returns
    -------
    TravelTimes
        Symmetric times (``t(i → j) = t(j → i)``); metadata ``source="crow_fly"`` with the model.

    Examples
    --------
    >>> import aplcore
    >>> communes = aplcore.load_communes(departement="36")
    >>> tt = aplcore.travel_times_crow_fly(communes, max_minutes=30)
    >>> tt  # doctest: +ELLIPSIS
    TravelTimes(241 communes, ... pairs)
    """
    from scipy.spatial import cKDTree

    model = CrowFlyModel() if model is None else model
    if not isinstance(model, CrowFlyModel):
        msg = f"model must be a CrowFlyModel, found {type(model).__name__}."
        raise ParameterError(msg)
    check_non_negative_option(max_minutes, name="max_minutes", unit="minutes", allow_none=False)
    codes, xyz = commune_points(communes, code=code, crs=crs, repair_integers=repair_integers)
    radius_m = model.max_distance_km(float(max_minutes)) * 1000.0
    if radius_m >= 0:
        tree = cKDTree(xyz, balanced_tree=False, compact_nodes=False)
        pairs = tree.query_pairs(radius_m, output_type="ndarray")
    else:
        pairs = np.empty((0, 2), dtype=np.int64)
    i = pairs[:, 0]
    j = pairs[:, 1]
    dist_km = np.sqrt(((xyz[i] - xyz[j]) ** 2).sum(axis=1)) / 1000.0
    minutes = model.minutes(dist_km)
    keep = minutes <= max_minutes
    i, j, minutes = i[keep], j[keep], minutes[keep]
    origin = np.concatenate([i, j]).astype(np.int32)
    destination = np.concatenate([j, i]).astype(np.int32)
    times = np.concatenate([minutes, minutes])
    metadata: Mapping[str, Any] = {
        "source": "crow_fly",
        "method": "crow_fly",
        "params": {"model": model.to_dict(), "max_minutes": float(max_minutes)},
        "stand_in": stand_in_note(),
        **area_of_table(communes),  # the study area the commune table covers, if it says
    }
    logger.info(
        "crow-fly: %d communes, %d pairs within %s min", len(codes), times.size, max_minutes
    )
    return TravelTimes.from_arrays(
        codes,
        origin,
        destination,
        times,
        intra_minutes=intra_minutes,
        metadata=dict(metadata),
    )


def _finite_non_negative(values: np.ndarray | pd.Series, *, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    bad = bad_non_negative(array)
    if bad.any():
        rows = np.flatnonzero(bad)
        msg = (
            f"{what} must be finite and non-negative; found {rows.size} bad values at rows "
            f"{describe_values(rows.tolist())} ({describe_values(array[rows].tolist())})."
        )
        raise InvalidValueError(msg)
    return array
