"""Which sessions cannot be attended by one person together (rule 4, no double booking).

Two meetings clash when they are not apart by at least the travel minutes between their venues'
zones. Clashes that are plain overlaps form an interval graph whose maximal cliques come from a
sweep; clashes that exist only because of travel time are kept as pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


_SESSION_CLASHES: dict[int, tuple[np.ndarray, list[np.ndarray], np.ndarray]] = {}


def session_clashes(ix: Indexed) -> tuple[list[np.ndarray], np.ndarray]:
    """Overlap cliques and travel pairs of a dataset, computed once (neighbourhood searches rebuild
    small models many times over the same sessions)."""
    key = id(ix.meeting_start)  # variants of one dataset (residual seats, budgets) share meetings
    hit = _SESSION_CLASHES.get(key)
    if hit is None or hit[0] is not ix.meeting_start:
        _SESSION_CLASHES.clear()
        hit = (ix.meeting_start, overlap_cliques(ix), travel_pairs(ix))
        _SESSION_CLASHES[key] = hit
    return hit[1], hit[2]


def person_conflict_rows(ix: Indexed, pair_staff: np.ndarray, pair_session: np.ndarray
                         ) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-person at-most-one rows (as arrays of pair indices) and pairwise rows (n, 2) of pair indices."""
    cliques, tp = session_clashes(ix)
    rows: list[np.ndarray] = []
    pairs_df = pd.DataFrame({"pair": np.arange(len(pair_staff)), "staff": pair_staff, "session": pair_session})
    if cliques:
        lengths = np.array([len(c) for c in cliques])
        members = pd.DataFrame({"clique": np.repeat(np.arange(len(cliques)), lengths),
                                "session": np.concatenate(cliques)})
        joined = members.merge(pairs_df, on="session")
        staff, clique, pair = (joined[c].to_numpy() for c in ("staff", "clique", "pair"))
        order = np.lexsort((pair, clique, staff))
        staff, clique, pair = staff[order], clique[order], pair[order]
        change = np.ones(len(order), dtype=bool)
        change[1:] = (staff[1:] != staff[:-1]) | (clique[1:] != clique[:-1])
        starts = np.flatnonzero(change)
        ends = np.append(starts[1:], len(order))
        big = (ends - starts) >= 2
        seen: set[bytes] = set()
        for a, b in zip(starts[big].tolist(), ends[big].tolist()):
            arr = pair[a:b]
            key = arr.tobytes()
            if key not in seen:
                seen.add(key)
                rows.append(arr)
    if len(tp):
        edges = pd.DataFrame({"s1": tp[:, 0], "s2": tp[:, 1]})
        a = edges.merge(pairs_df.rename(columns={"session": "s1", "pair": "p1"}), on="s1")
        b = a.merge(pairs_df.rename(columns={"session": "s2", "pair": "p2"}), on=["s2", "staff"])
        pairwise = b[["p1", "p2"]].to_numpy(dtype=np.int64)
    else:
        pairwise = np.zeros((0, 2), dtype=np.int64)
    return rows, pairwise
