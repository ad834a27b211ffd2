"""Decays written as text: a registered name (``drees_gp``) or a family with its parameters in
minutes (``linear:30``, ``exponential:0.1,30``, ``step:10,15,20:1,0.67,0.33``).

The form the command line (``--decay``) and scenario specification files share. Only the
standard library is imported at module level, so that building a parser stays instant.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ParameterError

__all__ = ["DECAY_FAMILIES", "decay_from_text"]

#: Parameters of each decay family after ``KIND:``, as ``aplcore.decay`` names them.
DECAY_FAMILIES = {
    "linear": "linear:CUTOFF",
    "exponential": "exponential:BETA,CUTOFF",
    "gaussian": "gaussian:SIGMA,CUTOFF",
    "power": "power:BETA,CUTOFF[,T0]",
    "step": "step:EDGE,EDGE,...:WEIGHT,WEIGHT,...",
}


def decay_from_text(spec: str, *, closed: str | None = None) -> Any:
    """The :class:`aplcore.Decay` written as ``spec`` (and band edges ``closed`` when given).

    Parameters
    ----------
    spec
        A registered decay name, or ``FAMILY:PARAMETERS`` (see :data:`DECAY_FAMILIES`).
    closed
        Band-edge convention of a step decay (``"left"``, ``"right"``, ``"literal"``);
        ``None`` keeps the decay's own.

    Raises
    ------
    ParameterError
        Unknown name or family, or parameters that are not numbers.

    Examples
    --------
    >>> decay_from_text("linear:30").kind
    'linear'
    """

    from .decay import (  # cli startup
        available_decays,
        exponential_decay,
        gaussian_decay,
        get_decay,
        linear_decay,
        power_decay,
        step_decay,
    )

    kind, sep, rest = spec.partition(":")
    kind = kind.strip()
    if not sep:
        if kind not in available_decays():
            msg = (
                f"decay {spec!r} is not a known decay; known: "
                f"{', '.join(available_decays())}, or a family with its parameters: "
                f"{', '.join(DECAY_FAMILIES.values())}."
            )
            raise ParameterError(msg)
        return get_decay(kind, closed=closed)  # type: ignore[arg-type]
    if kind not in DECAY_FAMILIES:
        msg = (
            f"decay {spec!r}: unknown family {kind!r}; use one of "
            f"{', '.join(DECAY_FAMILIES.values())}."
        )
        raise ParameterError(msg)
    groups = _numbers(spec, kind, rest)
    edges = {"closed": closed or "left"}
    values = groups[0]
    try:
        if kind == "linear":
            return linear_decay(values[0], name=spec, **edges)  # type: ignore[arg-type]
        if kind == "exponential":
            return exponential_decay(values[0], values[1], name=spec, **edges)  # type: ignore[arg-type]
        if kind == "gaussian":
            return gaussian_decay(values[0], values[1], name=spec, **edges)  # type: ignore[arg-type]
        if kind == "power":
            t0 = values[2] if len(values) == 3 else 1.0
            return power_decay(values[0], values[1], t0=t0, name=spec, **edges)  # type: ignore[arg-type]
        return step_decay(groups[0], groups[1], name=spec, **edges)  # type: ignore[arg-type]
    except ParameterError as exc:
        msg = f"decay {spec!r}: {exc}"
        raise ParameterError(msg) from None


#: The parameter names of each family, in the order they are written.
_NAMES = {
    "linear": ("CUTOFF",),
    "exponential": ("BETA", "CUTOFF"),
    "gaussian": ("SIGMA", "CUTOFF"),
    "power": ("BETA", "CUTOFF", "T0"),
}


def _numbers(spec: str, kind: str, rest: str) -> list[list[float]]:
    """The numbers of ``FAMILY:PARAMETERS``, each error naming the parameter that is off."""

    def fail(problem: str) -> None:
        msg = f"decay {spec!r}: {problem}; expected {DECAY_FAMILIES[kind]} (numbers, minutes)."
        raise ParameterError(msg)

    parts = rest.split(":")
    if kind == "step" and len(parts) != 2:
        fail(f"a step decay has two lists (edges, then weights), found {len(parts)}")
    if kind != "step" and len(parts) != 1:
        fail(f"found {len(parts)} groups separated by ':', expected one")
    labels = [("EDGE", "WEIGHT")] if kind == "step" else [_NAMES[kind]]
    groups: list[list[float]] = []
    for k, part in enumerate(parts):
        values = []
        for position, text in enumerate(x.strip() for x in part.split(",")):
            if kind == "step":
                name = f"{labels[0][k]} {position + 1}"
            else:
                names = labels[0]
                name = names[position] if position < len(names) else f"value {position + 1}"
            try:
                number = float(text)
            except ValueError:
                fail(f"{name} is {text!r}, not a number" if text else f"{name} is empty")
            if not math.isfinite(number):
                fail(f"{name} is {text!r}, not a finite number")
            values.append(number)
        groups.append(values)
    if kind == "step":
        if len(groups[0]) != len(groups[1]):
            fail(f"{len(groups[0])} edges but {len(groups[1])} weights (one weight per band)")
        return groups
    names = _NAMES[kind]
    n = len(groups[0])
    if n < len(names) - (kind == "power"):
        fail(f"{', '.join(names[n:])} missing")
    if n > len(names):
        fail(f"{n} numbers, at most {len(names)} ({', '.join(names)})")
    return groups
