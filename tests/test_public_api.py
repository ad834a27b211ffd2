"""The public API stays what users import: names, modules and signatures.

``tests/public_api.json`` is the API as it was before the restructuring of 0.3 and is not
regenerated: additions (new names, new members of a class) are free; a name or member that
disappears, or whose signature changes, must be listed in ``tests/public_api_removals.txt``
(module:name, one a line) and said in the CHANGELOG.
"""

from __future__ import annotations

import json
from pathlib import Path

from public_api import snapshot

HERE = Path(__file__).parent
SNAPSHOT = json.loads((HERE / "public_api.json").read_text(encoding="utf-8"))
REMOVALS_FILE = HERE / "public_api_removals.txt"


def _removals() -> set[str]:
    if not REMOVALS_FILE.exists():
        return set()
    lines = REMOVALS_FILE.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _changes(before: dict, after: dict) -> list[str]:
    changes = []
    for module, names in before.items():
        for name, description in names.items():
            key = f"{module}:{name}"
            now = after.get(module, {}).get(name)
            if now is None:
                changes.append(f"{key} removed")
                continue
            changes += [f"{key} changed: {d}" for d in _differences(description, now)]
    return changes


def _differences(before: dict, after: dict) -> list[str]:
    """What changed in one name's description; members added to a class are additions."""
    differences = [
        f"{field} {before.get(field)} -> {after.get(field)}"
        for field in ("kind", "signature")
        if before.get(field) != after.get(field)
    ]
    members = after.get("members", {})
    for member, signature in before.get("members", {}).items():
        if member not in members:
            differences.append(f"member {member} removed")
        elif members[member] != signature:
            differences.append(f"member {member} {signature} -> {members[member]}")
    return differences


def test_public_api_is_unchanged_but_for_listed_removals():
    unexplained = [
        change
        for change in _changes(SNAPSHOT, snapshot())
        if change.split(" ", 1)[0] not in _removals()
    ]
    assert unexplained == []


def test_listed_removals_are_in_the_changelog():
    changelog = (HERE.parent / "CHANGELOG.md").read_text(encoding="utf-8")
    missing = [key for key in _removals() if key.split(":", 1)[1] not in changelog]
    assert missing == []
