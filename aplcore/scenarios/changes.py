"""Scenario changes: small frozen dataclasses, each saying what it touches and how.

Every change says what it touches (:attr:`Change.target`) and carries its behaviour
(``requires``, ``apply_demand``, ``apply_supply``); :mod:`aplcore.scenarios.model` gathers them
into scenarios, grids and Monte Carlo draws.

==============  ===========================================================================
target          changes
==============  ===========================================================================
``supply``      per practitioner: :class:`ScaleActivity`, :class:`RetireAbove`,
                :class:`RemovePractitioners`, :class:`ActivityNoise` (random);
                per commune: :class:`AddPractitioners`, :class:`AddSupply`,
                :class:`ScaleSupply`, :class:`NewInstallations` (random)
``demand``      :class:`ProjectPopulation` (factor per age band, or per commune and band),
                :class:`WeightsVintage`, :class:`ScaleDemand`
``decay``       :class:`DecayChange` (another decay, band-edge convention or parameters)
``age``         :class:`AgeLimit` (the GP age variant: 65, 62, 60 or all)
``zoning``      :class:`ZoningChange` (thresholds, caps, margin)
==============  ===========================================================================

Random changes carry their seed and draw number, so a scenario is reproduced exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._checks import bad_non_negative
from ..decay import CONVENTIONS, Closed, Decay, get_decay
from ..demand import AGE_BANDS, band_weights
from ..errors import ParameterError, describe_values
from ._arrays import CommuneSupply, DemandState, Practitioners, commune_mask, positions_in

__all__ = [
    "CHANGES",
    "ActivityNoise",
    "AddPractitioners",
    "AddSupply",
    "AgeLimit",
    "Change",
    "DecayChange",
    "NewInstallations",
    "ProjectPopulation",
    "RemovePractitioners",
    "RetireAbove",
    "ScaleActivity",
    "ScaleDemand",
    "ScaleSupply",
    "WeightsVintage",
    "ZoningChange",
]


def _finite(value: float, what: str, *, positive: bool = False) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (positive and value == 0):
        kind = "positive" if positive else "non-negative"
        msg = f"{what} must be a finite {kind} number, found {value!r}."
        raise ParameterError(msg)
    return value


def _codes(communes: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if communes is None:
        return None
    if isinstance(communes, str):
        communes = (communes,)
    codes = tuple(str(c) for c in communes)
    bad = [c for c in codes if len(c) != 5]
    if bad:
        msg = (
            f"commune codes are 5-character strings ('01001', '2A004'), found "
            f"{describe_values(bad)}."
        )
        raise ParameterError(msg)
    return codes


class Change:
    """Base class of every change: a frozen dataclass with a :attr:`target`.

    A change carries its behaviour: what it needs of the baseline (:meth:`requires`, the
    communes it names), and how it edits the decay, the demand and the supply of a scenario
    (the ``apply_*`` methods, which do nothing unless a subclass says otherwise). The engine
    applies a scenario's changes in their order.
    """

    #: What the change touches: ``supply``, ``demand``, ``decay``, ``age`` or ``zoning``.
    target: ClassVar[str] = ""
    #: Whether the change works on practitioner rows (needs a practitioner table).
    per_practitioner: ClassVar[bool] = False
    #: Whether the change works on populations by age band.
    needs_ages: ClassVar[bool] = False
    #: Whether the change works on the practitioners' ages (needs an ``age`` column).
    needs_practitioner_ages: ClassVar[bool] = False
    #: Whether the change edits the practitioners' activity (:meth:`apply_activity`).
    edits_activity: ClassVar[bool] = False
    #: Whether the change drops practitioner rows (:meth:`apply_rows`).
    drops_rows: ClassVar[bool] = False
    #: Whether the change is random activity noise the counting kernel can draw itself.
    random_activity: ClassVar[bool] = False

    def requires(self) -> frozenset[str]:
        """What the baseline must hold: ``"ages"`` (the population by age band),
        ``"practitioners"`` (a practitioner table), ``"practitioner_ages"`` (its ages)."""
        needs = set()
        if self.needs_ages:
            needs.add("ages")
        if self.needs_practitioner_ages:
            needs.add("practitioner_ages")
        if self.per_practitioner or self.needs_practitioner_ages:
            needs.add("practitioners")
        return frozenset(needs)

    def named_communes(self) -> tuple[str, ...]:
        """Communes the change names (each must be in the travel times)."""
        return ()

    def apply_decay(self, decay: Decay) -> Decay:
        """The decay of a scenario with this change, from the baseline's."""
        return decay

    def apply_ages(self, state: DemandState) -> None:
        """Edit the population by age band or the band weights of one scenario."""

    def apply_demand(self, state: DemandState) -> None:
        """Edit the demand and population of one scenario (after :meth:`apply_ages`)."""

    def apply_activity(
        self, activity: np.ndarray, practitioners: Practitioners, codes: pd.Index
    ) -> None:
        """Edit the activity of each practitioner row, in place."""

    def apply_rows(
        self, keep: np.ndarray, ages: np.ndarray, practitioners: Practitioners
    ) -> np.ndarray:
        """Drop practitioner rows from ``keep`` (in place); return the ages after the change."""
        return ages

    def apply_supply(self, supply: np.ndarray, context: CommuneSupply) -> None:
        """Edit one scenario's counted supply per commune, in place."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (``{"change": class name, **fields}``)."""
        out: dict[str, Any] = {"change": type(self).__name__}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = _jsonable(getattr(self, f.name))
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decay):
        return {
            "decay": value.kind,
            "params": list(value.params),
            "closed": value.closed,
            "name": value.name,
        }
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


