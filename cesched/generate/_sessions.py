"""When sessions meet: weekday evenings, weekends or weekday daytime, in one to three meetings.

A course's credit hours are split into meetings of 1.5, 3, 4.5 or 6 hours (a 6-hour day runs
09:00-16:30 with a lunch break); evenings take only the short ones. Meetings of one session fall on
consecutive course days of their kind, or (for evenings) on the same weekday of successive weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _catalogue as cat
from ._calendar import MINUTES_PER_DAY, Term, hhmm
from ._courses import Courses, SessionSeats

EVENING, WEEKEND, WEEKDAY = 0, 1, 2
# credit hours -> possible (meetings, hours per meeting)
SPLITS: dict[float, tuple[tuple[int, float], ...]] = {
    1.5: ((1, 1.5),),
    3.0: ((1, 3.0), (2, 1.5)),
    4.5: ((1, 4.5), (3, 1.5)),
    6.0: ((1, 6.0), (2, 3.0)),
    9.0: ((3, 3.0), (2, 4.5)),
    12.0: ((2, 6.0),),
    18.0: ((3, 6.0),),
}
# (kind, hours per meeting) -> possible clock starts
SLOTS: dict[tuple[int, float], tuple[str, ...]] = {
    (EVENING, 1.5): ("19:00",),
    (EVENING, 3.0): ("18:30",),
    (WEEKEND, 1.5): ("09:00", "14:30"),
    (WEEKEND, 3.0): ("09:00", "14:00"),
    (WEEKEND, 4.5): ("08:30", "13:30"),
    (WEEKEND, 6.0): ("09:00",),
    (WEEKDAY, 1.5): ("08:30", "14:30"),
    (WEEKDAY, 3.0): ("08:30", "14:30"),
    (WEEKDAY, 4.5): ("08:30", "13:30"),
    (WEEKDAY, 6.0): ("08:30",),
}
FULL_DAY_MINUTES = 450  # 6 credit hours plus a 90-minute lunch break


@dataclass(frozen=True)
class Meetings:
    """One row per meeting, sorted by session then start; session indices are final id order."""

    session: np.ndarray
    start: np.ndarray
    end: np.ndarray
    order: np.ndarray  # session index (into SessionSeats) of each final session id


def schedule(courses: Courses, seats: SessionSeats, term: Term, rng: np.random.Generator) -> Meetings:
    """Give every session its kind, meeting split, clock slot and days, then order sessions by
    course and first start so that ids read naturally."""
    n = seats.course.size
    hours = courses.hours[seats.course]
    kind = _kinds(courses, seats, rng)
    meetings = np.ones(n, dtype=np.int64)
    per_meeting = hours.copy()
    for h, splits in SPLITS.items():
        for k in (EVENING, WEEKEND, WEEKDAY):
            sel = np.flatnonzero((hours == h) & (kind == k))
            fits = [s for s in splits if k != EVENING or s[1] <= 3.0]
            if sel.size == 0:
                continue
            if not fits:  # too long for evenings: hold it at a weekend or on weekdays instead
                kind[sel] = np.where(rng.random(sel.size) < 0.6, WEEKEND, WEEKDAY)
                fits = list(splits)
            pick = rng.integers(0, len(fits), sel.size)
            meetings[sel] = np.array([s[0] for s in fits])[pick]
            per_meeting[sel] = np.array([s[1] for s in fits])[pick]
    clock_start = np.zeros(n, dtype=np.int64)
    for (k, d), starts in SLOTS.items():
        sel = np.flatnonzero((kind == k) & (per_meeting == d))
        clock_start[sel] = np.array([hhmm(s) for s in starts])[rng.integers(0, len(starts), sel.size)]
    length = np.where(per_meeting == 6.0, FULL_DAY_MINUTES, np.round(per_meeting * 60)).astype(np.int64)
    days = _meeting_days(kind, meetings, term, rng)  # (n, 3), -1 where no meeting
    first = days[:, 0] * MINUTES_PER_DAY + clock_start
    order = np.lexsort((np.arange(n), first, seats.course))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    s_idx, j = np.nonzero(days[order] >= 0)
    src = order[s_idx]
    start = days[src, j] * MINUTES_PER_DAY + clock_start[src]
    return Meetings(session=s_idx, start=start, end=start + length[src], order=order)


def _kinds(courses: Courses, seats: SessionSeats, rng: np.random.Generator) -> np.ndarray:
    """Evening, weekend or weekday daytime, in the proportions each organizer favours; but a
    course's first two sessions are one evening and one weekend session (in either order), so that
    day workers of every roster have a way into every course."""
    shares = np.array([cat.ORGANIZER_TIMING[o] for o in courses.organizer])[seats.course]
    u = rng.random(seats.course.size)
    cumulative = np.cumsum(shares, axis=1)
    kind = (u[:, None] >= cumulative[:, :2]).sum(axis=1).astype(np.int64)
    first_of_course = np.flatnonzero(np.r_[True, seats.course[1:] != seats.course[:-1]])
    rank = np.arange(seats.course.size) - np.repeat(first_of_course, np.diff(np.r_[first_of_course, seats.course.size]))
    evening_first = rng.random(seats.course.size) * (shares[:, 0] + shares[:, 1]) < shares[:, 0]
    kind = np.where(rank == 0, np.where(evening_first, EVENING, WEEKEND), kind)
    second = (rank == 1) & np.r_[False, (rank[1:] == 1)]
    kind = np.where(second, np.where(np.r_[False, evening_first[:-1]], WEEKEND, EVENING), kind)
    return kind


def _meeting_days(kind: np.ndarray, meetings: np.ndarray, term: Term, rng: np.random.Generator) -> np.ndarray:
    """Day numbers of each session's meetings: consecutive course days of the session's kind, or
    for a third of evening sessions the same weekday in successive weeks."""
    n = kind.size
    days = np.full((n, 3), -1, dtype=np.int64)
    offsets = np.arange(3)
    for k, allowed in ((EVENING, term.weekday_open), (WEEKEND, term.weekend_free), (WEEKDAY, term.weekday_open)):
        sel = np.flatnonzero(kind == k)
        if sel.size == 0:
            continue
        course_days = np.flatnonzero(allowed)
        m = meetings[sel]
        first = np.floor(rng.random(sel.size) * (course_days.size - m + 1)).astype(np.int64)
        idx = np.minimum(first[:, None] + offsets[None, :], course_days.size - 1)
        chosen = course_days[idx]
        if k == EVENING:
            weekly = course_days[first][:, None] + 7 * offsets[None, :]
            used = offsets[None, :] < m[:, None]
            ok = np.where(used, (weekly < term.n_days) & allowed[np.minimum(weekly, term.n_days - 1)], True)
            use_weekly = ok.all(axis=1) & (rng.random(sel.size) < 0.35)
            chosen = np.where(use_weekly[:, None], weekly, chosen)
        days[sel] = np.where(offsets[None, :] < m[:, None], chosen, -1)
    return days
