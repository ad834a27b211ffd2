"""Small caches of recent results keyed by object identity (or by a hashable key).

pandas indexes are immutable, so a result computed from an index object (its positions in the
codes of a matrix, whether it equals them, the index built from some commune keys) stays true
for as long as that object lives. Callers remember the last few such results here instead of
computing them again for the same objects.

* :class:`RecentByIdentity` — keys are tuples of objects compared with ``is`` (never ``==``:
  comparing two large indexes is the cost being saved);
* :class:`RecentByKey` — keys are hashable values (bytes, tuples), least recently stored
  dropped first.

Both keep at most ``size`` entries, the most recently stored first, and hold strong references
to their keys and values (a few indexes: the memory of a handful of code arrays).

A pickled copy (a matrix sent to a Dask worker) starts empty: identities do not survive a copy.

Thread safety: every read and write takes the cache's own lock, so several threads may share a
cache (two threads computing the same missing entry both compute it; the values are equal and
either one is kept). The values stored must not be mutated by callers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["MISSING", "RecentByIdentity", "RecentByKey"]

V = TypeVar("V")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What :meth:`RecentByIdentity.get` and :meth:`RecentByKey.get` return for an unknown key.
MISSING = _Missing()


class RecentByIdentity(Generic[V]):
    """The last ``size`` values stored, looked up by the identity of their key objects."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: list[tuple[tuple[object, ...], V]] = []
        self._lock = threading.Lock()

    def get(self, *keys: object) -> V | _Missing:
        """The value stored for these very objects, or :data:`MISSING`."""
        with self._lock:
            for known, value in self._items:
                if len(known) != len(keys):
                    continue
                if all(a is b for a, b in zip(known, keys, strict=True)):
                    return value
        return MISSING

    def put(self, value: V, *keys: object) -> None:
        """Store ``value`` for these objects first; the oldest entry beyond ``size`` goes."""
        with self._lock:
            self._items = [(keys, value), *self._items[: self.size - 1]]

    def __getstate__(self) -> dict[str, int]:
        return {"size": self.size}  # a copy (pickled, sent to a worker) starts empty

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(state["size"])  # type: ignore[misc]


class RecentByKey(Generic[V]):
    """The last ``size`` values stored, looked up by a hashable key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | _Missing:
        """The value stored for ``key``, or :data:`MISSING`."""
        with self._lock:
            return self._items.get(key, MISSING)

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` for ``key`` as the most recent; the least recent beyond ``size`` goes."""
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __getstate__(self) -> dict[str, int]:
        return {"size": self.size}  # a copy (pickled, sent to a worker) starts empty

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(state["size"])  # type: ignore[misc]
