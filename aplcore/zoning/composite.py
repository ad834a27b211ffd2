"""Composite-indicator zonings: the "zones déficitaires" of 2011-2012 and the five-level zonings.

Before APL, zonings combined several indicators per territory. A :class:`CompositeMethod` is a
zoning method (the same interface as the APL methods, so :func:`aplcore.zoning.classify_zones`
reports, checks, writes and maps it the same way) built from:

* :class:`Indicator` objects: a column of the indicator table, a **direction** (which way is
  worse), a **normalisation** (``rank``, ``percentile`` or ``zscore``), a weight and, for the
  "k of n" rule, the threshold at which the criterion holds;
* a **combination**: ``weighted_sum`` of the normalised indicators (oriented so that higher is
  worse), or ``k_of_n`` (the number of criteria that hold; ties ordered by the weighted sum);
* per zone but the last, an eligibility threshold on the combined score (``cut="score"``) or a
  cumulative share of territories (``cut="share_of_territories"``), and optional regional
  **population caps** (shares of the regional population), filled worst score first with the
  same capped fill as the GP zonings;
* the agency's **±1-level adaptation**: its choices (``overrides=`` of ``classify_zones``) may move
  a territory one level up or down, within a share of the territories of each région; both rules
  appear in :attr:`Zoning.checks`.

Presets (:func:`idf_2012_gp`, :func:`nurses_2011`, and :func:`idf_2025_gp` for the agency's
current composite) carry the parameters the documents give; the
parts the documents leave to the agency (indicator weights, eligibility thresholds, the units) are
arguments without defaults.

Sources: ARS Île-de-France, *volet ambulatoire du SROS* (2012), sections "Déterminer les zones
déficitaires et fragiles" and "Déterminer et réguler les zones d'offre de soins en infirmiers
libéraux" (``sros_ambulatoire_ile_de_france_2012.txt`` in the reference documents); ARS
Île-de-France, FIR territorial Hauts-de-Seine 2025 (``fir_territorial_hauts_de_seine_2025.txt``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from ..errors import InputFormatError, MissingCommuneError, ParameterError, describe_values
from .caps import CapsInput, Constraint, MarginInput, build_constraints, resolve_caps
from .checks import check_row
from .fill import CAPPED, capped_fill
from .method import FIVE_LEVELS, TerritoryInputs, ZoningMethod, ZoningState

__all__ = [
    "IDF_2012_COLOURS",
    "IDF_2012_LABELS",
    "IDF_2012_ZONES",
    "IDF_2025_INDICATORS",
    "IDF_2025_SCENARIO_WEIGHTS",
    "IDF_2025_ZONES",
    "IDF_REGION",
    "CompositeMethod",
    "Indicator",
    "ageing_criterion",
    "combine",
    "idf_2012_gp",
    "idf_2025_gp",
    "normalise",
    "nurses_2011",
]

Direction = Literal["higher_is_worse", "lower_is_worse"]
Normalisation = Literal["rank", "percentile", "zscore"]

#: Zones of the 2012 Île-de-France GP zoning, most priority first.
IDF_2012_ZONES = ("deficitaire", "fragile", "hors_zone")
#: Legend labels and map colours of those zones (the colours of ZIP, ZAC and HZ in
#: :data:`aplcore.plots.ZONE_COLOURS`): ``plot_zoning_map(..., labels=IDF_2012_LABELS,
#: colours=IDF_2012_COLOURS)``.
IDF_2012_LABELS = {
    "deficitaire": "zone déficitaire",
    "fragile": "zone fragile",
    "hors_zone": "hors zone",
}
IDF_2012_COLOURS = {"deficitaire": "#b2182b", "fragile": "#f4a582", "hors_zone": "#92c5de"}


@dataclass(frozen=True)
class Indicator:
    """One indicator of a composite zoning.

    Parameters
    ----------
    column
        Column of the indicator table (one row per territory).
    direction
        ``"higher_is_worse"`` (e.g. fees per nurse, share of GPs aged 60 or more) or
        ``"lower_is_worse"`` (e.g. density, human development index).
    normalisation
        ``"rank"`` (1 = best, n = worst, ties averaged), ``"percentile"`` (rank scaled to
        [0, 1]) or ``"zscore"`` (standard score, oriented so that higher is worse).
    weight
        Weight in the weighted sum.
    threshold
        Raw value from which the criterion holds (``k_of_n``): ``value >= threshold`` when
        higher is worse, ``value <= threshold`` otherwise.
    """

    column: str
    direction: Direction
    normalisation: Normalisation = "percentile"
    weight: float = 1.0
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.direction not in ("higher_is_worse", "lower_is_worse"):
            msg = (
                f"indicator {self.column!r}: direction must be 'higher_is_worse' or "
                f"'lower_is_worse', found {self.direction!r}."
            )
            raise ParameterError(msg)
        if self.normalisation not in ("rank", "percentile", "zscore"):
            msg = (
                f"indicator {self.column!r}: normalisation must be 'rank', 'percentile' or "
                f"'zscore', found {self.normalisation!r}."
            )
            raise ParameterError(msg)
        if not (math.isfinite(self.weight) and self.weight >= 0):
            msg = f"indicator {self.column!r}: weight must be >= 0, found {self.weight!r}."
            raise ParameterError(msg)

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Whether the criterion holds for each raw value (``k_of_n``)."""
        if self.threshold is None:
            msg = f"indicator {self.column!r} needs a threshold for the 'k of n' combination."
            raise ParameterError(msg)
        if self.direction == "higher_is_worse":
            return values >= self.threshold
        return values <= self.threshold


