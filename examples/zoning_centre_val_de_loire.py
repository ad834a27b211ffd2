"""Centre-Val de Loire GP zoning 2025 from the DREES APL 2023 workbook, to the decree annex.

Usage::

    python examples/zoning_centre_val_de_loire.py [WORKBOOK] [--territories TVS.csv]
        [--stand-in arrondissement|postcode] [--communes-json communes.json] [--out DIR]
        [--in-force zonage_medecins_par_commune.csv] [--no-maps]

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

* TVS value: the preset weights communal APL by the resident population (2017 arrêté, FAQ
  p. 5); the APL 2023 workbook note (the data the 2025 zoning used) weights territories by the
  standardised population. Both are computed and their difference printed.
* The guide's table by département ("Les seuils populationnels") is given as département
  thresholds: with stand-in territories they are not all met, and the checks say by how much.
* The zoning in force (the national file in ``../shared/data/raw/zonage_medecins_national_2025_05``,
  or ``--in-force``) is compared with the recomputed one, commune by commune.

Writes, with ``--out``: ``zoning_report.csv``, ``zonage_communes.csv`` (national file schema),
``decree_annex.csv`` and ``.txt``, ``zoning_table_by_departement.csv``, ``zoning_checks.csv``,
``weighting_comparison.csv``, ``comparison_*.csv`` and, unless ``--no-maps``, ``zoning_map.png``
and ``comparison_map.png`` (200 dpi).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import pandas as pd

from aplcore.io.drees import read_drees_apl
from aplcore.zoning import (
    ZoningWarning,
    classify_zones,
    compare_zonings,
    format_annex,
    get_method,
    write_csv,
    zoning_in_force,
)

REGION = "24"
CAPS = {"ZIP": 1_834_765, "ZAC": 548_114, "HZ": 190_424}
MARGIN = 2_346
THRESHOLDS = (2.71, 3.98)
EXTRACT = "drees_apl_mg_2022_2023/apl_generalistes_extrait_centre_val_de_loire.xlsx"
COMMUNES_JSON = "etalab_decoupage_administratif_6_0_0/communes.json"
IN_FORCE = "zonage_medecins_national_2025_05/zonage_medecins_par_commune.csv"
SOURCE = "APL 2023 of GPs aged 65 or less: DREES; zoning: aplcore, method zonage_2025"

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
    args = _parser(raw).parse_args(argv)
    if args.workbook is None:
        raise SystemExit("give the DREES workbook path (../shared/data/raw was not found)")

    apl = read_drees_apl(args.workbook, year=args.year)
    apl = apl[apl.index.str[:2].isin(PUBLISHED.index)]
    table, source, apl = _territories(args, apl)
    inputs = {
        "population": apl["pop_total"],
        "standardised": apl["pop_std"],
        "territory": table,
        "thresholds": THRESHOLDS,
        "caps": CAPS,
        "margin": MARGIN,
        # the guide's "seuils populationnels" by département, checked and reported
        "departement_caps": PUBLISHED[["ZIP", "ZAC", "HZ"]],
    }
    with warnings.catch_warnings():  # every check is printed below, met or not
        warnings.simplefilter("ignore", ZoningWarning)
        zoning = classify_zones(apl["apl_65"], method="zonage_2025", **inputs)
        workbook = classify_zones(
            apl["apl_65"], method=get_method("zonage_2025", weighting="standardised"), **inputs
        )
    terr = zoning.territories
    print(f"Centre-Val de Loire, APL {args.year} (GPs <= 65), {len(apl)} communes")
    print(f"territories: {source}; {len(terr)} territories")
    print(f"method zonage_2025, thresholds {THRESHOLDS}, caps {CAPS}, margin {MARGIN}\n")
    print(zoning.format_report())
    print("\nchecks (régional caps, rules, and the guide's département thresholds):")
    for _, row in zoning.checks.iterrows():
        state = "met" if row["met"] else f"NOT met (+{row['excess']:,.0f})"
        where = f"{row['departement']:>2}" if row["departement"] else "24"
        print(
            f"  {where} {row['constraint']:<28} {row['used']:>12,.0f} of {row['limit']:>12,.0f}"
            f"  {state}"
        )
    weighting = _weighting_difference(zoning, workbook)
    print("\npublished 2025 zoning with the official TVS (spec §6), for comparison:")
    print(PUBLISHED.to_string())
    comparison = None
    in_force_path = args.in_force
    if in_force_path is not None and in_force_path.is_file():
        in_force = zoning_in_force(in_force_path)
        in_force = in_force[in_force.index.str[:2].isin(PUBLISHED.index)]
        comparison = compare_zonings(in_force, zoning, labels=("in force (spring 2025)", "2025"))
        print(f"\nzoning in force ({in_force_path.name}) → recomputed 2025 zoning:")
        print(comparison.summary())
        print(comparison.transitions.round(0).to_string())
    if args.out is not None:
        _write(args, zoning, weighting, comparison)
    return 0


def _parser(raw: Path | None) -> argparse.ArgumentParser:
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
    parser.add_argument(
        "--in-force",
        type=Path,
        default=raw / IN_FORCE if raw is not None else None,
        help="national zoning file (com_code, zmed_niveau) of the zoning in force",
    )
    parser.add_argument("--out", type=Path, help="folder for the outputs")
    parser.add_argument("--no-maps", action="store_true", help="skip the two PNG maps")
    return parser


def _territories(args: argparse.Namespace, apl: pd.DataFrame) -> tuple:
    if args.territories is not None:
        territories = official_territories(args.territories)
        source = f"official commune -> TVS table {args.territories.name}"
    else:
        if args.communes_json is None or not args.communes_json.is_file():
            raise SystemExit("no --territories table and no communes.json for the stand-in")
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
    return territories.assign(region=REGION), source, apl


def _weighting_difference(zoning, workbook) -> pd.DataFrame:
    """TVS value by resident (2017 arrêté) vs standardised population (APL workbook note)."""
    a, b = zoning.territories, workbook.territories
    frame = pd.DataFrame(
        {
            "population": a["population"],
            "apl_resident": a["apl"],
            "apl_standardised": b["apl"],
            "zone_resident": a["zone"],
            "zone_standardised": b["zone"],
        }
    )
    changed = frame[frame["zone_resident"] != frame["zone_standardised"]]
    print("\nTVS value weighted by resident population (2017 arrêté, the preset) vs standardised")
    print("population (APL 2023 workbook note):")
    for zone in zoning.zones:
        r = a.loc[a["zone"] == zone, "population"].sum()
        s = b.loc[b["zone"] == zone, "population"].sum()
        print(f"  {zone:<4} {r:>12,.0f} inhabitants (resident)  {s:>12,.0f} (standardised)")
    gap = (frame["apl_standardised"] - frame["apl_resident"]).abs()
    print(
        f"  {len(changed)} of {len(frame)} territories change zone "
        f"({changed['population'].sum():,.0f} inhabitants); territory APL differs by "
        f"{gap.max():.3f} at most (median {gap.median():.3f})"
    )
    return frame


def _write(args: argparse.Namespace, zoning, weighting: pd.DataFrame, comparison) -> None:
    out = args.out
    written = [
        write_csv(zoning.report, out / "zoning_report.csv"),
        write_csv(zoning.to_national_schema(), out / "zonage_communes.csv"),
        write_csv(zoning.checks, out / "zoning_checks.csv"),
        write_csv(zoning.published_table(), out / "zoning_table_by_departement.csv", index=True),
        write_csv(weighting, out / "weighting_comparison.csv", index=True),
    ]
    annex = zoning.decree_annex()
    written.append(write_csv(annex, out / "decree_annex.csv"))
    title = "Annexe : zones d'intervention prioritaire et d'action complémentaire, médecins"
    (out / "decree_annex.txt").write_text(format_annex(annex, title=title), encoding="utf-8")
    written.append(out / "decree_annex.txt")
    if comparison is not None:
        written += comparison.to_csv(out)
    if not args.no_maps:
        zoning.plot_map(
            path=out / "zoning_map.png",
            title="Zonage médecins 2025 recalculé, Centre-Val de Loire",
            source=SOURCE,
        )
        written.append(out / "zoning_map.png")
        if comparison is not None:
            comparison.plot(
                path=out / "comparison_map.png",
                title="Zonage en vigueur (printemps 2025) → zonage 2025 recalculé",
                source="zoning in force: national file spring 2025; " + SOURCE,
            )
            written.append(out / "comparison_map.png")
    print("\nwritten:")
    for path in written:
        print(f"  {path}")


if __name__ == "__main__":
    sys.exit(main())
