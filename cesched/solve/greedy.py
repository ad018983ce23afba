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

from array import array
from bisect import bisect_left, bisect_right
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


class Absence:
    """How many of a unit's people are pulled off shift at each instant: a step function kept as
    sorted breakpoints, so the most at once over any span is a slice's max (a greedy check at
    20,000 staff in allow mode compared about 18 nearby pieces per call: 81 of its 220 s)."""

    __slots__ = ("times", "counts")

    def __init__(self) -> None:
        self.times: list[int] = [-(2**62)]
        self.counts: list[int] = [0]  # counts[k] people away over [times[k], times[k + 1])

    def most(self, a: int, b: int) -> int:
        """Most people away at one instant of [a, b)."""
        return max(self.counts[bisect_right(self.times, a) - 1:bisect_left(self.times, b)])

    def add(self, a: int, b: int, delta: int) -> None:
        lo, hi = self._split(a), self._split(b)
        counts = self.counts
        for k in range(lo, hi):
            counts[k] += delta

    def _split(self, t: int) -> int:
        k = bisect_left(self.times, t)
        if k == len(self.times) or self.times[k] != t:
            self.times.insert(k, t)
            self.counts.insert(k, self.counts[k - 1])
        return k


class PlanState:
    """A plan being built pair by pair, checking every hard rule incrementally."""

    def __init__(self, ix: Indexed, cand: Candidates):
        self.ix, self.cand = ix, cand
        n = cand.n_pairs
        self.chosen = np.zeros(n, dtype=bool)
        # per-pair tables in the narrowest type that holds them, and numpy rather than lists: at
        # 20,000 staff in allow mode (35.9 million pairs, 22.5 million pieces) lists of the pieces
        # took 5.2 GB
        self.pc_lo, self.pc_hi = (_narrow(a) for a in slices(cand.piece_pair, n))  # pieces are sorted by pair
        self.cat = ix.session_category[cand.pair_session].astype(np.int8)
        self.hours = _narrow(ix.session_hours[cand.pair_session])
        self.session_fee = ix.session_fee  # per session: per pair it took 288 MB at 35.9 million pairs
        self.course = _narrow(ix.session_course[cand.pair_session])
        self.seats = ix.session_capacity.copy()
        self.budget = ix.unit_budget.astype(np.float64).copy()
        self.budget[ix.unit_budget < 0] = np.inf
        self.absence: dict[int, Absence] = defaultdict(Absence)  # per unit, pieces pulled off shift
        self.need = ix.need.astype(np.int64).copy()
        self.courses: dict[int, set[int]] = defaultdict(set)
        self.sessions: dict[int, list[int]] = defaultdict(list)  # per person, the sessions taken
        self.week_minutes: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.m_start, self.m_end = ix.meeting_start.tolist(), ix.meeting_end.tolist()
        self.m_zone = ix.meeting_zone.tolist()
        self.travel = ix.travel.tolist()
        # a pair's meetings are its session's: per session, the meetings and the minutes per week
        lo, hi = slices(ix.meeting_session, len(ix.session_ids))
        self.session_meetings = [list(range(a, b)) for a, b in zip(lo.tolist(), hi.tolist())]
        week = iso_week(ix.meeting_start).tolist()
        self.session_weeks: list[list[tuple[int, int]]] = []
        for meetings in self.session_meetings:
            minutes: dict[int, int] = defaultdict(int)
            for m in meetings:
                minutes[week[m]] += self.m_end[m] - self.m_start[m]
            self.session_weeks.append(list(minutes.items()))
        # two sessions can clash only if their spans, widened by the longest travel, overlap: most
        # pairs of a term's sessions are days apart and need no meeting-by-meeting check
        last = np.full(len(ix.session_ids), np.iinfo(np.int64).min)
        np.maximum.at(last, ix.meeting_session, ix.meeting_end + int(ix.travel.max(initial=0)))
        self.span_start, self.span_end = _session_start(ix).tolist(), last.tolist()

    def _pieces(self, i: int) -> list[tuple[int, int]]:
        """(start, end) of each piece of pair i pulled off a shift (none under "forbid")."""
        lo, hi = self.pc_lo[i], self.pc_hi[i]
        if lo == hi:
            return []
        return list(zip(self.cand.piece_start[lo:hi].tolist(), self.cand.piece_end[lo:hi].tolist()))

    def can_take(self, i: int, person: int) -> bool:
        """Whether pair i keeps every hard rule given what is already planned."""
        return self.fits_shared(i, person) and self.fits_person(i, person)

    def fits_shared(self, i: int, person: int) -> bool:
        """The rules pair i shares with other people: seats, the unit's budget and its coverage."""
        s = self.cand.pair_session.item(i)
        unit = self.ix.staff_unit.item(person)
        if self.seats.item(s) <= 0 or self.session_fee.item(s) > self.budget.item(unit):
            return False
        limit = self.ix.unit_max_absent.item(unit)
        if limit >= 0:
            absence = self.absence[unit]
            for a, b in self._pieces(i):
                if absence.most(a, b) + 1 > limit:
                    return False
        return True

    def fits_person(self, i: int, person: int, since: int | None = None) -> bool:
        """The person's own rules for pair i: one session per course, no clash (travel included),
        the weekly cap. With ``since``, pair i was known to fit the person's plan before pair
        ``since`` was taken, so only that pair's meetings can clash with it (a greedy round
        rechecks an option against the one session taken since, not the whole plan)."""
        if self.course.item(i) in self.courses[person]:
            return False
        session = self.cand.pair_session.item(i)
        for other in (self.sessions[person] if since is None else (self.cand.pair_session.item(since),)):
            if self._clash(session, other):
                return False
        cap = self.ix.weekly_cap.item(person)
        if cap >= 0:
            weeks = self.week_minutes[person]
            for week, minutes in self.session_weeks[session]:
                if weeks[week] + minutes > cap:
                    return False
        return True

    def _clash(self, session: int, other: int) -> bool:
        """Whether a meeting of one session overlaps one of the other, travel between them included."""
        if self.span_start[session] >= self.span_end[other] or self.span_start[other] >= self.span_end[session]:
            return False
        st, en, zn, tr = self.m_start, self.m_end, self.m_zone, self.travel
        for t in self.session_meetings[other]:
            for m in self.session_meetings[session]:
                gap = tr[zn[m]][zn[t]]
                if st[m] < en[t] + gap and st[t] < en[m] + gap:
                    return True
        return False

    def take(self, i: int, person: int) -> None:
        unit = int(self.ix.staff_unit[person])
        self.chosen[i] = True
        self.need[person, self.cat[i]] -= self.hours[i]
        session = self.cand.pair_session.item(i)
        self.seats[session] -= 1
        self.budget[unit] -= self.session_fee[session]
        self.courses[person].add(int(self.course[i]))
        self.sessions[person].append(session)
        for week, minutes in self.session_weeks[session]:
            self.week_minutes[person][week] += minutes
        for a, b in self._pieces(i):
            self.absence[unit].add(a, b, 1)

    def drop(self, i: int, person: int) -> None:
        """Undo a take (a cancelled session gives its seat, fee, hours and time back)."""
        unit = int(self.ix.staff_unit[person])
        self.chosen[i] = False
        self.need[person, self.cat[i]] += self.hours[i]
        session = self.cand.pair_session.item(i)
        self.seats[session] += 1
        self.budget[unit] += self.session_fee[session]
        self.courses[person].discard(int(self.course[i]))
        self.sessions[person].remove(session)
        for week, minutes in self.session_weeks[session]:
            self.week_minutes[person][week] -= minutes
        for a, b in self._pieces(i):
            self.absence[unit].add(a, b, -1)

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


