"""Distance-decay weights evaluated inside kernels.

A decay is a kind id plus a float64 parameter vector (built by :mod:`aplcore.decay`), so that one
compiled kernel serves every decay and no Python callable is ever called per pair.

Parameter layouts (``closed`` is 0 for left-closed bands ``[a, b)``, 1 for right-closed ``(a, b]``;
it also decides whether the cut-off itself is inside the catchment):

* ``STEP``: ``[closed, m, e_1..e_m, v_1..v_m, 0]``; weight ``v_k`` on the k-th band, 0 beyond
  ``e_m``. The band is found without branches (the count of edges passed indexes the weights),
  since travel times arrive in random order and a branchy search mispredicts.
* ``LINEAR``: ``[closed, cutoff]``; ``1 - t / cutoff``.
* ``EXPONENTIAL``: ``[closed, cutoff, beta]``; ``exp(-beta t)``.
* ``GAUSSIAN``: ``[closed, cutoff, sigma]``; ``exp(-t² / (2 sigma²))``.
* ``POWER``: ``[closed, cutoff, beta, t0]``; ``1`` for ``t <= t0``, else ``(t / t0) ** -beta``.
* ``IDENTITY``: ``[]``; returns the time itself (used to move times around unchanged).

Times that are NaN or infinite get weight 0 (infinity marks an unreachable pair).
"""

from __future__ import annotations

import math

from ._jit import inline

IDENTITY = -1
STEP = 0
LINEAR = 1
EXPONENTIAL = 2
GAUSSIAN = 3
POWER = 4


@inline
def within(t, edge, closed):
    """Whether time ``t`` lies before ``edge`` under the band-closure convention."""
    if closed == 0:
        return t < edge
    return t <= edge


@inline
def step_band(t, params):
    """Index of the band of ``t`` in a step decay (``m`` beyond the last edge)."""
    m = int(params[1])
    band = 0
    if params[0] == 0.0:
        for k in range(m):
            band += t >= params[2 + k]
    else:
        for k in range(m):
            band += t > params[2 + k]
    return band


@inline
def decay_value(t, kind, params):
    """Weight of a pair ``t`` minutes apart for the decay ``(kind, params)``."""
    if kind == IDENTITY:
        return t
    if not (t >= 0.0 and t < math.inf):
        return 0.0
    closed = params[0]
    if kind == STEP:
        return params[2 + int(params[1]) + step_band(t, params)]
    cutoff = params[1]
    if not within(t, cutoff, closed):
        return 0.0
    if kind == LINEAR:
        return 1.0 - t / cutoff
    if kind == EXPONENTIAL:
        return math.exp(-params[2] * t)
    if kind == GAUSSIAN:
        sigma = params[2]
        return math.exp(-(t * t) / (2.0 * sigma * sigma))
    if kind == POWER:
        t0 = params[3]
        if t <= t0:
            return 1.0
        return (t / t0) ** (-params[2])
    return 0.0
