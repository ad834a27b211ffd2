"""Counter-based random numbers: each value a pure function of (seed, draw, index).

A Monte Carlo draw needs one random factor per practitioner. Drawing them from a sequential
generator ties each value to the order in which values are produced (one stream per draw, filled
before use). Here the value for practitioner ``i`` of draw ``d`` under ``seed`` is computed
directly, wherever it is needed (inside the counting kernel, by any thread, on any Dask worker),
so a result never depends on the block of draws, the number of threads or the machine.

The generator is SplitMix64 (Steele, Lea & Flood, *Fast splittable pseudorandom number
generators*, OOPSLA 2014; the 64-bit finaliser is Stafford's "Mix13"), whose ``n``-th output
from state ``s`` is ``mix64(s + n·γ)``, ``γ = 0x9E3779B97F4A7C15``:

* the key of draw ``d`` is output ``d + 1`` of SplitMix64 started from output 1 of SplitMix64
  started from ``seed``: ``key = mix64(mix64(seed + γ) + (d + 1)·γ)``;
* practitioner ``i`` takes output ``i + 1`` of SplitMix64 started from the key:
  ``raw = mix64(key + (i + 1)·γ)``; the rare extra values a rejection needs continue
  SplitMix64 from that output (``mix64(raw + γ)``, then the next).

A standard normal is made from ``raw`` by the 256-layer ziggurat of Marsaglia & Tsang (*The
ziggurat method for generating random variables*, J. Stat. Softw. 5(8), 2000), with NumPy's
64-bit layout: bits 0–7 pick the layer, bit 8 the sign, bits 9–60 the abscissa; the tail beyond
``r = 3.6541528853610088`` by Marsaglia's exponential method. About 99 % of the values need one
output and one multiplication. The layer tables are computed below with Marsaglia & Tsang's
recurrence (plain IEEE double arithmetic, the same on every machine).

Uniforms on ``(0, 1]`` are ``((raw >> 11) + 1) / 2**53``. Kernels here use plain IEEE arithmetic
(no fast-math contraction), so a Python reference of the same formula
(``tests/test_random.py``) gives the same bits.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from ._jit import cache_enabled, jit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S8 = np.uint64(8)
_S9 = np.uint64(9)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_BYTE = np.uint64(0xFF)
_MANTISSA = np.uint64((1 << 52) - 1)

#: Ziggurat: right edge of the base layer and area of each of the 256 layers.
ZIGGURAT_R = 3.6541528853610088
ZIGGURAT_V = 4.92867323399e-3
_TWO52 = float(1 << 52)
_INV53 = 1.0 / float(1 << 53)


def ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer tables ``(k, w, f)`` of the 256-layer ziggurat (Marsaglia & Tsang's ``zigset``).

    Layer ``i >= 1`` spans ``[0, x_i)`` with ``x_255 = r`` and ``x_i`` decreasing; a 52-bit
    abscissa ``a`` gives ``x = a · w[i]``, accepted at once when ``a < k[i]`` (``x < x_{i-1}``);
    ``f[i] = exp(-x_i² / 2)``. Layer 0 is the base strip with the tail beyond ``r``.
    """
    k = np.zeros(256, np.uint64)
    w = np.zeros(256)
    f = np.zeros(256)
    dn = tn = ZIGGURAT_R
    q = ZIGGURAT_V / math.exp(-0.5 * dn * dn)
    k[0] = np.uint64(int(dn / q * _TWO52))
    k[1] = np.uint64(0)
    w[0] = q / _TWO52
    w[255] = dn / _TWO52
    f[0] = 1.0
    f[255] = math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(ZIGGURAT_V / dn + math.exp(-0.5 * dn * dn)))
        k[i + 1] = np.uint64(int(dn / tn * _TWO52))
        tn = dn
        f[i] = math.exp(-0.5 * dn * dn)
        w[i] = dn / _TWO52
    return k, w, f


ZIG_K, ZIG_W, ZIG_F = ziggurat_tables()


def exact_inline(func):
    """A device function inlined into its callers, with plain IEEE arithmetic (no fast-math
    contraction: the same bits as a Python reference of the same formula)."""
    return numba.njit(inline="always", cache=cache_enabled(), fastmath=False)(func)