def normalise(values: np.ndarray, indicator: Indicator) -> np.ndarray:
    """Normalised indicator, oriented so that higher is worse.

    ``rank``: average ranks from 1 (best) to n (worst); ``percentile``: ``(rank - 1) / (n - 1)``
    (0.5 for a single territory); ``zscore``: ``(x - mean) / std`` (population standard
    deviation; 0 when every value is equal), sign flipped when lower is worse.
    """
    x = np.asarray(values, dtype=np.float64)
    oriented = x if indicator.direction == "higher_is_worse" else -x
    if indicator.normalisation == "zscore":
        std = oriented.std()
        if std == 0 or not np.isfinite(std):
            return np.zeros_like(oriented)
        return (oriented - oriented.mean()) / std
    ranks = pd.Series(oriented).rank(method="average").to_numpy()
    if indicator.normalisation == "rank":
        return ranks
    if len(ranks) == 1:
        return np.full(1, 0.5)
    return (ranks - 1.0) / (len(ranks) - 1.0)


def combine(
    table: pd.DataFrame,
    indicators: Sequence[Indicator],
    *,
    combination: Literal["weighted_sum", "k_of_n"] = "weighted_sum",
) -> pd.DataFrame:
    """Normalised indicators, criteria held and the combined score per territory.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``table``: ``<column>_norm`` per indicator, ``weighted_sum`` (weights
        divided by their total), ``criteria`` (number held, ``k_of_n`` only) and ``score``
        (``weighted_sum``, or ``criteria`` for ``k_of_n``).
    """
    missing = [i.column for i in indicators if i.column not in table.columns]
    if missing:
        msg = (
            f"the indicator table lacks the columns {missing}; its columns are "
            f"{list(table.columns)}."
        )
        raise InputFormatError(msg)
    out = pd.DataFrame(index=table.index)
    total_weight = sum(i.weight for i in indicators)
    if total_weight <= 0:
        msg = "indicator weights must not all be 0."
        raise ParameterError(msg)
    weighted = np.zeros(len(table))
    held = np.zeros(len(table), dtype=np.int64)
    for indicator in indicators:
        values = table[indicator.column].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            msg = (
                f"indicator {indicator.column!r} must be finite numbers; missing or infinite for "
                f"{describe_values(table.index[bad].tolist())}."
            )
            raise InputFormatError(msg)
        norm = normalise(values, indicator)
        out[f"{indicator.column}_norm"] = norm
        weighted += indicator.weight / total_weight * norm
        if combination == "k_of_n":
            held += indicator.holds(values)
    out["weighted_sum"] = weighted
    if combination == "k_of_n":
        out["criteria"] = held
        out["score"] = held.astype(np.float64)
    else:
        out["score"] = weighted
    return out


