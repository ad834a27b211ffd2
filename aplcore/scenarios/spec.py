"""Scenario runs described in a TOML file (``aplcore scenarios run spec.toml``).

Schema (paths are relative to the spec file; every table but ``[baseline]`` is optional)::

    [baseline]
    times = "od.parquet"          # O-D table (origin, destination, minutes) or a saved matrix
                                  # (one of a study area, 'aplcore matrix --ring-minutes',
                                  # names its core: the run reports and zones the core only)
    population = "pop.csv"        # code + population, or population by age band (INSEE layouts)
    practitioners = "gps.csv"     # practitioner_id, commune, activity, age[, kind, new_install]
    supply = "supply.csv"         # or: code + supply (counted), instead of practitioners
    weights = "drees_gp_2023"     # age-band weights of the standardisation
    decay = "drees_gp"            # a name, or a family: "exponential:0.1,30", "linear:30",
                                  # "step:10,15,20:1,0.67,0.33" (as aplcore compute --decay)
    closed = "left"               # band edges: "left" ([10, 15)), "right" ((10, 15]) or
                                  # "literal" (< 10, 10–15, 15–20, the official sheet's words)
    method = "e2sfca"
    max_age = 65                  # 0: practitioners of any age
    intra_minutes = 0.0           # time of i -> i pairs missing from the O-D table

    [zoning]
    territories = "tvs.csv"       # code, territory[, departement, region]
    method = "zonage_2025"
    thresholds = [2.71, 3.98]
    caps = { ZIP = 0.713, ZAC = 0.213 }
    cap_unit = "share"            # or "inhabitants"
    margin = 2346

    [monte_carlo]
    draws = 1000
    seed = 1
    activity_cv = 0.1             # year-to-year variation of each practitioner's activity
    new_installations = 20        # expected new installations per draw

    [grid]                        # cartesian product of the axes given
    closed = ["left", "right"]
    max_age = [60, 62, 65]
    weights = ["drees_gp_2022", "drees_gp_2023"]
    decay = ["drees_gp", "exponential:0.05,30", "exponential:0.1,30"]   # a parameter grid

    [[scenario]]                  # named scenarios, any number
    name = "retirements in 5 years"
    retire_age = 67               # with years: practitioners older than this in `years` retire
    years = 5
    scale_activity = 0.95
    add_practitioners = { "45234" = 2 }
    add_supply = { "45234" = 5400.0 }
    scale_supply = 1.1
    project_population = { "80-84" = 1.2, "85-89" = 1.3 }
    weights = "drees_gp_2022"
    closed = "right"
    decay = "drees_gp"
    max_age = 62
    thresholds = [2.5, 4.0]

    [run]
    block_size = 64
    quantiles = [0.05, 0.5, 0.95]
    threshold = 2.5               # probability of an APL under this, per commune
    store = "parquet"             # or "npy" (fastest), "zarr" (through xarray; needs xarray, zarr)

The scenarios of a run are the Monte Carlo draws, then the grid points, then the named scenarios.
Every mistake is reported as ``spec.toml: [table] key: what was expected, what was found``.
"""

from __future__ import annotations

import itertools
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..codes import CODE_PATTERN
from ..decay import CONVENTIONS, get_decay
from ..decay_text import decay_from_text
from ..demand import AGE_BANDS
from ..errors import AplcoreError, InputFormatError, ParameterError, describe_values
from ..io import code_indexed, read_population_by_age, read_practitioners
from ..io import read_code_frame as read_code_table
from ..runinfo import RUN_FILE, write_run
from ..tables import read_frame
from ..traveltimes.store import read_travel_times
from .baseline import Baseline, ZoningSpec
from .model import (
    AddPractitioners,
    AddSupply,
    AgeLimit,
    Change,
    DecayChange,
    ProjectPopulation,
    RetireAbove,
    ScaleActivity,
    ScaleSupply,
    Scenario,
    WeightsVintage,
    ZoningChange,
    grid,
    monte_carlo,
)
from .size import check_run_size

__all__ = ["RunSpec", "load_spec"]

