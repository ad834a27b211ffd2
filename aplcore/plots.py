"""Maps and plots of APL and zonings (matplotlib; geopandas optional).

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas (no pyplot state,
no display needed) and, when ``path`` is given, also writes a PNG atomically.

Contours can be given as

* a ``geopandas.GeoDataFrame`` or ``GeoSeries`` (codes as index, or in a ``code`` column);
* a pandas ``Series`` of shapely geometries, WKB ``bytes`` or WKB hex strings indexed by code;
* a pandas ``DataFrame`` with a ``geometry`` column (same element types), codes as index or in a
  ``code`` column.

Longitude/latitude contours are drawn with the aspect ratio of their mean latitude; projected
contours (metres, e.g. Lambert-93) with equal axes.

Maps are drawn with plain matplotlib paths by default: for (multi)polygons the picture is the one
geopandas draws (tested pixel by pixel), without its overhead. ``engine="geopandas"`` draws with
geopandas instead; ``engine="auto"`` also uses it, when installed, for contours with points or
lines (which the plain path leaves out).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .codes import normalise_codes
from .errors import InputFormatError, InvalidValueError, ParameterError, describe_values

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "APL_BINS",
    "APL_UNIT",
    "ZONE_COLOURS",
    "as_geometries",
    "plot_apl_map",
    "plot_population_by_class",
    "plot_zoning_map",
    "save_figure",
]

logger = logging.getLogger(__name__)

#: Unit of the GP indicator, used as the default legend title.
APL_UNIT = "consultations per year per standardised inhabitant"

#: Default class edges of the APL maps and distribution plots (the last class is open).
APL_BINS: tuple[float, ...] = (0.0, 1.5, 2.5, 3.0, 4.0, 5.0, math.inf)

#: Colours of the zoning classes, in legend order: 2025 ZIP/ZAC/HZ; 2017 ZIP/ZAC/ZV (zone de
#: vigilance)/HV (hors vivier), the labels of :mod:`aplcore.zoning`, also spelt out in full.
ZONE_COLOURS: dict[str, str] = {
    "ZIP": "#b2182b",
    "ZAC": "#f4a582",
    "ZV": "#fddbc7",
    "vigilance": "#fddbc7",
    "HZ": "#92c5de",
    "HV": "#4393c3",
    "hors vivier": "#4393c3",
}

#: Above this many communes, maps are drawn without borders by default.
MANY_COMMUNES = 3000

_MISSING_COLOUR = "#d9d9d9"
_EDGE_COLOUR = "#ffffff"
Engine = Literal["auto", "geopandas", "matplotlib"]


# --------------------------------------------------------------------------------------------
# geometries


def _geometry_from_element(value: object) -> Any:
    import shapely

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, shapely.Geometry):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return shapely.from_wkb(bytes(value))
    if isinstance(value, str):
        text = value.strip()
        if text and all(c in "0123456789abcdefABCDEF" for c in text[:16]):
            return shapely.from_wkb(text)
        return shapely.from_wkt(text)
    msg = (
        "contours must be shapely geometries, WKB bytes, WKB hex or WKT strings; found a value "
        f"of type {type(value).__name__}."
    )
    raise InputFormatError(msg)


def as_geometries(contours: Any, *, code_column: str = "code") -> pd.Series:
    """Return contours as a Series of shapely geometries indexed by commune code.

    Parameters
    ----------
    contours
        A GeoDataFrame, GeoSeries, DataFrame with a ``geometry`` column, or a Series of
        geometries / WKB / WKT values (see the module documentation).
    code_column
        Column holding the codes when they are not the index.

    Returns
    -------
    pandas.Series
        Shapely geometries (``None`` where a contour is missing), indexed by 5-character codes.

    Raises
    ------
    InputFormatError
        No geometry column, or values that are not geometries.
    CommuneCodeError
        Codes that are not 5-character INSEE codes.
    """
    if isinstance(contours, pd.DataFrame):
        frame = contours
        if code_column in frame.columns:
            frame = frame.set_index(code_column)
        geometry_column = getattr(frame, "_geometry_column_name", None) or "geometry"
        if geometry_column not in frame.columns:
            msg = (
                f"contours must have a '{geometry_column}' column of geometries; found columns "
                f"{describe_values(list(frame.columns))}."
            )
            raise InputFormatError(msg)
        series = frame[geometry_column]
    elif isinstance(contours, pd.Series):
        series = contours
    else:
        msg = (
            "contours must be a GeoDataFrame, a GeoSeries, a DataFrame with a 'geometry' column "
            f"or a Series of geometries indexed by commune code; found {type(contours).__name__}."
        )
        raise InputFormatError(msg)
    codes = normalise_codes(series.index, what="contour codes")
    geometries = [_geometry_from_element(v) for v in series.to_numpy(dtype=object)]
    result = pd.Series(geometries, index=codes, dtype=object, name="geometry")
    if result.index.has_duplicates:
        # several rows per commune (e.g. exploded multipolygons): merge them
        import shapely

        result = result.groupby(level=0, sort=False).agg(
            lambda g: shapely.union_all([x for x in g if x is not None])
        )
    return result


def _paths_of(geometries: np.ndarray) -> list[Any]:
    """One matplotlib Path per (multi)polygon, holes included (``None`` where nothing to draw).

    Vectorised with shapely: rings are oriented (exteriors counter-clockwise, holes clockwise,
    as matplotlib's non-zero fill rule needs), then cut into one compound path per geometry.
    """
    import shapely
    from matplotlib.path import Path as MplPath

    n = len(geometries)
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    polygons = shapely.get_type_id(parts) == 3
    parts, part_owner = parts[polygons], part_owner[polygons]
    if hasattr(shapely, "orient_polygons"):
        parts = shapely.orient_polygons(parts)
    else:  # shapely < 2.1
        from shapely.geometry.polygon import orient

        parts = np.array([orient(p, sign=1.0) for p in parts], dtype=object)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    sizes = shapely.get_num_coordinates(rings)
    keep = sizes >= 3
    rings, ring_part, sizes = rings[keep], ring_part[keep], sizes[keep]
    xy = shapely.get_coordinates(rings)
    codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
    ends = np.cumsum(sizes)
    codes[ends - sizes] = MplPath.MOVETO
    codes[ends - 1] = MplPath.CLOSEPOLY
    ring_owner = part_owner[ring_part]
    # rings are grouped by owner, in order: cut the coordinates at owner boundaries
    coord_owner = np.repeat(ring_owner, sizes)
    bounds = np.searchsorted(coord_owner, np.arange(n + 1), side="left")
    paths: list[Any] = []
    for k in range(n):
        lo, hi = bounds[k], bounds[k + 1]
        paths.append(MplPath(xy[lo:hi], codes[lo:hi]) if hi > lo else None)
    return paths


def _only_polygons(geometries: pd.Series) -> bool:
    """Whether every contour is a (multi)polygon, empty or missing: what the plain path draws."""
    import shapely

    parts = shapely.get_parts(geometries.to_numpy())
    kinds = shapely.get_type_id(parts[~shapely.is_empty(parts)])
    return bool(np.isin(kinds, (3, 6)).all())  # Polygon, MultiPolygon


def _resolve_engine(engine: Engine, geometries: pd.Series) -> str:
    if engine not in ("auto", "geopandas", "matplotlib"):
        msg = f"engine must be 'auto', 'geopandas' or 'matplotlib', found {engine!r}."
        raise ParameterError(msg)
    if engine == "matplotlib" or (engine == "auto" and _only_polygons(geometries)):
        return "matplotlib"
    try:
        import geopandas  # noqa: F401
    except ImportError:
        if engine == "geopandas":
            msg = "engine='geopandas' needs geopandas: pip install 'aplcore[geo]'."
            raise ParameterError(msg) from None
        logger.warning("contours with points or lines: only their polygons are drawn")
        return "matplotlib"
    return "geopandas"


def _draw(
    ax: Axes,
    geometries: pd.Series,
    colours: Sequence[str],
    *,
    engine: str,
    edgecolor: str,
    linewidth: float | None,
) -> None:
    if linewidth is None:
        linewidth = 0.1 if len(geometries) <= MANY_COMMUNES else 0.0
    if engine == "geopandas":
        import geopandas

        frame = geopandas.GeoDataFrame(
            {"colour": list(colours)}, geometry=list(geometries.to_numpy()), index=geometries.index
        )
        frame.plot(ax=ax, color=frame["colour"].tolist(), edgecolor=edgecolor, linewidth=linewidth)
    else:
        from matplotlib.collections import PathCollection

        paths = _paths_of(geometries.to_numpy())
        drawn = [k for k, path in enumerate(paths) if path is not None]
        collection = PathCollection(
            [paths[k] for k in drawn],
            facecolors=[colours[k] for k in drawn],
            edgecolors=edgecolor,
            linewidths=linewidth,
        )
        ax.add_collection(collection)
    import shapely

    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries.to_numpy())
    pad_x = 0.02 * (xmax - xmin or 1.0)
    pad_y = 0.02 * (ymax - ymin or 1.0)
    ax.set_xlim(xmin - pad_x, xmax + pad_x)
    ax.set_ylim(ymin - pad_y, ymax + pad_y)
    geographic = xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
    if geographic:
        ax.set_aspect(1.0 / max(math.cos(math.radians((ymin + ymax) / 2)), 0.1))
    else:
        ax.set_aspect("equal")
    ax.set_axis_off()


# --------------------------------------------------------------------------------------------
# figures


def _new_figure(figsize: tuple[float, float], dpi: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure: Figure, path: str | os.PathLike[str], *, dpi: float | None = None) -> Path:
    """Write a figure as PNG atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    figure
        The figure to write.
    path
        The PNG file to write; its folder is created if needed.
    dpi
        Resolution; the figure's own by default.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    from .io.writers import atomic_write

    target = atomic_write(
        path,
        lambda stream: figure.savefig(stream, format="png", dpi=dpi or figure.dpi),
        overwrite=True,
    )
    logger.info("wrote %s", target)
    return target


def _check_values(values: pd.Series, *, what: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        msg = (
            f"{what} must be a pandas Series indexed by commune code, "
            f"found {type(values).__name__}."
        )
        raise InputFormatError(msg)
    codes = normalise_codes(values.index, what=f"{what} codes")
    return values.set_axis(codes)


def _check_bins(bins: Sequence[float]) -> np.ndarray:
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.isnan(edges).any() or (np.diff(edges) <= 0).any():
        msg = (
            "bins must be at least two strictly increasing class edges (the last may be inf), "
            f"found {describe_values(list(bins))}."
        )
        raise ParameterError(msg)
    return edges


def _format_edge(value: float) -> str:
    return f"{value:g}"


def _bin_labels(edges: np.ndarray) -> list[str]:
    labels = []
    for k in range(len(edges) - 1):
        low, high = edges[k], edges[k + 1]
        if k == 0 and low <= 0:
            labels.append(f"< {_format_edge(high)}")
        elif math.isinf(high):
            labels.append(f"≥ {_format_edge(low)}")
        else:
            labels.append(f"{_format_edge(low)} – {_format_edge(high)}")
    return labels


def _bin_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Class of each value (left-closed bins ``[e_k, e_k+1)``), -1 for NaN or out of range."""
    index = np.searchsorted(edges, values, side="right") - 1
    index[(index < 0) | (index >= len(edges) - 1) | np.isnan(values)] = -1
    return index


def _align(values: pd.Series, geometries: pd.Series, *, what: str) -> pd.Series:
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
        logger.warning(
            "%d communes of the %s have no contour and are not drawn: %s",
            len(missing),
            what,
            describe_values(missing.tolist()),
        )
    return geometries.reindex(values.index.intersection(geometries.index, sort=False))


def plot_apl_map(
    values: pd.Series,
    contours: Any,
    *,
    bins: Sequence[float] = APL_BINS,
    cmap: str = "RdYlBu",
    unit: str = APL_UNIT,
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 8.0),
    dpi: float = 100.0,
    engine: Engine = "auto",
    edgecolor: str = _EDGE_COLOUR,
    linewidth: float | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Choropleth of APL by commune, in classes, with a legend in the indicator's units.

    Parameters
    ----------
    values
        APL by commune code; communes with NaN (or outside the classes when the last edge is
        finite) are drawn grey.
    contours
        Commune contours (see the module documentation); only communes of ``values`` are drawn.
    bins
        Class edges, left-closed (``[1.5, 2.5)``); the last edge may be ``inf``.
    cmap
        A matplotlib colormap name; low classes take its first colours.
    unit
        Legend title (the unit of the indicator).
    title
        Figure title.
    figsize, dpi
        Figure size in inches and resolution: the PNG is ``figsize * dpi`` pixels.
    engine
        ``"matplotlib"`` for plain matplotlib paths, ``"geopandas"`` to draw with geopandas
        (the same picture for polygons, about three times slower), ``"auto"`` (default) for
        plain paths, or geopandas when installed and some contours are points or lines.
    edgecolor, linewidth
        Commune borders; by default 0.1 pt, and none above 3 000 communes (borders would
        cover the colours at that scale).
    path
        When given, the PNG is written there atomically.

    Returns
    -------
    matplotlib.figure.Figure
        The map.

    Raises
    ------
    InputFormatError
        No contour matches the codes of ``values``, or unreadable contours.
    ParameterError
        Bins that are not increasing, unknown engine.
    """
    import matplotlib as mpl

    values = _check_values(values, what="APL values")
    edges = _check_bins(bins)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    if (numbers < 0).any():
        bad = values[numbers < 0]
        msg = f"APL values must be non-negative, found {describe_values(bad.head(5).items())}."
        raise InvalidValueError(msg)
    geometries = _align(values, as_geometries(contours), what="APL values")
    drawn = pd.Series(numbers, index=values.index).reindex(geometries.index).to_numpy()
    classes = _bin_of(drawn, edges)
    n_classes = len(edges) - 1
    colormap = mpl.colormaps[cmap].resampled(n_classes)
    palette = [mpl.colors.to_hex(colormap(k)) for k in range(n_classes)]
    colours = [palette[c] if c >= 0 else _MISSING_COLOUR for c in classes]
    handles = [_patch(palette[k], label) for k, label in enumerate(_bin_labels(edges))]
    unclassed = classes < 0
    if unclassed.any():
        missing = np.isnan(drawn[unclassed]).any()
        outside = (~np.isnan(drawn[unclassed])).any()
        label = " or ".join(
            text for text, flag in (("no value", missing), ("out of the classes", outside)) if flag
        )
        handles.append(_patch(_MISSING_COLOUR, label))
    return _map_figure(
        geometries,
        colours,
        handles,
        legend_title=_wrap(unit),
        title=title,
        figsize=figsize,
        dpi=dpi,
        engine=engine,
        edgecolor=edgecolor,
        linewidth=linewidth,
        path=path,
    )


def _patch(colour: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="#777777", label=label)


def _map_figure(
    geometries: pd.Series,
    colours: Sequence[str],
    handles: list[Any],
    *,
    legend_title: str,
    title: str | None,
    figsize: tuple[float, float],
    dpi: float,
    engine: Engine,
    edgecolor: str,
    linewidth: float | None,
    path: str | os.PathLike[str] | None,
) -> Figure:
    """Contours in their colours, the legend on the right, the title; the PNG when asked."""
    figure = _new_figure(figsize, dpi)
    ax = figure.add_subplot()
    engine_used = _resolve_engine(engine, geometries)
    _draw(ax, geometries, colours, engine=engine_used, edgecolor=edgecolor, linewidth=linewidth)
    figure.legend(
        handles=handles,
        title=legend_title,
        loc="outside right upper",
        fontsize="small",
        title_fontsize="small",
        frameon=True,
    )
    if title:
        ax.set_title(_wrap(title, 60))
    if path is not None:
        save_figure(figure, path)
    return figure


def _wrap(text: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in text.splitlines()) or text


def _class_colours(classes: pd.Series, colours: Mapping[str, str] | None) -> dict[str, str]:
    """Colour of each class present, in legend order.

    The order is that of the categories for a categorical Series, else that of
    :data:`ZONE_COLOURS` then of ``colours``, other labels last in sorted order; labels without
    a colour take the ``tab10`` ones.
    """
    import matplotlib as mpl

    palette = ZONE_COLOURS | dict(colours or {})
    if isinstance(classes.dtype, pd.CategoricalDtype):
        present = set(classes.dropna().astype(str))
        order = [str(c) for c in classes.cat.categories if str(c) in present]
    else:
        present = list(pd.unique(classes.dropna().astype(str)))
        known = [k for k in palette if k in present]
        order = known + sorted(set(present) - set(known))
    spare = iter(mpl.colormaps["tab10"].colors)
    return {
        label: palette[label]
        if label in palette
        else mpl.colors.to_hex(next(spare, (0.5, 0.5, 0.5)))
        for label in order
    }


def plot_zoning_map(
    classes: pd.Series,
    contours: Any,
    *,
    colours: Mapping[str, str] | None = None,
    population: pd.Series | None = None,
    title: str | None = None,
    legend_title: str = "zoning class",
    figsize: tuple[float, float] = (8.0, 8.0),
    dpi: float = 100.0,
    engine: Engine = "auto",
    edgecolor: str = _EDGE_COLOUR,
    linewidth: float | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Map of zoning classes (ZIP, ZAC, HZ, ...) by commune with a categorical legend.

    Parameters
    ----------
    classes
        Class label by commune code (a categorical Series keeps its category order in the legend).
        Missing labels are drawn grey.
    contours
        Commune contours (see the module documentation).
    colours
        Colours by class label, overriding :data:`ZONE_COLOURS`; other labels take ``tab10``
        colours.
    population
        Population by commune code; when given, the legend shows the population of each class.
    title, legend_title
        Figure and legend titles.
    figsize, dpi, engine, edgecolor, linewidth, path
        As in :func:`plot_apl_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The map.
    """
    classes = _check_values(classes, what="zoning classes")
    geometries = _align(classes, as_geometries(contours), what="zoning classes")
    palette = _class_colours(classes, colours)
    drawn = classes.reindex(geometries.index)
    colours_drawn = [
        palette[str(v)] if not pd.isna(v) and str(v) in palette else _MISSING_COLOUR
        for v in drawn.to_numpy(dtype=object)
    ]
    totals: pd.Series | None = None
    if population is not None:
        population = _check_values(population, what="population")
        weights = pd.to_numeric(population, errors="coerce").reindex(classes.index).fillna(0.0)
        totals = weights.groupby(classes.astype(object).astype(str)).sum()
    handles = []
    for label, colour in palette.items():
        text = label
        if totals is not None:
            text = f"{label} ({totals.get(label, 0.0):,.0f} inhabitants)".replace(",", " ")
        handles.append(_patch(colour, text))
    if drawn.isna().any():
        handles.append(_patch(_MISSING_COLOUR, "no class"))
    return _map_figure(
        geometries,
        colours_drawn,
        handles,
        legend_title=legend_title,
        title=title,
        figsize=figsize,
        dpi=dpi,
        engine=engine,
        edgecolor=edgecolor,
        linewidth=linewidth,
        path=path,
    )


def plot_population_by_class(
    values: pd.Series,
    population: pd.Series,
    *,
    bins: Sequence[float] = APL_BINS,
    classes: pd.Series | None = None,
    colours: Mapping[str, str] | None = None,
    unit: str = APL_UNIT,
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 5.0),
    dpi: float = 100.0,
    path: str | os.PathLike[str] | None = None,
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
        Colours of the zoning classes (see :func:`plot_zoning_map`).
    unit
        The unit of the indicator, used in the x-axis label.
    title
        Figure title.
    figsize, dpi, path
        As in :func:`plot_apl_map`.

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
    from .aggregate import align_on_codes

    values = _check_values(values, what="APL values")
    population = _check_values(population, what="population")
    edges = _check_bins(bins)
    values, population = align_on_codes(
        values, population, what="APL values", other_what="population"
    )
    weights = pd.to_numeric(population, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        msg = (
            "population must be finite and non-negative, found "
            f"{describe_values(population[bad].head(5).items())}."
        )
        raise InvalidValueError(msg)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    bin_index = _bin_of(numbers, edges)
    n_classes = len(edges) - 1
    labels = _bin_labels(edges)
    total = float(weights[bin_index >= 0].sum())

    figure = _new_figure(figsize, dpi)
    ax = figure.add_subplot()
    x = np.arange(n_classes)
    if classes is None:
        heights = np.bincount(
            bin_index[bin_index >= 0], weights=weights[bin_index >= 0], minlength=n_classes
        )
        ax.bar(x, heights / 1e3, color="#4393c3")
    else:
        classes = _check_values(classes, what="zoning classes").reindex(values.index)
        palette = _class_colours(classes, colours)
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
    if path is not None:
        save_figure(figure, path)
    return figure
