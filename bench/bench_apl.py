"""APL (E2SFCA) benchmarks: aplcore beside the SciPy reference and PySAL ``access``.

Groups, for each size (``small``: the real communes of the Grand Est région, about 5 000;
``france``: the 34 895 real communes of France, 5.5 M pairs within 30 min, 2.4 M within 20; see
``bench/problems.py``):

* ``long-table``: APL from the shuffled long O-D table of integer positions;
* ``prepare``: building the travel-time matrix and the FCA weight matrices;
* ``resolve``: both steps again on prepared matrices for a new supply;
* ``batch-K``: K supply scenarios at once (K = 1, 16, 256).

Every group checks that the tools agree (relative 1e-9) before timing; Numba compilation happens
in the check, never in the timed calls. ``APLCORE_BENCH_SIZE=small`` runs the small size only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.apl import apl_from_arrays

from . import reference
from .peers import pysal_apl
from .problems import bench_sizes, real_communes

SIZES = bench_sizes()
RTOL = 1e-9


def assert_agree(ours: np.ndarray, theirs: np.ndarray) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-12)


@pytest.fixture(scope="module", params=list(SIZES), ids=list(SIZES))
def problem(request):
    return real_communes(SIZES[request.param])


@pytest.fixture(scope="module")
def prepared(problem):
    tt = aplcore.TravelTimes.from_arrays(
        problem.codes, problem.origin, problem.destination, problem.minutes
    )
    assert tt.codes.tolist() == problem.codes.tolist()  # positions are code order
    matrix = aplcore.prepare(tt)
    w = reference.weight_matrix(problem.origin, problem.destination, problem.minutes, problem.n)
    return tt, matrix, w, w.T.tocsr()


@pytest.fixture(scope="module")
def expected(problem):
    return reference.e2sfca_from_long(
        problem.origin, problem.destination, problem.minutes, problem.demand, problem.supply
    )


def _group(benchmark, name, problem):
    benchmark.group = f"{name} | {problem.name} ({problem.n_pairs:,} pairs)"
    benchmark.extra_info.update(n_communes=problem.n, n_pairs=problem.n_pairs)


# ------------------------------------------------------------------------------ long table
# Every tool of this group starts from the same long table of integer positions (origin,
# destination, minutes) and NumPy demand and supply. PySAL access takes DataFrames: it is
# compared in the "frame" group of bench_user_path.py, where every tool starts from the same
# DataFrame.
def test_long_table_aplcore_fused(benchmark, problem, expected):
    args = (problem.origin, problem.destination, problem.minutes, problem.demand, problem.supply)
    assert_agree(apl_from_arrays(*args)[0], expected)
    _group(benchmark, "long-table", problem)
    benchmark(apl_from_arrays, *args)


def test_long_table_scipy_reference(benchmark, problem, expected):
    _group(benchmark, "long-table", problem)
    args = (problem.origin, problem.destination, problem.minutes, problem.demand, problem.supply)
    benchmark.pedantic(reference.e2sfca_from_long, args=args, rounds=3, warmup_rounds=1)


def test_long_table_pysal_access_agrees(problem, expected):
    """PySAL access gives the same APL (not timed here: it starts from DataFrames)."""
    assert_agree(pysal_apl(problem), expected)


# ------------------------------------------------------------------------------ from TravelTimes
# aplcore's API from a prepared TravelTimes and validated pandas inputs: no peer starts there.
def test_travel_times_aplcore_compute_apl(benchmark, problem, prepared, expected):
    tt = prepared[0]
    demand = pd.Series(problem.demand, index=problem.codes)
    supply = pd.Series(problem.supply, index=problem.codes)
    assert_agree(aplcore.compute_apl(tt, demand=demand, supply=supply).apl_values, expected)
    _group(benchmark, "from-travel-times", problem)
    benchmark.extra_info["note"] = "from TravelTimes (validated pandas inputs)"
    benchmark(aplcore.compute_apl, tt, demand=demand, supply=supply)


# ------------------------------------------------------------------------------ prepare
def test_prepare_travel_times_from_arrays(benchmark, problem):
    _group(benchmark, "prepare", problem)
    args = (problem.codes, problem.origin, problem.destination, problem.minutes)
    benchmark.pedantic(aplcore.TravelTimes.from_arrays, args=args, rounds=3, warmup_rounds=1)


def test_prepare_weights(benchmark, problem, prepared):
    _group(benchmark, "prepare", problem)
    benchmark(aplcore.prepare, prepared[0])


# ------------------------------------------------------------------------------ resolve
def test_resolve_aplcore(benchmark, problem, prepared, expected):
    matrix = prepared[1]
    assert_agree(matrix.solve_arrays(problem.demand, problem.supply)[0], expected)
    _group(benchmark, "resolve", problem)
    benchmark(matrix.solve_arrays, problem.demand, problem.supply)


def test_resolve_scipy_reference(benchmark, problem, prepared, expected):
    _, _, w, w_t = prepared
    assert_agree(reference.resolve(w, w_t, problem.demand, problem.supply), expected)
    _group(benchmark, "resolve", problem)
    benchmark(reference.resolve, w, w_t, problem.demand, problem.supply)


# ------------------------------------------------------------------------------ batches
@pytest.fixture(scope="module", params=[1, 16, 256], ids=lambda k: f"K{k}")
def scenarios(request, problem):
    rng = np.random.default_rng(request.param)
    factors = rng.uniform(0.5, 1.5, (problem.n, request.param))
    return np.ascontiguousarray(problem.supply[:, None] * factors)


def test_batch_aplcore(benchmark, problem, prepared, scenarios):
    _, matrix, w, w_t = prepared
    ours = matrix.solve_batch_arrays(problem.demand, scenarios)
    k = min(4, scenarios.shape[1])
    assert_agree(ours[:, :k], reference.resolve_many(w, w_t, problem.demand, scenarios[:, :k]))
    _group(benchmark, f"batch-K{scenarios.shape[1]}", problem)
    benchmark(matrix.solve_batch_arrays, problem.demand, scenarios)


def test_batch_scipy_reference(benchmark, problem, prepared, scenarios):
    _, _, w, w_t = prepared
    _group(benchmark, f"batch-K{scenarios.shape[1]}", problem)
    rounds = 1 if scenarios.shape[1] > 16 else 3
    benchmark.pedantic(
        reference.resolve_many, args=(w, w_t, problem.demand, scenarios), rounds=rounds
    )
