"""Lazy public names of a package: loaded from their module when first used.

``import aplcore`` stays fast and Numba is only imported when a kernel is first needed; the
packages list their public names with the module that defines them and call :func:`attach`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package`` for its lazy ``names``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    names
        Public name → absolute name of the module that defines it.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's name
        module_name = names.get(name)
        if module_name is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(module_name), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the module hook's name
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
