"""Decays: band edges exactly on the limits, both conventions, continuous forms, registry."""

from __future__ import annotations

import numpy as np
import pytest
from fca_reference import drees_weights, step_weights
from hypothesis import given
from hypothesis import strategies as st

import aplcore
from aplcore.errors import ParameterError

EDGE_TIMES = np.array([0.0, 5.0, 9.999, 10.0, 10.001, 14.999, 15.0, 15.001, 19.999, 20.0, 20.001])


def test_drees_left_closed_default_at_exact_edges():
    w = aplcore.get_decay("drees_gp")(EDGE_TIMES)
    two, one = 2.0 / 3.0, 1.0 / 3.0
    expected = [1, 1, 1, two, two, two, one, one, one, 0, 0]
    np.testing.assert_array_equal(w, expected)


def test_drees_right_closed_at_exact_edges():
    w = aplcore.get_decay("drees_gp", closed="right")(EDGE_TIMES)
    two, one = 2.0 / 3.0, 1.0 / 3.0
    expected = [1, 1, 1, 1, two, two, two, one, one, one, 0]
    np.testing.assert_array_equal(w, expected)


def test_unreachable_and_invalid_times_weigh_zero():
    w = aplcore.get_decay("drees_gp")(np.array([np.inf, np.nan, -1.0]))
    np.testing.assert_array_equal(w, [0.0, 0.0, 0.0])


@given(
    st.lists(st.sampled_from([0.0, 10.0, 15.0, 20.0]) | st.floats(0, 40), min_size=1),
    st.sampled_from(["left", "right"]),
)
def test_drees_matches_reference(times, closed):
    t = np.array(times)
    np.testing.assert_array_equal(
        aplcore.get_decay("drees_gp", closed=closed)(t), drees_weights(t, closed)
    )


@given(
    st.lists(st.floats(0.5, 10), min_size=1, max_size=5, unique=True),
    st.lists(st.floats(0, 60), min_size=1, max_size=30),
    st.sampled_from(["left", "right"]),
)
def test_custom_steps_match_reference(widths, times, closed):
    edges = np.cumsum(widths)
    weights = np.linspace(1, 0.2, len(edges))
    decay = aplcore.step_decay(edges, weights, closed=closed)
    t = np.concatenate([np.array(times), edges])
    np.testing.assert_array_equal(decay(t), step_weights(t, edges, weights, closed))


@pytest.mark.parametrize(
    ("decay", "formula"),
    [
        (aplcore.linear_decay(30), lambda t: 1 - t / 30),
        (aplcore.exponential_decay(0.1, 30), lambda t: np.exp(-0.1 * t)),
        (aplcore.gaussian_decay(10, 30), lambda t: np.exp(-(t**2) / 200)),
        (aplcore.power_decay(1.5, 30, t0=2), lambda t: np.where(t <= 2, 1, (t / 2) ** -1.5)),
    ],
)
def test_continuous_decays(decay, formula):
    t = np.array([0.0, 1.0, 2.0, 7.5, 29.9, 30.0, 45.0])
    with np.errstate(divide="ignore"):
        expected = np.where(t < 30, formula(t), 0.0)
    np.testing.assert_allclose(decay(t), expected, rtol=1e-14, atol=0)
    right = decay.with_closed("right")(np.array([30.0]))
    np.testing.assert_allclose(right, formula(np.array([30.0])), rtol=1e-14)


def test_registry_and_cutoffs():
    assert {"drees_gp", "drees_2010", "medico_social", "binary_20"} <= set(
        aplcore.available_decays()
    )
    assert aplcore.get_decay("drees_gp").cutoff == 20
    assert aplcore.get_decay("medico_social").cutoff == 60
    custom = aplcore.step_decay([5, 25], [1, 0.5])
    aplcore.register_decay("test_custom_steps", custom)
    assert aplcore.get_decay("test_custom_steps").steps == ((5.0, 25.0), (1.0, 0.5))
    with pytest.raises(ParameterError, match="already registered"):
        aplcore.register_decay("test_custom_steps", custom)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: aplcore.get_decay("nope"), "unknown decay 'nope'"),
        (lambda: aplcore.step_decay([10, 5], [1, 1]), "strictly increasing"),
        (lambda: aplcore.step_decay([10, 20], [1]), "as many weights as edges"),
        (lambda: aplcore.step_decay([10], [-1]), "non-negative"),
        (lambda: aplcore.linear_decay(-3), "cutoff must be a positive number"),
        (lambda: aplcore.get_decay("drees_gp", closed="both"), "closed must be 'left' or 'right'"),
    ],
)
def test_bad_decay_parameters(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
