"""Vectorised evaluation of a decay over an array of times."""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit
from .decay import decay_value


@jit(parallel=True)
def evaluate(minutes, kind, params):
    """Weight of every time in ``minutes`` (float64) under the decay ``(kind, params)``."""
    out = np.empty(minutes.size, np.float64)
    for k in prange(minutes.size):
        out[k] = decay_value(minutes[k], kind, params)
    return out
