"""How a map is laid out around its communes: the options every map function takes.

:func:`~aplcore.plots.plot_apl_map`, :func:`~aplcore.plots.plot_zoning_map` and
:func:`~aplcore.plots.compose.compose_map` take these options as keywords (their public
signatures); each gathers them once in a :class:`MapLayout`, and the drawing code reads that.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import pandas as pd

from .render import DEFAULT_DPI, Engine

__all__ = ["MapLayout"]


@dataclass(frozen=True, eq=False)
class MapLayout:
    """Everything around the communes of a map.

    Parameters
    ----------
    title
        Figure title (plain words: what, where, which data).
    source
        Source of the data, written with the date at the bottom
        (see :func:`aplcore.plots.compose.add_source_line`).
    date
        Date of the source line: ``True`` for today, ``None`` for none.
    outlines
        Level whose borders are drawn over the communes: ``"departement"`` (default),
        ``"region"``, a Series code → group, or ``None``.
    insets
        Draw the overseas départements as insets below metropolitan France when both are
        present (at their true place, France would be mostly ocean).
    scale_bar
        Draw a scale bar on the map (and on each inset: their scales differ).
    figsize, dpi
        Figure size in inches and resolution (a PNG is ``figsize * dpi`` pixels).
    engine, edgecolor, linewidth
        How communes are drawn (see :func:`aplcore.plots.render.draw_geometries`).
    path, format
        When ``path`` is given the figure is written there atomically, as PNG, SVG or PDF
        (``format``, or the suffix of ``path``).
    """

    title: str | None = None
    source: str | None = None
    date: datetime.date | str | bool | None = True
    outlines: str | pd.Series | None = "departement"
    insets: bool = True
    scale_bar: bool = True
    figsize: tuple[float, float] = (8.0, 8.0)
    dpi: float = DEFAULT_DPI
    engine: Engine = "auto"
    edgecolor: str | None = None
    linewidth: float | None = None
    path: str | os.PathLike[str] | None = None
    format: str | None = None
