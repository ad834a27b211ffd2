"""Commune code history: aplcore.codes.update and code_status on the bundled COG 2021-2026."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import shared_raw_dir

import aplcore
import aplcore.codes
from aplcore.codes import COG_YEARS, CommuneSplitWarning, code_status, load_code_history, update
from aplcore.errors import CommuneCodeError, ParameterError, UnknownCodeWarning


def test_merged_communes_become_their_commune_nouvelle():
    # Barmainville (28025) and Neuvy-en-Beauce (28276) joined Rouvray-Saint-Denis (28319) into
    # the commune nouvelle Neuville-Saint-Denis on 1 January 2025 (COG 2025).
    codes = ["28025", "28276", "28319", "45234"]
    assert update(codes, to=2025).tolist() == ["28319", "28319", "28319", "45234"]
    assert update(codes, to=2026).tolist() == ["28319", "28319", "28319", "45234"]
    assert update(codes, to=2024).tolist() == codes
    assert update(codes).tolist() == ["28319", "28319", "28319", "45234"]


def test_update_keeps_the_index_of_a_series():
    codes = pd.Series(["28025", "45234"], index=[10, 20], name="com")
    out = update(codes, to=2025)
    assert out.index.tolist() == [10, 20]
    assert out.name == "com"
    assert out.tolist() == ["28319", "45234"]
    plain = update(["28025", "45234"], to=2025)
    assert plain.index.tolist() == ["28025", "45234"]
    assert plain.index.name == "code"


def test_change_of_code_of_a_commune_nouvelle_is_not_a_split():
    # Conques-en-Rouergue took the code of Saint-Cyprien-sur-Dourdou (12218) in COG 2025.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert update(["12076", "12114"], to=2025).tolist() == ["12218", "12218"]
    assert update(["12218"], to=2024).tolist() == ["12076"]


def test_restored_communes_absent_from_the_input_are_reported():
    # Celles, Chalinargues, Chavagnac and Sainte-Anastasie left Neussargues en Pinatelle (15141)
    # in COG 2025: data of 15141 from before 2025 cover them too.
    with pytest.warns(CommuneSplitWarning, match=r"15031 from 15141 \(2025\)"):
        assert update(["15141"], to=2025).tolist() == ["15141"]
    restored = ["15141", "15031", "15035", "15047", "15171"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert update(restored, to=2025).tolist() == restored
        assert update(["15141"], to=2024).tolist() == ["15141"]


def test_unknown_codes_are_refused_or_kept_with_a_warning():
    with pytest.raises(CommuneCodeError, match=r"in no COG from 2021 to 2026: '99999'"):
        update(["45234", "99999"])
    with pytest.warns(UnknownCodeWarning, match="'99999'"):
        out = update(["45234", "99999", "28025"], errors="keep")
    assert out.tolist() == ["45234", "99999", "28319"]


def test_codes_must_be_insee_strings():
    with pytest.raises(CommuneCodeError, match="found numbers"):
        update(np.array([28025, 45234]))
    with pytest.raises(CommuneCodeError, match="the string"):
        update("28025")


def test_years_outside_the_bundled_history_are_refused():
    with pytest.raises(ParameterError, match="between 2021 and 2026"):
        update(["28025"], to=2019)
    with pytest.raises(ParameterError, match="between 2021 and 2026"):
        code_status(["28025"], year=2030)
    with pytest.raises(ParameterError, match="'raise' or 'keep'"):
        update(["28025"], errors="drop")


def test_code_status_tells_existence_and_merger():
    status = code_status(["28025", "28319", "99999", "28025", "75101"], year=2025)
    assert status.index.tolist() == ["28025", "28319", "99999", "75101"]
    assert status["exists"].tolist() == [False, True, False, True]
    assert status["known"].tolist() == [True, True, False, True]
    assert status.loc["28025", "unit"] == "28319"
    assert status.loc["28025", "status"] == "deleguee"
    assert status.loc["28025", "name"] == "Barmainville"
    assert status.loc["28025", "last_year_as_unit"] == 2024
    assert status.loc["75101", "status"] == "arrondissement"
    assert pd.isna(status.loc["99999", "unit"])
    assert code_status(["28025"], year=2024)["exists"].tolist() == [True]


def test_bundled_communes_follow_the_cog_2025():
    from aplcore.datasets import COMMUNES_COG_YEAR

    assert COMMUNES_COG_YEAR == 2025
    codes = aplcore.load_communes(france=True).index
    assert code_status(codes, year=2025)["exists"].all()
    assert (update(codes, to=2025).to_numpy() == codes.to_numpy()).all()
    # and not those of the COG 2024 (communes created on 1 January 2025 are absent then)
    assert not code_status(codes, year=2024)["exists"].all()


def test_every_unit_is_a_commune_of_the_same_year():
    history = load_code_history()
    assert tuple(range(history["since"].min(), history["until"].max() + 1)) == COG_YEARS
    assert (history["since"] <= history["until"]).all()
    for year in COG_YEARS:
        rows = history[(history["since"] <= year) & (history["until"] >= year)]
        assert not rows["code"].duplicated().any()
        units = set(rows.loc[rows["status"].isin(["commune", "arrondissement"]), "code"])
        assert set(rows["unit"]) <= units
        own = rows["status"].isin(["commune", "arrondissement"])
        assert (rows.loc[own, "unit"] == rows.loc[own, "code"]).all()


def test_public_names_from_aplcore_codes():
    assert aplcore.codes.update is update
    assert {"update", "code_status", "load_code_history", "COG_YEARS"} <= set(aplcore.codes.__all__)


def test_latest_year_agrees_with_the_npm_package_data():
    raw = shared_raw_dir()
    folder = None if raw is None else raw / "etalab_decoupage_administratif_6_0_0"
    if folder is None or not (folder / "communes.json").exists():
        pytest.skip("../shared/data/raw/etalab_decoupage_administratif_6_0_0 is not available")
    communes = json.loads((folder / "communes.json").read_text(encoding="utf-8"))
    status = code_status([c["code"] for c in communes], year=2026)
    expected = {}
    attached = set()
    for item in communes:
        if item["type"] in ("commune-actuelle", "arrondissement-municipal"):
            expected[item["code"]] = item["code"]
        else:
            attached.add(item["code"])
            expected.setdefault(item["code"], item["chefLieu"])
    # anciensCodes of a commune, unless the code is also a commune déléguée or associée (then its
    # chef-lieu wins: 55273 Lamarche-en-Woëvre is listed by 55245 and associated with 55386)
    olds = {
        old: item["code"]
        for item in communes
        if item["type"] == "commune-actuelle"
        for old in item.get("anciensCodes", [])
        if old not in attached and old not in expected and not old.startswith("985")
    }
    assert status.loc[list(expected), "unit"].to_dict() == expected
    assert status.loc[[c for c, u in expected.items() if c == u], "exists"].all()
    assert update(list(olds), to=2026).tolist() == list(olds.values())


def test_a_code_that_leaves_the_cog_without_successor_is_named(monkeypatch):
    import aplcore.code_history as history

    rows = [("01001", 2021, 2026), ("01002", 2021, 2022), ("01002", 2023, 2026)]
    rows.append(("01003", 2021, 2023))  # no successor in the source
    table = pd.DataFrame(rows, columns=["code", "since", "until"], dtype=object)
    table = table.assign(status="commune", unit=table["code"], name="x")
    table = table.astype({"since": "int16", "until": "int16"})
    monkeypatch.setattr(history, "_history", lambda: table)
    expected = r"leave the COG before 2025 .*'01003 \(until 2023\)'"
    with pytest.raises(CommuneCodeError, match=expected):
        update(["01001", "01003"], to=2025)
    with pytest.warns(UnknownCodeWarning, match="left unchanged"):
        assert update(["01003", "01001"], to=2025, errors="keep").tolist() == ["01003", "01001"]