_KEYS: dict[str, set[str]] = {
    "baseline": {
        "times", "population", "practitioners", "supply", "weights", "decay", "closed",
        "method", "max_age", "intra_minutes",
    },
    "zoning": {"territories", "method", "thresholds", "caps", "cap_unit", "margin"},
    "monte_carlo": {"draws", "seed", "activity_cv", "new_installations"},
    "grid": {"closed", "max_age", "weights", "decay"},
    "scenario": {
        "name", "retire_age", "years", "scale_activity", "add_practitioners", "add_supply",
        "scale_supply", "project_population", "weights", "closed", "decay", "max_age",
        "thresholds",
    },
    "run": {"block_size", "quantiles", "threshold", "store"},
}  # fmt: skip


@dataclass(frozen=True)
class _Rule:
    """The range and unit of a spec value (bounds included)."""

    low: float
    high: float
    unit: str
    whole: bool = False
    hint: str = ""


#: (table, key) -> what the value must be, checked before any work starts.
RULES: dict[tuple[str, str], _Rule] = {
    ("baseline", "intra_minutes"): _Rule(0, 60, "minutes"),
    ("baseline", "max_age"): _Rule(0, 100, "years (0: any age)", whole=True),
    ("monte_carlo", "activity_cv"): _Rule(
        0, 1, "coefficient of variation (0.1 for 10 %)", hint="percentages: divide by 100"
    ),
    ("monte_carlo", "new_installations"): _Rule(0, 100_000, "practitioners per draw"),
    ("scenario", "retire_age"): _Rule(40, 100, "years"),
    ("scenario", "years"): _Rule(0, 50, "years", whole=True),
    ("scenario", "scale_activity"): _Rule(
        0, 10, "factor (0.95 for -5 %)", hint="percentages: 95 % is 0.95"
    ),
    ("scenario", "scale_supply"): _Rule(
        0, 10, "factor (1.1 for +10 %)", hint="percentages: 110 % is 1.1"
    ),
    ("scenario", "max_age"): _Rule(0, 100, "years (0: any age)", whole=True),
    ("scenario", "add_practitioners"): _Rule(
        1,
        10_000,
        "practitioners per commune (a positive whole number)",
        whole=True,
        hint="to remove practitioners use retire_age, or add_supply with a negative amount",
    ),
    ("scenario", "add_supply"): _Rule(-1e7, 1e7, "counted consultations per year"),
    ("scenario", "project_population"): _Rule(0, 10, "factor per age band (1.2 for +20 %)"),
    ("zoning", "margin"): _Rule(0, math.inf, "inhabitants (or a share with cap_unit='share')"),
    ("zoning", "caps"): _Rule(0, math.inf, "inhabitants or shares (cap_unit)"),
    ("run", "threshold"): _Rule(0, 20, "APL (consultations per inhabitant)"),
    ("run", "block_size"): _Rule(1, 4096, "scenarios per batched product", whole=True),
}


def _rule_for(table: str, key: str) -> _Rule | None:
    return RULES.get(("scenario" if table.startswith("scenario") else table, key))


