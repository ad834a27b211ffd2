"""The counter-based generator of the Monte Carlo draws against a plain Python reference.

The reference below re-implements the formula of :mod:`aplcore.kernels.random` with Python
integers (masked to 64 bits) and :mod:`math`: the kernels must give the same bits. The draws
must also be standard normal (moments, Kolmogorov–Smirnov), and each value a function of
``(seed, draw, index)`` alone: the same whatever the block of draws, the number of threads or
the order of computation.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from aplcore.kernels import random as kr
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from aplcore.scenarios import ActivityNoise

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def key_of(seed: int, draw: int) -> int:
    return mix64((mix64((seed + GAMMA) & MASK) + (draw + 1) * GAMMA) & MASK)


def uniform(raw: int) -> float:
    return float((raw >> 11) + 1) / 2.0**53


def normal(key: int, index: int) -> float:
    """Marsaglia & Tsang's ziggurat on SplitMix64 outputs, written out plainly."""
    k, w, f = kr.ziggurat_tables()
    raw = mix64((key + (index + 1) * GAMMA) & MASK)

    def following(value: int) -> int:
        return mix64((value + GAMMA) & MASK)

    while True:
        layer, negative, a = raw & 0xFF, (raw >> 8) & 1, (raw >> 9) & ((1 << 52) - 1)
        x = float(a) * float(w[layer])
        if a < int(k[layer]):
            return -x if negative else x
        if layer == 0:
            while True:
                raw = following(raw)
                xx = -math.log(uniform(raw)) / kr.ZIGGURAT_R
                raw = following(raw)
                yy = -math.log(uniform(raw))
                if yy + yy >= xx * xx:
                    return -(kr.ZIGGURAT_R + xx) if negative else kr.ZIGGURAT_R + xx
        raw = following(raw)
        if float(f[layer]) + uniform(raw) * float(f[layer - 1] - f[layer]) < math.exp(-0.5 * x * x):
            return -x if negative else x
        raw = following(raw)


def test_tables_are_a_ziggurat():
    """Layers of equal area: the recurrence closes on the top layer (x_1 > 0, f[0] = 1)."""
    k, w, f = kr.ziggurat_tables()
    x = w[1:] * 2.0**52  # right edges x_1 … x_255
    assert (np.diff(x) > 0).all()
    assert x[-1] == kr.ZIGGURAT_R
    assert (np.diff(f[1:]) < 0).all()
    assert f[0] == 1.0
    areas = x[1:] * (f[1:-1] - f[2:])  # rectangles between consecutive layers
    np.testing.assert_allclose(areas, kr.ZIGGURAT_V, rtol=1e-9)
    # the top layer: a rectangle of width x_1 and height 1 - f(x_1) holds the same area
    np.testing.assert_allclose(x[0] * (1.0 - f[1]), kr.ZIGGURAT_V, rtol=1e-6)
    assert k[1] == 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_keys_equal_the_reference(seed, draw):
    found = kr.draw_keys(np.array([seed], np.uint64), np.array([draw], np.uint64))[0]
    assert int(found) == key_of(seed, draw)
    assert ActivityNoise(0.1, seed, draw).key == found


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 1000), st.floats(0.0, 2.0))
@example(0, 0, 1.6059821808527697)  # NumPy's log1p and the C library's differ in the last bit
def test_kernels_equal_the_reference_bit_for_bit(seed, draw, cv):
    n = 3000  # about 35 of the 3000 take a wedge or tail path
    noise = ActivityNoise(cv, seed, draw)
    key = key_of(seed, draw)
    expected = [normal(key, i) for i in range(n)]
    found = kr.standard_normals(np.uint64(key), n)
    assert found.tolist() == expected
    factors = noise.factors(n)
    sigma = math.sqrt(math.log1p(cv * cv))
    if sigma == 0.0:
        assert (factors == 1.0).all()
    else:
        shift = -0.5 * sigma**2
        assert factors.tolist() == [math.exp(sigma * z + shift) for z in expected]


