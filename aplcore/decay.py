"""Distance decays: named, parameterised weight functions of the travel time.

A :class:`Decay` is a frozen description (a kind and its parameters) that the kernels evaluate
natively; there is no Python callable per pair. Named decays live in a registry:

=====================  ==========================================================================
name                   definition
=====================  ==========================================================================
``drees_gp``           DREES GP APL since 2015 (official): 1 under 10 min, 2/3 from 10 to 15,
                       1/3 from 15 to 20, 0 beyond.
``drees_2010``         APL 2010/2013 (reported): 1 under 5 min, 0.3 from 5 to 10, 0.1 from 10 to
                       15, 0 beyond.
``drees_specialists``  Specialists 2010/2013 (reported edges 15/30/45 min; weights 1, 2/3, 1/3
                       by analogy with the GP decay: an assumption, keep it a parameter).
``medico_social``      Binary 60-minute catchment (medico-social APL, EHPA/USLD).
``binary_20``          Binary 20-minute catchment (plain 2SFCA).
``binary_30``          Binary 30-minute catchment.
=====================  ==========================================================================

**Band edges.** The official wording ("under 10 min", "10 to 15 min", ...) leaves edges open. The
default here is ``closed="left"``: bands are ``[0, 10)``, ``[10, 15)``, ``[15, 20)``, so a pair at
exactly 10 minutes weighs 2/3, at 15 minutes 1/3 and at 20 minutes 0. ``closed="right"`` gives
``[0, 10]``, ``(10, 15]``, ``(15, 20]``: 1 at 10 minutes, 2/3 at 15, 1/3 at 20. Neither
matches the official sheet's wording at both ends ("Moins de 10 minutes" → 1, "Entre 10 et 15"
→ 2/3, "Entre 15 et 20" → 1/3, "Plus de 20 minutes" → 0): ``closed="literal"`` reads it
literally, ``[0, 10)``, ``[10, 15]``, ``(15, 20]``: 10 minutes weighs 2/3 (not "moins de 10"),
15 minutes 2/3 (the first band that names it), 20 minutes 1/3 (not "plus de 20"). In general the
first edge is left-closed and the others right-closed. For continuous decays the convention
decides whether the cut-off itself is in the catchment (``"literal"`` as ``"right"``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from ._checks import check_positive_option
from .errors import ParameterError

__all__ = [
    "Decay",
    "available_decays",
    "exponential_decay",
    "gaussian_decay",
    "get_decay",
    "linear_decay",
    "power_decay",
    "register_decay",
    "step_decay",
]

Closed = Literal["left", "right", "literal"]

#: The band-edge conventions: what each one gives at exactly 10, 15 and 20 minutes with the GP
#: decay (weights 1, 2/3, 1/3, 0).
CONVENTIONS = {
    "left": "bands [a, b): 10 min → 2/3, 15 min → 1/3, 20 min → 0",
    "right": "bands (a, b]: 10 min → 1, 15 min → 2/3, 20 min → 1/3",
    "literal": "the sheet's wording: < 10 → 1, 10–15 → 2/3, 15–20 → 1/3, > 20 → 0 (10 min → 2/3, "
    "15 min → 2/3, 20 min → 1/3)",
}

#: How each convention writes its bands, for reports and command output.
BAND_NOTATION = {"left": "[a, b)", "right": "(a, b]", "literal": "[0, a), then (a, b]"}

# Kind ids shared with aplcore.kernels.decay (kept literal here so that importing this module does
# not import Numba).
_KIND_IDS = {"step": 0, "linear": 1, "exponential": 2, "gaussian": 3, "power": 4}


@dataclass(frozen=True)
class Decay:
    """A distance-decay function of the travel time, evaluated by the kernels.

    Use the constructors :func:`step_decay`, :func:`linear_decay`, :func:`exponential_decay`,
    :func:`gaussian_decay`, :func:`power_decay`, or a registered name with :func:`get_decay`.

    Attributes
    ----------
    kind
        One of ``"step"``, ``"linear"``, ``"exponential"``, ``"gaussian"``, ``"power"``.
    params
        Kind-specific parameters (see the constructors).
    closed
        Band-edge convention, ``"left"`` (``[a, b)``, the default), ``"right"`` (``(a, b]``) or
        ``"literal"`` (first band ``[0, a)``, the others ``(a, b]``: the official sheet's words).
    name
        A label for reports.
    allow_rising
        Step weights that rise with the travel time are accepted (otherwise refused).

    Every way to build a decay validates it here: edges positive and increasing, as many
    weights as edges, weights in ``[0, 1]`` and non-increasing, positive cut-offs and scales.
    """

    kind: str
    params: tuple[float, ...]
    closed: Closed = "left"
    name: str = field(default="custom", compare=False)
    allow_rising: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in _KIND_IDS:
            msg = f"decay kind must be one of {sorted(_KIND_IDS)}, found {self.kind!r}."
            raise ParameterError(msg)
        if self.closed not in CONVENTIONS:
            msg = (
                f"closed must be 'left' or 'right' (or 'literal', the official sheet's wording), "
                f"found {self.closed!r}."
            )
            raise ParameterError(msg)
        try:
            params = tuple(float(p) for p in self.params)
        except (TypeError, ValueError):
            msg = f"decay parameters must be numbers, found {self.params!r}."
            raise ParameterError(msg) from None
        if not all(math.isfinite(p) for p in params):
            msg = f"decay parameters must be finite, found {self.params}."
            raise ParameterError(msg)
        object.__setattr__(self, "params", params)
        if self.kind == "step":
            _check_steps(params, allow_rising=self.allow_rising)
            return
        names = PARAMETERS[self.kind]
        if len(params) != len(names):
            msg = (
                f"a decay of kind {self.kind!r} has {len(names)} parameters "
                f"({', '.join(names)}), found {len(params)}: {list(params)}."
            )
            raise ParameterError(msg)
        for name, value in zip(names, params, strict=True):
            check_positive_option(value, name=name)

    @property
    def kind_id(self) -> int:
        """Integer id of the kind, as the kernels know it."""
        return _KIND_IDS[self.kind]

    @property
    def kernel_params(self) -> np.ndarray:
        """The float64 parameter vector passed to the kernels."""
        closed = 0.0 if self.closed == "left" else 1.0
        if self.kind == "step":
            edges, weights = self.steps
            if self.closed == "literal" and edges:
                # right-closed bands whose first edge is the float just under it: t <= that
                # float is exactly t < edge, so the first band is [0, edge) and the others (a, b]
                edges = (float(np.nextafter(edges[0], -np.inf)), *edges[1:])
            return np.array([closed, len(edges), *edges, *weights, 0.0], dtype=np.float64)
        return np.array([closed, *self.params], dtype=np.float64)

    @property
    def steps(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """``(edges, weights)`` of a step decay."""
        if self.kind != "step":
            msg = f"only step decays have steps; this one is {self.kind!r}."
            raise ParameterError(msg)
        m = len(self.params) // 2
        return self.params[:m], self.params[m:]

    @property
    def cutoff(self) -> float:
        """The largest travel time that can have a positive weight (minutes)."""
        if self.kind == "step":
            edges, weights = self.steps
            positive = [e for e, w in zip(edges, weights, strict=True) if w > 0]
            return max(positive) if positive else 0.0
        return self.params[0]

    def with_closed(self, closed: Closed) -> Decay:
        """The same decay with another band-edge convention."""
        return replace(self, closed=closed)

    def __call__(self, minutes: np.ndarray | float) -> np.ndarray:
        """Weights for an array of travel times (evaluated by the kernel)."""
        from .kernels.weights import evaluate  # lazy: numba

        times = np.ascontiguousarray(minutes, dtype=np.float64)
        return evaluate(times.ravel(), self.kind_id, self.kernel_params).reshape(times.shape)


def step_decay(
    edges: tuple[float, ...] | list[float],
    weights: tuple[float, ...] | list[float],
    *,
    closed: Closed = "left",
    name: str = "step",
    allow_rising: bool = False,
) -> Decay:
    """A step decay: weight ``weights[k]`` on the band ending at ``edges[k]``, 0 beyond the last.

    Parameters
    ----------
    edges
        Increasing band upper edges in minutes (the first band starts at 0).
    weights
        One weight per band, in ``[0, 1]``, non-increasing (a farther band weighs no more).
    closed
        ``"left"``: bands ``[a, b)``; ``"right"``: bands ``(a, b]``.
    name
        Label for reports.
    allow_rising
        Accept weights that rise with the travel time (a band of weight 0 before a farther
        band of positive weight, for instance): say so when it is meant.

    Examples
    --------
    The DREES decay for GPs: weight 1 under 10 minutes, 2/3 from 10 to 15, 1/3 from 15 to 20:

    >>> import aplcore
    >>> decay = aplcore.step_decay([10, 15, 20], [1, 2 / 3, 1 / 3])
    >>> decay.closed
    'left'
    """
    e = tuple(float(x) for x in edges)
    w = tuple(float(x) for x in weights)
    _check_counts(len(e), len(w))
    return Decay("step", (*e, *w), closed, name, allow_rising)


def _check_counts(n_edges: int, n_weights: int) -> None:
    if n_edges == 0 or n_edges != n_weights:
        msg = (
            f"a step decay needs as many weights as edges (at least one), found {n_edges} edges "
            f"and {n_weights} weights."
        )
        raise ParameterError(msg)


def _check_steps(params: tuple[float, ...], *, allow_rising: bool) -> None:
    """Edges positive and increasing; weights in [0, 1], non-increasing unless allowed."""
    if len(params) % 2:
        msg = (
            f"a step decay's parameters are its edges then as many weights, found an odd count "
            f"({len(params)}): {list(params)}."
        )
        raise ParameterError(msg)
    m = len(params) // 2
    e, w = params[:m], params[m:]
    _check_counts(len(e), len(w))
    if any(b <= a for a, b in itertools.pairwise(e)) or e[0] <= 0:
        msg = f"step edges must be positive and strictly increasing, found {list(e)}."
        raise ParameterError(msg)
    if any(x < 0 for x in w):
        msg = f"step weights must be non-negative, found {list(w)}."
        raise ParameterError(msg)
    if any(x > 1 for x in w):
        msg = (
            f"step weights lie in [0, 1] (1: full weight), found {list(w)}. Divide them by the "
            "largest (percentages: by 100)."
        )
        raise ParameterError(msg)
    rising = [(e[k + 1], w[k], w[k + 1]) for k in range(m - 1) if w[k + 1] > w[k]]
    if rising and not allow_rising:
        where, before, after = rising[0]
        msg = (
            f"step weights must not increase with the travel time (a farther practice weighs no "
            f"more than a nearer one), found {list(w)}: {after:g} after {before:g} on the band "
            f"ending at {where:g} min. Are the weights in reverse order?"
        )
        fix = "If the rise is meant, say so with {param}."
        raise ParameterError(msg, fix=fix, param="allow_rising", value=True)


#: The parameters of each continuous decay, in the order of ``Decay.params``.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "linear": ("cutoff",),
    "exponential": ("cutoff", "beta"),
    "gaussian": ("cutoff", "sigma"),
    "power": ("cutoff", "beta", "t0"),
}


def linear_decay(cutoff: float, *, closed: Closed = "left", name: str = "linear") -> Decay:
    """``1 - t / cutoff`` up to ``cutoff`` minutes, 0 beyond."""
    return Decay("linear", (check_positive_option(cutoff, name="cutoff"),), closed, name)


def exponential_decay(
    beta: float, cutoff: float, *, closed: Closed = "left", name: str = "exponential"
) -> Decay:
    """``exp(-beta t)`` up to ``cutoff`` minutes, 0 beyond."""
    return Decay(
        "exponential",
        (check_positive_option(cutoff, name="cutoff"), check_positive_option(beta, name="beta")),
        closed,
        name,
    )


def gaussian_decay(
    sigma: float, cutoff: float, *, closed: Closed = "left", name: str = "gaussian"
) -> Decay:
    """``exp(-t² / (2 sigma²))`` up to ``cutoff`` minutes, 0 beyond."""
    return Decay(
        "gaussian",
        (check_positive_option(cutoff, name="cutoff"), check_positive_option(sigma, name="sigma")),
        closed,
        name,
    )


def power_decay(
    beta: float,
    cutoff: float,
    *,
    t0: float = 1.0,
    closed: Closed = "left",
    name: str = "power",
) -> Decay:
    """``(t / t0) ** -beta`` for ``t > t0`` (1 below ``t0``) up to ``cutoff`` minutes, 0 beyond."""
    return Decay(
        "power",
        (
            check_positive_option(cutoff, name="cutoff"),
            check_positive_option(beta, name="beta"),
            check_positive_option(t0, name="t0"),
        ),
        closed,
        name,
    )


_REGISTRY: dict[str, Decay] = {
    "drees_gp": step_decay((10, 15, 20), (1.0, 2.0 / 3.0, 1.0 / 3.0), name="drees_gp"),
    "drees_2010": step_decay((5, 10, 15), (1.0, 0.3, 0.1), name="drees_2010"),
    "drees_specialists": step_decay(
        (15, 30, 45), (1.0, 2.0 / 3.0, 1.0 / 3.0), name="drees_specialists"
    ),
    "medico_social": step_decay((60,), (1.0,), closed="right", name="medico_social"),
    "binary_20": step_decay((20,), (1.0,), name="binary_20"),
    "binary_30": step_decay((30,), (1.0,), name="binary_30"),
}


def register_decay(name: str, decay: Decay, *, overwrite: bool = False) -> None:
    """Register a decay under a name usable wherever a decay is expected."""
    if name in _REGISTRY and not overwrite:
        msg = f"a decay named {name!r} is already registered; pass overwrite=True to replace it."
        raise ParameterError(msg)
    _REGISTRY[name] = replace(decay, name=name)


def available_decays() -> list[str]:
    """Names of the registered decays."""
    return sorted(_REGISTRY)


def get_decay(decay: str | Decay, *, closed: Closed | None = None) -> Decay:
    """Resolve a decay name (or pass a :class:`Decay` through), optionally changing its edges.

    Parameters
    ----------
    decay
        A registered name or a :class:`Decay`.
    closed
        Override of the band-edge convention.
    """
    if isinstance(decay, Decay):
        resolved = decay
    elif isinstance(decay, str) and decay in _REGISTRY:
        resolved = _REGISTRY[decay]
    else:
        msg = (
            f"unknown decay {decay!r}; registered decays are {available_decays()}. Build a custom "
            "one with aplcore.step_decay(...) or another constructor."
        )
        raise ParameterError(msg)
    return resolved.with_closed(closed) if closed is not None else resolved