def ageing_criterion(
    share_60_plus: pd.Series, headcount_change: pd.Series, *, share_threshold: float
) -> pd.Series:
    """1.0 where the share of GPs aged 60 or more is at least ``share_threshold`` and the GP
    headcount fell or stayed the same over three years, else 0.0.

    SROS Île-de-France 2012: « Sélection des territoires avec une forte proportion de
    professionnels de 60 ans et plus et qui ont connu une évolution négative ou nulle de leurs
    effectifs sur les trois dernières années ». What a "forte proportion" is, the plan leaves to
    the agency: ``share_threshold``.
    """
    share, change = share_60_plus.align(headcount_change, join="outer")
    if share.isna().any() or change.isna().any():
        msg = "share_60_plus and headcount_change must cover the same territories."
        raise InputFormatError(msg)
    return ((share >= share_threshold) & (change <= 0)).astype(np.float64)


@dataclass(frozen=True)
class CompositeMethod(ZoningMethod):
    """A zoning of territories from a combination of indicators (see the module docstring).

    Parameters
    ----------
    name
        Method name.
    zones
        Zone labels, most priority (worst) first; the last is the residual zone.
    indicators
        The indicators.
    data
        Indicator table indexed by territory code (the units of the zoning); give it here or
        through :func:`aplcore.zoning.get_method` / :func:`dataclasses.replace`.
    combination
        ``"weighted_sum"`` or ``"k_of_n"``.
    thresholds
        Per zone but the last, the lowest combined score that is eligible (decreasing), the
        number of criteria for ``k_of_n``, or cumulative shares of territories (increasing) for
        ``cut="share_of_territories"``. ``None``: every territory is eligible for every zone and
        the caps decide (then every zone but the last needs a cap).
    cut
        ``"score"`` or ``"share_of_territories"``.
    population_caps
        Cap per zone as a share of the regional population, used when ``classify_zones`` gets
        no ``caps``.
    cap_rule
        ``"separate"`` (each zone within its own cap) or ``"cumulative"``.
    adaptation_share
        The agency may move a territory one level up or down, within this share of the
        territories of each région (``None``: no such limit checked).
    adaptation_max
        The same limit as a number of territories per région (overrides the share).
    adaptation_max_by_region
        Région code → the number of territories a document states for that région (overrides
        the share and ``adaptation_max`` there; the 2012 Île-de-France plan: « Pour l'Ile de
        France, au total, 5 zones de la région peuvent être théoriquement modifiées »).
    weighting
        Population weighting of the territory APL shown in the report.
    level_codes
        Zone label → level code of the national zoning file.
    """

    name: str
    zones: tuple[str, ...]
    indicators: tuple[Indicator, ...]
    data: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    combination: Literal["weighted_sum", "k_of_n"] = "weighted_sum"
    thresholds: tuple[float, ...] | None = None
    cut: Literal["score", "share_of_territories"] = "score"
    population_caps: Mapping[str, float] | None = None
    cap_rule: Literal["separate", "cumulative"] = "separate"
    adaptation_share: float | None = None
    adaptation_max: int | None = None
    adaptation_max_by_region: Mapping[str, int] | None = None
    weighting: Literal["population", "standardised"] = "population"
    level_codes: Mapping[str, str] = field(default_factory=dict)

    takes_caps: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "zones", tuple(self.zones))
        object.__setattr__(self, "indicators", tuple(self.indicators))
        if len(self.zones) < 2 or len(set(self.zones)) != len(self.zones):
            msg = (
                f"method {self.name!r}: zones must be at least 2 distinct labels, found "
                f"{self.zones}."
            )
            raise ParameterError(msg)
        if not self.indicators:
            msg = f"method {self.name!r}: give at least one Indicator."
            raise ParameterError(msg)
        if self.combination not in ("weighted_sum", "k_of_n"):
            msg = (
                f"method {self.name!r}: combination must be 'weighted_sum' or 'k_of_n', found "
                f"{self.combination!r}."
            )
            raise ParameterError(msg)
        if self.cut not in ("score", "share_of_territories"):
            msg = f"method {self.name!r}: cut must be 'score' or 'share_of_territories'."
            raise ParameterError(msg)
        if self.thresholds is not None:
            self._check_thresholds()
        for key, value in (self.population_caps or {}).items():
            if key not in self.zones[:-1] or not 0 <= value <= 1:
                msg = (
                    f"method {self.name!r}: population_caps are shares in [0, 1] of zones "
                    f"{self.zones[:-1]}, found {key!r}: {value!r}."
                )
                raise ParameterError(msg)
        if self.adaptation_share is not None and not 0 <= self.adaptation_share <= 1:
            msg = f"method {self.name!r}: adaptation_share must lie in [0, 1] (0.10 for 10 %)."
            raise ParameterError(msg)
        bad_max = {
            k: v
            for k, v in (self.adaptation_max_by_region or {}).items()
            if not isinstance(v, int) or v < 0
        }
        if bad_max:
            msg = (
                f"method {self.name!r}: adaptation_max_by_region maps région codes to numbers of "
                f"territories (non-negative integers), found {bad_max}."
            )
            raise ParameterError(msg)
        if self.data is not None and not isinstance(self.data, pd.DataFrame):
            msg = f"method {self.name!r}: data must be a DataFrame indexed by territory code."
            raise InputFormatError(msg)

    def _check_thresholds(self) -> None:
        values = tuple(float(t) for t in self.thresholds)
        object.__setattr__(self, "thresholds", values)
        if len(values) != len(self.zones) - 1 or any(math.isnan(v) for v in values):
            msg = (
                f"method {self.name!r}: expected {len(self.zones) - 1} thresholds (one per zone "
                f"but the last), found {values}."
            )
            raise ParameterError(msg)
        if self.combination == "k_of_n" and self.cut == "score":
            bad = [v for v in values if v != int(v) or not 0 <= v <= len(self.indicators)]
            if bad:
                msg = (
                    f"method {self.name!r}: with 'k of n' the thresholds are numbers of criteria "
                    f"between 0 and {len(self.indicators)}, found {values}."
                )
                raise ParameterError(msg)
        if self.cut == "share_of_territories" and not all(0 <= v <= 1 for v in values):
            msg = f"method {self.name!r}: shares of territories must lie in [0, 1], found {values}."
            raise ParameterError(msg)
        increasing = self.cut == "share_of_territories"
        pairs = itertools.pairwise(values)
        if any((b < a) if increasing else (b > a) for a, b in pairs):
            order = "increasing shares" if increasing else "decreasing scores (worst zone first)"
            msg = f"method {self.name!r}: thresholds must be {order}, found {values}."
            raise ParameterError(msg)

    # ------------------------------------------------------------------ scores

    def scores(self, territories: pd.Index | None = None) -> pd.DataFrame:
        """Normalised indicators, criteria and score per territory (see :func:`combine`).

        ``territories``: the units to score (default: every row of :attr:`data`); the
        normalisation is computed over them, so territories outside the zoning do not weigh.
        """
        if self.data is None:
            msg = (
                f"method {self.name!r} has no indicator table: pass data=DataFrame indexed by "
                "territory code (e.g. get_method(method, data=table))."
            )
            raise InputFormatError(msg)
        data = self.data.set_axis(self.data.index.astype(str), axis=0)
        if data.index.has_duplicates:
            dup = data.index[data.index.duplicated()].unique().tolist()
            msg = (
                f"method {self.name!r}: the indicator table must have one row per territory, "
                f"found {describe_values(dup)} more than once."
            )
            raise InputFormatError(msg)
        if territories is not None:
            wanted = pd.Index(territories).astype(str)
            missing = wanted.difference(data.index)
            if len(missing):
                msg = (
                    f"method {self.name!r}: the indicator table has no row for "
                    f"{len(missing)} territories of the zoning: "
                    f"{describe_values(missing.tolist())}."
                )
                raise MissingCommuneError(msg)
            data = data.loc[wanted]
        return combine(data, self.indicators, combination=self.combination)

    def _fill_key(self, scores: pd.DataFrame) -> np.ndarray:
        """Ascending key of the capped fill: worst first (``-score``; for ``k_of_n`` the
        weighted sum orders territories holding as many criteria, within half a unit)."""
        if self.combination == "k_of_n":
            tiebreak = normalise(
                scores["weighted_sum"].to_numpy(),
                Indicator("weighted_sum", "higher_is_worse", "percentile"),
            )
            return -(scores["score"].to_numpy() + 0.5 * tiebreak * (1 - 1e-9))
        return -scores["score"].to_numpy()

    def _key_thresholds(self, key: np.ndarray) -> np.ndarray:
        m = len(self.zones) - 1
        if self.thresholds is None:
            return np.full(m, np.inf)
        if self.cut == "score":
            return -np.asarray(self.thresholds, dtype=np.float64)
        ordered = np.sort(key)
        out = np.empty(m)
        for z, share in enumerate(self.thresholds):
            count = math.floor(share * len(key) + 1e-9)
            out[z] = ordered[count - 1] if count > 0 else -np.inf
        return out

    # ------------------------------------------------------------------ interface

    def tiers(self, apl: np.ndarray) -> np.ndarray:
        """The score, not the APL, decides: every territory starts in the residual zone."""
        return np.full(apl.shape, len(self.zones) - 1, dtype=np.int64)

    def caps(
        self,
        caps: CapsInput,
        *,
        region_population: pd.Series,
        cap_unit: Literal["inhabitants", "share"] = "inhabitants",
        margin: MarginInput = None,
    ) -> tuple[pd.DataFrame, list[Constraint]]:
        """The caps given to ``classify_zones``, else :attr:`population_caps` (shares)."""
        if caps is None and self.population_caps:
            caps, cap_unit = dict(self.population_caps), "share"
        resolved = resolve_caps(
            caps,
            zones=self.zones,
            region_population=region_population,
            cap_unit=cap_unit,
            margin=margin,
        )
        constraints = build_constraints(
            resolved,
            zones=self.zones,
            cap_rule=self.cap_rule,
            margin_zone=None,
            region_population=region_population,
        )
        if self.thresholds is None:
            uncapped = [z for z in self.zones[:-1] if not np.isfinite(resolved[z].to_numpy()).all()]
            if uncapped:
                msg = (
                    f"method {self.name!r} has no thresholds, so every territory is eligible and "
                    f"only caps limit the zones, but {describe_values(uncapped)} have no cap. "
                    "Give thresholds or a cap for each of them."
                )
                raise ParameterError(msg)
        return resolved, constraints

    def classify(self, inputs: TerritoryInputs) -> tuple[np.ndarray, list[str]]:
        """Score the territories, then the capped fill on the score (worst first)."""
        terr = inputs.territories
        scores = self.scores(terr.index)
        key = self._fill_key(scores)
        zone, selection = capped_fill(
            key,
            terr["population"].to_numpy(dtype=np.float64),
            inputs.part_indptr,
            inputs.part_region,
            inputs.part_population,
            thresholds=self._key_thresholds(key),
            constraints=inputs.constraints,
            decider=inputs.decider,
        )
        return zone, ["composite" if int(k) == CAPPED else "residual" for k in selection]

    def checks(self, state: ZoningState) -> list[dict]:
        """The ±1-level rule and the limit on the number of territories the agency moved."""
        by_region = dict(self.adaptation_max_by_region or {})
        if self.adaptation_share is None and self.adaptation_max is None and not by_region:
            return []
        communes = state.communes
        level = {z: i for i, z in enumerate(self.zones)}
        final = communes["zone"].map(level)
        computed = communes["zone_computed"].map(level)
        moved = communes["zone"] != communes["zone_computed"]
        too_far = moved & ((final - computed).abs() != 1)
        per_territory = (
            pd.DataFrame({"territory": communes["territory"], "moved": moved, "too_far": too_far})
            .groupby("territory")[["moved", "too_far"]]
            .any()
        )
        region_of = state.territories["region"].reindex(per_territory.index)
        rows = []
        for region in state.regions:
            in_region = (region_of == region).to_numpy()
            n = int(in_region.sum())
            if n == 0:
                continue
            limit = by_region.get(str(region), self.adaptation_max)
            if limit is None and self.adaptation_share is None:
                continue
            if limit is None:
                limit = math.floor(self.adaptation_share * n + 1e-9)
            moved_here = per_territory.index[in_region & per_territory["moved"].to_numpy()]
            far_here = per_territory.index[in_region & per_territory["too_far"].to_numpy()]
            rows.append(
                check_row(
                    region=region,
                    constraint="territories moved one level",
                    kind="derogation",
                    limit=float(limit),
                    used=float(len(moved_here)),
                    broken_by=", ".join(map(str, moved_here)) if len(moved_here) > limit else "",
                )
            )
            far_population = float(
                communes.loc[too_far & communes["territory"].isin(far_here), "population"].sum()
            )
            rows.append(
                check_row(
                    region=region,
                    constraint="moves of more than one level",
                    kind="rule",
                    limit=0.0,
                    used=far_population,
                    broken_by=", ".join(map(str, far_here)),
                )
            )
        return rows