@dataclass
class RunSpec:
    """A validated spec: the baseline inputs (paths and options), the scenarios, run options."""

    path: Path
    baseline: dict[str, Any]
    zoning: dict[str, Any] | None
    scenarios: list[Scenario]
    block_size: int = 64
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
    threshold: float | None = 2.5
    store: str = "parquet"
    inputs: list[Path] = field(default_factory=list)

    def write_record(self, folder: Path, run: Any, **options: Any) -> Path:
        """``run.json`` in the run folder ``folder``: the baseline's parameters, the inputs,
        the run ``options`` given (``scheduler``, ``maps``) and ``argv``, the command line."""
        b = self.baseline
        argv = options.pop("argv", None)
        decay = get_decay(b["decay"], closed=b["closed"])
        zoning = dict(self.zoning) if self.zoning is not None else None
        if zoning is not None:
            zoning.pop("territories", None)
        settings = {
            "decay": decay.name, "decay_kind": decay.kind, "decay_params": list(decay.params),
            "closed": decay.closed, "method": b["method"], "max_age": b["max_age"] or None,
            "weights": b["weights"], "intra_minutes": b["intra_minutes"], "zoning": zoning,
            "scenarios": len(run.names), "block_size": self.block_size,
            "quantiles": list(self.quantiles), "threshold": self.threshold, "store": self.store,
            **options,
        }  # fmt: skip
        files = ("times", "population", "practitioners", "supply")
        data = {"spec": self.path, **{k: b[k] for k in files if b.get(k) is not None}}
        if self.zoning is not None:
            data["territories"] = self.zoning["territories"]
        outputs = [p for p in Path(folder).iterdir() if p.name != RUN_FILE]
        return write_run(folder, "scenarios run", settings=settings, outputs=outputs, data=data,
                         argv=argv)  # fmt: skip

    def build_baseline(self) -> Any:
        """Read the input files and build the :class:`~aplcore.scenarios.Baseline`."""
        b = self.baseline
        tt = read_travel_times(b["times"], intra_minutes=b["intra_minutes"])
        demand_kwargs = _read_population(b["population"])
        supply_kwargs: dict[str, Any] = {}
        if "practitioners" in b:
            supply_kwargs["practitioners"] = read_practitioners(b["practitioners"])
        else:
            table = read_code_table(b["supply"], what="the supply table")
            supply_kwargs["supply"] = _column(table, "supply", b["supply"])
        zoning = None
        if self.zoning is not None:
            z = self.zoning
            territories = read_code_table(z["territories"], what="the territory table")
            if "territory" not in territories.columns:
                msg = (
                    f"{z['territories'].name}: the territory table needs a 'territory' column; "
                    f"found {list(territories.columns)}."
                )
                raise InputFormatError(msg)
            zoning = ZoningSpec(
                territories,
                method=z.get("method", "zonage_2025"),
                thresholds=tuple(z["thresholds"]) if "thresholds" in z else None,
                caps=z.get("caps"),
                margin=z.get("margin"),
                cap_unit=z.get("cap_unit", "inhabitants"),
            )
        # a saved matrix of a study area (aplcore matrix --ring-minutes) names its core: the
        # ring serves the computation, the core is reported and zoned
        area = tt.metadata.get("study_area") if tt.metadata else None
        return Baseline(
            tt,
            **demand_kwargs,
            **supply_kwargs,
            weights=b["weights"],
            decay=b["decay"],
            closed=b.get("closed"),
            method=b["method"],
            max_age=b["max_age"] or None,
            zoning=zoning,
            core=area.get("core") if isinstance(area, Mapping) else None,
        )


def _read_population(path: Path) -> dict[str, Any]:
    frame = read_frame(path, what="the population table")
    if "population" in frame.columns and "age" not in frame.columns:
        table = code_indexed(frame, what="the population table", path=path)
        population = _column(table, "population", path)
        return {"demand": population, "population": population}
    return {"population_by_age": read_population_by_age(path)}


def _column(table: Any, column: str, path: Path) -> Any:
    import pandas as pd

    if column not in table.columns:
        msg = f"{path.name}: expected a {column!r} column, found {list(table.columns)}."
        raise InputFormatError(msg)
    values = pd.to_numeric(table[column], errors="coerce")
    if values.isna().any():
        bad = table.index[values.isna().to_numpy()][:5].tolist()
        msg = f"{path.name}: {column} must be numbers; not for the communes {bad}."
        raise InputFormatError(msg)
    return values.astype(float)


