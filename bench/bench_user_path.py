"""The user's path to the APL: from their file or DataFrame of string codes to the result.

Every tool in a group starts from the same input (``bench/user_path.py``: the problem's O-D
table as pandas' default string dtype, as Parquet and as CSV; demand and supply Series by code)
and ends with the APL of every commune:

* ``user path | Parquet file``: ``travel_times_from_table`` + ``compute_apl``, beside the naive
  pyarrow + NumPy script (``reference.naive_apl_from_parquet``, no checks: the floor);
* ``user path | pandas DataFrame``: ``TravelTimes.from_frame`` + ``compute_apl``, beside PySAL
  ``access``, the plain SciPy implementation (codes looked up by pandas) and the naive script;
* ``user path | CSV file``: ``travel_times_from_table`` + ``compute_apl``, beside
  ``pyarrow.csv.read_csv`` parsing the file alone;
* ``user path | solve``: ``AccessibilityMatrix.solve`` with pandas Series beside
  ``solve_arrays`` on the same data (step 1 over every commune in both).

Every tool's APL is checked against the SciPy reference (relative 1e-9) before timing; Numba
compilation happens in the checks.
"""

from __future__ import annotations

import numpy as np
import pyarrow.csv as pacsv
import pytest

import aplcore

from . import reference
from .peers import pysal_e2sfca
from .problems import bench_sizes, real_communes
from .user_path import user_inputs

SIZES = bench_sizes()
RTOL = 1e-9


@pytest.fixture(scope="module", params=list(SIZES), ids=list(SIZES))
def problem(request):
    return real_communes(SIZES[request.param])


@pytest.fixture(scope="module")
def inputs(problem, tmp_path_factory):
    return user_inputs(problem, tmp_path_factory.mktemp("user-path"))


@pytest.fixture(scope="module")
def expected(problem):
    return reference.e2sfca_from_long(
        problem.origin, problem.destination, problem.minutes, problem.demand, problem.supply
    )


def agree(ours, expected) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=float), expected, rtol=RTOL, atol=1e-12)


def _group(benchmark, name, problem):
    benchmark.group = f"user path | {name} | {problem.name} ({problem.n_pairs:,} pairs)"
    benchmark.extra_info.update(n_communes=problem.n, n_pairs=problem.n_pairs)


def apl_from_parquet(inputs):
    tt = aplcore.travel_times_from_table(inputs.parquet, max_minutes=None, intra_minutes=None)
    return aplcore.compute_apl(tt, demand=inputs.demand, supply=inputs.supply).apl_values


def apl_from_csv(inputs):
    tt = aplcore.travel_times_from_table(inputs.csv, max_minutes=None, intra_minutes=None)
    return aplcore.compute_apl(tt, demand=inputs.demand, supply=inputs.supply).apl_values


def apl_from_frame(inputs):
    tt = aplcore.TravelTimes.from_frame(inputs.frame)
    return aplcore.compute_apl(tt, demand=inputs.demand, supply=inputs.supply).apl_values


def _arrays(problem, inputs):
    return inputs.codes, problem.demand, problem.supply


# ------------------------------------------------------------------------------ Parquet file
def test_parquet_aplcore(benchmark, problem, inputs, expected):
    agree(apl_from_parquet(inputs), expected)
    _group(benchmark, "Parquet file", problem)
    benchmark.pedantic(apl_from_parquet, args=(inputs,), rounds=5, warmup_rounds=1)


def test_parquet_naive_pyarrow_numpy(benchmark, problem, inputs, expected):
    args = (inputs.parquet, *_arrays(problem, inputs))
    agree(reference.naive_apl_from_parquet(*args), expected)
    _group(benchmark, "Parquet file", problem)
    benchmark.pedantic(reference.naive_apl_from_parquet, args=args, rounds=5, warmup_rounds=1)


# ------------------------------------------------------------------------------ DataFrame
def test_frame_aplcore(benchmark, problem, inputs, expected):
    assert str(inputs.frame["origin"].dtype) == "str"
    agree(apl_from_frame(inputs), expected)
    _group(benchmark, "pandas DataFrame", problem)
    benchmark.pedantic(apl_from_frame, args=(inputs,), rounds=5, warmup_rounds=1)


def test_frame_naive_pyarrow_numpy(benchmark, problem, inputs, expected):
    args = (inputs.frame, *_arrays(problem, inputs))
    agree(reference.naive_apl_from_frame(*args), expected)
    _group(benchmark, "pandas DataFrame", problem)
    benchmark.pedantic(reference.naive_apl_from_frame, args=args, rounds=5, warmup_rounds=1)


def test_frame_scipy_reference(benchmark, problem, inputs, expected):
    args = (inputs.frame, *_arrays(problem, inputs))
    agree(reference.scipy_apl_from_frame(*args), expected)
    _group(benchmark, "pandas DataFrame", problem)
    benchmark.pedantic(reference.scipy_apl_from_frame, args=args, rounds=3, warmup_rounds=1)


def _pysal_from_frame(inputs):
    demand = inputs.demand.rename("pop").rename_axis("geoid").to_frame()
    supply = inputs.supply.rename("doc").rename_axis("geoid").to_frame()
    cost = inputs.frame.rename(columns={"destination": "dest", "minutes": "cost"})
    return pysal_e2sfca(demand, supply, cost)


def test_frame_pysal_access(benchmark, problem, inputs, expected):
    pytest.importorskip("access")
    result = _pysal_from_frame(inputs).reindex(inputs.codes).fillna(0.0)
    agree(result.to_numpy(), expected)
    _group(benchmark, "pandas DataFrame", problem)
    benchmark.pedantic(_pysal_from_frame, args=(inputs,), rounds=1, iterations=1)


# ------------------------------------------------------------------------------ CSV file
def test_csv_aplcore(benchmark, problem, inputs, expected):
    agree(apl_from_csv(inputs), expected)
    _group(benchmark, "CSV file", problem)
    benchmark.pedantic(apl_from_csv, args=(inputs,), rounds=5, warmup_rounds=1)


def test_csv_pyarrow_parse_only(benchmark, problem, inputs):
    _group(benchmark, "CSV file", problem)
    benchmark.extra_info["note"] = "parsing alone (pyarrow.csv.read_csv), no APL"
    benchmark.pedantic(pacsv.read_csv, args=(inputs.csv,), rounds=5, warmup_rounds=1)


# ------------------------------------------------------------------------------ solve
@pytest.fixture(scope="module")
def matrix(problem):
    tt = aplcore.TravelTimes.from_arrays(
        problem.codes, problem.origin, problem.destination, problem.minutes
    )
    return aplcore.prepare(tt)


def test_solve_series(benchmark, problem, inputs, matrix, expected):
    agree(matrix.solve(inputs.demand, inputs.supply).apl_values, expected)
    _group(benchmark, "solve", problem)
    benchmark(matrix.solve, inputs.demand, inputs.supply)


def test_solve_series_shuffled(benchmark, problem, inputs, matrix, expected):
    order = np.random.default_rng(0).permutation(problem.n)
    demand, supply = inputs.demand.iloc[order], inputs.supply.iloc[order]
    agree(matrix.solve(demand, supply).apl_values, expected)
    _group(benchmark, "solve", problem)
    benchmark(matrix.solve, demand, supply)


def test_solve_arrays(benchmark, problem, matrix, expected):
    agree(matrix.solve_arrays(problem.demand, problem.supply)[0], expected)
    _group(benchmark, "solve", problem)
    benchmark(matrix.solve_arrays, problem.demand, problem.supply, all_weighted_demand=True)
