"""The inputs a user starts from, written from a benchmark problem, and the whole-command run.

``user_inputs`` turns a :class:`~bench.problems.Problem` (positions) into what a researcher
holds: a pandas DataFrame of the O-D table with string codes in pandas' default string dtype,
the same table as a Parquet file and as a CSV file, and demand and supply Series by code. Rows
keep the problem's shuffled order.

``compute_command`` runs ``aplcore compute`` on the Parquet file (plus a population table and a
practitioner table) in fresh processes, warm kernel cache, and reports the best wall time and
the peak resident memory of the process (``VmHWM``, polled from ``/proc``).

Usage: ``python -m bench.user_path [small|france]`` prints the command's figures as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .problems import Problem

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class UserInputs:
    """One problem as a user holds it."""

    frame: pd.DataFrame
    parquet: Path
    csv: Path
    demand: pd.Series
    supply: pd.Series
    codes: np.ndarray


def user_inputs(problem: Problem, folder: Path) -> UserInputs:
    """Write the problem's O-D table as Parquet and CSV in ``folder``; frames and Series."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    names = pa.array(problem.codes.astype(str).tolist(), type=pa.string())
    table = pa.table(
        {
            "origin": names.take(pa.array(problem.origin)),
            "destination": names.take(pa.array(problem.destination)),
            "minutes": pa.array(problem.minutes),
        }
    )
    parquet, csv = folder / "od.parquet", folder / "od.csv"
    pq.write_table(table, parquet)
    pacsv.write_csv(table, csv)
    frame = table.to_pandas(types_mapper=_default_string_dtype)
    index = pd.Index(problem.codes.astype(str), dtype="str")
    return UserInputs(
        frame=frame,
        parquet=parquet,
        csv=csv,
        demand=pd.Series(problem.demand, index=index),
        supply=pd.Series(problem.supply, index=index),
        codes=problem.codes.astype(str),
    )


def _default_string_dtype(kind):
    """pandas' default string dtype (what ``pd.read_csv``/``read_parquet`` give for text)."""
    import pyarrow as pa

    if kind in (pa.string(), pa.large_string()):
        return pd.Series([], dtype="str").dtype
    return None


def write_command_inputs(problem: Problem, folder: Path) -> dict[str, Path]:
    """The three files of ``aplcore compute``: O-D Parquet, population and practitioners."""
    import aplcore

    inputs = user_inputs(problem, folder)
    population = folder / "population.csv"
    pd.DataFrame({"code": inputs.codes, "population": problem.demand}).to_csv(
        population, index=False
    )
    communes = aplcore.load_communes(france=True).reindex(inputs.codes)
    communes["population"] = problem.demand
    practitioners = folder / "gps.csv"
    aplcore.synthetic_practitioners(communes, seed=0).to_csv(practitioners, index=False)
    return {"times": inputs.parquet, "population": population, "practitioners": practitioners}


def _run_measured(command: list[str]) -> tuple[float, float]:
    """Wall time and peak resident memory (MiB) of a command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    peak_kib = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.005)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        msg = f"{' '.join(command)} failed with code {process.returncode}"
        raise RuntimeError(msg)
    return wall, peak_kib / 1024


def compute_command(problem: Problem, *, rounds: int = 3) -> dict[str, float]:
    """Best wall time and largest peak memory of ``aplcore compute`` on the problem's files."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_command_inputs(problem, folder)
        out = folder / "apl.csv"
        command = [
            sys.executable, "-m", "aplcore", "compute",
            "--times", str(files["times"]),
            "--population", str(files["population"]),
            "--practitioners", str(files["practitioners"]),
            "--out", str(out), "--overwrite",
        ]  # fmt: skip
        _run_measured(command)  # warm the kernel cache
        runs = [_run_measured(command) for _ in range(rounds)]
    return {
        "wall_s": min(w for w, _ in runs),
        "peak_mib": max(p for _, p in runs),
        "n_pairs": problem.n_pairs,
        "n_communes": problem.n,
    }


def main(argv: list[str] | None = None) -> int:
    from .problems import SIZES, real_communes

    size = (argv if argv is not None else sys.argv[1:] or ["small"])[0]
    print(json.dumps(compute_command(real_communes(SIZES[size]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
