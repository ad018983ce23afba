"""Constructive plans that keep every hard rule: the first-come-first-served desk and a fitting greedy.

The desk is the honest peer: people come in a seeded random order; each takes the earliest sessions
that keep every rule while a requirement in that session's category is open; sessions left under
their min_attendance are cancelled at the end, as a registration desk would.

The fitting greedy is where the optimiser starts: people pick one session per round in turn (no one
hoards seats early), those with the most need still open first. Each looks at the sessions least
contested per credit hour they give and takes, among those whose hours their open need can use in
full, the longest (seats, not seat-hours, are what runs out: one seat of an 18-hour course closes
three times the need of a 6-hour one); sessions left under their minimum are cancelled and their
people pick again.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..candidates import Candidates, Indexed
from ..timeline import iso_week


#: a person compares this many of the sessions they can still take, least contested per credit hour
#: first (3,000 staff, forbid / allow / 20,000 staff: 12 gave 20,586.5 / 9,054.5 / 155,736.5 h short,
#: 20 gave 20,372 / 8,748 / 154,998.5 h for 13 % more time)
OPTIONS_LOOKED_AT = 20


def slices(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For sorted ``keys`` (values 0..n-1), the [lo, hi) range of each value (counted, not
    searched: 17.8 million searches took 0.4 s at 20,000 staff)."""
    count = np.bincount(keys, minlength=n)[:n]
    hi = np.cumsum(count)
    return hi - count, hi


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative integers as int32 when they fit (half the memory of int64)."""
    return values.astype(np.int32) if values.max(initial=0) < 2**31 else values


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


class PlanState:
    """A plan being built pair by pair, checking every hard rule incrementally."""

    def __init__(self, ix: Indexed, cand: Candidates):
        self.ix, self.cand = ix, cand
        n = cand.n_pairs
        self.chosen = np.zeros(n, dtype=bool)
        # per-pair tables in the narrowest type that holds them, and numpy rather than lists: at
        # 20,000 staff in allow mode (35.9 million pairs, 22.5 million pieces) lists of the pieces
        # took 5.2 GB
        self.pm_lo, self.pm_hi = (_narrow(a) for a in slices(cand.pm_pair, n))
        self.pc_lo, self.pc_hi = (_narrow(a) for a in slices(cand.piece_pair, n))  # pieces are sorted by pair
        self.cat = ix.session_category[cand.pair_session].astype(np.int8)
        self.hours = _narrow(ix.session_hours[cand.pair_session])
        self.fee = ix.session_fee[cand.pair_session]
        self.course = _narrow(ix.session_course[cand.pair_session])
        self.seats = ix.session_capacity.copy()
        self.budget = ix.unit_budget.astype(np.float64).copy()
        self.budget[ix.unit_budget < 0] = np.inf
        # pulled-off pieces per (unit, day of start): a check looks at a few days, not the term
        self.unit_pieces: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        longest = int((cand.piece_end - cand.piece_start).max(initial=0))
        self.lookback = longest // 1440 + 1
        self.need = ix.need.astype(np.int64).copy()
        self.courses: dict[int, set[int]] = defaultdict(set)
        self.meetings: dict[int, list[int]] = defaultdict(list)
        self.week_minutes: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.m_start, self.m_end = ix.meeting_start.tolist(), ix.meeting_end.tolist()
        self.m_zone = ix.meeting_zone.tolist()
        self.m_week = iso_week(ix.meeting_start).tolist()
        self.travel = ix.travel.tolist()

    def _meetings(self, i: int) -> list[int]:
        return self.cand.pm_meeting[self.pm_lo[i]:self.pm_hi[i]].tolist()

    def _pieces(self, i: int) -> list[tuple[int, int]]:
        """(start, end) of each piece of pair i pulled off a shift (none under "forbid")."""
        lo, hi = self.pc_lo[i], self.pc_hi[i]
        if lo == hi:
            return []
        return list(zip(self.cand.piece_start[lo:hi].tolist(), self.cand.piece_end[lo:hi].tolist()))

    def can_take(self, i: int, person: int) -> bool:
        """Whether pair i keeps every hard rule given what is already planned."""
        ix = self.ix
        s = int(self.cand.pair_session[i])
        unit = int(ix.staff_unit[person])
        if self.seats[s] <= 0 or self.fee[i] > self.budget[unit] or int(self.course[i]) in self.courses[person]:
            return False
        meetings = self._meetings(i)
        st, en, zn, tr = self.m_start, self.m_end, self.m_zone, self.travel
        for m in meetings:
            for t in self.meetings[person]:
                gap = tr[zn[m]][zn[t]]
                if st[m] < en[t] + gap and st[t] < en[m] + gap:
                    return False
        cap = int(ix.weekly_cap[person])
        if cap >= 0:
            extra: dict[int, int] = defaultdict(int)
            for m in meetings:
                extra[self.m_week[m]] += en[m] - st[m]
            weeks = self.week_minutes[person]
            if any(weeks[w] + v > cap for w, v in extra.items()):
                return False
        limit = int(ix.unit_max_absent[unit])
        if limit >= 0:
            for a, b in self._pieces(i):
                near = [piece for d in range(a // 1440 - self.lookback, (b - 1) // 1440 + 1)
                        for piece in self.unit_pieces.get((unit, d), ())]
                if _depth(near, a, b) + 1 > limit:
                    return False
        return True

    def take(self, i: int, person: int) -> None:
        unit = int(self.ix.staff_unit[person])
        self.chosen[i] = True
        self.need[person, self.cat[i]] -= self.hours[i]
        self.seats[self.cand.pair_session[i]] -= 1
        self.budget[unit] -= self.fee[i]
        self.courses[person].add(int(self.course[i]))
        meetings = self._meetings(i)
        self.meetings[person].extend(meetings)
        for m in meetings:
            self.week_minutes[person][self.m_week[m]] += self.m_end[m] - self.m_start[m]
        for a, b in self._pieces(i):
            self.unit_pieces[(unit, a // 1440)].append((a, b))

    def drop(self, i: int, person: int) -> None:
        """Undo a take (a cancelled session gives its seat, fee, hours and time back)."""
        unit = int(self.ix.staff_unit[person])
        self.chosen[i] = False
        self.need[person, self.cat[i]] += self.hours[i]
        self.seats[self.cand.pair_session[i]] += 1
        self.budget[unit] += self.fee[i]
        self.courses[person].discard(int(self.course[i]))
        for m in self._meetings(i):
            self.meetings[person].remove(m)
            self.week_minutes[person][self.m_week[m]] -= self.m_end[m] - self.m_start[m]
        for a, b in self._pieces(i):
            self.unit_pieces[(unit, a // 1440)].remove((a, b))

    def shortfall(self) -> np.ndarray:
        """Per person, total shortfall (×100) of the plan held: what ``shortfall_hours`` computes
        from the chosen pairs, here from the need kept up to date by take and drop."""
        return np.maximum(self.need, 0).sum(axis=1)

    def under_minimum(self) -> np.ndarray:
        """Sessions with some but fewer than min_attendance attendees."""
        enrolled = np.bincount(self.cand.pair_session[self.chosen], minlength=len(self.ix.session_ids))
        return (enrolled > 0) & (enrolled < self.ix.session_min)


def plan_state(ix: Indexed, cand: Candidates, chosen: np.ndarray) -> PlanState:
    """The state of a valid plan, to change it pair by pair."""
    state = PlanState(ix, cand)
    for i in np.flatnonzero(chosen).tolist():
        state.take(i, int(cand.pair_staff[i]))
    return state


def top_up(state: PlanState, pairs: np.ndarray | None = None) -> int:
    """Give people still short a free seat in a session that runs anyway, wherever every rule
    allows, trying ``pairs`` (default: all); returns how many attendances were added.

    A neighbourhood step frees seats (people move to other sessions) that people outside the
    neighbourhood could use: at 3,000 staff, 20 s of steps left 236 h that this takes in one pass.
    Only sessions already at their min_attendance are filled, so no session is opened or cancelled.
    """
    ix, cand = state.ix, state.cand
    if pairs is None:
        pairs = np.arange(cand.n_pairs)
    session, staff = cand.pair_session[pairs], cand.pair_staff[pairs]
    running = ix.session_capacity - state.seats >= np.maximum(ix.session_min, 1)
    maybe = (~state.chosen[pairs] & (state.need[staff, state.cat[pairs]] > 0) & running[session]
             & (state.seats[session] > 0) & (state.fee[pairs] <= state.budget[ix.staff_unit[staff]]))
    added = 0
    for i in pairs[maybe].tolist():
        person = int(cand.pair_staff[i])
        if state.need[person, state.cat[i]] > 0 and state.can_take(i, person):
            state.take(i, person)
            added += 1
    return added


def _session_start(ix: Indexed) -> np.ndarray:
    start = np.full(len(ix.session_ids), np.iinfo(np.int64).max)
    np.minimum.at(start, ix.meeting_session, ix.meeting_start)
    return start


def desk_plan(ix: Indexed, cand: Candidates, seed: int = 0) -> np.ndarray:
    """Boolean per candidate pair: the first-come-first-served desk's plan."""
    state = PlanState(ix, cand)
    if cand.n_pairs == 0:
        return state.chosen
    p_lo, p_hi = slices(cand.pair_staff, ix.n_staff)
    start = _session_start(ix)[cand.pair_session]
    for person in np.random.default_rng(seed).permutation(ix.n_staff).tolist():
        mine = np.arange(p_lo[person], p_hi[person])
        for i in mine[np.argsort(start[mine], kind="stable")].tolist():
            if state.need[person].max() <= 0:
                break
            if state.need[person, state.cat[i]] > 0 and state.can_take(i, person):
                state.take(i, person)
    return state.chosen & ~state.under_minimum()[cand.pair_session]


