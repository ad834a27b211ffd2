"""Plain-Python reference of the capped fill, for exact comparison with aplcore.zoning.

Written without NumPy or pandas: tallies are recomputed from scratch for every decision.
"""

from __future__ import annotations

import math


def reference_fill(  # noqa: PLR0913 - the options of aplcore.zoning.capped_fill, one by one
    territory_apl: dict[str, float],
    parts: dict[str, dict[str, float]],
    *,
    zones: tuple[str, ...],
    thresholds: tuple[float, ...],
    caps: dict[str, dict[str, float]],
    margin: dict[str, float],
    margin_zone: str | None,
    cap_rule: str,
    mandatory_threshold: float | None = None,
    fill_rule: str = "stop",
    margin_rule: str = "inside",
) -> dict[str, str]:
    """Zone of each territory.

    ``parts[t][r]``: residents of territory ``t`` in région ``r``; ``caps[r][zone]`` in
    inhabitants (missing = no cap; a cap on the last zone is a floor). The région holding the
    largest share of a territory (ties: smallest code) decides it: only its caps are judged and
    only its zone closes; every région's residents are counted against that région's caps.
    """
    m = len(zones) - 1
    region_pop = _region_populations(parts)

    # constraints per région: list of (set of zone indices, limit)
    limits = {
        r: _region_limits(
            caps.get(r, {}),
            margin.get(r, 0.0),
            region_pop[r],
            zones=zones,
            margin_zone=None if margin_rule == "inside" else margin_zone,
            cap_rule=cap_rule,
        )
        for r in region_pop
    }

    def pop_of(t: str) -> float:
        return sum(parts[t].values())

    ranked = sorted(
        (t for t in territory_apl if not math.isnan(territory_apl[t])),
        key=lambda t: (territory_apl[t], -pop_of(t), t),
    )
    zone: dict[str, int] = {}

    def used(r: str, members: set[int]) -> float:
        return sum(parts[u].get(r, 0.0) for u, z in zone.items() if z in members)

    def fits(t: str, decider: str, k: int) -> bool:
        return all(
            used(decider, members) + parts[t][decider] <= limit + 1e-6
            for members, limit in limits[decider]
            if k in members
        )

    if mandatory_threshold is not None:
        for t in ranked:
            if territory_apl[t] <= mandatory_threshold:
                zone[t] = 0
    for k in range(m):
        closed: set[str] = set()
        for t in ranked:
            if t in zone:
                continue
            if territory_apl[t] > thresholds[k]:
                break
            decider = min(parts[t], key=lambda r: (-parts[t][r], r))
            if decider in closed:
                continue
            if fits(t, decider, k):
                zone[t] = k
            elif fill_rule == "stop":
                closed.add(decider)
    return {t: zones[zone.get(t, m)] for t in territory_apl}


def _region_populations(parts: dict[str, dict[str, float]]) -> dict[str, float]:
    """Residents of each région, summed over the territories."""
    region_pop: dict[str, float] = {}
    for by_region in parts.values():
        for r, p in by_region.items():
            region_pop[r] = region_pop.get(r, 0.0) + p
    return region_pop


def _region_limits(
    region_caps: dict[str, float],
    region_margin: float,
    population: float,
    *,
    zones: tuple[str, ...],
    margin_zone: str | None,
    cap_rule: str,
) -> list[tuple[set[int], float]]:
    """(zone indices, limit in inhabitants) of one région's caps."""
    m = len(zones) - 1
    out = []
    running = 0.0
    for k in range(m):
        cap = region_caps.get(zones[k], math.inf)
        extra = region_margin if zones[k] == margin_zone else 0.0
        if cap_rule == "separate" or k == 0:
            out.append(({k}, cap + extra))
        else:
            out.append((set(range(k + 1)), running + cap))
        running += cap
    if zones[-1] in region_caps:
        out.append((set(range(m)), population - region_caps[zones[-1]]))
    return out
