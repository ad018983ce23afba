"""Maximal sets of intervals active at one instant: the cliques of an interval graph.

At-most-one (or at-most-k) rows over these cliques are far stronger and fewer than pairwise rows.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np


def maximal_active_sets(start: np.ndarray, end: np.ndarray, group: np.ndarray
                        ) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(group, positions)`` for each maximal set of half-open intervals sharing an instant.

    Intervals are only compared within the same ``group`` (a unit, a person). A set is maximal
    when the event after its last start is an end: later starts would see a superset first.
    """
    if not len(start):
        return
    n = len(start)
    # events: (group, time, kind) with ends (kind 0) before starts (kind 1) at equal times
    times = np.concatenate([end, start])
    kinds = np.concatenate([np.zeros(n, np.int8), np.ones(n, np.int8)])
    who = np.concatenate([np.arange(n), np.arange(n)])
    groups = np.concatenate([group, group])
    order = np.lexsort((kinds, times, groups))
    active: set[int] = set()
    last_was_start = False
    current_group = None
    for g, kind, idx in zip(groups[order].tolist(), kinds[order].tolist(), who[order].tolist()):
        if g != current_group:
            if last_was_start and active:
                yield current_group, np.fromiter(active, dtype=np.int64)
            active, last_was_start, current_group = set(), False, g
        if kind == 1:
            active.add(idx)
            last_was_start = True
        else:
            if last_was_start:
                yield g, np.fromiter(active, dtype=np.int64)
            active.discard(idx)
            last_was_start = False
    if last_was_start and active:
        yield current_group, np.fromiter(active, dtype=np.int64)
