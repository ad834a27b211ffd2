"""What a scenario run answers: per-commune distributions, per-territory zone probabilities.

Statistics per commune are computed on slices of communes (all scenarios of a slice at once), so
they work the same on a run kept in memory and on a folder of Parquet blocks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputFormatError, ParameterError
from ..plots import plot_apl_map, plot_zoning_map
from .store import MemoryStore, NpyStore, ParquetStore, ZarrStore

__all__ = ["ScenarioRun"]

FORMAT_VERSION = 1

#: Classes of the stability map (share of scenarios keeping the baseline zone) and colours.
STABILITY_CLASSES = (
    "every one",
    "99 % or more",
    "90 – 99 %",
    "75 – 90 %",
    "50 – 75 %",
    "under 50 %",
)
STABILITY_COLOURS = ("#313695", "#4575b4", "#abd9e9", "#fdae61", "#f46d43", "#a50026")
_STABILITY_EDGES = (1.0, 0.99, 0.9, 0.75, 0.5)


def row_quantiles(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``np.quantile(values, q, axis=1).T`` (the default ``"linear"`` method, finite values),
    bit for bit.

    NumPy moves the axis first and partitions along a strided axis, at every rank it might need;
    here the order statistics the quantiles use are selected row by row, rows in parallel
    (:func:`aplcore.kernels.select.select_ranks`: the exact values of the row), and interpolated
    as NumPy does (``_QuantileMethods['linear']``, ``_get_indexes``, ``_get_gamma``, ``_lerp``).
    """
    from ..kernels.select import select_ranks  # lazy: numba

    plan = _quantile_plan(values.shape[1], q)
    selected = select_ranks(np.ascontiguousarray(values, dtype=np.float64), plan[0])
    return _interpolate(selected, *plan)


def _quantile_plan(n: int, q: np.ndarray) -> tuple[np.ndarray, ...]:
    """The ranks the quantiles ``q`` of ``n`` values need (sorted), the ranks below and above
    each quantile, and its interpolation weight, as NumPy computes them."""
    virtual = (n - 1) * q
    below = np.floor(virtual)
    above = below + 1
    last = virtual >= n - 1
    below[last] = above[last] = n - 1
    first = virtual < 0
    below[first] = above[first] = 0
    below_i, above_i = below.astype(np.intp), above.astype(np.intp)
    # NumPy computes gamma from the index -1 at the top (a weight > 1 on equal bounds)
    gamma = virtual - np.where(last, -1, below_i)
    ranks = np.unique(np.concatenate([below_i, above_i])).astype(np.int64)
    return ranks, below_i, above_i, gamma


def _interpolate(
    selected: np.ndarray,
    ranks: np.ndarray,
    below_i: np.ndarray,
    above_i: np.ndarray,
    gamma: np.ndarray,
) -> np.ndarray:
    """Quantiles from the values at ``ranks`` (rows × ranks), interpolated as NumPy does."""
    a = selected[:, np.searchsorted(ranks, below_i)]
    b = selected[:, np.searchsorted(ranks, above_i)]
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=np.broadcast_to(gamma >= 0.5, out.shape))
    return out


def _stability_class(share: np.ndarray) -> np.ndarray:
    """Class label of each share of scenarios keeping the baseline zone."""
    out = np.full(share.shape, STABILITY_CLASSES[-1], dtype=object)
    for label, edge in reversed(list(zip(STABILITY_CLASSES, _STABILITY_EDGES, strict=False))):
        out[share >= edge] = label
    return out