@exact_inline
def mix64(z):
    """SplitMix64's finaliser (Stafford's Mix13) of a uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@exact_inline
def draw_key(seed, draw):
    """The key of draw ``draw`` under ``seed`` (uint64 each)."""
    return mix64(mix64(seed + GAMMA) + (draw + _ONE) * GAMMA)


@exact_inline
def uniform(raw):
    """A uniform on ``(0, 1]`` from a uint64."""
    return float((raw >> _S11) + _ONE) * _INV53


@exact_inline
def standard_normal(key, index):
    """The standard normal of ``index`` (uint64) in the stream of ``key``."""
    raw = mix64(key + (index + _ONE) * GAMMA)
    while True:
        layer = np.intp(raw & _BYTE)
        negative = (raw >> _S8) & _ONE
        a = (raw >> _S9) & _MANTISSA
        x = float(a) * ZIG_W[layer]
        if a < ZIG_K[layer]:
            return -x if negative else x
        if layer == 0:  # the tail beyond r
            while True:
                raw = mix64(raw + GAMMA)
                xx = -math.log(uniform(raw)) / ZIGGURAT_R
                raw = mix64(raw + GAMMA)
                yy = -math.log(uniform(raw))
                if yy + yy >= xx * xx:
                    x = ZIGGURAT_R + xx
                    return -x if negative else x
        raw = mix64(raw + GAMMA)
        y = ZIG_F[layer] + uniform(raw) * (ZIG_F[layer - 1] - ZIG_F[layer])
        if y < math.exp(-0.5 * x * x):
            return -x if negative else x
        raw = mix64(raw + GAMMA)


@exact_inline
def lognormal_factor(key, index, sigma, shift):
    """``exp(sigma · z + shift)`` for the standard normal ``z`` of ``index`` under ``key``."""
    return math.exp(sigma * standard_normal(key, index) + shift)


@exact_inline
def fill_lognormal_factors(keys, index, sigma, shift, out):
    """``out[k] = lognormal_factor(keys[k], index, sigma[k], shift[k])`` (1 where ``sigma[k]``
    is 0), the same bits: the ziggurat's one-output path for every ``k`` first (a loop without
    branches, which the compiler vectorises), the rare rejections then, the exponentials last."""
    step = (index + _ONE) * GAMMA
    rejected = 0
    for k in range(keys.size):
        raw = mix64(keys[k] + step)
        layer = np.intp(raw & _BYTE)
        a = (raw >> _S9) & _MANTISSA
        x = float(a) * ZIG_W[layer]
        out[k] = -x if (raw >> _S8) & _ONE else x
        rejected += a >= ZIG_K[layer]
    if rejected:
        for k in range(keys.size):
            raw = mix64(keys[k] + step)
            if (raw >> _S9) & _MANTISSA >= ZIG_K[np.intp(raw & _BYTE)]:
                out[k] = standard_normal(keys[k], index)
    for k in range(keys.size):
        out[k] = math.exp(sigma[k] * out[k] + shift[k]) if sigma[k] != 0.0 else 1.0


@jit(fastmath=False)
def draw_keys(seeds, draws):
    """The key of each draw: ``draw_key(seeds[k], draws[k])`` (uint64 arrays)."""
    out = np.empty(draws.size, np.uint64)
    for k in range(draws.size):
        out[k] = draw_key(seeds[k], draws[k])
    return out


@jit(parallel=True, fastmath=False)
def standard_normals(key, n):
    """The first ``n`` standard normals of the stream of ``key`` (indices ``0 … n - 1``)."""
    out = np.empty(n, np.float64)
    for i in prange(n):
        out[i] = standard_normal(key, np.uint64(i))
    return out


@jit(parallel=True, fastmath=False)
def lognormal_factors(key, n, sigma, shift):
    """``exp(sigma · z_i + shift)`` for the first ``n`` normals of the stream of ``key``."""
    out = np.empty(n, np.float64)
    for i in prange(n):
        out[i] = lognormal_factor(key, np.uint64(i), sigma, shift)
    return out