# ---------------------------------------------------------------------- presets


def idf_2012_gp(
    data: pd.DataFrame,
    *,
    weights: Mapping[str, float],
    fragile_threshold: float | None = None,
    fragile_cap: float | None = None,
    normalisation: Normalisation = "percentile",
) -> CompositeMethod:
    """GP "zones déficitaires" and "zones fragiles" of Île-de-France (2012).

    SROS Île-de-France 2012, "Déterminer les zones déficitaires et fragiles": four indicators —
    « un score densité/activité » for GPs, « un score prenant en compte un ensemble de
    professionnels médicaux et paramédicaux ... (centres de santé) », the share of GPs aged 60 or
    more with « une évolution négative ou nulle de leurs effectifs sur les trois dernières
    années », and « l'indicateur de développement humain »; « la part de la population vivant
    dans les zones déficitaires ne pourra excéder ... (7% en Ile-de-France) »; units « libre[s]
    mais ... un découpage reconnu par l'INSEE (grands quartiers, commune, canton, ..) ».

    The plan gives neither the weights of the combination nor the rule of the zones fragiles:
    they are arguments. ``data`` columns (one row per unit):

    * ``gp_density_activity`` — the density/activity score, oriented as a fragility score
      (higher: lower density with higher activity);
    * ``multiprofessional_supply`` — supply score of the other professions and centres de
      santé (lower is worse);
    * ``gp_ageing`` — 1 where the ageing criterion holds, else 0 (see
      :func:`ageing_criterion`);
    * ``human_development_index`` — IDH (lower is worse).

    Parameters
    ----------
    data
        The indicator table, indexed by unit code.
    weights
        Weight of each of the four columns.
    fragile_threshold, fragile_cap
        Lowest combined score of a zone fragile, and/or its cap as a share of the regional
        population (at least one).
    normalisation
        Normalisation of every indicator; the plan does not say how the indicators are put on
        one scale: percentiles unless told otherwise.
    """
    columns = {
        "gp_density_activity": "higher_is_worse",
        "multiprofessional_supply": "lower_is_worse",
        "gp_ageing": "higher_is_worse",
        "human_development_index": "lower_is_worse",
    }
    if set(weights) != set(columns):
        msg = f"weights must give one weight for each of {list(columns)}, found {list(weights)}."
        raise ParameterError(msg)
    if fragile_threshold is None and fragile_cap is None:
        msg = (
            "the 2012 plan does not give the rule of the zones fragiles: give fragile_threshold "
            "(lowest combined score) and/or fragile_cap (share of the regional population)."
        )
        raise ParameterError(msg)
    indicators = tuple(
        Indicator(column, direction, normalisation, float(weights[column]))  # type: ignore[arg-type]
        for column, direction in columns.items()
    )
    caps = {"deficitaire": 0.07}
    if fragile_cap is not None:
        caps["fragile"] = fragile_cap
    thresholds = None
    if fragile_threshold is not None:
        # « Dans ces territoires [fragiles] sont identifiées des zones déficitaires »: a zone
        # déficitaire is first a fragile territory, hence the same threshold for both.
        thresholds = (fragile_threshold, fragile_threshold)
    return CompositeMethod(
        name="composite_idf_2012",
        zones=IDF_2012_ZONES,
        indicators=indicators,
        data=data,
        thresholds=thresholds,
        population_caps=caps,
        level_codes={z: z for z in IDF_2012_ZONES},
    )


