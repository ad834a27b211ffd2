"""Regional population caps: validation, units, margins, and the constraints the fill checks.

Caps are given per zone, in inhabitants (default) or as shares of the regional population
(``cap_unit="share"``), either as a mapping ``{zone: cap}`` or as a DataFrame indexed by région
with one column per zone (and optionally a ``margin`` column). A mapping in inhabitants is for a
single région; a mapping of shares applies to every région.

A cap on the **residual** zone (``HZ`` in 2025) is a floor: the other zones together must leave
it at least that many inhabitants (the 2025 Centre-Val de Loire caps sum to the regional
population). The ``margin`` (inhabitants, or a share with ``cap_unit="share"``) may only be used
by the method's ``margin_zone``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputFormatError, InvalidValueError, ParameterError, describe_values

__all__ = ["Constraint", "build_constraints", "per_region", "resolve_caps"]

logger = logging.getLogger(__name__)

CapsInput = Mapping[str, float] | pd.DataFrame | pd.Series | None
CapUnit = Literal["inhabitants", "share"] | Mapping[str, Literal["inhabitants", "share"]]
MarginInput = float | Mapping[str, float] | pd.Series | None


def _regions_mismatch(what: str, missing: list[str]) -> None:
    msg = (
        f"{what} are missing for {len(missing)} régions of the territory table: "
        f"{describe_values(missing)}. Give one row per région (index = région code)."
    )
    raise InputFormatError(msg)


def resolve_caps(
    caps: CapsInput,
    *,
    zones: tuple[str, ...],
    region_population: pd.Series,
    cap_unit: CapUnit = "inhabitants",
    margin: MarginInput = None,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Caps in inhabitants per région and zone.

    Parameters
    ----------
    caps
        Mapping zone → cap, or DataFrame indexed by région (columns: zones, optional ``margin``).
        None for no cap.
    zones
        The method's zones (the last one is the residual zone).
    region_population
        Residents per région (index: région codes).
    cap_unit
        ``"inhabitants"`` or ``"share"`` (of the regional population, in [0, 1]), or the unit
        of each cap (and of the margin), e.g. ``{"ZIP": "share", "ZAC": "inhabitants",
        "margin": "inhabitants"}``. Caps in inhabitants below one inhabitant beside others
        (shares given without their unit), or a margin above 1 read as a share, are refused.
    margin
        Extra room for the margin zone: a number for every région, or per région.
    extra
        Other caps the method knows (``"ZIP_B"``: the 2017 zone-B share), ``inf`` when not given.

    Returns
    -------
    pandas.DataFrame
        Indexed by région (``region_population``'s order), one float column per zone (``inf`` where
        uncapped) and ``margin``, all in inhabitants; ``attrs["units"]`` holds the unit each
        cap was given in.

    Raises
    ------
    ParameterError
        Unknown zones, unknown unit, shares above 100 % or summing above 100 %.
    InvalidValueError
        Negative or missing caps or margins.
    InputFormatError
        Caps in inhabitants for a single région while the table has several, or régions missing.
    """
    regions = region_population.index
    table = pd.DataFrame(np.inf, index=regions, columns=[*zones, *extra], dtype=np.float64)
    table["margin"] = 0.0
    given = _caps_frame(caps, regions=regions, cap_unit=cap_unit)
    columns = [] if given is None else list(given.columns)
    units = cap_units(cap_unit, [*columns, *(["margin"] if margin is not None else [])])
    if given is not None:
        unknown = [c for c in given.columns if c not in (*zones, *extra, "margin")]
        if unknown:
            msg = (
                f"caps name unknown zones {describe_values(unknown)}; this method's caps are "
                f"{describe_values((*zones, *extra))}."
            )
            raise ParameterError(msg)
        values = given.to_numpy(dtype=np.float64)
        bad = np.isnan(values) | (values < 0)
        if bad.any():
            found = _cells(given, values, bad)
            msg = (
                f"caps must be non-negative numbers, found {describe_values(found)} "
                "(région, zone, cap). Use inf or leave the zone out for no cap."
            )
            raise InvalidValueError(msg)
        shares = [c for c in given.columns if units[c] == "share"]
        counts = [c for c in given.columns if units[c] == "inhabitants" and c != "margin"]
        if shares:
            _check_shares(given[shares])
            _check_share_sum(given[[c for c in shares if c in zones]])
        if counts:
            _check_inhabitants(given[counts], mixed=bool(shares), cap_unit=cap_unit)
        for col in given.columns:
            table[col] = given[col].astype(np.float64)
    if margin is not None:
        table["margin"] = per_region(margin, regions)
        _check_margin_unit(table["margin"].to_numpy(), units["margin"], cap_unit)
    pop = region_population.to_numpy(dtype=np.float64)
    for col, unit in units.items():
        if unit == "share" and col in table.columns:
            table[col] = table[col].to_numpy() * pop
    capped = [*zones, *extra]
    over = table[capped].gt(pop, axis=0) & np.isfinite(table[capped])
    if over.to_numpy().any():
        logger.warning(
            "caps above the regional population in %s: they never bind",
            describe_values(table.index[over.any(axis=1)].tolist()),
        )
    table.attrs["units"] = {c: units[c] for c in columns if c != "margin"} | (
        {"margin": units["margin"]} if margin is not None else {}
    )
    table.index.name = "region"
    return table


