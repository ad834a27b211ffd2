"""Peak memory of each tool on one problem, each in a fresh subprocess.

The problem is generated once and saved; each tool runs in its own interpreter that loads it,
runs the tool once on a tiny problem (imports, JIT compilation), then runs it on the problem while
a thread samples the resident memory every millisecond. Reported: the process peak
(``VmHWM``: inputs, libraries and working memory) and the working memory of the run (peak
resident memory during the run minus the resident memory just before it). One tool never
inherits another's peak.

Usage: ``python -m bench.memory TOOL PROBLEM.npz`` prints a JSON line.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from .problems import Problem

TOOLS = (
    "aplcore-parquet",
    "aplcore-parquet-batches",
    "aplcore-fused",
    "aplcore-compute_apl",
    "scipy-reference",
    "pysal-access",
)


def save_problem(problem: Problem, path: Path) -> None:
    """Save a problem's arrays to ``path`` (.npz)."""
    np.savez(
        path,
        codes=problem.codes.astype(str),
        origin=problem.origin,
        destination=problem.destination,
        minutes=problem.minutes,
        demand=problem.demand,
        supply=problem.supply,
    )


def load_problem(path: Path) -> Problem:
    """Load a problem saved by :func:`save_problem`."""
    with np.load(path) as arrays:
        return Problem(
            name=path.stem,
            codes=arrays["codes"].astype(object),
            origin=arrays["origin"],
            destination=arrays["destination"],
            minutes=arrays["minutes"],
            demand=arrays["demand"],
            supply=arrays["supply"],
        )


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_mib() -> float:
    """Peak resident memory of this process (``VmHWM``).

    Not ``ru_maxrss``: Linux keeps that across ``execve``, so a subprocess would start from its
    parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_tool(tool: str, problem: Problem, folder: Path) -> dict[str, object]:
    """What a tool starts from, made before the measurement (the user's file)."""
    if not tool.startswith("aplcore-parquet"):
        return {}
    import pyarrow.parquet as pq

    from .user_path import user_inputs

    inputs = user_inputs(problem, folder)
    columns = pq.read_table(inputs.parquet).nbytes / 2**20
    return {"inputs": inputs, "input_columns_mib": columns}


def run_tool(tool: str, problem: Problem, prepared: dict[str, object] | None = None) -> dict:
    """Run one tool once on the problem; returns sizes worth reporting (may be empty)."""
    if tool.startswith("aplcore-parquet"):
        import aplcore

        inputs = (prepared or {}).get("inputs")
        if inputs is None:  # the warm-up run on a tiny problem
            with tempfile.TemporaryDirectory() as folder:
                return run_tool(tool, problem, prepare_tool(tool, problem, Path(folder)))
        # batches: the bounded-memory reading of files larger than memory (1/8 of the rows)
        chunk_rows = max(1, problem.n_pairs // 8) if tool.endswith("batches") else None
        tt = aplcore.travel_times_from_table(
            inputs.parquet, max_minutes=None, intra_minutes=None, chunk_rows=chunk_rows
        )
        aplcore.compute_apl(tt, demand=inputs.demand, supply=inputs.supply)
        csr = tt.indptr.nbytes + tt.indices.nbytes + tt.minutes.nbytes
        return {"input_columns_mib": prepared["input_columns_mib"], "csr_mib": csr / 2**20}
    if tool == "aplcore-fused":
        from aplcore.apl import apl_from_arrays

        apl_from_arrays(
            problem.origin, problem.destination, problem.minutes, problem.demand, problem.supply
        )
    elif tool == "aplcore-compute_apl":
        import pandas as pd

        import aplcore

        tt = aplcore.TravelTimes.from_arrays(
            problem.codes, problem.origin, problem.destination, problem.minutes
        )
        aplcore.compute_apl(
            tt,
            demand=pd.Series(problem.demand, index=problem.codes),
            supply=pd.Series(problem.supply, index=problem.codes),
        )
    elif tool == "scipy-reference":
        from .reference import e2sfca_from_long

        e2sfca_from_long(
            problem.origin, problem.destination, problem.minutes, problem.demand, problem.supply
        )
    elif tool == "pysal-access":
        from .peers import pysal_apl

        pysal_apl(problem)
    else:
        msg = f"unknown tool {tool!r}; tools are {TOOLS}"
        raise ValueError(msg)
    return {}


def measure(tool: str, path: Path) -> dict[str, float | str]:
    """Peak memory of ``tool`` on the saved problem, in a subprocess."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", tool, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_all(problem: Problem, tools: tuple[str, ...] = TOOLS) -> list[dict[str, float | str]]:
    """Peak memory of every tool on ``problem``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{problem.name}.npz"
        save_problem(problem, path)
        return [measure(tool, path) for tool in tools]


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_mib()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _rss_mib())
            time.sleep(0.001)


def main(argv: list[str] | None = None) -> int:
    from .problems import synthetic_france

    tool, path = (argv if argv is not None else sys.argv[1:])[:2]
    run_tool(tool, synthetic_france(300))  # imports and compilation, not measured
    problem = load_problem(Path(path))
    with tempfile.TemporaryDirectory() as folder:
        prepared = prepare_tool(tool, problem, Path(folder))
        baseline = _rss_mib()
        sampler = _Sampler()
        sampler.start()
        sizes = run_tool(tool, problem, prepared)
        sampler.stop.set()
        sampler.join()
    working = max(sampler.peak, _rss_mib()) - baseline
    record = {"tool": tool, "peak_mib": _peak_mib(), "working_mib": working, **sizes}
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
