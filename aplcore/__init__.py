"""aplcore: fast, exact computation of the French APL indicator and the zonings built on it.

The public names are loaded lazily so that ``import aplcore`` stays fast and Numba is only imported
when a kernel is first needed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._lazy import attach
from ._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # core engine
    "TravelTimes": "aplcore.traveltimes",
    "AGE_BANDS": "aplcore.demand",
    "WEIGHT_PRESETS": "aplcore.demand",
    "standardise_population": "aplcore.demand",
    "SupplyRules": "aplcore.supply",
    "GPActivityRules": "aplcore.supply",
    "FTERules": "aplcore.supply",
    "PhysiotherapistFTERules": "aplcore.supply",
    "DentistFTERules": "aplcore.supply",
    "count_gp_activity": "aplcore.supply",
    "count_supply": "aplcore.supply",
    "Decay": "aplcore.decay",
    "get_decay": "aplcore.decay",
    "register_decay": "aplcore.decay",
    "available_decays": "aplcore.decay",
    "step_decay": "aplcore.decay",
    "linear_decay": "aplcore.decay",
    "exponential_decay": "aplcore.decay",
    "gaussian_decay": "aplcore.decay",
    "power_decay": "aplcore.decay",
    "METHODS": "aplcore.apl",
    "APLResult": "aplcore.apl",
    "AccessibilityMatrix": "aplcore.apl",
    "compute_apl": "aplcore.apl",
    "prepare": "aplcore.apl",
    "aggregate": "aplcore.aggregation",
    "population_under": "aplcore.aggregation",
    "weighted_quantiles": "aplcore.aggregation",
    # travel-time matrices
    "travel_times_from_table": "aplcore.traveltimes.table",
    "travel_times_crow_fly": "aplcore.traveltimes.crowfly",
    "CrowFlyModel": "aplcore.traveltimes.crowfly",
    "calibrate_crow_fly": "aplcore.traveltimes.crowfly",
    "travel_times_from_graph": "aplcore.traveltimes.roads",
    "travel_times_from_osrm": "aplcore.traveltimes.osrm",
    "road_graph_from_pbf": "aplcore.traveltimes.roads",
    "intra_commune_minutes": "aplcore.traveltimes.intra",
    "save_travel_times": "aplcore.traveltimes.store",
    "load_travel_times": "aplcore.traveltimes.store",
    "read_table": "aplcore.tables",
    "implausible_values": "aplcore.plausibility",
    # data
    "load_communes": "aplcore.datasets",
    "load_contours": "aplcore.datasets",
    "list_regions": "aplcore.datasets",
    "list_departements": "aplcore.datasets",
    "synthetic_practitioners": "aplcore.synthetic",
    "StudyArea": "aplcore.area",
    "study_area": "aplcore.area",
    # workflows
    "run_demo": "aplcore.workflows",
    "DemoResult": "aplcore.workflows",
    # maps
    "plot_apl_map": "aplcore.plots",
    "plot_zoning_map": "aplcore.plots",
    "plot_population_by_class": "aplcore.plots",
    # zoning
    "classify_zones": "aplcore.zoning",
    "Zoning": "aplcore.zoning",
}

__all__ = ["__version__", *sorted(_LAZY)]


__getattr__, __dir__ = attach(__name__, _LAZY)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .aggregation import aggregate, population_under, weighted_quantiles
    from .apl import METHODS, AccessibilityMatrix, APLResult, compute_apl, prepare
    from .area import StudyArea, study_area
    from .datasets import list_departements, list_regions, load_communes, load_contours
    from .decay import (
        Decay,
        available_decays,
        exponential_decay,
        gaussian_decay,
        get_decay,
        linear_decay,
        power_decay,
        register_decay,
        step_decay,
    )
    from .demand import AGE_BANDS, WEIGHT_PRESETS, standardise_population
    from .plausibility import implausible_values
    from .plots import plot_apl_map, plot_population_by_class, plot_zoning_map
    from .supply import (
        DentistFTERules,
        FTERules,
        GPActivityRules,
        PhysiotherapistFTERules,
        SupplyRules,
        count_gp_activity,
        count_supply,
    )
    from .synthetic import synthetic_practitioners
    from .tables import read_table
    from .traveltimes import TravelTimes
    from .traveltimes.crowfly import CrowFlyModel, calibrate_crow_fly, travel_times_crow_fly
    from .traveltimes.intra import intra_commune_minutes
    from .traveltimes.osrm import travel_times_from_osrm
    from .traveltimes.roads import road_graph_from_pbf, travel_times_from_graph
    from .traveltimes.store import load_travel_times, save_travel_times
    from .traveltimes.table import travel_times_from_table
    from .workflows import DemoResult, run_demo
    from .zoning import Zoning, classify_zones
