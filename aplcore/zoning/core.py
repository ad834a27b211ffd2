"""``classify_zones``: communal APL + territory table + method + caps → a :class:`Zoning`."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..aggregate import weighted_quantiles
from ..codes import as_code_index
from ..errors import (
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
    describe_values,
)
from .caps import CapsInput, Constraint, MarginInput, build_constraints, per_region, resolve_caps
from .fill import CAPPED, MANDATORY, RESIDUAL, capped_fill, fill_order
from .methods import CappedMethod, ShareMethod, ThresholdMethod, ZoningMethod, get_method
from .overrides import (
    OverridesInput,
    apply_overrides,
    check_caps,
    checks_frame,
    normalise_overrides,
)
from .report import build_report, format_report, national_schema, write_csv
from .territories import attribute, build_territory_table, territory_apl

__all__ = ["Zoning", "ZoningWarning", "classify_zones"]

logger = logging.getLogger(__name__)

_SELECTION = {MANDATORY: "mandatory", CAPPED: "capped", RESIDUAL: "residual"}


class ZoningWarning(UserWarning):
    """A cap that the mandatory zone alone, or an override, breaks."""


@dataclass(frozen=True)
class Zoning:
    """Result of :func:`classify_zones`.

    Attributes
    ----------
    communes
        One row per commune (index ``code``): ``territory``, ``departement``, ``region``,
        ``population``, ``apl`` (communal), ``zone`` (final), ``zone_computed`` (before
        overrides), ``override`` (reason, or empty).
    territories
        One row per territory (index ``territory``): ``apl`` (aggregated), ``population``,
        ``weight``, ``communes``, ``departement`` and ``region`` of attribution, ``zone``
        (computed), ``selection`` (``mandatory``, ``capped``, ``residual``, ``threshold``,
        ``share``; ``override`` when a territory override changed it) and ``rank`` (position in
        the fill order, 0 = lowest APL).
    report
        The published-style table (see :mod:`aplcore.zoning.report`).
    checks
        Every cap per région: limit, population used, before overrides, mandatory part, met,
        excess, and the overrides that broke it.
    caps
        Caps in inhabitants per région and zone, and the margin.
    method
        The method object used.
    overrides
        The overrides applied (columns ``code``, ``level``, ``zone``, ``reason``).
    """

    communes: pd.DataFrame
    territories: pd.DataFrame
    report: pd.DataFrame
    checks: pd.DataFrame
    caps: pd.DataFrame
    method: ZoningMethod
    overrides: pd.DataFrame = field(repr=False)

    @property
    def zones(self) -> tuple[str, ...]:
        """Zone labels, most priority first."""
        method = self.method
        return method.levels if isinstance(method, ShareMethod) else method.zones

    @property
    def caps_met(self) -> bool:
        """Whether every cap holds after overrides."""
        return bool(self.checks["met"].all()) if len(self.checks) else True

    def format_report(self) -> str:
        """The report as a readable plain-text table."""
        return format_report(self.report, zones=self.zones)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as CSV (atomically)."""
        return write_csv(self.report, path)

    def to_national_schema(
        self,
        *,
        profession: str = "med",
        date_arrete: str | None = None,
        level_codes: Mapping[str, str] | None = None,
    ) -> pd.DataFrame:
        """Per-commune table ``com_code, tvs_code, z<prof>_niveau`` (``1_ZIP``, ``2_ZAC``, ...).

        Parameters
        ----------
        profession
            ``med``, ``ide``, ``mk``, ``sf``, ``dent`` or ``ortho``.
        date_arrete
            Optional date of the arrêté for ``z<prof>_date_arrete``.
        level_codes
            Zone label → level code; defaults to the method's ``level_codes``.
        """
        codes = dict(self.method.level_codes if level_codes is None else level_codes)
        return national_schema(
            self.communes, level_codes=codes, profession=profession, date_arrete=date_arrete
        )

    def __str__(self) -> str:
        return self.format_report()


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
    bad = ~np.isfinite(array) | (array < 0)
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


