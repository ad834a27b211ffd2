"""The ``aplcore`` command, end to end through ``main([...])`` and real subprocesses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.image import imread

from aplcore import __version__, cli
from aplcore.demand import AGE_BANDS, standardise_population

PYTHON = sys.executable
# a readable, deterministic environment for subprocesses (no progress bars)
ENV = {**os.environ, "APLCORE_PROGRESS": "0"}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, command: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"aplcore {command}: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(autouse=True)
def _no_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APLCORE_PROGRESS", "0")


@pytest.fixture(scope="module", autouse=True)
def _kernels_compiled() -> None:
    """Compile the kernels before the commands run, as ``aplcore warmup`` does.

    A command that compiles a kernel says so on stderr (the first run on a machine, or after a
    change of the kernels' source invalidates the Numba cache). Without this, the tests that
    read stderr line by line would pass or fail depending on whether an earlier test of the
    session, or an earlier run, had compiled the kernels they use.
    """
    from aplcore.cli.info import warmup_cases

    for _, case in warmup_cases():
        case()


# --------------------------------------------------------------------------------- tiny case
CODES = ["45001", "45002", "45004", "45005"]
POPULATION = [1000.0, 2500.0, 400.0, 800.0]
# symmetric pairs; band edges exactly on 10 and 15 minutes
PAIRS = [
    ("45001", "45002", 8.0),
    ("45002", "45004", 10.0),
    ("45001", "45004", 15.0),
    ("45004", "45005", 19.5),
    ("45002", "45005", 25.0),
]
GPS = pd.DataFrame(
    {
        "practitioner_id": ["a", "b", "c", "d", "e"],
        "commune": ["45001", "45002", "45002", "45005", "45004"],
        "activity": [5000.0, 3000.0, 4000.0, 7000.0, 100.0],
        "age": [50, 60, 70, 40, 45],
    }
)


def step_weight(t: float, closed: str = "left") -> float:
    """DREES GP weights; left-closed bands: [0,10) → 1, [10,15) → 2/3, [15,20) → 1/3."""
    for edge, weight in ((10, 1.0), (15, 2.0 / 3.0), (20, 1.0 / 3.0)):
        if (t < edge) if closed == "left" else (t <= edge):
            return weight
    return 0.0


def reference_apl(demand: np.ndarray, supply: np.ndarray, closed: str = "left") -> np.ndarray:
    """Dense E2SFCA on the tiny case."""
    n = len(CODES)
    position = {c: k for k, c in enumerate(CODES)}
    times = np.full((n, n), np.inf)
    np.fill_diagonal(times, 0.0)
    for a, b, t in PAIRS:
        times[position[a], position[b]] = times[position[b], position[a]] = t
    weights = np.vectorize(lambda t: step_weight(t, closed))(times)
    ratio = np.zeros(n)
    for j in range(n):
        denominator = (weights[:, j] * demand).sum()
        ratio[j] = supply[j] / denominator if denominator > 0 else 0.0
    return weights @ ratio


def counted_supply() -> np.ndarray:
    # a: 5000; b: 3000 → 3600; c: aged 70, excluded; d: 7000 → 6000; e: 100 → 0
    return np.array([5000.0, 3600.0, 0.0, 6000.0])


@pytest.fixture
def tiny(tmp_path: Path) -> dict[str, Path]:
    od = pd.DataFrame(
        [(a, b, t) for a, b, t in PAIRS] + [(b, a, t) for a, b, t in PAIRS],
        columns=["origin", "destination", "minutes"],
    )
    paths = {
        "times": tmp_path / "od.csv",
        "population": tmp_path / "population.csv",
        "practitioners": tmp_path / "gps.csv",
    }
    od.to_csv(paths["times"], index=False)
    pd.DataFrame({"code": CODES, "population": POPULATION}).to_csv(paths["population"], index=False)
    GPS.to_csv(paths["practitioners"], index=False)
    return paths


def compute_args(tiny: dict[str, Path], out: Path) -> list[str]:
    return [
        "compute",
        "--times",
        str(tiny["times"]),
        "--population",
        str(tiny["population"]),
        "--practitioners",
        str(tiny["practitioners"]),
        "--out",
        str(out),
    ]


# ------------------------------------------------------------------------------------- help
def test_help_answers_without_importing_heavy_modules() -> None:
    script = (
        "import sys\n"
        "from aplcore.cli import main\n"
        "codes = [main(['--help'])] + [main([c, '--help']) for c in "
        "('demo', 'compute', 'classify', 'matrix', 'info', 'warmup')]\n"
        "heavy = ('numpy', 'pandas', 'numba', 'matplotlib', 'scipy', 'aplcore.kernels')\n"
        "print('CODES', codes)\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [PYTHON, "-c", script], capture_output=True, text=True, env=ENV, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "CODES [0, 0, 0, 0, 0, 0, 0]" in proc.stdout
    assert "HEAVY []" in proc.stdout


def test_python_m_aplcore_help_subprocess() -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "aplcore", "--help"], capture_output=True, text=True, env=ENV, check=False
    )
    assert proc.returncode == 0
    for command in ("demo", "compute", "classify", "matrix", "info", "warmup"):
        assert command in proc.stdout
    assert proc.stdout.startswith("usage: aplcore")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from aplcore import __version__

    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"aplcore {__version__}"


def test_no_command_shows_usage_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("usage: aplcore")


def test_usage_errors_return_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["compute"], capsys)
    assert code == 2
    assert "the following arguments are required: --times, --population, --practitioners" in err
    code, _, err = run(["demo", "--region", "24", "--departement", "36"], capsys)
    assert code == 2
    assert "argument --departement: not allowed with argument --region" in err
    code, _, err = run(["frobnicate"], capsys)
    assert code == 2
    assert "invalid choice: 'frobnicate'" in err


# ---------------------------------------------------------------------------------- compute
def test_compute_matches_dense_reference(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "apl.csv"
    code, stdout, err = run(compute_args(tiny, out), capsys)
    assert code == 0, err
    assert err == ""
    assert (
        "aplcore compute: APL of 4 communes (demand = total population; GPs aged ≤ 65; " in stdout
    )
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    assert list(table.index) == CODES
    expected = reference_apl(np.array(POPULATION), counted_supply())
    np.testing.assert_allclose(table["apl"].to_numpy(), expected, rtol=1e-9, atol=0)
    np.testing.assert_allclose(table["supply"].to_numpy(), counted_supply(), rtol=0, atol=0)
    np.testing.assert_allclose(table["population"].to_numpy(), POPULATION, rtol=0, atol=0)


def test_compute_band_edges_option(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "apl.csv"
    code, _, err = run([*compute_args(tiny, out), "--closed", "right"], capsys)
    assert code == 0, err
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    right = reference_apl(np.array(POPULATION), counted_supply(), closed="right")
    left = reference_apl(np.array(POPULATION), counted_supply(), closed="left")
    assert not np.allclose(right, left)  # the tiny case has pairs at exactly 10 and 15 min
    np.testing.assert_allclose(table["apl"].to_numpy(), right, rtol=1e-9, atol=0)


def test_compute_reads_other_od_column_names(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    od = pd.read_csv(tiny["times"], dtype={"origin": str, "destination": str})
    od.columns = ["CODGEO_ORI", "CODGEO_DES", "DUREE"]
    od.to_csv(tiny["times"], index=False)
    out = tmp_path / "apl.csv"
    code, _, err = run(compute_args(tiny, out), capsys)
    assert code == 1
    assert "origin" in assert_one_line_error(err, "compute")
    argv = [*compute_args(tiny, out), "--od-columns", "CODGEO_ORI", "CODGEO_DES", "DUREE"]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    expected = reference_apl(np.array(POPULATION), counted_supply())
    np.testing.assert_allclose(table["apl"].to_numpy(), expected, rtol=1e-9, atol=0)


def test_compute_parquet_output_and_all_ages(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "apl.parquet"
    code, _, err = run([*compute_args(tiny, out), "--max-age", "0"], capsys)
    assert code == 2  # 0 is not an age limit: 'none' says "all ages"
    assert "expected a positive whole number of years or 'none', found '0'" in err
    code, stdout, _ = run([*compute_args(tiny, out), "--max-age", "none"], capsys)
    assert code == 0
    assert "GPs aged any age" in stdout
    table = pd.read_parquet(out)
    supply = counted_supply()
    supply[1] += 4000.0  # GP c (aged 70) counts now
    expected = reference_apl(np.array(POPULATION), supply)
    np.testing.assert_allclose(table["apl"].to_numpy(), expected, rtol=1e-9, atol=0)


def test_compute_standardises_age_bands(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(1)
    bands = pd.DataFrame(
        rng.integers(0, 300, (4, len(AGE_BANDS))).astype(float), columns=list(AGE_BANDS)
    )
    bands.insert(0, "code", CODES)
    path = tmp_path / "bands.csv"
    bands.to_csv(path, index=False)
    tiny["population"] = path
    out = tmp_path / "apl.csv"
    code, stdout, _ = run(compute_args(tiny, out), capsys)
    assert code == 0
    assert "demand standardised (drees_gp_2023)" in stdout
    demand = standardise_population(bands.set_index("code"), "drees_gp_2023")
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    expected = reference_apl(demand.reindex(CODES).to_numpy(), counted_supply())
    np.testing.assert_allclose(table["apl"].to_numpy(), expected, rtol=1e-9, atol=0)
    np.testing.assert_allclose(
        table["population"].to_numpy(), bands[list(AGE_BANDS)].sum(axis=1), rtol=0, atol=0
    )


def test_compute_refuses_to_overwrite_unless_asked(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "apl.csv"
    out.write_text("previous\n")
    code, _, err = run(compute_args(tiny, out), capsys)
    assert code == 1
    line = assert_one_line_error(err, "compute")
    assert line.endswith(
        f"output already exists: {out}. Pass --overwrite to replace it, or choose another "
        "output path."
    )
    assert out.read_text() == "previous\n"
    code, _, err = run([*compute_args(tiny, out), "--overwrite"], capsys)
    assert code == 0, err
    assert out.read_text().startswith("code,apl")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["apl.csv", "apl.run.json", "od.csv", "population.csv", "gps.csv"]
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_outputs_get_the_umask_permissions(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    out = tmp_path / f"apl{suffix}"
    old = os.umask(0o027)
    try:
        code, _, err = run(compute_args(tiny, out), capsys)
        assert code == 0, err
        assert out.stat().st_mode & 0o777 == 0o640
        # a replaced output keeps the permissions its owner gave it
        out.chmod(0o600)
        code, _, err = run([*compute_args(tiny, out), "--overwrite"], capsys)
        assert code == 0, err
        assert out.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_compute_never_overwrites_an_input(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tiny["population"].read_bytes()
    # same file under another spelling, with --overwrite
    other_spelling = tmp_path / "." / "population.csv"
    code, _, err = run([*compute_args(tiny, other_spelling), "--overwrite"], capsys)
    assert code == 1
    line = assert_one_line_error(err, "compute")
    assert "refusing to write" in line
    assert line.endswith("it is an input of this command. Choose another output path.")
    assert tiny["population"].read_bytes() == before


def test_compute_missing_input_file(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny["practitioners"] = tmp_path / "nope.csv"
    code, _, err = run(compute_args(tiny, tmp_path / "apl.csv"), capsys)
    assert code == 1
    line = assert_one_line_error(err, "compute")
    assert line.startswith(
        f"aplcore compute: error: input file not found: {tmp_path / 'nope.csv'}."
    )
    assert not (tmp_path / "apl.csv").exists()


def test_compute_library_errors_are_one_line(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = GPS.assign(activity=[5000.0, -3.0, 4000.0, 7000.0, 100.0])
    bad.to_csv(tiny["practitioners"], index=False)
    code, _, err = run(compute_args(tiny, tmp_path / "apl.csv"), capsys)
    assert code == 1
    line = assert_one_line_error(err, "compute")
    assert "activity" in line
    assert "-3.0" in line
    assert not (tmp_path / "apl.csv").exists()


def test_compute_rejects_unknown_output_format(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(compute_args(tiny, tmp_path / "apl.xlsx"), capsys)
    assert code == 1
    line = assert_one_line_error(err, "compute")
    assert line.endswith(
        "--out must be a .csv or .parquet file, found 'apl.xlsx'. Give a file name ending in "
        ".csv or .parquet."
    )


def test_population_table_without_population_column(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd.DataFrame({"code": CODES, "pop": POPULATION}).to_csv(tiny["population"], index=False)
    code, _, err = run(compute_args(tiny, tmp_path / "apl.csv"), capsys)
    assert code == 1
    line = assert_one_line_error(err, "compute")
    # neither a total population nor age bands: the age-band reader says what it expected
    assert line.startswith(
        "aplcore compute: error: population by age: found no age-band columns in population.csv"
    )


def test_progress_bar_only_when_asked(
    tiny: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APLCORE_PROGRESS", "1")
    code, _, err = run(compute_args(tiny, tmp_path / "a.csv"), capsys)
    assert code == 0
    assert "step" in err  # the tqdm bar counts steps
    monkeypatch.setenv("APLCORE_PROGRESS", "0")
    code, _, err = run(compute_args(tiny, tmp_path / "b.csv"), capsys)
    assert code == 0
    assert err == ""


def test_verbose_logs_steps(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["-v", *compute_args(tiny, tmp_path / "a.csv")], capsys)
    assert code == 0
    assert "INFO aplcore.cli: APL: done in" in err
    assert f"INFO aplcore.cli: wrote {tmp_path / 'a.csv'} (4 rows)" in err


# ----------------------------------------------------------------------------------- matrix
def test_matrix_crow_fly_matches_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aplcore import datasets
    from aplcore.traveltimes.crowfly import travel_times_crow_fly

    out = tmp_path / "m.csv"
    argv = ["matrix", "--departement", "2A", "--ring-minutes", "0", "--out", str(out)]
    code, stdout, err = run(argv, capsys)
    assert code == 0, err
    assert (
        "no ring of neighbours (--ring-minutes 0): APL computed on this matrix is biased" in stdout
    )
    communes = datasets.load_communes(departement="2A", dropna=True)
    expected = travel_times_crow_fly(communes.reset_index(), max_minutes=30).to_frame()
    got = pd.read_csv(out, dtype={"origin": str, "destination": str})
    assert len(got) == len(expected)
    pd.testing.assert_frame_equal(
        got, expected.reset_index(drop=True), check_exact=False, rtol=1e-12
    )
    assert f"aplcore matrix: {len(communes)} communes of département 2A Corse-du-Sud, " in stdout


def test_matrix_npz_feeds_compute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aplcore import datasets

    matrix = tmp_path / "m.npz"
    argv = ["matrix", "--departement", "2A", "--ring-minutes", "0", "--out", str(matrix)]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    communes = datasets.load_communes(departement="2A", dropna=True)
    population = tmp_path / "pop.parquet"
    communes[["population"]].astype("float64").to_parquet(population)
    gps = tmp_path / "gps.csv"
    pd.DataFrame(
        {
            "practitioner_id": ["x", "y"],
            "commune": ["2A004", "2A247"],
            "activity": [5000, 4000],
            "age": [50, 50],
        }
    ).to_csv(gps, index=False)
    out = tmp_path / "apl.csv"
    code, _, err = run(
        [
            "compute",
            "--times",
            str(matrix),
            "--population",
            str(population),
            "--practitioners",
            str(gps),
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    # the matrix says the area was cut at its border: one warning line
    assert "aplcore compute: warning: APL computed on département 2A Corse-du-Sud with a " in err
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    assert len(table) == len(communes)
    # the identity of the formula: sum P* APL = sum S when every supplied commune has demand
    total = (table["apl"] * table["pop_std"]).sum()
    assert total == pytest.approx(9000.0, rel=1e-9)
    record = json.loads((tmp_path / "apl.run.json").read_text(encoding="utf-8"))
    assert record["command"] == "compute"
    assert record["settings"]["decay"] == "drees_gp"
    assert record["settings"]["closed"] == "left"
    assert record["settings"]["max_age"] == 65
    assert record["outputs"] == ["apl.csv"]


def test_matrix_of_an_area_with_its_ring_feeds_compute_for_the_area_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import aplcore

    matrix = tmp_path / "m.parquet"
    code, stdout, err = run(["matrix", "--departement", "90", "--out", str(matrix)], capsys)
    assert code == 0, err
    area = aplcore.study_area(departement="90")
    assert f"communes of the {len(area.core)} of département 90 Territoire de Belfort " in stdout
    assert f"{len(area.ring)} neighbours within 40 min" in stdout
    population = tmp_path / "pop.csv"
    area.communes[["population"]].astype("float64").rename_axis("code").to_csv(population)
    gps = tmp_path / "gps.csv"
    pd.DataFrame(
        {"practitioner_id": ["x"], "commune": ["90010"], "activity": [5000], "age": [50]}
    ).to_csv(gps, index=False)
    out = tmp_path / "apl.parquet"
    argv = ["compute", "--times", str(matrix), "--population", str(population)]
    argv += ["--practitioners", str(gps), "--out", str(out), "--decay", "linear:20"]
    code, stdout, err = run([*argv, "--max-age", "none"], capsys)
    assert code == 0, err
    assert "warning" not in err
    assert "GPs aged any age; method e2sfca; decay linear:20)" in stdout
    assert "communes of the ring around département 90 Territoire de Belfort" in stdout
    table = pd.read_parquet(out)
    assert sorted(table.index) == sorted(area.core)
    record = json.loads((tmp_path / "apl.run.json").read_text(encoding="utf-8"))
    assert record["settings"]["max_age"] is None
    assert record["settings"]["decay"] == "linear:20"


def test_matrix_needs_one_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["matrix", "--out", str(tmp_path / "m.csv")], capsys)
    assert code == 1
    assert assert_one_line_error(err, "matrix").endswith(
        "choose the communes: --communes FILE, or --region, --departement or --france."
    )
    communes = tmp_path / "c.csv"
    pd.DataFrame({"code": ["2A004"], "lon": [8.7], "lat": [41.9]}).to_csv(communes, index=False)
    code, _, err = run(
        ["matrix", "--communes", str(communes), "--region", "94", "--out", str(tmp_path / "m.csv")],
        capsys,
    )
    assert code == 1
    assert assert_one_line_error(err, "matrix").endswith(
        "give either --communes FILE or an area (--region, --departement, --france)."
    )


def test_matrix_from_commune_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    communes = tmp_path / "c.csv"
    pd.DataFrame(
        {
            "code": ["01001", "01002", "01004"],
            "lon": [4.92, 5.43, 5.36],
            "lat": [46.15, 46.0, 45.96],
        }
    ).to_csv(communes, index=False)
    out = tmp_path / "m.parquet"
    code, stdout, err = run(["matrix", "--communes", str(communes), "--out", str(out)], capsys)
    assert code == 0, err
    from aplcore.traveltimes.store import load_travel_times

    tt = load_travel_times(out)
    assert list(tt.codes) == ["01001", "01002", "01004"]
    assert "aplcore matrix: 3 communes of " in stdout


def test_unknown_departement_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["matrix", "--departement", "99", "--out", str(tmp_path / "m.csv")], capsys)
    assert code == 1
    line = assert_one_line_error(err, "matrix")
    assert "unknown département '99'" in line


# --------------------------------------------------------------------------------- classify
def test_classify_matches_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aplcore.zoning import classify_zones

    codes = [f"18{k:03d}" for k in range(1, 13)]
    rng = np.random.default_rng(5)
    apl = pd.Series(rng.uniform(1.0, 6.0, 12), index=pd.Index(codes, name="code"))
    population = pd.Series(rng.integers(100, 5000, 12).astype(float), index=apl.index)
    territory = pd.Series([f"T{k // 3}" for k in range(12)], index=apl.index)
    apl_path = tmp_path / "apl.csv"
    pd.DataFrame({"apl": apl, "population": population}).to_csv(apl_path)
    terr_path = tmp_path / "tvs.csv"
    pd.DataFrame({"code": codes, "territory": territory.to_numpy()}).to_csv(terr_path, index=False)
    out = tmp_path / "zoning"
    argv = [
        "classify",
        "--apl",
        str(apl_path),
        "--territories",
        str(terr_path),
        "--out",
        str(out),
        "--cap",
        "ZIP=0.5",
        "--cap",
        "ZAC=0.3",
        "--cap",
        "HZ=0.2",
    ]
    code, stdout, err = run(argv, capsys)
    assert code == 0, err
    expected = classify_zones(
        apl,
        population=population,
        territory=territory,
        method="zonage_2025",
        caps={"ZIP": 0.5, "ZAC": 0.3, "HZ": 0.2},
        cap_unit="share",
    )
    communes = pd.read_csv(out / "zoning_communes.csv", dtype={"code": str}).set_index("code")
    assert communes["zone"].to_dict() == expected.communes["zone"].to_dict()
    report = pd.read_csv(out / "zoning_report.csv", dtype={"region": str, "departement": str})
    assert report["population"].iloc[-1] == population.sum()
    assert "aplcore classify: 12 communes, method zonage_2025" in stdout
    # the thresholds it used are printed (here the preset's)
    assert "  - method zonage_2025: APL thresholds ZIP < 2.71 ≤ ZAC < 3.98 ≤ HZ" in stdout
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["command"] == "classify"
    assert record["settings"]["thresholds"] == [2.71, 3.98]
    assert record["settings"]["caps"] == {"ZIP": 0.5, "ZAC": 0.3, "HZ": 0.2}
    assert "zoning_communes.csv" in record["outputs"]
    # a second run refuses to overwrite
    code, _, err = run(argv, capsys)
    assert code == 1
    assert "output already exists:" in assert_one_line_error(err, "classify")


def test_classify_bad_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    apl_path = tmp_path / "apl.csv"
    pd.DataFrame({"code": ["18001"], "apl": [2.0], "population": [10]}).to_csv(
        apl_path, index=False
    )
    argv = [
        "classify",
        "--apl",
        str(apl_path),
        "--territories",
        str(apl_path),
        "--out",
        str(tmp_path / "z"),
        "--cap",
        "ZIP:0.5",
    ]
    code, _, err = run(argv, capsys)
    assert code == 1
    assert assert_one_line_error(err, "classify").endswith(
        "--cap must look like ZONE=VALUE with a share (ZIP=0.713) or a number of inhabitants "
        "(ZIP=1834765), found 'ZIP:0.5'."
    )


# ------------------------------------------------------------------------------ info, warmup
def test_info(capsys: pytest.CaptureFixture[str]) -> None:
    import numba

    code, out, err = run(["info"], capsys)
    assert code == 0, err
    lines = dict(
        re.split(r"\s{2,}", line, maxsplit=1)
        for line in out.splitlines()
        if not line.startswith("note")
    )
    assert lines["numba"].strip() == numba.__version__
    assert lines["numpy"].strip() == np.__version__
    assert lines["pandas"].strip() == pd.__version__
    assert f"{numba.get_num_threads()} (NUMBA_NUM_THREADS=" in out
    assert cli.numba_cache_location() in out
    assert lines["numba cache"] in ("on", "off (APLCORE_NUMBA_CACHE=0)")


def test_info_reports_cache_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("APLCORE_NUMBA_CACHE", "0")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    code, out, _ = run(["info"], capsys)
    assert code == 0
    assert "off (APLCORE_NUMBA_CACHE=0)" in out
    assert f"{tmp_path} (writable)" in out


def test_warmup_prints_each_case(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def missing() -> None:
        raise ImportError("needs networkx")

    monkeypatch.setattr(
        cli.info,
        "warmup_cases",
        lambda: [("first", lambda: calls.append(1)), ("second", missing)],
    )
    code, out, _ = run(["warmup"], capsys)
    assert code == 0
    assert calls == [1]
    lines = out.splitlines()
    assert lines[0].startswith("first ")
    assert lines[0].endswith(" s")
    assert lines[1] == f"{'second':<24} skipped (needs networkx)"
    assert lines[2].startswith("total ")


@pytest.mark.slow
def test_warmup_runs_the_public_functions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["warmup"], capsys)
    assert code == 0, err
    for name in ("crow-fly travel times", "APL (E2SFCA)", "zoning", "road travel times"):
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert line.endswith(" s"), line


# ------------------------------------------------------------------------------------- demo
def n_colours(image: np.ndarray) -> int:
    """Number of distinct RGB colours of an image read by matplotlib (floats in [0, 1])."""
    rgb = np.round(image[..., :3] * 255).astype(np.int64).reshape(-1, 3)
    return len(np.unique(rgb @ np.array([1, 256, 65536])))


def read_demo(out: Path) -> dict[str, pd.DataFrame]:
    codes = {"code": str, "departement": str, "region": str, "territory": str, "commune": str}
    return {
        name: pd.read_csv(out / f"{name}.csv", dtype=codes)
        for name in (
            "apl_synthetic",
            "practitioners_synthetic",
            "zoning_territories_synthetic",
            "zoning_report_synthetic",
            "summary_synthetic",
        )
    }


@pytest.fixture(scope="module")
def demo_36(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """``aplcore demo --departement 36`` run once, as a real subprocess of the console script."""
    out = tmp_path_factory.mktemp("demo") / "out"
    proc = subprocess.run(
        [PYTHON, "-m", "aplcore", "demo", "--departement", "36", "--out", str(out)],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )
    return out, proc


def test_demo_subprocess_writes_every_output(demo_36) -> None:
    out, proc = demo_36
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    stdout = proc.stdout
    assert stdout.startswith("aplcore demo: département 36 Indre, ")
    assert "SYNTHETIC" in stdout
    assert "demand: total population (population municipale), not age-standardised" in stdout
    assert "the Centre-Val de Loire 2025 shares (ZIP 71.3 %, ZAC 21.3 %, HZ 7.4 %" in stdout
    tables = read_demo(out)
    apl = tables["apl_synthetic"].set_index("code")
    assert apl.index.str.fullmatch(r"36\d{3}").all()
    assert apl.index.is_unique
    assert np.isfinite(apl["apl"]).all()
    assert (apl["apl"] >= 0).all()
    assert set(apl["zone"]) <= {"ZIP", "ZAC", "HZ"}
    summary = tables["summary_synthetic"].set_index("departement")
    assert list(summary.index) == ["36", "total"]
    assert summary.loc["total", "population"] == apl["population"].sum()
    assert summary.loc["total", "communes"] == len(apl)
    zone_total = summary.loc["total", ["population_ZIP", "population_ZAC", "population_HZ"]].sum()
    assert zone_total == apl["population"].sum()
    mean = (apl["apl"] * apl["demand"]).sum() / apl["demand"].sum()
    assert summary.loc["total", "apl_mean"] == pytest.approx(mean, rel=1e-9)
    gps = tables["practitioners_synthetic"]
    assert gps["practitioner_id"].str.startswith("SYN").all()
    assert not gps.duplicated(["practitioner_id", "commune"]).any()
    for name, size in (  # 200 dpi
        ("apl_map_synthetic.png", (1600, 1600)),
        ("zoning_map_synthetic.png", (1600, 1600)),
        ("population_by_apl_synthetic.png", (1000, 1600)),
    ):
        image = imread(out / name)
        assert image.shape[:2] == size
        assert n_colours(image) > 5
    readme = (out / "README_synthetic.txt").read_text(encoding="utf-8")
    assert readme.startswith("aplcore ")
    assert readme.split("\n\n", 1)[1].strip() == stdout.strip()
    for path in out.iterdir():
        assert not path.name.endswith(".tmp")
    assert "APL: method e2sfca, decay drees_gp (bands [a, b)), GPs aged ≤ 65." in stdout
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["command"] == "demo"
    assert record["command_line"] == f"aplcore demo --departement 36 --out {out}"
    settings = record["settings"]
    assert settings["decay"] == "drees_gp"
    assert settings["closed"] == "left"
    assert settings["max_age"] == 65
    assert settings["weights"] is None
    assert settings["ring_minutes"] == 40.0
    assert "population municipale" in record["data"]["population"]
    assert record["versions"]["aplcore"] == __version__
    assert set(record["outputs"]) == {p.name for p in out.iterdir()} - {"run.json"}


def test_demo_refuses_to_overwrite_files_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "apl_synthetic.csv").write_text("mine")
    code, _, err = run(["demo", "--departement", "90", "--out", str(out), "--no-maps"], capsys)
    assert code == 1
    line = assert_one_line_error(err, "demo")
    assert f"output already exists: {out / 'apl_synthetic.csv'}" in line
    assert line.endswith("Pass --overwrite to replace it, or choose another output path.")
    assert (out / "apl_synthetic.csv").read_text() == "mine"
    # the outputs of a previous demo (listed in its run.json) are replaced without asking
    (out / "apl_synthetic.csv").unlink()
    argv = ["demo", "--departement", "90", "--out", str(out), "--no-maps"]
    assert run(argv, capsys)[0] == 0
    assert run(argv, capsys)[0] == 0


def test_demo_in_process_matches_subprocess_and_overwrites(
    demo_36, capsys: pytest.CaptureFixture[str]
) -> None:
    out, proc = demo_36
    assert proc.returncode == 0
    first = read_demo(out)
    code, stdout, err = run(
        ["demo", "--departement", "Indre", "--out", str(out), "--overwrite", "--no-maps"], capsys
    )
    assert code == 0, err
    # same notes and summary as the subprocess run; only the list of files differs (no maps)
    assert stdout.split("written:")[0] == proc.stdout.split("written:")[0]
    again = read_demo(out)
    for name, frame in first.items():
        pd.testing.assert_frame_equal(again[name], frame)


def test_demo_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, _, err = run(["demo", "--departement", "36", "--out", str(target)], capsys)
    assert code == 1
    assert assert_one_line_error(err, "demo").endswith(
        f"--out must be a folder, found a file: {target}."
    )
    assert target.read_text() == "x"


def test_demo_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    out = blocker / "sub"
    code, _, err = run(["demo", "--departement", "2A", "--out", str(out), "--no-maps"], capsys)
    assert code == 1
    assert assert_one_line_error(err, "demo").endswith(f"Not a directory: {out}")
    code, _, err = run(["-vv", "demo", "--departement", "2A", "--out", str(out)], capsys)
    assert code == 1
    assert "Traceback" in err  # -vv shows it, for bug reports
    assert err.strip().splitlines()[-1] == f"aplcore demo: error: Not a directory: {out}"


def test_demo_unknown_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["demo", "--region", "Atlantis", "--out", str(tmp_path)], capsys)
    assert code == 1
    assert "unknown région 'Atlantis'" in assert_one_line_error(err, "demo")
    assert list(tmp_path.iterdir()) == []


def test_demo_missing_roads_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        [
            "demo",
            "--departement",
            "36",
            "--roads",
            str(tmp_path / "g.graphml"),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert code == 1
    assert assert_one_line_error(err, "demo").startswith(
        f"aplcore demo: error: input file not found: {tmp_path / 'g.graphml'}."
    )


@pytest.mark.slow
def test_demo_default_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, err = run(["demo", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert stdout.startswith("aplcore demo: région 24 Centre-Val de Loire, ")
    assert "with the caps the ministry set for Centre-Val de Loire in 2025" in stdout
    summary = pd.read_csv(tmp_path / "summary_synthetic.csv", dtype={"departement": str})
    assert list(summary["departement"]) == ["18", "28", "36", "37", "41", "45", "total"]


def test_demo_with_age_bands_standardises_known_communes(
    shared_raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aplcore.io import read_population_by_age

    path = shared_raw / "ensai_communes_age_sexe_2021" / "data.csv"
    argv = ["demo", "--departement", "36", "--age-bands", str(path), "--out", str(tmp_path)]
    code, stdout, err = run([*argv, "--no-maps"], capsys)
    assert code == 0, err
    note = next(line for line in stdout.splitlines() if "demand:" in line)
    assert "demand: age-standardised population (DREES 2023 weights) from data.csv for " in note
    assert note.endswith("communes absent from that file keep their total population.")
    table = pd.read_csv(tmp_path / "apl_synthetic.csv", dtype={"code": str}).set_index("code")
    bands = read_population_by_age(path)
    known = table.index.intersection(bands.index)
    assert len(known) > 0
    expected = standardise_population(bands.loc[known], "drees_gp_2023")
    np.testing.assert_allclose(table.loc[known, "demand"], expected[known], rtol=1e-12, atol=0)
    others = table.index.difference(bands.index)
    np.testing.assert_array_equal(table.loc[others, "demand"], table.loc[others, "population"])
    assert path.exists()  # the input is untouched (read-only folder in CI)


def test_matrix_on_a_real_road_graph(
    shared_raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aplcore import datasets

    graph = shared_raw / "osm_osmnx_graphs_yvelines" / "st_ger.gml"
    communes = datasets.load_communes(departement="78", dropna=True)
    near = communes[communes["lon"].between(2.0, 2.2) & communes["lat"].between(48.87, 49.0)]
    points = tmp_path / "communes.csv"
    near.reset_index()[["code", "lon", "lat"]].to_csv(points, index=False)
    out = tmp_path / "roads.csv"
    argv = ["matrix", "--communes", str(points), "--roads", str(graph), "--out", str(out)]
    code, stdout, err = run(argv, capsys)
    assert code == 0, err
    assert (
        "travel times: road graph st_ger.gml, pairs within 30 min; town halls are a median "
        in stdout
    )
    od = pd.read_csv(out, dtype={"origin": str, "destination": str})
    assert set(od["origin"]) <= set(near.index)
    assert (od["minutes"] >= 0).all()
    assert (od["minutes"] <= 30).all()
    self_pairs = od[od["origin"] == od["destination"]]
    assert len(self_pairs) == len(near)


@pytest.mark.slow
def test_demo_france(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aplcore import datasets

    code, stdout, err = run(["demo", "--france", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    communes = datasets.load_communes(france=True, dropna=True)
    assert stdout.startswith(f"aplcore demo: France, {len(communes)} communes ")
    assert sorted(p.suffix for p in tmp_path.glob("*map*")) == [".png", ".png"]
    table = pd.read_csv(tmp_path / "apl_synthetic.csv", dtype={"code": str, "departement": str})
    assert set(table["code"]) == set(communes.index)
    summary = pd.read_csv(tmp_path / "summary_synthetic.csv", dtype={"departement": str})
    assert summary["departement"].iloc[-1] == "total"
    assert len(summary) == table["departement"].nunique() + 1
    assert summary["population"].iloc[-1] == table["population"].sum()


def test_classify_with_a_real_zoning_file_as_territories(
    shared_raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aplcore.io import read_territories

    zonages = shared_raw / "datasante_zonages_format_sample" / "zonages.csv"
    tvs = read_territories(zonages)["tvs_code"]
    apl_path = tmp_path / "apl.csv"
    pd.DataFrame(
        {"code": tvs.index, "apl": np.linspace(2.0, 5.0, len(tvs)), "population": 1000.0}
    ).to_csv(apl_path, index=False)
    out = tmp_path / "z"
    argv = ["classify", "--apl", str(apl_path), "--territories", str(zonages), "--out", str(out)]
    code, _, err = run(argv, capsys)
    assert code == 1
    line = assert_one_line_error(err, "classify")
    assert "has several territory columns (" in line
    assert line.endswith("choose one with --territory-column.")
    code, stdout, err = run([*argv, "--territory-column", "tvs_code"], capsys)
    assert code == 0, err
    assert stdout.startswith(f"aplcore classify: {len(tvs)} communes, method zonage_2025")
    communes = pd.read_csv(out / "zoning_communes.csv", dtype=str).set_index("code")
    assert communes["territory"].to_dict() == tvs.to_dict()
    assert zonages.exists()


def test_library_warnings_are_one_readable_line(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 45005 and its only neighbour within 20 min (45004) have nobody: its GP reaches no one
    population = [1000.0, 2500.0, 0.0, 0.0]
    pd.DataFrame({"code": CODES, "population": population}).to_csv(tiny["population"], index=False)
    code, _, err = run(compute_args(tiny, tmp_path / "apl.csv"), capsys)
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("aplcore compute: warning: ")
    assert "'45005'" in lines[0]
    table = pd.read_csv(tmp_path / "apl.csv", dtype={"code": str}).set_index("code")
    expected = reference_apl(np.array(population), counted_supply())
    np.testing.assert_allclose(table["apl"].to_numpy(), expected, rtol=1e-9, atol=0)


def test_demo_without_shapely_skips_maps_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.demo, "_shapely_available", lambda: False)
    code, stdout, err = run(["demo", "--departement", "2A", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert "maps: skipped, they need shapely to read the contours" in stdout
    assert not list(tmp_path.glob("*.png"))
    assert (tmp_path / "apl_synthetic.csv").exists()


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["18", "36", "2A"]),
            st.floats(0, 5000, allow_nan=False),
            st.floats(0, 2, allow_nan=False),
            st.floats(0, 8, allow_nan=False),
            st.sampled_from(["ZIP", "ZAC", "HZ"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_summarise_matches_plain_loops(rows) -> None:
    codes = [f"{dep}{k:03d}" for k, (dep, *_) in enumerate(rows)]
    table = pd.DataFrame(
        {
            "departement": [r[0] for r in rows],
            "population": [r[1] for r in rows],
            "demand": [r[1] * r[2] for r in rows],
            "apl": [r[3] for r in rows],
            "zone": [r[4] for r in rows],
        },
        index=pd.Index(codes, name="code"),
    )
    summary = cli.summarise(table)
    groups = sorted(set(table["departement"]))
    assert list(summary.index) == [*groups, "total"]
    for group in [*groups, "total"]:
        part = table if group == "total" else table[table["departement"] == group]
        row = summary.loc[group]
        assert row["communes"] == len(part)
        assert row["population"] == pytest.approx(part["population"].sum(), rel=1e-12)
        weight = part["demand"].sum()
        if weight > 0:
            mean = (part["apl"] * part["demand"]).sum() / weight
            assert row["apl_mean"] == pytest.approx(mean, rel=1e-9, abs=1e-12)
        else:
            assert np.isnan(row["apl_mean"])
        under = part.loc[part["apl"] < 2.5, "population"].sum()
        assert row["population_apl_under_2.5"] == pytest.approx(under, rel=1e-12, abs=1e-9)
        for zone in set(table["zone"]):
            total = part.loc[part["zone"] == zone, "population"].sum()
            assert row[f"population_{zone}"] == pytest.approx(total, rel=1e-12, abs=1e-9)


@given(
    caps=st.dictionaries(
        st.sampled_from(["ZIP", "ZAC", "HZ", "ZV"]),
        st.floats(0, 1, allow_nan=False),
        min_size=1,
    )
)
def test_cap_options_round_trip(caps) -> None:
    parsed = cli.classify._parse_caps([f"{zone}={value!r}" for zone, value in caps.items()])
    assert parsed == caps


def test_summarise_orders_the_2017_zones_as_the_maps() -> None:
    table = pd.DataFrame(
        {
            "departement": ["18", "18", "36", "36", "36"],
            "population": [100.0, 200.0, 300.0, 400.0, 500.0],
            "demand": [100.0, 200.0, 300.0, 400.0, 500.0],
            "apl": [1.0, 3.0, 4.5, 3.5, 2.0],
            "zone": ["ZIP", "ZAC", "HV", "ZV", "ZIP"],
        },
        index=pd.Index(["18001", "18002", "36001", "36002", "36003"], name="code"),
    )
    summary = cli.summarise(table)
    zone_columns = [
        c for c in summary.columns if c.startswith("population_Z") or c == "population_HV"
    ]
    assert zone_columns == ["population_ZIP", "population_ZAC", "population_ZV", "population_HV"]
    assert summary.loc["total", "population_ZIP"] == 600.0
    assert summary.loc["36", "population_HV"] == 300.0


def test_decay_option_maps_to_the_registry() -> None:
    from aplcore.cli._options import parse_decay
    from aplcore.decay import get_decay, linear_decay, step_decay

    assert parse_decay("drees_gp") == get_decay("drees_gp")
    assert parse_decay("drees_gp", closed="right") == get_decay("drees_gp", closed="right")
    assert parse_decay("linear:30").params == linear_decay(30).params
    assert parse_decay("linear:30").kind == "linear"
    step = parse_decay("step:10,20:1,0.5", closed="right")
    assert step.params == step_decay((10, 20), (1, 0.5)).params
    assert step.closed == "right"
    assert parse_decay("power:1.5,30,2").params == (30.0, 1.5, 2.0)
    for bad, message in (
        ("nope", "is not a known decay; known: "),
        ("cubic:3", "unknown family 'cubic'"),
        ("linear:x", "expected linear:CUTOFF"),
        ("step:10,20:1", "expected step:EDGE,EDGE,...:WEIGHT,WEIGHT,..."),
        ("linear:-3", "cutoff must be a positive number"),
    ):
        with pytest.raises(cli.CommandError, match=re.escape(message)):
            parse_decay(bad)


def test_max_age_none_and_ring_options_parse() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["demo", "--max-age", "none", "--ring-minutes", "0"])
    assert args.max_age is None
    assert args.ring_minutes == 0.0
    args = parser.parse_args(["demo"])
    assert args.max_age == 65
    assert args.ring_minutes is None
    assert args.dpi == 200.0


@pytest.mark.parametrize("argv", [["--max-age", "0"], ["--ring-minutes", "-1"], ["--dpi", "x"]])
def test_bad_option_values_are_usage_errors(argv, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", *argv]) == 2
    assert "error: argument" in capsys.readouterr().err


def test_demo_without_ring_warns_of_edge_effects_and_other_decay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["demo", "--departement", "90", "--out", str(tmp_path), "--no-maps"]
    code, stdout, err = run(
        [*argv, "--ring-minutes", "0", "--decay", "linear:20", "--max-age", "none"], capsys
    )
    assert code == 0, err
    assert "aplcore demo: warning: APL computed on département 90 Territoire de Belfort " in err
    assert "with a ring of 0 min of neighbours" in err
    assert "APL: method e2sfca, decay linear:20, GPs of any age." in stdout
    record = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert record["settings"]["decay"] == "linear:20"
    assert record["settings"]["max_age"] is None
    assert record["settings"]["ring_minutes"] == 0.0
    code, stdout, err = run([*argv, "--decay", "linear:45", "--overwrite"], capsys)
    assert code == 0, err
    assert "travel times are kept up to 30 min but the decay weighs pairs up to 45 min" in stdout


def test_demo_maps_as_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["demo", "--departement", "90", "--out", str(tmp_path), "--map-format", "svg"]
    code, _, err = run([*argv, "--dpi", "50"], capsys)
    assert code == 0, err
    maps = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert maps == [
        "apl_map_synthetic.svg",
        "population_by_apl_synthetic.svg",
        "zoning_map_synthetic.svg",
    ]
    assert (tmp_path / "apl_map_synthetic.svg").read_text(encoding="utf-8").startswith("<?xml")


# ------------------------------------------------------------------------------------ zone
def test_zone_from_a_csv_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "apl.csv"
    pd.DataFrame(
        {
            "code": ["28025", "28276", "28319", "28001"],
            "apl_65": [2.0, 4.0, 3.0, 5.0],
            "pop_total": [100, 300, 600, 1000],
        }
    ).to_csv(table, index=False)
    out = tmp_path / "zoning"
    argv = ["zone", "--apl", str(table), "--territories", "commune", "--out", str(out)]
    code, _, err = run(argv, capsys)
    assert code == 2  # --apl-column is required: never all-ages APL by default
    assert "--apl-column" in err
    code, stdout, err = run([*argv, "--apl-column", "apl_65", "--no-map"], capsys)
    assert code == 0, err
    assert "2 communes of the source were merged or renamed by 2025" in stdout
    communes = pd.read_csv(out / "zoning_communes.csv", dtype={"code": str}).set_index("code")
    assert sorted(communes.index) == ["28001", "28319"]
    changes = pd.read_csv(out / "code_changes.csv", dtype=str)
    assert dict(zip(changes["code"], changes["updated"], strict=True)) == {
        "28025": "28319",
        "28276": "28319",
    }
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["command"] == "zone"
    assert record["settings"]["column"] == "apl_65"
    assert record["settings"]["codes_to"] == 2025


def test_zone_from_the_drees_workbook(
    shared_raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openpyxl")
    workbook = (
        shared_raw
        / "drees_apl_mg_2022_2023"
        / ("apl_generalistes_extrait_centre_val_de_loire.xlsx")
    )
    out = tmp_path / "cvl"
    argv = ["zone", "--apl", str(workbook), "--apl-column", "apl_65", "--out", str(out)]
    argv += ["--cap", "ZIP=1834765", "--cap", "ZAC=548114", "--cap", "HZ=190424"]
    code, stdout, err = run([*argv, "--margin", "2346"], capsys)
    assert code == 0, err
    assert stdout.startswith("aplcore zone: 1754 communes, column apl_65, method zonage_2025")
    assert "(GPs aged 65 or less, the zoning variant)" in stdout
    assert "method zonage_2025: APL thresholds ZIP < 2.71 ≤ ZAC < 3.98 ≤ HZ" in stdout
    communes = pd.read_csv(out / "zoning_communes.csv", dtype={"code": str}).set_index("code")
    assert communes["population"].sum() == 2_573_303
    image = imread(out / "zoning_map.png")
    assert image.shape[:2] == (1600, 1600)
    assert workbook.exists()
    code, _, err = run([*argv[:5], "--apl-column", "apl_75", "--out", str(tmp_path / "x")], capsys)
    assert code == 1
    assert "column must be one of apl, apl_65" in err


def test_compute_reading_options_separator_and_sheet(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openpyxl")
    reference = tmp_path / "reference.csv"
    assert run(compute_args(tiny, reference), capsys)[0] == 0
    for key in ("times", "practitioners"):
        frame = pd.read_csv(tiny[key], dtype=str)
        tiny[key] = tmp_path / f"{key}_pipe.csv"
        frame.to_csv(tiny[key], sep="~", index=False)  # a separator nobody sniffs
    population = pd.read_csv(tiny["population"], dtype={"code": str})
    tiny["population"] = tmp_path / "population.xlsx"
    with pd.ExcelWriter(tiny["population"]) as writer:
        pd.DataFrame({"note": ["not this sheet"]}).to_excel(writer, sheet_name="readme")
        population.to_excel(writer, sheet_name="pop", index=False)
    out = tmp_path / "apl.csv"
    code, _, err = run([*compute_args(tiny, out), "--sep", "~", "--sheet", "pop"], capsys)
    assert code == 0, err
    got = pd.read_csv(out, dtype={"code": str})
    expected = pd.read_csv(reference, dtype={"code": str})
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert cli.main(["compute", "--sep", "ab"]) == 2
    assert "expected one character, 'tab' or 'auto', found 'ab'" in capsys.readouterr().err


def test_compute_repairs_integer_codes_when_asked(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recode = {c: f"0{k + 1}001" for k, c in enumerate(CODES)}  # 01001, 02001, ...
    od = pd.read_csv(tiny["times"], dtype=str)
    od["origin"] = od["origin"].map(recode).astype(int)  # written as 1001: the zero is lost
    od["destination"] = od["destination"].map(recode).astype(int)
    od.to_csv(tiny["times"], index=False)
    population = pd.read_csv(tiny["population"], dtype=str)
    population["code"] = population["code"].map(recode)
    population.to_csv(tiny["population"], index=False)
    gps = pd.read_csv(tiny["practitioners"], dtype=str)
    gps["commune"] = gps["commune"].map(recode)
    gps.to_csv(tiny["practitioners"], index=False)
    out = tmp_path / "apl.csv"
    code, _, err = run(compute_args(tiny, out), capsys)
    assert code == 1
    assert "look like codes that lost their leading zero" in err
    code, _, err = run([*compute_args(tiny, out), "--repair-codes"], capsys)
    assert code == 0, err
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    assert sorted(table.index) == sorted(recode.values())


def test_compute_draws_the_map_in_the_unit_of_its_demand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import aplcore

    matrix = tmp_path / "m.npz"
    code, _, err = run(["matrix", "--departement", "90", "--out", str(matrix)], capsys)
    assert code == 0, err
    area = aplcore.study_area(departement="90")
    population = tmp_path / "pop.csv"
    area.communes[["population"]].astype("float64").rename_axis("code").to_csv(population)
    gps = tmp_path / "gps.csv"
    pd.DataFrame(
        {"practitioner_id": ["x", "y"], "commune": ["90010", "90065"], "activity": [5000] * 2}
    ).assign(age=50).to_csv(gps, index=False)
    out = tmp_path / "apl.csv"
    argv = ["compute", "--times", str(matrix), "--population", str(population)]
    argv += ["--practitioners", str(gps), "--out", str(out)]
    code, _, err = run([*argv, "--map", str(tmp_path / "apl.jpg")], capsys)
    assert code == 1
    assert "--map must end in .png, .svg or .pdf, found 'apl.jpg'." in err
    assert not out.exists()
    code, _, err = run([*argv, "--map", str(tmp_path / "apl.png"), "--dpi", "50"], capsys)
    assert code == 0, err
    image = imread(tmp_path / "apl.png")
    assert image.shape[:2] == (400, 400)
    assert n_colours(image) > 5
    record = json.loads((tmp_path / "apl.run.json").read_text(encoding="utf-8"))
    assert record["outputs"] == ["apl.csv", "apl.png"]