#: INSEE code of the Île-de-France région, the région of the 2012 plan.
IDF_REGION = "11"


def nurses_2011(
    data: pd.DataFrame,
    *,
    thresholds: Sequence[float],
    cut: Literal["score", "share_of_territories"] = "share_of_territories",
    mileage_direction: Direction,
    weights: Mapping[str, float],
    normalisation: Normalisation = "percentile",
) -> CompositeMethod:
    """Nurses' five-level zoning (2011, CNAMTS method as applied in Île-de-France in 2012).

    SROS Île-de-France 2012, "Déterminer et réguler les zones d'offre de soins en infirmiers
    libéraux": « cinq niveaux de dotation » on « bassin[s] de vie » and « pseudos-cantons », from
    « une combinaison de quatre indicateurs : 2 indicateurs de besoins de soins : les honoraires
    moyens sans dépassement (HSD) par infirmier ; la part des personnes âgées de plus de 75 ans ;
    2 indicateurs d'offre de soins : la densité (standardisée par âge) pour 100 000 habitants ;
    le nombre moyen d'indemnités kilométriques (IK) par IDEL »; and « la possibilité de classer
    une zone dans une catégorie dont le niveau de dotation est immédiatement inférieur ou
    supérieur dans la limite de 10 % de la totalité des zones par région ».

    The plan gives neither the cut points of the five levels nor the weights (the CNAMTS
    method is in the arrêté of 21 December 2011, not among the reference documents), nor which
    way the mileage indicator counts: they are arguments. ``data`` columns: ``fees_per_nurse``
    (higher is worse: more need per nurse), ``share_over_75`` (higher is worse),
    ``standardised_density`` (lower is worse), ``mileage_per_nurse``.

    The plan states the limit twice: the national rule « 10 % de la totalité des zones par
    région », and for its own région « Pour l'Ile de France, au total, 5 zones de la région
    peuvent être théoriquement modifiées » (294 territories: 10 % would be 29). The preset
    applies what the plan says for its région: at most 5 territories moved in Île-de-France
    (région code ``"11"``, :data:`IDF_REGION`), 10 % of the territories in any other région. The
    plan does not say how the indicators are put on one scale: ``normalisation`` is percentiles
    unless told otherwise.
    """
    columns: dict[str, Direction] = {
        "fees_per_nurse": "higher_is_worse",
        "share_over_75": "higher_is_worse",
        "standardised_density": "lower_is_worse",
        "mileage_per_nurse": mileage_direction,
    }
    if set(weights) != set(columns):
        msg = f"weights must give one weight for each of {list(columns)}, found {list(weights)}."
        raise ParameterError(msg)
    indicators = tuple(
        Indicator(column, direction, normalisation, float(weights[column]))
        for column, direction in columns.items()
    )
    return CompositeMethod(
        name="composite_nurses_2011",
        zones=FIVE_LEVELS,
        indicators=indicators,
        data=data,
        thresholds=tuple(thresholds),
        cut=cut,
        adaptation_share=0.10,
        adaptation_max_by_region={IDF_REGION: 5},
    )


