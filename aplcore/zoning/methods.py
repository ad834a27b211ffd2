"""Zoning methods: objects that classify territories through one small interface.

The interface lives in :mod:`aplcore.zoning.method`, the methods that ship and their presets in
:mod:`aplcore.zoning.presets`; this module gathers both (its former home).

Every method derives from :class:`ZoningMethod` and answers the same questions, so that
:func:`aplcore.zoning.classify_zones` never asks which kind of method it holds:

* ``zones`` — zone labels, most priority first (the last one is the residual zone), and
  ``regional_zones`` — optional regional categories an agency may assign (``ZAR``), never
  computed and never capped;
* ``tiers(apl)`` — the best zone each APL is eligible for (the thresholds);
* ``fill_order(apl, population)`` — the order territories are considered in;
* ``caps(...)`` — resolved caps and the constraints the fill keeps (none for uncapped methods);
* ``classify(inputs)`` — zone index and how it was chosen, per territory;
* ``checks(state)`` — the rules of the method an agency's choices may break (rows of
  :attr:`Zoning.checks`, built by :func:`aplcore.zoning.checks.check_row`).

Three families ship: :class:`CappedMethod` (GP zonings ``zonage_2017`` and ``zonage_2025``),
:class:`ShareMethod` (five levels cut by cumulative population share, spec §7) and
:class:`ThresholdMethod` (plain APL thresholds). A new method is one class in one module that
subclasses :class:`ZoningMethod` (usually a frozen dataclass) and, to be reachable by name,
:func:`register_method`. Every number is a field; presets are ordinary instances that
:func:`get_method` can copy with changed fields (``get_method("zonage_2025", thresholds=(2.6,
4.0))``).
"""

from __future__ import annotations

from ..io.national import ASSUMED_LEVEL_CODES as ASSUMED_LEVEL_CODES
from ..io.national import KNOWN_LEVEL_CODES as KNOWN_LEVEL_CODES
from ..io.national import accepted_level_codes as accepted_level_codes
from .method import (
    DEFAULT_LEVEL_CODES,
    TerritoryInputs,
    ZoningMethod,
    ZoningState,
)
from .method import FIVE_LEVELS as FIVE_LEVELS
from .method import SHARE_SUM_TOLERANCE as SHARE_SUM_TOLERANCE
from .presets import (
    METHOD_PRESETS,
    CappedMethod,
    ShareMethod,
    ThresholdMethod,
    get_method,
    register_method,
)

__all__ = [
    "ASSUMED_LEVEL_CODES",
    "DEFAULT_LEVEL_CODES",
    "METHOD_PRESETS",
    "CappedMethod",
    "ShareMethod",
    "TerritoryInputs",
    "ThresholdMethod",
    "ZoningMethod",
    "ZoningState",
    "accepted_level_codes",
    "get_method",
    "register_method",
]
