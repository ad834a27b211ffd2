"""Packaging: every sub-package and data file of the source tree ends up in the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _has_files(folder: Path) -> bool:
    return any(f.is_file() and f.suffix != ".pyc" for f in folder.iterdir())


def _source_packages() -> set[str]:
    found = {"aplcore.kernels"}
    for folder in (ROOT / "aplcore").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and _has_files(folder):
            found.add(".".join(folder.relative_to(ROOT).parts))
    return found | {"aplcore"}


def test_every_folder_of_the_package_is_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = set(config["tool"]["setuptools"]["packages"])
    assert _source_packages() <= declared


@pytest.mark.slow
def test_wheel_holds_the_code_and_the_bundled_data(tmp_path):
    # build from a clean copy: a build/ folder left in the checkout would hide packaging mistakes
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("build", "dist", ".git", "*.egg-info", "__pycache__", ".*")
    shutil.copytree(ROOT, source, ignore=ignore)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("aplcore-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "aplcore/py.typed",
        "aplcore/kernels/fca.py",
        "aplcore/cli/__init__.py",
        "aplcore/io/__init__.py",
        "aplcore/zoning/__init__.py",
    }
    # every file of the source tree (code and data), the kernels under aplcore/kernels
    expected |= {
        f.relative_to(ROOT).as_posix()
        for f in (ROOT / "aplcore").rglob("*")
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"
    }
    expected |= {f"aplcore/kernels/{f.name}" for f in (ROOT / "kernels").glob("*.py")}
    assert expected <= names
    assert not any(name.startswith("kernels/") for name in names)


def _readme_commands() -> list[str]:
    """The commands of the README's "Two commands" section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip() and line[0] != "#"]


def _checkout_copy(target: Path) -> None:
    """The files a clone of this checkout would hold, as they are in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _pip_cache_dir() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


@pytest.mark.slow
def test_readme_commands_in_order_in_one_checkout(tmp_path):
    """Command 1, command 2, command 1 again, in one copy of the checkout, in a fresh venv.

    The commands are read from the README. ``python3`` is this interpreter; command 2's
    ``python -m pytest`` runs the packaging tests only (the whole suite runs in CI anyway) unless
    ``APLCORE_README_FULL_TESTS=1``. The per-user cache folder is a temporary one (pip's own
    cache is kept, so wheels are reused).
    """
    import os

    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout (the copy holds the files git knows)")
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert "pip install . " in commands[0]
    assert 'pip install -e ".[test]"' in commands[1]
    checkout = tmp_path / "aplcore"
    _checkout_copy(checkout)
    pytest_args = (
        "" if os.environ.get("APLCORE_README_FULL_TESTS") else " -q tests/test_packaging.py"
    )
    steps = [
        commands[0],
        commands[1].replace(
            "python -m pytest", "python -m pytest -p no:cacheprovider" + pytest_args
        ),
        commands[0],
    ]
    steps = [step.replace("python3 -m venv", f"{sys.executable} -m venv") for step in steps]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APLCORE_", "NUMBA_", "PYTHON", "VIRTUAL_ENV", "CONDA"))
    }
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or _pip_cache_dir()
    if not env["PIP_CACHE_DIR"]:
        del env["PIP_CACHE_DIR"]
    env["MPLBACKEND"] = "Agg"
    for number, step in enumerate(steps, start=1):
        done = subprocess.run(
            ["bash", "-c", step], cwd=checkout, env=env, capture_output=True, text=True,
            check=False, timeout=1800,
        )  # fmt: skip
        assert done.returncode == 0, (
            f"step {number}: {step}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        site_kernels = list(
            (checkout / ".venv" / "lib").glob("python*/site-packages/aplcore/kernels")
        )
        for folder in site_kernels:
            assert not list(folder.rglob("*.nbi")), f"step {number}: Numba cache in {folder}"
        assert not list((checkout / "kernels").rglob("*.nbi")), f"step {number}: cache in kernels/"
    info = subprocess.run(
        [str(checkout / ".venv" / "bin" / "aplcore"), "info"],
        cwd=checkout, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "NOT writable" not in info
    assert str(tmp_path / "user-cache" / "aplcore" / "numba") in info
    assert list((tmp_path / "user-cache" / "aplcore" / "numba").rglob("*.nbi"))


def test_licence_citation_and_changelog_follow_the_version():
    from aplcore import __version__

    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in licence
    assert "Version 3, 29 June 2007" in licence
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == (
        "GPL-3.0-or-later"
    )
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert f'\nversion: "{__version__}"\n' in citation
    assert "\nlicense: GPL-3.0-or-later\n" in citation
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## [{__version__}]" in changelog