# ------------------------------------------------------------------------------- supply
@dataclass(frozen=True)
class ScaleActivity(Change):
    """Multiply the recorded activity of practitioners (before the counting rules).

    Parameters
    ----------
    factor
        Non-negative multiplier.
    communes
        Only the rows practising in these communes (all by default).
    """

    factor: float
    communes: tuple[str, ...] | None = None
    target: ClassVar[str] = "supply"
    per_practitioner: ClassVar[bool] = True

    edits_activity: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", _finite(self.factor, "ScaleActivity.factor"))
        object.__setattr__(self, "communes", _codes(self.communes))

    def named_communes(self) -> tuple[str, ...]:
        return self.communes or ()

    def apply_activity(
        self, activity: np.ndarray, practitioners: Practitioners, codes: pd.Index
    ) -> None:
        if self.communes is None:
            activity *= self.factor
        else:
            rows = np.isin(practitioners.commune, codes.get_indexer(list(self.communes)))
            activity[rows] *= self.factor


@dataclass(frozen=True)
class RetireAbove(Change):
    """Practitioners ``years`` from now: everyone is ``years`` older, those above ``age`` retire.

    The age variant of the baseline (e.g. GPs aged 65 or less) then applies to the aged table.
    """

    age: float
    years: float = 0.0
    target: ClassVar[str] = "supply"
    per_practitioner: ClassVar[bool] = True
    needs_practitioner_ages: ClassVar[bool] = True
    drops_rows: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "age", _finite(self.age, "RetireAbove.age", positive=True))
        object.__setattr__(self, "years", _finite(self.years, "RetireAbove.years"))

    def apply_rows(
        self, keep: np.ndarray, ages: np.ndarray, practitioners: Practitioners
    ) -> np.ndarray:
        ages = ages + self.years
        keep &= ~(ages > self.age)
        return ages


@dataclass(frozen=True)
class RemovePractitioners(Change):
    """Remove practitioners (every site) by ``practitioner_id``."""

    ids: tuple[str, ...]
    target: ClassVar[str] = "supply"
    per_practitioner: ClassVar[bool] = True
    drops_rows: ClassVar[bool] = True

    def __post_init__(self) -> None:
        ids = (self.ids,) if isinstance(self.ids, str) else self.ids
        object.__setattr__(self, "ids", tuple(str(i) for i in ids))

    def apply_rows(
        self, keep: np.ndarray, ages: np.ndarray, practitioners: Practitioners
    ) -> np.ndarray:
        keep &= ~np.isin(practitioners.ids[practitioners.gp], list(self.ids))
        return ages


