"""Benchmarks of the zoning engine on a France-sized synthetic territory table.

Workload (``APLCORE_BENCH_SIZE=small`` selects the smoke sizes in brackets): 35 000 [2 000]
communes in 2 700 [150] territories in 13 régions, about 2 % of the territories spanning two
régions; log-normal populations (68 M inhabitants [3.9 M]); communal APL = a territory level
plus noise, on the 1-6 range of the GP APL. Caps per région as shares (ZIP 30 %, ZAC 20 %, 2017:
ZIP 25 %, ZAC 15 %) resolved to inhabitants, margin 2 346.

Timed, each call from communal Series to a finished :class:`aplcore.zoning.Zoning` (validation,
aggregation, attribution, fill, cap checks, report):

* ``zonage_2025`` with per-région caps;
* ``zonage_2017`` with per-région caps (mandatory zone A, vivier, ZV);
* ``nurses_2020`` five levels by national cumulative population share;
* the capped fill alone (:func:`aplcore.zoning.fill.capped_fill`).

There is no JIT in the zoning engine; nothing to warm up beyond a first untimed call.

Run::

    python -m pytest bench/bench_zoning.py --benchmark-enable
    APLCORE_BENCH_SIZE=small python -m pytest bench/bench_zoning.py --benchmark-disable
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from aplcore.zoning import classify_zones
from aplcore.zoning.caps import build_constraints, resolve_caps
from aplcore.zoning.fill import capped_fill

SMALL = os.environ.get("APLCORE_BENCH_SIZE", "").lower() == "small"
N_COMMUNES = 2_000 if SMALL else 35_000
N_TERRITORIES = 150 if SMALL else 2_700
N_REGIONS = 13
CROSS_SHARE = 0.02
SEED = 20261122


def synthetic_france() -> dict[str, pd.Series | pd.DataFrame]:
    """Communal APL, population and a commune -> territory/région table (seeded)."""
    rng = np.random.default_rng(SEED)
    # territories, each in a région (about the same number per région)
    terr_region = np.sort(rng.integers(0, N_REGIONS, N_TERRITORIES))
    terr_level = rng.uniform(1.5, 5.5, N_TERRITORIES)
    # every territory gets at least one commune, the rest at random (skewed sizes)
    sizes = rng.dirichlet(np.full(N_TERRITORIES, 2.0))
    commune_terr = np.concatenate(
        [
            np.arange(N_TERRITORIES),
            rng.choice(N_TERRITORIES, N_COMMUNES - N_TERRITORIES, p=sizes),
        ]
    )
    commune_terr.sort()
    region = terr_region[commune_terr].copy()
    # a few territories span two régions: their last commune is in the next région
    crossing = rng.choice(N_TERRITORIES, int(CROSS_SHARE * N_TERRITORIES), replace=False)
    last = np.searchsorted(commune_terr, crossing, side="right") - 1
    region[last] = (region[last] + 1) % N_REGIONS
    # communes numbered within départements of their région (7 per région, codes 01..91)
    dep = 1 + 7 * region + (np.arange(N_COMMUNES) % 7)
    serial = pd.Series(np.ones(N_COMMUNES, dtype=int)).groupby(dep).cumsum().to_numpy()
    codes = [f"{d:02d}{s:03d}" for d, s in zip(dep, serial, strict=True)]
    if max(serial) > 999:
        msg = "too many communes per département for 3-digit serials"
        raise RuntimeError(msg)
    population = np.round(rng.lognormal(6.5, 1.3, N_COMMUNES))
    apl = np.clip(terr_level[commune_terr] + rng.normal(0.0, 0.4, N_COMMUNES), 0.0, None)
    index = pd.Index(codes, dtype=object, name="code")
    table = pd.DataFrame(
        {
            "territory": [f"T{t:04d}" for t in commune_terr],
            "region": [f"R{r:02d}" for r in region],
        },
        index=index,
    )
    regions = sorted(table["region"].unique())
    return {
        "apl": pd.Series(apl, index=index),
        "population": pd.Series(population, index=index),
        "table": table,
        "caps_2025": pd.DataFrame({"ZIP": 0.30, "ZAC": 0.20}, index=regions),
        "caps_2017": pd.DataFrame({"ZIP": 0.25, "ZAC": 0.15}, index=regions),
    }


@pytest.fixture(scope="module")
def france():
    data = synthetic_france()
    assert len(data["apl"]) == N_COMMUNES
    assert data["table"]["territory"].nunique() == N_TERRITORIES
    return data


#: The caps are shares of the regional population, the margin a number of inhabitants.
SHARE_CAPS_MARGIN_IN_INHABITANTS = {"ZIP": "share", "ZAC": "share", "margin": "inhabitants"}


def _classify(data, method, caps):
    return classify_zones(
        data["apl"],
        population=data["population"],
        territory=data["table"],
        method=method,
        caps=caps,
        cap_unit=SHARE_CAPS_MARGIN_IN_INHABITANTS,
        margin=None if caps is None else 2_346,
    )


@pytest.mark.benchmark(group="zoning")
@pytest.mark.parametrize("method", ["zonage_2025", "zonage_2017"])
def test_classify_capped(benchmark, france, method):
    caps = france[f"caps_{method[-4:]}"]
    _classify(france, method, caps)  # first call untimed
    zoning = benchmark(_classify, france, method, caps)
    assert zoning.caps_met or zoning.checks["mandatory_over_cap"].any()
    table = france["table"]
    # the 2025 method qualifies each région's part of a territory spanning régions
    parts = table.groupby(["territory", "region"]).ngroups if method == "zonage_2025" else None
    assert len(zoning.territories) == (parts or N_TERRITORIES)
    total = zoning.report[zoning.report["departement"] == "total"]
    assert total["population"].sum() == france["population"].sum()


@pytest.mark.benchmark(group="zoning")
def test_classify_five_levels(benchmark, france):
    def run():
        return classify_zones(
            france["apl"],
            population=france["population"],
            standardised=france["population"],
            territory=france["table"],
            method="nurses_2020",
        )

    run()
    zoning = benchmark(run)
    assert set(zoning.territories["zone"]) <= set(zoning.zones)


@pytest.mark.benchmark(group="zoning-fill")
def test_capped_fill_alone(benchmark, france):
    pop = france["population"]
    table = france["table"]
    terr = pd.DataFrame({"population": pop.groupby(table["territory"]).sum()})
    weighted = (france["apl"] * pop).groupby(table["territory"]).sum()
    terr["apl"] = weighted / terr["population"]
    regions = pd.Index(sorted(table["region"].unique()))
    parts = (
        pd.DataFrame(
            {
                "t": terr.index.get_indexer(table["territory"]),
                "r": regions.get_indexer(table["region"]),
                "p": pop.to_numpy(),
            }
        )
        .groupby(["t", "r"])["p"]
        .sum()
        .reset_index()
    )
    indptr = np.concatenate([[0], np.cumsum(np.bincount(parts["t"], minlength=len(terr)))])
    region_pop = pop.groupby(table["region"].to_numpy()).sum().reindex(regions)
    caps = resolve_caps(
        france["caps_2025"],
        zones=("ZIP", "ZAC", "HZ"),
        region_population=region_pop,
        cap_unit=SHARE_CAPS_MARGIN_IN_INHABITANTS,
        margin=2_346,
    )
    constraints = build_constraints(
        caps,
        zones=("ZIP", "ZAC", "HZ"),
        cap_rule="cumulative",
        margin_zone="ZIP",
        region_population=region_pop,
    )
    args = (
        terr["apl"].to_numpy(),
        terr["population"].to_numpy(),
        indptr.astype(np.int64),
        parts["r"].to_numpy(dtype=np.int64),
        parts["p"].to_numpy(dtype=np.float64),
    )
    kwargs = {"thresholds": np.array([2.71, 3.98]), "constraints": constraints}
    zone, _ = benchmark(capped_fill, *args, **kwargs)
    assert zone.shape == (N_TERRITORIES,)
    assert (zone <= 2).all()
