"""AccessibilityMatrix.solve with pandas Series: aligned, equal, shuffled and bad indexes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.apl import CodeAligner
from aplcore.errors import CommuneCodeError, DuplicateError, MissingCommuneError

CODES = ["01001", "01002", "01004", "2A004", "97411"]


@pytest.fixture(scope="module")
def matrix():
    rng = np.random.default_rng(3)
    n = len(CODES)
    origin = np.repeat(np.arange(n), n)
    destination = np.tile(np.arange(n), n)
    minutes = rng.uniform(0, 25, n * n)
    minutes[origin == destination] = 0.0
    tt = aplcore.TravelTimes.from_arrays(CODES, origin, destination, minutes)
    return aplcore.prepare(tt)


def vectors(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(10, 1000, len(CODES)), rng.uniform(0, 9000, len(CODES))


@pytest.mark.parametrize("dtype", [object, "str", "string[pyarrow]", "string[python]"])
def test_every_index_gives_the_array_result(matrix, dtype):
    demand, supply = vectors()
    expected = matrix.solve_arrays(demand, supply, all_weighted_demand=True)[0]
    own = matrix.solve(pd.Series(demand, index=matrix.codes), pd.Series(supply, index=matrix.codes))
    index = pd.Index(CODES, dtype=dtype)
    equal = matrix.solve(pd.Series(demand, index=index), pd.Series(supply, index=index))
    order = np.random.default_rng(1).permutation(len(CODES))
    shuffled_index = pd.Index(np.asarray(CODES, dtype=object)[order], dtype=dtype)
    shuffled = matrix.solve(
        pd.Series(demand[order], index=shuffled_index),
        pd.Series(supply[order], index=shuffled_index),
    )
    for result in (own, equal, shuffled):
        np.testing.assert_array_equal(result.apl.to_numpy(), expected)
        assert result.apl.index.tolist() == CODES


def test_repeated_solves_reuse_the_positions(matrix):
    aligner = CodeAligner(matrix.codes)
    shuffled = pd.Index(CODES[::-1])
    first = aligner.positions(shuffled)
    assert aligner.positions(shuffled) is first
    assert first.tolist() == [4, 3, 2, 1, 0]
    assert aligner.positions(matrix.codes) is None
    assert aligner.positions(pd.Index(list(CODES))) is None


def test_partial_supply_and_missing_demand(matrix):
    demand, supply = vectors(2)
    expected_supply = np.zeros(len(CODES))
    expected_supply[1] = supply[1]
    expected = matrix.solve_arrays(demand, expected_supply, all_weighted_demand=True)[0]
    result = matrix.solve(pd.Series(demand, index=CODES), pd.Series([supply[1]], index=["01002"]))
    np.testing.assert_array_equal(result.apl.to_numpy(), expected)
    with pytest.raises(MissingCommuneError, match=r"no value for 1 communes.*'97411'"):
        matrix.solve(pd.Series(demand[:4], index=CODES[:4]), pd.Series(supply, index=CODES))


@pytest.mark.parametrize(
    ("index", "error", "match"),
    [
        ([1001, 1002, 1004, 2004, 97411], CommuneCodeError, "found numbers"),
        (["01001", "01002", "01004", "2A004", "99999"], MissingCommuneError, "'99999'"),
        (["01001", "01002", "01004", "2A004", "2A004"], DuplicateError, "more than once: '2A004'"),
    ],
)
def test_bad_indexes(matrix, index, error, match):
    demand, supply = vectors()
    with pytest.raises(error, match=match):
        matrix.solve(pd.Series(demand, index=index), pd.Series(supply, index=CODES))