#: top_up screens pairs in chunks of this many: screening all 35.9 million pairs of 20,000 staff
#: ("allow") at once took 1.5 GB of temporaries, the run's memory peak
TOP_UP_CHUNK = 1 << 21


def top_up(state: PlanState, pairs: np.ndarray | None = None) -> int:
    """Give people still short a free seat in a session that runs anyway, wherever every rule
    allows, trying ``pairs`` (default: all); returns how many attendances were added.

    A neighbourhood step frees seats (people move to other sessions) that people outside the
    neighbourhood could use: at 3,000 staff, 20 s of steps left 236 h that this takes in one pass.
    Only sessions already at their min_attendance are filled, so no session is opened or cancelled.
    """
    ix, cand = state.ix, state.cand
    n = cand.n_pairs if pairs is None else len(pairs)
    # fixed for the call: only sessions that run are filled, so none starts running
    running = ix.session_capacity - state.seats >= np.maximum(ix.session_min, 1)
    added = 0
    for start in range(0, n, TOP_UP_CHUNK):
        end = min(n, start + TOP_UP_CHUNK)
        chunk = np.arange(start, end) if pairs is None else pairs[start:end]
        added += _top_up_pairs(state, chunk, running)
    return added


def _top_up_pairs(state: PlanState, pairs: np.ndarray, running: np.ndarray) -> int:
    """top_up over some pairs, screened first by what only tightens as the plan grows (so a chunk
    screened after earlier chunks' takes drops only pairs the full check would refuse)."""
    ix, cand = state.ix, state.cand
    session, staff = cand.pair_session[pairs], cand.pair_staff[pairs]
    maybe = (~state.chosen[pairs] & (state.need[staff, state.cat[pairs]] > 0) & running[session]
             & (state.seats[session] > 0) & (state.session_fee[session] <= state.budget[ix.staff_unit[staff]]))
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
    options = _options(ix, cand, pressure / ix.session_hours)
    dead = np.zeros(len(ix.session_ids), dtype=bool)
    held = np.zeros(len(ix.session_ids), dtype=bool)
    if locked is not None:
        held[cand.pair_session[locked]] = True  # a locked session is never cancelled
    for _ in range(rounds_of_repair + 1):
        _fill(state, options, rng, pressure, dead)
        under = state.under_minimum() & ~held
        if not under.any():
            break
        dead |= under
        for i in np.flatnonzero(state.chosen & under[cand.pair_session]).tolist():
            state.drop(i, int(cand.pair_staff[i]))
    return state.chosen & ~(state.under_minimum() & ~held)[cand.pair_session]


