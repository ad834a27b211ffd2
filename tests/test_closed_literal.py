"""The ``literal`` band-edge convention everywhere a convention can be chosen.

The official DREES sheet words the GP decay as "Moins de 10 minutes" → 1, "Entre 10 et 15" → 2/3,
"Entre 15 et 20" → 1/3 (spec, "Conventions"): read literally, 10 and 15 minutes weigh 2/3 and
20 minutes 1/3.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.cli import build_parser, main
from aplcore.cli._options import CLOSED_CHOICES
from aplcore.decay import CONVENTIONS
from aplcore.errors import ParameterError
from aplcore.scenarios import Scenario
from aplcore.scenarios.model import DecayChange

CODES = ["45001", "45002", "45004", "45005"]
POPULATION = np.array([1000.0, 2500.0, 400.0, 800.0])
PAIRS = [
    ("45001", "45002", 8.0),
    ("45002", "45004", 10.0),
    ("45001", "45004", 15.0),
    ("45004", "45005", 20.0),
    ("45002", "45005", 25.0),
]
GPS = pd.DataFrame(
    {
        "practitioner_id": ["a", "b", "d"],
        "commune": ["45001", "45002", "45005"],
        "activity": [5000.0, 3000.0, 7000.0],
        "age": [50, 60, 40],
    }
)
# counted as the DREES rules do: 3000 → 3600, 7000 → 6000 (see tests/test_cli.py)
SUPPLY = np.array([5000.0, 3600.0, 0.0, 6000.0])


def literal_weight(t: float) -> float:
    if t < 10:
        return 1.0
    if t <= 15:
        return 2.0 / 3.0
    if t <= 20:
        return 1.0 / 3.0
    return 0.0


def dense_literal_apl() -> np.ndarray:
    position = {c: k for k, c in enumerate(CODES)}
    times = np.full((4, 4), np.inf)
    np.fill_diagonal(times, 0.0)
    for a, b, t in PAIRS:
        times[position[a], position[b]] = times[position[b], position[a]] = t
    weights = np.vectorize(literal_weight)(times)
    ratio = SUPPLY / (weights.T @ POPULATION)
    return weights @ ratio


def subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                for inner in sub._actions:
                    if isinstance(inner, argparse._SubParsersAction):
                        found.update({f"{name} {k}": v for k, v in inner.choices.items()})
    return found


def test_every_closed_option_offers_every_convention() -> None:
    assert set(CLOSED_CHOICES) == set(CONVENTIONS)
    with_closed = {
        name: action
        for name, sub in subcommand_parsers().items()
        for action in sub._actions
        if "--closed" in action.option_strings
    }
    assert {"compute", "demo"} <= set(with_closed)
    for name, action in with_closed.items():
        assert set(action.choices) == set(CONVENTIONS), name


def test_compute_literal_matches_the_sheets_wording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APLCORE_PROGRESS", "0")
    od = pd.DataFrame(
        PAIRS + [(b, a, t) for a, b, t in PAIRS], columns=["origin", "destination", "minutes"]
    )
    od.to_csv(tmp_path / "od.csv", index=False)
    pd.DataFrame({"code": CODES, "population": POPULATION}).to_csv(
        tmp_path / "pop.csv", index=False
    )
    GPS.to_csv(tmp_path / "gps.csv", index=False)
    out = tmp_path / "apl.csv"
    argv = ["compute", "--times", str(tmp_path / "od.csv"), "--population"]
    argv += [str(tmp_path / "pop.csv"), "--practitioners", str(tmp_path / "gps.csv")]
    argv += ["--out", str(out), "--closed", "literal"]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "bands [0, a), then (a, b]" in captured.out
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    np.testing.assert_allclose(table["apl"].to_numpy(), dense_literal_apl(), rtol=1e-12)


def test_demo_parses_closed_literal() -> None:
    args = build_parser().parse_args(["demo", "--closed", "literal"])
    assert args.closed == "literal"


def test_decay_change_accepts_literal_and_names_the_conventions() -> None:
    change = DecayChange(closed="literal")
    from aplcore.decay import get_decay

    class _Inputs:
        decay = get_decay("drees_gp")

    from aplcore.scenarios.baseline import Inputs

    decay = Inputs.decay_of(_Inputs(), Scenario("literal", (change,)))  # type: ignore[arg-type]
    assert decay.closed == "literal"
    assert decay(np.array([10.0, 15.0, 20.0])) == pytest.approx([2 / 3, 2 / 3, 1 / 3])
    with pytest.raises(ParameterError, match="'left', 'right', 'literal'"):
        DecayChange(closed="middle")  # type: ignore[arg-type]


def test_scenario_spec_accepts_closed_literal(tmp_path: Path) -> None:
    from aplcore.scenarios.spec import load_spec

    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[baseline]\ntimes = "od.csv"\npopulation = "pop.csv"\nsupply = "supply.csv"\n'
        'closed = "literal"\n\n[grid]\nclosed = ["left", "literal"]\n\n'
        '[[scenario]]\nname = "sheet"\nclosed = "literal"\n',
        encoding="utf-8",
    )
    for name in ("od.csv", "pop.csv", "supply.csv"):
        (tmp_path / name).write_text("code\n", encoding="utf-8")
    loaded = load_spec(spec)
    assert loaded.baseline["closed"] == "literal"
    closed = [s.one("decay").closed for s in loaded.scenarios]
    assert closed == ["left", "literal", "literal"]
