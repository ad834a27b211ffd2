"""A zoning session: the method's proposal, then an agency's choices, with the gauges at each step.

This is what DREES's Zonage_ARS application lets an agency do by hand, as an object::

    session = ZoningSession(apl, population=pop, territory=tvs, method="zonage_2025",
                            caps=caps, margin=2_346, agency="24")
    session.proposal                       # the method's zoning, no choice applied
    session.choose("T12", "ZIP", reason="départs à la retraite")
    session.choose("45234", "ZAC", level="commune", reason="...")
    session.choose("QN04501M", "ZIP", level="qpv", commune="45234", population=3_120)
    session.gauges()                       # population per zone and région vs caps and floor
    session.departements()                 # the same per département of attribution
    session.broken()                       # which choices break which rule
    session.save("choices.csv")            # a plain table: replay with ZoningSession.replay
    session.zone_options("T12")            # each zone: allowed, a breach, or refused and why
    session.undo(); session.redo()         # step back and forth through the choices

Choices are a plain table (``code, level, zone, reason, commune, population``) that can be
saved, replayed on new data and diffed (:func:`diff_choices`). A territory spanning régions
follows the method's ``cross_region`` rule. 2017 (``"majority"``): it is set by the région
holding the largest share of its residents (FAQ of 25/05/2018 p. 10, "qualifié dans sa
globalité par l'ARS qui abrite dans cette zone la part de population la plus importante"), and
a session run for another région (``agency=``) may not choose it. 2025 (``"own_region"``):
each agency qualifies the communes of its own région (Centre-Val de Loire guide, "Gestion des
TVS situés sur plusieurs régions administratives"): the territory is one part per région,
``<territory>@<région>``, and the agency chooses its own part only.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputFormatError, ParameterError, describe_values
from .core import ZoningWarning, classify_zones
from .report import write_csv
from .result import Zoning

__all__ = ["CHOICE_COLUMNS", "ZoningSession", "diff_choices", "read_choices"]

#: Columns of a choices table.
CHOICE_COLUMNS = ("code", "level", "zone", "reason", "commune", "population")


def _empty_choices() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CHOICE_COLUMNS})


def read_choices(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a choices table written by :meth:`ZoningSession.save` (codes kept as text)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in ("code", "zone") if c not in frame.columns]
    if missing:
        msg = (
            f"{path}: a choices table needs columns {describe_values(CHOICE_COLUMNS)}; missing "
            f"{describe_values(missing)}."
        )
        raise InputFormatError(msg)
    for col in CHOICE_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame.loc[frame["level"] == "", "level"] = "territory"
    return frame[list(CHOICE_COLUMNS)]


def diff_choices(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Choices added, removed or changed between two tables (key: ``level`` and ``code``).

    Returns
    -------
    pandas.DataFrame
        ``level``, ``code``, ``change`` (``added``, ``removed``, ``changed``), ``zone_old``,
        ``zone_new``, ``reason_old``, ``reason_new``.
    """
    keys = ["level", "code"]
    a = old.astype({"code": str}).set_index(keys)[["zone", "reason"]]
    b = new.astype({"code": str}).set_index(keys)[["zone", "reason"]]
    joined = a.add_suffix("_old").join(b.add_suffix("_new"), how="outer")
    change = np.select(
        [joined["zone_old"].isna(), joined["zone_new"].isna()], ["added", "removed"], "changed"
    )
    joined["change"] = change
    same = (joined["zone_old"] == joined["zone_new"]) & (
        joined["reason_old"].fillna("") == joined["reason_new"].fillna("")
    )
    out = joined[~same].reset_index()
    columns = ["level", "code", "change", "zone_old", "zone_new", "reason_old", "reason_new"]
    return out[columns].fillna("").sort_values(keys, kind="stable").reset_index(drop=True)