class _Checker:
    """Type checks that name the file, table and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> None:
        msg = f"{self.path.name}: {where}: {what}"
        raise ParameterError(msg)

    def table(self, data: Mapping[str, Any], name: str, *, required: bool = False) -> dict:
        value = data.get(name)
        if value is None:
            if required:
                self.fail(f"[{name}]", "this table is required (see the schema in the docs).")
            return {}
        if not isinstance(value, Mapping):
            self.fail(f"[{name}]", f"expected a table, found {type(value).__name__}.")
        unknown = sorted(set(value) - _KEYS[name])
        if unknown:
            self.fail(f"[{name}]", f"unknown keys {unknown}; allowed: {sorted(_KEYS[name])}.")
        return dict(value)

    def number(self, table: str, data: Mapping, key: str, *, integer: bool = False,
               positive: bool = False, default: Any = None) -> Any:  # fmt: skip
        if key not in data:
            return default
        value = data[key]
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or (positive and value <= 0):
            expected = "a positive " if positive else "a "
            expected += "whole number" if integer else "number"
            self.fail(f"[{table}] {key}", f"expected {expected}, found {value!r}.")
        self.in_range(table, key, value)
        return value

    def in_range(self, table: str, key: str, value: float, *, label: str = "") -> None:
        """Check ``value`` against the rule of ``(table, key)`` (its range, unit, wholeness)."""
        rule = _rule_for(table, key)
        if rule is None:
            return
        number = float(value)
        whole = not rule.whole or (math.isfinite(number) and number == int(number))
        if rule.low <= number <= rule.high and whole:
            return
        kind = "a whole number" if rule.whole else "a number"
        high = "" if math.isinf(rule.high) else f" to {rule.high:g}"
        hint = f"; {rule.hint}" if rule.hint else ""
        self.fail(
            f"[{table}] {key}{label}",
            f"expected {kind} from {rule.low:g}{high} ({rule.unit}), found {value!r}{hint}.",
        )

    def text(self, table: str, data: Mapping, key: str, *, choices: tuple[str, ...] = (),
             default: Any = None) -> Any:  # fmt: skip
        if key not in data:
            return default
        value = data[key]
        if not isinstance(value, str) or (choices and value not in choices):
            expected = f"one of {list(choices)}" if choices else "a string"
            self.fail(f"[{table}] {key}", f"expected {expected}, found {value!r}.")
        return value

    def file(self, table: str, data: Mapping, key: str) -> Path | None:
        value = self.text(table, data, key)
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.path.parent / path
        if not path.is_file():
            self.fail(f"[{table}] {key}", f"file not found: {path}.")
        return path

    def numbers(self, table: str, data: Mapping, key: str) -> tuple[float, ...] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            self.fail(f"[{table}] {key}", f"expected a list of numbers, found {value!r}.")
        if key == "thresholds" and (
            not all(0 < v <= 20 for v in value) or any(b <= a for a, b in itertools.pairwise(value))
        ):
            self.fail(
                f"[{table}] {key}",
                f"expected increasing APL thresholds in (0, 20] (consultations per inhabitant, "
                f"e.g. [2.71, 3.98]), found {value!r}.",
            )
        return tuple(float(v) for v in value)

    def mapping(self, table: str, data: Mapping, key: str) -> dict[str, float] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, Mapping) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
        ):
            self.fail(f"[{table}] {key}", f"expected a table of names to numbers, found {value!r}.")
        for name, number in value.items():
            self.in_range(table, key, number, label=f" {name!r}")
        if key in ("add_practitioners", "add_supply"):
            bad = [k for k in value if not CODE_PATTERN.fullmatch(str(k))]
            if bad:
                self.fail(
                    f"[{table}] {key}",
                    f"keys are commune codes of 5 characters ('45234', '2A004'), found "
                    f"{describe_values(bad)}.",
                )
        if key == "project_population":
            bad = [k for k in value if k not in AGE_BANDS]
            if bad:
                self.fail(
                    f"[{table}] {key}",
                    f"keys are age bands ({', '.join(AGE_BANDS)}), found {describe_values(bad)}.",
                )
        return {str(k): float(v) for k, v in value.items()}


def load_spec(path: str | os.PathLike[str]) -> RunSpec:
    """Read and validate a scenario spec (TOML, see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        msg = f"scenario spec not found: {path}."
        raise InputFormatError(msg)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path.name}: not a valid TOML file: {exc}."
        raise InputFormatError(msg) from exc
    c = _Checker(path)
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        c.fail("top level", f"unknown tables {unknown}; allowed: {sorted(_KEYS)}.")
    baseline = _baseline(c, c.table(data, "baseline", required=True))
    zoning = _zoning(c, data)
    scenarios = _scenarios(c, data)
    run = c.table(data, "run")
    quantiles = c.numbers("run", run, "quantiles") or (0.05, 0.5, 0.95)
    if not all(0 <= q <= 1 for q in quantiles):
        c.fail("[run] quantiles", f"quantiles lie in [0, 1], found {list(quantiles)}.")
    inputs = [p for p in (baseline.get(k) for k in ("times", "population", "practitioners",
              "supply")) if p is not None]  # fmt: skip
    if zoning is not None:
        inputs.append(zoning["territories"])
    return RunSpec(
        path=path,
        baseline=baseline,
        zoning=zoning,
        scenarios=scenarios,
        block_size=c.number("run", run, "block_size", integer=True, positive=True, default=64),
        quantiles=tuple(quantiles),
        threshold=c.number("run", run, "threshold", default=2.5),
        store=c.text("run", run, "store", choices=("parquet", "npy", "zarr"), default="parquet"),
        inputs=inputs,
    )


