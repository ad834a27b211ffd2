"""Build the commune code history of ``aplcore/data/`` from ``@etalab/decoupage-administratif``.

Run from the repository root::

    python data/build_code_history.py          # writes aplcore/data/commune_history.parquet
    python data/build_code_history.py --check  # rebuilds in a temporary folder, compares checksums

Each version of the npm package carries the Code officiel géographique (COG) of one year: every
commune actuelle with the codes it absorbed (``anciensCodes``), every commune déléguée or associée
with its ``chefLieu`` (the commune it belongs to), and the arrondissements municipaux of Paris,
Lyon and Marseille. The script fetches the versions listed in :data:`VINTAGES` with ``npm pack``
(the registry's tarball, checked against the sha256 recorded here), reads ``data/communes.json``
from each tarball and writes, for every code known in a vintage, the unit that holds its
territory in that vintage. Runs of consecutive vintages with the same answer are stored once
(``since``/``until``). ``data/README.md`` records the versions, checksums and columns.

Output (deterministic for given versions of this script, pandas and pyarrow):

``commune_history.parquet``
    ``code``, ``since``, ``until`` (COG years, inclusive), ``status`` (``commune``,
    ``arrondissement``, ``deleguee``, ``associee``, ``ancien``), ``unit`` (the commune or
    arrondissement municipal holding the code's territory in those years; the code itself for
    communes and arrondissements), ``name`` (the code's own name in those years, when the source
    gives one).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger("build_code_history")

PACKAGE = "@etalab/decoupage-administratif"
#: COG year -> package version, as listed in the package README ("Millésimes et versions de
#: package"); 2020 is not available in the package. sha256 of each tarball as published.
VINTAGES: dict[int, tuple[str, str]] = {
    2021: ("1.1.1", "db6e7c433ee675de314aa19bfc4faf796451342960ed2c1b42fda0f458a97e23"),
    2022: ("2.3.1", "d7f2a6915af27a719eeb6eb6581d9a645849b5b23e5c97fa5aa2931eb3552d1f"),
    2023: ("3.1.1", "225079c8cd185379fd494993e99fe712523e2f16e4a1170d8391a76a304e7073"),
    2024: ("4.1.0", "318f0cfc0c1f9d8113b272bf3cefb8f207f23f73026ee5932215f5d80d7a0f2a"),
    2025: ("5.3.0", "149cd9096f70915c02e5d39ef6045f0900d94c782ee9f1c1941703092fe72636"),
    2026: ("6.0.0", "c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a"),
}

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "aplcore" / "data"
OUT_NAME = "commune_history.parquet"

#: When a code appears several times in one vintage, the first status of this list wins (the
#: chef-lieu of a commune nouvelle is both a commune actuelle and a commune déléguée).
STATUS_ORDER = ("commune", "arrondissement", "deleguee", "associee", "ancien")
#: Mayotte's codes before its 2011 renumbering (985xx -> 976xx) appear as ``anciensCodes`` in the
#: 2022 and 2023 versions only, paired differently in each (98501 -> 97614 in 2022, 97601 in 2023):
#: left out rather than guessed.
OLD_MAYOTTE_PREFIX = "985"
_TYPES = {
    "commune-actuelle": "commune",
    "arrondissement-municipal": "arrondissement",
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(version: str, expected_sha256: str, folder: Path) -> Path:
    """``npm pack`` one version of the package into ``folder`` and check its checksum."""
    cmd = ["npm", "pack", f"{PACKAGE}@{version}", "--pack-destination", str(folder), "--silent"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    tarball = folder / f"etalab-decoupage-administratif-{version}.tgz"
    found = sha256(tarball)
    if found != expected_sha256:
        msg = f"{tarball.name}: sha256 {found}, expected {expected_sha256}"
        raise RuntimeError(msg)
    return tarball


def read_communes(tarball: Path) -> list[dict]:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/data/communes.json")
        if member is None:  # pragma: no cover - the package always has it
            msg = f"{tarball.name} has no data/communes.json"
            raise RuntimeError(msg)
        return json.load(member)


def vintage_rows(communes: list[dict]) -> pd.DataFrame:
    """One row per code of one vintage: its status, the unit holding it, its name."""
    rows = []
    for item in communes:
        status = _TYPES[item["type"]]
        unit = item["code"] if status in ("commune", "arrondissement") else item["chefLieu"]
        rows.append((item["code"], status, unit, item["nom"]))
        if status == "commune":
            rows.extend(
                (old, "ancien", item["code"], None)
                for old in item.get("anciensCodes", [])
                if not old.startswith(OLD_MAYOTTE_PREFIX)
            )
    table = pd.DataFrame(rows, columns=["code", "status", "unit", "name"])
    table["rank"] = table["status"].map(STATUS_ORDER.index)
    table = table.sort_values(["code", "rank"], kind="stable").drop_duplicates("code")
    return _resolve_chains(table.drop(columns="rank"))


def _resolve_chains(table: pd.DataFrame) -> pd.DataFrame:
    """Point every code at a commune actuelle or arrondissement of the same vintage."""
    units = set(table.loc[table["status"].isin(["commune", "arrondissement"]), "code"])
    target = dict(zip(table["code"], table["unit"], strict=True))
    resolved = []
    for code, unit in zip(table["code"], table["unit"], strict=True):
        seen = {code}
        while unit not in units:
            if unit in seen or unit not in target:
                msg = f"code {code}: its unit {unit} is not a commune of the same vintage"
                raise RuntimeError(msg)
            seen.add(unit)
            unit = target[unit]
        resolved.append(unit)
    return table.assign(unit=resolved)


def build(tarballs: dict[int, Path]) -> pd.DataFrame:
    """The history table: runs of consecutive vintages with the same status, unit and name."""
    frames = []
    for year, tarball in sorted(tarballs.items()):
        frames.append(vintage_rows(read_communes(tarball)).assign(year=year))
    long = pd.concat(frames, ignore_index=True).sort_values(["code", "year"], kind="stable")
    years = sorted(tarballs)
    position = long["year"].map(years.index)
    key = ["code", "status", "unit", "name"]
    same = (long[key].fillna("\0") == long[key].fillna("\0").shift()).all(axis=1)
    new_run = ~same | (position != position.shift() + 1)
    long["run"] = new_run.cumsum()
    runs = long.groupby("run", sort=False).agg(
        code=("code", "first"),
        since=("year", "min"),
        until=("year", "max"),
        status=("status", "first"),
        unit=("unit", "first"),
        name=("name", "first"),
    )
    runs = runs.sort_values(["code", "since"], kind="stable").reset_index(drop=True)
    runs["since"] = runs["since"].astype("int16")
    runs["until"] = runs["until"].astype("int16")
    return runs


def write(table: pd.DataFrame, path: Path) -> None:
    schema = pa.schema(
        [
            ("code", pa.string()),
            ("since", pa.int16()),
            ("until", pa.int16()),
            ("status", pa.string()),
            ("unit", pa.string()),
            ("name", pa.string()),
        ]
    )
    arrow = pa.Table.from_pandas(table, schema=schema, preserve_index=False)
    meta = {
        "source": f"npm {PACKAGE}",
        "vintages": {str(y): v for y, (v, _) in VINTAGES.items()},
        "built_by": "data/build_code_history.py",
    }
    arrow = arrow.replace_schema_metadata({b"aplcore": json.dumps(meta, sort_keys=True).encode()})
    tmp = path.with_suffix(".tmp")
    pq.write_table(arrow, tmp, compression="zstd", compression_level=19)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild and compare, write nothing")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tarballs = {}
        for year, (version, digest) in VINTAGES.items():
            logger.info("npm pack %s@%s (COG %d)", PACKAGE, version, year)
            tarballs[year] = fetch(version, digest, folder)
        table = build(tarballs)
        out = folder / OUT_NAME if args.check else args.out / OUT_NAME
        write(table, out)
        logger.info("%s: %d rows, sha256 %s", out.name, len(table), sha256(out))
        if args.check:
            committed = OUT_DIR / OUT_NAME
            if not committed.exists() or sha256(committed) != sha256(out):
                logger.error("%s differs from the rebuilt file", committed)
                return 1
            logger.info("%s is up to date", committed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