def classify_zones(
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
    on_violation: Literal["warn", "raise"] = "warn",
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
        (see :mod:`aplcore.zoning.caps`). None: no caps. Only for capped methods.
    cap_unit
        ``"inhabitants"`` or ``"share"`` of the regional population.
    margin
        Extra room for the method's margin zone (2 346 inhabitants for ZIP in Centre-Val de Loire
        2025), one number or per région.
    standardised
        Standardised population per commune, needed when the method weights by it.
    region, departement
        Région / département per commune when the territory table has none.
    attribution
        Territory → département of attribution, overriding the largest-population rule.
    overrides
        Forced classifications (see :mod:`aplcore.zoning.overrides`).
    commune_override_limit
        Most inhabitants per région that commune-level overrides may concern (2025: the agency
        may use the commune instead of the TVS within a population limit); one number or per
        région. None: not checked.
    on_violation
        When an override breaks a cap: ``"warn"`` (a :class:`ZoningWarning`, and ``met`` false in
        the report) or ``"raise"`` (:class:`aplcore.errors.ParameterError`).
    repair_integers
        Zero-pad commune codes given as integers.

    Returns
    -------
    Zoning
        Per-commune and per-territory zones, the report and the cap checks.

    Raises
    ------
    InvalidValueError
        Negative, missing or infinite APL or populations.
    MissingCommuneError, DuplicateError
        Territory table missing communes, or communes in two territories.
    ParameterError
        Unknown method, thresholds out of order, caps above 100 %, unknown zones.
    """
    meth = get_method(method, thresholds=tuple(thresholds) if thresholds is not None else None)
    if on_violation not in ("warn", "raise"):
        msg = f"on_violation must be 'warn' or 'raise', found {on_violation!r}."
        raise ParameterError(msg)
    if not isinstance(meth, CappedMethod) and (caps is not None or margin is not None):
        msg = (
            f"caps and margin apply to capped methods (zonage_2017, zonage_2025); method "
            f"{meth.name!r} is a {type(meth).__name__}. Drop caps= and margin=."
        )
        raise ParameterError(msg)
    apl, pop, weights = _inputs(apl, population, standardised, meth, repair=repair_integers)
    codes = apl.index

    if territory is None or (isinstance(meth, ThresholdMethod) and meth.level == "commune"):
        base = territory if territory is not None else pd.Series(codes, index=codes)
        table = build_territory_table(base, codes, region=region, departement=departement)
        if isinstance(meth, ThresholdMethod) and meth.level == "commune":
            table = table.assign(tvs=table["territory"], territory=list(codes))
    else:
        table = build_territory_table(territory, codes, region=region, departement=departement)

    terr = _territory_frame(apl, pop, weights, table, attribution)
    regions = pd.Index(sorted(table["region"].unique()), dtype=object, name="region")
    region_pop = pop.groupby(table["region"].to_numpy()).sum().reindex(regions)
    zones = meth.levels if isinstance(meth, ShareMethod) else meth.zones

    if isinstance(meth, CappedMethod):
        resolved = resolve_caps(
            caps, zones=zones, region_population=region_pop, cap_unit=cap_unit, margin=margin
        )
        constraints = build_constraints(
            resolved,
            zones=zones,
            cap_rule=meth.cap_rule,
            margin_zone=meth.margin_zone,
            region_population=region_pop,
        )
    else:
        resolved = pd.DataFrame(np.inf, index=regions, columns=list(zones))
        resolved["margin"] = 0.0
        constraints = []
    zone_idx, selection = _classify_territories(terr, table, pop, regions, meth, constraints)
    terr["zone"] = np.asarray(zones, dtype=object)[zone_idx]
    terr["selection"] = selection
    terr["rank"] = np.argsort(fill_order(terr["apl"].to_numpy(), terr["population"].to_numpy()))

    communes = table.copy()
    communes["population"] = pop.to_numpy()
    communes["apl"] = apl.to_numpy()
    communes["attribution"] = terr["departement"].reindex(table["territory"]).to_numpy()
    computed = pd.Series(
        terr["zone"].reindex(table["territory"]).to_numpy(), index=codes, name="zone"
    )
    ov = normalise_overrides(overrides, zones=zones, territories=terr.index, communes=codes)
    final, source = apply_overrides(computed, table["territory"], ov)
    communes["zone_computed"] = computed.to_numpy()
    communes["zone"] = final.to_numpy()
    reasons = ov["reason"].where(ov["reason"] != "", "override").to_numpy(dtype=object)
    src = source.to_numpy()
    communes["override"] = [reasons[i] if i >= 0 else "" for i in src]
    terr_mandatory = terr["selection"] == "mandatory"
    territory_ov = ov[ov["level"] == "territory"]
    if len(territory_ov):
        changed = territory_ov.set_index("code")["zone"]
        terr.loc[changed.index, "zone"] = changed.to_numpy()
        terr.loc[changed.index, "selection"] = "override"

    zone_pos = {z: i for i, z in enumerate(zones)}
    region_pos = np.asarray(regions.get_indexer(table["region"]))
    mandatory = terr_mandatory.reindex(table["territory"]).to_numpy()
    checks = check_caps(
        zone_index=communes["zone"].map(zone_pos).to_numpy(),
        zone_before=computed.map(zone_pos).to_numpy(),
        source=src,
        region=region_pos,
        population=pop.to_numpy(),
        mandatory=mandatory,
        regions=regions,
        constraints=constraints,
        overrides=ov,
    )
    if isinstance(meth, CappedMethod) and meth.outside_threshold is not None:
        checks = pd.concat(
            [checks, _outside_margin_check(communes, terr, meth, regions)], ignore_index=True
        )
    if commune_override_limit is not None:
        checks = pd.concat(
            [checks, _commune_limit_check(communes, regions, commune_override_limit, ov)],
            ignore_index=True,
        )
    _warn(checks, on_violation)
    report = build_report(
        communes,
        zones=zones,
        caps=resolved,
        checks=checks,
        margin_zone=meth.margin_zone if isinstance(meth, CappedMethod) else None,
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
    )


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
    pop = _aligned(population, codes, what="population", repair=repair)
    pop = pd.Series(
        _check_numbers(
            pop, what="populations", fix="Populations are counts of residents: check the column."
        ),
        index=codes,
        name="population",
    )
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
        logger.info(
            "%d territories have no weight (no population): APL undefined, residual zone: %s",
            len(empty),
            describe_values(empty.tolist()),
        )
    return frame


def _parts(
    terr: pd.DataFrame, table: pd.DataFrame, pop: pd.Series, regions: pd.Index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = (
        pd.DataFrame(
            {
                "t": terr.index.get_indexer(table["territory"]),
                "r": regions.get_indexer(table["region"]),
                "p": pop.to_numpy(),
            }
        )
        .groupby(["t", "r"], sort=True)["p"]
        .sum()
        .reset_index()
    )
    counts = np.bincount(parts["t"].to_numpy(), minlength=len(terr))
    indptr = np.zeros(len(terr) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, parts["r"].to_numpy(dtype=np.int64), parts["p"].to_numpy(dtype=np.float64)


def _classify_territories(
    terr: pd.DataFrame,
    table: pd.DataFrame,
    pop: pd.Series,
    regions: pd.Index,
    meth: ZoningMethod,
    constraints: list[Constraint],
) -> tuple[np.ndarray, list[str]]:
    """Zone index and how it was chosen, per territory, for any kind of method."""
    apl = terr["apl"].to_numpy(dtype=np.float64)
    if isinstance(meth, CappedMethod):
        indptr, part_region, part_pop = _parts(terr, table, pop, regions)
        zone, selection = capped_fill(
            apl,
            terr["population"].to_numpy(dtype=np.float64),
            indptr,
            part_region,
            part_pop,
            thresholds=np.asarray(meth.thresholds, dtype=np.float64),
            constraints=constraints,
            mandatory_threshold=meth.mandatory_threshold,
            fill_rule=meth.fill_rule,
        )
        return zone, [_SELECTION[s] for s in selection]
    if isinstance(meth, ShareMethod):
        return _share_levels(terr, regions, meth), ["share"] * len(terr)
    zone = np.searchsorted(np.asarray(meth.thresholds), apl, side="left")
    zone = np.where(np.isnan(apl), len(meth.zones) - 1, zone)
    return zone, ["threshold"] * len(terr)


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


def _outside_margin_check(
    communes: pd.DataFrame,
    terr: pd.DataFrame,
    meth: CappedMethod,
    regions: pd.Index,
) -> pd.DataFrame:
    t_apl = terr["apl"].reindex(communes["territory"]).to_numpy()
    lower = meth.mandatory_threshold if meth.mandatory_threshold is not None else -np.inf
    upper = float(meth.outside_threshold)  # type: ignore[arg-type]
    vivier = (t_apl > lower) & (t_apl <= upper)
    outside_in = (t_apl > upper) & (communes["zone"].to_numpy() != meth.zones[-1])
    pop = communes["population"]
    rows = []
    for region in regions:
        mask = (communes["region"] == region).to_numpy()
        limit = meth.outside_margin_share * float(pop[mask & vivier].sum())
        used = float(pop[mask & outside_in].sum())
        met = used <= limit + 1e-6
        blamed = ""
        if not met:
            ids = sorted(set(communes.loc[mask & outside_in, "override"]))
            blamed = ", ".join(i for i in ids if i)
        rows.append(
            {
                "region": region,
                "constraint": "outside margin",
                "limit": limit,
                "used": used,
                "used_before_overrides": 0.0,
                "mandatory": 0.0,
                "met": met,
                "excess": max(0.0, used - limit),
                "mandatory_over_cap": False,
                "broken_by": blamed,
            }
        )
    return checks_frame(rows)


def _commune_limit_check(
    communes: pd.DataFrame,
    regions: pd.Index,
    limit: float | Mapping[str, float] | pd.Series,
    ov: pd.DataFrame,
) -> pd.DataFrame:
    limits = per_region(limit, regions)
    commune_codes = set(ov.loc[ov["level"] == "commune", "code"])
    concerned = communes.index.isin(list(commune_codes))
    rows = []
    for r, region in enumerate(regions):
        mask = (communes["region"] == region).to_numpy() & concerned
        used = float(communes.loc[mask, "population"].sum())
        met = used <= limits[r] + 1e-6
        rows.append(
            {
                "region": region,
                "constraint": "commune overrides",
                "limit": float(limits[r]),
                "used": used,
                "used_before_overrides": 0.0,
                "mandatory": 0.0,
                "met": met,
                "excess": max(0.0, used - float(limits[r])),
                "mandatory_over_cap": False,
                "broken_by": "" if met else ", ".join(sorted(communes.index[mask])),
            }
        )
    return checks_frame(rows)


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
    details = "; ".join(
        f"région {r['region']} {r['constraint']}: {r['used']:,.0f} inhabitants for a limit of "
        f"{r['limit']:,.0f} (+{r['excess']:,.0f}), broken by {r['broken_by'] or 'overrides'}"
        for _, r in broken.iterrows()
    )
    msg = f"overrides break {len(broken)} caps: {details}. Remove or change those overrides."
    if on_violation == "raise":
        raise ParameterError(msg)
    warnings.warn(msg, ZoningWarning, stacklevel=3)