def fitting_plan(ix: Indexed, cand: Candidates, seed: int = 0, rounds_of_repair: int = 3,
                 locked: np.ndarray | None = None, keep: np.ndarray | None = None) -> np.ndarray:
    """Boolean per candidate pair: the fitting greedy's plan (see module docstring).

    ``locked`` pairs are taken first and never dropped; ``keep`` pairs (a previous plan's) are taken
    next where they still keep every rule, so re-planning starts from what people already have.
    """
    state = PlanState(ix, cand)
    if cand.n_pairs == 0:
        return state.chosen
    for mask, forced in ((locked, True), (keep, False)):
        if mask is None:
            continue
        for i in np.flatnonzero(mask & ~state.chosen).tolist():
            person = int(cand.pair_staff[i])
            if forced or state.can_take(i, person):
                state.take(i, person)
    rng = np.random.default_rng(seed)
    demand = np.bincount(cand.pair_session, minlength=len(ix.session_ids))
    pressure = demand / np.maximum(ix.session_capacity, 1)
    p_lo, p_hi = slices(cand.pair_staff, ix.n_staff)
    pair_pressure = pressure[cand.pair_session]
    pressure_per_hour = pair_pressure / ix.session_hours[cand.pair_session]
    options: dict[int, list[int]] = {}
    for person in range(ix.n_staff):
        mine = np.arange(p_lo[person], p_hi[person])
        options[person] = mine[np.argsort(pressure_per_hour[mine], kind="stable")].tolist()
    dead = np.zeros(len(ix.session_ids), dtype=bool)
    held = np.zeros(len(ix.session_ids), dtype=bool)
    if locked is not None:
        held[cand.pair_session[locked]] = True  # a locked session is never cancelled
    for _ in range(rounds_of_repair + 1):
        _fill(state, options, rng, pair_pressure, dead)
        under = state.under_minimum() & ~held
        if not under.any():
            break
        dead |= under
        for i in np.flatnonzero(state.chosen & under[cand.pair_session]).tolist():
            state.drop(i, int(cand.pair_staff[i]))
    return state.chosen & ~(state.under_minimum() & ~held)[cand.pair_session]


