"""Commands running parallel kernels start Numba's workers with Ctrl-C blocked in them."""

from __future__ import annotations

import argparse

import pytest

from aplcore import cli


def commands() -> set[str]:
    for action in cli.build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def test_parallel_commands_are_commands() -> None:
    assert commands() >= cli.PARALLEL_COMMANDS
    # the scenario engine runs the batched kernels (products, supply counting) in parallel
    assert "scenarios" in cli.PARALLEL_COMMANDS


@pytest.mark.parametrize(
    ("argv", "module", "function", "parallel"),
    [
        (["scenarios", "run", "spec.toml", "--out", "run"], "scenarios", "cmd_run", True),
        (["scenarios", "report", "run"], "scenarios", "cmd_report", True),
        (
            ["zone", "--apl", "w.xlsx", "--apl-column", "apl_65", "--out", "z"],
            "workbook",
            "cmd_zone",
            False,
        ),
    ],
)
def test_workers_start_with_signals_blocked_for_parallel_commands(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], module: str, function: str, parallel: bool
) -> None:
    started: list[bool] = []
    monkeypatch.setattr(cli, "start_worker_threads", lambda: started.append(True))
    monkeypatch.setattr(getattr(cli, module), function, lambda args: 0)
    assert cli.main(argv) == 0
    assert bool(started) is parallel
