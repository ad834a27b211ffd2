"""Rendering: geometries in their colours on a matplotlib axes, figures, files, class colours.

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

from ..errors import ParameterError
from ..io.atomic import atomic_write
from .geometry import is_geographic, only_polygons, paths_of, total_bounds

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_DPI",
    "FIGURE_FORMATS",
    "MANY_COMMUNES",
    "MISSING_COLOUR",
    "ZONE_COLOURS",
    "Engine",
    "class_colours",
    "draw_geometries",
    "new_figure",
    "relative_luminance",
    "resolve_engine",
    "save_figure",
    "zone_colours",
]

logger = logging.getLogger("aplcore.plots")

#: Default resolution of figures (dots per inch): fit for print.
DEFAULT_DPI = 200.0

#: File formats :func:`save_figure` writes, by suffix.
FIGURE_FORMATS = ("png", "svg", "pdf")

#: Above this many communes, commune borders are not drawn: each commune is outlined in its own
#: colour instead, which hides the anti-aliasing seams between neighbours.
MANY_COMMUNES = 3000

#: Colour of communes without a value or class: a mid grey that no class colour comes close to.
MISSING_COLOUR = "#bdbdbd"

#: Commune borders of maps with few communes.
EDGE_COLOUR = "#ffffff"

#: Colours of the zoning classes, in legend order: 2025 ZIP/ZAC/HZ; 2017 ZIP/ZAC/ZV (zone de
#: vigilance)/HV (hors vivier), the labels of :mod:`aplcore.zoning`, also spelt out in full;
#: the five levels of the other professions' zonings, most under-served first.
ZONE_COLOURS: dict[str, str] = {
    "ZIP": "#b2182b",
    "ZAC": "#f4a582",
    "ZV": "#fddbc7",
    "vigilance": "#fddbc7",
    "HZ": "#92c5de",
    "HV": "#4393c3",
    "hors vivier": "#4393c3",
    "very_under_served": "#b2182b",
    "under_served": "#ef8a62",
    "intermediate": "#e6c35c",
    "well_served": "#67a9cf",
    "over_served": "#2166ac",
}

#: Class colours lighter than this (relative luminance, 0 black – 1 white) read as "no data".
NEAR_WHITE = 0.8

Engine = Literal["auto", "geopandas", "matplotlib"]


def relative_luminance(colour: Any) -> float:
    """WCAG relative luminance of a matplotlib colour (0 for black, 1 for white)."""
    from matplotlib.colors import to_rgb

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def class_colours(cmap: str, n: int) -> list[str]:
    """``n`` colours of a colormap for ordered classes, none of them near-white.

    Diverging colormaps (``RdYlBu``, ``RdBu``, ...) are near-white in their middle, which on a
    map reads as "no data": their central band is skipped, the low classes taking the first half
    of the colours and the high classes the second half.

    Examples
    --------
    >>> class_colours("RdYlBu", 6)[0]
    '#a50026'
    """
    import matplotlib as mpl

    colormap = mpl.colormaps[cmap]
    positions = np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.0])
    if relative_luminance(colormap(0.5)) > NEAR_WHITE:
        low = positions < 0.5
        positions = np.where(low, positions * 0.7, 0.3 + 0.7 * positions)
    return [mpl.colors.to_hex(colormap(p)) for p in positions]


def zone_colours(classes: pd.Series, colours: Mapping[str, str] | None = None) -> dict[str, str]:
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
        present_list = list(pd.unique(classes.dropna().astype(str)))
        known = [k for k in palette if k in present_list]
        order = known + sorted(set(present_list) - set(known))
    spare = iter(mpl.colormaps["tab10"].colors)
    return {
        label: palette[label]
        if label in palette
        else mpl.colors.to_hex(next(spare, (0.5, 0.5, 0.5)))
        for label in order
    }


def resolve_engine(engine: Engine, geometries: pd.Series) -> str:
    """The engine that draws ``geometries``: ``"matplotlib"`` or ``"geopandas"``."""
    if engine not in ("auto", "geopandas", "matplotlib"):
        msg = f"engine must be 'auto', 'geopandas' or 'matplotlib', found {engine!r}."
        raise ParameterError(msg)
    if engine == "matplotlib" or (engine == "auto" and only_polygons(geometries)):
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


def draw_geometries(
    ax: Axes,
    geometries: pd.Series,
    colours: Sequence[str],
    *,
    engine: Engine = "auto",
    edgecolor: str | None = None,
    linewidth: float | None = None,
) -> None:
    """Fill each geometry in its colour and frame the axes on them (no ticks, true aspect).

    Parameters
    ----------
    ax
        The axes to draw on.
    geometries
        Shapely geometries (``None`` for nothing to draw).
    colours
        One colour per geometry.
    engine
        See the module documentation.
    edgecolor, linewidth
        Borders. By default 0.1 pt white borders up to :data:`MANY_COMMUNES` geometries; above,
        each geometry is outlined in its own colour (no seams, no white mesh).
    """
    used = resolve_engine(engine, geometries)
    edges: Any = edgecolor
    if linewidth is None and edgecolor is None and len(geometries) > MANY_COMMUNES:
        edges, linewidth = list(colours), 0.15
    elif linewidth is None:
        linewidth = 0.1 if len(geometries) <= MANY_COMMUNES else 0.0
    if edges is None:
        edges = EDGE_COLOUR
    if used == "geopandas":
        import geopandas

        frame = geopandas.GeoDataFrame(
            {"colour": list(colours)}, geometry=list(geometries.to_numpy()), index=geometries.index
        )
        frame.plot(ax=ax, color=frame["colour"].tolist(), edgecolor=edges, linewidth=linewidth)
    else:
        from matplotlib.collections import PathCollection

        paths = paths_of(geometries.to_numpy())
        drawn = [k for k, path in enumerate(paths) if path is not None]
        collection = PathCollection(
            [paths[k] for k in drawn],
            facecolors=[colours[k] for k in drawn],
            edgecolors=[edges[k] for k in drawn] if isinstance(edges, list) else edges,
            linewidths=linewidth,
        )
        ax.add_collection(collection)
    frame_axes(ax, total_bounds(geometries))


def frame_axes(ax: Axes, bounds: tuple[float, float, float, float]) -> None:
    """Limits with a 2 % margin, the aspect of the coordinates (latitude-corrected for degrees)."""
    xmin, ymin, xmax, ymax = bounds
    pad_x = 0.02 * (xmax - xmin or 1.0)
    pad_y = 0.02 * (ymax - ymin or 1.0)
    ax.set_xlim(xmin - pad_x, xmax + pad_x)
    ax.set_ylim(ymin - pad_y, ymax + pad_y)
    if is_geographic(bounds):
        ax.set_aspect(1.0 / max(math.cos(math.radians((ymin + ymax) / 2)), 0.1))
    else:
        ax.set_aspect("equal")
    ax.set_axis_off()


def new_figure(figsize: tuple[float, float], dpi: float) -> Figure:
    """A figure on the Agg canvas (no pyplot state, no display), constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The file format of a figure path: ``format`` when given, else the suffix."""
    chosen = (format or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FIGURE_FORMATS:
        msg = (
            f"figures are written as {', '.join(FIGURE_FORMATS)}; found {Path(path).name!r}"
            + (f" with format {format!r}" if format else "")
            + ". Give a path ending in .png, .svg or .pdf."
        )
        raise ParameterError(msg)
    return chosen


def save_figure(
    figure: Figure,
    path: str | os.PathLike[str],
    *,
    dpi: float | None = None,
    format: str | None = None,
) -> Path:
    """Write a figure as PNG, SVG or PDF atomically (temporary file in its folder, then rename).

    Parameters
    ----------
    figure
        The figure to write.
    path
        The file to write; its folder is created if needed.
    dpi
        Resolution of PNG files (and of the rasterised parts of SVG/PDF); the figure's own by
        default.
    format
        ``"png"``, ``"svg"`` or ``"pdf"``; by default the suffix of ``path``.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ParameterError
        A format other than PNG, SVG or PDF.
    """
    chosen = figure_format(path, format)
    # no creation date: the same figure gives the same file
    metadata = {"png": None, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[chosen]
    import matplotlib as mpl

    def write(stream: Any) -> None:
        with mpl.rc_context({"svg.hashsalt": "aplcore"}):  # stable ids in SVG files
            figure.savefig(stream, format=chosen, dpi=dpi or figure.dpi, metadata=metadata)

    target = atomic_write(path, write, overwrite=True)
    logger.info("wrote %s", target)
    return target