@dataclass(frozen=True)
class ActivityNoise(Change):
    """Year-to-year variation of each practitioner's activity (random, reproducible).

    Each practitioner's recorded activity (all sites) is multiplied by a log-normal factor of
    mean 1 and coefficient of variation ``cv``, ``exp(sigma · z - sigma² / 2)`` with
    ``sigma² = log(1 + cv²)``; then the counting rules apply. The normal ``z`` of practitioner
    ``i`` (position of its id among the sorted distinct ids) is a pure function of ``(seed,
    draw, i)``: a counter-based generator (SplitMix64 and a ziggurat, see
    :mod:`aplcore.kernels.random`) computes it inside the counting kernel, so the values do not
    depend on how draws are grouped in blocks, on the number of threads or on Dask.
    """

    cv: float
    seed: int
    draw: int = 0
    target: ClassVar[str] = "supply"
    per_practitioner: ClassVar[bool] = True
    edits_activity: ClassVar[bool] = True
    random_activity: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "cv", _finite(self.cv, "ActivityNoise.cv"))
        for name in ("seed", "draw"):
            value = getattr(self, name)
            if int(value) != value or not 0 <= int(value) < 2**64:
                msg = f"ActivityNoise.{name} must be a whole number in [0, 2**64), found {value!r}."
                raise ParameterError(msg)
            object.__setattr__(self, name, int(value))

    @property
    def sigma(self) -> float:
        """Standard deviation of the logarithm of the factors."""
        return math.sqrt(math.log1p(self.cv * self.cv))  # the C library's, as the kernels

    @property
    def shift(self) -> float:
        """Mean of the logarithm of the factors (``-sigma² / 2``: factors of mean 1)."""
        return -0.5 * self.sigma**2

    @property
    def key(self) -> np.uint64:
        """The key of this draw's stream (:func:`aplcore.kernels.random.draw_key`)."""
        from ..kernels.random import draw_keys  # lazy: numba

        return draw_keys(np.array([self.seed], np.uint64), np.array([self.draw], np.uint64))[0]

    def factors(self, n_practitioners: int) -> np.ndarray:
        """The multiplier of each practitioner (the values the counting kernel uses)."""
        from ..kernels.random import lognormal_factors  # lazy: numba

        if self.sigma == 0.0:
            return np.ones(n_practitioners)
        return lognormal_factors(self.key, int(n_practitioners), self.sigma, self.shift)

    def apply_activity(
        self, activity: np.ndarray, practitioners: Practitioners, codes: pd.Index
    ) -> None:
        activity *= self.factors(practitioners.n_gp)[practitioners.gp]


@dataclass(frozen=True)
class AddPractitioners(Change):
    """Add ``count`` practitioners practising in ``commune``.

    ``activity=None`` adds new installations (counted at the rules' imputed activity, 5 400 for
    GPs); a number is a recorded yearly activity, counted through the rules' bounds.
    """

    commune: str
    count: int = 1
    activity: float | None = None
    target: ClassVar[str] = "supply"

    def __post_init__(self) -> None:
        codes = _codes(self.commune)
        assert codes is not None
        object.__setattr__(self, "commune", codes[0])
        if int(self.count) != self.count:
            msg = f"AddPractitioners.count must be a whole number, found {self.count!r}."
            raise ParameterError(msg)
        object.__setattr__(self, "count", int(self.count))
        if self.activity is not None:
            object.__setattr__(
                self, "activity", _finite(self.activity, "AddPractitioners.activity")
            )

    def named_communes(self) -> tuple[str, ...]:
        return (self.commune,)

    def apply_supply(self, supply: np.ndarray, context: CommuneSupply) -> None:
        j = context.codes.get_loc(self.commune)
        supply[j] += self.count * context.counted_new(self.activity)


@dataclass(frozen=True)
class AddSupply(Change):
    """Add counted supply per practice commune (negative amounts remove it, down to 0)."""

    amounts: Mapping[str, float]
    target: ClassVar[str] = "supply"

    def __post_init__(self) -> None:
        codes = _codes(list(self.amounts))
        values = [float(v) for v in self.amounts.values()]
        if not all(np.isfinite(values)):
            msg = f"AddSupply amounts must be finite, found {describe_values(values)}."
            raise ParameterError(msg)
        object.__setattr__(self, "amounts", dict(zip(codes or (), values, strict=True)))

    def __hash__(self) -> int:
        return hash(tuple(self.amounts.items()))

    def named_communes(self) -> tuple[str, ...]:
        return tuple(self.amounts)

    def apply_supply(self, supply: np.ndarray, context: CommuneSupply) -> None:
        positions = context.codes.get_indexer(list(self.amounts))
        supply[positions] += np.fromiter(self.amounts.values(), float, len(self.amounts))
        np.maximum(supply, 0.0, out=supply)


