"""The public API of aplcore as data: every ``__all__`` and the signature of every public callable.

``tests/test_public_api.py`` compares it with ``tests/public_api.json``, the snapshot taken before
the restructuring of 0.3 (``python tests/public_api.py`` prints the current one).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys

import aplcore


def _signature(obj: object) -> str | None:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


def _members(obj: type) -> dict[str, str | None]:
    members = {}
    for name, value in vars(obj).items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            members[name] = "property"
        elif callable(value):
            members[name] = _signature(value)
    return members


def _describe(obj: object) -> dict[str, object]:
    if inspect.isclass(obj):
        return {"kind": "class", "signature": _signature(obj), "members": _members(obj)}
    if callable(obj):
        return {"kind": "callable", "signature": _signature(obj)}
    return {"kind": type(obj).__name__}


def _public_modules() -> list[str]:
    names = ["aplcore"]
    for info in pkgutil.walk_packages(aplcore.__path__, "aplcore."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if info.name.startswith("aplcore.kernels") or info.name.startswith("aplcore.cli"):
            continue
        names.append(info.name)
    return sorted(names)


def snapshot() -> dict[str, dict[str, object]]:
    """Every public module's ``__all__`` with a description of each name."""
    api: dict[str, dict[str, object]] = {}
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            continue
        api[module_name] = {name: _describe(getattr(module, name)) for name in sorted(exported)}
    return api


if __name__ == "__main__":
    json.dump(snapshot(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