CAP_UNITS = ("inhabitants", "share")


def cap_units(cap_unit: CapUnit, columns: list[str]) -> dict[str, str]:
    """The unit of each cap (and of the margin): one unit for all, or declared per cap.

    Raises
    ------
    ParameterError
        An unknown unit, or a mapping that leaves a given cap without a unit.
    """
    if isinstance(cap_unit, Mapping):
        bad = {k: v for k, v in cap_unit.items() if v not in CAP_UNITS}
        if bad:
            msg = f"cap_unit values must be 'inhabitants' or 'share', found {bad}."
            raise ParameterError(msg)
        missing = [c for c in columns if c not in cap_unit]
        if missing:
            msg = (
                f"cap_unit gives units per cap but none for {describe_values(missing)}; declare "
                "each cap given (and the margin) as 'inhabitants' or 'share'."
            )
            raise ParameterError(msg)
        return {c: str(cap_unit[c]) for c in columns}
    if cap_unit not in CAP_UNITS:
        msg = (
            f"cap_unit must be 'inhabitants' or 'share' (or a mapping cap -> unit), found "
            f"{cap_unit!r}."
        )
        raise ParameterError(msg)
    return dict.fromkeys(columns, str(cap_unit))


def _check_inhabitants(frame: pd.DataFrame, *, mixed: bool, cap_unit: CapUnit) -> None:
    """Caps in inhabitants below one inhabitant are shares given without their unit."""
    values = frame.to_numpy(dtype=np.float64)
    tiny = (values > 0) & (values < 1)
    if not tiny.any():
        return
    found = _cells(frame, values, tiny)
    zones = sorted({zone for _, zone, _ in found})
    finite = values[np.isfinite(values)]
    if not mixed and isinstance(cap_unit, str) and (finite < 1).all() and (finite > 0).all():
        msg = (
            f"caps look like shares ({describe_values(finite.tolist())}) but cap_unit is "
            "'inhabitants'. Pass cap_unit='share' for shares of the regional population."
        )
        raise ParameterError(msg)
    units = {c: "share" if c in zones else "inhabitants" for c in frame.columns}
    msg = (
        f"caps in inhabitants below one inhabitant: {describe_values(found)} (région, zone, "
        f"cap) beside caps of {describe_values(sorted(set(finite[finite >= 1].tolist())))} "
        f"inhabitants: shares and inhabitants mixed."
    )
    fix = "Declare the unit of each cap, e.g. {param}, or give them all in one unit."
    raise ParameterError(msg, fix=fix, param="cap_unit", value=units)


