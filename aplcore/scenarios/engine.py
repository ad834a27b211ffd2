"""The scenario engine: scenarios grouped by what they change, solved by blocks of columns.

* Scenarios are grouped by decay: the weight matrices are prepared **once per distinct decay**
  (:func:`aplcore.prepare`), never per scenario.
* Inside a group, scenarios go by blocks of ``block_size`` columns through
  :meth:`aplcore.AccessibilityMatrix.solve_batch_arrays`: each block reads the matrices once,
  whatever changes in supply and demand.
* Each block is zoned (when the baseline has a zoning) and written to the output folder as it
  comes (one file per block, written while the next block is solved), so 10 000 scenarios ×
  35 000 communes never sit in memory; without an output folder the APL stays in memory.
* With a ``dask.distributed`` client, blocks are tasks: the validated inputs and each prepared
  matrix are scattered to the workers once, and results are those of the local run, bit for bit
  (the same function solves each block; kernels sum in an order fixed by the data). Start workers
  with one thread each (``dask worker ADDRESS --nthreads 1``, or ``LocalCluster(
  threads_per_worker=1)``): see :mod:`aplcore.scenarios.distributed` for a real cluster.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..apl import prepare
from ..area import check_edge_effects
from ..decay import Decay
from ..errors import EdgeEffectWarning, ParameterError
from .baseline import Baseline, Inputs
from .model import Scenario, scenario_table
from .results import ScenarioRun
from .size import check_run_size
from .store import MemoryStore, NpyStore, ParquetStore, ZarrStore
from .zones import Zoner

__all__ = ["run_scenarios", "solve_block"]

logger = logging.getLogger(__name__)

#: Scenarios solved together (columns of one batched product). 64 columns of a France-sized
#: problem are 18 MB per matrix of the block.
DEFAULT_BLOCK = 64
#: Formats of the APL in an output folder (see :mod:`aplcore.scenarios.store`).
STORES = {"parquet": ParquetStore, "npy": NpyStore, "zarr": ZarrStore}
#: Bytes of APL kept in memory (without ``out=``) above which a warning suggests streaming.
IN_MEMORY_WARNING = 1 << 30


def solve_block(
    inputs: Inputs, matrix: Any, zoner: Zoner | None, scenarios: Sequence[Scenario]
) -> tuple[np.ndarray, np.ndarray | None]:
    """APL (reported communes × scenarios: the core's, or all) and zones (territories ×
    scenarios) of one block."""
    demand, population, supply = inputs.columns(scenarios)
    apl = _solve_columns(matrix, demand, supply)
    # one pass without a temporary: a NaN or infinity makes the sum non-finite (a finite sum
    # that overflows only leads to the full check, which then finds nothing)
    if not np.isfinite(apl.sum()):
        bad = ~np.isfinite(apl)
        if bad.any():
            col = int(np.flatnonzero(bad.any(axis=0))[0])
            msg = f"scenario {scenarios[col].name!r} gives non-finite APL; check its changes."
            raise ParameterError(msg)
    if inputs.core is not None:  # the ring served the computation; the core is reported
        apl = apl[inputs.core]
        demand, population = demand[inputs.core], population[inputs.core]
    if zoner is None:
        return apl, None
    if demand.ndim == 1:  # the baseline demand for every scenario of the block
        demand = np.broadcast_to(demand[:, None], apl.shape)
        population = np.broadcast_to(population[:, None], apl.shape)
    return apl, zoner.zone_block(list(scenarios), apl, population, demand)


def _solve_columns(matrix: Any, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """The batched solve of a block, a one-column block included (the solver takes its vector
    kernels for one column, whose sums may round differently in the last bit): a scenario's
    APL is then the same whatever the block it falls in."""
    if supply.shape[1] > 1:
        return matrix.solve_batch_arrays(demand, supply)
    doubled = demand if demand.ndim == 1 else np.repeat(demand, 2, axis=1)
    apl = matrix.solve_batch_arrays(doubled, np.repeat(supply, 2, axis=1))
    return np.ascontiguousarray(apl[:, :1])


def _prepare(travel_times: Any, decay: Decay, method: str) -> Any:
    """:func:`aplcore.prepare`, its edge-effect warning left out (:func:`run_scenarios` gives
    it once per decay, at the caller's line)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeEffectWarning)
        return prepare(travel_times, decay=decay, method=method)


def _groups(inputs: Inputs, scenarios: Sequence[Scenario]) -> dict[Decay, list[int]]:
    groups: dict[Decay, list[int]] = {}
    for k, s in enumerate(scenarios):
        groups.setdefault(inputs.decay_of(s), []).append(k)
    return groups


def _blocks(groups: dict[Decay, list[int]], size: int) -> Iterator[tuple[Decay, list[int]]]:
    for decay, positions in groups.items():
        for start in range(0, len(positions), size):
            yield decay, positions[start : start + size]


def run_scenarios(
    baseline: Baseline,
    scenarios: Sequence[Scenario],
    *,
    out: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    block_size: int = DEFAULT_BLOCK,
    client: Any = None,
    progress: bool | None = None,
    store: str = "parquet",
) -> ScenarioRun:
    """Compute the APL (and zoning) of every scenario.

    Parameters
    ----------
    baseline
        The baseline inputs (:class:`aplcore.scenarios.Baseline`).
    scenarios
        The scenarios (:func:`~aplcore.scenarios.grid`, :func:`~aplcore.scenarios.monte_carlo`,
        or hand-made :class:`~aplcore.scenarios.Scenario` objects). Names must be unique.
    out
        Output folder: the APL streams to it block by block (Parquet) and the whole set appears
        at once when the run ends. None keeps everything in memory.
    overwrite
        Replace an existing output folder.
    block_size
        Scenarios per batched product.
    client
        A ``dask.distributed.Client``: blocks run as tasks on its workers.
    progress
        Show a progress bar (None: only on a terminal).
    store
        Format of the APL in ``out``: ``"parquet"`` (one file per block, for any tool),
        ``"npy"`` (one NumPy ``.npy`` file per block, as the solver gives it: the fastest to
        write and to summarise) or ``"zarr"`` (one array, through xarray; needs xarray and zarr).

    Returns
    -------
    ScenarioRun
        Statistics, tables and maps of the run (reading the folder when ``out`` is given).
    """
    scenarios = list(scenarios)
    _check_run_options(scenarios, store, block_size)
    table = scenario_table(scenarios)
    inputs = Inputs.from_baseline(baseline)
    inputs.check(scenarios)
    check_run_size(
        len(scenarios),
        n_communes=len(inputs.reported_codes),
        # territories: at most one per commune (an upper bound, known before zoning)
        n_territories=len(inputs.reported_codes) if baseline.zoning is not None else 0,
        in_memory=out is None,
    )
    target = _output_folder(out, overwrite) if out is not None else None

    groups = _groups(inputs, scenarios)
    for decay in dict.fromkeys([inputs.decay, *groups]):  # at the caller's line, once each
        check_edge_effects(baseline.travel_times.metadata, decay=decay, stacklevel=3)
    base_matrix = _prepare(baseline.travel_times, inputs.decay, inputs.method)
    reported = inputs.reported
    codes = inputs.reported_codes
    base_apl = base_matrix.solve_arrays(inputs.demand, inputs.supply)[0][reported]
    zoner = base_zoning = None
    if baseline.zoning is not None:
        zoner, base_zoning = Zoner.build(
            baseline.zoning,
            codes,
            base_apl,
            inputs.population[reported],
            inputs.demand[reported],
        )
    logger.info(
        "%d scenarios in %d decay groups, blocks of %d", len(scenarios), len(groups), block_size
    )
    work, sink = _open_sink(target, store, codes, scenarios)
    n_terr = len(zoner.territories) if zoner else 0
    zones = np.zeros((n_terr, len(scenarios)), dtype=np.int8)
    try:
        with _Writer(sink) as writer:
            for positions, apl, block_zones in _execute(
                baseline, inputs, base_matrix, zoner, scenarios,
                list(_blocks(groups, block_size)), client, progress,
            ):  # fmt: skip
                writer.write([scenarios[k].name for k in positions], positions, apl)
                if block_zones is not None:
                    zones[:, positions] = block_zones
        baseline_frame = pd.DataFrame(
            {
                "apl": base_apl,
                "demand": inputs.demand[reported],
                "population": inputs.population[reported],
                "supply": inputs.supply[reported],
            },
            index=pd.Index(codes, name="code"),
        )
        run = ScenarioRun(
            table=table,
            baseline=baseline_frame,
            store=sink,
            zones=zones if zoner else None,
            territories=zoner.territories if zoner else None,
            zone_labels=zoner.zones if zoner else None,
            commune_territory=zoner.commune_territory if zoner else None,
            baseline_zoning=base_zoning,
        )
        if work is not None and target is not None:
            run.save(work)
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            if target.exists():
                os.replace(target, old)  # the previous run stays whole until the new one is in
            os.replace(work, target)
            shutil.rmtree(old, ignore_errors=True)
            return ScenarioRun.open(target)
        return run
    finally:
        if work is not None and work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _check_run_options(scenarios: list[Scenario], store: str, block_size: int) -> None:
    if not scenarios:
        msg = "no scenarios to run: pass a list of Scenario objects (grid(), monte_carlo(), ...)."
        raise ParameterError(msg)
    if store not in STORES:
        msg = f"store must be one of {list(STORES)}, found {store!r}."
        raise ParameterError(msg)
    if int(block_size) != block_size or block_size < 1:
        msg = f"block_size must be a positive whole number, found {block_size!r}."
        raise ParameterError(msg)


def _open_sink(
    target: Path | None, store: str, codes: pd.Index, scenarios: list[Scenario]
) -> tuple[Path | None, MemoryStore | NpyStore | ParquetStore | ZarrStore]:
    """Where the blocks go: a work folder next to ``target`` (None: memory) and its store."""
    work = target.with_name(f".{target.name}.partial-{os.getpid()}") if target else None
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        sink: MemoryStore | NpyStore | ParquetStore | ZarrStore = (
            ZarrStore.create(work / "apl.zarr", codes)
            if store == "zarr"
            else STORES[store].create(work / "apl", codes)
        )
    else:
        size = 8 * len(codes) * len(scenarios)
        if size > IN_MEMORY_WARNING:
            logger.warning(
                "keeping the APL of %d scenarios × %d communes in memory (%.1f GiB); pass out= "
                "to stream them to disk",
                len(scenarios),
                len(codes),
                size / 2**30,
            )
        sink = MemoryStore(codes, [s.name for s in scenarios])
    return work, sink


class _Writer:
    """Writes blocks to the store in a background thread, in order, while the next block is
    solved (writing a block to disk then costs no time of its own); at most one block waits.
    The first error of a write is raised at the next block or at the end."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.pending: Any = None

    def __enter__(self) -> _Writer:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(1, thread_name_prefix="aplcore-scenario-writer")
        return self

    def write(self, names: list[str], positions: list[int], apl: np.ndarray) -> None:
        if self.pending is not None:
            self.pending.result()
        self.pending = self.pool.submit(self.sink.write, names, positions, apl)

    def __exit__(self, *exc: object) -> None:
        try:
            if self.pending is not None and exc[0] is None:
                self.pending.result()
        finally:
            self.pool.shutdown(wait=True)


def _output_folder(out: str | os.PathLike[str], overwrite: bool) -> Path:
    target = Path(out)
    if target.exists() and not target.is_dir():
        msg = f"the output {str(target)!r} exists and is not a folder; choose a folder path."
        raise ParameterError(msg)
    not_empty = target.exists() and any(target.iterdir())
    if not_empty and overwrite and not (target / "meta.json").is_file():
        msg = (
            f"the output folder {str(target)!r} is not empty and is not a scenario run: it is "
            "never replaced (it may hold your inputs); choose another folder."
        )
        raise ParameterError(msg)
    if not_empty and not overwrite:
        msg = (
            f"the output folder {str(target)!r} is not empty; pass overwrite=True (--overwrite) "
            "to replace it, or choose another folder."
        )
        raise ParameterError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _execute(
    baseline: Baseline,
    inputs: Inputs,
    base_matrix: Any,
    zoner: Zoner | None,
    scenarios: list[Scenario],
    blocks: list[tuple[Decay, list[int]]],
    client: Any,
    progress: bool | None,
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray | None]]:
    """Yield ``(positions, apl, zones)`` per block, in a fixed order, locally or on Dask."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(scenarios),
        unit="scenario",
        desc="scenarios",
        disable=(None if progress is None else not progress),
    )

    def matrix_for(decay: Decay) -> Any:
        if decay == inputs.decay:
            return base_matrix
        logger.info("preparing the weights of decay %s (%s)", decay.name, decay.closed)
        return _prepare(baseline.travel_times, decay, inputs.method)

    with bar:
        if client is None:
            current: tuple[Decay | None, Any] = (None, None)
            for decay, positions in blocks:
                if current[0] != decay:
                    current = (decay, matrix_for(decay))
                block = [scenarios[k] for k in positions]
                apl, zones = solve_block(inputs, current[1], zoner, block)
                bar.update(len(positions))
                yield positions, apl, zones
            return
        shared = client.scatter((inputs, zoner), broadcast=True, hash=False)
        matrices = {
            decay: client.scatter(matrix_for(decay), broadcast=True, hash=False)
            for decay in dict.fromkeys(decay for decay, _ in blocks)
        }
        # a window of blocks in flight: enough to keep every worker busy, few enough that the
        # results waiting to be written stay small
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        window = max(4, 3 * workers)

        def submit(decay: Decay, positions: list[int]) -> Any:
            block = [scenarios[k] for k in positions]
            return client.submit(_remote_block, shared, matrices[decay], block, pure=False)

        pending = [submit(*b) for b in blocks[:window]]
        for index, (_, positions) in enumerate(blocks):
            future = pending.pop(0)
            if index + window < len(blocks):
                pending.append(submit(*blocks[index + window]))
            apl, zones = future.result()
            future.release()
            bar.update(len(positions))
            yield positions, apl, zones


def _remote_block(
    shared: tuple[Inputs, Zoner | None], matrix: Any, scenarios: list[Scenario]
) -> tuple[np.ndarray, np.ndarray | None]:
    inputs, zoner = shared
    return solve_block(inputs, matrix, zoner, scenarios)
