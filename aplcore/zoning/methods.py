"""Zoning methods as frozen dataclasses, and the named presets.

Three families:

* :class:`CappedMethod`: ordered zones (most priority first, the last one is the residual zone),
  an APL eligibility threshold per zone, an optional mandatory threshold, and regional population
  caps given at classification time. The GP zonings ``zonage_2017`` and ``zonage_2025``.
* :class:`ShareMethod`: five-level zonings of the other professions; territories ranked by APL and
  cut by cumulative population share (spec §7), or by population-weighted percentiles of APL.
* :class:`ThresholdMethod`: plain APL thresholds, at commune level by default.

Every number is a field; presets are ordinary instances that :func:`get_method` can copy with
changed fields (``get_method("zonage_2025", thresholds=(2.6, 4.0))``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from ..errors import ParameterError, describe_values

__all__ = [
    "METHOD_PRESETS",
    "CappedMethod",
    "ShareMethod",
    "ThresholdMethod",
    "ZoningMethod",
    "get_method",
]

Weighting = Literal["population", "standardised"]

#: Level codes of the national zoning file (``zmed_niveau`` and friends). ``1_ZIP`` and ``2_ZAC``
#: appear in the published sample; the other codes follow the same ``rank_label`` pattern.
DEFAULT_LEVEL_CODES: dict[str, str] = {
    "ZIP": "1_ZIP",
    "ZAC": "2_ZAC",
    "ZV": "3_ZV",
    "HV": "5_HV",
    "HZ": "5_HZ",
    "very_under_served": "1_Tres_sous_dotee",
    "under_served": "2_Sous_dotee",
    "intermediate": "3_intermediaire",
    "well_served": "4_Tres_dotee",
    "over_served": "5_Sur_dotee",
}

#: Tolerance on the sum of the shares of a :class:`ShareMethod` (published shares are rounded).
SHARE_SUM_TOLERANCE = 0.002

FIVE_LEVELS = ("very_under_served", "under_served", "intermediate", "well_served", "over_served")


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
class CappedMethod:
    """A zoning with eligibility thresholds and regional population caps (GP zonings).

    Classification of territories, per region, in this order:

    1. Territories with APL ``<= mandatory_threshold`` (if set) take the first zone whatever the
       caps (2017 "zone A", the national selection). If they alone exceed a cap the result says
       so (a warning and ``mandatory_over_cap`` in the checks) instead of dropping any of them.
    2. For each capped zone in turn, the remaining territories are taken by ascending APL while
       their APL is ``<=`` the zone's threshold and every cap still holds (**stop rule**: the
       first eligible territory that does not fit closes the zone in every region where it has
       residents; smaller territories further down the list are *not* tried, so a territory
       never gets a better zone than one with a lower APL).
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
    level_codes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVEL_CODES))

    def __post_init__(self) -> None:
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


@dataclass(frozen=True)
class ShareMethod:
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
class ThresholdMethod:
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

    def __post_init__(self) -> None:
        _set_zones_and_thresholds(self, strict=True)
        if self.level not in ("commune", "territory"):
            msg = (
                f"method {self.name!r}: level must be 'commune' or 'territory', found "
                f"{self.level!r}."
            )
            raise ParameterError(msg)
        _check_weighting(self.name, self.weighting)


ZoningMethod = CappedMethod | ShareMethod | ThresholdMethod

#: Named presets. Values marked *reported* in the spec are parameters like any other.
METHOD_PRESETS: dict[str, ZoningMethod] = {
    # Arrêté of 13 Nov 2017: zone A <= 2.5 (mandatory), vivier (2.5, 4] -> ZIP B within the
    # regional ZIP cap (A + B), then ZAC within the ZAC cap, the rest zone de vigilance (ZV);
    # > 4 hors vivier (HV), addable by override within 5 % of the vivier population. Without a
    # ZAC cap the whole rest of the vivier is ZAC (a zone without a cap is not limited).
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
    ),
    # Arrêté of 9 May 2025: ZIP / ZAC / HZ; thresholds 2.71 and 3.98 are reported, not confirmed.
    "zonage_2025": CappedMethod(
        name="zonage_2025",
        zones=("ZIP", "ZAC", "HZ"),
        thresholds=(2.71, 3.98),
        cap_rule="cumulative",
        margin_zone="ZIP",
        weighting="population",
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
                f"{describe_values(sorted(METHOD_PRESETS), limit=20)}, or a CappedMethod, "
                "ShareMethod or ThresholdMethod object."
            )
            raise ParameterError(msg)
        obj: ZoningMethod = METHOD_PRESETS[method]
    elif isinstance(method, CappedMethod | ShareMethod | ThresholdMethod):
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