@dataclass(frozen=True)
class ScaleSupply(Change):
    """Multiply the counted supply (of some communes, or all)."""

    factor: float
    communes: tuple[str, ...] | None = None
    target: ClassVar[str] = "supply"

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", _finite(self.factor, "ScaleSupply.factor"))
        object.__setattr__(self, "communes", _codes(self.communes))

    def named_communes(self) -> tuple[str, ...]:
        return self.communes or ()

    def apply_supply(self, supply: np.ndarray, context: CommuneSupply) -> None:
        supply[commune_mask(context.codes, self.communes)] *= self.factor


@dataclass(frozen=True)
class NewInstallations(Change):
    """A random number of new installations (Poisson of mean ``expected``), reproducible.

    Each new practitioner is counted at the rules' imputed activity and placed in a practice
    commune drawn with probability proportional to the baseline supply (where practitioners
    already work), from ``numpy.random.default_rng([seed, draw, 1])``.
    """

    expected: float
    seed: int
    draw: int = 0
    target: ClassVar[str] = "supply"

    def __post_init__(self) -> None:
        object.__setattr__(self, "expected", _finite(self.expected, "NewInstallations.expected"))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "draw", int(self.draw))

    def counts(self, weights: np.ndarray) -> np.ndarray:
        """Number of new practitioners per commune, given the placement weights."""
        rng = np.random.default_rng([self.seed, self.draw, 1])
        total = rng.poisson(self.expected)
        p = weights / weights.sum()
        return rng.multinomial(total, p).astype(np.float64)

    def apply_supply(self, supply: np.ndarray, context: CommuneSupply) -> None:
        base = context.baseline
        weights = base if base.sum() > 0 else np.ones(len(context.codes))
        supply += self.counts(weights) * context.counted_new(None)


# ------------------------------------------------------------------------------- demand
@dataclass(frozen=True)
class ProjectPopulation(Change):
    """Multiply the population of each age band (a projection).

    ``factors``: a mapping band → factor (the same everywhere), or a DataFrame indexed by commune
    code with one column per band (communes absent keep their population).
    """

    factors: Mapping[str, float] | pd.DataFrame
    target: ClassVar[str] = "demand"
    needs_ages: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if isinstance(self.factors, pd.DataFrame):
            columns = [str(c) for c in self.factors.columns]
            values = self.factors.to_numpy(dtype=np.float64)
        else:
            columns = [str(k) for k in self.factors]
            values = np.asarray(list(self.factors.values()), dtype=np.float64)
        unknown = [c for c in columns if c not in AGE_BANDS]
        if unknown:
            msg = (
                f"ProjectPopulation: unknown age bands {describe_values(unknown)}; bands are "
                f"{list(AGE_BANDS)}."
            )
            raise ParameterError(msg)
        if bad_non_negative(values).any():
            msg = "ProjectPopulation factors must be finite and non-negative."
            raise ParameterError(msg)
        if not isinstance(self.factors, pd.DataFrame):
            object.__setattr__(self, "factors", {str(k): float(v) for k, v in self.factors.items()})

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProjectPopulation) and self.to_dict() == other.to_dict()

    def to_dict(self) -> dict[str, Any]:
        if isinstance(self.factors, pd.DataFrame):
            table = {str(c): self.factors[c].astype(float).to_dict() for c in self.factors}
            return {"change": "ProjectPopulation", "factors_by_commune": table}
        return super().to_dict()

    def apply_ages(self, state: DemandState) -> None:
        assert state.ages is not None  # checked by requires()
        state.ages *= self.band_factors(state.codes)

    def band_factors(self, codes: pd.Index) -> np.ndarray:
        """Factor of each age band (19), or of each commune of ``codes`` and band."""
        if not isinstance(self.factors, pd.DataFrame):
            return np.array([self.factors.get(band, 1.0) for band in AGE_BANDS])
        out = np.ones((len(codes), len(AGE_BANDS)))
        frame = self.factors.rename(columns=str)
        positions = positions_in(codes, pd.Index(frame.index.astype(str)), what="projection")
        for b, band in enumerate(AGE_BANDS):
            if band in frame.columns:
                out[positions, b] = frame[band].to_numpy(dtype=np.float64)
        return out