def _check_margin_unit(margin: np.ndarray, unit: str, cap_unit: CapUnit) -> None:
    """A margin in inhabitants read as a share (or the reverse) would be off by the population."""
    if unit == "share" and (margin > 1).any():
        msg = (
            f"the margin {describe_values(sorted(set(margin.tolist())))} is read as a share of the "
            "regional population (cap_unit='share') and would count that many times the "
            "population."
        )
        fix = "A margin in inhabitants beside caps in shares: declare it, e.g. {param}."
        value = {"ZIP": "share", "ZAC": "share", "margin": "inhabitants"}
        raise ParameterError(msg, fix=fix, param="cap_unit", value=value)
    if unit == "inhabitants" and ((margin > 0) & (margin < 1)).any():
        msg = (
            f"the margin {describe_values(sorted(set(margin.tolist())))} is read in inhabitants "
            "(less than one inhabitant): a share? Declare it with cap_unit={..., 'margin': "
            "'share'}, or give it in inhabitants."
        )
        raise ParameterError(msg)


def _caps_frame(caps: CapsInput, *, regions: pd.Index, cap_unit: str) -> pd.DataFrame | None:
    if caps is None:
        return None
    if isinstance(caps, pd.DataFrame):
        frame = caps.copy()
        if "region" in frame.columns:
            frame = frame.set_index("region")
        frame.index = frame.index.astype(str)
        missing = regions.difference(frame.index).tolist()
        if missing:
            _regions_mismatch("caps", missing)
        return frame.reindex(regions)
    if isinstance(caps, Mapping | pd.Series):
        mapping = dict(caps)
        unit_of = cap_unit if isinstance(cap_unit, Mapping) else dict.fromkeys(mapping, cap_unit)
        if len(regions) > 1 and any(unit_of.get(k) == "inhabitants" for k in mapping):
            msg = (
                f"caps given as one mapping in inhabitants, but the territory table has "
                f"{len(regions)} régions ({describe_values(regions.tolist())}). Pass a DataFrame "
                "indexed by région, or shares with cap_unit='share' to apply them to every région."
            )
            raise InputFormatError(msg)
        try:
            row = {k: float(v) for k, v in mapping.items()}
        except (TypeError, ValueError) as exc:
            msg = f"caps must be numbers, found {describe_values(list(mapping.values()))}."
            raise InvalidValueError(msg) from exc
        return pd.DataFrame([row] * len(regions), index=regions)
    msg = (
        "caps must be a mapping zone -> cap or a DataFrame indexed by région, found "
        f"{type(caps).__name__}."
    )
    raise InputFormatError(msg)


def _cells(
    frame: pd.DataFrame, values: np.ndarray, mask: np.ndarray
) -> list[tuple[str, str, float]]:
    """(région, zone, value) of the cells of ``frame`` where ``mask`` holds, for messages."""
    rows, cols = np.nonzero(mask)
    return [
        (str(frame.index[r]), str(frame.columns[c]), float(values[r, c]))
        for r, c in zip(rows, cols, strict=True)
    ]


def _check_shares(frame: pd.DataFrame) -> None:
    values = frame.to_numpy(dtype=np.float64)
    over = np.isfinite(values) & (values > 1.0)
    if over.any():
        found = _cells(frame, values, over)
        msg = (
            f"caps given as shares must lie in [0, 1] (0.713 for 71.3 %); found caps above "
            f"100 %: {describe_values(found)} (région, zone, share). Divide percentages by 100, "
            "or pass cap_unit='inhabitants' for numbers of inhabitants."
        )
        raise ParameterError(msg)


