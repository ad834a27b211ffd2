"""Maps and charts of APL and zonings (matplotlib; geopandas optional).

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas (no pyplot
state, no display needed) and, when ``path`` is given, also writes it atomically as PNG, SVG or
PDF (200 dpi by default).

The package has three layers:

* :mod:`aplcore.plots.geometry`: contours in (GeoDataFrame, Series of geometries, WKB, WKT),
  shapely geometries and matplotlib paths out;
* :mod:`aplcore.plots.render`: geometries in their colours on an axes, class colours, figures
  and files;
* :mod:`aplcore.plots.compose`: map composition — outlines of the level above, scale bar,
  legend, title, source and date line, overseas insets (:func:`compose_map`);

and the ready-made figures :func:`plot_apl_map`, :func:`plot_zoning_map` and
:func:`plot_population_by_class`.

Longitude/latitude contours are drawn with the aspect ratio of their mean latitude; projected
contours (metres, e.g. Lambert-93) with equal axes.
"""

from __future__ import annotations

from .charts import plot_population_by_class
from .compose import (
    OVERSEAS_NAMES,
    add_outlines,
    add_scale_bar,
    add_source_line,
    compose_map,
    dissolve,
    outline_groups,
    split_overseas,
)
from .geometry import as_geometries
from .layout import MapLayout
from .maps import APL_BINS, APL_UNIT, apl_unit, plot_apl_map, plot_zoning_map
from .render import (
    DEFAULT_DPI,
    FIGURE_FORMATS,
    MANY_COMMUNES,
    MISSING_COLOUR,
    ZONE_COLOURS,
    class_colours,
    draw_geometries,
    new_figure,
    save_figure,
)

__all__ = [
    "APL_BINS",
    "APL_UNIT",
    "DEFAULT_DPI",
    "FIGURE_FORMATS",
    "MANY_COMMUNES",
    "MISSING_COLOUR",
    "OVERSEAS_NAMES",
    "ZONE_COLOURS",
    "MapLayout",
    "add_outlines",
    "add_scale_bar",
    "add_source_line",
    "apl_unit",
    "as_geometries",
    "class_colours",
    "compose_map",
    "dissolve",
    "draw_geometries",
    "new_figure",
    "outline_groups",
    "plot_apl_map",
    "plot_population_by_class",
    "plot_zoning_map",
    "save_figure",
    "split_overseas",
]
