"""The first-come-first-served desk: the honest peer, and a complete plan to start CP-SAT from.

People come in a seeded random order; each takes the earliest sessions that keep every hard rule
while a requirement in that session's category is still open. Sessions left under their
min_attendance are cancelled at the end, as a registration desk would.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..candidates import Candidates, Indexed
from ..timeline import iso_week


def _slices(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For sorted ``keys``, the [lo, hi) range of each value 0..n-1."""
    values = np.arange(n)
    return np.searchsorted(keys, values, side="left"), np.searchsorted(keys, values, side="right")


def _depth(intervals: list[tuple[int, int]], a: int, b: int) -> int:
    """Most intervals covering one instant of [a, b)."""
    events = []
    for s, e in intervals:
        lo, hi = max(s, a), min(e, b)
        if lo < hi:
            events.append((lo, 1))
            events.append((hi, -1))
    events.sort()
    depth = best = 0
    for _, step in events:
        depth += step
        best = max(best, depth)
    return best


def desk_plan(ix: Indexed, cand: Candidates, seed: int = 0) -> np.ndarray:
    """Boolean per candidate pair: the desk's plan (always keeps every hard rule)."""
    n = cand.n_pairs
    chosen = np.zeros(n, dtype=bool)
    if n == 0:
        return chosen
    p_lo, p_hi = _slices(cand.pair_staff, ix.n_staff)
    pm_lo, pm_hi = _slices(cand.pm_pair, n)
    order_pc = np.argsort(cand.piece_pair, kind="stable")
    pc_pair = cand.piece_pair[order_pc]
    pc_start, pc_end = cand.piece_start[order_pc], cand.piece_end[order_pc]
    pc_lo, pc_hi = _slices(pc_pair, n)
    session_start = np.full(len(ix.session_ids), np.iinfo(np.int64).max)
    np.minimum.at(session_start, ix.meeting_session, ix.meeting_start)
    cat = ix.session_category[cand.pair_session]
    hours = ix.session_hours[cand.pair_session]
    fee = ix.session_fee[cand.pair_session]
    course = ix.session_course[cand.pair_session]
    seats = ix.session_capacity.copy()
    budget = ix.unit_budget.astype(np.float64).copy()
    budget[ix.unit_budget < 0] = np.inf
    unit_pieces: dict[int, list[tuple[int, int]]] = defaultdict(list)
    m_start, m_end, m_zone = ix.meeting_start, ix.meeting_end, ix.meeting_zone
    rng = np.random.default_rng(seed)
    for person in rng.permutation(ix.n_staff):
        lo, hi = p_lo[person], p_hi[person]
        if lo == hi:
            continue
        need = ix.need[person].astype(np.int64).copy()
        unit = int(ix.staff_unit[person])
        cap = int(ix.weekly_cap[person])
        limit = int(ix.unit_max_absent[unit])
        taken_courses: set[int] = set()
        taken_meetings: list[int] = []
        week_minutes: dict[int, int] = defaultdict(int)
        mine = np.arange(lo, hi)
        for i in mine[np.argsort(session_start[cand.pair_session[mine]], kind="stable")].tolist():
            c = int(cat[i])
            if need[c] <= 0:
                continue
            s = int(cand.pair_session[i])
            if seats[s] <= 0 or fee[i] > budget[unit] or int(course[i]) in taken_courses:
                continue
            meetings = cand.pm_meeting[pm_lo[i]:pm_hi[i]].tolist()
            if any(
                m_start[m] < m_end[t] + ix.travel[m_zone[m], m_zone[t]]
                and m_start[t] < m_end[m] + ix.travel[m_zone[m], m_zone[t]]
                for m in meetings for t in taken_meetings
            ):
                continue
            if cap >= 0:
                extra: dict[int, int] = defaultdict(int)
                for m in meetings:
                    extra[int(iso_week(m_start[m]))] += int(m_end[m] - m_start[m])
                if any(week_minutes[w] + v > cap for w, v in extra.items()):
                    continue
            pieces = list(zip(pc_start[pc_lo[i]:pc_hi[i]].tolist(), pc_end[pc_lo[i]:pc_hi[i]].tolist()))
            if limit >= 0 and any(_depth(unit_pieces[unit], a, b) + 1 > limit for a, b in pieces):
                continue
            chosen[i] = True
            need[c] -= hours[i]
            seats[s] -= 1
            budget[unit] -= fee[i]
            taken_courses.add(int(course[i]))
            taken_meetings.extend(meetings)
            for m in meetings:
                week_minutes[int(iso_week(m_start[m]))] += int(m_end[m] - m_start[m])
            if limit >= 0:
                unit_pieces[unit].extend(pieces)
    enrolled = np.bincount(cand.pair_session[chosen], minlength=len(ix.session_ids))
    under = (enrolled > 0) & (enrolled < ix.session_min)
    chosen &= ~under[cand.pair_session]
    return chosen
