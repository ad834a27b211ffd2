"""Demand: population standardised by age for GP consumption (spec §3).

``P*_i = sum_a N_{i,a} w_a`` over 19 five-year bands, with ``w_a`` the GP consumption of band ``a``
relative to the national mean consumption (official DREES weights, published to 2 decimals).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._checks import bad_non_negative, non_negative_numbers
from .codes import as_code_index
from .errors import InputFormatError, InvalidValueError, ParameterError, describe_values, type_name
from .io import code_indexed, read_population_by_age
from .plausibility import check_plausible
from .tables import column_names, read_frame

__all__ = ["AGE_BANDS", "WEIGHT_PRESETS", "band_weights", "standardise_population"]

#: The 19 canonical five-year age bands, in order.
AGE_BANDS: tuple[str, ...] = (
    *(f"{a}-{a + 4}" for a in range(0, 90, 5)),
    "90+",
)


def _parse(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split())


#: Official DREES GP consumption weights by age band (``Paramètres`` sheet of the APL workbooks).
WEIGHT_PRESETS: dict[str, tuple[float, ...]] = {
    "drees_gp_2022": _parse(
        "0.93 0.59 0.55 0.59 0.73 0.78 0.84 0.88 0.90 0.97"
        " 1.06 1.14 1.16 1.19 1.52 1.53 1.72 1.99 2.39"
    ),
    "drees_gp_2023": _parse(
        "1.12 0.58 0.51 0.60 0.75 0.79 0.82 0.85 0.89 0.93"
        " 1.03 1.15 1.18 1.23 1.46 1.57 1.63 1.89 2.26"
    ),
    "uniform": (1.0,) * 19,
}

Weights = str | Mapping[str, float] | Sequence[float] | np.ndarray | pd.Series


def band_weights(weights: Weights) -> pd.Series:
    """Resolve a weight preset name, a mapping band → weight or a sequence of 19 weights.

    Returns
    -------
    pandas.Series
        The 19 weights indexed by :data:`AGE_BANDS`.
    """
    return _band_weights(weights, stacklevel=3)


def _band_weights(weights: Weights, *, stacklevel: int) -> pd.Series:
    if isinstance(weights, str):
        if weights not in WEIGHT_PRESETS:
            msg = (
                f"unknown weight preset {weights!r}; presets are {sorted(WEIGHT_PRESETS)}, or "
                "pass a mapping band → weight or a sequence of 19 weights."
            )
            raise ParameterError(msg)
        values = list(WEIGHT_PRESETS[weights])
    elif isinstance(weights, Mapping | pd.Series):
        keys = [str(k) for k in weights]
        missing = [b for b in AGE_BANDS if b not in keys]
        extra = [k for k in keys if k not in AGE_BANDS]
        if missing or extra:
            msg = (
                f"age-band weights must be given for exactly the 19 bands {list(AGE_BANDS)}; "
                f"missing {missing}, unexpected {extra}."
            )
            raise ParameterError(msg)
        lookup = {str(k): float(v) for k, v in dict(weights).items()}
        values = [lookup[b] for b in AGE_BANDS]
    else:
        values = [float(v) for v in np.asarray(weights, dtype=np.float64).ravel()]
        if len(values) != len(AGE_BANDS):
            msg = (
                f"expected {len(AGE_BANDS)} age-band weights (one per band {AGE_BANDS[0]} … "
                f"{AGE_BANDS[-1]}), found {len(values)}."
            )
            raise ParameterError(msg)
    if bad_non_negative(np.asarray(values, dtype=np.float64)).any():
        msg = f"age-band weights must be finite and non-negative, found {values}."
        raise ParameterError(msg)
    check_plausible(
        "age_weight", values, labels=AGE_BANDS, what="age-band weights", stacklevel=stacklevel
    )
    return pd.Series(values, index=pd.Index(AGE_BANDS, name="band"), name="weight")


def standardise_population(
    pop_by_age: pd.DataFrame,
    weights: Weights = "drees_gp_2023",
    *,
    code_column: str | None = None,
    renormalise: bool = False,
) -> pd.Series:
    """Age-standardised population ``P*`` of each commune.

    Parameters
    ----------
    pop_by_age
        One row per commune, indexed by commune code (or with a ``code_column``), with exactly
        the 19 columns of :data:`AGE_BANDS` (other columns are an error, so that a stray
        total column is not counted twice).
    weights
        A preset (``"drees_gp_2022"``, ``"drees_gp_2023"``, ``"uniform"``), a mapping band →
        weight, or 19 weights in band order.
    code_column
        Column holding the commune codes, if they are not the index.
    renormalise
        Scale the result so that ``sum P* == sum P`` over the input. The official weights are
        relative to the national mean consumption but rounded to 2 decimals; renormalising over
        the whole of France removes the rounding drift (do it on national data only).

    Returns
    -------
    pandas.Series
        ``pop_std`` indexed by commune code.

    Examples
    --------
    >>> import pandas as pd
    >>> import aplcore
    >>> pop_by_age = pd.DataFrame(
    ...     [[100.0] * 19], index=pd.Index(["36044"], name="code"), columns=list(aplcore.AGE_BANDS)
    ... )
    >>> aplcore.standardise_population(pop_by_age, "drees_gp_2023").round(2).to_dict()
    {'36044': 2124.0}
    """
    if not isinstance(pop_by_age, pd.DataFrame):
        msg = f"expected a DataFrame of population by age band, found {type_name(pop_by_age)}."
        raise InputFormatError(msg)
    frame = pop_by_age
    if code_column is not None:
        if code_column not in frame.columns:
            msg = f"code column {code_column!r} not found; columns are {list(frame.columns)}."
            raise InputFormatError(msg)
        frame = frame.set_index(code_column)
    if len(frame) == 0:
        msg = "the population table is empty: expected one row per commune."
        raise InputFormatError(msg)
    columns = [str(c) for c in frame.columns]
    missing = [b for b in AGE_BANDS if b not in columns]
    extra = [c for c in columns if c not in AGE_BANDS]
    if missing or extra:
        msg = (
            f"the population table must have exactly the 19 age-band columns {list(AGE_BANDS)}; "
            f"missing {missing}, unexpected {extra}. Use aplcore.io to read INSEE tables into "
            "these bands, and drop other columns."
        )
        raise InputFormatError(msg)
    codes = as_code_index(frame.index, what="commune codes of the population table")
    counts = frame.rename(columns=str)[list(AGE_BANDS)]
    non_numeric = [c for c in AGE_BANDS if not pd.api.types.is_numeric_dtype(counts[c])]
    if non_numeric:
        msg = f"population counts must be numbers; non-numeric columns: {non_numeric}."
        raise InvalidValueError(msg)
    values = counts.to_numpy(dtype=np.float64, na_value=np.nan)
    bad_rows = bad_non_negative(values).any(axis=1)
    if bad_rows.any():
        offending = codes[bad_rows].tolist()
        msg = (
            f"population counts must be finite and non-negative; {len(offending)} communes have "
            f"missing, negative or infinite counts: {describe_values(offending)}."
        )
        raise InvalidValueError(msg)
    w = _band_weights(weights, stacklevel=3).to_numpy()
    standardised = values @ w
    totals = values.sum(axis=1)
    check_plausible(
        "commune_population", totals, labels=codes.tolist(), what="population by age band"
    )
    if totals.sum() > 0:
        check_plausible(
            "standardised_ratio",
            standardised.sum() / totals.sum(),
            what="standardised population",
        )
    if renormalise:
        total, weighted = values.sum(), standardised.sum()
        if weighted > 0:
            standardised = standardised * (total / weighted)
    return pd.Series(standardised, index=pd.Index(codes, name="code"), name="pop_std")


def read_demand(
    path: str | os.PathLike[str],
    *,
    weights: Weights = "drees_gp_2023",
    sep: str | None = None,
    sheet: str | int | None = None,
) -> tuple[pd.Series, pd.Series, str]:
    """Demand from a population file: ``(demand, population, how)``.

    A table with a ``population`` column (and no ``age`` column) gives the total population; any
    other is read as population by sex and age band (INSEE wide or long layouts, see
    :func:`aplcore.io.read_population_by_age`) and standardised with ``weights``.

    Parameters
    ----------
    path
        The population file (CSV, Parquet, Excel).
    weights
        Age weights of the standardisation (an unknown preset is an error even for a total).
    sep, sheet
        CSV separator (sniffed by default) and Excel sheet (the first by default).

    Returns
    -------
    tuple
        Demand and population by commune, and how the demand was made (for reports).
    """
    band_weights(weights)
    path = Path(path)
    names = column_names(path, sep=sep, sheet=sheet)  # the header only: the file is read once
    if "population" in names and "age" not in names:
        frame = read_frame(path, what="the population table", sep=sep, sheet=sheet)
        frame = code_indexed(frame, what="the population table", path=path)
        population = non_negative_numbers(frame["population"], what=f"population of {path.name}")
        return population.rename("demand"), population, "demand = total population"
    source: Any = path
    if sep is not None or sheet is not None:
        source = read_frame(path, what="the population table", sep=sep, sheet=sheet)
    bands = read_population_by_age(source)
    demand = standardise_population(bands, weights).rename("demand")
    return demand, bands.sum(axis=1).rename("population"), f"demand standardised ({weights})"
