"""Scenarios: sensitivity, uncertainty, zoning stability, what-if and siting.

>>> from aplcore.scenarios import Baseline, monte_carlo, run_scenarios  # doctest: +SKIP
>>> run = run_scenarios(Baseline(tt, population_by_age=pop, practitioners=gps),
...                     monte_carlo(1000, seed=1, activity_cv=0.1))  # doctest: +SKIP
>>> run.summary(), run.probability_under(2.5)  # doctest: +SKIP

Modules: :mod:`~aplcore.scenarios.model` (changes, scenarios, grids, Monte Carlo draws, the
scenario table), :mod:`~aplcore.scenarios.baseline` (the validated baseline and each scenario's
vectors), :mod:`~aplcore.scenarios.engine` (grouping by decay, batched blocks, Parquet streaming,
Dask), :mod:`~aplcore.scenarios.results` (statistics, tables, maps),
:mod:`~aplcore.scenarios.whatif` (marginal effect of supply, ranking and siting),
:mod:`~aplcore.scenarios.distributed` (road Dijkstra over chunks of sources on Dask),
:mod:`~aplcore.scenarios.spec` (TOML specs of the command line),
:mod:`~aplcore.scenarios.report` (report tables and maps).
"""

from __future__ import annotations

from .baseline import Baseline, Inputs, ZoningSpec
from .distributed import dijkstra_on_dask, road_times_on_dask
from .engine import run_scenarios, solve_block
from .model import (
    ActivityNoise,
    AddPractitioners,
    AddSupply,
    AgeLimit,
    Change,
    DecayChange,
    NewInstallations,
    ProjectPopulation,
    RemovePractitioners,
    RetireAbove,
    ScaleActivity,
    ScaleDemand,
    ScaleSupply,
    Scenario,
    WeightsVintage,
    ZoningChange,
    grid,
    monte_carlo,
    scenario_table,
    scenarios_from_table,
)
from .results import ScenarioRun
from .whatif import (
    Effects,
    Siting,
    compare_with_exact,
    exact_siting,
    greedy_siting,
    marginal_effect,
    rank_sites,
)

__all__ = [
    "ActivityNoise",
    "AddPractitioners",
    "AddSupply",
    "AgeLimit",
    "Baseline",
    "Change",
    "DecayChange",
    "Effects",
    "Inputs",
    "NewInstallations",
    "ProjectPopulation",
    "RemovePractitioners",
    "RetireAbove",
    "ScaleActivity",
    "ScaleDemand",
    "ScaleSupply",
    "Scenario",
    "ScenarioRun",
    "Siting",
    "WeightsVintage",
    "ZoningChange",
    "ZoningSpec",
    "compare_with_exact",
    "dijkstra_on_dask",
    "exact_siting",
    "greedy_siting",
    "grid",
    "marginal_effect",
    "monte_carlo",
    "rank_sites",
    "road_times_on_dask",
    "run_scenarios",
    "scenario_table",
    "scenarios_from_table",
    "solve_block",
]
