"""Quickstart: APL of the communes of Indre (36) from the bundled real communes.

The travel times are crow-fly times calibrated on INSEE Metric; the GP table is **synthetic**
(no real one is public). Run: ``python examples/quickstart.py``.
"""

from __future__ import annotations

import aplcore


def main() -> None:
    communes = aplcore.load_communes(departement="36")  # real town-hall points and populations
    tt = aplcore.travel_times_crow_fly(communes, max_minutes=30)  # residence -> practice

    practitioners = aplcore.synthetic_practitioners(communes, seed=0)  # synthetic!
    supply = aplcore.count_gp_activity(practitioners, max_age=65)  # DREES activity rules
    population = communes["population"]  # total population (age bands: standardise_population)

    result = aplcore.compute_apl(
        tt, demand=population, supply=supply, population=population, decay="drees_gp"
    )
    print(result.to_frame().sort_values("apl").head())
    print("mean APL (standardised population):", result.aggregate(communes["departement"]))
    print("inhabitants under 2.5 consultations:", result.population_under(2.5))
    print("lost supply:", result.lost_supply_total)

    # solve again for another supply scenario, reading the prepared matrices only
    matrix = aplcore.prepare(tt)
    scenario = matrix.solve(population, supply * 1.1)
    print("APL with 10 % more activity, commune 36044:", scenario.apl["36044"])


if __name__ == "__main__":
    main()
