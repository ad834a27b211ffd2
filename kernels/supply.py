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
from .random import exact_inline, fill_lognormal_factors


@exact_inline
def _counted(total, is_new, zero_below, floor, cap, new_activity):
    """Counted activity of a GP from the total of its kept rows: a new installation counts
    ``new_activity``; below ``zero_below``, nothing; else the total within [floor, cap]."""
    if is_new:
        return new_activity
    if total < zero_below:
        return 0.0
    return min(max(total, floor), cap)


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
            counted = _counted(total, new_install[g], zero_below, floor, cap, new_activity)
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


@jit(parallel=True, fastmath=False)
def count_gp_noise(
    gp_indptr,
    gp_rows,
    commune_indptr,
    commune_rows,
    row_gp,
    bounded,
    activity,
    keys,
    sigma,
    shift,
    keep,
    keep_of,
    new_install,
    sites,
    zero_below,
    floor,
    cap,
    new_activity,
):
    """Supply per commune and scenario (``n_communes × K``, the solver's layout) when scenario
    ``k`` multiplies the activity of practitioner ``g`` by the log-normal factor
    ``exp(sigma[k] · z + shift[k])`` of :func:`aplcore.kernels.random.lognormal_factor`
    (``z``: normal ``g`` of the stream ``keys[k]``; factor 1 where ``sigma[k]`` is 0) and keeps
    the rows ``keep[keep_of[k]]``.

    The values equal :func:`count_gp_columns` on ``activity * factors[row_gp].T``, summed in the
    same order, without building that matrix: each factor is computed where it is used, from
    its counter alone, so no practitioner × scenario array of factors exists. One task per
    commune (a gather): the rows of commune ``j``, ``commune_rows[commune_indptr[j]:
    commune_indptr[j + 1]]``, are listed in the order :func:`count_gp_columns` adds them (liberal
    rows practitioner by practitioner, then centres de santé); each liberal row sums its
    practitioner's kept rows again (most have one site), which costs less than storing the sums
    of every practitioner and scenario. Plain IEEE arithmetic (no fused multiply-add), so each
    value is the one NumPy would compute.
    """
    n_cols = keys.size
    n_communes = commune_indptr.size - 1
    out = np.zeros((n_communes, n_cols), np.float64)
    one_mask = True  # every scenario keeps the same rows (Monte Carlo draws)
    for k in range(n_cols):
        if keep_of[k] != keep_of[0]:
            one_mask = False
    for j in prange(n_communes):
        acc = out[j]
        factor = np.empty(n_cols, np.float64)
        for p in range(commune_indptr[j], commune_indptr[j + 1]):
            r = commune_rows[p]
            g = row_gp[r]
            if one_mask and not keep[keep_of[0], r]:
                continue
            fill_lognormal_factors(keys, np.uint64(g), sigma, shift, factor)
            a = activity[r]
            lo = gp_indptr[g]
            hi = gp_indptr[g + 1]
            if one_mask and not bounded[r]:  # centre de santé: counted as recorded
                for k in range(n_cols):
                    acc[k] += a * factor[k]
            elif one_mask and hi - lo == 1:
                # one site: the share of the counted activity is a / a (or 1 / 1 without
                # activity), exactly 1, so the counted activity is added as it is (same bits)
                if new_install[g]:
                    for k in range(n_cols):
                        acc[k] += new_activity
                else:
                    for k in range(n_cols):
                        total = a * factor[k]
                        counted = min(max(total, floor), cap)
                        acc[k] += 0.0 if total < zero_below else counted
            else:
                _count_row(
                    r, g, lo, hi, a, factor, gp_rows, bounded, activity, keep, keep_of,
                    new_install, sites, zero_below, floor, cap, new_activity, acc,
                )  # fmt: skip
    return out


@exact_inline
def _count_row(r, g, lo, hi, a, factor, gp_rows, bounded, activity, keep, keep_of, new_install,
               sites, zero_below, floor, cap, new_activity, acc):  # fmt: skip
    """Row ``r`` of practitioner ``g`` added to every scenario's supply, whatever its masks."""
    for k in range(factor.size):
        m = keep_of[k]
        if not keep[m, r]:
            continue
        f = factor[k]
        if not bounded[r]:
            acc[k] += a * f
            continue
        total = 0.0
        for q in range(lo, hi):
            s = gp_rows[q]
            if keep[m, s]:
                total += activity[s] * f
        counted = _counted(total, new_install[g], zero_below, floor, cap, new_activity)
        share = a * f / total if total > 0.0 else 1.0 / sites[g]
        acc[k] += counted * share