@dataclass(eq=False)
class ScenarioRun:
    """The APL and zones of every scenario of a run, and the statistics built on them.

    Attributes
    ----------
    table
        The scenario table (:func:`aplcore.scenarios.scenario_table`): reproduces the run.
    baseline
        Per commune: baseline ``apl``, ``demand``, ``population``, ``supply``.
    store
        The APL of every scenario (memory or Parquet blocks).
    zones
        Zone number per territory and scenario (int8), None without zoning.
    territories, zone_labels, commune_territory
        Rows of :attr:`zones`, the zone labels, each commune's territory position.
    baseline_zoning
        The baseline :class:`aplcore.zoning.Zoning` (None when read back from a folder).
    """

    table: pd.DataFrame
    baseline: pd.DataFrame
    store: MemoryStore | NpyStore | ParquetStore | ZarrStore
    zones: np.ndarray | None = None
    territories: pd.Index | None = None
    zone_labels: tuple[str, ...] | None = None
    commune_territory: np.ndarray | None = None
    baseline_zoning: Any = None
    baseline_zones: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.baseline_zones is None and self.baseline_zoning is not None:
            assert self.territories is not None
            assert self.zone_labels is not None
            zones = self.baseline_zoning.territories["zone"]
            if len(zones) != len(self.territories):
                zones = self.baseline_zoning.communes["zone"]
            position = {z: i for i, z in enumerate(self.zone_labels)}
            self.baseline_zones = (
                zones.reindex(self.territories).map(position).to_numpy(dtype=np.int8)
            )

    def __repr__(self) -> str:
        zoning = f", {len(self.territories)} territories" if self.territories is not None else ""
        return f"ScenarioRun({len(self.table)} scenarios, {len(self.codes)} communes{zoning})"

    @property
    def codes(self) -> pd.Index:
        """Commune index."""
        return pd.Index(self.baseline.index, name="code")

    @property
    def names(self) -> list[str]:
        """Scenario names, in order."""
        return self.table["scenario"].tolist()

    # ------------------------------------------------------------------ per commune
    def apl(self, scenario: str) -> pd.Series:
        """APL of one scenario by commune."""
        if scenario not in self.names:
            msg = f"no scenario named {scenario!r} in this run."
            raise ParameterError(msg)
        values = self.store.column(self.names.index(scenario))
        return pd.Series(values, index=self.codes, name=scenario)

    def summary(
        self, q: tuple[float, ...] = (0.05, 0.5, 0.95), *, under: float | None = None
    ) -> pd.DataFrame:
        """Per commune: baseline APL, mean, standard deviation and quantiles over scenarios, and
        with ``under`` the share of scenarios whose APL is under it (one pass over the store)."""
        qs = np.asarray(q, dtype=np.float64)
        if not ((qs >= 0) & (qs <= 1)).all():
            msg = f"quantiles must lie in [0, 1], found {list(q)}."
            raise ParameterError(msg)
        extra = 0 if under is None else 1
        from ..kernels.summary import row_summary  # lazy: numba

        out = np.empty((len(self.codes), 2 + qs.size + extra))
        threshold = -np.inf if under is None else float(under)
        plan = _quantile_plan(len(self.names), qs)
        for part, values in self.store.chunks(reuse=True):
            # moments and order statistics in one pass over the slice (row_quantiles's ranks)
            moments, selected = row_summary(values, plan[0], threshold)
            out[part, :2] = moments[:, :2]
            if under is not None:
                out[part, -1] = moments[:, 2]
            out[part, 2 : 2 + qs.size] = _interpolate(selected, *plan)
        columns = ["mean", "std", *(f"q{x:g}" for x in qs)]
        if under is not None:
            columns.append(f"p_under_{under:g}")
        frame = pd.DataFrame(out, index=self.codes, columns=columns)
        frame.insert(0, "baseline", self.baseline["apl"].to_numpy())
        return frame

    def probability_under(self, threshold: float) -> pd.Series:
        """Per commune: share of scenarios whose APL is strictly under ``threshold``."""
        out = np.empty(len(self.codes))
        for part, values in self.store.chunks(reuse=True):
            out[part] = (values < threshold).mean(axis=1)
        return pd.Series(out, index=self.codes, name=f"p_under_{threshold:g}")

    def population_under(self, threshold: float) -> pd.Series:
        """Per scenario: baseline population living in communes whose APL is under ``threshold``."""
        pop = self.baseline["population"].to_numpy()
        total = np.zeros(len(self.names))
        for part, values in self.store.chunks(reuse=True):
            total += pop[part] @ (values < threshold)
        return pd.Series(total, index=pd.Index(self.names, name="scenario"), name="population")

    # ------------------------------------------------------------------ per territory
    def _need_zones(self) -> tuple[np.ndarray, pd.Index, tuple[str, ...]]:
        if self.zones is None or self.territories is None or self.zone_labels is None:
            msg = "this run has no zoning: give the Baseline a zoning=ZoningSpec(...)."
            raise ParameterError(msg)
        return self.zones, self.territories, self.zone_labels

    def zone_probability(self) -> pd.DataFrame:
        """Per territory: share of scenarios in each zone (columns: zone labels)."""
        zones, territories, labels = self._need_zones()
        counts = np.stack([(zones == k).mean(axis=1) for k in range(len(labels))], axis=1)
        return pd.DataFrame(counts, index=territories, columns=list(labels))

    def territory_population(self) -> pd.Series:
        """Baseline population per territory."""
        _, territories, _ = self._need_zones()
        assert self.commune_territory is not None
        pop = np.bincount(
            self.commune_territory,
            weights=self.baseline["population"].to_numpy(),
            minlength=len(territories),
        )
        return pd.Series(pop, index=territories, name="population")

    def stability(self) -> pd.DataFrame:
        """Per territory: baseline zone, share of scenarios keeping it, most likely zone and the
        probability of each zone."""
        zones, territories, labels = self._need_zones()
        assert self.baseline_zones is not None
        same = (zones == self.baseline_zones[:, None]).mean(axis=1)
        prob = self.zone_probability()
        frame = pd.DataFrame(
            {
                "population": self.territory_population(),
                "baseline_zone": np.asarray(labels, dtype=object)[self.baseline_zones],
                "p_same": same,
                "most_likely": prob.idxmax(axis=1),
            },
            index=territories,
        )
        return frame.join(prob.add_prefix("p_"))

    def changes(self) -> pd.DataFrame:
        """Per scenario: territories and population whose zone differs from the baseline, and
        population in each zone."""
        zones, _territories, labels = self._need_zones()
        assert self.baseline_zones is not None
        pop = self.territory_population().to_numpy()
        changed = zones != self.baseline_zones[:, None]
        frame = pd.DataFrame(
            {
                "territories_changed": changed.sum(axis=0),
                "population_changed": pop @ changed,
            },
            index=pd.Index(self.names, name="scenario"),
        )
        for k, label in enumerate(labels):
            frame[f"population_{label}"] = pop @ (zones == k)
        return frame

    def zoning_stability(self) -> dict[str, float]:
        """Headline figures: share of territories (and of population) whose zone never changes,
        mean share of scenarios keeping the baseline zone, mean population changing zone."""
        table = self.stability()
        pop = table["population"].to_numpy()
        stable = table["p_same"].to_numpy() == 1.0
        changes = self.changes()
        return {
            "scenarios": float(len(self.names)),
            "territories": float(len(table)),
            "share_territories_always_same": float(stable.mean()),
            "share_population_always_same": float(pop[stable].sum() / pop.sum()),
            "mean_share_scenarios_same": float(np.average(table["p_same"], weights=pop)),
            "mean_population_changed": float(changes["population_changed"].mean()),
            "max_population_changed": float(changes["population_changed"].max()),
        }

    # ------------------------------------------------------------------ tables
    def to_long(self) -> pd.DataFrame:
        """Tidy table: one row per (commune, scenario) with its ``apl`` (large for big runs)."""
        parts = []
        names = np.asarray(self.names, dtype=object)
        for part, values in self.store.chunks():
            codes = self.codes[part]
            parts.append(
                pd.DataFrame(
                    {
                        "code": np.repeat(codes.to_numpy(dtype=object), values.shape[1]),
                        "scenario": np.tile(names, values.shape[0]),
                        "apl": values.ravel(),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def zones_long(self) -> pd.DataFrame:
        """Tidy table: one row per (territory, scenario) with its ``zone`` label."""
        zones, territories, labels = self._need_zones()
        return pd.DataFrame(
            {
                "territory": np.repeat(territories.to_numpy(dtype=object), zones.shape[1]),
                "scenario": np.tile(np.asarray(self.names, dtype=object), zones.shape[0]),
                "zone": np.asarray(labels, dtype=object)[zones.ravel()],
            }
        )

    def to_xarray(self) -> Any:
        """An ``xarray.Dataset``: ``apl`` (commune × scenario) and ``zone`` (territory ×
        scenario), with the baseline and the scenario table as coordinates (needs xarray).

        With a Zarr store the APL stay on disk (a lazy dask array when dask is installed);
        otherwise they are read into memory."""
        try:
            import xarray as xr
        except ImportError as exc:  # pragma: no cover - xarray is in the test extras
            msg = "to_xarray needs xarray: pip install xarray"
            raise ImportError(msg) from exc
        if isinstance(self.store, ZarrStore):  # lazy (dask) when dask is installed
            stored = xr.open_zarr(self.store.path, consolidated=False)["apl"].data
            values = stored[:, np.argsort(np.asarray(self.store.positions))]
        else:
            values = np.empty((len(self.codes), len(self.names)))
            for part, chunk in self.store.chunks():
                values[part] = chunk
        data = {"apl": (("commune", "scenario"), values)}
        coords: dict[str, Any] = {
            "commune": self.codes.to_numpy(dtype=str),
            "scenario": np.asarray(self.names, dtype=str),
            "baseline_apl": ("commune", self.baseline["apl"].to_numpy()),
            "population": ("commune", self.baseline["population"].to_numpy()),
            "changes": ("scenario", self.table["changes"].to_numpy(dtype=str)),
        }
        if self.zones is not None and self.territories is not None:
            data["zone"] = (("territory", "scenario"), self.zones)
            coords["territory"] = self.territories.to_numpy(dtype=str)
        ds = xr.Dataset(data, coords=coords)
        if self.zone_labels is not None:
            ds["zone"].attrs["labels"] = list(self.zone_labels)
        return ds

    # ------------------------------------------------------------------ maps
    def _territory_outlines(self) -> pd.Series:
        assert self.territories is not None
        assert self.commune_territory is not None
        return pd.Series(self.territories.to_numpy()[self.commune_territory], index=self.codes)

    def plot_zone_probability(self, contours: Any, zone: str | None = None, **kwargs: Any) -> Any:
        """Map of the probability that each commune's territory is in ``zone`` (default: the
        first zone, ZIP), with :func:`aplcore.plots.plot_apl_map`; territories outlined."""
        _, _, labels = self._need_zones()
        zone = labels[0] if zone is None else zone
        if zone not in labels:
            msg = f"unknown zone {zone!r}; zones are {list(labels)}."
            raise ParameterError(msg)
        assert self.commune_territory is not None
        prob = self.zone_probability()[zone].to_numpy()[self.commune_territory]
        values = pd.Series(prob, index=self.codes)
        kwargs.setdefault("bins", (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0 + 1e-9))
        kwargs.setdefault("cmap", "RdYlBu_r")
        kwargs.setdefault("unit", f"probability of {zone}\n({len(self.names)} scenarios)")
        kwargs.setdefault("outlines", self._territory_outlines())
        return plot_apl_map(values, contours, **kwargs)

    def plot_stability(self, contours: Any, **kwargs: Any) -> Any:
        """Map of the share of scenarios in which each commune's territory keeps its baseline
        zone, in classes (:func:`aplcore.plots.plot_zoning_map`); territories outlined."""
        assert self.commune_territory is not None
        same = self.stability()["p_same"].to_numpy()[self.commune_territory]
        classes = pd.Series(pd.Categorical(_stability_class(same), categories=STABILITY_CLASSES,
                                           ordered=True), index=self.codes)  # fmt: skip
        kwargs.setdefault("colours", dict(zip(STABILITY_CLASSES, STABILITY_COLOURS, strict=True)))
        kwargs.setdefault(
            "legend_title", f"scenarios keeping the\nbaseline zone ({len(self.names)})"
        )
        kwargs.setdefault("outlines", self._territory_outlines())
        return plot_zoning_map(classes, contours, **kwargs)

    # ------------------------------------------------------------------ files
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the tables of the run into ``folder`` (the APL blocks are already there when the
        run streamed to disk)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(self.store, MemoryStore):
            store = ParquetStore.create(folder / "apl", self.codes)
            positions = list(range(len(self.names)))
            for start in range(0, len(positions), 256):
                block = positions[start : start + 256]
                store.write([self.names[k] for k in block], block, self.store.values[:, block])
        else:
            store = self.store
        store.save_index()
        self.table.to_parquet(folder / "scenarios.parquet", index=False)
        self.baseline.to_parquet(folder / "baseline.parquet")
        meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "scenarios": len(self.names),
            "store": {ZarrStore: "zarr", NpyStore: "npy"}.get(type(store), "parquet"),
        }
        if self.zones is not None and self.territories is not None:
            assert self.zone_labels is not None
            assert self.commune_territory is not None
            assert self.baseline_zones is not None
            # int8 territories × scenarios as it is (a Parquet table of one column per scenario
            # takes seconds to write and read for 10 000 scenarios); zones_long() is the table
            np.save(folder / "zones.npy", np.ascontiguousarray(self.zones, dtype=np.int8))
            meta["territories"] = [str(t) for t in self.territories]
            meta["zone_labels"] = list(self.zone_labels)
            meta["commune_territory"] = self.commune_territory.tolist()
            meta["baseline_zones"] = self.baseline_zones.tolist()
        (folder / "meta.json").write_text(json.dumps(meta) + "\n")
        return folder

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ScenarioRun:
        """Read a run written by :func:`aplcore.scenarios.run_scenarios` (``out=``)."""
        folder = Path(folder)
        meta_path = folder / "meta.json"
        if not meta_path.is_file():
            msg = (
                f"{str(folder)!r} is not a scenario run folder (no meta.json); run "
                "'aplcore scenarios run spec.toml --out FOLDER' first."
            )
            raise InputFormatError(msg)
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT_VERSION:
            msg = f"unknown scenario run format {meta.get('format')!r} in {str(folder)!r}."
            raise InputFormatError(msg)
        table = pd.read_parquet(folder / "scenarios.parquet")
        baseline = pd.read_parquet(folder / "baseline.parquet")
        baseline.index = pd.Index(baseline.index.astype(str), dtype=object, name="code")
        kind = meta.get("store", "parquet")
        store: NpyStore | ParquetStore | ZarrStore = (
            ZarrStore.open(folder / "apl.zarr", baseline.index)
            if kind == "zarr"
            else (NpyStore if kind == "npy" else ParquetStore).open(folder / "apl", baseline.index)
        )
        zones = territories = labels = commune_territory = baseline_zones = None
        if "zone_labels" in meta:
            if (folder / "zones.npy").is_file():
                zones = np.load(folder / "zones.npy")
                territories = pd.Index(meta["territories"], dtype=object, name="territory")
            else:  # runs written before zones.npy
                frame = pd.read_parquet(folder / "zones.parquet")
                zones = frame.to_numpy(dtype=np.int8)
                territories = pd.Index(frame.index.astype(str), dtype=object, name="territory")
            labels = tuple(meta["zone_labels"])
            commune_territory = np.asarray(meta["commune_territory"], dtype=np.int64)
            baseline_zones = np.asarray(meta["baseline_zones"], dtype=np.int8)
        return cls(
            table=table,
            baseline=baseline,
            store=store,
            zones=zones,
            territories=territories,
            zone_labels=labels,
            commune_territory=commune_territory,
            baseline_zones=baseline_zones,
        )
