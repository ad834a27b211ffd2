"""Quickstart: APL of the communes of Indre (36) from the bundled real communes.

The travel times are crow-fly times calibrated on INSEE Metric; the GP table is **synthetic**
(no real one is public). Run: ``python examples/quickstart.py``.
"""

from __future__ import annotations

import aplcore


def main() -> None:
    # Indre and its ring of neighbours within 40 min, so that its border communes see the
    # doctors and patients beyond the border (real town-hall points and populations)
    area = aplcore.study_area(departement="36")
    communes = area.communes
    tt = aplcore.travel_times_crow_fly(communes, max_minutes=30)  # residence -> practice

    practitioners = aplcore.synthetic_practitioners(communes, seed=0)  # synthetic!
    supply = aplcore.count_gp_activity(practitioners, max_age=65)  # DREES activity rules
    population = communes["population"]  # total population (age bands: standardise_population)

    result = aplcore.compute_apl(
        tt, demand=population, supply=supply, population=population, decay="drees_gp"
    )
    indre = result.to_frame().loc[area.core]  # report the area; the ring feeds its border
    print(indre.sort_values("apl").head())
    by_departement = result.aggregate(communes["departement"])  # ring départements: partial
    print("mean APL (standardised population):", by_departement.loc["36", "apl"])
    under = indre["apl"] < 2.5
    print("inhabitants under 2.5 consultations:", indre.loc[under, "population"].sum())
    print("lost supply:", result.lost_supply_total)

    # solve again for another supply scenario, reading the prepared matrices only
    matrix = aplcore.prepare(tt)
    scenario = matrix.solve(population, supply * 1.1)
    print("APL with 10 % more activity, commune 36044:", scenario.apl["36044"])


if __name__ == "__main__":
    main()
