"""The zoning methods that ship, and their named presets.

Three families: :class:`CappedMethod` (GP zonings ``zonage_2017`` and ``zonage_2025``),
:class:`ShareMethod` (five levels cut by cumulative population share, spec §7) and
:class:`ThresholdMethod` (plain APL thresholds), each a
:class:`~aplcore.zoning.method.ZoningMethod`. A new method is one class in one module that
subclasses :class:`ZoningMethod` (usually a frozen dataclass) and, to be reachable by name,
:func:`register_method`. Every number is a field; presets are ordinary instances that
:func:`get_method` can copy with changed fields
(``get_method("zonage_2025", thresholds=(2.6, 4.0))``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ..aggregation import weighted_quantiles
from ..errors import ParameterError, describe_values
from .caps import CapsInput, Constraint, MarginInput, build_constraints, resolve_caps
from .checks import check_row, describe_choices
from .fill import CAPPED, MANDATORY, capped_fill
from .method import (
    DEFAULT_LEVEL_CODES,
    FIVE_LEVELS,
    SHARE_SUM_TOLERANCE,
    TerritoryInputs,
    Weighting,
    ZoningMethod,
    ZoningState,
)

__all__ = [
    "METHOD_PRESETS",
    "CappedMethod",
    "ShareMethod",
    "ThresholdMethod",
    "get_method",
    "register_method",
]


def _check_zones(name: str, zones: tuple[str, ...], minimum: int) -> None:
    if len(zones) < minimum or len(set(zones)) != len(zones):
        msg = (
            f"method {name!r}: zones must be at least {minimum} distinct labels, found "
            f"{describe_values(zones)}. Give one label per zone, most priority first."
        )
        raise ParameterError(msg)


def _check_weighting(name: str, weighting: str) -> None:
    if weighting not in ("population", "standardised"):
        msg = (
            f"method {name!r}: weighting must be 'population' or 'standardised', found "
            f"{weighting!r}."
        )
        raise ParameterError(msg)


def _check_increasing(name: str, what: str, values: tuple[float, ...], *, strict: bool) -> None:
    bad = [v for v in values if not isinstance(v, int | float) or math.isnan(v)]
    if bad:
        msg = f"method {name!r}: {what} must be numbers, found {describe_values(bad)}."
        raise ParameterError(msg)
    negative = [v for v in values if v < 0]
    if negative:
        msg = (
            f"method {name!r}: {what} are APL values (consultations per inhabitant and year), "
            f"never negative; found {describe_values(negative)}."
        )
        raise ParameterError(msg)
    for a, b in itertools.pairwise(values):
        if (b < a) or (strict and b == a):
            order = "strictly increasing" if strict else "in increasing order"
            msg = (
                f"method {name!r}: {what} must be {order} (most priority zone first), found "
                f"{describe_values(values)}. Sort them, e.g. thresholds=(2.71, 3.98)."
            )
            raise ParameterError(msg)


def _set_zones_and_thresholds(method: CappedMethod | ThresholdMethod, *, strict: bool) -> None:
    """Store ``zones`` and ``thresholds`` as tuples (thresholds as floats) and check them.

    At least two distinct zones, one threshold per zone but the last, thresholds in increasing
    order (``strict``: strictly).
    """
    zones = tuple(method.zones)
    thresholds = tuple(float(t) for t in method.thresholds)
    object.__setattr__(method, "zones", zones)
    object.__setattr__(method, "thresholds", thresholds)
    _check_zones(method.name, zones, 2)
    if len(thresholds) != len(zones) - 1:
        msg = (
            f"method {method.name!r}: expected {len(zones) - 1} thresholds (one per zone but "
            f"the last, {zones[-1]!r}), found {len(thresholds)}: {describe_values(thresholds)}."
        )
        raise ParameterError(msg)
    _check_increasing(method.name, "thresholds", thresholds, strict=strict)


@dataclass(frozen=True)
class CappedMethod(ZoningMethod):
    """A zoning with eligibility thresholds and regional population caps (GP zonings).

    Classification of territories, per region, in this order:

    1. Territories with APL ``<= mandatory_threshold`` (if set) take the first zone whatever the
       caps (2017 "zone A", the national selection). If they alone exceed a cap the result says
       so (a warning and ``mandatory_over_cap`` in the checks) instead of dropping any of them.
    2. For each capped zone in turn, the remaining territories are taken by ascending APL while
       their APL is ``<=`` the zone's threshold and every cap of the région that decides them
       (the one holding the largest share of their residents) still holds; every région counts
       its own residents (**stop rule**: the first eligible territory that does not fit closes
       the zone in its deciding région; smaller territories further down the list are *not*
       tried, so a territory never gets a better zone than one with a lower APL that the same
       région decides).
    3. The rest gets the residual zone (the last of ``zones``).

    Ties in APL are broken by population (larger first), then territory code (ascending).

    Parameters
    ----------
    name
        Preset name.
    zones
        Zone labels, most priority first; the last one is the residual zone.
    thresholds
        One APL eligibility threshold per non-residual zone (``APL <= threshold``), non-decreasing;
        ``inf`` for no threshold.
    mandatory_threshold
        APL at or under which a territory takes the first zone regardless of caps; None for none.
    cap_rule
        ``"separate"``: each zone's population must stay within its own cap; ``"cumulative"``:
        the population of the first *k* zones together must stay within the sum of their caps
        (unused room of a zone passes to the next; the 2025 Centre-Val de Loire example).
    margin_zone
        The zone whose cap may be exceeded by the ``margin`` given at classification time.
    outside_threshold
        2017 "hors vivier": APL above which a territory may only be added by an override, within
        ``outside_margin_share`` of the population of the vivier
        (``mandatory_threshold < APL <= outside_threshold``) of its region. None to disable.
    outside_margin_share
        Share of the vivier population the overrides may bring in from above ``outside_threshold``.
    weighting
        Population weighting the territory APL uses: ``"population"`` (resident, the 2017 arrêté)
        or ``"standardised"`` (the DREES workbook note).
    fill_rule
        ``"stop"`` (default, step 2 above) or ``"skip"``: a territory that does not fit is
        passed over and the next ones (higher APL) are tried. ``"skip"`` fills the caps more
        fully but gives up the guarantee that a lower APL never gets a worse zone.
    margin_rule
        ``"inside"`` (default): the margin is part of the margin zone's cap, so every published
        share holds (Centre-Val de Loire 2025: ZIP within 1 834 765 = 71.3 %, of which up to
        2 346 are the margin); ``"above"``: the margin zone may reach ``cap + margin``.
    vivier
        Without a cap on the first zone: ``"capped"`` refuses to classify, since the additional
        selection is chosen *within* a regional cap (the 2017 preset); ``"all-zip"`` (the
        default of a custom method) puts every eligible territory in the first zone; with the
        2017 preset the caller chooses it explicitly (``get_method("zonage_2017",
        vivier="all-zip")``).
    selection_cap
        Name of an optional cap on the first zone without its mandatory part (2017: the
        annex's "part de la population régionale dans les zones B", column ``ZIP_B``; the
        ``ZIP`` cap is then the "total zones A + B").
    regional_zones
        Optional regional categories (``("ZAR",)``) an agency may assign through its choices;
        never computed, never capped (their rules are the région's).
    commune_substitution_share
        Default limit of commune-level choices, as a share of the regional population (2025
        guide: "sans excéder 5 % de la population régionale"); None for none.
    commune_choices
        ``"allowed"`` (2025: the commune may replace the TVS within the limit above) or
        ``"overseas_only"`` (2017: the TVS is the unit; the commune only overseas, FAQ of
        25/05/2018, "pour l'Outre-Mer, la maille retenue est ... la commune"): a commune-level
        choice elsewhere breaks the rule ``TVS unit``. QPV choices are never commune choices.
    qpv_zones
        Zones a QPV classified on its own may take (2025 guide: "classer les quartiers
        prioritaires de la ville (QPV) en zone d'interventions prioritaires (ZIP) ou en zone
        d'actions complémentaires (ZAC)"); None: any zone.
    cross_region
        Who classifies a territory spanning régions. ``"majority"`` (2017 FAQ p. 10: "le TVS
        est alors qualifié dans sa globalité par l'ARS qui abrite dans cette zone la part de
        population la plus importante"): one zone, decided by that région. ``"own_region"``
        (2025 guide, "Gestion des TVS situés sur plusieurs régions administratives": "L'ARS
        Centre-Val de Loire a procédé à la qualification des communes de sa région"): the
        territory is split into one part per région (``<territory>@<région>``), each keeping the
        whole territory's APL, classified by its own région and counted against its caps.
    level_codes
        Zone label → level code of the national zoning file.
    """

    name: str
    zones: tuple[str, ...]
    thresholds: tuple[float, ...]
    mandatory_threshold: float | None = None
    fill_rule: Literal["stop", "skip"] = "stop"
    cap_rule: Literal["separate", "cumulative"] = "cumulative"
    margin_zone: str | None = None
    outside_threshold: float | None = None
    outside_margin_share: float = 0.0
    weighting: Weighting = "population"
    margin_rule: Literal["inside", "above"] = "inside"
    vivier: Literal["capped", "all-zip"] = "all-zip"
    selection_cap: str | None = None
    regional_zones: tuple[str, ...] = ()
    commune_substitution_share: float | None = None
    commune_choices: Literal["allowed", "overseas_only"] = "allowed"
    qpv_zones: tuple[str, ...] | None = None
    cross_region: Literal["majority", "own_region"] = "majority"
    level_codes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVEL_CODES))

    takes_caps: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "regional_zones", tuple(self.regional_zones))
        if self.qpv_zones is not None:
            object.__setattr__(self, "qpv_zones", tuple(self.qpv_zones))
            unknown = [z for z in self.qpv_zones if z not in (*self.zones, *self.regional_zones)]
            if unknown:
                msg = (
                    f"method {self.name!r}: qpv_zones must be zones of the method "
                    f"{describe_values(self.zones)}, found {describe_values(unknown)}."
                )
                raise ParameterError(msg)
        for name, value, allowed in (
            ("margin_rule", self.margin_rule, ("inside", "above")),
            ("vivier", self.vivier, ("capped", "all-zip")),
            ("commune_choices", self.commune_choices, ("allowed", "overseas_only")),
            ("cross_region", self.cross_region, ("majority", "own_region")),
        ):
            if value not in allowed:
                msg = (
                    f"method {self.name!r}: {name} must be one of {describe_values(allowed)}, "
                    f"found {value!r}."
                )
                raise ParameterError(msg)
        share = self.commune_substitution_share
        if share is not None and not 0.0 <= share <= 1.0:
            msg = (
                f"method {self.name!r}: commune_substitution_share must lie in [0, 1] (0.05 "
                f"for 5 %), found {share}."
            )
            raise ParameterError(msg)
        _set_zones_and_thresholds(self, strict=False)
        mandatory = self.mandatory_threshold
        if mandatory is not None and (math.isnan(mandatory) or mandatory > self.thresholds[0]):
            msg = (
                f"method {self.name!r}: the mandatory threshold ({mandatory}) must not exceed "
                f"the first zone's threshold ({self.thresholds[0]})."
            )
            raise ParameterError(msg)
        if self.cap_rule not in ("separate", "cumulative"):
            msg = (
                f"method {self.name!r}: cap_rule must be 'separate' or 'cumulative', found "
                f"{self.cap_rule!r}."
            )
            raise ParameterError(msg)
        if self.margin_zone is not None and self.margin_zone not in self.zones[:-1]:
            msg = (
                f"method {self.name!r}: margin_zone must be one of the capped zones "
                f"{describe_values(self.zones[:-1])}, found {self.margin_zone!r}."
            )
            raise ParameterError(msg)
        if not 0.0 <= self.outside_margin_share <= 1.0:
            msg = (
                f"method {self.name!r}: outside_margin_share must lie in [0, 1] (a share, "
                f"0.05 for 5 %), found {self.outside_margin_share}."
            )
            raise ParameterError(msg)
        if self.outside_threshold is not None and self.mandatory_threshold is None:
            msg = (
                f"method {self.name!r}: outside_threshold needs a mandatory_threshold (the vivier "
                "lies between the two)."
            )
            raise ParameterError(msg)
        _check_weighting(self.name, self.weighting)
        if self.fill_rule not in ("stop", "skip"):
            msg = (
                f"method {self.name!r}: fill_rule must be 'stop' or 'skip', found "
                f"{self.fill_rule!r}."
            )
            raise ParameterError(msg)

    def tiers(self, apl: np.ndarray) -> np.ndarray:
        """Best zone each APL is eligible for (``APL <= threshold``); residual when none."""
        tier = np.searchsorted(np.asarray(self.thresholds), apl, side="left")
        return np.where(np.isnan(apl), len(self.zones) - 1, tier).astype(np.int64)

    def caps(
        self,
        caps: CapsInput,
        *,
        region_population: pd.Series,
        cap_unit: Literal["inhabitants", "share"] = "inhabitants",
        margin: MarginInput = None,
    ) -> tuple[pd.DataFrame, list[Constraint]]:
        """Resolved caps per région and the constraints of the fill."""
        extra = (self.selection_cap,) if self.selection_cap else ()
        resolved = resolve_caps(
            caps,
            zones=self.zones,
            region_population=region_population,
            cap_unit=cap_unit,
            margin=margin,
            extra=extra,
        )
        first = self.zones[0]
        if self.vivier == "capped" and not np.isfinite(resolved[first]).all():
            missing = resolved.index[~np.isfinite(resolved[first])].tolist()
            msg = (
                f"method {self.name!r} chooses the additional {first} (zone B) within a regional "
                f"{first} cap, and régions {describe_values(missing)} have none. Give caps "
                f"(e.g. caps={{'{first}': 0.12}}, cap_unit='share'), or classify the whole "
                f"vivier {first} explicitly with get_method({self.name!r}, vivier='all-zip')."
            )
            raise ParameterError(msg)
        constraints = build_constraints(
            resolved,
            zones=self.zones,
            cap_rule=self.cap_rule,
            margin_zone=self.margin_zone,
            region_population=region_population,
            margin_rule=self.margin_rule,
            selection_cap=self.selection_cap,
        )
        return resolved, constraints

    def classify(self, inputs: TerritoryInputs) -> tuple[np.ndarray, list[str]]:
        """The capped fill (:func:`aplcore.zoning.fill.capped_fill`)."""
        terr = inputs.territories
        zone, selection = capped_fill(
            terr["apl"].to_numpy(dtype=np.float64),
            terr["population"].to_numpy(dtype=np.float64),
            inputs.part_indptr,
            inputs.part_region,
            inputs.part_population,
            thresholds=np.asarray(self.thresholds, dtype=np.float64),
            constraints=inputs.constraints,
            mandatory_threshold=self.mandatory_threshold,
            fill_rule=self.fill_rule,
            decider=inputs.decider,
        )
        names = {MANDATORY: "mandatory", CAPPED: "capped"}
        return zone, [names.get(int(k), "residual") for k in selection]

    def commune_limit_share(self) -> float | None:
        """:attr:`commune_substitution_share`."""
        return self.commune_substitution_share

    def checks(self, state: ZoningState) -> list[dict]:
        """The method's rules on agency choices, per région.

        * ``national selection``: territories with APL at or under ``mandatory_threshold`` stay
          in the first zone (2017 FAQ p. 10: "sélectionné automatiquement");
        * ``no vivier substitution``: a vivier territory is not put in the residual zone (2017
          FAQ p. 9: "sans substitution entre le vivier et le hors vivier");
        * ``outside margin``: hors-vivier territories brought in stay within
          ``outside_margin_share`` of the vivier population (2017 arrêté annex IV);
        * ``eligibility``: a territory chosen into a zone has an APL within that zone's
          threshold (commune-level choices are judged on the commune's APL; QPV are not judged);
        * ``QPV in the vivier`` (2017): a QPV classified on its own lies in a vivier territory
          (FAQ p. 4: "si un QPV est situé pour une partie au moins au sein d'un TVS appartenant
          au vivier"; otherwise the 5 % regional adaptation applies to its TVS);
        * ``TVS unit`` (``commune_choices="overseas_only"``, 2017): no commune-level choice
          outside the overseas départements (codes ``97...``);
        * ``QPV zones`` (``qpv_zones``, 2025): a QPV classified on its own takes one of them.
        """
        communes = state.communes
        t_apl = state.territories["apl"].reindex(communes["territory"]).to_numpy()
        zone = communes["zone"].to_numpy(dtype=object)
        source = communes["source"].to_numpy()
        chosen = source >= 0
        pos = {z: i for i, z in enumerate(self.zones)}
        zone_idx = np.array([pos.get(z, -1) for z in zone], dtype=np.int64)
        commune_level = np.zeros(len(communes), dtype=bool)
        if len(state.overrides):
            levels = state.overrides["level"].to_numpy(dtype=object)
            commune_level[chosen] = levels[source[chosen]] == "commune"
        unit_apl = np.where(commune_level, communes["apl"].to_numpy(), t_apl)
        rules: list[tuple[str, np.ndarray]] = []
        lower = self.mandatory_threshold
        if lower is not None:
            national = t_apl <= lower
            rules.append(("national selection", national & (zone_idx != 0)))
        if self.outside_threshold is not None and lower is not None:
            vivier = (t_apl > lower) & (t_apl <= self.outside_threshold)
            rules.append(("no vivier substitution", vivier & (zone_idx == len(self.zones) - 1)))
        tier = self.tiers(unit_apl)
        ineligible = chosen & (zone_idx >= 0) & (zone_idx < len(self.zones) - 1)
        ineligible &= zone_idx < tier
        if self.outside_threshold is not None:
            ineligible &= ~(t_apl > self.outside_threshold)  # judged by the outside margin
        rules.append(("eligibility", ineligible))
        if self.commune_choices == "overseas_only":
            overseas = communes.index.to_series().str.startswith("97").to_numpy()
            rules.append(("TVS unit", commune_level & ~overseas))
        pop = communes["population"].to_numpy(dtype=np.float64)
        region = communes["region"].to_numpy(dtype=object)
        rows = []
        for r in state.regions:
            in_r = region == r
            for name, broken in rules:
                mask = in_r & broken
                rows.append(
                    check_row(
                        region=r,
                        constraint=name,
                        kind="rule",
                        limit=0.0,
                        used=float(pop[mask].sum()),
                        broken_by=describe_choices(state.overrides, np.unique(source[mask])),
                    )
                )
            if self.outside_threshold is not None and lower is not None:
                rows.append(self._outside_margin(state, r, in_r, t_apl, zone_idx, lower))
                rows.append(self._qpv_in_vivier(state, r))
            if self.qpv_zones is not None:
                rows.append(self._qpv_zones(state, r))
        return rows

    def _qpv_zones(self, state: ZoningState, region: object) -> dict:
        """2025: a QPV classified on its own is put in ZIP or ZAC only (guide, "La maille")."""
        qpv = state.qpv
        used, blamed = 0.0, ""
        if len(qpv):
            bad = (qpv["region"].to_numpy() == region) & ~qpv["zone"].isin(self.qpv_zones)
            used = float(qpv.loc[bad, "population"].sum())
            blamed = ", ".join(f"qpv {c} -> {z}" for c, z in qpv.loc[bad, ["code", "zone"]].values)
        return check_row(
            region=region,
            constraint="QPV zones",
            kind="rule",
            limit=0.0,
            used=used,
            broken_by=blamed,
        )

    def _qpv_in_vivier(self, state: ZoningState, region: object) -> dict:
        """2017: a QPV is classified on its own only when its TVS is in the vivier (FAQ p. 4)."""
        qpv = state.qpv
        used, blamed = 0.0, ""
        if len(qpv):
            host_territory = state.communes["territory"].reindex(qpv["commune"]).to_numpy()
            t_apl = state.territories["apl"].reindex(host_territory).to_numpy()
            outside = (t_apl > float(self.outside_threshold)) & (  # type: ignore[arg-type]
                qpv["region"].to_numpy() == region
            )
            outside &= qpv["zone"].to_numpy() != self.zones[-1]
            used = float(qpv.loc[outside, "population"].sum())
            blamed = ", ".join(
                f"qpv {c} -> {z}" for c, z in qpv.loc[outside, ["code", "zone"]].values
            )
        return check_row(
            region=region,
            constraint="QPV in the vivier",
            kind="rule",
            limit=0.0,
            used=used,
            broken_by=blamed,
        )

    def _outside_margin(
        self,
        state: ZoningState,
        region: object,
        in_region: np.ndarray,
        t_apl: np.ndarray,
        zone_idx: np.ndarray,
        lower: float,
    ) -> dict:
        upper = float(self.outside_threshold)  # type: ignore[arg-type]
        pop = state.communes["population"].to_numpy(dtype=np.float64)
        vivier = (t_apl > lower) & (t_apl <= upper)
        brought_in = (t_apl > upper) & (zone_idx >= 0) & (zone_idx != len(self.zones) - 1)
        mask = in_region & brought_in
        source = state.communes["source"].to_numpy()
        return check_row(
            region=region,
            constraint="outside margin",
            kind="derogation",
            limit=self.outside_margin_share * float(pop[in_region & vivier].sum()),
            used=float(pop[mask].sum()),
            broken_by=describe_choices(state.overrides, np.unique(source[mask])),
        )


@dataclass(frozen=True)
class ShareMethod(ZoningMethod):
    """Levels cut by cumulative population share of territories ranked by APL (spec §7).

    Territories are ranked by ascending APL (ties: larger population first, then code) over the
    ``scope`` (the whole table, or each region). With ``by="share"`` a territory takes the first
    level whose cumulative share still holds once it is added (so the first *k* levels together
    never exceed the first *k* shares, and the stop rule of :class:`CappedMethod` applies). With
    ``by="percentile"`` the cumulative shares become population-weighted percentiles of
    territory APL (:func:`aplcore.weighted_quantiles`) and a territory takes the first level
    whose percentile its APL does not exceed.

    Parameters
    ----------
    name
        Preset name.
    levels
        Level labels, most under-served first.
    shares
        Population share of each level, summing to 1 within ``SHARE_SUM_TOLERANCE`` (the
        published one-decimal percentages sum to 99.9-100.1 %). The last level is the residual:
        its share is informative only.
    weighting
        Weighting of the territory APL (``"population"`` or ``"standardised"``).
    by
        ``"share"`` or ``"percentile"``.
    scope
        ``"all"`` (national ranking) or ``"region"``.
    level_codes
        Level label → level code of the national zoning file.
    """

    name: str
    shares: tuple[float, ...]
    levels: tuple[str, ...] = FIVE_LEVELS
    weighting: Weighting = "population"
    by: Literal["share", "percentile"] = "share"
    scope: Literal["all", "region"] = "all"
    level_codes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVEL_CODES))

    territory_column: ClassVar[str] = "bvcv_code"

    @property
    def zones(self) -> tuple[str, ...]:
        """The levels, most under-served first."""
        return self.levels

    def classify(self, inputs: TerritoryInputs) -> tuple[np.ndarray, list[str]]:
        """Levels by cumulative population share or weighted percentile, per scope."""
        terr = inputs.territories
        return _share_levels(terr, inputs.regions, self), ["share"] * len(terr)

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "shares", tuple(float(s) for s in self.shares))
        _check_zones(self.name, self.levels, 2)
        if len(self.shares) != len(self.levels):
            msg = (
                f"method {self.name!r}: expected one share per level ({len(self.levels)}), found "
                f"{len(self.shares)}."
            )
            raise ParameterError(msg)
        bad = [s for s in self.shares if not 0.0 <= s <= 1.0]
        if bad:
            msg = (
                f"method {self.name!r}: shares must lie in [0, 1] (0.068 for 6.8 %), found "
                f"{describe_values(bad)}."
            )
            raise ParameterError(msg)
        if abs(sum(self.shares) - 1.0) > SHARE_SUM_TOLERANCE:
            msg = (
                f"method {self.name!r}: shares must sum to 1 (100 %, within "
                f"{SHARE_SUM_TOLERANCE:g} for rounded published figures), found "
                f"{sum(self.shares):.6g}. Give the share of each level, not cumulative shares."
            )
            raise ParameterError(msg)
        if self.by not in ("share", "percentile"):
            msg = f"method {self.name!r}: by must be 'share' or 'percentile', found {self.by!r}."
            raise ParameterError(msg)
        if self.scope not in ("all", "region"):
            msg = f"method {self.name!r}: scope must be 'all' or 'region', found {self.scope!r}."
            raise ParameterError(msg)
        _check_weighting(self.name, self.weighting)


@dataclass(frozen=True)
class ThresholdMethod(ZoningMethod):
    """Plain APL thresholds, without caps.

    A unit (commune, or territory with ``level="territory"``) takes the first zone whose
    threshold its APL does not exceed (``APL <= threshold``); above the last threshold, the last
    zone.

    Parameters
    ----------
    name
        Preset name.
    zones
        Zone labels, lowest APL first.
    thresholds
        ``len(zones) - 1`` strictly increasing thresholds.
    level
        ``"commune"`` or ``"territory"``.
    weighting
        Weighting of the territory APL when ``level="territory"``.
    level_codes
        Zone label → level code of the national zoning file.
    """

    name: str
    zones: tuple[str, ...]
    thresholds: tuple[float, ...]
    level: Literal["commune", "territory"] = "commune"
    weighting: Weighting = "population"
    level_codes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVEL_CODES))

    def tiers(self, apl: np.ndarray) -> np.ndarray:
        """Zone whose threshold the APL does not exceed (``APL <= threshold``)."""
        tier = np.searchsorted(np.asarray(self.thresholds), apl, side="left")
        return np.where(np.isnan(apl), len(self.zones) - 1, tier).astype(np.int64)

    def classify(self, inputs: TerritoryInputs) -> tuple[np.ndarray, list[str]]:
        """Each unit takes its tier."""
        terr = inputs.territories
        return self.tiers(terr["apl"].to_numpy(dtype=np.float64)), ["threshold"] * len(terr)

    def __post_init__(self) -> None:
        _set_zones_and_thresholds(self, strict=True)
        if self.level not in ("commune", "territory"):
            msg = (
                f"method {self.name!r}: level must be 'commune' or 'territory', found "
                f"{self.level!r}."
            )
            raise ParameterError(msg)
        _check_weighting(self.name, self.weighting)


def _share_levels(terr: pd.DataFrame, regions: pd.Index, meth: ShareMethod) -> np.ndarray:
    shares = np.asarray(meth.shares, dtype=np.float64)
    # rounded so that 0.1 + 0.1 + 0.1 is the 30 % the user meant
    cumulative = np.round(np.cumsum(shares), 12)[:-1]
    m = len(meth.levels) - 1
    apl = terr["apl"].to_numpy(dtype=np.float64)
    population = terr["population"].to_numpy(dtype=np.float64)
    scope = (
        np.zeros(len(terr), dtype=np.int64)
        if meth.scope == "all"
        else regions.get_indexer(terr["region"])
    )
    zone = np.full(len(terr), m, dtype=np.int64)
    for s in np.unique(scope):
        members = np.flatnonzero(scope == s)
        total = population[members].sum()
        if meth.by == "percentile":
            series = pd.Series(apl[members], index=terr.index[members])
            cuts = weighted_quantiles(
                series, pd.Series(population[members], index=series.index), cumulative
            ).to_numpy()
            level = np.searchsorted(cuts, apl[members], side="left")
            zone[members] = np.where(np.isnan(apl[members]), m, np.minimum(level, m))
            continue
        limits = [
            Constraint(
                "+".join(meth.levels[: k + 1]),
                tuple(range(k + 1)),
                np.array([cumulative[k] * total]),
            )
            for k in range(m)
        ]
        indptr = np.arange(members.size + 1, dtype=np.int64)
        z, _ = capped_fill(
            apl[members],
            population[members],
            indptr,
            np.zeros(members.size, dtype=np.int64),
            population[members],
            thresholds=np.full(m, np.inf),
            constraints=limits,
        )
        zone[members] = z
    return zone


#: Named presets. Values marked *reported* in the spec are parameters like any other.
METHOD_PRESETS: dict[str, ZoningMethod] = {
    # Arrêté of 13 Nov 2017 (FAQ_mg, 25/05/2018): zone A <= 2.5 (mandatory), vivier (2.5, 4] ->
    # ZIP B within the regional ZIP cap (annex V "total zones A + B"; the "zones B" share as the
    # optional ZIP_B cap), then ZAC within the ZAC cap, the rest zone de vigilance (ZV); > 4 hors
    # vivier (HV), addable by choice within 5 % of the vivier population. Without a ZIP cap the
    # preset refuses (vivier="all-zip" to classify the whole vivier ZIP). Without a ZAC cap the
    # whole rest of the vivier is ZAC (a zone without a cap is not limited). TVS value weighted
    # by the resident population (FAQ p. 5).
    "zonage_2017": CappedMethod(
        name="zonage_2017",
        zones=("ZIP", "ZAC", "ZV", "HV"),
        thresholds=(4.0, 4.0, 4.0),
        mandatory_threshold=2.5,
        cap_rule="separate",
        margin_zone="ZIP",
        outside_threshold=4.0,
        outside_margin_share=0.05,
        weighting="population",
        vivier="capped",
        selection_cap="ZIP_B",
        commune_choices="overseas_only",
        cross_region="majority",
    ),
    # Arrêté of 9 May 2025: ZIP / ZAC / HZ; thresholds 2.71 and 3.98 (Centre-Val de Loire guide,
    # "La classification des zones"). TVS value: the 2017 arrêté weights by resident population,
    # the DREES APL 2023 workbook note (the data the 2025 zoning used) weights territories by
    # standardised population; the 2025 arrêté's text is not at hand, so the preset keeps the
    # arrêté's resident weighting and weighting="standardised" gives the workbook's reading.
    # Margin inside the caps (every published share holds); commune substitution within 5 % of
    # the regional population (guide, "La maille applicable").
    "zonage_2025": CappedMethod(
        name="zonage_2025",
        zones=("ZIP", "ZAC", "HZ"),
        thresholds=(2.71, 3.98),
        cap_rule="cumulative",
        margin_zone="ZIP",
        weighting="population",
        margin_rule="inside",
        commune_substitution_share=0.05,
        qpv_zones=("ZIP", "ZAC"),
        cross_region="own_region",
    ),
    "physiotherapists_2018": ShareMethod(
        name="physiotherapists_2018", shares=(0.068, 0.060, 0.651, 0.098, 0.124)
    ),
    "midwives_2019": ShareMethod(name="midwives_2019", shares=(0.077, 0.102, 0.604, 0.093, 0.124)),
    "nurses_2020": ShareMethod(
        name="nurses_2020", shares=(0.053, 0.094, 0.366, 0.204, 0.283), weighting="standardised"
    ),
    "speech_therapists_2018": ShareMethod(
        name="speech_therapists_2018", shares=(0.128, 0.090, 0.557, 0.101, 0.123)
    ),
    # Plain commune thresholds on the 2017 GP cut-offs.
    "thresholds": ThresholdMethod(
        name="thresholds", zones=("ZIP", "ZAC", "HZ"), thresholds=(2.5, 4.0), level="commune"
    ),
}


def get_method(method: str | ZoningMethod, **changes: Any) -> ZoningMethod:
    """Return a method object from a preset name or an object, with some fields changed.

    Parameters
    ----------
    method
        A name of :data:`METHOD_PRESETS` or a method object.
    **changes
        Fields to replace (``thresholds=(2.6, 4.0)``); None values are ignored.

    Raises
    ------
    ParameterError
        Unknown preset name or field, or invalid values.
    """
    if isinstance(method, str):
        if method not in METHOD_PRESETS:
            msg = (
                f"unknown zoning method {method!r}; expected one of "
                f"{describe_values(sorted(METHOD_PRESETS), limit=20)}, or a ZoningMethod "
                "object (CappedMethod, ShareMethod, ThresholdMethod, ...)."
            )
            raise ParameterError(msg)
        obj: ZoningMethod = METHOD_PRESETS[method]
    elif isinstance(method, ZoningMethod):
        obj = method
    else:
        msg = f"method must be a preset name or a method object, found {type(method).__name__}."
        raise ParameterError(msg)
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return obj
    known = {f.name for f in fields(obj)}
    unknown = sorted(set(changes) - known)
    if unknown:
        msg = (
            f"method {obj.name!r} ({type(obj).__name__}) has no parameter "
            f"{describe_values(unknown)}; its parameters are "
            f"{describe_values(sorted(known), limit=20)}."
        )
        raise ParameterError(msg)
    return replace(obj, **changes)


def register_method(method: ZoningMethod, *, overwrite: bool = False) -> None:
    """Make ``method`` reachable by its name (``classify_zones(..., method=name)``).

    Raises
    ------
    ParameterError
        Not a :class:`ZoningMethod`, or the name is taken and ``overwrite`` is false.
    """
    if not isinstance(method, ZoningMethod):
        msg = f"register_method needs a ZoningMethod, found {type(method).__name__}."
        raise ParameterError(msg)
    if method.name in METHOD_PRESETS and not overwrite:
        msg = (
            f"a zoning method named {method.name!r} is already registered; pass "
            "overwrite=True to replace it."
        )
        raise ParameterError(msg)
    METHOD_PRESETS[method.name] = method
