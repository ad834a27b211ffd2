"""Seeded benchmark problems.

``real_communes(region)`` is the main workload: the real communes bundled with aplcore, crow-fly
times from the calibrated model and a synthetic GP supply (see its docstring). At France scale it
has 34 895 communes, 5.5 M pairs within 30 minutes and 2.4 M within 20.

``synthetic_france(n)`` places ``n`` communes uniformly at random in a square whose side is chosen
so that, with crow-fly times ``t = 1.11 min/km × distance`` (the Metric ratio measured on the
Gironde pairs), a commune has on average about 75 communes within 20 minutes, as in France (spec
§8). At ``n = 35 000`` this gives about 2.6 M pairs within 20 minutes and 5.8 M within 30 minutes.
Codes are laid out like INSEE codes: the square is cut into a 10 × 10 grid of "départements"
numbered in order, and communes are numbered in random order inside each, so that neighbours mostly
have nearby positions, as real communes of a département do. Populations follow a log-normal law
(median ~ 400 inhabitants, like French communes); supply is a synthetic GP activity in about one
commune in five. The long table is shuffled so that no tool benefits from a pre-sorted input.

``real_communes(...)`` does the same on the real town-hall points and populations bundled with
aplcore (:mod:`aplcore.datasets`), with crow-fly times from the calibrated default model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.spatial import cKDTree

MINUTES_PER_KM = 1.11
NEIGHBOURS_WITHIN_20 = 75
#: Benchmark sizes: the real communes of the Grand Est région (about 5 000) and of France.
SIZES = {"small": "44", "france": None}


def bench_sizes() -> dict[str, str | None]:
    """Sizes to run: ``APLCORE_BENCH_SIZE=small`` keeps only the small one (smoke mode)."""
    choice = os.environ.get("APLCORE_BENCH_SIZE", "all")
    if choice == "all":
        return dict(SIZES)
    return {choice: SIZES[choice]}


@dataclass(frozen=True)
class Problem:
    """A long O-D table with demand and supply, all as canonical arrays."""

    name: str
    codes: np.ndarray  # object array of 5-character codes
    origin: np.ndarray  # int32
    destination: np.ndarray  # int32
    minutes: np.ndarray  # float64
    demand: np.ndarray  # float64, standardised population
    supply: np.ndarray  # float64, counted GP activity

    @property
    def n(self) -> int:
        return int(self.demand.size)

    @property
    def n_pairs(self) -> int:
        return int(self.origin.size)


def _pairs_within(points_km: np.ndarray, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
    tree = cKDTree(points_km)
    pairs = tree.query_pairs(radius_km, output_type="ndarray")
    n = len(points_km)
    diagonal = np.arange(n)
    origin = np.concatenate([pairs[:, 0], pairs[:, 1], diagonal])
    destination = np.concatenate([pairs[:, 1], pairs[:, 0], diagonal])
    return origin, destination


def _departement_order(points: np.ndarray, side: float, rng: np.random.Generator) -> np.ndarray:
    """Order of the points, grouped by cell of a 10 × 10 grid, random inside a cell."""
    cells = np.minimum((points / side * 10).astype(np.int64), 9)
    departement = cells[:, 0] * 10 + cells[:, 1]
    return np.lexsort((rng.random(len(points)), departement)), departement


def _codes(departement: np.ndarray) -> np.ndarray:
    """Codes ``DDNNN``: département ``DD`` (``01`` to ``99``, then ``2A``), rank ``NNN``."""
    codes = np.empty(departement.size, dtype=object)
    rank = np.zeros(100, dtype=np.int64)
    for i, dep in enumerate(departement):
        rank[dep] += 1
        if rank[dep] > 999:
            msg = "too many communes for the synthetic code scheme (999 per département)"
            raise ValueError(msg)
        prefix = f"{dep + 1:02d}" if dep < 99 else "2A"
        codes[i] = f"{prefix}{rank[dep]:03d}"
    return codes


@lru_cache(maxsize=2)
def real_communes(
    region: str | None = None, *, max_minutes: float = 30.0, seed: int = 0
) -> Problem:
    """The real communes of a région (or of France), crow-fly times, a synthetic GP supply.

    Communes, town-hall points and populations come from :mod:`aplcore.datasets`; times from
    :func:`aplcore.travel_times_crow_fly` (the default model calibrated on Metric); demand is the
    total population; supply is the counted activity (GPs aged 65 or less) of the seeded
    synthetic GP table of :func:`aplcore.synthetic_practitioners`. Communes without a population
    or a point (a few in the source data) are left out. The long table is shuffled (seeded).
    """
    import aplcore

    communes = (
        aplcore.load_communes(france=True)
        if region is None
        else aplcore.load_communes(region=region)
    )
    communes = communes.dropna(subset=["population", "lon", "lat"])
    tt = aplcore.travel_times_crow_fly(
        communes[["lon", "lat"]].reset_index(), max_minutes=max_minutes, crs="EPSG:4326"
    )
    codes = tt.codes
    practitioners = aplcore.synthetic_practitioners(communes, seed=seed)
    supply = aplcore.count_gp_activity(practitioners, max_age=65).reindex(codes, fill_value=0.0)
    demand = communes["population"].reindex(codes).astype(np.float64)
    order = np.random.default_rng(seed).permutation(tt.n_pairs)
    name = "France" if region is None else f"région {region}"
    return Problem(
        name=f"real communes, {name} ({len(codes)})",
        codes=np.asarray(codes, dtype=object),
        origin=np.ascontiguousarray(tt.origins[order], dtype=np.int32),
        destination=np.ascontiguousarray(tt.indices[order], dtype=np.int32),
        minutes=np.ascontiguousarray(tt.minutes[order]),
        demand=demand.to_numpy(),
        supply=supply.to_numpy(dtype=np.float64),
    )


@lru_cache(maxsize=4)
def synthetic_france(n: int = 35_000, *, max_minutes: float = 30.0, seed: int = 0) -> Problem:
    """France-sized synthetic problem (see the module docstring)."""
    rng = np.random.default_rng(seed)
    radius20 = 20.0 / MINUTES_PER_KM
    side = np.sqrt(n * np.pi * radius20**2 / NEIGHBOURS_WITHIN_20)
    points = rng.random((n, 2)) * side
    order, departement = _departement_order(points, side, rng)
    codes = _codes(departement[order])
    by_code = np.argsort(codes.astype(str), kind="stable")  # positions in code order
    points, codes = points[order][by_code], codes[by_code]
    origin, destination = _pairs_within(points, max_minutes / MINUTES_PER_KM)
    distance = np.linalg.norm(points[origin] - points[destination], axis=1)
    intra = rng.uniform(0.0, 4.0, n)  # intra-commune time, minutes
    minutes = np.where(origin == destination, intra[origin], MINUTES_PER_KM * distance)
    order = rng.permutation(origin.size)
    demand = np.round(rng.lognormal(np.log(400), 1.2, n))
    has_gp = rng.random(n) < 0.2
    supply = np.where(has_gp, np.round(rng.lognormal(np.log(4500 * 2), 0.8, n)), 0.0)
    return Problem(
        name=f"synthetic-{n}",
        codes=codes,
        origin=np.ascontiguousarray(origin[order], dtype=np.int32),
        destination=np.ascontiguousarray(destination[order], dtype=np.int32),
        minutes=np.ascontiguousarray(minutes[order], dtype=np.float64),
        demand=demand.astype(np.float64),
        supply=supply.astype(np.float64),
    )
