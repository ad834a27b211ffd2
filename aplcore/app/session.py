"""The app's session: the inputs, the settings and a :class:`~aplcore.zoning.ZoningSession`,
kept in a folder and saved atomically after every accepted step.

A session folder holds:

``inputs.parquet``
    per commune: ``apl``, ``population`` (and ``standardised`` when known), ``territory``,
    ``departement``, ``region`` (the data the zoning is computed on);
``settings.json``
    the method and its parameters as the form gave them, the agency's région, a label;
``choices.csv``
    the choices (:meth:`ZoningSession.save`), readable by ``aplcore classify --choices``;
``history.csv``
    the steps taken (replayed on restart, so that undo works after a restart too);
``exports/``
    the files written by the export button, in sub-folders named by the user.

Every rule stays in :mod:`aplcore.zoning`: this module only holds the state, validates what the
browser sends into the types the library takes, and writes files.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputFormatError, ParameterError, describe_values
from ..io import write_csv as write_table
from ..io.writers import atomic_write
from ..workflows import ZONING_NAMES, bundled_territories
from ..zoning import METHOD_PRESETS, ZoningSession, format_annex, get_method, read_choices
from ..zoning.report import write_csv

logger = logging.getLogger(__name__)

__all__ = ["AppSession", "SessionSettings", "export_outputs", "safe_folder_name"]

#: Columns of ``inputs.parquet``.
INPUT_COLUMNS = ("apl", "population", "territory", "departement", "region")

#: Territories of the bundled communes the settings may choose instead of the inputs' own.
BUNDLED_TERRITORIES = ("epci", "departement", "commune")

#: Files an export writes, named as ``aplcore classify`` names them.
EXPORT_FILES = {
    "annex": "decree_annex.csv",
    "annex_text": "decree_annex.txt",
    "table": "zoning_table_by_departement.csv",
    "national": "zonage_communes.csv",
    "map": "zoning_map.png",
}

_FOLDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class SessionSettings:
    """What the settings form sets: the method and its parameters, checked by the library.

    Attributes
    ----------
    method
        A preset name of :data:`aplcore.zoning.METHOD_PRESETS`.
    thresholds
        APL thresholds (None: the preset's).
    caps
        Zone → cap, in ``cap_unit`` (empty: no caps).
    cap_unit
        ``"share"`` (of the région's population) or ``"inhabitants"``.
    margin
        Margin of the margin zone, inhabitants (None: none).
    agency
        Région of the agency (the majority-région rule; None: no check).
    territories
        ``"epci"``, ``"departement"`` or ``"commune"``: the territories of the bundled communes
        instead of the inputs' own (None).
    label
        A name for the session, shown in the page title.
    """

    method: str = "zonage_2025"
    thresholds: tuple[float, ...] | None = None
    caps: dict[str, float] = field(default_factory=dict)
    cap_unit: str = "share"
    margin: float | None = None
    agency: str | None = None
    territories: str | None = None
    label: str = ""

    def options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~aplcore.zoning.ZoningSession` (and classify_zones)."""
        out: dict[str, Any] = {
            "method": get_method(self.method, thresholds=self.thresholds),
            "agency": self.agency,
        }
        if self.caps:
            out["caps"] = dict(self.caps)
            out["cap_unit"] = self.cap_unit
        if self.margin:
            out["margin"] = self.margin
        return out

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "method": self.method,
            "thresholds": list(self.thresholds) if self.thresholds is not None else None,
            "caps": dict(self.caps),
            "cap_unit": self.cap_unit,
            "margin": self.margin,
            "agency": self.agency,
            "territories": self.territories,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: Any, *, where: str = "the settings") -> SessionSettings:
        """Settings from JSON values (a saved ``settings.json`` or the form), every field
        checked: the type here, the values by the library when the session is built."""
        if not isinstance(data, dict):
            msg = f"{where} must be a JSON object, found {type(data).__name__}."
            raise InputFormatError(msg)
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            msg = f"{where}: unknown fields {describe_values(unknown)}."
            raise InputFormatError(msg)
        method = data.get("method", "zonage_2025")
        if method not in METHOD_PRESETS:
            msg = (
                f"{where}: unknown zoning method {method!r}; expected one of "
                f"{describe_values(sorted(METHOD_PRESETS), limit=20)}."
            )
            raise ParameterError(msg)
        thresholds = data.get("thresholds")
        if thresholds in (None, "", []):
            thresholds = None
        else:
            thresholds = tuple(_number(v, f"{where}: threshold") for v in _as_list(thresholds))
        caps_in = data.get("caps") or {}
        if not isinstance(caps_in, dict):
            msg = f"{where}: caps must map a zone to a number, found {caps_in!r}."
            raise InputFormatError(msg)
        caps = {
            str(zone): _number(value, f"{where}: cap of {zone}")
            for zone, value in caps_in.items()
            if value not in (None, "")
        }
        cap_unit = data.get("cap_unit", "share")
        if cap_unit not in ("share", "inhabitants"):
            msg = f"{where}: cap_unit must be 'share' or 'inhabitants', found {cap_unit!r}."
            raise ParameterError(msg)
        margin = data.get("margin")
        margin = None if margin in (None, "") else _number(margin, f"{where}: margin")
        agency = data.get("agency") or None
        territories = data.get("territories") or None
        if territories not in (None, *BUNDLED_TERRITORIES):
            msg = (
                f"{where}: territories must be one of {describe_values(BUNDLED_TERRITORIES)} "
                f"(the bundled communes'), or empty for the inputs' own; found {territories!r}."
            )
            raise ParameterError(msg)
        label = str(data.get("label") or "")[:200]
        return cls(
            method=method,
            thresholds=thresholds,
            caps=caps,
            cap_unit=cap_unit,
            margin=margin,
            agency=None if agency is None else str(agency),
            territories=territories,
            label=label,
        )


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [v for v in re.split(r"[\s;]+", value.strip()) if v]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _number(value: Any, what: str) -> float:
    """A finite non-negative number from JSON (French decimal commas accepted)."""
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            number = math.nan
    if not math.isfinite(number) or number < 0:
        msg = f"{what} must be a non-negative number, found {value!r}."
        raise InvalidNumberError(msg)
    return number


class InvalidNumberError(ParameterError):
    """A form field that should hold a number does not."""


def safe_folder_name(name: str, root: Path) -> Path:
    """``root / name`` for a user-given folder name that stays inside ``root``.

    Raises
    ------
    ParameterError
        The name has a path separator, starts with a dot, is too long or resolves outside.
    """
    if not isinstance(name, str) or not _FOLDER_NAME.match(name):
        msg = (
            f"an export name is 1 to 64 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit (no folder separators); found {name!r}."
        )
        raise ParameterError(msg)
    target = (root / name).resolve()
    if target.parent != root.resolve():
        msg = f"the export name {name!r} leads outside the export folder."
        raise ParameterError(msg)
    return target


def check_date(text: str | None) -> str | None:
    """A decree date written DD/MM/YYYY, or None."""
    if text in (None, ""):
        return None
    try:
        datetime.datetime.strptime(str(text), "%d/%m/%Y")
    except ValueError:
        msg = f"the date of the arrêté is written DD/MM/YYYY (e.g. 05/01/2026), found {text!r}."
        raise ParameterError(msg) from None
    return str(text)


def export_outputs(
    session: ZoningSession,
    folder: Path,
    *,
    method: str,
    date_arrete: str | None = None,
    dpi: float = 200.0,
    maps: bool = True,
) -> dict[str, Path]:
    """Write the decree annex (CSV and text), the published table, the national file and the
    map of the session's zoning into ``folder``, each file as ``aplcore classify`` writes it.

    Returns
    -------
    dict
        Kind → path written.
    """
    zoning = session.zoning
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / name for kind, name in EXPORT_FILES.items()}
    annex = zoning.decree_annex()
    write_table(annex.set_index("zone"), paths["annex"], overwrite=True)
    text = format_annex(annex, title=f"Annexe : zones ({method})")
    atomic_write(paths["annex_text"], lambda s: s.write(text.encode("utf-8")), overwrite=True)
    table = _finite_or_empty(zoning.published_table()).reset_index().set_index("region")
    write_table(table, paths["table"], overwrite=True)
    national = zoning.to_national_schema(date_arrete=date_arrete).set_index("com_code")
    write_table(national, paths["national"], overwrite=True)
    if maps:
        zoning.plot_map(
            path=paths["map"],
            title=ZONING_NAMES.get(method, f"Zoning ({method} method)"),
            source=f"zoning: aplcore classify, method {method}",
            dpi=dpi,
        )
    else:
        del paths["map"]
    return paths


