"""Small vectorised helpers on half-open integer intervals [start, end)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: key = owner * OWNER + (minute + SHIFT): sorts by owner, then by time; minutes may be negative
OWNER = np.int64(1) << np.int64(36)
SHIFT = np.int64(1) << np.int64(35)


def keyed(owner: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """One sortable int64 per (owner, minute) pair."""
    return owner.astype(np.int64) * OWNER + (np.asarray(minute, dtype=np.int64) + SHIFT)


def range_pairs(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) with lo[i] <= j < hi[i]: i repeated, j the positions in each range."""
    counts = np.clip(hi - lo, 0, None).astype(np.int64)
    i = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    j = lo[i] + (np.arange(int(counts.sum()), dtype=np.int64) - first[i])
    return i, j


def _previous_reach(group: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by (group, start): is this the group's first row, and the furthest end of the
    group's earlier rows (undefined on first rows)."""
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    reach = pd.Series(end).groupby(group).cummax().to_numpy()
    previous = np.empty_like(reach)
    if len(reach):
        previous[0] = reach[0]
        previous[1:] = reach[:-1]
    return first, previous


def union_length(group: np.ndarray, start: np.ndarray, end: np.ndarray, groups: int) -> np.ndarray:
    """Per group 0..groups-1, the length of the union of its intervals (each minute counted once)."""
    order = np.lexsort((start, group))
    g, s, e = group[order], start[order], end[order]
    first, previous = _previous_reach(g, e)
    fresh_from = np.where(first, s, np.maximum(s, previous))
    fresh = np.clip(e - fresh_from, 0, None)
    out = np.zeros(groups, dtype=np.int64)
    np.add.at(out, g, fresh)
    return out


def merge(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge each group's overlapping or touching intervals; returns (group, start, end) of the merged."""
    if len(group) == 0:
        return group, start, end
    order = np.lexsort((start, group))
    g, s, e = group[order], start[order], end[order]
    first, previous = _previous_reach(g, e)
    opens = first | (s > previous)
    heads = np.flatnonzero(opens)
    return g[heads], s[heads], np.maximum.reduceat(e, heads)


def peak_count(group: np.ndarray, start: np.ndarray, end: np.ndarray,
               groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the most intervals covering one instant (half-open: one that ends at x does not meet
    one that starts at x) and the first instant that count is reached (-1 if none)."""
    owner = np.concatenate([group, group])
    time = np.concatenate([start, end])
    step = np.concatenate([np.ones(len(start), np.int64), -np.ones(len(end), np.int64)])
    order = np.lexsort((step, time, owner))  # at one instant, ends (-1) before starts (+1)
    owner, time, running = owner[order], time[order], np.cumsum(step[order])  # each group sums to 0
    peak = np.zeros(groups, dtype=np.int64)
    np.maximum.at(peak, owner, running)
    when = np.full(groups, -1, dtype=np.int64)
    hit = np.flatnonzero((running == peak[owner]) & (running > 0))
    first_hit = hit[np.unique(owner[hit], return_index=True)[1]]
    when[owner[first_hit]] = time[first_hit]
    return peak, when
