"""``classify_zones``: communal APL + territory table + method + caps → a :class:`Zoning`.

The method object does the classifying (:class:`aplcore.zoning.methods.ZoningMethod`); this
module prepares its inputs, applies the agency's choices (territory, commune and QPV), and builds
the checks and the report.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .._checks import bad_non_negative
from ..codes import as_code_index
from ..errors import (
    EmptyTerritoryWarning,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
    ZoningWarning,
    describe_values,
)
from ..plausibility import RANGES, check_plausible
from .caps import (
    CapsInput,
    Constraint,
    MarginInput,
    build_constraints,
    per_region,
    resolve_caps,
)
from .checks import check_caps, check_row, checks_frame
from .method import TerritoryInputs, ZoningMethod, ZoningState
from .overrides import OverridesInput, apply_overrides, normalise_overrides
from .presets import get_method
from .report import build_report
from .result import Zoning
from .territories import attribute, build_territory_table, split_by_region, territory_apl

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["Zoning", "ZoningWarning", "classify_zones"]

logger = logging.getLogger(__name__)


def _series(values: object, *, what: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        msg = (
            f"{what} must be a pandas Series indexed by commune code, found "
            f"{type(values).__name__}."
        )
        raise InputFormatError(msg)
    return values


def _check_numbers(values: pd.Series, *, what: str, fix: str) -> np.ndarray:
    try:
        array = values.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{what} must be numbers, found {describe_values(values.head(5).tolist())}."
        raise InvalidValueError(msg) from exc
    bad = bad_non_negative(array)
    if bad.any():
        pairs = zip(values.index[bad], array[bad], strict=True)
        found = describe_values([(c, float(v)) for c, v in pairs])
        msg = f"{what} must be finite and non-negative; found {found} (code, value). {fix}"
        raise InvalidValueError(msg)
    return array


def _aligned(values: pd.Series, codes: pd.Index, *, what: str, repair: bool) -> pd.Series:
    values = _series(values, what=what)
    index = as_code_index(values.index, what=f"commune codes of the {what}", repair_integers=repair)
    values = pd.Series(values.to_numpy(), index=index)
    missing = codes.difference(index)
    if len(missing) > 0:
        msg = (
            f"the {what} is missing for {len(missing)} communes of the APL: "
            f"{describe_values(missing.tolist())}. Give a value for every commune (0 where none)."
        )
        raise MissingCommuneError(msg)
    return values.reindex(codes)


def classify_zones(  # noqa: PLR0913 - public entry point, keyword options
    apl: pd.Series,
    *,
    population: pd.Series,
    territory: pd.Series | pd.DataFrame | None = None,
    method: str | ZoningMethod = "zonage_2025",
    thresholds: Sequence[float] | None = None,
    caps: CapsInput = None,
    cap_unit: Literal["inhabitants", "share"] = "inhabitants",
    margin: MarginInput = None,
    standardised: pd.Series | None = None,
    region: pd.Series | None = None,
    departement: pd.Series | None = None,
    attribution: Mapping[str, str] | None = None,
    overrides: OverridesInput = None,
    commune_override_limit: float | Mapping[str, float] | pd.Series | None = None,
    departement_caps: pd.DataFrame | None = None,
    on_violation: Literal["warn", "raise"] = "warn",
    strict: bool = False,
    repair_integers: bool = False,
) -> Zoning:
    """Classify territories (or communes) into zones from communal APL.

    Parameters
    ----------
    apl
        Communal APL, indexed by commune code (for GPs: the APL of GPs aged 65 or less).
    population
        Resident (total) population per commune: counted against the caps, and the weight of the
        territory APL when the method's ``weighting`` is ``"population"``.
    territory
        Commune → territory: a Series, or a DataFrame with ``territory`` and optionally
        ``departement`` and ``region`` columns (see
        :func:`aplcore.zoning.territories.build_territory_table`). None: each commune is its own
        territory.
    method
        A preset name of :data:`aplcore.zoning.METHOD_PRESETS` (``"zonage_2017"``,
        ``"zonage_2025"``, ``"nurses_2020"``, ``"thresholds"``, ...) or a method object.
    thresholds
        Replaces the method's thresholds (e.g. ``(2.71, 3.98)``).
    caps
        Regional caps: mapping zone → cap for a single région, or DataFrame indexed by région
        (see :mod:`aplcore.zoning.caps`). Only for methods that take caps; the 2017 preset
        requires a ``ZIP`` cap (``ZIP_B`` adds the annex's separate zone-B share).
    cap_unit
        ``"inhabitants"`` or ``"share"`` of the regional (or departmental) population.
    margin
        The margin of the method's margin zone (2 346 inhabitants for ZIP in Centre-Val de Loire
        2025), one number or per région. Inside the cap by default (``margin_rule`` of the
        method).
    standardised
        Standardised population per commune, needed when the method weights by it.
    region, departement
        Région / département per commune when the territory table has none.
    attribution
        Territory → département of attribution, overriding the largest-population rule.
    overrides
        The agency's choices: territory, commune (substitution of the commune for the
        territory) or QPV (classified on their own, with their own population) — see
        :mod:`aplcore.zoning.overrides`.
    commune_override_limit
        Most inhabitants per région that commune-level choices may concern; one number or per
        région. None: the method's default (2025: 5 % of the regional population), or none.
    departement_caps
        Caps per département (index: département code; columns: zones), in ``cap_unit``
        (shares are of the département's population by attribution). Checked and reported.
    on_violation
        When a choice breaks a cap or a rule: ``"warn"`` (a :class:`ZoningWarning`, and ``met``
        false in the checks) or ``"raise"`` (:class:`aplcore.errors.ParameterError`).
    strict
        Same as ``on_violation="raise"``: a decree cannot be built on a silent legal risk.
    repair_integers
        Zero-pad commune codes given as integers.

    Returns
    -------
    Zoning
        Per-commune and per-territory zones, the report and the checks.

    Raises
    ------
    InvalidValueError
        Negative, missing or infinite APL or populations.
    MissingCommuneError, DuplicateError
        Territory table missing communes, or communes in two territories.
    ParameterError
        Unknown method, thresholds out of order, caps above 100 %, unknown zones, a 2017
        zoning without caps, or (``strict``) a broken cap or rule.
    """
    meth = get_method(method, thresholds=tuple(thresholds) if thresholds is not None else None)
    if on_violation not in ("warn", "raise"):
        msg = f"on_violation must be 'warn' or 'raise', found {on_violation!r}."
        raise ParameterError(msg)
    if strict:
        on_violation = "raise"
    apl, pop, weights = _inputs(apl, population, standardised, meth, repair=repair_integers)
    table = _territory_table(territory, apl.index, meth, region=region, departement=departement)
    parent = pd.Series(dtype=object)
    if getattr(meth, "cross_region", "majority") == "own_region":
        whole = territory_apl(apl, weights, table)
        table, parent = split_by_region(table)
    terr = _territory_frame(apl, pop, weights, table, attribution)
    if len(parent):  # each région's part keeps the whole territory's APL
        terr.loc[parent.index, "apl"] = whole.reindex(parent.to_numpy()).to_numpy()
    regions = pd.Index(sorted(table["region"].unique()), dtype=object, name="region")
    region_pop = pop.groupby(table["region"].to_numpy()).sum().reindex(regions)
    resolved, constraints = meth.caps(
        caps, region_population=region_pop, cap_unit=cap_unit, margin=margin
    )
    _classify(meth, terr, table, pop, regions, constraints)
    communes, ov, src, mandatory = _apply_choices(meth, terr, table, pop, apl, overrides)
    qpv = _qpv_table(ov, communes)
    units = _units(communes, src, mandatory, qpv, ov)
    rows, unit_zone, unit_before = _cap_rows(meth, units, terr, regions, constraints, ov)
    dep_caps = pd.DataFrame()
    if departement_caps is not None:
        dep_caps, dep_rows = _departement_checks(
            departement_caps, meth, units, unit_zone, unit_before, cap_unit, ov
        )
        rows += dep_rows
    state = ZoningState(
        communes=communes.assign(source=src),
        territories=terr,
        overrides=ov,
        regions=regions,
        qpv=qpv,
    )
    rows += meth.checks(state)
    rows += _commune_limit_rows(communes, regions, region_pop, meth, commune_override_limit, ov)
    checks = checks_frame(rows)
    _warn(checks, on_violation)
    report = build_report(
        units,
        zones=meth.all_zones,
        caps=resolved,
        checks=checks,
        margin_zone=meth.margin_zone,
        margin_rule=meth.margin_rule,
        departement_caps=dep_caps,
    )
    communes = communes.drop(columns=["attribution"])
    if "tvs" in communes.columns:  # commune-level thresholds: keep the given territory
        communes["territory"] = communes.pop("tvs")
    return Zoning(
        communes=communes,
        territories=terr,
        report=report,
        checks=checks,
        caps=resolved,
        method=meth,
        overrides=ov,
        qpv=qpv,
        departement_caps=dep_caps,
    )


def _territory_table(
    territory: pd.Series | pd.DataFrame | None,
    codes: pd.Index,
    meth: ZoningMethod,
    *,
    region: pd.Series | None,
    departement: pd.Series | None,
) -> pd.DataFrame:
    """The commune → territory table; each commune its own unit for commune-level methods
    (the given territory kept in ``tvs``)."""
    commune_level = meth.level == "commune"
    if territory is None or commune_level:
        base = territory if territory is not None else pd.Series(codes, index=codes)
        table = build_territory_table(base, codes, region=region, departement=departement)
        if commune_level:
            table = table.assign(tvs=table["territory"], territory=list(codes))
        return table
    return build_territory_table(territory, codes, region=region, departement=departement)


def _classify(
    meth: ZoningMethod,
    terr: pd.DataFrame,
    table: pd.DataFrame,
    pop: pd.Series,
    regions: pd.Index,
    constraints: list[Constraint],
) -> None:
    """Let the method classify the territories; adds ``zone``, ``selection``, ``rank``."""
    indptr, part_region, part_pop = _parts(terr, table, pop, regions)
    inputs = TerritoryInputs(
        territories=terr,
        regions=regions,
        part_indptr=indptr,
        part_region=part_region,
        part_population=part_pop,
        decider=np.asarray(regions.get_indexer(terr["region"]), dtype=np.int64),
        constraints=constraints,
    )
    zone_idx, selection = meth.classify(inputs)
    terr["zone"] = np.asarray(meth.zones, dtype=object)[zone_idx]
    terr["selection"] = selection
    order = meth.fill_order(terr["apl"].to_numpy(), terr["population"].to_numpy())
    rank = np.empty(len(terr), dtype=np.int64)
    rank[order] = np.arange(len(terr))
    terr["rank"] = rank


def _apply_choices(
    meth: ZoningMethod,
    terr: pd.DataFrame,
    table: pd.DataFrame,
    pop: pd.Series,
    apl: pd.Series,
    overrides: OverridesInput,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Per-commune zones after the agency's choices; the choices table; the choice that set each
    commune (-1: none); whether its territory was in the mandatory zone."""
    codes = apl.index
    communes = table.copy()
    communes["population"] = pop.to_numpy()
    communes["apl"] = apl.to_numpy()
    communes["attribution"] = terr["departement"].reindex(table["territory"]).to_numpy()
    computed = pd.Series(
        terr["zone"].reindex(table["territory"]).to_numpy(), index=codes, name="zone"
    )
    ov = normalise_overrides(
        overrides, zones=meth.all_zones, territories=terr.index, communes=codes
    )
    final, source = apply_overrides(computed, table["territory"], ov)
    communes["zone_computed"] = computed.to_numpy()
    communes["zone"] = final.to_numpy()
    reasons = ov["reason"].where(ov["reason"] != "", "override").to_numpy(dtype=object)
    src = source.to_numpy()
    communes["override"] = [reasons[i] if i >= 0 else "" for i in src]
    mandatory = (terr["selection"] == "mandatory").reindex(table["territory"]).to_numpy()
    territory_ov = ov[ov["level"] == "territory"]
    if len(territory_ov):
        changed = territory_ov.set_index("code")["zone"]
        terr.loc[changed.index, "zone"] = changed.to_numpy()
        terr.loc[changed.index, "selection"] = "override"
    return communes, ov, src, mandatory


def _cap_rows(
    meth: ZoningMethod,
    units: pd.DataFrame,
    terr: pd.DataFrame,
    regions: pd.Index,
    constraints: list[Constraint],
    ov: pd.DataFrame,
) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """The regional cap checks on the counted units, and the units' zone indices."""
    foreign = (
        units["region"].to_numpy()
        != terr["region"].reindex(units["territory"]).to_numpy(dtype=object)
    ) & ~units["mandatory"].to_numpy()
    zone_pos = {z: i for i, z in enumerate(meth.all_zones)}
    unit_zone = units["zone"].map(zone_pos).to_numpy()
    unit_before = units["zone_computed"].map(zone_pos).to_numpy()
    rows = check_caps(
        zone_index=unit_zone,
        zone_before=unit_before,
        source=units["source"].to_numpy(),
        scope=np.asarray(regions.get_indexer(units["region"])),
        population=units["population"].to_numpy(dtype=np.float64),
        mandatory=units["mandatory"].to_numpy(dtype=bool),
        scopes=regions,
        constraints=constraints,
        overrides=ov,
        foreign=foreign,
    )
    return rows, unit_zone, unit_before


def _inputs(
    apl: pd.Series,
    population: pd.Series,
    standardised: pd.Series | None,
    meth: ZoningMethod,
    *,
    repair: bool,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Validated APL, population and aggregation weights, indexed by the APL's commune codes."""
    apl = _series(apl, what="APL")
    codes = as_code_index(apl.index, what="commune codes of the APL", repair_integers=repair)
    apl = pd.Series(apl.to_numpy(), index=codes, name="apl")
    apl = pd.Series(
        _check_numbers(apl, what="APL", fix="Drop communes without APL or set it explicitly."),
        index=codes,
        name="apl",
    )
    thresholds = getattr(meth, "thresholds", ())
    if thresholds and max(thresholds) <= RANGES["apl_gp"].high:  # thresholds of GP APL
        check_plausible("apl_gp", apl.to_numpy(), what="APL", stacklevel=5)
    pop = _aligned(population, codes, what="population", repair=repair)
    pop = pd.Series(
        _check_numbers(
            pop, what="populations", fix="Populations are counts of residents: check the column."
        ),
        index=codes,
        name="population",
    )
    if len(pop) and not pop.to_numpy().any():
        msg = (
            "the population is 0 in every commune: no territory APL exists and every territory "
            "would take the residual zone. Check the population column (a column of zeros, or "
            "the wrong column)."
        )
        raise InvalidValueError(msg)
    if meth.weighting != "standardised":
        return apl, pop, pop
    if standardised is None:
        msg = (
            f"method {meth.name!r} weights the territory APL by the standardised population: "
            "pass standardised=Series by commune code, or weighting='population' in the "
            "method (get_method(..., weighting='population'))."
        )
        raise ParameterError(msg)
    std = _aligned(standardised, codes, what="standardised population", repair=repair)
    weights = pd.Series(
        _check_numbers(std, what="standardised populations", fix="Check the column."),
        index=codes,
        name="weight",
    )
    return apl, pop, weights


def _territory_frame(
    apl: pd.Series,
    pop: pd.Series,
    weights: pd.Series,
    table: pd.DataFrame,
    attribution: Mapping[str, str] | None,
) -> pd.DataFrame:
    values = territory_apl(apl, weights, table)
    groups = table["territory"].to_numpy()
    frame = pd.DataFrame(
        {
            "apl": values,
            "population": pop.groupby(groups).sum(),
            "weight": weights.groupby(groups).sum(),
            "communes": pop.groupby(groups).size(),
        }
    )
    frame.index.name = "territory"
    attr = attribute(table, pop, attribution=attribution)
    frame["departement"] = attr["departement"].reindex(frame.index)
    frame["region"] = attr["region"].reindex(frame.index)
    empty = frame.index[frame["apl"].isna()]
    if len(empty):
        msg = (
            f"{len(empty)} territories have no population: their APL is undefined (an empty "
            f"cell) and they take the residual zone: {describe_values(empty.tolist())}. Check "
            "the populations of their communes."
        )
        warnings.warn(msg, EmptyTerritoryWarning, stacklevel=4)
    return frame


def _parts(
    terr: pd.DataFrame, table: pd.DataFrame, pop: pd.Series, regions: pd.Index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of the territory parts: residents of each territory per région."""
    return territory_parts(
        terr.index.get_indexer(table["territory"]),
        regions.get_indexer(table["region"]),
        pop.to_numpy(),
        n_territories=len(terr),
    )


def territory_parts(
    territory: np.ndarray, region: np.ndarray, population: np.ndarray, *, n_territories: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residents of each territory per région, as CSR arrays from commune positions.

    Parameters
    ----------
    territory, region
        Position of each commune's territory and région.
    population
        Population of each commune.
    n_territories
        Number of territories (rows of the CSR).

    Returns
    -------
    tuple of numpy.ndarray
        ``indptr`` (int64), the région of each part (int64) and its population (float64), the
        parts of a territory sorted by région.
    """
    parts = (
        pd.DataFrame({"t": territory, "r": region, "p": population})
        .groupby(["t", "r"], sort=True)["p"]
        .sum()
        .reset_index()
    )
    counts = np.bincount(parts["t"].to_numpy(), minlength=n_territories)
    indptr = np.zeros(n_territories + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, parts["r"].to_numpy(dtype=np.int64), parts["p"].to_numpy(dtype=np.float64)


_QPV_COLUMNS = [
    "code",
    "commune",
    "region",
    "departement",
    "population",
    "zone",
    "zone_computed",
    "reason",
]


def _qpv_table(ov: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """The QPV choices with their host commune's région, département and computed zone."""
    rows = ov[ov["level"] == "qpv"]
    if rows.empty:
        return pd.DataFrame(columns=_QPV_COLUMNS)
    host = communes.loc[rows["commune"].to_numpy()]
    qpv = pd.DataFrame(
        {
            "code": rows["code"].to_numpy(),
            "commune": rows["commune"].to_numpy(),
            "region": host["region"].to_numpy(),
            "departement": host["departement"].to_numpy(),
            "population": rows["population"].to_numpy(dtype=np.float64),
            "zone": rows["zone"].to_numpy(),
            "zone_computed": host["zone_computed"].to_numpy(),
            "reason": rows["reason"].to_numpy(),
        }
    )
    share = qpv.groupby("commune")["population"].sum()
    over = share[share > communes["population"].reindex(share.index) + 1e-6]
    if len(over):
        msg = (
            f"QPV populations exceed their commune's population in "
            f"{describe_values(over.index.tolist())}: a QPV's population is part of its "
            "commune's. Check the QPV population column (inhabitants of the QPV itself)."
        )
        raise InvalidValueError(msg)
    return qpv


def _units(
    communes: pd.DataFrame,
    source: np.ndarray,
    mandatory: np.ndarray,
    qpv: pd.DataFrame,
    ov: pd.DataFrame,
) -> pd.DataFrame:
    """Counted units: communes (less their QPV residents) and QPV, with what checks need."""
    units = communes[["territory", "region", "attribution", "population", "zone"]].copy()
    units["zone_computed"] = communes["zone_computed"]
    units["source"] = source
    units["mandatory"] = mandatory.astype(bool)
    if qpv.empty:
        return units.reset_index(drop=True)
    in_qpv = qpv.groupby("commune")["population"].sum()
    units["population"] = units["population"] - in_qpv.reindex(units.index).fillna(0.0)
    qpv_rows = ov.index[ov["level"] == "qpv"].to_numpy()
    host = communes.loc[qpv["commune"].to_numpy()]
    extra = pd.DataFrame(
        {
            "territory": host["territory"].to_numpy(),
            "region": host["region"].to_numpy(),
            "attribution": host["attribution"].to_numpy(),
            "population": qpv["population"].to_numpy(),
            "zone": qpv["zone"].to_numpy(),
            "zone_computed": qpv["zone_computed"].to_numpy(),
            "source": qpv_rows,
            "mandatory": mandatory[communes.index.get_indexer(qpv["commune"])].astype(bool),
        }
    )
    return pd.concat([units.reset_index(drop=True), extra], ignore_index=True)


def _departement_checks(
    departement_caps: pd.DataFrame,
    meth: ZoningMethod,
    units: pd.DataFrame,
    unit_zone: np.ndarray,
    unit_before: np.ndarray,
    cap_unit: Literal["inhabitants", "share"],
    ov: pd.DataFrame,
) -> tuple[pd.DataFrame, list[dict]]:
    """Caps per département of attribution (the published table's rows), checked like régions."""
    if not isinstance(departement_caps, pd.DataFrame):
        msg = (
            "departement_caps must be a DataFrame indexed by département code with one column "
            f"per zone, found {type(departement_caps).__name__}."
        )
        raise InputFormatError(msg)
    frame = departement_caps.copy()
    if "departement" in frame.columns:
        frame = frame.set_index("departement")
    frame.index = frame.index.astype(str)
    dep_pop = units.groupby("attribution")["population"].sum()
    unknown = frame.index.difference(dep_pop.index).tolist()
    if unknown:
        msg = (
            f"departement_caps name départements without residents by attribution: "
            f"{describe_values(unknown)}; the table has {describe_values(dep_pop.index.tolist())}."
        )
        raise InputFormatError(msg)
    deps = pd.Index(frame.index, name="departement")
    resolved = resolve_caps(
        frame, zones=meth.zones, region_population=dep_pop.reindex(deps), cap_unit=cap_unit
    )
    constraints = build_constraints(
        resolved,
        zones=meth.zones,
        cap_rule=meth.cap_rule,
        margin_zone=None,
        region_population=dep_pop.reindex(deps),
    )
    dep_region = units.groupby("attribution")["region"].first()
    scope = np.asarray(deps.get_indexer(units["attribution"]))
    keep = scope >= 0
    rows = check_caps(
        zone_index=unit_zone[keep],
        zone_before=unit_before[keep],
        source=units["source"].to_numpy()[keep],
        scope=scope[keep],
        population=units["population"].to_numpy(dtype=np.float64)[keep],
        mandatory=units["mandatory"].to_numpy(dtype=bool)[keep],
        scopes=deps,
        constraints=constraints,
        overrides=ov,
        scope_region=dep_region,
    )
    return resolved, rows


def _commune_limit_rows(
    communes: pd.DataFrame,
    regions: pd.Index,
    region_pop: pd.Series,
    meth: ZoningMethod,
    limit: float | Mapping[str, float] | pd.Series | None,
    ov: pd.DataFrame,
) -> list[dict]:
    """Commune substitution within its limit per région (QPV choices are not counted)."""
    share = meth.commune_limit_share()
    if limit is None and share is None:
        return []
    if limit is None:
        limits = share * region_pop.to_numpy(dtype=np.float64)
        name = f"commune substitution ({100 * share:g} %)"
    else:
        limits = per_region(limit, regions)
        name = "commune overrides"
    chosen = ov[ov["level"] == "commune"]
    concerned = communes.index.isin(chosen["code"].tolist())
    rows = []
    for r, region in enumerate(regions):
        mask = (communes["region"] == region).to_numpy() & concerned
        rows.append(
            check_row(
                region=region,
                constraint=name,
                kind="derogation",
                limit=float(limits[r]),
                used=float(communes.loc[mask, "population"].sum()),
                broken_by=", ".join(sorted(communes.index[mask])),
            )
        )
    return rows


def _warn(checks: pd.DataFrame, on_violation: str) -> None:
    if checks.empty:
        return
    over = checks[checks["mandatory_over_cap"]]
    for _, row in over.iterrows():
        msg = (
            f"région {row['region']}: the mandatory zone alone holds {row['mandatory']:,.0f} "
            f"inhabitants, above the {row['constraint']} cap of {row['limit']:,.0f}; no territory "
            "was dropped (see checks['mandatory_over_cap'])."
        )
        warnings.warn(msg, ZoningWarning, stacklevel=3)
    broken = checks[~checks["met"] & ~checks["mandatory_over_cap"]]
    if broken.empty:
        return
    details = "; ".join(_describe_broken(r) for _, r in broken.iterrows())
    msg = (
        f"the zoning breaks {len(broken)} caps or rules: {details}. Remove or change the "
        "choices named (or agree with the other région on a cross-région territory)."
    )
    if on_violation == "raise":
        raise ParameterError(msg)
    warnings.warn(msg, ZoningWarning, stacklevel=3)


def _describe_broken(row: pd.Series) -> str:
    where = f"région {row['region']}"
    if row["departement"]:
        where += f" département {row['departement']}"
    blame = row["broken_by"] or "the computed zoning itself (no choice involved)"
    if row["kind"] == "rule":
        return f"{where} {row['constraint']}: {row['used']:,.0f} inhabitants, broken by {blame}"
    return (
        f"{where} {row['constraint']}: {row['used']:,.0f} inhabitants for a limit of "
        f"{row['limit']:,.0f} (+{row['excess']:,.0f}), broken by {blame}"
    )