def _fill(state: PlanState, options: dict[int, list[int]], rng, pair_pressure: np.ndarray,
          dead: np.ndarray) -> None:
    """Rounds in which every person with open need takes the best-fitting session they still can.

    Seed 0, 3,000 staff forbid / allow and 20,000 staff: 26,493.5 / 17,254 / 161,501.5 h short when
    the least contested session was taken; the longest of all options first gave 21,049.5 / 10,144
    but 170,715 h (people crowd the long sessions of a city); the longest of the least contested per
    hour, neediest people first: 20,372 / 8,748 / 154,998.5 h.
    """
    cand, ix = state.cand, state.ix
    active = [p for p, opts in options.items() if opts and state.need[p].max() > 0]
    # per session, not per pair: lists over all pairs took 2.9 GB at 20,000 staff in allow mode
    session_hours = ix.session_hours.tolist()
    session_cat = ix.session_category.tolist()
    pair_session = cand.pair_session
    while active:
        still = []
        order = rng.permutation(active).tolist()
        order.sort(key=lambda p: -int(state.need[p].sum()))  # most need first; ties in random order
        for person in order:
            need = state.need[person]
            best, best_key, kept = None, None, []
            looked = 0
            for i in options[person]:
                s = pair_session.item(i)
                c = session_cat[s]
                if need[c] <= 0 or dead[s] or state.chosen[i]:
                    continue  # leaves the person's options
                if not state.can_take(i, person):
                    continue  # rules only tighten as the plan grows: never feasible again
                kept.append(i)
                looked += 1
                h = session_hours[s]
                fit = min(h, int(need[c])) / h
                key = (-fit, -h, pair_pressure[i])
                if best_key is None or key < best_key:
                    best, best_key = i, key
                if looked >= OPTIONS_LOOKED_AT:
                    kept.extend(options[person][options[person].index(i) + 1:])
                    break
            options[person] = kept
            if best is not None:
                state.take(best, person)
                if state.need[person].max() > 0:
                    still.append(person)
        active = still