class ZoningSession:
    """The method's proposal, then an agency's choices one by one, with the gauges.

    Parameters
    ----------
    apl, population, territory
        As in :func:`aplcore.zoning.classify_zones`.
    agency
        Région code of the agency running the session; when given, it may not set a
        territory that another région decides (the majority-région rule). None: no check.
    choices
        Choices to start from (a table as :meth:`save` writes it).
    **options
        Everything else :func:`~aplcore.zoning.classify_zones` takes (``method``, ``caps``,
        ``margin``, ``departement_caps``, ``commune_override_limit``, ...).
    """

    def __init__(
        self,
        apl: pd.Series,
        *,
        population: pd.Series,
        territory: Any = None,
        agency: str | None = None,
        choices: pd.DataFrame | None = None,
        **options: Any,
    ) -> None:
        if "overrides" in options:
            msg = "a session takes its choices with choose() or choices=, not overrides=."
            raise ParameterError(msg)
        self._data = {"apl": apl, "population": population, "territory": territory}
        self._options = {k: v for k, v in options.items() if k not in ("strict", "on_violation")}
        self.agency = agency
        self.proposal = self._classify(None)
        self._choices = _empty_choices()
        self._current = self.proposal
        if choices is not None:
            for _, row in choices.iterrows():
                self._add(row.to_dict())
            self._current = self._classify(self._choices)
        # each step: the choices before it and what it did; undone steps wait on ``_redo``
        self._done: list[tuple[pd.DataFrame, dict[str, Any]]] = []
        self._redo: list[tuple[pd.DataFrame, dict[str, Any]]] = []
        self._version = 0

    # --- classification ------------------------------------------------------------------------

    def _classify(self, choices: pd.DataFrame | None) -> Zoning:
        overrides = None
        if choices is not None and len(choices):
            overrides = choices.replace({"commune": {"": None}, "population": {"": None}})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ZoningWarning)  # the gauges and broken() say it
            return classify_zones(**self._data, overrides=overrides, **self._options)

    @property
    def zoning(self) -> Zoning:
        """The zoning with every choice applied."""
        return self._current

    @property
    def choices(self) -> pd.DataFrame:
        """The choices so far (a copy)."""
        return self._choices.copy()

    @property
    def version(self) -> int:
        """Number of changes made to the session (choices, withdrawals, undos and redos): two
        views of one session compare it to know whether the other changed it meanwhile."""
        return self._version

    def history(self) -> pd.DataFrame:
        """The steps taken so far, oldest first (undone steps left out).

        Returns
        -------
        pandas.DataFrame
            ``step`` (1, 2, ...), ``action`` (``choose`` or ``withdraw``), then the choice's
            ``code``, ``level``, ``zone``, ``reason``, ``commune``, ``population``.
        """
        rows = [{"step": k + 1, **action} for k, (_, action) in enumerate(self._done)]
        frame = pd.DataFrame(rows, columns=["step", "action", *CHOICE_COLUMNS])
        return frame.astype(dict.fromkeys(CHOICE_COLUMNS, object)).fillna("")

    @property
    def can_undo(self) -> bool:
        """Whether a step can be undone."""
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        """Whether an undone step can be taken again."""
        return bool(self._redo)

    def undo(self) -> Zoning:
        """Undo the last choice or withdrawal; returns the zoning before it."""
        if not self._done:
            msg = "nothing to undo: no choice was made in this session."
            raise ParameterError(msg)
        choices, action = self._done.pop()
        self._redo.append((self._choices, action))
        self._set(choices)
        self._version += 1
        return self._current

    def redo(self) -> Zoning:
        """Take the last undone step again."""
        if not self._redo:
            msg = "nothing to redo: no step was undone since the last choice."
            raise ParameterError(msg)
        choices, action = self._redo.pop()
        self._done.append((self._choices, action))
        self._set(choices)
        self._version += 1
        return self._current

    def _set(self, choices: pd.DataFrame) -> None:
        self._current = self._classify(choices)
        self._choices = choices

    def _step(self, before: pd.DataFrame, action: dict[str, Any]) -> None:
        """Record a step that changed the choices from ``before``."""
        self._done.append((before, action))
        self._redo.clear()
        self._version += 1

    # --- choices -------------------------------------------------------------------------------

    def _check_majority(self, code: str, level: str, commune: str = "") -> None:
        if self.agency is None:
            return
        terr = self.proposal.territories
        communes = self.proposal.communes
        parts = [t for t in terr.index if str(t).startswith(f"{code}@")]
        if level == "territory" and code not in terr.index and parts:
            msg = (
                f"territory {code} spans régions and the method "
                f"{self.proposal.method.name!r} splits it: each région qualifies its own "
                f"communes (2025 rule). Choose its parts "
                f"{describe_values(parts)} (the agency of région {self.agency} its own one)."
            )
            raise ParameterError(msg)
        if level == "territory" and code in terr.index:
            decider = terr.at[code, "region"]
            regions = set(communes.loc[communes["territory"] == code, "region"])
            if decider != self.agency:
                msg = (
                    f"territory {code} has residents in régions {describe_values(sorted(regions))}"
                    f"; région {decider} holds the largest share and sets its zone (FAQ of the "
                    f"2017 arrêté, territories on two régions). The agency of région "
                    f"{self.agency} may not choose it."
                )
                raise ParameterError(msg)
        elif level in ("commune", "qpv"):
            host = code if level == "commune" else str(commune)
            if host in communes.index:
                region = communes.at[host, "region"]
                if region != self.agency:
                    msg = (
                        f"commune {host} is in région {region}, not in the agency's région "
                        f"{self.agency}."
                    )
                    raise ParameterError(msg)

    def _add(self, choice: Mapping[str, Any]) -> None:
        row = {c: "" if choice.get(c) is None else choice.get(c) for c in CHOICE_COLUMNS}
        row["level"] = row["level"] or "territory"
        row["code"] = str(row["code"])
        self._check_majority(row["code"], row["level"], row["commune"])
        keep = ~((self._choices["code"] == row["code"]) & (self._choices["level"] == row["level"]))
        new = pd.DataFrame([row], columns=list(CHOICE_COLUMNS), dtype=object)
        self._choices = pd.concat([self._choices[keep], new], ignore_index=True)

    def choose(
        self,
        code: str,
        zone: str,
        *,
        level: str = "territory",
        reason: str = "",
        commune: str | None = None,
        population: float | None = None,
    ) -> Zoning:
        """Set a territory, a commune or a QPV to ``zone`` (replacing an earlier choice of it).

        Returns the zoning after the choice; :meth:`broken` says which rules it breaks. An
        unknown code or zone raises and leaves the session as it was.
        """
        before = self._choices
        choice = {
            "code": str(code),
            "level": level,
            "zone": zone,
            "reason": reason,
            "commune": commune,
            "population": population,
        }
        self._add(choice)
        try:
            self._current = self._classify(self._choices)
        except ValueError:
            self._choices = before
            raise
        self._step(before, {"action": "choose", **choice})
        return self._current

    def zone_options(
        self,
        code: str,
        *,
        level: str = "territory",
        commune: str | None = None,
        population: float | None = None,
    ) -> pd.DataFrame:
        """What choosing each zone for ``code`` would do, without changing the session.

        Each zone of the method (and its regional categories) is tried as :meth:`choose` would
        apply it.

        Returns
        -------
        pandas.DataFrame
            One row per zone: ``zone``, ``status`` (``current``: its zone now; ``allowed``: no
            rule broken that was not already; ``breach``: accepted, but it breaks a rule the
            method only checks, listed in ``message``; ``refused``: the library refuses it, with
            its message) and ``message``.
        """
        method = self._current.method
        now = self._current_zone(str(code), level)
        before = set(map(tuple, self.broken()[["region", "departement", "constraint"]].values))
        rows = []
        for zone in method.all_zones:
            if zone == now:
                rows.append({"zone": zone, "status": "current", "message": ""})
                continue
            saved = self._choices
            try:
                self._add(
                    {
                        "code": str(code),
                        "level": level,
                        "zone": zone,
                        "commune": commune,
                        "population": population,
                    }
                )
                zoning = self._classify(self._choices)
            except ValueError as exc:
                rows.append({"zone": zone, "status": "refused", "message": str(exc)})
                continue
            finally:
                self._choices = saved
            broken = zoning.broken
            keys = list(
                zip(broken["region"], broken["departement"], broken["constraint"], strict=True)
            )
            new = broken[[k not in before for k in keys]]
            if len(new):
                message = "; ".join(
                    f"{r.constraint} ({r.kind}): {r.used:,.0f} for a limit of {r.limit:,.0f}"
                    + (f" in département {r.departement}" if r.departement else "")
                    for r in new.itertuples()
                )
                rows.append({"zone": zone, "status": "breach", "message": message})
            else:
                rows.append({"zone": zone, "status": "allowed", "message": ""})
        return pd.DataFrame(rows, columns=["zone", "status", "message"])

    def _current_zone(self, code: str, level: str) -> str | None:
        z = self._current
        if level == "territory" and code in z.territories.index:
            return str(z.territories.at[code, "zone"])
        if level == "commune" and code in z.communes.index:
            return str(z.communes.at[code, "zone"])
        if level == "qpv" and len(z.qpv) and code in set(z.qpv["code"]):
            return str(z.qpv.loc[z.qpv["code"] == code, "zone"].iloc[0])
        return None

    def withdraw(self, code: str, *, level: str = "territory") -> Zoning:
        """Withdraw the choice on ``code`` (back to the method's zone)."""
        keep = ~((self._choices["code"] == str(code)) & (self._choices["level"] == level))
        if keep.all():
            msg = f"no choice on {level} {code} to withdraw."
            raise ParameterError(msg)
        before = self._choices
        self._set(self._choices[keep].reset_index(drop=True))
        self._step(before, {"action": "withdraw", "code": str(code), "level": level})
        return self._current

    # --- what the application shows --------------------------------------------------------------

    def gauges(self) -> pd.DataFrame:
        """Per région and zone: population, share, cap, room left, floor, margin used.

        ``room`` is what the zone's binding limit still allows: its own cap with separate caps,
        the cap of the zone and those before it together with cumulative caps (2025: unused ZIP
        room passes to ZAC). ``floor`` is the population the zone cannot go below: the national
        selection in the first zone (2017 zone A), and the residual zone's cap.
        """
        z = self._current
        report = z.report[z.report["departement"] == "total"].set_index("region")
        terr = z.territories
        regional = z.checks[(z.checks["departement"] == "") & (z.checks["kind"] == "cap")]
        limits = regional.set_index(["region", "constraint"])
        rows = []
        for region, total in report.iterrows():
            mand = terr[(terr["selection"] == "mandatory") & (terr["region"] == region)]
            for k, zone in enumerate(z.zones):
                cap = total.get(f"{zone}_cap", np.inf)
                floor = float(mand["population"].sum()) if k == 0 else 0.0
                if k == len(z.method.zones) - 1 and np.isfinite(cap):
                    floor = float(cap)
                    cap = np.inf
                rows.append(
                    {
                        "region": region,
                        "zone": zone,
                        "population": total[zone],
                        "share": total[f"{zone}_share"],
                        "cap": cap,
                        "room": self._room(limits, region, k, cap, total[zone]),
                        "floor": floor,
                        "margin": total["margin"] if zone == z.method.margin_zone else 0.0,
                        "margin_used": total["margin_used"]
                        if zone == z.method.margin_zone
                        else 0.0,
                    }
                )
        return pd.DataFrame(rows)

    def _room(self, limits: pd.DataFrame, region: object, k: int, cap: float, used: float) -> float:
        zones = self._current.method.zones
        if k >= len(zones) - 1:
            return np.inf
        for name in ("+".join(zones[: k + 1]), zones[k]):
            if (region, name) in limits.index:
                row = limits.loc[(region, name)]
                return float(row["limit"] - row["used"])
        return cap - used if np.isfinite(cap) else np.inf

    def departements(self) -> pd.DataFrame:
        """Per département of attribution: population and inhabitants per zone, against the
        département caps when given, and before the choices."""
        z = self._current
        now = z.report[z.report["departement"] != "total"].set_index(["region", "departement"])
        base = self.proposal.report
        base = base[base["departement"] != "total"].set_index(["region", "departement"])
        out = now[["population", *z.zones]].copy()
        for zone in z.zones:
            out[f"{zone}_proposal"] = base[zone].reindex(out.index).fillna(0.0)
            if f"{zone}_cap" in now.columns:
                out[f"{zone}_cap"] = now[f"{zone}_cap"]
        return out

    def broken(self) -> pd.DataFrame:
        """Which choices break which rule (the failed checks)."""
        return self._current.broken[
            ["region", "departement", "constraint", "kind", "limit", "used", "excess", "broken_by"]
        ].reset_index(drop=True)

    # --- saving and replaying ------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the choices as CSV (atomically)."""
        return write_csv(self._choices, path)

    @classmethod
    def replay(
        cls, path: str | os.PathLike[str] | pd.DataFrame, apl: pd.Series, **kwargs: Any
    ) -> ZoningSession:
        """A new session on (possibly new) data with the choices of a saved table."""
        choices = path if isinstance(path, pd.DataFrame) else read_choices(path)
        return cls(apl, choices=choices, **kwargs)

    def diff(self, other: ZoningSession | pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
        """The choices that differ from another session's or a saved table's."""
        if isinstance(other, ZoningSession):
            table = other.choices
        elif isinstance(other, pd.DataFrame):
            table = other
        else:
            table = read_choices(other)
        return diff_choices(table, self._choices)

    def __repr__(self) -> str:
        broken = len(self._current.broken)
        return (
            f"ZoningSession(method={self._current.method.name!r}, choices={len(self._choices)}, "
            f"broken checks={broken})"
        )
