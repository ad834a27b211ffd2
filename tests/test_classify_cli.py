"""``aplcore classify`` end to end: agency choices, zoning in force, arrêté date, strict, maps."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from aplcore.cli import main

matplotlib.use("Agg")

CODES = ["45001", "45004", "45006", "45009", "45008", "45010"]
NATIONAL_SAMPLE = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "raw"
    / "datasante_zonages_format_sample"
    / "zonages.csv"
)


@pytest.fixture(autouse=True)
def _no_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APLCORE_PROGRESS", "0")


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """APL, territories, choices and a zoning in force in the national DataSanté layout."""
    paths = {name: tmp_path / f"{name}.csv" for name in ("apl", "tvs", "choices", "in_force")}
    pd.DataFrame(
        {"code": CODES, "apl": [2.0, 2.2, 3.0, 2.5, 5.0, 4.5], "population": [100] * 6}
    ).to_csv(paths["apl"], index=False)
    pd.DataFrame({"code": CODES, "territory": ["T1", "T1", "T2", "T2", "T3", "T3"]}).to_csv(
        paths["tvs"], index=False
    )
    pd.DataFrame(
        {"code": ["T2"], "level": ["territory"], "zone": ["HZ"], "reason": ["CTS"]}
    ).to_csv(paths["choices"], index=False)
    # the columns of the national file (com_code, tvs_code, z<prof>_niveau/_date_arrete of several
    # professions), quoted and comma-separated as DataSanté publishes it
    pd.DataFrame(
        {
            "source": ["DataSanté"] * 6,
            "niveau": ["COM"] * 6,
            "com_code": CODES,
            "com_lib": [f"Commune {k}" for k in range(6)],
            "tvs_code": ["T1", "T1", "T2", "T2", "T3", "T3"],
            "zmed_niveau": ["1_ZIP"] * 3 + ["2_ZAC"] * 2 + ["4_ZAR"],
            "zmed_date_arrete": ["30/10/2025"] * 6,
            "zide_niveau": ["5_Sur_dotee"] * 6,
            "zide_date_arrete": ["12/11/2025"] * 6,
        }
    ).to_csv(paths["in_force"], index=False, quoting=1)
    return paths


def classify_argv(inputs: dict[str, Path], out: Path, *extra: str) -> list[str]:
    argv = ["classify", "--apl", str(inputs["apl"]), "--territories", str(inputs["tvs"])]
    argv += ["--out", str(out), "--cap", "ZIP=0.5", "--cap", "ZAC=0.3"]
    return [*argv, *extra]


def test_classify_takes_choices_zoning_in_force_and_arrete_date(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    extra = ["--choices", str(inputs["choices"]), "--in-force", str(inputs["in_force"])]
    extra += ["--date-arrete", "05/01/2026", "--map-format", "svg", "--dpi", "300"]
    assert main(classify_argv(inputs, out, *extra)) == 0
    stdout = capsys.readouterr().out
    assert "in force → recomputed: 4 of 6 communes change level" in stdout
    communes = pd.read_csv(out / "zoning_communes.csv", dtype=str).set_index("code")
    assert communes.loc["45006", ["zone", "override"]].tolist() == ["HZ", "CTS"]
    national = pd.read_csv(out / "zonage_communes.csv", dtype=str)
    assert set(national["zmed_date_arrete"]) == {"05/01/2026"}
    assert pd.read_csv(out / "comparison_departements.csv")["communes_changed"].tolist() == [4]
    for name in ("zoning_map", "comparison_map"):
        assert "<svg" in (out / f"{name}.svg").read_text(encoding="utf-8")[:2000]
        assert not (out / f"{name}.png").exists()
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["settings"]["date_arrete"] == "05/01/2026"
    assert record["settings"]["maps"] == "svg"
    assert record["settings"]["dpi"] == 300
    assert record["data"]["choices"] == str(inputs["choices"])
    assert record["data"]["in_force"] == str(inputs["in_force"])
    assert "zoning_map.svg" in record["outputs"]


def test_classify_map_resolution_and_no_maps(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    out = tmp_path / "dpi"
    assert main(classify_argv(inputs, out, "--dpi", "300")) == 0
    with Image.open(out / "zoning_map.png") as image:
        assert image.info["dpi"][0] == pytest.approx(300, abs=1)
    bare = tmp_path / "bare"
    assert (
        main(classify_argv(inputs, bare, "--no-maps", "--in-force", str(inputs["in_force"]))) == 0
    )
    capsys.readouterr()
    written = {p.name for p in bare.iterdir()}
    assert "comparison_communes.csv" in written
    assert not [name for name in written if "map" in name]


def test_classify_strict_refuses_a_zoning_that_breaks_a_cap(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    choices = tmp_path / "too_many_zip.csv"
    pd.DataFrame(
        {"code": ["T3"], "level": ["territory"], "zone": ["ZIP"], "reason": ["choice"]}
    ).to_csv(choices, index=False)
    lenient = tmp_path / "lenient"
    assert main(classify_argv(inputs, lenient, "--choices", str(choices), "--no-maps")) == 0
    capsys.readouterr()
    broken = pd.read_csv(lenient / "zoning_checks.csv")
    assert not broken["met"].astype(bool).all()
    strict = tmp_path / "strict"
    code = main(classify_argv(inputs, strict, "--choices", str(choices), "--strict"))
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("aplcore classify: error: "), err
    assert not strict.exists() or not any(strict.iterdir())


def test_classify_refuses_a_badly_written_arrete_date(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(classify_argv(inputs, tmp_path / "out", "--date-arrete", "2026-01-05"))
    assert code == 2
    assert "expected a date written DD/MM/YYYY" in capsys.readouterr().err


def test_classify_help_names_the_new_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--choices", "--in-force", "--date-arrete", "--strict", "--dpi", "--map-format"):
        assert flag in text


@pytest.mark.skipif(not NATIONAL_SAMPLE.exists(), reason="../shared national zoning sample absent")
def test_classify_compares_with_the_real_national_file_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aplcore.zoning import zoning_in_force

    in_force = zoning_in_force(NATIONAL_SAMPLE).dropna()
    codes = list(in_force.index[:6])
    pd.DataFrame(
        {"code": codes, "apl": [2.0, 2.2, 3.0, 2.5, 5.0, 4.5][: len(codes)], "population": 100}
    ).to_csv(tmp_path / "apl.csv", index=False)
    pd.DataFrame({"code": codes, "territory": [f"T{k // 2}" for k in range(len(codes))]}).to_csv(
        tmp_path / "tvs.csv", index=False
    )
    inputs = {"apl": tmp_path / "apl.csv", "tvs": tmp_path / "tvs.csv"}
    out = tmp_path / "out"
    argv = classify_argv(inputs, out, "--in-force", str(NATIONAL_SAMPLE), "--no-maps")
    assert main(argv) == 0, capsys.readouterr().err
    compared = pd.read_csv(out / "comparison_communes.csv", dtype=str)
    assert len(compared) == len(codes)
