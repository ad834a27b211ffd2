"""Plain-Python reference of the capped fill, for exact comparison with aplcore.zoning.

Written without NumPy or pandas: tallies are recomputed from scratch for every decision.
"""

from __future__ import annotations

import math


def reference_fill(
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
    region_pop: dict[str, float] = {}
    for by_region in parts.values():
        for r, p in by_region.items():
            region_pop[r] = region_pop.get(r, 0.0) + p

    # constraints per région: list of (set of zone indices, limit)
    limits: dict[str, list[tuple[set[int], float]]] = {}
    for r in region_pop:
        rc = caps.get(r, {})
        out = []
        running = 0.0
        for k in range(m):
            cap = rc.get(zones[k], math.inf)
            extra = margin.get(r, 0.0) if zones[k] == margin_zone else 0.0
            if margin_rule == "inside":
                extra = 0.0
            if cap_rule == "separate" or k == 0:
                out.append(({k}, cap + extra))
            else:
                out.append((set(range(k + 1)), running + cap))
            running += cap
        if zones[-1] in rc:
            out.append((set(range(m)), region_pop[r] - rc[zones[-1]]))
        limits[r] = out

    def pop_of(t: str) -> float:
        return sum(parts[t].values())

    ranked = sorted(
        (t for t in territory_apl if not math.isnan(territory_apl[t])),
        key=lambda t: (territory_apl[t], -pop_of(t), t),
    )
    zone: dict[str, int] = {}

    def used(r: str, members: set[int]) -> float:
        return sum(parts[u].get(r, 0.0) for u, z in zone.items() if z in members)

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
            fits = all(
                used(decider, members) + parts[t][decider] <= limit + 1e-6
                for members, limit in limits[decider]
                if k in members
            )
            if fits:
                zone[t] = k
            elif fill_rule == "stop":
                closed.add(decider)
    return {t: zones[zone.get(t, m)] for t in territory_apl}
