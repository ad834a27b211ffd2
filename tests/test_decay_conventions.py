"""The band-edge conventions of the step decays, at exactly 10, 15 and 20 minutes."""

from __future__ import annotations

import numpy as np
import pytest

import aplcore
from aplcore.decay import CONVENTIONS

EDGES = np.array([0.0, 9.5, 10.0, 12.0, 15.0, 17.0, 20.0, 20.5])


@pytest.mark.parametrize(
    ("closed", "expected"),
    [
        ("left", [1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0, 0]),
        ("right", [1, 1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0]),
        # DREES APL MG workbook, sheet "Paramètres", "Décroissance de l'accessibilité avec la
        # distance" (data/raw/drees_apl_mg_2022_2023): "Moins de 10 minutes" -> 1,
        # "Entre 10 et 15" -> 2/3, "Entre 15 et 20" -> 1/3, "Plus de 20 minutes" -> 0. Literally:
        # 10 minutes is not "moins de 10" (2/3) and 20 minutes is not "plus de 20" (1/3); 15
        # minutes takes the first band that names it (2/3).
        ("literal", [1, 1, 2 / 3, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0]),
    ],
)
def test_gp_decay_at_the_band_edges(closed, expected):
    decay = aplcore.get_decay("drees_gp", closed=closed)
    assert decay(EDGES) == pytest.approx(np.array(expected), abs=0)
    assert closed in CONVENTIONS


def test_literal_matches_a_plain_reading_of_the_sheet():
    rng = np.random.default_rng(0)
    times = np.concatenate([rng.uniform(0, 30, 500), np.arange(0, 31, 0.5)])
    plain = np.where(
        times < 10,
        1.0,
        np.where(times <= 15, 2 / 3, np.where(times <= 20, 1 / 3, 0.0)),
    )
    got = aplcore.get_decay("drees_gp", closed="literal")(times)
    assert np.array_equal(got, plain)


def test_literal_on_continuous_decays_keeps_the_cut_off():
    linear = aplcore.linear_decay(30.0, closed="literal")
    assert (
        linear(np.array([30.0]))[0]
        == aplcore.linear_decay(30.0, closed="right")(np.array([30.0]))[0]
    )


def test_unknown_convention():
    with pytest.raises(ValueError, match=r"closed must be 'left' or 'right' \(or 'literal'"):
        aplcore.get_decay("drees_gp", closed="both")
