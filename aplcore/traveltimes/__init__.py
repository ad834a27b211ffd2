"""Travel times between units, as a canonical CSR matrix, and the sources that build them.

* :mod:`~aplcore.traveltimes.model`: :class:`TravelTimes`, the validated matrix every source
  produces and every computation consumes;
* :mod:`~aplcore.traveltimes.table`: from origin-destination tables (files or frames);
* :mod:`~aplcore.traveltimes.crowfly`: the calibrated crow-fly model;
* :mod:`~aplcore.traveltimes.roads`: road graphs (networkx, GraphML, OSM extracts read by
  :mod:`~aplcore.traveltimes.pbf`), bounded Dijkstra;
* :mod:`~aplcore.traveltimes.wide`: wide O-D matrices, read block by block;
* :mod:`~aplcore.traveltimes.osrm`: an OSRM server's table service;
* :mod:`~aplcore.traveltimes.intra`: intra-commune times;
* :mod:`~aplcore.traveltimes.geometry`: commune points and distances;
* :mod:`~aplcore.traveltimes.store`: save and load matrices with their metadata.

The sources are imported when first used, so that ``from aplcore.traveltimes import
TravelTimes`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach
from .model import TravelTimes

_LAZY: dict[str, str] = {
    "travel_times_from_table": "table",
    "read_od_table": "table",
    "symmetrise_pairs": "table",
    "travel_times_crow_fly": "crowfly",
    "CrowFlyModel": "crowfly",
    "calibrate_crow_fly": "crowfly",
    "travel_times_from_graph": "roads",
    "travel_times_from_osrm": "osrm",
    "RoadGraph": "roads",
    "graph_to_csr": "roads",
    "road_graph_from_pbf": "roads",
    "multi_source_dijkstra": "roads",
    "intra_commune_minutes": "intra",
    "commune_points": "geometry",
    "pair_distance_km": "geometry",
    "save_travel_times": "store",
    "load_travel_times": "store",
}

__all__ = ["TravelTimes", *sorted(_LAZY)]


__getattr__, __dir__ = attach(__name__, {k: f"{__name__}.{v}" for k, v in _LAZY.items()})


if TYPE_CHECKING:  # pragma: no cover
    from .crowfly import CrowFlyModel, calibrate_crow_fly, travel_times_crow_fly
    from .geometry import commune_points, pair_distance_km
    from .intra import intra_commune_minutes
    from .osrm import travel_times_from_osrm
    from .roads import (
        RoadGraph,
        graph_to_csr,
        multi_source_dijkstra,
        road_graph_from_pbf,
        travel_times_from_graph,
    )
    from .store import load_travel_times, save_travel_times
    from .table import read_od_table, symmetrise_pairs, travel_times_from_table