#: Indicators of the Île-de-France GP zoning of 2022 and 2025 (FIR 2025, "Méthodologie"), with
#: the direction their meaning gives.
IDF_2025_INDICATORS: dict[str, Direction] = {
    "idh2": "lower_is_worse",  # « Caractéristiques sociales (1) : IDH2 – 2021 »
    "share_ald": "higher_is_worse",  # « Morbidité (1) : % population ALD »
    "gp_density": "lower_is_worse",  # « Densité MG : nb MG /10 000 habitants »
    "gp_headcount_change": "lower_is_worse",  # « Evolution effectifs MG 2022 - 2024 »
    "first_installations": "lower_is_worse",  # « Dynamique d'installation »
    "share_gp_over_62": "higher_is_worse",  # « Age des médecins : % de MG > 62 ans »
    "specialist_density": "lower_is_worse",  # « Densité de spécialistes »
}
#: Zones of that zoning, most priority first (« ZIP Renforcée », « ZIP », « ZAC », « Autres
#: zones »); ZIP renforcée is a ZIP in the national file.
IDF_2025_ZONES = ("ZIP_renforcee", "ZIP", "ZAC", "autres_zones")
#: Weights of the three scenarios of the 2025 concertation (« Scénario 1 : IDH2 à 2 ... Scénario
#: 2: IDH2 à 1 densité MG à 2 Scénario 3 : IDH2 à 2 densité MG à 2 »); the indicators the slides
#: do not name in a scenario count 1.
IDF_2025_SCENARIO_WEIGHTS = {
    1: {"idh2": 2.0},
    2: {"idh2": 1.0, "gp_density": 2.0},
    3: {"idh2": 2.0, "gp_density": 2.0},
}