def test_the_rare_paths_equal_the_reference():
    """Indices whose first output falls in the base layer beyond r (the tail) or in a wedge."""
    key = key_of(5, 0)
    raws = [mix64((key + (i + 1) * GAMMA) & MASK) for i in range(200_000)]
    k, _, _ = kr.ziggurat_tables()
    rejected = [i for i, r in enumerate(raws) if (r >> 9) & ((1 << 52) - 1) >= k[r & 0xFF]]
    tail = [i for i in rejected if raws[i] & 0xFF == 0]
    wedge = [i for i in rejected if raws[i] & 0xFF]
    assert len(tail) >= 3
    assert len(wedge) >= 500
    found = kr.standard_normals(np.uint64(key), 200_000)
    for i in tail + wedge[:500]:
        assert found[i] == normal(key, i)
    assert (np.abs(found[tail]) >= kr.ZIGGURAT_R).all()


def test_draws_are_standard_normal():
    z = kr.standard_normals(kr.draw_keys(np.array([2026], np.uint64), np.array([0], np.uint64))[0],
                            1_000_000)  # fmt: skip
    # bounds at about 5 standard errors of each estimate: a biased generator fails them
    assert abs(z.mean()) < 5 / 1000
    assert abs(z.var() - 1) < 5 * math.sqrt(2) / 1000
    assert abs(stats.skew(z)) < 5 * math.sqrt(6) / 1000
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24) / 1000
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # the tails too: the share beyond 3 and 4 standard deviations
    for edge in (3.0, 4.0):
        p = 2 * stats.norm.sf(edge)
        assert abs((np.abs(z) > edge).mean() - p) < 5 * math.sqrt(p / 1e6)


def test_draws_are_independent_across_draws_and_seeds():
    """Normals of consecutive draws (and of two seeds) are uncorrelated, and normal together."""
    keys = kr.draw_keys(np.array([0, 0, 1], np.uint64), np.array([0, 1, 0], np.uint64))
    a, b, c = (kr.standard_normals(key, 200_000) for key in keys)
    for x, y in ((a, b), (a, c), (a[1:], a[:-1])):
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 / math.sqrt(200_000)
    assert stats.kstest((a + b) / math.sqrt(2), "norm").pvalue > 1e-3


def test_factors_are_log_normal_of_mean_one():
    noise = ActivityNoise(0.1, seed=1, draw=0)
    f = noise.factors(500_000)
    assert abs(f.mean() - 1) < 5 * 0.1 / math.sqrt(500_000)
    assert abs(f.std() / f.mean() - 0.1) < 1e-3
    assert stats.kstest(np.log(f), "norm", args=(noise.shift, noise.sigma)).pvalue > 1e-3


def test_values_do_not_depend_on_threads_or_length():
    key = kr.draw_keys(np.array([9], np.uint64), np.array([4], np.uint64))[0]
    full = kr.lognormal_factors(key, 100_000, 0.3, -0.045)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = kr.lognormal_factors(key, 100_000, 0.3, -0.045)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(full, one)
    assert np.array_equal(kr.lognormal_factors(key, 777, 0.3, -0.045), full[:777])


def test_seeds_reproduce_and_differ():
    a = ActivityNoise(0.1, seed=1, draw=3).factors(1000)
    assert np.array_equal(a, ActivityNoise(0.1, seed=1, draw=3).factors(1000))
    assert not np.array_equal(a, ActivityNoise(0.1, seed=2, draw=3).factors(1000))
    assert not np.array_equal(a, ActivityNoise(0.1, seed=1, draw=4).factors(1000))


@pytest.mark.parametrize("bad", [-1, 2**64, 1.5])
def test_seeds_out_of_range_are_refused(bad):
    from aplcore.errors import ParameterError

    with pytest.raises(ParameterError, match=r"ActivityNoise.seed must be a whole number"):
        ActivityNoise(0.1, seed=bad)


def test_the_counting_kernels_factors_are_the_same_bits():
    """The factors the supply kernel fills for a row (one practitioner, every draw of a block)
    are those of lognormal_factors (one draw, every practitioner), rejections included."""
    keys = kr.draw_keys(np.full(40, 11, np.uint64), np.arange(40, dtype=np.uint64))
    sigma = np.linspace(0.0, 1.5, 40)
    shift = -0.5 * sigma**2
    n = 3000
    by_draw = np.vstack([kr.lognormal_factors(keys[k], n, sigma[k], shift[k]) for k in range(40)])
    by_draw[0] = 1.0  # sigma 0: no noise
    out = np.empty(40)
    for i in range(n):
        kr.fill_lognormal_factors(keys, np.uint64(i), sigma, shift, out)
        assert np.array_equal(out, by_draw[:, i])
