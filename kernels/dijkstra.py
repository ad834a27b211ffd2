"""Parallel bounded multi-source Dijkstra over a CSR graph.

One search per source, ``prange`` over workers; each worker owns one 4-ary heap with
decrease-key (an indexed heap, keys stored beside the nodes) and one position array over the
nodes, allocated once per run and reset only where a search touched it, so a source costs in
proportion to the part of the graph it reaches, never to the graph size.

Results are gathered, never scattered: each source writes only to its own slice of the output
buffers (``cap`` slots per source), so no two threads write to the same place. The output is the
long table ``(source position, target id, time)`` directly.

Cut-off is inclusive, as in networkx: a node is reached when its distance is ``<= cutoff``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import inline, jit

#: Children per heap node: a 4-ary heap is shallower than a binary one, and the four children
#: of a node sit side by side in memory.
ARITY = 4


@inline
def _sift_up(heap, keys, pos, i):  # pragma: no cover - compiled
    node = heap[i]
    key = keys[i]
    while i > 0:
        parent = (i - 1) // ARITY
        pkey = keys[parent]
        if pkey <= key:
            break
        pnode = heap[parent]
        heap[i] = pnode
        keys[i] = pkey
        pos[pnode] = i
        i = parent
    heap[i] = node
    keys[i] = key
    pos[node] = i


@inline
def _sift_down(heap, keys, pos, size, i):  # pragma: no cover - compiled
    node = heap[i]
    key = keys[i]
    while True:
        first = ARITY * i + 1
        if first >= size:
            break
        child = first
        ckey = keys[first]
        for c in range(first + 1, min(first + ARITY, size)):
            if keys[c] < ckey:
                child = c
                ckey = keys[c]
        if ckey >= key:
            break
        cnode = heap[child]
        heap[i] = cnode
        keys[i] = ckey
        pos[cnode] = i
        i = child
    heap[i] = node
    keys[i] = key
    pos[node] = i


@jit()
def _one_source(
    indptr,
    indices,
    weights,
    start,
    offset,
    cutoff,
    target_indptr,
    target_ids,
    target_extra,
    pos,
    heap,
    keys,
    touched,
    out_target,
    out_time,
    base,
):  # pragma: no cover - compiled
    """Bounded Dijkstra from ``start`` (initial distance ``offset``); returns pairs written.

    The heap stores its keys next to its nodes (``keys[i]`` is the tentative distance of
    ``heap[i]``), so sifting reads contiguous memory; ``pos[v]`` is ``-1`` (not seen), ``-2``
    (settled) or the heap slot of ``v``, which gives its tentative distance ``keys[pos[v]]``: no
    distance array is needed.
    """
    if offset > cutoff:
        return 0
    n_out = 0
    touched[0] = start
    n_touched = 1
    heap[0] = start
    keys[0] = offset
    pos[start] = 0
    size = 1
    while size > 0:
        u = heap[0]
        du = keys[0]
        size -= 1
        pos[u] = -2  # settled
        if size > 0:
            heap[0] = heap[size]
            keys[0] = keys[size]
            _sift_down(heap, keys, pos, size, 0)
        for k in range(target_indptr[u], target_indptr[u + 1]):
            total = du + target_extra[k]
            if total <= cutoff:
                out_target[base + n_out] = target_ids[k]
                out_time[base + n_out] = total
                n_out += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            p = pos[v]
            if p == -2:
                continue
            alt = du + weights[e]
            if alt > cutoff:
                continue
            if p == -1:
                touched[n_touched] = v
                n_touched += 1
                heap[size] = v
                keys[size] = alt
                size += 1
                _sift_up(heap, keys, pos, size - 1)
            elif alt < keys[p]:
                keys[p] = alt
                _sift_up(heap, keys, pos, p)
    for k in range(n_touched):
        pos[touched[k]] = -1
    return n_out


@jit(parallel=True)
def bounded_dijkstra(
    indptr,
    indices,
    weights,
    sources,
    source_offsets,
    cutoff,
    target_indptr,
    target_ids,
    target_extra,
    cap,
    pos,
    heap,
    keys,
    touched,
):  # pragma: no cover - compiled
    """Bounded shortest-path times from each source to the targets it reaches.

    Parameters
    ----------
    indptr, indices, weights
        The directed graph in CSR form (int64, int32, float64 non-negative); parallel edges
        are allowed (the shortest wins).
    sources
        Start node of each search (int32).
    source_offsets
        Initial distance of each search (float64), e.g. an access time from a point to its node.
    cutoff
        Largest total time kept (inclusive).
    target_indptr, target_ids, target_extra
        Targets attached to each node, CSR over nodes (int64 pointers of length ``n_nodes + 1``,
        int32 ids, float64 extra time added on arrival, e.g. an egress time). A target is reported
        when ``distance(node) + extra <= cutoff``.
    cap
        Maximum number of pairs one source can produce (the number of targets is always enough).
    pos, heap, keys, touched
        Workspaces from :func:`workspaces`, one row per worker; sources are dealt round-robin
        to the workers. ``pos`` is left clean (all ``-1``) on return, ready for the next call.

    Returns
    -------
    counts : int64 array
        Pairs found per source.
    out_target : int32 array, shape ``(len(sources) * cap,)``
        Target ids, source ``s`` in slots ``[s * cap, s * cap + counts[s])``.
    out_time : float64 array
        Matching times.
    """
    n_workers = pos.shape[0]
    n_src = sources.size
    counts = np.zeros(n_src, dtype=np.int64)
    out_target = np.empty(n_src * cap, dtype=np.int32)
    out_time = np.empty(n_src * cap, dtype=np.float64)
    for w in prange(n_workers):
        for s in range(w, n_src, n_workers):
            counts[s] = _one_source(
                indptr,
                indices,
                weights,
                sources[s],
                source_offsets[s],
                cutoff,
                target_indptr,
                target_ids,
                target_extra,
                pos[w],
                heap[w],
                keys[w],
                touched[w],
                out_target,
                out_time,
                s * cap,
            )
    return counts, out_target, out_time


def workspaces(n_workers: int, n_nodes: int) -> tuple[np.ndarray, ...]:
    """Clean per-worker workspaces for :func:`bounded_dijkstra` (heap positions, heap nodes, heap
    keys, touched list), each of shape ``(n_workers, n_nodes)``."""
    return (
        np.full((n_workers, n_nodes), -1, dtype=np.int32),
        np.empty((n_workers, n_nodes), dtype=np.int32),
        np.empty((n_workers, n_nodes), dtype=np.float64),
        np.empty((n_workers, n_nodes), dtype=np.int32),
    )


@jit()
def compact(counts, out_target, out_time, cap, first_source):  # pragma: no cover - compiled
    """Pack the per-source slices into a long table (source, target, time)."""
    total = 0
    for s in range(counts.size):
        total += counts[s]
    src = np.empty(total, dtype=np.int32)
    tgt = np.empty(total, dtype=np.int32)
    tim = np.empty(total, dtype=np.float64)
    k = 0
    for s in range(counts.size):
        base = s * cap
        for j in range(counts[s]):
            src[k] = first_source + s
            tgt[k] = out_target[base + j]
            tim[k] = out_time[base + j]
            k += 1
    return src, tgt, tim
