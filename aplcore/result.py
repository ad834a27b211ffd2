"""The result of an APL computation: per-commune accessibility and how it was computed.

:class:`APLResult` keeps the arrays of both steps (demand, supply, weighted demand, ratio) so
that a result can be checked (:meth:`APLResult.check_identity`), aggregated and mapped;
:class:`LostSupplyWarning` says when supply reaches no demand.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

import numpy as np
import pandas as pd

from .aggregation import aggregate as aggregate_values
from .aggregation import population_under, weighted_quantiles
from .datasets import commune_labels, load_contours
from .decay import Decay
from .errors import LostSupplyWarning, ParameterError, describe_values

__all__ = ["APLResult", "LostSupplyWarning"]


@dataclass(frozen=True, eq=False)
class APLResult:
    """Per-commune accessibility with everything needed to check and aggregate it.

    Attributes
    ----------
    codes
        Commune index.
    apl_values, demand_values, supply_values, weighted_demand_values, ratio_values
        Arrays aligned on ``codes``; the pandas views are :attr:`apl`, :attr:`demand`, ...
    population_values
        Total population when given, else None.
    method, decay, scale
        How it was computed.
    """

    codes: pd.Index
    apl_values: np.ndarray
    demand_values: np.ndarray
    supply_values: np.ndarray
    weighted_demand_values: np.ndarray
    ratio_values: np.ndarray
    population_values: np.ndarray | None
    method: str
    decay: Decay
    scale: float = 1.0

    def _series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=pd.Index(self.codes, name="code"), name=name)

    @property
    def apl(self) -> pd.Series:
        """Accessibility of each residence commune (``apl``)."""
        return self._series(self.apl_values, "apl")

    @property
    def demand(self) -> pd.Series:
        """Standardised population ``P*`` used (``pop_std``)."""
        return self._series(self.demand_values, "pop_std")

    @property
    def supply(self) -> pd.Series:
        """Supply ``S`` of each practice commune (``supply``)."""
        return self._series(self.supply_values, "supply")

    @property
    def weighted_demand(self) -> pd.Series:
        """Step-1 denominator ``D_j`` of each practice commune (``weighted_demand``)."""
        return self._series(self.weighted_demand_values, "weighted_demand")

    @property
    def ratio(self) -> pd.Series:
        """Step-1 ratio ``R_j = S_j / D_j`` of each practice commune (``ratio``)."""
        return self._series(self.ratio_values, "ratio")

    @property
    def population(self) -> pd.Series | None:
        """Total population when it was given."""
        if self.population_values is None:
            return None
        return self._series(self.population_values, "population")

    @property
    def lost_supply(self) -> pd.Series:
        """Supply of the practice communes that no demand reaches (``D_j = 0``, ``S_j > 0``)."""
        lost = (self.weighted_demand_values <= 0) & (self.supply_values > 0)
        return self.supply[lost].rename("lost_supply")

    @property
    def lost_supply_total(self) -> float:
        """Total supply that reaches nobody."""
        return float(self.lost_supply.sum())

    def warn_if_supply_lost(self) -> None:
        """Issue a :class:`LostSupplyWarning` when some supply reaches no demand."""
        lost = self.lost_supply
        if len(lost):
            msg = (
                f"supply of {len(lost)} practice communes reaches no demand and is lost "
                f"({lost.sum():g} of {self.supply_values.sum():g}): "
                f"{describe_values(lost.index.tolist())}. See APLResult.lost_supply."
            )
            warnings.warn(msg, LostSupplyWarning, stacklevel=3)

    def to_frame(self) -> pd.DataFrame:
        """One row per commune: ``apl``, ``pop_std``, ``supply``, ``weighted_demand``, ``ratio``
        (and ``population`` when given)."""
        columns = [self.apl, self.demand, self.supply, self.weighted_demand, self.ratio]
        if self.population is not None:
            columns.append(self.population)
        return pd.concat(columns, axis=1)

    def _weights(self, weights: str) -> pd.Series:
        if weights == "standardised":
            return self.demand
        if weights in ("total", "resident"):
            if self.population is None:
                msg = (
                    f"weights={weights!r} needs the total population: pass population= to "
                    "compute_apl."
                )
                raise ParameterError(msg)
            return self.population
        msg = f"weights must be 'standardised', 'total' or 'resident', found {weights!r}."
        raise ParameterError(msg)

    def aggregate(
        self,
        groups: pd.Series | Mapping[str, str],
        *,
        weights: Literal["standardised", "total", "resident"] = "standardised",
        dropna: bool = False,
    ) -> pd.DataFrame:
        """Mean APL per group (département, région, territory, ...).

        Parameters
        ----------
        groups
            Group of each commune, by commune code.
        weights
            ``"standardised"`` (default: the DREES publication rule) or ``"total"`` /
            ``"resident"`` (total population: the 2017 zoning rule for TVS values).
        dropna
            Leave out the communes whose group is missing (by default an error).
        """
        group_series = pd.Series(groups) if not isinstance(groups, pd.Series) else groups
        return aggregate_values(
            self.apl, self._weights(weights), group_series, what="apl", dropna=dropna
        )

    def population_under(self, threshold: float) -> float:
        """Total population living in communes whose APL is under ``threshold``."""
        return population_under(self.apl, self._weights("total"), threshold)

    def quantiles(self, q: float | list[float] | np.ndarray) -> pd.Series:
        """Quantiles of APL weighted by total population."""
        return weighted_quantiles(self.apl, self._weights("total"), q)

    def check_identity(self) -> float:
        """Relative gap between ``sum P* APL`` and ``sum S`` minus lost supply (0 for E2SFCA)."""
        expected = self.supply_values.sum() - self.lost_supply_total
        found = float(self.demand_values @ self.apl_values) / self.scale
        return abs(found - expected) / expected if expected > 0 else abs(found)

    # ------------------------------------------------------------------ notebooks
    def _summary(self) -> list[tuple[str, str]]:
        """Label/value pairs shown by ``repr`` and in notebooks."""
        apl = self.apl_values
        rows = [
            ("method", f"{self.method}, decay {self.decay.name!r}"),
            ("communes", f"{len(self.codes):,}".replace(",", " ")),
        ]
        if len(apl):
            finite = apl[np.isfinite(apl)]
            q = np.quantile(finite, [0.0, 0.5, 1.0]) if len(finite) else [np.nan] * 3
            rows.append(("apl", f"min {q[0]:.3g}, median {q[1]:.3g}, max {q[2]:.3g}"))
            weight = self.demand_values.sum()
            if weight > 0:
                mean = float(self.demand_values @ apl) / weight
                rows.append(("mean apl (weighted by pop_std)", f"{mean:.3g}"))
        total = f"{self.supply_values.sum():,.0f}".replace(",", " ")
        lost = f"{self.lost_supply_total:,.0f}".replace(",", " ")
        rows.append(("supply", f"{total}, lost {lost}"))
        return rows

    def __repr__(self) -> str:
        """A few lines: method, number of communes, APL range, supply (never the arrays)."""
        body = "; ".join(f"{label} {value}" for label, value in self._summary())
        return f"APLResult({body})"

    def _repr_html_(self) -> str:
        """Notebook view: the summary and the first rows of :meth:`to_frame`."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(label)}</th><td>{escape(value)}</td></tr>"
            for label, value in self._summary()
        )
        head = self.to_frame().head(5).to_html(float_format=lambda v: f"{v:.4g}")
        return f"<div><strong>APLResult</strong><table>{rows}</table>{head}</div>"

    def to_geodataframe(self, *, labels: bool = True) -> Any:
        """:meth:`to_frame` joined to the bundled commune contours, as a GeoDataFrame.

        Needs GeoPandas (``pip install "aplcore[geo]"``). Communes absent from the bundled
        contours (codes of another COG year, or of a commune without a contour) keep an empty
        geometry; update old codes first with :func:`aplcore.codes.update`.

        Parameters
        ----------
        labels
            Add the commune name, its département, région and EPCI with their names
            (:func:`aplcore.datasets.commune_labels`).

        Returns
        -------
        geopandas.GeoDataFrame
            Indexed by commune code, CRS EPSG:4326.

        Examples
        --------
        >>> import aplcore
        >>> communes = aplcore.study_area(departement="36").communes  # Indre and its ring
        >>> tt = aplcore.travel_times_crow_fly(communes, max_minutes=30)
        >>> supply = communes["population"] * 0.0 + 5000.0
        >>> result = aplcore.compute_apl(tt, demand=communes["population"], supply=supply)
        >>> gdf = result.to_geodataframe()  # doctest: +SKIP
        >>> gdf.plot(column="apl")  # doctest: +SKIP
        """
        try:
            import geopandas as gpd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = 'to_geodataframe needs GeoPandas: pip install "aplcore[geo]"'
            raise ImportError(msg) from exc
        frame = self.to_frame()
        if labels:
            frame = frame.join(commune_labels(frame.index))
        geometry = load_contours(france=True).reindex(frame.index)
        return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs="EPSG:4326")
