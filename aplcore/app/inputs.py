"""Where a session's data comes from: the bundled demo, the DREES workbook or an APL table, and
the optional zone probabilities of a scenario run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..area import StudyArea, study_area
from ..errors import InputFormatError, describe_values
from ..tables import read_frame
from ..workflows import (
    CVL_2025_CAP_SHARES,
    CVL_2025_CAPS,
    CVL_2025_MARGIN,
    run_demo,
    zoning_from_workbook,
)
from .session import SessionSettings

__all__ = ["demo_inputs", "read_stability", "workbook_inputs"]


def demo_inputs(area: StudyArea | None = None) -> tuple[pd.DataFrame, SessionSettings]:
    """The inputs and settings of the bundled demo (:func:`aplcore.workflows.run_demo`).

    Centre-Val de Loire by default, with the caps the ministry set for it in 2025; another area
    takes the Centre-Val de Loire shares of its population, as the demo does.
    """
    area = study_area(region="24") if area is None else area
    result = run_demo(area)
    table = result.table
    inputs = table[["apl", "population", "territory", "departement", "region"]].copy()
    regions = sorted(set(inputs["region"]))
    whole_cvl = regions == ["24"] and result.settings["area"] == study_area(region="24").label
    if whole_cvl:
        settings = SessionSettings(
            caps=dict(CVL_2025_CAPS),
            cap_unit="inhabitants",
            margin=float(CVL_2025_MARGIN),
            agency="24",
            label="demo: Centre-Val de Loire, synthetic GP activity",
        )
    else:
        settings = SessionSettings(
            caps=dict(CVL_2025_CAP_SHARES),
            cap_unit="share",
            agency=regions[0] if len(regions) == 1 else None,
            label=f"demo: {area.label}, synthetic GP activity",
        )
    return inputs, settings


def workbook_inputs(
    source: str | os.PathLike[str],
    *,
    column: str,
    year: int = 2023,
    territories: str | pd.DataFrame = "epci",
    region: str | None = None,
    **options: Any,
) -> tuple[pd.DataFrame, SessionSettings]:
    """Inputs from the DREES workbook or an APL table, as ``aplcore zone`` reads them.

    Parameters
    ----------
    source, column, year, territories
        As in :func:`aplcore.workflows.zoning_from_workbook`.
    region
        The agency's région: the session keeps the territories with residents in it (whole, so
        that a territory on two régions counts every resident). None: every région.
    **options
        ``population_column``, ``standardised_column``, ``codes_to``.
    """
    result = zoning_from_workbook(
        Path(source), column=column, year=year, territories=territories, **options
    )
    communes = result.communes
    keep = ["apl", "population", "territory", "departement", "region"]
    if "standardised" in communes.columns:
        keep.append("standardised")
    inputs = communes[keep]
    if region is not None:
        regions = sorted(set(inputs["region"].dropna().astype(str)))
        if str(region) not in regions:
            msg = (
                f"région {region!r} has no commune in {Path(source).name}; its régions are "
                f"{describe_values(regions, limit=20)}."
            )
            raise InputFormatError(msg)
        mine = set(inputs.loc[inputs["region"] == str(region), "territory"])
        inputs = inputs[inputs["territory"].isin(mine)]
    settings = SessionSettings(
        agency=None if region is None else str(region), label=f"{Path(source).name}, {column}"
    )
    return inputs, settings


def read_stability(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Zone probabilities per territory from ``territories.csv`` of ``aplcore scenarios
    report`` (first column: territory; ``p_<zone>`` columns)."""
    frame = read_frame(Path(path), what="the scenario stability table")
    first = frame.columns[0]
    frame = frame.set_index(first)
    frame.index = frame.index.astype(str)
    if not any(str(c).startswith("p_") and c != "p_same" for c in frame.columns):
        msg = (
            f"{path}: expected the territories.csv of 'aplcore scenarios report' with p_<zone> "
            f"columns; found columns {describe_values(list(frame.columns))}."
        )
        raise InputFormatError(msg)
    return frame
