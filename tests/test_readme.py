"""Every Python block of the README runs as written, in order, in one namespace (like a notebook).

The blocks run in a temporary working folder with the bundled data only: a README example that
needs a file the reader does not have fails here.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ``python`` fenced blocks of a Markdown text, with their first line number."""
    blocks = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start(1)) + 1
        blocks.append((line, match.group(1)))
    return blocks


def test_the_readme_has_python_blocks():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    assert any("import aplcore" in code for _, code in blocks)


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for line, code in python_blocks(README.read_text(encoding="utf-8")):
        compiled = compile(code, f"README.md (block at line {line})", "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compiled, namespace)
            except Exception as exc:  # pragma: no cover - the failure message is the point
                pytest.fail(f"README.md block at line {line} fails: {type(exc).__name__}: {exc}")
