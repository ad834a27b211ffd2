"""Every Python block of the README and of the documentation pages runs as written.

The blocks of one page run in order, in one namespace (like a notebook), in a temporary working
folder with the bundled data only: an example that needs a file the reader does not have fails
here. A documentation block that needs a file nobody can bundle (the DREES workbook) is preceded
by a ``<!-- skip-test: reason -->`` line; the README has none.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").rglob("*.md"))
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
SKIP = "<!-- skip-test:"


def python_blocks(text: str, *, allow_skip: bool = False) -> list[tuple[int, str]]:
    """The ``python`` fenced blocks of a Markdown text, with their first line number."""
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if before.startswith(SKIP):
            assert allow_skip, "the README's blocks all run: no skip-test marker there"
            continue
        line = text.count("\n", 0, match.start(1)) + 1
        blocks.append((line, match.group(1)))
    return blocks


def run_blocks(path: Path, *, allow_skip: bool) -> int:
    namespace: dict[str, object] = {"__name__": "__readme__"}
    blocks = python_blocks(path.read_text(encoding="utf-8"), allow_skip=allow_skip)
    name = path.relative_to(ROOT)
    for line, code in blocks:
        compiled = compile(code, f"{name} (block at line {line})", "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compiled, namespace)
            except Exception as exc:  # pragma: no cover - the failure message is the point
                pytest.fail(f"{name} block at line {line} fails: {type(exc).__name__}: {exc}")
    return len(blocks)


def test_the_readme_has_python_blocks():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    assert any("import aplcore" in code for _, code in blocks)


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    assert run_blocks(README, allow_skip=False) >= 2


@pytest.mark.parametrize("page", DOCS, ids=[str(p.relative_to(ROOT / "docs")) for p in DOCS])
def test_documentation_python_blocks_run_in_order(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    run_blocks(page, allow_skip=True)
