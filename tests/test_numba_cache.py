"""Compiled kernels are cached in a per-user folder, never next to the installed sources.

Each case runs in a fresh interpreter (Numba reads its cache folder when a kernel is decorated),
with ``XDG_CACHE_HOME`` pointing into a temporary folder so that the platform's per-user cache
directory is a temporary one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import pytest

import aplcore
from aplcore.settings import default_numba_cache_dir, numba_cache_dir, numba_cache_source

KERNEL_MODULE = """
from aplcore.kernels._jit import jit


@jit()
def add_one(x):
    return x + 1.0
"""

RUN_KERNEL = """
import os, sys
{pre}
import aplcore.kernels
sys.path.insert(0, {folder!r})
import tiny_kernel
assert tiny_kernel.add_one(1.0) == 2.0
print(os.environ.get("NUMBA_CACHE_DIR", ""))
"""


def _run(tmp_path: Path, *, env: dict[str, str], pre: str = "") -> str:
    module_dir = tmp_path / "module"
    module_dir.mkdir(exist_ok=True)
    (module_dir / "tiny_kernel.py").write_text(KERNEL_MODULE)
    base = {k: v for k, v in os.environ.items() if k not in {"NUMBA_CACHE_DIR", "PYTHONPATH"}}
    base.pop("APLCORE_NUMBA_CACHE", None)
    base["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    base.update(env)
    code = RUN_KERNEL.format(pre=pre, folder=str(module_dir))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=base,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _index_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.nbi")) if folder.exists() else []


def _expected_default(tmp_path: Path) -> Path:
    return (
        tmp_path
        / "xdg-cache"
        / "aplcore"
        / "numba"
        / f"aplcore-{aplcore.__version__}-numba-{numba.__version__}"
    )


def test_kernels_cached_in_the_per_user_folder(tmp_path: Path) -> None:
    printed = _run(tmp_path, env={})
    expected = _expected_default(tmp_path)
    assert Path(printed) == expected
    cached = _index_files(expected)
    assert [p.name.startswith("tiny_kernel.add_one-") for p in cached] == [True]
    assert not _index_files(tmp_path / "module")


def test_numba_imported_first_still_uses_the_per_user_folder(tmp_path: Path) -> None:
    printed = _run(tmp_path, env={}, pre="import numba")
    expected = _expected_default(tmp_path)
    assert Path(printed) == expected
    assert len(_index_files(expected)) == 1
    assert not _index_files(tmp_path / "module")


def test_user_numba_cache_dir_wins(tmp_path: Path) -> None:
    user = tmp_path / "my-cache"
    printed = _run(tmp_path, env={"NUMBA_CACHE_DIR": str(user)})
    assert Path(printed) == user
    assert len(_index_files(user)) == 1
    assert not (tmp_path / "xdg-cache").exists()


def test_cache_off_writes_nothing(tmp_path: Path) -> None:
    printed = _run(tmp_path, env={"APLCORE_NUMBA_CACHE": "0"})
    assert printed == ""
    assert not _index_files(tmp_path)


def test_default_folder_is_keyed_by_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    folder = default_numba_cache_dir()
    versions = f"aplcore-{aplcore.__version__}-numba-{numba.__version__}"
    assert folder == tmp_path / "aplcore" / "numba" / versions
    assert numba_cache_dir() == folder
    assert numba_cache_source() == "aplcore"
    assert "site-packages" not in str(folder)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert numba_cache_dir() == tmp_path / "mine"
    assert numba_cache_source() == "NUMBA_CACHE_DIR"


def test_info_reports_the_per_user_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"NUMBA_CACHE_DIR", "PYTHONPATH"}}
    env.pop("APLCORE_NUMBA_CACHE", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    done = subprocess.run(
        [sys.executable, "-m", "aplcore", "info"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"{_expected_default(tmp_path)} (writable)" in done.stdout
    assert "aplcore's per-user cache folder" in done.stdout
    assert "NOT writable" not in done.stdout


NOTICE_RUN = """
import logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(name)s: %(message)s")
logging.getLogger("aplcore.kernels").setLevel(logging.INFO)
import aplcore.kernels._jit as jit_options
jit_options.KERNEL_MODULES = ("aplcore.kernels", "tiny_kernel")
sys.path.insert(0, {folder!r})
import tiny_kernel
assert tiny_kernel.add_one(1.0) == 2.0
assert tiny_kernel.add_one(2.0) == 3.0
"""


def test_first_run_says_it_is_compiling_and_a_warm_run_says_nothing(tmp_path: Path) -> None:
    module_dir = tmp_path / "module"
    module_dir.mkdir()
    (module_dir / "tiny_kernel.py").write_text(KERNEL_MODULE)
    env = {k: v for k, v in os.environ.items() if k not in {"NUMBA_CACHE_DIR", "PYTHONPATH"}}
    env.pop("APLCORE_NUMBA_CACHE", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    code = textwrap.dedent(NOTICE_RUN.format(folder=str(module_dir)))

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first = run()
    assert len(first) == 2, first
    assert first[0].startswith("aplcore.kernels: compiling aplcore's Numba kernels")
    assert str(_expected_default(tmp_path)) in first[0]
    assert first[1].startswith("aplcore.kernels: compiled kernel 1: tiny_kernel.add_one (")
    assert run() == []


def test_the_command_line_shows_compilation_notices_without_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from aplcore.cli._common import logging_to_stderr

    with logging_to_stderr(0):
        logging.getLogger("aplcore.kernels").info("compiled kernel 1: fca.x (1.0 s)")
        logging.getLogger("aplcore.io").info("not shown without -v")
    err = capsys.readouterr().err
    assert "compiled kernel 1: fca.x" in err
    assert "not shown" not in err
