"""Readers: real samples from shared/data/raw and broken files generated in tmp_path."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aplcore.errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    ParameterError,
)
from aplcore.io import (
    AGE_BANDS,
    read_cog_communes,
    read_population_by_age,
    read_practitioners,
    read_territories,
)

ENSAI = "ensai_communes_age_sexe_2021/data.csv"
ETALAB = "etalab_decoupage_administratif_6_0_0"
LOWER = [*range(0, 95, 5), 95]


def _wide_frame(rng: np.random.Generator, codes: list[str]) -> pd.DataFrame:
    data = {"code": codes}
    for sex in ("hommes", "femmes"):
        for lo in LOWER:
            name = f"{sex}_{lo}_plus" if lo == 95 else f"{sex}_{lo}_{lo + 4}"
            data[name] = rng.integers(0, 500, size=len(codes))
    return pd.DataFrame(data)


def _dense_reference(wide: pd.DataFrame) -> np.ndarray:
    """Plain sum of both sexes, 90-94 and 95+ merged."""
    out = np.zeros((len(wide), 19))
    for sex in ("hommes", "femmes"):
        for i, lo in enumerate(range(0, 90, 5)):
            out[:, i] += wide[f"{sex}_{lo}_{lo + 4}"].to_numpy()
        out[:, 18] += wide[f"{sex}_90_94"].to_numpy() + wide[f"{sex}_95_plus"].to_numpy()
    return out


def test_age_bands_match_demand():
    demand = pytest.importorskip("aplcore.demand")
    assert tuple(demand.AGE_BANDS) == AGE_BANDS


# ---------------------------------------------------------------- population: real sample


def test_population_real_sample(shared_raw, caplog):
    raw = pd.read_csv(shared_raw / ENSAI)
    with caplog.at_level(logging.WARNING):
        pop = read_population_by_age(shared_raw / ENSAI)
    assert pop.shape == (3273, 19)
    assert tuple(pop.columns) == AGE_BANDS
    assert all(isinstance(c, str) and len(c) == 5 for c in pop.index)
    assert pop.index.tolist() == [f"{c:05d}" for c in raw["code"]]
    # integer codes are repaired, said in the log and in attrs
    assert "zero-padded" in caplog.text
    assert "zero-padded" in pop.attrs["notes"][0]
    # the mistyped column hommes_70_47 is read as 70-74, said in the log
    assert "'hommes_70_47' read as the band 70-74" in caplog.text
    expected_70 = raw["hommes_70_47"] + raw["femmes_70_74"]
    np.testing.assert_array_equal(pop["70-74"].to_numpy(), expected_70.to_numpy(dtype=float))
    expected_90 = raw[["hommes_90_94", "femmes_90_94", "hommes_95_plus", "femmes_95_plus"]]
    np.testing.assert_array_equal(pop["90+"].to_numpy(), expected_90.sum(axis=1).to_numpy(float))
    ratio = pop.sum(axis=1).to_numpy() / raw["population_municipale_2021_x"].to_numpy()
    assert 0.99 < np.median(ratio) < 1.01


def test_population_feeds_standardisation(shared_raw):
    demand = pytest.importorskip("aplcore.demand")
    pop = read_population_by_age(shared_raw / ENSAI)
    std = demand.standardise_population(pop)
    assert std.index.equals(pop.index)
    index = std / pop.sum(axis=1)
    # an age index: below 1 in young communes, above 1 in old ones, never extreme
    assert index.between(0.6, 1.6).all()
    older = pop[["75-79", "80-84", "85-89", "90+"]].sum(axis=1) / pop.sum(axis=1)
    assert np.corrcoef(older, index)[0, 1] > 0.5


def test_population_strict_codes_reject_integers(shared_raw):
    with pytest.raises(CommuneCodeError, match=r"found '1004', '1014'.*lines 2, 3"):
        read_population_by_age(shared_raw / ENSAI, repair_codes=False)


# ---------------------------------------------------------------- population: layouts


@given(st.integers(1, 30), st.integers(0, 2**31))
def test_wide_matches_dense_reference(n, seed):
    rng = np.random.default_rng(seed)
    codes = [f"{d:02d}{i:03d}" for d, i in zip(rng.integers(1, 95, n), range(n), strict=True)]
    wide = _wide_frame(rng, codes)
    pop = read_population_by_age(wide)
    assert pop.index.tolist() == codes
    np.testing.assert_array_equal(pop.to_numpy(), _dense_reference(wide))


def test_long_layout_equals_wide(tmp_path):
    rng = np.random.default_rng(5)
    codes = ["01001", "2A004", "75101", "97411"]
    wide = _wide_frame(rng, codes)
    rows = []
    for code in codes:
        for sex, label in (("hommes", "1"), ("femmes", "2")):
            for lo in LOWER:
                col = f"{sex}_{lo}_plus" if lo == 95 else f"{sex}_{lo}_{lo + 4}"
                age = "95 ans ou plus" if lo == 95 else f"{lo:02d} à {lo + 4:02d} ans"
                value = wide.loc[wide["code"] == code, col].item()
                rows.append({"CODGEO": code, "SEXE": label, "AGE": age, "NB": value})
    path = tmp_path / "long.csv"
    pd.DataFrame(rows).to_csv(path, sep=";", index=False)
    pop = read_population_by_age(path, code="CODGEO", age="AGE", sex="SEXE", count="NB")
    np.testing.assert_array_equal(pop.loc[codes].to_numpy(), _dense_reference(wide))


def test_unsplit_wide_columns_and_90_plus(tmp_path):
    frame = pd.DataFrame({"code": ["01001"], **{b: [1.5] for b in AGE_BANDS}, "other": ["x"]})
    pop = read_population_by_age(frame)
    np.testing.assert_array_equal(pop.to_numpy(), np.full((1, 19), 1.5))


# ---------------------------------------------------------------- population: broken files


@pytest.fixture
def wide_csv(tmp_path):
    wide = _wide_frame(np.random.default_rng(0), ["01001", "01002", "2A004", "75101"])
    path = tmp_path / "pop.csv"
    wide.to_csv(path, index=False)
    return path


def test_truncated_file(wide_csv):
    text = wide_csv.read_text()
    wide_csv.write_text(text[: len(text) - 60])
    with pytest.raises(InputFormatError, match=r"pop\.csv, line 5: expected 41 fields.*truncated"):
        read_population_by_age(wide_csv)


def test_truncated_inside_quotes(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text('code,"hommes_0_4\n01001,3\n')
    with pytest.raises(InputFormatError, match=r"cannot read cut.csv.*truncated"):
        read_population_by_age(path)


def test_wrong_columns(wide_csv):
    frame = pd.read_csv(wide_csv, dtype={"code": str}).drop(columns=["femmes_85_89"])
    frame = frame.rename(columns={"hommes_5_9": "h_five"})
    with pytest.raises(InputFormatError, match=r"lacks age bands \(female: 85-89; male: 5-9\)"):
        read_population_by_age(frame)
    with pytest.raises(InputFormatError, match=r"lacks the columns \['code'\].*columns=\{"):
        read_population_by_age(frame.rename(columns={"code": "CODGEO"}))
    with pytest.raises(InputFormatError, match=r"found no age-band columns"):
        read_population_by_age(frame[["code"]].assign(total=1))
    with pytest.raises(ParameterError, match=r"layout must be"):
        read_population_by_age(frame, layout="tall")


def test_integer_codes_ambiguous(tmp_path):
    path = tmp_path / "pop.csv"
    wide = _wide_frame(np.random.default_rng(1), ["1001", "101", "75101"])
    wide.to_csv(path, index=False)
    with pytest.raises(CommuneCodeError, match=r"found '1001', '101' at lines 2, 3 of pop.csv"):
        read_population_by_age(path)
    # padding would make '1001' collide with '01001': not repaired
    wide = _wide_frame(np.random.default_rng(1), ["1001", "01001"])
    with pytest.raises(CommuneCodeError, match=r"cannot be repaired unambiguously"):
        read_population_by_age(wide)


def test_duplicate_codes(wide_csv):
    frame = pd.read_csv(wide_csv, dtype={"code": str})
    frame.loc[3, "code"] = "01001"
    with pytest.raises(DuplicateError, match=r"duplicated codes \('01001'\) at positions 0, 3"):
        read_population_by_age(frame)


def test_negative_and_text_counts(wide_csv):
    frame = pd.read_csv(wide_csv, dtype=str)
    frame.loc[2, "femmes_20_24"] = "-3"
    with pytest.raises(InvalidValueError, match=r"'femmes_20_24' must be at least 0; found -3.0"):
        read_population_by_age(frame)
    frame.loc[2, "femmes_20_24"] = "n/a"
    with pytest.raises(InvalidValueError, match=r"must hold numbers; found 'n/a' at position 2"):
        read_population_by_age(frame)
    frame.loc[2, "femmes_20_24"] = "1 204,5"
    assert read_population_by_age(frame).loc["2A004", "20-24"] >= 1204.5


def test_long_layout_errors():
    long = pd.DataFrame(
        {"code": ["01001"] * 3, "age": ["0-4", "0-4", "7-11"], "population": [1, 2, 3]}
    )
    with pytest.raises(InputFormatError, match=r"found '7-11' at position 2"):
        read_population_by_age(long)
    with pytest.raises(DuplicateError, match=r"repeat a commune, sex and band.*positions 0, 1"):
        read_population_by_age(long.iloc[:2])
    ok = pd.DataFrame({"code": ["01001"] * 19, "age": list(AGE_BANDS), "population": 1.0})
    partial = pd.concat([ok, ok.iloc[:5].assign(code="01002")])
    with pytest.raises(InputFormatError, match=r"1 communes lack some age bands \('01002'\)"):
        read_population_by_age(partial)


# ---------------------------------------------------------------- practitioners


def _practitioners() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rpps": ["10001", "10001", "10002", "10003"],
            "depcom": ["45234", "45235", "2A004", "75101"],
            "actes": ["4500", "300", "6100.5", "0"],
            "age": ["45", "45", "61", "33"],
            "kind": ["liberal", "liberal", "centre_sante", ""],
            "new_install": ["non", "non", "0", "oui"],
        }
    )


MAPPING = {"rpps": "practitioner_id", "depcom": "commune", "actes": "activity"}


def test_practitioners_roundtrip(tmp_path):
    path = tmp_path / "gp.csv"
    _practitioners().to_csv(path, sep=";", index=False)
    gp = read_practitioners(path, columns=MAPPING)
    assert list(gp.columns) == [
        "practitioner_id",
        "commune",
        "activity",
        "age",
        "kind",
        "new_install",
    ]
    assert gp["commune"].tolist() == ["45234", "45235", "2A004", "75101"]
    assert gp["activity"].tolist() == [4500.0, 300.0, 6100.5, 0.0]
    assert gp["kind"].tolist() == ["liberal", "liberal", "centre_sante", "liberal"]
    assert gp["new_install"].tolist() == [False, False, False, True]
    assert gp["new_install"].dtype == bool


def test_practitioners_feed_count_gp_activity():
    supply = pytest.importorskip("aplcore.supply")
    gp = read_practitioners(_practitioners(), columns=MAPPING)
    counted = supply.count_gp_activity(gp, max_age=None)
    assert set(counted.index) <= set(gp["commune"])


def test_practitioners_integer_codes_from_parquet(tmp_path):
    frame = _practitioners().assign(depcom=[45234, 45235, 1001, 75101], rpps=[1, 1, 2, 3])
    path = tmp_path / "gp.parquet"
    frame.to_parquet(path)
    gp = read_practitioners(path, columns=MAPPING)
    assert gp["commune"].tolist() == ["45234", "45235", "01001", "75101"]
    assert gp["practitioner_id"].tolist() == ["1", "1", "2", "3"]
    assert "zero-padded" in gp.attrs["notes"][0]


@pytest.mark.parametrize(
    ("column", "value", "error", "match"),
    [
        ("depcom", "4523", CommuneCodeError, r"found '4523' at line 3 of gp.csv"),
        ("actes", "-1", InvalidValueError, r"'activity' must be at least 0; found -1.0 at line 3"),
        ("age", "7", InvalidValueError, r"'age' must be at least 20; found 7.0 at line 3"),
        ("kind", "hospital", InvalidValueError, r"kind must be one of.*'hospital' at line 3"),
        ("new_install", "maybe", InvalidValueError, r"found 'maybe' at line 3"),
        ("age", "46", InvalidValueError, r"different ages for '10001' at lines 2, 3"),
        ("depcom", "45234", DuplicateError, r"\('10001', '45234'\)\) at lines 2, 3 of gp.csv"),
    ],
)
def test_practitioners_bad_values(tmp_path, column, value, error, match):
    frame = _practitioners()
    frame.loc[1, column] = value
    path = tmp_path / "gp.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(error, match=match):
        read_practitioners(path, columns=MAPPING)


def test_practitioners_missing_columns_and_truncation(tmp_path):
    with pytest.raises(InputFormatError, match=r"lacks the columns \['activity'\]"):
        read_practitioners(
            _practitioners(), columns={"rpps": "practitioner_id", "depcom": "commune"}
        )
    with pytest.raises(InputFormatError, match=r"the columns \['nope'\] named in columns="):
        read_practitioners(_practitioners(), columns={"nope": "activity"})
    path = tmp_path / "gp.csv"
    _practitioners().to_csv(path, index=False)
    text = path.read_text()
    path.write_text(text[: text.rindex(",33,")])
    with pytest.raises(InputFormatError, match=r"gp\.csv, line 5: expected 6 fields.*truncated"):
        read_practitioners(path, columns=MAPPING)


# ---------------------------------------------------------------- COG and territories


def test_cog_real_json_and_csv(shared_raw):
    cog = read_cog_communes(shared_raw / ETALAB / "communes.json")
    assert len(cog) == 34_969 - 3 + 45
    assert cog.index.is_unique
    assert {"01001", "2A004", "75101", "69381", "13216", "97411"} <= set(cog.index)
    assert not {"75056", "69123", "13055"} & set(cog.index)
    assert cog.loc["75101", "parent"] == "75056"
    assert cog.loc["2A004", "departement"] == "2A"
    assert cog.loc["01001", "population"] > 0
    flat = read_cog_communes(shared_raw / ETALAB / "communes_cog_population.csv")
    assert flat.index.equals(cog.index)
    pd.testing.assert_series_equal(flat["population"], cog["population"])
    parents = read_cog_communes(shared_raw / ETALAB / "communes.json", arrondissements=False)
    assert len(parents) == 34_969


def test_cog_compared_with_bundled_communes(shared_raw):
    from aplcore.datasets import load_communes

    cog = read_cog_communes(shared_raw / ETALAB / "communes.json")
    bundled = load_communes(france=True)
    common = cog.index.intersection(bundled.index)
    # two vintages of the COG: nearly all codes are shared, and départements agree
    assert len(common) > 0.99 * len(bundled)
    assert (cog.loc[common, "departement"] == bundled.loc[common, "departement"]).all()


def test_cog_errors(tmp_path):
    frame = pd.DataFrame(
        {
            "code": ["01001", "12218", "12218", "1002"],
            "nom": ["A", "B", "B", "C"],
            "type": [
                "commune-actuelle",
                "commune-actuelle",
                "commune-deleguee",
                "commune-actuelle",
            ],
        }
    )
    with pytest.raises(CommuneCodeError, match=r"found '1002' at position 3"):
        read_cog_communes(frame)
    both = ["commune-actuelle", "commune-deleguee"]
    with pytest.raises(DuplicateError, match=r"\('12218'\) at positions 1, 2"):
        read_cog_communes(frame.iloc[:3], types=both)
    with pytest.raises(InputFormatError, match=r"unknown types \['commune'\]"):
        read_cog_communes(frame, types=["commune"])
    with pytest.raises(InputFormatError, match=r"lacks the columns \['type'\]"):
        read_cog_communes(frame.drop(columns="type"))


def test_territories_real_sample(shared_raw):
    path = shared_raw / "datasante_zonages_format_sample" / "zonages.csv"
    terr = read_territories(path, code="com_code", territories=["tvs_code", "zmed_niveau"])
    assert terr.index.tolist() == ["11132", "11262", "34172", "97617"]
    assert terr.loc["11132", "tvs_code"] == "11203"
    assert terr.loc["97617", "zmed_niveau"] == "1_ZIP"


def test_territories_errors(tmp_path):
    path = tmp_path / "tvs.csv"
    path.write_text("code;tvs\n01001;01004\n1002;01004\n01003;01053\n")
    terr = read_territories(path)
    assert terr["tvs"].tolist() == ["01004", "01004", "01053"]
    assert terr.index.tolist() == ["01001", "01002", "01003"]
    path.write_text("code;tvs\n01001;01004\n01001;01004\n")
    with pytest.raises(DuplicateError, match=r"\('01001'\) at lines 2, 3 of tvs.csv"):
        read_territories(path)
    path.write_text("code;tvs\n01001;01004\n01002;\n")
    with pytest.raises(InvalidValueError, match=r"'tvs' is empty at line 3 of tvs.csv.*truncated"):
        read_territories(path)
    with pytest.raises(InputFormatError, match=r"lacks the columns \['bv'\]"):
        read_territories(path, territories=["bv"])
    with pytest.raises(FileNotFoundError, match=r"no such file"):
        read_territories(tmp_path / "absent.csv")


# ---------------------------------------------------------------- formats, codes, namespace


@given(st.lists(st.integers(1000, 95999), min_size=1, max_size=30, unique=True))
def test_integer_codes_are_repaired_exactly(numbers):
    codes = [f"{n:05d}" for n in numbers]
    frame = pd.DataFrame({"code": numbers, "tvs": codes})
    terr = read_territories(frame)
    assert terr.index.tolist() == codes
    assert bool(terr.attrs["notes"]) == any(n < 10_000 for n in numbers)
    text = frame.assign(code=[f"{n}.0" for n in numbers])
    assert read_territories(text).index.tolist() == codes


def test_latin1_semicolon_and_parquet_positions(tmp_path):
    path = tmp_path / "tvs.csv"
    path.write_bytes("code;nom\n01001;Abergement-Clémenciat\n2A004;Ajaccio\n".encode("latin-1"))
    terr = read_territories(path)
    assert terr.loc["01001", "nom"] == "Abergement-Clémenciat"
    frame = pd.DataFrame({"code": ["01001", "2A004", "01001"], "tvs": ["a", "b", "c"]})
    frame.to_parquet(tmp_path / "tvs.parquet")
    with pytest.raises(DuplicateError, match=r"at positions 0, 2 of tvs.parquet"):
        read_territories(tmp_path / "tvs.parquet")
    frame.iloc[:2].to_csv(tmp_path / "tvs.csv.gz", sep=";", index=False)
    assert read_territories(tmp_path / "tvs.csv.gz")["tvs"].tolist() == ["a", "b"]
    (tmp_path / "empty.csv").write_text("code;tvs\n")
    with pytest.raises(InputFormatError, match=r"empty.csv has no data rows"):
        read_territories(tmp_path / "empty.csv")


def test_excel_file(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "gp.xlsx"
    _practitioners().to_excel(path, index=False)
    gp = read_practitioners(path, columns=MAPPING)
    assert gp["commune"].tolist() == ["45234", "45235", "2A004", "75101"]


def test_namespace_is_lazy():
    import subprocess
    import sys

    code = (
        "import sys, aplcore.io, aplcore.datasets, aplcore.synthetic; "
        "print('numba' in sys.modules, callable(aplcore.io.read_od_table))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    import aplcore.io

    try:
        reader = aplcore.io.read_drees_apl
    except ImportError as exc:  # the DREES module may not be installed yet
        assert "aplcore.io.drees missing" in str(exc)  # noqa: PT017
    else:
        assert callable(reader)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        aplcore.io.nope  # noqa: B018