def idf_2025_gp(
    data: pd.DataFrame,
    *,
    scenario: int,
    thresholds: Sequence[float] | None = None,
    normalisation: Normalisation = "percentile",
) -> CompositeMethod:
    """Île-de-France GP zoning of 2022 and 2025 (the agency's composite method).

    ARS Île-de-France, FIR territorial Hauts-de-Seine 2025 (CTS plénier, 3 October 2025),
    "Méthodologie": « Même méthodologie qu'en 2022 • 7 indicateurs » (:data:`IDF_2025_INDICATORS`,
    IDH2 with « coefficient 2 »), on territoires de vie-santé, Paris arrondissements and QPV;
    three scenarios of weights (:data:`IDF_2025_SCENARIO_WEIGHTS`) « pour atteindre l'objectif
    des 62,1% » of the population in ZIP renforcée + ZIP. The slides give neither the thresholds
    of the indicators nor how they combine into zones: the combination here is the weighted sum
    of normalised indicators, and the eligibility ``thresholds`` or the caps given to
    ``classify_zones`` (shares of the population per zone) are the agency's.

    ``data`` columns: the keys of :data:`IDF_2025_INDICATORS`, one row per unit.
    """
    if scenario not in IDF_2025_SCENARIO_WEIGHTS:
        msg = f"scenario must be 1, 2 or 3 (the 2025 concertation), found {scenario!r}."
        raise ParameterError(msg)
    weights = IDF_2025_SCENARIO_WEIGHTS[scenario]
    indicators = tuple(
        Indicator(column, direction, normalisation, weights.get(column, 1.0))
        for column, direction in IDF_2025_INDICATORS.items()
    )
    return CompositeMethod(
        name=f"composite_idf_2025_s{scenario}",
        zones=IDF_2025_ZONES,
        indicators=indicators,
        data=data,
        thresholds=None if thresholds is None else tuple(thresholds),
        level_codes={
            "ZIP_renforcee": "1_ZIP",
            "ZIP": "1_ZIP",
            "ZAC": "2_ZAC",
            "autres_zones": "3_HZ",
        },
    )
