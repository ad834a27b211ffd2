"""Commune → territory tables, territory APL and the département / région of attribution.

A territory table has one row per commune (index: commune code) and the columns ``territory``,
``departement`` and ``region``. Territories can be any level (TVS, bassin de vie, canton-ville,
département, ...). A territory may span several départements or régions:

* each région counts **its own residents** of the territory against its caps (2017 FAQ);
* the territory has one **région of attribution**, the one holding the largest resident
  population of the territory, which decides its zone when its APL is above the national
  selection (2017 FAQ, "La gestion des territoires de vie-santé situés sur deux régions"), and
  one **département of attribution**, the one of that région holding the largest population;
  ties go to the smallest code. Pass ``attribution={territory: departement}`` to override it
  (for instance to follow the département of the territory's pôle); the région of attribution
  is then the région of that département within the territory.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..aggregation import aggregate
from ..codes import normalise_codes
from ..errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    describe_values,
    type_name,
)

__all__ = [
    "DEFAULT_REGION",
    "attribute",
    "build_territory_table",
    "departement_of",
    "split_by_region",
    "territory_apl",
]

logger = logging.getLogger(__name__)

#: Région label used when the territory table names none (a single-region classification).
DEFAULT_REGION = "all"


def departement_of(codes: pd.Index | list[str]) -> pd.Index:
    """Département of commune codes: ``"2A004"`` → ``"2A"``, ``"97411"`` → ``"974"``.

    Parameters
    ----------
    codes
        Valid 5-character commune codes.
    """
    index = pd.Index(codes, dtype=object)
    text = index.astype(str)
    dom = text.str.startswith("97") | text.str.startswith("98")
    return pd.Index(np.where(dom, text.str[:3], text.str[:2]), dtype=object)


def _as_mapping_frame(territory: pd.Series | pd.DataFrame) -> pd.DataFrame:
    if isinstance(territory, pd.Series):
        frame = territory.rename("territory").to_frame()
        frame.index = pd.Index(territory.index)
        return frame
    if not isinstance(territory, pd.DataFrame):
        msg = (
            "territory must be a pandas Series (commune code -> territory code) or a DataFrame "
            f"indexed by commune code with a 'territory' column; found {type_name(territory)}."
        )
        raise InputFormatError(msg)
    frame = territory
    if "commune" in frame.columns:
        frame = frame.set_index("commune")
    if "territory" not in frame.columns:
        msg = (
            "the territory table must have a 'territory' column (and optionally 'departement' "
            f"and 'region'), found columns {describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    return frame


def build_territory_table(
    territory: pd.Series | pd.DataFrame,
    communes: pd.Index,
    *,
    region: pd.Series | None = None,
    departement: pd.Series | None = None,
) -> pd.DataFrame:
    """Check a commune → territory table and complete it with départements and régions.

    Parameters
    ----------
    territory
        Series indexed by commune code whose values are territory codes, or a DataFrame indexed by
        commune code (or with a ``commune`` column) with a ``territory`` column and optionally
        ``departement`` and ``region`` columns.
    communes
        The communes to classify: each must belong to exactly one territory.
    region
        Région of each commune, indexed by code (overrides a ``region`` column). Without any,
        every commune is in région :data:`DEFAULT_REGION`.
    departement
        Département of each commune (overrides a ``departement`` column). Without any, it is read
        from the commune code.

    Returns
    -------
    pandas.DataFrame
        Indexed by the codes of ``communes`` (in that order), columns ``territory``,
        ``departement``, ``region`` (strings).

    Raises
    ------
    DuplicateError
        A commune listed in two different territories.
    MissingCommuneError
        Communes without a territory (or without a région when a région table is given).
    """
    frame = _as_mapping_frame(territory)
    codes = normalise_codes(frame.index, what="commune codes of the territory table")
    frame = frame.copy()
    frame.index = codes
    if frame["territory"].isna().any():
        rows = frame.index[frame["territory"].isna().to_numpy()].tolist()
        msg = (
            f"the territory table has no territory for {len(rows)} communes: "
            f"{describe_values(rows)}. Give every commune a territory code."
        )
        raise MissingCommuneError(msg)
    frame["territory"] = frame["territory"].astype(str)
    if frame.index.has_duplicates:
        pairs = frame.reset_index(names="commune")[["commune", "territory"]].drop_duplicates()
        counts = pairs.groupby("commune")["territory"].nunique()
        conflicting = counts[counts > 1].index.tolist()
        if conflicting:
            first = conflicting[0]
            listed = sorted(pairs.loc[pairs["commune"] == first, "territory"].tolist())
            msg = (
                f"each commune must belong to exactly one territory; {len(conflicting)} communes "
                f"are in two or more: {describe_values(conflicting)} (e.g. {first!r} in "
                f"{describe_values(listed)}). Keep one row per commune (for a split TVS, give "
                "each commune its own territory code)."
            )
            raise DuplicateError(msg)
        frame = frame[~frame.index.duplicated()]
    missing = pd.Index(communes).difference(frame.index)
    if len(missing) > 0:
        msg = (
            f"the territory table is missing {len(missing)} of the {len(communes)} communes to "
            f"classify: {describe_values(missing.tolist())}. Add them to the table (a commune "
            "merged after the table was made belongs to the territory of the commune whose code "
            "it took)."
        )
        raise MissingCommuneError(msg)
    extra = len(frame.index) - len(communes)
    if extra > 0:
        logger.info("territory table: %d communes not in the APL input are ignored", extra)
    frame = frame.reindex(pd.Index(communes))
    out = pd.DataFrame({"territory": frame["territory"].to_numpy(dtype=object)}, index=communes)
    out["departement"] = _column(
        frame, "departement", departement, communes, default=departement_of(communes)
    )
    out["region"] = _column(frame, "region", region, communes, default=None)
    out.index.name = "code"
    return out


def _column(
    frame: pd.DataFrame,
    name: str,
    given: pd.Series | None,
    communes: pd.Index,
    *,
    default: pd.Index | None,
) -> np.ndarray:
    if given is not None:
        series = pd.Series(given)
        series.index = normalise_codes(series.index, what=f"commune codes of the {name} table")
        missing = communes.difference(series.index)
        if len(missing) > 0:
            msg = (
                f"the {name} table is missing {len(missing)} communes: "
                f"{describe_values(missing.tolist())}. Give a {name} for every commune."
            )
            raise MissingCommuneError(msg)
        values = series[~series.index.duplicated()].reindex(communes)
    elif name in frame.columns:
        values = frame[name]
    elif default is not None:
        return default.to_numpy(dtype=object)
    else:
        return np.full(len(communes), DEFAULT_REGION, dtype=object)
    if values.isna().any():
        rows = communes[values.isna().to_numpy()].tolist()
        msg = f"{name} is missing for {len(rows)} communes: {describe_values(rows)}."
        raise MissingCommuneError(msg)
    return values.astype(str).to_numpy(dtype=object)


def attribute(
    table: pd.DataFrame,
    population: pd.Series,
    *,
    attribution: Mapping[str, str] | pd.Series | None = None,
) -> pd.DataFrame:
    """Département and région of attribution of each territory.

    Parameters
    ----------
    table
        Territory table from :func:`build_territory_table`.
    population
        Resident population per commune, aligned on ``table``.
    attribution
        Territory → département overrides. Each département must hold communes of the territory.

    Returns
    -------
    pandas.DataFrame
        Indexed by territory (sorted), columns ``departement`` and ``region``.
    """
    frame = table.assign(population=population.reindex(table.index).to_numpy(dtype=np.float64))
    by_dep = (
        frame.groupby(["territory", "departement", "region"], sort=True)["population"]
        .sum()
        .reset_index()
    )
    # the région holding the largest population decides (2017 FAQ p. 10: "l'ARS qui abrite
    # dans cette zone la part de population la plus importante"); within it, the département
    # holding the largest population; ties go to the smallest code
    by_region = frame.groupby(["territory", "region"], sort=True)["population"].sum()
    by_dep = by_dep.assign(
        region_population=by_region.reindex(
            pd.MultiIndex.from_frame(by_dep[["territory", "region"]])
        ).to_numpy()
    )
    by_dep = by_dep.sort_values(
        ["territory", "region_population", "region", "population", "departement"],
        ascending=[True, False, True, False, True],
        kind="stable",
    )
    chosen = by_dep.drop_duplicates("territory", keep="first").set_index("territory")
    out = chosen[["departement", "region"]].copy()
    if attribution is not None:
        wanted = pd.Series(attribution, dtype=object).astype(str)
        unknown = wanted.index.difference(out.index)
        if len(unknown) > 0:
            msg = (
                f"attribution names {len(unknown)} unknown territories: "
                f"{describe_values(unknown.tolist())}. Use territory codes of the table."
            )
            raise MissingCommuneError(msg)
        pairs = by_dep.set_index(["territory", "departement"])["region"]
        bad = [(t, d) for t, d in wanted.items() if (t, d) not in pairs.index]
        if bad:
            msg = (
                f"attribution must name a département where the territory has communes; found "
                f"{describe_values(bad)}. Check the territory and département codes."
            )
            raise InvalidValueError(msg)
        for terr, dep in wanted.items():
            region = pairs.loc[(terr, dep)]
            out.loc[terr, "departement"] = dep
            out.loc[terr, "region"] = region.iloc[0] if isinstance(region, pd.Series) else region
    out.index.name = "territory"
    return out


def territory_apl(
    apl: pd.Series, weights: pd.Series, table: pd.DataFrame, *, what: str = "apl"
) -> pd.Series:
    """Weighted mean of communal APL per territory (:func:`aplcore.aggregation.aggregate`).

    Territories whose weight sums to 0 get NaN (they are then classified in the residual zone).
    """
    groups = pd.Series(table["territory"].to_numpy(), index=table.index, name="territory")
    # sums in commune-code order: the same territory APL, to the last bit, whatever the row order
    result = aggregate(apl.sort_index(), weights, groups, what=what)
    return result[what]


def split_by_region(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """One territory per région part of every territory spanning régions.

    The communes of a territory on several régions move to ``<territory>@<région>`` (the 2025
    rule: each agency qualifies the communes of its own région); other territories are kept.

    Returns
    -------
    table
        The commune table with the split territory codes.
    parent
        Part code → territory it was split from (empty when no territory spans régions).
    """
    regions_per = table.groupby("territory")["region"].nunique()
    cross = regions_per.index[regions_per > 1]
    if not len(cross):
        return table, pd.Series(dtype=object, name="parent")
    in_cross = table["territory"].isin(cross).to_numpy()
    parts = (
        table.loc[in_cross, "territory"].astype(str)
        + "@"
        + table.loc[in_cross, "region"].astype(str)
    )
    parent = pd.Series(
        table.loc[in_cross, "territory"].to_numpy(), index=parts.to_numpy(), name="parent"
    )
    parent = parent[~parent.index.duplicated()]
    table = table.copy()
    table.loc[in_cross, "territory"] = parts.to_numpy()
    return table, parent
