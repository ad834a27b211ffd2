"""The data the app's tests run on: the bundled demo of one département (Indre), computed once."""

from __future__ import annotations

import functools

import pandas as pd

from aplcore import study_area
from aplcore.app import SessionSettings, demo_inputs


@functools.lru_cache(maxsize=1)
def indre() -> tuple[pd.DataFrame, SessionSettings]:
    """Inputs and settings of the demo on Indre (241 communes, 15 EPCI as territories)."""
    return demo_inputs(study_area(departement="36"))
