"""DREES APL workbook reader: the real regional extract, and small workbooks with defects."""

from __future__ import annotations

import pandas as pd
import pytest

from aplcore.errors import CommuneCodeError, DuplicateError, InputFormatError, InvalidValueError
from aplcore.io.drees import APL_COLUMNS, read_drees_apl, read_drees_parameters

openpyxl = pytest.importorskip("openpyxl")

EXTRACT = "drees_apl_mg_2022_2023/apl_generalistes_extrait_centre_val_de_loire.xlsx"
PARAMETERS_CSV = "drees_apl_mg_2022_2023/apl_mg_parametres_sheet.csv"

HEADER = [
    "Code commune INSEE",
    "Commune",
    "APL aux médecins généralistes",
    "APL aux médecins généralistes de moins de 65 ans",
    "Population standardisée 2021 pour la médecine générale",
    "Population totale 2021",
]
UNITS = [None, None, "En nombre de consultations/visites", "En nombre", "En nombre", "En nombre"]


def workbook(tmp_path, rows, *, sheet="APL 2023", titles=8, header=HEADER):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for i in range(titles):
        ws.append([f"title {i}" if i % 2 == 0 else None])
    ws.append(header)
    ws.append(UNITS)
    for row in rows:
        ws.append(row)
    path = tmp_path / "apl.xlsx"
    wb.save(path)
    return path


GOOD = [
    ["18001", "Achères", 1.96, 1.96, 357.649, 348],
    ["2A004", "Ajaccio", 3.5, 3.2, 70000.5, 71000],
]


def test_small_workbook(tmp_path):
    out = read_drees_apl(workbook(tmp_path, GOOD))
    assert out.index.name == "code"
    assert out.index.tolist() == ["18001", "2A004"]
    assert tuple(out.columns) == APL_COLUMNS
    assert out.loc["2A004"].tolist() == ["Ajaccio", 3.5, 3.2, 70000.5, 71000.0]
    assert out.attrs["population_year"] == 2021


def test_header_is_found_whatever_the_number_of_title_lines(tmp_path):
    out = read_drees_apl(workbook(tmp_path, GOOD, titles=3))
    assert len(out) == 2


def test_missing_sheet(tmp_path):
    path = workbook(tmp_path, GOOD)
    with pytest.raises(
        InputFormatError, match=r"has no sheet 'APL 2019'; its sheets are 'APL 2023'"
    ):
        read_drees_apl(path, year=2019)


def test_header_not_found_or_wrong(tmp_path):
    with pytest.raises(
        InputFormatError, match=r"no header line starting with 'Code commune INSEE'"
    ):
        read_drees_apl(workbook(tmp_path, GOOD, header=["Code", *HEADER[1:]]))
    wrong = [*HEADER[:4], "Population", HEADER[5]]
    with pytest.raises(InputFormatError, match=r"line 9: unexpected header .*\(5, 'Population st"):
        read_drees_apl(workbook(tmp_path, GOOD, header=wrong))


def test_numeric_codes_with_line_numbers(tmp_path):
    rows = [GOOD[0], [1001, "L'Abergement", 1.0, 1.0, 10.0, 10]]
    with pytest.raises(
        CommuneCodeError, match=r"codes stored as numbers on lines 12 \(values 1001"
    ):
        read_drees_apl(workbook(tmp_path, rows))


def test_invalid_codes(tmp_path):
    rows = [GOOD[0], ["1001", "X", 1.0, 1.0, 10.0, 10]]
    with pytest.raises(CommuneCodeError, match=r"invalid commune codes on lines 12: '1001'"):
        read_drees_apl(workbook(tmp_path, rows))


def test_bad_values_with_line_numbers(tmp_path):
    rows = [GOOD[0], ["18002", "X", "n.d.", 1.0, 10.0, 10], ["18003", "Y", -1.0, 1.0, 10.0, 10]]
    with pytest.raises(
        InvalidValueError,
        match=r"'APL aux médecins généralistes' must hold non-negative numbers; found 'n.d.', "
        r"-1 on lines 12, 13",
    ):
        read_drees_apl(workbook(tmp_path, rows))


