"""Run the import contracts (`.importlinter`) on aplcore laid out as a wheel installs it.

An editable install maps ``aplcore.kernels`` to ``kernels/``, a folder the import-graph builder
does not find under ``aplcore/``. The package is therefore copied with its kernels in place
(``aplcore/kernels``, as in the wheel) to a temporary folder, and the editable finder is taken off
the import path so that this copy is the one analysed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        staged = Path(folder)
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "aplcore", staged / "aplcore", ignore=ignore)
        shutil.copytree(ROOT / "kernels", staged / "aplcore" / "kernels", ignore=ignore)
        sys.meta_path[:] = [
            finder
            for finder in sys.meta_path
            if not getattr(finder, "__module__", "").startswith("__editable__")
        ]
        sys.path.insert(0, folder)
        os.chdir(folder)  # lint-imports puts the working folder first on the import path
        from importlinter.cli import lint_imports_command

        config = str(ROOT / ".importlinter")
        return lint_imports_command.main([config, "--no-cache"], standalone_mode=False)


if __name__ == "__main__":
    sys.exit(main())