def _check_share_sum(frame: pd.DataFrame) -> None:
    values = frame.to_numpy(dtype=np.float64)
    total = np.where(np.isfinite(values), values, 0.0).sum(axis=1)
    too_much = total > 1.0 + 1e-9
    if too_much.any():
        found = [
            (str(r), round(float(t), 6))
            for r, t in zip(frame.index[too_much], total[too_much], strict=True)
        ]
        msg = (
            f"caps given as shares sum above 100 % in {describe_values(found)} (région, sum). "
            "Each zone's share is of the same regional population: they cannot add up to more "
            "than 1."
        )
        raise ParameterError(msg)


def per_region(margin: MarginInput, regions: pd.Index) -> np.ndarray:
    """A non-negative number for every région, from one number or a mapping by région."""
    if isinstance(margin, Mapping | pd.Series):
        series = pd.Series(margin, dtype=np.float64)
        series.index = series.index.astype(str)
        missing = regions.difference(series.index).tolist()
        if missing:
            _regions_mismatch("margins", missing)
        values = series.reindex(regions).to_numpy(dtype=np.float64)
    else:
        values = np.full(len(regions), float(margin), dtype=np.float64)  # type: ignore[arg-type]
    if (np.isnan(values) | (values < 0)).any():
        msg = (
            f"the margin (or limit) must be a non-negative number, found "
            f"{describe_values(values.tolist())}."
        )
        raise InvalidValueError(msg)
    return values


@dataclass(frozen=True)
class Constraint:
    """Population of ``zones`` (indices into the method's zones) within ``limits`` per région.

    With ``exclude_mandatory`` the territories the method puts in the first zone whatever the
    caps do not count (the 2017 zone-B share counts the additional selection only).
    """

    name: str
    zones: tuple[int, ...]
    limits: np.ndarray
    exclude_mandatory: bool = False


def build_constraints(
    caps: pd.DataFrame,
    *,
    zones: tuple[str, ...],
    cap_rule: str,
    margin_zone: str | None,
    region_population: pd.Series,
    margin_rule: str = "inside",
    selection_cap: str | None = None,
) -> list[Constraint]:
    """Turn resolved caps into the constraints the fill must keep.

    * ``"separate"``: zone *k* alone within ``cap_k``;
    * ``"cumulative"``: zone 1 within ``cap_1``, zones 1..*k* together within
      ``cap_1 + ... + cap_k``;
    * the margin: with ``margin_rule="inside"`` it is part of the margin zone's cap (reported, it
      never raises a limit); with ``"above"`` the margin zone's own limit is ``cap + margin``
      (not carried over to the cumulative limits);
    * a cap on the residual zone: the other zones together within ``population - cap``;
    * ``selection_cap``: the first zone without its mandatory part within that column's cap
      (2017 zone B).

    Constraints whose limits are all infinite are left out.
    """
    m = len(zones) - 1
    constraints: list[Constraint] = []
    margin = caps["margin"].to_numpy(dtype=np.float64)
    if margin_rule == "inside":
        margin = np.zeros_like(margin)
    running = np.zeros(len(caps), dtype=np.float64)
    for k in range(m):
        cap = caps[zones[k]].to_numpy(dtype=np.float64)
        extra = margin if zones[k] == margin_zone else 0.0
        if cap_rule == "separate" or k == 0:
            members: tuple[int, ...] = (k,)
            limit = cap + extra
            name = zones[k]
        else:
            members = tuple(range(k + 1))
            limit = running + cap
            name = "+".join(zones[: k + 1])
        running = running + cap
        if np.isfinite(limit).any():
            constraints.append(Constraint(name, members, limit))
    if selection_cap is not None and selection_cap in caps.columns:
        limit = caps[selection_cap].to_numpy(dtype=np.float64)
        if np.isfinite(limit).any():
            constraints.append(Constraint(selection_cap, (0,), limit, exclude_mandatory=True))
    floor = caps[zones[-1]].to_numpy(dtype=np.float64)
    if np.isfinite(floor).any():
        limit = region_population.to_numpy(dtype=np.float64) - floor
        constraints.append(Constraint(f"{zones[-1]} floor", tuple(range(m)), limit))
    return constraints