def test_duplicates(tmp_path):
    with pytest.raises(DuplicateError, match=r"listed more than once: '18001' on lines 11, 13"):
        read_drees_apl(workbook(tmp_path, [GOOD[0], GOOD[1], GOOD[0]]))


def test_no_rows(tmp_path):
    with pytest.raises(InputFormatError, match=r"no commune rows after the header \(line 9\)"):
        read_drees_apl(workbook(tmp_path, []))


def test_real_extract(shared_raw):
    out = read_drees_apl(shared_raw / EXTRACT, year=2023)
    assert len(out) == 1756
    assert (out.index.str.len() == 5).all()
    assert set(out.index.str[:2]) == {"18", "28", "36", "37", "41", "45"}
    # the Centre-Val de Loire population of the 2025 zoning example (spec §6)
    assert out["pop_total"].sum() == 2_573_303
    assert out.loc["18001"].tolist() == ["Achères", 1.96, 1.96, 357.649, 348.0]
    assert (out["apl_65"] <= out["apl"] + 1e-12).all()
    previous = read_drees_apl(shared_raw / EXTRACT, year=2022)
    assert len(previous) == 1757
    assert previous.attrs["population_year"] == 2020


@pytest.mark.parametrize("name", [PARAMETERS_CSV, EXTRACT])
def test_parameters(shared_raw, name):
    p = read_drees_parameters(shared_raw / name)
    assert p["field"].startswith("Omnipraticiens libéraux")
    assert p["activity"] == {
        "zero_below": 250.0,
        "floor_from": 251.0,
        "floor": 3600.0,
        "cap": 6000.0,
        "new_install": 5400.0,
        "centres_de_sante_bounds": False,
    }
    assert p["decay"]["breaks"] == (10.0, 15.0, 20.0)
    assert p["decay"]["weights"] == (1.0, 2 / 3, 1 / 3, 0.0)
    assert sorted(p["age_weights"]) == [2022, 2023]
    w23 = p["age_weights"][2023]
    assert w23.index[0] == "0-4"
    assert w23.index[-1] == "90+"
    assert (w23["0-4"], w23["90+"]) == (1.12, 2.26)
    assert p["age_weights"][2022]["85-89"] == 1.99


def test_parameters_with_a_broken_section(tmp_path):
    path = tmp_path / "params.csv"
    path.write_text("Paramètres\nChamp de l'indicateur\nfield\nMoins de 250,0\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"no row starting with 'Entre'"):
        read_drees_parameters(path)


def test_workbook_is_not_modified(shared_raw):
    path = shared_raw / EXTRACT
    before = path.stat().st_mtime_ns
    read_drees_apl(path)
    assert path.stat().st_mtime_ns == before
    assert isinstance(read_drees_parameters(path)["age_weights"][2023], pd.Series)


def test_population_year_mismatch_is_logged(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="aplcore.io.drees"):
        out = read_drees_apl(workbook(tmp_path, GOOD, sheet="APL 2024"), year=2024)
    assert out.attrs["population_year"] == 2021
    assert "populations of 2021 for APL 2024 (DREES uses year - 2 = 2022)" in caplog.text


def test_parameters_feed_the_core_objects(shared_raw):
    import aplcore

    p = read_drees_parameters(shared_raw / PARAMETERS_CSV)
    rules = aplcore.GPActivityRules(**p["gp_activity_rules"])
    assert (rules.zero_below, rules.floor, rules.cap) == (250.0, 3600.0, 6000.0)
    assert rules.new_install_activity == 5400.0
    assert not rules.bound_centres_sante
    for year in (2022, 2023):
        assert tuple(p["age_weights"][year]) == aplcore.WEIGHT_PRESETS[f"drees_gp_{year}"]
    decay = aplcore.step_decay(p["decay"]["breaks"], p["decay"]["weights"][:-1])
    assert decay == aplcore.get_decay("drees_gp")
    assert decay.steps == ((10.0, 15.0, 20.0), (1.0, 2 / 3, 1 / 3))
