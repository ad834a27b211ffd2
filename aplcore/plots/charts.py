"""Charts: the population living in each APL class."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._checks import bad_non_negative
from ..aggregation import align_on_codes
from ..errors import InvalidValueError, describe_values
from .compose import add_source_line
from .maps import APL_BINS, APL_UNIT, bin_labels, bin_of, check_bins, check_values
from .render import DEFAULT_DPI, new_figure, save_figure, zone_colours

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_population_by_class"]


def plot_population_by_class(  # noqa: PLR0913 - public entry point, keyword options
    values: pd.Series,
    population: pd.Series,
    *,
    bins: Sequence[float] = APL_BINS,
    classes: pd.Series | None = None,
    colours: Mapping[str, str] | None = None,
    unit: str | None = None,
    title: str | None = None,
    source: str | None = None,
    date: datetime.date | str | bool | None = None,
    figsize: tuple[float, float] = (8.0, 5.0),
    dpi: float = DEFAULT_DPI,
    path: str | os.PathLike[str] | None = None,
    format: str | None = None,
) -> Figure:
    """Bar chart of the population living in each APL class.

    Parameters
    ----------
    values
        APL by commune code.
    population
        Total (non-standardised) population by commune code, as the workbook note prescribes
        for populations under a threshold.
    bins
        Class edges of APL, left-closed; the last may be ``inf``.
    classes
        Zoning class by commune code; when given, bars are stacked by class.
    colours
        Colours of the zoning classes (see :func:`~aplcore.plots.plot_zoning_map`).
    unit
        The unit of the indicator, used in the x-axis label (``values.attrs["unit"]`` or
        :data:`~aplcore.plots.APL_UNIT` by default).
    title
        Figure title.
    source, date
        The source and date line (none by default).
    figsize, dpi, path, format
        As in :func:`~aplcore.plots.plot_apl_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The chart; each bar is annotated with its share of the population.

    Raises
    ------
    MissingCommuneError
        Communes of ``values`` without a population.
    InvalidValueError
        Negative or missing populations.
    """
    values = check_values(values, what="APL values")
    unit = unit or values.attrs.get("unit") or APL_UNIT
    population = check_values(population, what="population")
    edges = check_bins(bins)
    values, population = align_on_codes(
        values, population, what="APL values", other_what="population"
    )
    weights = pd.to_numeric(population, errors="coerce").to_numpy(dtype=np.float64)
    bad = bad_non_negative(weights)
    if bad.any():
        msg = (
            "population must be finite and non-negative, found "
            f"{describe_values(population[bad].head(5).items())}."
        )
        raise InvalidValueError(msg)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    bin_index = bin_of(numbers, edges)
    n_classes = len(edges) - 1
    labels = bin_labels(edges)
    total = float(weights[bin_index >= 0].sum())

    figure = new_figure(figsize, dpi)
    ax = figure.add_subplot()
    x = np.arange(n_classes)
    if classes is None:
        heights = np.bincount(
            bin_index[bin_index >= 0], weights=weights[bin_index >= 0], minlength=n_classes
        )
        ax.bar(x, heights / 1e3, color="#4393c3")
    else:
        classes = check_values(classes, what="zoning classes").reindex(values.index)
        palette = zone_colours(classes, colours)
        bottom = np.zeros(n_classes)
        labels_array = classes.astype(object).to_numpy()
        for label, colour in palette.items():
            mask = (bin_index >= 0) & np.array([str(v) == label for v in labels_array])
            part = np.bincount(bin_index[mask], weights=weights[mask], minlength=n_classes)
            ax.bar(x, part / 1e3, bottom=bottom / 1e3, color=colour, label=label)
            bottom += part
        heights = bottom
        ax.legend(title="zoning class", fontsize="small", title_fontsize="small")
    for k in range(n_classes):
        if total > 0 and heights[k] > 0:
            ax.annotate(
                f"{100 * heights[k] / total:.1f} %",
                (x[k], heights[k] / 1e3),
                ha="center",
                va="bottom",
                fontsize="small",
            )
    ax.set_xticks(x, labels)
    ax.set_xlabel(f"APL ({unit})")
    ax.set_ylabel("population (thousands)")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    add_source_line(figure, source, date=date)
    if path is not None:
        save_figure(figure, path, format=format)
    return figure