def _options(ix: Indexed, cand: Candidates, pressure_per_hour: np.ndarray) -> dict[int, array]:
    """Per person, their pairs, least contested per credit hour first: compact arrays, not lists
    (35.9 million pairs at 20,000 staff in allow mode: lists of them held 1.3 GB of ints)."""
    p_lo, p_hi = slices(cand.pair_staff, ix.n_staff)
    options: dict[int, array] = {}
    for person, (a, b) in enumerate(zip(p_lo.tolist(), p_hi.tolist())):
        order = np.argsort(pressure_per_hour[cand.pair_session[a:b]], kind="stable")
        options[person] = array("i", (order + a).astype(np.int32).tobytes())
    return options


def _fill(state: PlanState, options: dict[int, array], rng, pressure: np.ndarray, dead: np.ndarray) -> None:
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
    session_pressure = pressure.tolist()
    pair_session, chosen, closed = cand.pair_session, state.chosen, dead.tolist()
    # per person, the leading options that fitted their own rules before the session they took last
    checked: dict[int, tuple[int, int]] = {}
    while active:
        still = []
        order = rng.permutation(active).tolist()
        order.sort(key=lambda p: -int(state.need[p].sum()))  # most need first; ties in random order
        for person in order:
            need = state.need[person].tolist()
            best, best_key, kept = None, None, []
            looked = 0
            fitted, last = checked.get(person, (0, -1))
            for j, i in enumerate(options[person]):
                s = pair_session.item(i)
                c = session_cat[s]
                if need[c] <= 0 or closed[s] or chosen.item(i):
                    continue  # leaves the person's options
                # rules only tighten as the plan grows: an option that fails is never feasible again
                if not state.fits_shared(i, person):
                    continue
                if not state.fits_person(i, person, since=last if j < fitted else None):
                    continue
                kept.append(i)
                looked += 1
                h = session_hours[s]
                fit = min(h, need[c]) / h
                key = (-fit, -h, session_pressure[s])
                if best_key is None or key < best_key:
                    best, best_key = i, key
                if looked >= OPTIONS_LOOKED_AT:
                    kept.extend(options[person][j + 1:])
                    break
            options[person] = array("i", kept)
            if best is not None:
                checked[person] = (looked, best)
                state.take(best, person)
                if state.need[person].max() > 0:
                    still.append(person)
        active = still
