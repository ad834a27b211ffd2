"""The FCA computations against dense references, a hand-computed case and invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fca_reference import dense_times, drees_weights, fca_dense
from hypothesis import given
from hypothesis import strategies as st

import aplcore
from aplcore.apl import LostSupplyWarning, apl_from_arrays

CODES3 = ["01001", "01002", "01003"]


def three_communes() -> aplcore.TravelTimes:
    rows = [
        ("01001", "01001", 0), ("01001", "01002", 12), ("01001", "01003", 25),
        ("01002", "01001", 12), ("01002", "01002", 0), ("01002", "01003", 17),
        ("01003", "01001", 25), ("01003", "01002", 17), ("01003", "01003", 5),
    ]  # fmt: skip
    return aplcore.TravelTimes.from_frame(
        pd.DataFrame(rows, columns=["origin", "destination", "minutes"])
    )


def test_three_communes_by_hand():
    # Weights (DREES, left-closed): 0 and 5 min -> 1, 12 min -> 2/3, 17 min -> 1/3, 25 -> 0.
    # P* = (1000, 2000, 500), S = (7200, 0, 1800).
    # Step 1: D_1 = 1*1000 + 2/3*2000 = 7000/3       R_1 = 7200 / (7000/3) = 21.6/7
    #         D_3 = 1/3*2000 + 1*500  = 3500/3       R_3 = 1800 / (3500/3) = 10.8/7
    #         D_2 = 2/3*1000 + 2000 + 1/3*500 = 2833.33, but S_2 = 0 so R_2 = 0.
    # Step 2: APL_1 = 1*R_1 + 2/3*R_2          = 21.6/7 = 3.0857...
    #         APL_2 = 2/3*R_1 + R_2 + 1/3*R_3  = 14.4/7 + 3.6/7 = 18/7 = 2.5714...
    #         APL_3 = 1/3*R_2 + 1*R_3           = 10.8/7 = 1.5428...
    # Identity: 1000*21.6/7 + 2000*18/7 + 500*10.8/7 = 63000/7 = 9000 = 7200 + 1800.
    result = aplcore.compute_apl(
        three_communes(),
        demand=pd.Series([1000.0, 2000.0, 500.0], index=CODES3),
        supply=pd.Series({"01001": 7200.0, "01003": 1800.0}),
    )
    np.testing.assert_allclose(result.apl.to_numpy(), [21.6 / 7, 18 / 7, 10.8 / 7], rtol=1e-14)
    np.testing.assert_allclose(result.ratio.to_numpy(), [21.6 / 7, 0.0, 10.8 / 7], rtol=1e-14)
    assert result.apl.index.tolist() == CODES3
    assert result.lost_supply_total == 0
    assert result.check_identity() < 1e-14


@st.composite
def problems(draw, max_n=8):
    n = draw(st.integers(1, max_n))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.floats(0.0, 1.0))
    mask = rng.random((n, n)) < density
    np.fill_diagonal(mask, True)
    times = rng.choice([0.0, 5.0, 10.0, 15.0, 20.0, 9.5, 14.0, 19.9, 25.0, 3.0], (n, n))
    origin, destination = np.nonzero(mask)
    minutes = times[origin, destination]  # asymmetric in general
    demand = rng.choice([0.0, 1.0, 250.0, 1200.5], n)
    supply = rng.choice([0.0, 0.0, 3600.0, 5123.0], n)
    closed = draw(st.sampled_from(["left", "right"]))
    return n, origin, destination, minutes, demand, supply, closed


def build(n, origin, destination, minutes):
    codes = [f"{10000 + i:05d}" for i in range(n)]
    return codes, aplcore.TravelTimes.from_arrays(codes, origin, destination, minutes)


@pytest.mark.parametrize("method", aplcore.METHODS)
@given(problem=problems())
def test_methods_match_dense_reference(method, problem):
    n, origin, destination, minutes, demand, supply, closed = problem
    codes, tt = build(n, origin, destination, minutes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LostSupplyWarning)
        result = aplcore.compute_apl(
            tt,
            demand=pd.Series(demand, index=codes),
            supply=pd.Series(supply, index=codes),
            method=method,
            closed=closed,
        )
    w = drees_weights(dense_times(n, origin, destination, minutes), closed)
    expected = fca_dense(w, demand, supply, method)
    np.testing.assert_allclose(result.apl.to_numpy(), expected, rtol=1e-12, atol=1e-12)


@given(problem=problems())
def test_identity_and_lost_supply(problem):
    n, origin, destination, minutes, demand, supply, _ = problem
    codes, tt = build(n, origin, destination, minutes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LostSupplyWarning)
        result = aplcore.compute_apl(
            tt, demand=pd.Series(demand, index=codes), supply=pd.Series(supply, index=codes)
        )
    w = drees_weights(dense_times(n, origin, destination, minutes))
    unreached = (w.T @ demand <= 0) & (supply > 0)
    assert result.lost_supply_total == pytest.approx(supply[unreached].sum())
    assert bool(caught) == bool(unreached.any())
    reached = supply.sum() - supply[unreached].sum()
    assert demand @ result.apl.to_numpy() == pytest.approx(reached, rel=1e-12, abs=1e-9)


@given(problem=problems(), seed=st.integers(0, 1000))
def test_permutation_of_communes_changes_nothing(problem, seed):
    n, origin, destination, minutes, demand, supply, _ = problem
    codes, tt = build(n, origin, destination, minutes)
    perm = np.random.default_rng(seed).permutation(origin.size)
    frame = tt.to_frame().iloc[perm]
    tt2 = aplcore.TravelTimes.from_frame(frame)
    p = pd.Series(demand, index=codes)
    s = pd.Series(supply, index=codes)
    order = np.random.default_rng(seed + 1).permutation(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LostSupplyWarning)
        a = aplcore.compute_apl(tt, demand=p, supply=s).apl
        b = aplcore.compute_apl(tt2, demand=p.iloc[order], supply=s.iloc[order]).apl
    pd.testing.assert_series_equal(a, b.reindex(a.index), rtol=1e-13)


@given(problem=problems(), factor=st.sampled_from([2.0, 0.5, 7.0]))
def test_scaling_supply_scales_apl(problem, factor):
    n, origin, destination, minutes, demand, supply, _ = problem
    _, tt = build(n, origin, destination, minutes)
    matrix = aplcore.prepare(tt)
    p = np.asarray(demand, dtype=float)
    base = matrix.solve_arrays(p, supply)[0]
    scaled = matrix.solve_arrays(p, supply * factor)[0]
    np.testing.assert_allclose(scaled, factor * base, rtol=1e-14, atol=0)
    # scaling demand by the same factor divides APL by it
    np.testing.assert_allclose(matrix.solve_arrays(p * factor, supply)[0], base / factor)


@pytest.mark.parametrize("method", aplcore.METHODS)
def test_batch_equals_single_solves(method):
    rng = np.random.default_rng(3)
    n = 60
    origin, destination = np.nonzero(rng.random((n, n)) < 0.2)
    keep = origin != destination
    origin = np.concatenate([origin[keep], np.arange(n)])
    destination = np.concatenate([destination[keep], np.arange(n)])
    minutes = rng.random(origin.size) * 25
    codes, tt = build(n, origin, destination, minutes)
    matrix = aplcore.prepare(tt, method=method)
    demand = pd.Series(rng.random(n) * 1000, index=codes)
    supply = pd.DataFrame(rng.random((n, 5)) * 4000, index=codes, columns=list("abcde"))
    batch = matrix.solve_batch(demand, supply)
    for column in supply.columns:
        single = matrix.solve(demand, supply[column]).apl
        np.testing.assert_allclose(batch[column].to_numpy(), single.to_numpy(), rtol=1e-12)
    demands = pd.DataFrame(rng.random((n, 5)) * 1000, index=codes, columns=list("abcde"))
    batch = matrix.solve_batch(demands, supply)
    for column in supply.columns:
        single = matrix.solve(demands[column], supply[column]).apl
        np.testing.assert_allclose(batch[column].to_numpy(), single.to_numpy(), rtol=1e-12)


def test_fused_long_table_path_matches_compute_apl():
    rng = np.random.default_rng(11)
    n = 400
    origin = rng.integers(0, n, 20_000).astype(np.int32)
    destination = rng.integers(0, n, 20_000).astype(np.int32)
    minutes = rng.random(20_000) * 30
    pairs = pd.DataFrame({"o": origin, "d": destination, "t": minutes})
    pairs = pairs[pairs["o"] != pairs["d"]].drop_duplicates(["o", "d"])
    o, d, t = (pairs[c].to_numpy() for c in ("o", "d", "t"))
    codes, tt = build(n, np.concatenate([o, np.arange(n)]), np.concatenate([d, np.arange(n)]),
                      np.concatenate([t, np.zeros(n)]))  # fmt: skip
    demand = rng.random(n) * 1000
    supply = rng.random(n) * 5000
    fused = apl_from_arrays(
        np.concatenate([o, np.arange(n)]).astype(np.int32),
        np.concatenate([d, np.arange(n)]).astype(np.int32),
        np.concatenate([t, np.zeros(n)]),
        demand,
        supply,
    )[0]
    api = aplcore.compute_apl(
        tt, demand=pd.Series(demand, index=codes), supply=pd.Series(supply, index=codes)
    ).apl
    np.testing.assert_allclose(fused, api.to_numpy(), rtol=1e-13)


def test_result_frame_aggregation_and_population_statistics():
    result = aplcore.compute_apl(
        three_communes(),
        demand=pd.Series([1000.0, 2000.0, 500.0], index=CODES3),
        supply=pd.Series({"01001": 7200.0, "01003": 1800.0}),
        population=pd.Series([900.0, 2100.0, 400.0], index=CODES3),
    )
    frame = result.to_frame()
    assert list(frame.columns) == [
        "apl", "pop_std", "supply", "weighted_demand", "ratio", "population"
    ]  # fmt: skip
    groups = pd.Series({"01001": "A", "01002": "A", "01003": "B"})
    std = result.aggregate(groups)
    apl = result.apl.to_numpy()
    assert std.loc["A", "apl"] == pytest.approx((1000 * apl[0] + 2000 * apl[1]) / 3000)
    total = result.aggregate(groups, weights="total")
    assert total.loc["A", "apl"] == pytest.approx((900 * apl[0] + 2100 * apl[1]) / 3000)
    assert result.population_under(2.6) == 2100 + 400
    assert result.quantiles([0.1, 0.5, 1.0]).tolist() == [apl[2], apl[1], apl[0]]


def test_statistics_on_total_population_need_it():
    result = aplcore.compute_apl(
        three_communes(),
        demand=pd.Series([1.0, 1.0, 1.0], index=CODES3),
        supply=pd.Series({"01001": 1.0}),
    )
    with pytest.raises(aplcore.errors.ParameterError, match="needs the total population"):
        result.population_under(2.5)


def _decay_reference(decay: aplcore.Decay, t: np.ndarray) -> np.ndarray:
    if decay.kind == "step":
        from fca_reference import step_weights

        edges, weights = decay.steps
        return step_weights(t, edges, weights, decay.closed)
    assert decay.kind == "linear"
    cutoff = decay.params[0]
    inside = t < cutoff if decay.closed == "left" else t <= cutoff
    return np.where(inside, 1 - t / cutoff, 0.0)


DECAYS = [
    aplcore.get_decay("drees_gp"),
    aplcore.get_decay("drees_gp", closed="right"),
    aplcore.step_decay([10, 15, 30], [1.0, 0.0, 0.5], allow_rising=True),  # a band of weight 0
    aplcore.linear_decay(20),
    aplcore.linear_decay(25, closed="right"),
]


@pytest.mark.parametrize("decay", DECAYS, ids=lambda d: f"{d.kind}-{d.params}-{d.closed}")
@pytest.mark.parametrize("method", aplcore.METHODS)
@given(problem=problems())
def test_prepared_matrices_match_reference_for_every_storage(decay, method, problem):
    n, origin, destination, minutes, demand, supply, _ = problem
    codes, tt = build(n, origin, destination, minutes)
    matrix = aplcore.prepare(tt, decay=decay, method=method)
    assert matrix.step2.banded == (decay.kind == "step")
    w = _decay_reference(decay, dense_times(n, origin, destination, minutes))
    expected = fca_dense(w, demand, supply, method)
    np.testing.assert_allclose(
        matrix.solve_arrays(demand, supply)[0], expected, rtol=1e-12, atol=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LostSupplyWarning)
        direct = aplcore.compute_apl(
            tt,
            demand=pd.Series(demand, index=codes),
            supply=pd.Series(supply, index=codes),
            decay=decay,
            method=method,
        )
    np.testing.assert_allclose(direct.apl_values, expected, rtol=1e-12, atol=1e-12)


def test_weight_matrix_to_scipy_round_trip():
    tt = three_communes()
    for decay in (aplcore.get_decay("drees_gp"), aplcore.linear_decay(20)):
        matrix = aplcore.prepare(tt, decay=decay)
        w = matrix.step2.to_scipy().toarray()
        expected = _decay_reference(decay, tt.to_scipy().toarray())
        expected[tt.to_scipy().toarray() == 0] = _decay_reference(decay, np.zeros(1))[0]
        np.testing.assert_allclose(w, np.where(np.isinf(expected), 0, expected) * (w > 0))
        np.testing.assert_allclose(matrix.step1.to_scipy().toarray(), w.T)


@pytest.mark.parametrize(
    "decay", ["drees_gp", aplcore.linear_decay(20)], ids=["banded", "weighted"]
)
def test_more_communes_than_uint16_positions(decay):
    # 70 000 communes: column positions no longer fit in uint16 and are stored as uint32.
    codes = [f"{d:02d}{k:03d}" for d in range(1, 100) for k in range(1, 1000)][:70_000]
    n = len(codes)
    rng = np.random.default_rng(5)
    origin = np.concatenate([np.arange(n), rng.integers(0, n, 5000)])
    destination = np.concatenate([np.arange(n), np.full(5000, n - 1)])
    minutes = np.concatenate([np.zeros(n), rng.uniform(1, 30, 5000)])
    tt = aplcore.TravelTimes.from_arrays(codes, origin, destination, minutes, duplicates="min")
    matrix = aplcore.prepare(tt, decay=decay)
    assert matrix.step2.indices.dtype == np.uint32
    demand = rng.uniform(1, 100, n)
    supply = np.zeros(n)
    supply[[0, n - 1]] = [3600.0, 5000.0]
    w = aplcore.get_decay(decay) if isinstance(decay, str) else decay
    weights = sp_weights(tt, w)
    expected = weights @ np.divide(
        supply, weights.T @ demand, out=np.zeros(n), where=weights.T @ demand > 0
    )
    np.testing.assert_allclose(matrix.solve_arrays(demand, supply)[0], expected, rtol=1e-12)


def sp_weights(tt: aplcore.TravelTimes, decay: aplcore.Decay):
    """Sparse W with SciPy (the dense reference would need 70 000² entries)."""
    import scipy.sparse as sp

    w = decay(tt.minutes)
    keep = w > 0
    n = tt.n_communes
    return sp.csr_array((w[keep], (tt.origins[keep], tt.indices[keep])), shape=(n, n))


def test_aggregate_stays_the_function_once_the_engine_is_imported():
    import aplcore.apl  # imports the aggregation module

    assert callable(aplcore.aggregate)
    assert aplcore.aggregate.__module__ == "aplcore.aggregation"
