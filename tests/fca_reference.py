"""Dense, obviously correct NumPy references for the kernels (small inputs only)."""

from __future__ import annotations

import numpy as np


def dense_times(n: int, origin, destination, minutes) -> np.ndarray:
    """n × n matrix of times, inf where no pair is given."""
    t = np.full((n, n), np.inf)
    t[np.asarray(origin), np.asarray(destination)] = np.asarray(minutes, dtype=float)
    return t


def step_weights(t: np.ndarray, edges, weights, closed: str = "left") -> np.ndarray:
    """Step decay by explicit band comparisons."""
    w = np.zeros_like(t, dtype=float)
    lower = -np.inf
    for edge, weight in zip(edges, weights, strict=True):
        if closed == "left":
            in_band = (t >= lower) & (t < edge) if lower > -np.inf else (t >= 0) & (t < edge)
        else:
            in_band = (t > lower) & (t <= edge) if lower > -np.inf else (t >= 0) & (t <= edge)
        w[in_band] = weight
        lower = edge
    return w


def drees_weights(t: np.ndarray, closed: str = "left") -> np.ndarray:
    """The DREES GP decay: 1 / 2/3 / 1/3 / 0 at 10 / 15 / 20 minutes."""
    return step_weights(t, (10, 15, 20), (1.0, 2.0 / 3.0, 1.0 / 3.0), closed)


def _ratio(supply: np.ndarray, weighted_demand: np.ndarray) -> np.ndarray:
    out = np.zeros_like(supply, dtype=float)
    positive = weighted_demand > 0
    out[positive] = supply[positive] / weighted_demand[positive]
    return out


def fca_dense(w: np.ndarray, demand: np.ndarray, supply: np.ndarray, method: str) -> np.ndarray:
    """Accessibility by every FCA method, from the dense weight matrix ``w[i, j]``.

    Written from the papers' formulas, not from aplcore's factorisation.
    """
    w = np.asarray(w, dtype=float)
    if method == "e2sfca":
        r = _ratio(supply, w.T @ demand)
        return w @ r
    if method == "2sfca":
        b = (w > 0).astype(float)
        r = _ratio(supply, b.T @ demand)
        return b @ r
    if method == "m2sfca":
        r = _ratio(supply, w.T @ demand)
        return (w * w) @ r
    row_sums = w.sum(axis=1, keepdims=True)
    g = np.divide(w, row_sums, out=np.zeros_like(w), where=row_sums > 0)
    if method == "3sfca":
        gw = g * w
        r = _ratio(supply, gw.T @ demand)
        return gw @ r
    if method == "bfca":
        col_sums = w.sum(axis=0, keepdims=True)
        h = np.divide(w, col_sums, out=np.zeros_like(w), where=col_sums > 0)
        r = _ratio(supply, g.T @ demand)
        return h @ r
    raise ValueError(method)