def _baseline(c: _Checker, b: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("times", "population"):
        out[key] = c.file("baseline", b, key)
        if out[key] is None:
            c.fail(f"[baseline] {key}", "required: the path of the file.")
    practitioners = c.file("baseline", b, "practitioners")
    supply = c.file("baseline", b, "supply")
    if (practitioners is None) == (supply is None):
        c.fail("[baseline]", "give either practitioners = FILE or supply = FILE (one of them).")
    if practitioners is not None:
        out["practitioners"] = practitioners
    else:
        out["supply"] = supply
    out["weights"] = c.text("baseline", b, "weights", default="drees_gp_2023")
    out["decay"] = _decay(c, "[baseline] decay", c.text("baseline", b, "decay", default="drees_gp"))
    out["closed"] = c.text("baseline", b, "closed", choices=tuple(CONVENTIONS))
    out["method"] = c.text("baseline", b, "method", default="e2sfca")
    out["max_age"] = c.number("baseline", b, "max_age", integer=True, default=65)
    out["intra_minutes"] = c.number("baseline", b, "intra_minutes", default=0.0)
    return out


def _zoning(c: _Checker, data: Mapping) -> dict[str, Any] | None:
    z = c.table(data, "zoning")
    if not z:
        return None
    out: dict[str, Any] = {"territories": c.file("zoning", z, "territories")}
    if out["territories"] is None:
        c.fail("[zoning] territories", "required: a commune -> territory table.")
    out["method"] = c.text("zoning", z, "method", default="zonage_2025")
    if "thresholds" in z:
        out["thresholds"] = c.numbers("zoning", z, "thresholds")
    if "caps" in z:
        out["caps"] = c.mapping("zoning", z, "caps")
    out["cap_unit"] = c.text(
        "zoning", z, "cap_unit", choices=("inhabitants", "share"), default="inhabitants"
    )
    if "margin" in z:
        out["margin"] = c.number("zoning", z, "margin")
    return out


def _scenarios(c: _Checker, data: Mapping) -> list[Scenario]:
    scenarios: list[Scenario] = []
    mc = c.table(data, "monte_carlo")
    if mc:
        draws = c.number("monte_carlo", mc, "draws", integer=True, positive=True)
        seed = c.number("monte_carlo", mc, "seed", integer=True)
        if draws is None or seed is None or seed < 0:
            c.fail("[monte_carlo]", "draws (a positive whole number) and seed (>= 0) are needed.")
        cv = c.number("monte_carlo", mc, "activity_cv")
        new = c.number("monte_carlo", mc, "new_installations")
        if cv is None and new is None:
            c.fail("[monte_carlo]", "give activity_cv and/or new_installations.")
        try:  # before the draws are made: their descriptions alone may not fit
            check_run_size(draws, where=f"{c.path.name}: [monte_carlo] draws")
        except ParameterError as exc:
            raise ParameterError(str(exc)) from None
        scenarios += monte_carlo(draws, seed=seed, activity_cv=cv, new_installations=new)
    g = c.table(data, "grid")
    if g:
        axes: dict[str, dict[str, Change]] = {}
        for key, values in g.items():
            if not isinstance(values, list) or not values:
                c.fail(f"[grid] {key}", f"expected a non-empty list, found {values!r}.")
            axes[key] = {str(v): _grid_change(c, key, v) for v in values}
        scenarios += grid(**axes)
    named = data.get("scenario", [])
    if not isinstance(named, list):
        c.fail("[[scenario]]", "expected an array of tables ([[scenario]] blocks).")
    for k, entry in enumerate(named):
        where = f"scenario {k + 1}"
        if not isinstance(entry, Mapping):
            c.fail(f"[[scenario]] {k + 1}", "expected a table.")
        unknown = sorted(set(entry) - _KEYS["scenario"])
        if unknown:
            c.fail(f"[[scenario]] {k + 1}", f"unknown keys {unknown}; allowed: "
                   f"{sorted(_KEYS['scenario'])}.")  # fmt: skip
        name = c.text(where, entry, "name")
        if not name:
            c.fail(f"[[scenario]] {k + 1}", "every scenario needs a name.")
        scenarios.append(Scenario(name, tuple(_named_changes(c, where, entry))))
    if not scenarios:
        c.fail("spec", "no scenarios: add [monte_carlo], [grid] or [[scenario]] tables.")
    return scenarios


def _decay(c: _Checker, where: str, value: Any) -> Any:
    """A decay name (``drees_gp``) or family with parameters (``exponential:0.1,30``,
    ``step:10,15,20:1,0.67,0.33``), as on the command line."""
    if not isinstance(value, str):
        c.fail(where, f"expected a decay name or family:parameters, found {value!r}.")
    try:
        return decay_from_text(value)
    except AplcoreError as exc:
        c.fail(where, str(exc).removeprefix("decay "))
        raise  # pragma: no cover


def _grid_change(c: _Checker, key: str, value: Any) -> Change:
    if key == "decay":
        return DecayChange(decay=_decay(c, "[grid] decay", value))
    try:
        if key == "closed":
            return DecayChange(closed=value)
        if key == "max_age":
            return AgeLimit(value or None)
        return WeightsVintage(value)
    except ParameterError as exc:
        c.fail(f"[grid] {key}", str(exc))
        raise  # pragma: no cover


def _named_changes(c: _Checker, where: str, e: Mapping) -> list[Change]:
    changes: list[Change] = []
    try:
        if "retire_age" in e:
            changes.append(
                RetireAbove(
                    c.number(where, e, "retire_age"), c.number(where, e, "years", default=0)
                )
            )
        if "scale_activity" in e:
            changes.append(ScaleActivity(c.number(where, e, "scale_activity")))
        for code, count in (c.mapping(where, e, "add_practitioners") or {}).items():
            changes.append(AddPractitioners(code, int(count)))
        if "add_supply" in e:
            changes.append(AddSupply(c.mapping(where, e, "add_supply") or {}))
        if "scale_supply" in e:
            changes.append(ScaleSupply(c.number(where, e, "scale_supply")))
        if "project_population" in e:
            changes.append(ProjectPopulation(c.mapping(where, e, "project_population") or {}))
        if "weights" in e:
            changes.append(WeightsVintage(c.text(where, e, "weights")))
        if "closed" in e or "decay" in e:
            name = c.text(where, e, "decay")
            changes.append(
                DecayChange(
                    decay=_decay(c, f"[[scenario]] {where} decay", name) if name else None,
                    closed=c.text(where, e, "closed", choices=tuple(CONVENTIONS)),
                )
            )
        if "max_age" in e:
            changes.append(AgeLimit(c.number(where, e, "max_age", integer=True) or None))
        if "thresholds" in e:
            changes.append(ZoningChange(thresholds=c.numbers(where, e, "thresholds")))
    except ParameterError as exc:
        if str(exc).startswith(c.path.name):
            raise
        c.fail(f"[[scenario]] {e.get('name', where)!r}", str(exc))
    return changes
