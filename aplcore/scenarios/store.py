"""Where the APL of every scenario goes: memory, Parquet blocks, or a Zarr array on disk.

A Parquet block holds one block of scenarios (columns) for every commune (rows), in row groups of
:data:`ROWS` communes. Statistics per commune read one row group of every block at a time, so a
run of 10 000 scenarios × 35 000 communes is read back in slices of ``ROWS × 10 000`` values.
A Zarr store (written through xarray when it and zarr are installed) holds one array ``apl``
(commune × scenario, both as positions: the scenario table and the ``commune_codes`` attribute
name them) in chunks of :data:`ROWS` communes × one block of scenarios, appended block by block;
it opens as an ``xarray.Dataset`` in any tool that reads Zarr.
An ``.npy`` store holds each block as it leaves the solver (communes × scenarios, float64, in
NumPy's ``.npy`` format, read with ``numpy.load``): nothing to transpose or encode when writing,
and each slice of communes is read back as one contiguous piece of every block (the fastest
store; Parquet is the one other tools read).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd

__all__ = ["ROWS", "MemoryStore", "NpyStore", "ParquetStore", "ZarrStore"]

#: Communes per row group of a block file (and per slice read back by the statistics): a slice
#: of 10 000 scenarios is 160 MB.
ROWS = 2048


class MemoryStore:
    """All APL in one array (communes × scenarios)."""

    def __init__(self, codes: pd.Index, names: Sequence[str]) -> None:
        self.codes = codes
        self.names = list(names)
        self.values = np.zeros((len(codes), len(self.names)))

    def write(self, names: Sequence[str], positions: Sequence[int], apl: np.ndarray) -> None:
        self.values[:, list(positions)] = apl

    def chunks(
        self, rows: int = ROWS, *, reuse: bool = False
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """Slices of communes with the APL of every scenario, in scenario order (views)."""
        for start in range(0, len(self.codes), rows):
            part = slice(start, min(start + rows, len(self.codes)))
            yield part, self.values[part]

    def column(self, position: int) -> np.ndarray:
        return self.values[:, position]


class _BlockFiles:
    """Block files under a folder and their index (``blocks.json``: file and scenario positions)."""

    def __init__(self, folder: Path, codes: pd.Index, blocks: list[tuple[str, list[int]]]) -> None:
        self.folder = folder
        self.codes = codes
        self.blocks = blocks

    @classmethod
    def create(cls, folder: Path, codes: pd.Index) -> Self:
        folder.mkdir(parents=True, exist_ok=False)
        return cls(folder, codes, [])

    @classmethod
    def open(cls, folder: Path, codes: pd.Index) -> Self:
        index = json.loads((folder / "blocks.json").read_text())
        return cls(folder, codes, [(b["file"], b["positions"]) for b in index])

    @property
    def n_scenarios(self) -> int:
        return sum(len(p) for _, p in self.blocks)

    def save_index(self) -> None:
        index = [{"file": f, "positions": p} for f, p in self.blocks]
        (self.folder / "blocks.json").write_text(json.dumps(index) + "\n")


class ParquetStore(_BlockFiles):
    """APL in Parquet block files under a folder, with an index of their scenarios."""

    def write(self, names: Sequence[str], positions: Sequence[int], apl: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        name = f"block-{len(self.blocks):05d}.parquet"
        columns = np.ascontiguousarray(apl.T)  # one contiguous row per scenario: no copy below
        table = pa.table({str(s): columns[k] for k, s in enumerate(names)})
        # no compression, dictionary pages or column statistics: APL values are distinct
        # floats that do not compress, and these would triple the writing time for nothing
        pq.write_table(
            table,
            self.folder / name,
            row_group_size=ROWS,
            compression="none",
            use_dictionary=False,
            write_statistics=False,
        )
        self.blocks.append((name, [int(p) for p in positions]))

    def chunks(
        self, rows: int = ROWS, *, reuse: bool = False
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """Slices of :data:`ROWS` communes with the APL of every scenario, in scenario order
        (a C-contiguous array per slice, communes × scenarios; with ``reuse``, the same
        memory for every slice: use each slice before asking for the next)."""
        import pyarrow.parquet as pq

        files = [pq.ParquetFile(self.folder / f) for f, _ in self.blocks]
        n_groups = files[0].num_row_groups if files else 0
        start = 0
        buffer = np.empty(rows * self.n_scenarios) if reuse else None
        for g in range(n_groups):
            out = None
            for file, (_, positions) in zip(files, self.blocks, strict=True):
                group = file.read_row_group(g, use_threads=False)
                if out is None:
                    out = _slice_array(buffer, group.num_rows, self.n_scenarios)
                # one block at a time: a small transpose into the commune-major slice
                block = np.vstack([column.to_numpy() for column in group.columns])
                out[:, _columns(positions)] = block.T
            assert out is not None
            yield slice(start, start + out.shape[0]), out
            start += out.shape[0]

    def column(self, position: int) -> np.ndarray:
        import pyarrow.parquet as pq

        for file, positions in self.blocks:
            if position in positions:
                table = pq.read_table(self.folder / file)
                return table.column(positions.index(position)).to_numpy()
        raise KeyError(position)


class NpyStore(_BlockFiles):
    """APL in ``.npy`` block files (communes × block scenarios) under a folder, with an index."""

    def write(self, names: Sequence[str], positions: Sequence[int], apl: np.ndarray) -> None:
        name = f"block-{len(self.blocks):05d}.npy"
        np.save(self.folder / name, np.ascontiguousarray(apl, dtype=np.float64))
        self.blocks.append((name, [int(p) for p in positions]))

    def _offset(self, file: str) -> tuple[int, int]:
        """Where the values of a block file start, and its number of scenarios."""
        with open(self.folder / file, "rb") as f:
            fmt = np.lib.format
            version = fmt.read_magic(f)
            header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, fortran, dtype = header(f)
            if fortran or dtype != np.float64 or shape[0] != len(self.codes):
                msg = f"{file}: expected a C-ordered float64 block of {len(self.codes)} rows."
                raise ValueError(msg)
            return f.tell(), shape[1]

    def chunks(
        self, rows: int = ROWS, *, reuse: bool = False
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """Slices of communes with the APL of every scenario, in scenario order (a C-contiguous
        array per slice, communes × scenarios; with ``reuse``, the same memory for every slice:
        use each slice before asking for the next)."""
        # plain reads, not memory maps: mapped pages would stay counted in the process's memory
        layout = [self._offset(f) for f, _ in self.blocks]
        buffer = np.empty(rows * max((k for _, k in layout), default=0))
        reused = np.empty(rows * self.n_scenarios) if reuse else None
        for start in range(0, len(self.codes), rows):
            part = slice(start, min(start + rows, len(self.codes)))
            out = _slice_array(reused, part.stop - start, self.n_scenarios)
            for (file, positions), (offset, k) in zip(self.blocks, layout, strict=True):
                piece = buffer[: (part.stop - start) * k]
                with open(self.folder / file, "rb") as f:
                    f.seek(offset + start * k * 8)
                    if f.readinto(piece) != piece.nbytes:  # type: ignore[attr-defined]
                        msg = f"{file} is shorter than its header says; the run is damaged."
                        raise ValueError(msg)
                out[:, _columns(positions)] = piece.reshape(-1, k)
            yield part, out

    def column(self, position: int) -> np.ndarray:
        for file, positions in self.blocks:
            if position in positions:
                block = np.load(self.folder / file, mmap_mode="r")
                return np.array(block[:, positions.index(position)])
        raise KeyError(position)


def _slice_array(buffer: np.ndarray | None, rows: int, columns: int) -> np.ndarray:
    """A rows × columns array: a new one, or the start of ``buffer`` (no new pages to fault in
    and zero for every slice of a large run)."""
    if buffer is None:
        return np.empty((rows, columns))
    return buffer[: rows * columns].reshape(rows, columns)


def _columns(positions: Sequence[int]) -> slice | list[int]:
    """The positions as a slice when they follow each other (a faster copy), else a list."""
    following = range(positions[0], positions[0] + len(positions)) if positions else range(0)
    return (
        slice(following.start, following.stop)
        if list(positions) == list(following)
        else list(positions)
    )


class ZarrStore:
    """APL in a Zarr store (``apl.zarr``) written through xarray, appended block by block."""

    def __init__(self, path: Path, codes: pd.Index, positions: list[int]) -> None:
        self.path = path
        self.codes = codes
        self.positions = positions

    @classmethod
    def create(cls, path: Path, codes: pd.Index) -> ZarrStore:
        try:
            import xarray  # noqa: F401
            import zarr  # noqa: F401
        except ImportError as exc:
            msg = "the Zarr store needs xarray and zarr: pip install 'aplcore[xarray]' zarr"
            raise ImportError(msg) from exc
        return cls(path, codes, [])

    @classmethod
    def open(cls, path: Path, codes: pd.Index) -> ZarrStore:
        positions = json.loads((path.parent / "zarr_positions.json").read_text())
        return cls(path, codes, positions)

    @property
    def n_scenarios(self) -> int:
        return len(self.positions)

    def write(self, names: Sequence[str], positions: Sequence[int], apl: np.ndarray) -> None:
        import xarray as xr

        # integer coordinates (positions in the scenario table and the commune index): fixed
        # strings have no stable Zarr v3 encoding; the codes are kept in the attributes
        block = xr.Dataset(
            {"apl": (("commune", "scenario"), apl)},
            coords={
                "commune": np.arange(len(self.codes)),
                "scenario": np.asarray(positions, dtype=np.int64),
            },
        )
        block.attrs["commune_codes"] = [str(c) for c in self.codes]  # appends rewrite attrs
        if not self.positions:
            encoding = {"apl": {"chunks": (ROWS, max(apl.shape[1], 1))}}
            block.to_zarr(self.path, mode="w", encoding=encoding, consolidated=False)
        else:
            block.drop_vars("commune").to_zarr(self.path, append_dim="scenario", consolidated=False)
        self.positions.extend(int(p) for p in positions)

    def save_index(self) -> None:
        (self.path.parent / "zarr_positions.json").write_text(json.dumps(self.positions) + "\n")

    def _array(self):
        import zarr

        return zarr.open_array(str(self.path / "apl"), mode="r")

    def chunks(
        self, rows: int = ROWS, *, reuse: bool = False
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """Slices of communes with the APL of every scenario, in scenario order."""
        array = self._array()
        order = np.argsort(np.asarray(self.positions))
        for start in range(0, len(self.codes), rows):
            part = slice(start, min(start + rows, len(self.codes)))
            yield part, np.asarray(array[part])[:, order]

    def column(self, position: int) -> np.ndarray:
        k = self.positions.index(position)
        return np.asarray(self._array()[:, k])
