"""The examples in the docstrings of the public functions run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest

MODULES = [
    "aplcore.aggregation",
    "aplcore.apl",
    "aplcore.code_history",
    "aplcore.datasets",
    "aplcore.decay",
    "aplcore.demand",
    "aplcore.settings",
    "aplcore.supply",
    "aplcore.traveltimes.crowfly",
    "aplcore.traveltimes.table",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for test in tests:
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring examples of {name} fail (see above)"
    assert result.attempted > 0


def test_main_public_functions_have_examples():
    import aplcore

    names = [
        "compute_apl",
        "prepare",
        "travel_times_crow_fly",
        "load_communes",
        "count_gp_activity",
        "standardise_population",
        "step_decay",
        "travel_times_from_table",
        "aggregate",
    ]
    functions = {n: getattr(aplcore, n) for n in names}
    missing = [n for n, f in functions.items() if "Examples\n" not in (f.__doc__ or "")]
    assert not missing
