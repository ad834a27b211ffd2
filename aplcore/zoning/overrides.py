"""The agency's choices applied on top of the computed zoning.

Choices ("overrides") are of three levels:

* ``territory``: a territory put in another zone (2017: a hors-vivier territory brought in
  through the 5 % regional adaptation);
* ``commune``: the commune substituted for the territory (2025 guide, "La maille applicable":
  "substituer à l'échelle du TVS l'échelle de la commune ... sans excéder 5 % de la population
  régionale"); limited by ``commune_override_limit`` or the method's default;
* ``qpv``: a quartier prioritaire classified on its own (2025 guide, "La maille applicable":
  "elle peut classer les quartiers prioritaires de la ville (QPV) en zone d'interventions
  prioritaires (ZIP) ou en zone d'actions complémentaires (ZAC) sans classer l'intégralité du
  TVS auxquels ils appartiennent dans une de ces catégories, le tout dans le respect des parts
  de populations"), with the QPV's own population (column ``population``) counted against the
  caps in its zone, and taken out of its host commune (column ``commune``).

Territory choices apply first, then commune choices (which win); QPV are separate units. Every
cap and rule is then checked again (:mod:`aplcore.zoning.checks`), naming the choices that break
it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._checks import bad_non_negative
from ..codes import normalise_codes
from ..errors import (
    DuplicateError,
    InputFormatError,
    MissingCommuneError,
    ParameterError,
    describe_values,
    type_name,
)
from .checks import check_caps, checks_frame

__all__ = ["apply_overrides", "check_caps", "checks_frame", "normalise_overrides"]

LEVELS = ("territory", "commune", "qpv")

OverridesInput = Mapping[str, str] | pd.Series | pd.DataFrame | None

_TOLERANCE = 1e-6


def _overrides_frame(overrides: OverridesInput) -> pd.DataFrame:
    """The overrides as given, as a table with at least ``code`` and ``zone``."""
    if isinstance(overrides, pd.DataFrame):
        frame = overrides.copy()
        missing = [c for c in ("code", "zone") if c not in frame.columns]
        if missing:
            msg = (
                f"overrides need columns 'code' and 'zone' (optional 'level', 'reason'); missing "
                f"{describe_values(missing)}, found {describe_values(list(frame.columns))}."
            )
            raise InputFormatError(msg)
    elif isinstance(overrides, Mapping | pd.Series):
        mapping = dict(overrides)
        frame = pd.DataFrame({"code": list(mapping), "zone": list(mapping.values())})
    else:
        msg = (
            "overrides must be a mapping territory -> zone or a DataFrame with columns code, zone "
            f"(and level, reason); found {type_name(overrides)}."
        )
        raise InputFormatError(msg)
    return frame


def normalise_overrides(
    overrides: OverridesInput,
    *,
    zones: tuple[str, ...],
    territories: pd.Index,
    communes: pd.Index,
) -> pd.DataFrame:
    """Check overrides and return them as a table.

    Parameters
    ----------
    overrides
        Mapping territory code → zone, or a DataFrame with columns ``code`` and ``zone`` and
        optionally ``level`` (``"territory"``, the default, ``"commune"`` or ``"qpv"``),
        ``reason``, and for QPV rows ``commune`` (host commune) and ``population`` (the QPV's).
    zones
        The method's zone labels.
    territories, communes
        Known territory and commune codes.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``level``, ``zone``, ``reason``, ``commune``, ``population``.
    """
    columns = ["code", "level", "zone", "reason", "commune", "population"]
    if overrides is None:
        return pd.DataFrame(columns=columns, dtype=object)
    frame = _overrides_frame(overrides)
    if "level" not in frame.columns:
        frame["level"] = "territory"
    if "reason" not in frame.columns:
        frame["reason"] = ""
    for col in ("commune", "population"):
        if col not in frame.columns:
            frame[col] = None
    frame = frame[columns].astype(object).reset_index(drop=True)
    frame["code"] = frame["code"].astype(str)
    frame["reason"] = frame["reason"].fillna("").astype(str)
    bad_level = sorted(set(frame["level"]) - set(LEVELS))
    if bad_level:
        msg = (
            f"override level must be 'territory' or 'commune' (or 'qpv'), found "
            f"{describe_values(bad_level)}."
        )
        raise ParameterError(msg)
    bad_zone = sorted({str(z) for z in frame["zone"]} - set(zones))
    if bad_zone:
        msg = (
            f"overrides name unknown zones {describe_values(bad_zone)}; this method's zones are "
            f"{describe_values(zones)}."
        )
        raise ParameterError(msg)
    is_commune = (frame["level"] == "commune").to_numpy()
    if is_commune.any():
        frame.loc[is_commune, "code"] = list(
            normalise_codes(frame.loc[is_commune, "code"], what="commune codes of the overrides")
        )
    _check_qpv(frame, communes)
    for level, known in (("territory", territories), ("commune", communes)):
        codes = frame.loc[frame["level"] == level, "code"]
        unknown = sorted(set(codes) - set(known))
        if unknown:
            msg = (
                f"overrides name {len(unknown)} unknown {level} codes: "
                f"{describe_values(unknown)}. Use codes of the territory table."
            )
            raise MissingCommuneError(msg)
        dup = sorted(set(codes[codes.duplicated()]))
        if dup:
            msg = (
                f"overrides give {level} codes {describe_values(dup)} more than once; keep one "
                "zone per code."
            )
            raise DuplicateError(msg)
    return frame


def apply_overrides(
    commune_zone: pd.Series, commune_territory: pd.Series, overrides: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Apply overrides to per-commune zones.

    Returns
    -------
    zone : pandas.Series
        Final zone per commune.
    source : pandas.Series
        Per commune, the index (into ``overrides``) of the override that set its zone, or -1.
    """
    zone = commune_zone.copy()
    source = pd.Series(-1, index=commune_zone.index, dtype=np.int64)
    for level in ("territory", "commune"):
        for i, row in overrides[overrides["level"] == level].iterrows():
            if level == "territory":
                mask = (commune_territory == row["code"]).to_numpy()
            else:
                mask = commune_zone.index == row["code"]
            zone[mask] = row["zone"]
            source[mask] = int(i)  # type: ignore[call-overload]
    return zone, source


def _check_qpv(frame: pd.DataFrame, communes: pd.Index) -> None:
    """QPV rows need a known host commune and a non-negative QPV population."""
    is_qpv = (frame["level"] == "qpv").to_numpy()
    if not is_qpv.any():
        return
    rows = frame.loc[is_qpv]
    if rows["commune"].isna().any() or rows["population"].isna().any():
        msg = (
            "QPV choices need the host commune (column 'commune') and the QPV's own "
            "population (column 'population'): the QPV's residents count against the caps, "
            "not its whole commune."
        )
        raise InputFormatError(msg)
    hosts = list(normalise_codes(rows["commune"], what="host communes of the QPV choices"))
    frame.loc[is_qpv, "commune"] = hosts
    unknown = sorted(set(hosts) - set(communes))
    if unknown:
        msg = f"QPV choices name unknown host communes {describe_values(unknown)}."
        raise MissingCommuneError(msg)
    try:
        values = pd.to_numeric(rows["population"]).to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"QPV populations must be numbers, found {describe_values(rows['population'])}."
        raise InputFormatError(msg) from exc
    if bad_non_negative(values).any():
        msg = f"QPV populations must be finite and non-negative, found {describe_values(values)}."
        raise InputFormatError(msg)
    frame.loc[is_qpv, "population"] = values
    dup = rows["code"][rows["code"].duplicated()]
    if len(dup):
        msg = f"QPV choices give codes {describe_values(sorted(set(dup)))} more than once."
        raise DuplicateError(msg)
