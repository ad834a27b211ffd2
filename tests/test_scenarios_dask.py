"""The scenario engine on dask.distributed: the same results as the local run, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_scenarios import small_case

from aplcore.scenarios import (
    AgeLimit,
    Baseline,
    DecayChange,
    ZoningSpec,
    grid,
    monte_carlo,
    run_scenarios,
)

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # one thread: Numba's parallel kernels are then never entered by two threads at once
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def scenarios():
    return monte_carlo(7, seed=9, activity_cv=0.2, new_installations=2) + grid(
        closed={"R": DecayChange(closed="right"), "L": None}, age={"60": AgeLimit(60)}
    )


def test_dask_equals_local_bit_for_bit(client, tmp_path):
    tt, pop, gps, territory, _, _ = small_case(seed=3)
    base = Baseline(
        tt,
        population_by_age=pop,
        practitioners=gps,
        zoning=ZoningSpec(territory, thresholds=(2.0, 3.5)),
    )
    local = run_scenarios(base, scenarios(), block_size=3)
    remote = run_scenarios(base, scenarios(), block_size=3, client=client, out=tmp_path / "run")
    for name in local.names:
        np.testing.assert_array_equal(local.apl(name).to_numpy(), remote.apl(name).to_numpy())
    np.testing.assert_array_equal(local.zones, remote.zones)
    pd.testing.assert_frame_equal(local.stability(), remote.stability())


def test_more_blocks_than_the_window(client):
    tt, pop, gps, _, _, _ = small_case(seed=5)
    base = Baseline(tt, population_by_age=pop, practitioners=gps)
    draws = monte_carlo(13, seed=2, activity_cv=0.2)
    local = run_scenarios(base, draws, block_size=2)
    remote = run_scenarios(base, draws, block_size=2, client=client)
    for name in local.names:
        np.testing.assert_array_equal(local.apl(name).to_numpy(), remote.apl(name).to_numpy())


def test_a_core_on_dask_equals_local(client):
    """A baseline with a core (the ring computed, not reported) gives the local results."""
    tt, pop, gps, territory, _, _ = small_case(seed=4)
    core = tt.codes[::2]
    base = Baseline(
        tt,
        population_by_age=pop,
        practitioners=gps,
        core=core,
        zoning=ZoningSpec(territory, thresholds=(2.0, 3.5)),
    )
    local = run_scenarios(base, scenarios(), block_size=4)
    remote = run_scenarios(base, scenarios(), block_size=4, client=client)
    assert local.codes.equals(pd.Index(core, name="code"))
    for name in local.names:
        np.testing.assert_array_equal(local.apl(name).to_numpy(), remote.apl(name).to_numpy())
    np.testing.assert_array_equal(local.zones, remote.zones)
