"""Mutation check of the aids catalogue's binding to its sources.

Each figure, zone list and date of ``catalogue.toml`` is changed in turn in a temporary copy,
loaded through the public loader (:func:`aplcore.aids.load_catalogue`), and the binding checks
of ``aids_binding.py`` (the ones ``test_aids_sources.py`` runs) must fail for every change: a
catalogue figure that can change without a test noticing is not bound to its source. The checks
run in-process on each mutant (the passages are parsed once), so the whole run takes seconds.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from copy import deepcopy
from importlib import resources
from typing import Any

import pytest
import tomli_w
from aids_binding import binding_failures, document

from aplcore.aids import CatalogueError, load_catalogue

#: Keys whose values are text (names, notes, quotes), not figures.
_TEXT_KEYS = {"quotes", "assumptions"}


def _catalogue_data() -> dict[str, Any]:
    text = resources.files("aplcore.aids").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _changed(value: Any) -> Any:
    if _is_number(value):
        return value * 2 + 1
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    return dt.date(2029, 12, 31)  # "not stated" becomes an end date no document gives


def _zones_changed(zones: list[str]) -> list[str]:
    return ["ZAC"] if zones == ["ZIP"] else ["ZIP"]


def mutation_sites(data: dict[str, Any]) -> Iterator[tuple[str, tuple, Any]]:
    """(label, path into the data, new value) of every figure, zone list and date."""
    for section in ("measure", "eligibility"):
        for i, entry in enumerate(data[section]):
            where = f"{section} {entry['id']}"
            for key, value in entry.items():
                path = (section, i, key)
                if key in _TEXT_KEYS:
                    continue
                if key == "zones":
                    yield f"{where}: zones", path, _zones_changed(value)
                elif key == "valid_to" or _is_number(value) or isinstance(value, dt.date):
                    yield f"{where}: {key}", path, _changed(value)
                elif isinstance(value, list):
                    yield from _list_sites(where, path, value)


def _list_sites(where: str, path: tuple, rows: list) -> Iterator[tuple[str, tuple, Any]]:
    for j, row in enumerate(rows):
        if _is_number(row):
            yield f"{where}: {path[-1]}[{j}]", (*path, j), _changed(row)
        elif isinstance(row, list):
            for k, leaf in enumerate(row):
                if _is_number(leaf):
                    label = f"{where}: {path[-1]}[{j}][{k}]"
                    yield label, (*path, j, k), _changed(leaf)
        elif isinstance(row, dict):
            for name in ("amount", "rate", "value"):
                if _is_number(row.get(name)):
                    label = f"{where}: {path[-1]}[{j}].{name}"
                    yield label, (*path, j, name), _changed(row[name])


def _mutant(data: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    copy = deepcopy(data)
    target: Any = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def _caught(data: dict[str, Any], tmp_path) -> str:
    """Why the binding (or the loader) refuses a catalogue: empty when it passes."""
    path = tmp_path / "catalogue.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    try:
        catalogue = load_catalogue(path)
    except CatalogueError as exc:
        return f"refused by the loader: {exc}"
    return "; ".join(binding_failures(catalogue))


def test_every_catalogue_figure_zone_and_date_is_caught(tmp_path):
    if document("guide_zonage_medecins_centre_val_de_loire_2025.txt") is None:
        pytest.skip("reference documents absent (expected in ../shared/docs)")
    data = _catalogue_data()
    assert _caught(data, tmp_path) == ""  # the unchanged copy is bound
    sites = list(mutation_sites(data))
    assert len(sites) > 200  # every measure's amounts, zones, dates, tables, conditions
    missed = [
        label for label, path, value in sites if not _caught(_mutant(data, path, value), tmp_path)
    ]
    assert missed == [], f"changes no test notices: {missed}"
    # the eleven changes the issue found unnoticed are among the caught ones
    labels = {label for label, _, _ in sites}
    assert "measure state_intern_transport: amount" in labels  # 130 € → 261 €
    assert "measure installation_zip_2026: valid_to" in labels  # "not stated" → a date
