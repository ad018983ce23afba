"""Which sessions cannot be attended by one person together (rule 4, no double booking).

Two meetings clash when they are not apart by at least the travel minutes between their venues'
zones. Clashes that are plain overlaps form an interval graph whose maximal cliques come from a
sweep; clashes that exist only because of travel time are kept as pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import range_indices
from ..candidates import Indexed
from .sweep import maximal_active_sets


def overlap_cliques(ix: Indexed) -> list[np.ndarray]:
    """Session sets, each a maximal set of meetings overlapping at one instant (≥ 2 sessions)."""
    out, seen = [], set()
    group = np.zeros(len(ix.meeting_start), dtype=np.int64)
    for _, members in maximal_active_sets(ix.meeting_start, ix.meeting_end, group):
        sessions = np.unique(ix.meeting_session[members])
        key = sessions.tobytes()
        if len(sessions) >= 2 and key not in seen:
            seen.add(key)
            out.append(sessions)
    return out


def travel_pairs(ix: Indexed) -> np.ndarray:
    """(n, 2) session pairs whose meetings do not overlap but are closer than the travel between them."""
    if not len(ix.meeting_start) or ix.travel.max(initial=0) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(ix.meeting_start, kind="stable")
    start, end = ix.meeting_start[order], ix.meeting_end[order]
    zone, sess = ix.meeting_zone[order], ix.meeting_session[order]
    t_max = int(ix.travel.max())
    lo = np.searchsorted(start, end, side="left")  # first meeting starting at or after m1 ends
    hi = np.searchsorted(start, end + t_max, side="left")
    count = hi - lo
    first = np.repeat(np.arange(len(start)), count)
    second = range_indices(lo, count)
    gap = start[second] - end[first]
    clash = (gap < ix.travel[zone[first], zone[second]]) & (sess[first] != sess[second])
    pairs = np.stack([sess[first][clash], sess[second][clash]], axis=1)
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


@dataclass(frozen=True)
class _ClashIndex:
    """Per session, the overlap cliques it belongs to and its travel partners (later sessions), as
    [lo, lo + count) ranges into flat arrays: a model's rows are gathered, not merged."""

    n_sessions: int
    clique_lo: np.ndarray
    clique_count: np.ndarray
    clique_of: np.ndarray
    travel_lo: np.ndarray
    travel_count: np.ndarray
    travel_to: np.ndarray

    @staticmethod
    def of(n_sessions: int, cliques: list[np.ndarray], travel: np.ndarray) -> "_ClashIndex":
        lengths = np.array([len(c) for c in cliques], dtype=np.int64)
        member = np.concatenate(cliques) if cliques else np.zeros(0, np.int64)
        clique = np.repeat(np.arange(len(cliques)), lengths)
        by_session = np.argsort(member, kind="stable")
        clique_count = np.bincount(member, minlength=n_sessions)
        travel_count = np.bincount(travel[:, 0], minlength=n_sessions)
        by_first = np.argsort(travel[:, 0], kind="stable")
        return _ClashIndex(n_sessions, np.cumsum(clique_count) - clique_count, clique_count, clique[by_session],
                           np.cumsum(travel_count) - travel_count, travel_count, travel[by_first, 1])


_SESSION_CLASHES: dict[int, tuple[np.ndarray, list[np.ndarray], np.ndarray, _ClashIndex]] = {}


def session_clashes(ix: Indexed) -> tuple[list[np.ndarray], np.ndarray]:
    """Overlap cliques and travel pairs of a dataset, computed once (neighbourhood searches rebuild
    small models many times over the same sessions)."""
    return _clashes(ix)[1:3]


def _clashes(ix: Indexed) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, _ClashIndex]:
    key = id(ix.meeting_start)  # variants of one dataset (residual seats, budgets) share meetings
    hit = _SESSION_CLASHES.get(key)
    if hit is None or hit[0] is not ix.meeting_start:
        _SESSION_CLASHES.clear()
        cliques, travel = overlap_cliques(ix), travel_pairs(ix)
        hit = (ix.meeting_start, cliques, travel, _ClashIndex.of(len(ix.session_ids), cliques, travel))
        _SESSION_CLASHES[key] = hit
    return hit


def person_conflict_rows(ix: Indexed, pair_staff: np.ndarray, pair_session: np.ndarray
                         ) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-person at-most-one rows (as arrays of pair indices) and pairwise rows (n, 2) of pair indices."""
    index = _clashes(ix)[3]
    pair_staff, pair_session = np.asarray(pair_staff, np.int64), np.asarray(pair_session, np.int64)
    every = np.arange(len(pair_staff))
    count = index.clique_count[pair_session]
    pair = np.repeat(every, count)
    clique = index.clique_of[range_indices(index.clique_lo[pair_session], count)]
    staff = pair_staff[pair]
    order = np.lexsort((pair, clique, staff))
    staff, clique, pair = staff[order], clique[order], pair[order]
    change = np.ones(len(order), dtype=bool)
    change[1:] = (staff[1:] != staff[:-1]) | (clique[1:] != clique[:-1])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(order))
    big = (ends - starts) >= 2
    rows: list[np.ndarray] = []
    seen: set[bytes] = set()
    for a, b in zip(starts[big].tolist(), ends[big].tolist()):
        arr = pair[a:b]
        key = arr.tobytes()
        if key not in seen:
            seen.add(key)
            rows.append(arr)
    # travel pairs: each pair's later partner sessions, looked up among the same person's pairs
    count = index.travel_count[pair_session]
    first = np.repeat(every, count)
    partner = index.travel_to[range_indices(index.travel_lo[pair_session], count)]
    keys = pair_staff * index.n_sessions + pair_session
    by_key = np.argsort(keys, kind="stable")
    ordered = keys[by_key]
    wanted = pair_staff[first] * index.n_sessions + partner
    at = np.minimum(np.searchsorted(ordered, wanted), max(len(keys) - 1, 0))
    found = ordered[at] == wanted if len(keys) else np.zeros(0, dtype=bool)
    pairwise = np.stack([first[found], by_key[at[found]]], axis=1).astype(np.int64)
    return rows, pairwise