def _finite_or_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """No cap is an empty cell in a CSV, not ``inf``."""
    numeric = frame.select_dtypes("number").columns
    out = frame.copy()
    out[numeric] = out[numeric].replace([np.inf, -np.inf], np.nan)
    return out


class StaleVersionError(ParameterError):
    """A step sent from a page that did not see the session's last change."""


class AppSession:
    """A zoning session kept in a folder: inputs, settings, choices and history.

    Parameters
    ----------
    folder
        The session folder (created when missing).
    inputs
        Per commune (index: code): ``apl``, ``population``, ``territory``, ``departement``,
        ``region``, optionally ``standardised``. None: read ``inputs.parquet`` of the folder.
    settings
        The method and its parameters; None: read ``settings.json`` of the folder.
    stability
        Optional per territory: ``p_<zone>`` probabilities from a scenario run
        (``territories.csv`` of ``aplcore scenarios report``).
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        inputs: pd.DataFrame | None = None,
        settings: SessionSettings | None = None,
        *,
        stability: pd.DataFrame | None = None,
    ) -> None:
        self.folder = Path(folder)
        if inputs is None and not (self.folder / "inputs.parquet").is_file():
            msg = (
                f"{self.folder} is not a session folder of the app (no inputs.parquet): start "
                "with --demo or --apl FILE, or give the folder the app wrote."
            )
            raise InputFormatError(msg)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        #: Changes with each server start, so that a page from before a restart is stale.
        self.boot = secrets.token_hex(4)
        if inputs is None:
            inputs = self._read_inputs()
        else:
            inputs = _check_inputs(inputs)
            path = self.folder / "inputs.parquet"
            atomic_write(path, lambda s: inputs.to_parquet(s), overwrite=True)
        self.inputs = inputs
        if settings is None:
            settings = self._read_settings()
        self.stability = stability
        self.settings = settings
        self.session = self.build(settings, self._saved_history())
        self._write_settings()
        self.save()

    # --- reading and writing the folder ---------------------------------------------------------

    def _read_inputs(self) -> pd.DataFrame:
        return _check_inputs(pd.read_parquet(self.folder / "inputs.parquet"))

    def _read_settings(self) -> SessionSettings:
        path = self.folder / "settings.json"
        if not path.exists():
            return SessionSettings()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            msg = f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}."
            raise InputFormatError(msg) from None
        return SessionSettings.from_json(data, where=str(path))

    def _write_settings(self) -> None:
        text = json.dumps(self.settings.to_json(), indent=2, ensure_ascii=False) + "\n"
        atomic_write(
            self.folder / "settings.json", lambda s: s.write(text.encode("utf-8")), overwrite=True
        )

    def _saved_history(self) -> pd.DataFrame | None:
        path = self.folder / "history.csv"
        if path.exists():
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        choices = self.folder / "choices.csv"
        if choices.exists():  # a folder written by hand: its choices, one step each
            frame = read_choices(choices)
            frame.insert(0, "action", "choose")
            return frame
        return None

    def save(self) -> None:
        """Write the choices and the history (each file atomically)."""
        self.session.save(self.folder / "choices.csv")
        write_csv(self.session.history(), self.folder / "history.csv")

    def build(self, settings: SessionSettings, history: pd.DataFrame | None) -> ZoningSession:
        """A session on the inputs with ``settings``, the steps of ``history`` replayed (a
        table as :meth:`ZoningSession.history` returns it)."""
        inputs = self.inputs
        extra = {}
        if "standardised" in inputs.columns:
            extra["standardised"] = inputs["standardised"]
        options = settings.options()
        session = ZoningSession(
            inputs["apl"],
            population=inputs["population"],
            territory=self.territories(settings),
            **extra,
            **options,
        )
        for _, step in (history if history is not None else pd.DataFrame()).iterrows():
            level = step.get("level") or "territory"
            if step["action"] == "withdraw":
                session.withdraw(step["code"], level=level)
                continue
            population = step.get("population")
            session.choose(
                step["code"],
                step["zone"],
                level=level,
                reason=step.get("reason", ""),
                commune=step.get("commune") or None,
                population=float(population) if population not in (None, "") else None,
            )
        return session

    # --- the steps --------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """The token a page sends back with a step (server start and session version)."""
        return f"{self.boot}-{self.session.version}"

    def check_version(self, seen: Any) -> None:
        """Refuse a step from a page that missed a change (another tab, or a restart)."""
        if seen != self.version:
            msg = (
                "the session was changed in another tab or window since this page was loaded "
                f"(version {seen!r}, now {self.version!r}); the page reloads to show it."
            )
            raise StaleVersionError(msg)

    def configure(self, settings: SessionSettings) -> None:
        """New settings: a new session with the choices replayed (refused if they no longer
        apply; the session is then unchanged)."""
        session = self.build(settings, self.session.history())
        self.settings, self.session = settings, session
        self._write_settings()
        self.save()

    def territories(self, settings: SessionSettings | None = None) -> pd.DataFrame:
        """Commune → ``territory``, ``departement``, ``region`` under ``settings`` (the
        current ones by default)."""
        kind = (settings or self.settings).territories
        if kind is None:
            return self.inputs[["territory", "departement", "region"]]
        table = bundled_territories(self.inputs.index, territory=kind)
        # communes unknown to the bundled table keep the inputs' own
        return table.fillna(self.inputs[["territory", "departement", "region"]])

    def stability_of(self, territory: str) -> dict[str, float]:
        """Probability of each zone for a territory, from the scenario run (empty: none)."""
        if self.stability is None or territory not in self.stability.index:
            return {}
        row = self.stability.loc[territory]
        return {
            c.removeprefix("p_"): float(row[c])
            for c in self.stability.columns
            if c.startswith("p_") and c != "p_same"
        }


def _check_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        msg = (
            f"the session's inputs need columns {describe_values(INPUT_COLUMNS)}; missing "
            f"{describe_values(missing)}."
        )
        raise InputFormatError(msg)
    keep = [*INPUT_COLUMNS, *(["standardised"] if "standardised" in frame.columns else [])]
    out = frame[keep].copy()
    out.index = pd.Index(out.index.astype(str), name="code")
    for column in ("territory", "departement", "region"):
        out[column] = out[column].astype(str)
    return out
