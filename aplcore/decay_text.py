"""Decays written as text: a registered name (``drees_gp``) or a family with its parameters in
minutes (``linear:30``, ``exponential:0.1,30``, ``step:10,15,20:1,0.67,0.33``).

The form the command line (``--decay``) and scenario specification files share. Only the
standard library is imported at module level, so that building a parser stays instant.
"""

from __future__ import annotations

import math
from typing import Any

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
    from .errors import ParameterError  # cli startup

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
    try:
        groups = [[float(x) for x in part.split(",") if x.strip()] for part in rest.split(":")]
    except ValueError:
        groups = []
    expected = {"linear": (1,), "exponential": (2,), "gaussian": (2,), "power": (2, 3)}
    shape_ok = (
        len(groups) == 2 and len(groups[0]) == len(groups[1]) > 0
        if kind == "step"
        else len(groups) == 1 and len(groups[0]) in expected[kind]
    )
    if not shape_ok or any(not math.isfinite(v) for g in groups for v in g):
        msg = f"decay {spec!r}: expected {DECAY_FAMILIES[kind]} (numbers, minutes)."
        raise ParameterError(msg)
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
