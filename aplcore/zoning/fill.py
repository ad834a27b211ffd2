"""The capped fill: territories taken by ascending APL into zones while every cap holds.

Arrays only (no pandas); :func:`aplcore.zoning.classify_zones` prepares them. A territory has one
"part" per région where it has residents; a part's population counts against that région's caps.
"""

from __future__ import annotations

import numpy as np

from .caps import Constraint

__all__ = ["CAPPED", "MANDATORY", "RESIDUAL", "capped_fill", "fill_order"]

#: Selection codes returned by :func:`capped_fill`.
MANDATORY, CAPPED, RESIDUAL = 0, 1, 2

# Populations are counts; this absorbs float rounding of sums of integers given as floats.
_TOLERANCE = 1e-6


def fill_order(apl: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Positions of territories by ascending APL, then descending population, then position.

    Territories are given sorted by code, so the last key is the territory code. NaN APL last.
    """
    positions = np.arange(apl.size)
    return np.lexsort((positions, -population, apl))


def capped_fill(  # noqa: PLR0913 - public entry point, keyword options
    apl: np.ndarray,
    population: np.ndarray,
    part_indptr: np.ndarray,
    part_region: np.ndarray,
    part_population: np.ndarray,
    *,
    thresholds: np.ndarray,
    constraints: list[Constraint],
    mandatory_threshold: float | None = None,
    fill_rule: str = "stop",
    decider: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Assign each territory a zone index (``len(thresholds)`` is the residual zone).

    Parameters
    ----------
    apl, population
        Per territory (sorted by code): APL (NaN allowed: never eligible) and total population.
    part_indptr, part_region, part_population
        CSR of the territory parts: for territory ``t``, régions
        ``part_region[part_indptr[t]:part_indptr[t + 1]]`` and their residents.
    thresholds
        APL eligibility threshold of each non-residual zone.
    constraints
        Population limits per région (see :func:`aplcore.zoning.caps.build_constraints`).
    mandatory_threshold
        APL at or under which a territory takes zone 0 regardless of caps.
    fill_rule
        ``"stop"``: the first eligible territory that does not fit closes the zone in the
        région(s) that judge it (see ``decider``); ``"skip"``: it is passed over and the next
        ones are tried (fills caps more fully, but a territory can then get a better zone than
        one with a lower APL).
    decider
        Per territory, the région that decides its zone (the one holding the largest share of
        its residents). Only that région's caps decide whether it fits and only that région's
        zone closes; every part still counts against its own région's caps. None: every région
        where the territory has residents must have room.

    Returns
    -------
    zone : numpy.ndarray
        Zone index per territory.
    selection : numpy.ndarray
        :data:`MANDATORY`, :data:`CAPPED` or :data:`RESIDUAL` per territory.
    """
    n = apl.size
    m = thresholds.size
    zone = np.full(n, m, dtype=np.int64)
    selection = np.full(n, RESIDUAL, dtype=np.int64)
    n_regions = int(part_region.max()) + 1 if part_region.size else 1
    tally = np.zeros((len(constraints), n_regions), dtype=np.float64)
    limits = (
        np.vstack([c.limits for c in constraints])
        if constraints
        else np.zeros((0, n_regions), dtype=np.float64)
    )
    touches = [np.array([k in c.zones for c in constraints], dtype=bool) for k in range(m)]
    counts_mandatory = np.array([not c.exclude_mandatory for c in constraints], dtype=bool)
    order = fill_order(apl, population)
    stop = fill_rule == "stop"

    def add(t: int, k: int) -> None:
        lo, hi = part_indptr[t], part_indptr[t + 1]
        regs, pops = part_region[lo:hi], part_population[lo:hi]
        for c in np.flatnonzero(touches[k] & counts_mandatory):
            tally[c, regs] += pops

    if mandatory_threshold is not None and m > 0:
        for t in order:
            if not apl[t] <= mandatory_threshold:
                break
            zone[t] = 0
            selection[t] = MANDATORY
            add(t, 0)

    for k in range(m):
        closed = np.zeros(n_regions, dtype=bool)
        rows = np.flatnonzero(touches[k])
        threshold = thresholds[k]
        for t in order:
            if zone[t] != m:
                continue
            if not apl[t] <= threshold:
                break
            lo, hi = part_indptr[t], part_indptr[t + 1]
            regs, pops = part_region[lo:hi], part_population[lo:hi]
            deciding = regs if decider is None else np.array([decider[t]])
            if closed[deciding].any():
                closed[deciding] = True
                continue
            after = tally[np.ix_(rows, regs)] + pops
            judged = np.isin(regs, deciding)
            fits = bool((after[:, judged] <= limits[np.ix_(rows, regs[judged])] + _TOLERANCE).all())
            if fits:
                zone[t] = k
                selection[t] = CAPPED
                tally[np.ix_(rows, regs)] = after
            elif stop:
                closed[deciding] = True
    return zone, selection
