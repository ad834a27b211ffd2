"""The tables and maps of a scenario run (``aplcore scenarios report``).

Files written into the report folder:

``communes.csv``
    per commune: baseline APL, mean, standard deviation, quantiles over the scenarios and the
    probability of an APL under the threshold;
``scenarios.csv``
    the scenario table (reproduces the run) with, per scenario, the population under the
    threshold, and with a zoning the territories and population whose zone changes and the
    population per zone;
``territories.csv``
    with a zoning: per territory, baseline zone, probability of each zone, share of scenarios
    keeping the baseline zone;
``summary.json``
    headline figures;
``zone_probability.png``, ``stability.png``, ``probability_under.png``
    maps, when commune contours are given or bundled for the communes of the run.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..datasets import load_contours
from ..io.writers import write_csv
from ..plots import plot_apl_map
from .results import ScenarioRun

__all__ = ["format_summary", "write_report"]

logger = logging.getLogger(__name__)


def write_report(
    run: ScenarioRun,
    folder: str | os.PathLike[str],
    *,
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95),
    threshold: float | None = 2.5,
    contours: Any = None,
    maps: bool = True,
    source: str | None = None,
) -> dict[str, Any]:
    """Write the report of a run; returns the headline figures (also in ``summary.json``).

    Parameters
    ----------
    run
        The run (:func:`run_scenarios` or :meth:`ScenarioRun.open`).
    folder
        Report folder (created; files in it are replaced).
    quantiles, threshold
        Per-commune statistics.
    contours
        Commune contours for the maps; None: the bundled contours (France's communes) when they
        cover the run's communes.
    maps
        Draw the maps.
    source
        Source line of the maps (say what is synthetic).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    communes = run.summary(quantiles, under=threshold)
    per_scenario = run.table.set_index("scenario")
    summary: dict[str, Any] = {"scenarios": len(run.names), "communes": len(run.codes)}
    if threshold is not None:
        under = run.population_under(threshold)
        per_scenario[f"population_under_{threshold:g}"] = under
        summary[f"population_under_{threshold:g}"] = {
            "mean": float(under.mean()),
            "q0.05": float(under.quantile(0.05)),
            "q0.95": float(under.quantile(0.95)),
        }
    if run.zones is not None:
        per_scenario = per_scenario.join(run.changes())
        write_csv(run.stability(), folder / "territories.csv", overwrite=True)
        summary["zoning"] = run.zoning_stability()
    write_csv(communes, folder / "communes.csv", overwrite=True)
    write_csv(per_scenario, folder / "scenarios.csv", overwrite=True)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    if maps:
        _maps(run, folder, contours, threshold, source)
    return summary


def _maps(
    run: ScenarioRun, folder: Path, contours: Any, threshold: float | None, source: str | None
) -> None:
    if contours is None:
        try:
            contours = load_contours(codes=list(run.codes))
        except Exception as exc:  # contours are optional: the tables are the report
            logger.info("no bundled contours for these communes (%s): maps skipped", exc)
            return
    n = len(run.names)
    if run.zones is not None:
        first = run.zone_labels[0] if run.zone_labels else "ZIP"
        run.plot_zone_probability(
            contours,
            title=f"Probability of {first} over {n} scenarios",
            source=source,
            path=folder / "zone_probability.png",
        )
        run.plot_stability(
            contours,
            title=f"Zoning stability over {n} scenarios",
            source=source,
            path=folder / "stability.png",
        )
    if threshold is not None:
        values = pd.Series(run.probability_under(threshold).to_numpy(), index=run.codes)
        plot_apl_map(
            values,
            contours,
            bins=(0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0 + 1e-9),
            cmap="RdYlBu_r",
            unit=f"probability of an\nAPL under {threshold:g}",
            title=f"Probability of an APL under {threshold:g} over {n} scenarios",
            source=source,
            path=folder / "probability_under.png",
        )


def format_summary(summary: dict[str, Any]) -> str:
    """The summary :func:`write_report` returns, one indented line per quantity."""
    lines = []
    for key, value in summary.items():
        if key == "zoning":
            z = value
            lines.append(
                f"  zoning: {z['share_territories_always_same']:.1%} of territories "
                f"({z['share_population_always_same']:.1%} of the population) keep their zone "
                f"in every scenario; on average {z['mean_population_changed']:,.0f} inhabitants "
                f"change zone (at most {z['max_population_changed']:,.0f})"
            )
        elif isinstance(value, dict):
            lines.append(
                f"  {key.replace('_', ' ')}: mean {value['mean']:,.0f} "
                f"(90 % of scenarios between {value['q0.05']:,.0f} and {value['q0.95']:,.0f})"
            )
    return "\n".join(lines)
