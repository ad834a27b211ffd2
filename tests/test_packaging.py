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
    expected |= {f"aplcore/data/{f.name}" for f in (ROOT / "aplcore" / "data").iterdir()}
    assert expected <= names
    assert not any(name.startswith("kernels/") for name in names)
