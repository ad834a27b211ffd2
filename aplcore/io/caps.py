"""The caps file of ``aplcore classify --caps-file``: regional caps of several régions."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    ParameterError,
    describe_values,
)
from ..tables import read_frame

__all__ = ["caps_from_text", "read_caps_file"]


def read_caps_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``caps`` (régions × zones), ``cap_unit`` and ``margin`` (by région) from a caps file.

    One row per région and zone: ``region``, ``zone``, ``value`` (a share of the région's
    population, at most 1, or a number of inhabitants: the same kind on every row) and optionally
    ``margin`` (inhabitants, the same on every row of a région).
    """
    table = read_frame(path, what="the caps file")
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ("region", "zone", "value") if c not in table.columns]
    if missing:
        msg = (
            f"the caps file {path} lacks the columns {missing}; its columns are "
            f"{list(table.columns)}. Expected one row per région and zone: region, zone, "
            "value[, margin]."
        )
        raise InputFormatError(msg)
    region = table["region"].astype(str).str.strip()
    zone = table["zone"].astype(str).str.strip()
    blank = (region == "") | (zone == "") | table["region"].isna() | table["zone"].isna()
    if blank.any():
        lines = (np.flatnonzero(blank.to_numpy()) + 2).tolist()
        msg = f"the caps file {path} has rows without a région or a zone (lines {lines[:5]})."
        raise InputFormatError(msg)
    value = pd.to_numeric(table["value"], errors="coerce")
    bad = ~np.isfinite(value.to_numpy(dtype=float)) | (value.to_numpy(dtype=float) < 0)
    if bad.any():
        shown = [f"line {k + 2}: {table['value'].iloc[k]!r}" for k in np.flatnonzero(bad)[:5]]
        msg = (
            f"caps in {path} must be non-negative numbers (shares ≤ 1 or inhabitants); found "
            f"{describe_values(shown)}."
        )
        raise InvalidValueError(msg)
    keys = pd.DataFrame({"region": region, "zone": zone})
    repeated = keys.duplicated(keep=False)
    if repeated.any():
        pairs = sorted({f"{r}/{z}" for r, z in keys[repeated].itertuples(index=False)})
        msg = f"the caps file {path} gives some région and zone twice: {describe_values(pairs)}."
        raise DuplicateError(msg)
    shares = value <= 1
    if shares.any() and not shares.all():
        msg = (
            f"caps in {path} must all be shares (at most 1) or all be inhabitants (more than "
            "1); the file mixes both."
        )
        raise InvalidValueError(msg)
    caps = (
        pd.DataFrame({"region": region, "zone": zone, "value": value})
        .pivot(index="region", columns="zone", values="value")
        .rename_axis(index=None, columns=None)
    )
    options: dict[str, Any] = {
        "caps": caps,
        "cap_unit": "share" if bool(shares.all()) else "inhabitants",
    }
    if "margin" in table.columns:
        margin = pd.to_numeric(table["margin"], errors="coerce").fillna(0.0)
        per_region = margin.groupby(region.to_numpy()).agg(["min", "max"])
        uneven = per_region.index[per_region["min"] != per_region["max"]].tolist()
        if uneven or (margin < 0).any():
            msg = (
                f"the margin in {path} must be one non-negative number per région; found "
                f"different or negative values for {describe_values(uneven or ['?'])}."
            )
            raise InvalidValueError(msg)
        options["margin"] = per_region["min"].rename("margin")
    return options


def caps_from_text(items: Iterable[str]) -> dict[str, Any]:
    """``caps`` and ``cap_unit`` of caps written ``ZONE=VALUE`` (``ZIP=0.713``, a share, or
    ``ZIP=1834765``, inhabitants): the same kind for every zone; ``{}`` for none."""
    caps: dict[str, float] = {}
    for item in items:
        zone, sep, number = item.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not sep or not zone.strip() or not value >= 0:
            msg = (
                "{param} must look like ZONE=VALUE with a share (ZIP=0.713) or a number of "
                f"inhabitants (ZIP=1834765), found {item!r}."
            )
            raise ParameterError(msg, param="caps", value=item)
        caps[zone.strip()] = value
    if not caps:
        return {}
    if min(caps.values()) <= 1 < max(caps.values()):
        found = ", ".join(f"{z}={v:g}" for z, v in caps.items())
        msg = (
            "{param} values must all be shares (at most 1) or all be inhabitants (more than 1), "
            f"found {found}."
        )
        raise ParameterError(msg, param="caps", value=found)
    return {"caps": caps, "cap_unit": "share" if max(caps.values()) <= 1 else "inhabitants"}
