"""Counting GP activity for many scenarios at once (the DREES rules, one pass per scenario).

The rules are those of :class:`aplcore.GPActivityRules`: each liberal GP's activity, summed over
the sites kept, counts 0 under ``zero_below``, ``floor`` up to it, itself up to ``cap``, ``cap``
above (a new installation counts ``new_activity``), split across the GP's sites in proportion to
the activity at each (equally when there is none); centres de santé count as recorded. The dense
reference is :meth:`aplcore.GPActivityRules.counted` (the scenario tests compare every scenario
with it). Scenarios are independent: they run in parallel, each summing in a fixed order.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit


@jit(parallel=True)
def count_gp_columns(
    gp_indptr,
    gp_rows,
    centre_rows,
    row_commune,
    activity,
    keep,
    new_install,
    sites,
    zero_below,
    floor,
    cap,
    new_activity,
    n_communes,
):
    """Supply per scenario and commune (``K × n_communes``) for activity and kept rows (K × rows).

    ``gp_rows[gp_indptr[g]:gp_indptr[g + 1]]`` are the liberal rows of GP ``g``; ``centre_rows``
    the rows of centres de santé. Each scenario (row of the output, which stays in cache while its
    practitioners are summed) is one task.
    """
    n_gp = gp_indptr.size - 1
    n_cols = activity.shape[0]
    out = np.zeros((n_cols, n_communes), np.float64)
    for k in prange(n_cols):
        acc = out[k]
        for g in range(n_gp):
            lo = gp_indptr[g]
            hi = gp_indptr[g + 1]
            total = 0.0
            kept = 0
            for p in range(lo, hi):
                r = gp_rows[p]
                if keep[k, r]:
                    total += activity[k, r]
                    kept += 1
            if kept == 0:
                continue
            if new_install[g]:
                counted = new_activity
            elif total < zero_below:
                counted = 0.0
            else:
                counted = min(max(total, floor), cap)
            for p in range(lo, hi):
                r = gp_rows[p]
                if keep[k, r]:
                    share = activity[k, r] / total if total > 0.0 else 1.0 / sites[g]
                    acc[row_commune[r]] += counted * share
        for p in range(centre_rows.size):
            r = centre_rows[p]
            if keep[k, r]:
                acc[row_commune[r]] += activity[k, r]
    return out
