"""Aggregation of communal indicators to territories, as the DREES workbook note prescribes.

* Mean of a territory (département, région, TVS for publication): weighted by the **standardised**
  population.
* Population living under a threshold, quantiles: by the **total** (non-standardised) population.
* The 2017 zoning arrêté weights the TVS value by the **resident** population.

All functions take pandas Series indexed by commune code and align them on that index.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from .errors import (
    EmptyTerritoryWarning,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
    describe_values,
)

__all__ = ["aggregate", "align_on_codes", "population_under", "weighted_quantiles"]

logger = logging.getLogger(__name__)


def align_on_codes(
    values: pd.Series, other: pd.Series, *, what: str, other_what: str
) -> tuple[pd.Series, pd.Series]:
    """Return ``values`` and ``other`` aligned on the codes of ``values``.

    Raises
    ------
    MissingCommuneError
        Codes of ``values`` absent from ``other``.
    """
    missing = values.index.difference(other.index)
    if len(missing) > 0:
        msg = (
            f"{other_what} is missing for {len(missing)} communes of the {what}: "
            f"{describe_values(missing.tolist())}. Give a value for every commune "
            "(0 where there is none)."
        )
        raise MissingCommuneError(msg)
    return values, other.reindex(values.index)


def _check_weights(weights: pd.Series, *, what: str) -> np.ndarray:
    array = weights.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        msg = (
            f"{what} must be finite and non-negative, found "
            f"{describe_values(weights[bad].head(10).items())}."
        )
        raise InvalidValueError(msg)
    return array


def aggregate(
    values: pd.Series,
    weights: pd.Series,
    groups: pd.Series,
    *,
    what: str = "values",
    dropna: bool = False,
) -> pd.DataFrame:
    """Weighted mean of communal values per group.

    Parameters
    ----------
    values
        Communal indicator (for instance APL), indexed by commune code.
    weights
        Weight of each commune (standardised or total population), indexed by commune code.
    groups
        Group of each commune (territory, département, ...), indexed by commune code.
        Communes of ``values`` absent from ``groups`` are an error.
    what
        Name of the values, for messages and the output column.
    dropna
        Leave out the communes whose group is missing (NaN or None). By default they are an
        error: left out silently, they would change every mean.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, with columns ``what`` (the weighted mean; NaN where the weight is 0,
        with an :class:`aplcore.errors.EmptyTerritoryWarning` naming those groups), ``weight``
        (sum of weights) and ``communes`` (count).

    Examples
    --------
    >>> import pandas as pd
    >>> from aplcore.aggregation import aggregate
    >>> apl = pd.Series({"36044": 2.0, "36088": 4.0, "45234": 3.0})
    >>> weights = pd.Series({"36044": 100.0, "36088": 300.0, "45234": 50.0})
    >>> departement = pd.Series({"36044": "36", "36088": "36", "45234": "45"})
    >>> aggregate(apl, weights, departement)["values"].to_dict()
    {'36': 3.5, '45': 3.0}
    """
    values, weights = align_on_codes(values, weights, what=what, other_what="the weight")
    values, groups = align_on_codes(values, groups, what=what, other_what="the group")
    no_group = groups.isna().to_numpy()
    if no_group.any():
        if not dropna:
            msg = (
                f"the group is missing (NaN) for {int(no_group.sum())} communes of the {what}: "
                f"{describe_values(values.index[no_group].tolist())}. Give every commune a "
                "group, or pass dropna=True to leave these communes out of the means."
            )
            raise MissingCommuneError(msg)
        logger.info("aggregate: %d communes without a group left out", int(no_group.sum()))
        keep = ~no_group
        values, weights, groups = values[keep], weights[keep], groups[keep]
    w = _check_weights(weights, what="weights")
    if not np.isfinite(values.to_numpy(dtype=np.float64)).all():
        bad = ~np.isfinite(values.to_numpy(dtype=np.float64))
        msg = (
            f"the {what} must be finite to be averaged; {int(bad.sum())} communes are not: "
            f"{describe_values(values.index[bad].tolist())}."
        )
        raise InvalidValueError(msg)
    v = values.to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {"wv": w * np.where(w > 0, v, 0.0), "weight": w, "communes": 1}, index=values.index
    )
    summed = frame.groupby(groups.to_numpy(), sort=True).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(summed["weight"] > 0, summed["wv"] / summed["weight"], np.nan)
    empty = summed.index[summed["weight"].to_numpy() <= 0]
    if len(empty):
        msg = (
            f"{len(empty)} groups have a total weight of 0, so their mean {what} is undefined "
            f"(NaN): {describe_values(empty.tolist())}. Check the weights (population) of "
            "their communes."
        )
        warnings.warn(msg, EmptyTerritoryWarning, stacklevel=2)
    out = pd.DataFrame(
        {what: mean, "weight": summed["weight"], "communes": summed["communes"]},
        index=summed.index,
    )
    out.index.name = groups.name or "group"
    return out


def population_under(values: pd.Series, population: pd.Series, threshold: float) -> float:
    """Population living in communes whose value is strictly under ``threshold``.

    Parameters
    ----------
    values
        Communal indicator, indexed by commune code.
    population
        Total (non-standardised) population, indexed by commune code.
    threshold
        The threshold (for instance 2.5 consultations a year).
    """
    if not isinstance(threshold, int | float | np.number) or not np.isfinite(threshold):
        msg = f"threshold must be a finite number, found {threshold!r}."
        raise ParameterError(msg)
    values, population = align_on_codes(values, population, what="values", other_what="population")
    pop = _check_weights(population, what="population")
    if np.isnan(values.to_numpy(dtype=np.float64)).any():
        missing = values.index[np.isnan(values.to_numpy(dtype=np.float64))].tolist()
        msg = (
            f"values are missing (NaN) for {len(missing)} communes: {describe_values(missing)}; "
            "their population cannot be placed above or below the threshold."
        )
        raise InvalidValueError(msg)
    return float(pop[values.to_numpy(dtype=np.float64) < threshold].sum())


def weighted_quantiles(
    values: pd.Series, population: pd.Series, q: float | list[float] | np.ndarray
) -> pd.Series:
    """Population-weighted quantiles of a communal indicator.

    The quantile ``q`` is the smallest value ``v`` such that the population living in communes
    with value ``<= v`` is at least ``q`` times the total population (inverse of the weighted
    empirical distribution function; no interpolation).

    Parameters
    ----------
    values
        Communal indicator, indexed by commune code.
    population
        Total (non-standardised) population, indexed by commune code.
    q
        Quantile levels in [0, 1].

    Returns
    -------
    pandas.Series
        Indexed by the levels.
    """
    levels = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if ((levels < 0) | (levels > 1) | ~np.isfinite(levels)).any():
        msg = f"quantile levels must lie in [0, 1], found {describe_values(levels.tolist())}."
        raise ParameterError(msg)
    values, population = align_on_codes(values, population, what="values", other_what="population")
    pop = _check_weights(population, what="population")
    v = values.to_numpy(dtype=np.float64)
    keep = np.isfinite(v) & (pop > 0)
    v, pop = v[keep], pop[keep]
    if v.size == 0:
        return pd.Series(np.nan, index=levels, name="quantile")
    order = np.argsort(v, kind="stable")
    cumulative = np.cumsum(pop[order])
    targets = levels * cumulative[-1]
    positions = np.searchsorted(cumulative, targets, side="left")
    positions = np.clip(positions, 0, v.size - 1)
    return pd.Series(v[order][positions], index=levels, name="quantile")
