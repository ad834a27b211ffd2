"""PySAL ``access`` run on the same problem, with the DREES step weights.

``access.weights.step_fn`` closes its bands on the right (``t <= edge``); the DREES default in
aplcore is left-closed (``t < edge``), so the peer gets an equivalent left-closed step function
to compute exactly the same quantity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .problems import Problem


def drees_step(minutes: float) -> float:
    """DREES GP weight with left-closed bands, as a per-pair Python callable (PySAL's API)."""
    if minutes < 10:
        return 1.0
    if minutes < 15:
        return 2.0 / 3.0
    if minutes < 20:
        return 1.0 / 3.0
    return 0.0


def pysal_frames(problem: Problem) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Demand, supply and cost tables in PySAL's long format."""
    geoid = problem.codes
    demand = pd.DataFrame({"geoid": geoid, "pop": problem.demand}).set_index("geoid")
    supply = pd.DataFrame({"geoid": geoid, "doc": problem.supply}).set_index("geoid")
    cost = pd.DataFrame(
        {
            "origin": geoid[problem.origin],
            "dest": geoid[problem.destination],
            "cost": problem.minutes,
        }
    )
    return demand, supply, cost


def pysal_e2sfca(demand: pd.DataFrame, supply: pd.DataFrame, cost: pd.DataFrame) -> pd.Series:
    """E2SFCA by PySAL ``access`` (construction of the Access object included)."""
    from access import Access

    model = Access(
        demand_df=demand,
        demand_value="pop",
        supply_df=supply,
        supply_value="doc",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    result = model.enhanced_two_stage_fca(max_cost=20, weight_fn=drees_step)
    return result.iloc[:, 0]


def pysal_apl(problem: Problem) -> np.ndarray:
    """PySAL's result as an array aligned on the problem's communes (0 where it gives none)."""
    series = pysal_e2sfca(*pysal_frames(problem))
    return series.reindex(problem.codes).fillna(0.0).to_numpy()
