"""Centre-Val de Loire GP zoning 2025 from the DREES APL 2023 workbook.

Usage::

    python examples/zoning_centre_val_de_loire.py [WORKBOOK] [--territories TVS.csv]
        [--stand-in arrondissement|postcode] [--communes-json communes.json] [--out DIR]

* ``WORKBOOK``: the DREES GP APL workbook (national file or regional extract). Defaults to the
  Centre-Val de Loire extract in ``../shared/data/raw/drees_apl_mg_2022_2023/`` when present.
* Territories: the official commune → TVS table is not distributed with aplcore. Pass it with
  ``--territories`` (a CSV with columns ``com_code`` and ``tvs_code``, e.g. the national zoning
  file, or ``commune`` and ``territory``). Without it, a **stand-in** is used and said so in the
  output: the arrondissement of each commune (about 20 territories in the region, much coarser
  than the TVS), or with ``--stand-in postcode`` the commune's first postal code (finer, but not
  a health territory). Both come from the COG table of ``@etalab/decoupage-administratif``
  (``communes.json``), read at run time.
* Classification: preset ``zonage_2025`` (thresholds 2.71 and 3.98, reported, not confirmed),
  APL of GPs aged 65 or less, resident population, the region's caps ZIP 1 834 765 / ZAC 548 114 /
  HZ 190 424 inhabitants and a margin of 2 346 for ZIP.

Writes, with ``--out``, ``zoning_report.csv`` and ``zonage_communes.csv`` (national file schema).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from aplcore.io.drees import read_drees_apl
from aplcore.zoning import classify_zones, write_csv

REGION = "24"
CAPS = {"ZIP": 1_834_765, "ZAC": 548_114, "HZ": 190_424}
MARGIN = 2_346
THRESHOLDS = (2.71, 3.98)
EXTRACT = "drees_apl_mg_2022_2023/apl_generalistes_extrait_centre_val_de_loire.xlsx"
COMMUNES_JSON = "etalab_decoupage_administratif_6_0_0/communes.json"

# published result by département of attribution (official TVS), for comparison (spec §6)
PUBLISHED = pd.DataFrame(
    {
        "population": [304_871, 436_923, 212_661, 610_405, 312_429, 696_014],
        "ZIP": [287_559, 394_610, 195_965, 58_602, 279_282, 618_744],
        "ZAC": [17_312, 42_313, 16_696, 361_379, 33_147, 77_270],
        "HZ": [0, 0, 0, 190_424, 0, 0],
    },
    index=pd.Index(["18", "28", "36", "37", "41", "45"], name="departement"),
)


def shared_raw() -> Path | None:
    """``shared/data/raw`` beside the checkout, or from ``APLCORE_SHARED_DIR``."""
    env = os.environ.get("APLCORE_SHARED_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared"
    raw = base / "data" / "raw"
    return raw if raw.is_dir() else None


def official_territories(path: Path) -> pd.DataFrame:
    """Commune → TVS from a CSV with ``com_code``/``tvs_code`` or ``commune``/``territory``."""
    table = pd.read_csv(path, dtype=str, sep=None, engine="python")
    table = table.rename(columns={"com_code": "commune", "tvs_code": "territory"})
    missing = {"commune", "territory"} - set(table.columns)
    if missing:
        msg = (
            f"{path.name}: expected columns com_code and tvs_code (or commune and territory), "
            f"found {list(table.columns)}"
        )
        raise SystemExit(msg)
    return table[["commune", "territory"]].drop_duplicates().set_index("commune")


def stand_in_territories(communes_json: Path, codes: pd.Index, kind: str) -> pd.DataFrame:
    """Arrondissement or first postal code of each commune, from the COG ``communes.json``."""
    records = json.loads(communes_json.read_text(encoding="utf-8"))
    current = ("commune-actuelle", "arrondissement-municipal")
    # current communes first; merged communes of the APL vintage through their delegated entry
    ordered = [r for r in records if r["type"] in current]
    ordered += [r for r in records if r["type"] not in current]
    by_code: dict[str, str] = {}
    for r in ordered:
        if r["code"] in by_code:
            continue
        if kind == "arrondissement" and r.get("arrondissement"):
            by_code[r["code"]] = f"arr-{r['arrondissement']}"
        elif kind == "postcode" and r.get("codesPostaux"):
            by_code[r["code"]] = f"cp-{r['codesPostaux'][0]}"
    if kind == "postcode":  # delegated communes have no postal code: their chef-lieu's
        for r in records:
            if r["code"] not in by_code and r.get("chefLieu") in by_code:
                by_code[r["code"]] = by_code[r["chefLieu"]]
    found = pd.Series(by_code, name="territory").reindex(codes)
    return found.dropna().to_frame()


def main(argv: list[str] | None = None) -> int:
    raw = shared_raw()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "workbook",
        nargs="?",
        type=Path,
        default=raw / EXTRACT if raw is not None and (raw / EXTRACT).is_file() else None,
        help="DREES GP APL workbook (.xlsx)",
    )
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--territories", type=Path, help="official commune -> TVS CSV")
    parser.add_argument(
        "--stand-in", choices=("arrondissement", "postcode"), default="arrondissement"
    )
    parser.add_argument(
        "--communes-json",
        type=Path,
        default=raw / COMMUNES_JSON if raw is not None else None,
        help="COG communes.json of @etalab/decoupage-administratif (for the stand-in)",
    )
    parser.add_argument("--out", type=Path, help="folder for the CSV outputs")
    args = parser.parse_args(argv)
    if args.workbook is None:
        parser.error("give the DREES workbook path (../shared/data/raw was not found)")

    apl = read_drees_apl(args.workbook, year=args.year)
    apl = apl[apl.index.str[:2].isin(PUBLISHED.index)]
    if args.territories is not None:
        territories = official_territories(args.territories)
        source = f"official commune -> TVS table {args.territories.name}"
    else:
        if args.communes_json is None or not args.communes_json.is_file():
            parser.error("no --territories table and no communes.json for the stand-in")
        territories = stand_in_territories(args.communes_json, apl.index, args.stand_in)
        source = (
            f"STAND-IN territories: {args.stand_in} of each commune (from "
            f"{args.communes_json.name}), not the official TVS; pass --territories for those"
        )
        lost = apl.index.difference(territories.index)
        if len(lost):
            print(
                f"note: {len(lost)} communes without a {args.stand_in}: dropped "
                f"({', '.join(lost[:5])})"
            )
            apl = apl.drop(lost)
    table = territories.assign(region=REGION)

    zoning = classify_zones(
        apl["apl_65"],
        population=apl["pop_total"],
        territory=table,
        method="zonage_2025",
        thresholds=THRESHOLDS,
        caps=CAPS,
        margin=MARGIN,
    )
    terr = zoning.territories
    print(f"Centre-Val de Loire, APL {args.year} (GPs <= 65), {len(apl)} communes")
    print(f"territories: {source}; {len(terr)} territories")
    print(f"method zonage_2025, thresholds {THRESHOLDS}, caps {CAPS}, margin {MARGIN}\n")
    print(zoning.format_report())
    print("\ncaps:")
    for _, row in zoning.checks.iterrows():
        state = "met" if row["met"] else f"NOT met (+{row['excess']:,.0f})"
        print(f"  {row['constraint']:<9} {row['used']:>12,.0f} of {row['limit']:>12,.0f}  {state}")
    print("\npublished 2025 zoning with the official TVS (spec §6), for comparison:")
    print(PUBLISHED.to_string())
    if args.out is not None:
        write_csv(zoning.report, args.out / "zoning_report.csv")
        write_csv(zoning.to_national_schema(), args.out / "zonage_communes.csv")
        print(f"\nwritten: {args.out / 'zoning_report.csv'}, {args.out / 'zonage_communes.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
