"""Zoning stability of Centre-Val de Loire under 1 000 draws of GP activity.

Usage::

    python examples/scenarios_centre_val_de_loire.py [--draws 1000] [--cv 0.1] [--seed 1]
        [--out DIR] [--no-maps]

How sure is a territory of its zone when the activity figures behind the APL are one year's
draw? Each draw multiplies every GP's yearly activity by a log-normal factor of mean 1 and
coefficient of variation ``--cv`` (a year-to-year variation), recounts the supply with the DREES
rules, recomputes the APL of every commune and the 2025 zoning, and the run reports, per
territory, the probability of each zone and the share of draws that keep the baseline zone.

**What is real and what is not** (the example runs on what aplcore ships, without downloads):

* communes, town-hall points and populations: real (bundled with aplcore); travel times:
  crow-fly model calibrated on INSEE's Metric distancier (not road times), over the région and
  its ring of neighbours within 40 minutes (:func:`aplcore.study_area`), so that border communes
  see the doctors and patients beyond the border (no edge-effect warning); only the région's
  communes are reported and zoned;
* GPs and their activity: **synthetic** (:func:`aplcore.synthetic_practitioners`, seeded);
* demand: total population (no age standardisation: the bundled communes have no age bands);
* territories: **stand-in** — the EPCI of each commune, not the official TVS (not distributed
  with aplcore);
* zoning: preset ``zonage_2025``, thresholds 2.71 and 3.98, the region's caps as shares of its
  population (ZIP 71.3 %, ZAC 21.3 %, HZ 7.4 %: the 2025 regional guide's figures, applied to the
  bundled population).

The figures are therefore an illustration of the method, not the region's zoning. With ``--out``
the run folder (APL of every draw, scenario table, zones) and the report (tables, maps) are
written there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import aplcore
from aplcore.scenarios import Baseline, ZoningSpec, monte_carlo, run_scenarios
from aplcore.scenarios.report import write_report

REGION = "24"
THRESHOLDS = (2.71, 3.98)
#: Regional caps of the 2025 guide as shares of the regional population (HZ is the residual).
CAP_SHARES = {"ZIP": 0.713, "ZAC": 0.213}


def build_baseline(seed: int = 0) -> Baseline:
    """Bundled communes of the region and its 40-minute ring, crow-fly times, synthetic GPs
    (ring included: they serve border communes), EPCI as territories; the region is the core."""
    area = aplcore.study_area(region=REGION)
    tt = aplcore.travel_times_crow_fly(area.communes, max_minutes=30.0)
    communes = area.communes.loc[tt.codes]
    population = communes["population"].astype(np.float64)
    territory = communes["epci"].fillna(communes.index.to_series()).astype(str)
    return Baseline(
        tt,
        demand=population,
        population=population,
        practitioners=aplcore.synthetic_practitioners(communes, seed=seed),
        max_age=65,
        core=area,
        zoning=ZoningSpec(
            territory,
            method="zonage_2025",
            thresholds=THRESHOLDS,
            caps=CAP_SHARES,
            cap_unit="share",
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=1000, help="activity draws (1000)")
    parser.add_argument("--cv", type=float, default=0.1, help="variation of activity (0.1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the draws (1)")
    parser.add_argument("--out", type=Path, help="folder for the run and its report")
    parser.add_argument("--no-maps", action="store_true", help="tables only")
    args = parser.parse_args(argv)

    baseline = build_baseline()
    draws = monte_carlo(args.draws, seed=args.seed, activity_cv=args.cv)
    run = run_scenarios(baseline, draws, out=args.out, overwrite=True)
    stability = run.stability()
    figures = run.zoning_stability()
    print(
        f"Centre-Val de Loire, {len(run.codes)} communes (APL computed with the "
        f"{len(baseline.travel_times.codes) - len(run.codes)} communes of its 40-min ring), "
        f"{len(stability)} territories (EPCI stand-in), {args.draws} draws of synthetic GP "
        f"activity (cv {args.cv:g}, seed {args.seed})"
    )
    print(
        f"territories keeping their baseline zone in every draw: "
        f"{figures['share_territories_always_same']:.1%} "
        f"({figures['share_population_always_same']:.1%} of the population)"
    )
    print(
        f"inhabitants changing zone per draw: mean {figures['mean_population_changed']:,.0f}, "
        f"at most {figures['max_population_changed']:,.0f}"
    )
    unstable = stability[stability["p_same"] < 1].sort_values("p_same")
    columns = ["population", "baseline_zone", "p_same", *(f"p_{z}" for z in run.zone_labels)]
    if len(unstable):
        print("\nleast stable territories:")
        table = unstable[columns].head(10).astype({"population": "int64"})
        print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    if args.out is not None:
        source = (
            "communes and populations INSEE (bundled), crow-fly times; GP activity SYNTHETIC; "
            "territories: EPCI stand-in for the TVS"
        )
        write_report(run, args.out / "report", threshold=2.5, maps=not args.no_maps, source=source)
        print(f"\nrun and report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