@dataclass(frozen=True)
class WeightsVintage(Change):
    """Other age-band weights: a preset name (``"drees_gp_2022"``) or 19 weights."""

    weights: str | tuple[float, ...]
    target: ClassVar[str] = "demand"
    needs_ages: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not isinstance(self.weights, str):
            object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))
        band_weights(self.weights if isinstance(self.weights, str) else list(self.weights))

    def apply_ages(self, state: DemandState) -> None:
        weights = self.weights if isinstance(self.weights, str) else list(self.weights)
        state.weights = band_weights(weights).to_numpy()


@dataclass(frozen=True)
class ScaleDemand(Change):
    """Multiply the standardised population (and the population) of some communes, or all."""

    factor: float
    communes: tuple[str, ...] | None = None
    target: ClassVar[str] = "demand"

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", _finite(self.factor, "ScaleDemand.factor"))
        object.__setattr__(self, "communes", _codes(self.communes))

    def named_communes(self) -> tuple[str, ...]:
        return self.communes or ()

    def apply_demand(self, state: DemandState) -> None:
        mask = commune_mask(state.codes, self.communes)
        state.demand[mask] *= self.factor
        state.population[mask] *= self.factor


# ------------------------------------------------------------------------------- others
@dataclass(frozen=True)
class DecayChange(Change):
    """Another decay (a registered name or a :class:`aplcore.Decay`) and/or band-edge convention."""

    decay: str | Decay | None = None
    closed: Closed | None = None
    target: ClassVar[str] = "decay"

    def __post_init__(self) -> None:
        if self.decay is not None:
            get_decay(self.decay)
        if self.closed is not None and self.closed not in CONVENTIONS:
            msg = (
                f"DecayChange.closed must be one of {', '.join(map(repr, CONVENTIONS))}, "
                f"found {self.closed!r}."
            )
            raise ParameterError(msg)

    def apply_decay(self, decay: Decay) -> Decay:
        decay = get_decay(self.decay) if self.decay is not None else decay
        return decay.with_closed(self.closed) if self.closed is not None else decay


@dataclass(frozen=True)
class AgeLimit(Change):
    """The practitioner age variant: keep those aged ``max_age`` or less (None: all)."""

    max_age: int | None
    target: ClassVar[str] = "age"
    needs_practitioner_ages: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.max_age is not None:
            object.__setattr__(
                self, "max_age", int(_finite(self.max_age, "AgeLimit.max_age", positive=True))
            )


@dataclass(frozen=True)
class ZoningChange(Change):
    """Other zoning thresholds, regional caps or margin (None keeps the baseline's)."""

    thresholds: tuple[float, ...] | None = None
    caps: Mapping[str, float] | None = None
    margin: float | None = None
    target: ClassVar[str] = "zoning"

    def __post_init__(self) -> None:
        if self.thresholds is not None:
            object.__setattr__(self, "thresholds", tuple(float(t) for t in self.thresholds))
        if self.caps is not None:
            object.__setattr__(self, "caps", {str(k): float(v) for k, v in self.caps.items()})

    def __hash__(self) -> int:
        caps = tuple(sorted(self.caps.items())) if self.caps is not None else None
        return hash((self.thresholds, caps, self.margin))


CHANGES: dict[str, type[Change]] = {
    cls.__name__: cls
    for cls in (
        ScaleActivity,
        RetireAbove,
        RemovePractitioners,
        ActivityNoise,
        AddPractitioners,
        AddSupply,
        ScaleSupply,
        NewInstallations,
        ProjectPopulation,
        WeightsVintage,
        ScaleDemand,
        DecayChange,
        AgeLimit,
        ZoningChange,
    )
}
