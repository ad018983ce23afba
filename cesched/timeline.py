"""Vectorised time logic over rosters: widened-shift overlap, minutes pulled off, rest after nights.

Times are integer minutes since 1970-01-01 (local). Each person's shifts are kept sorted under a
combined key ``staff_index * SPAN + minute`` so that one ``searchsorted`` answers a question for
millions of (person, interval) queries at once, linear in the number of shifts, never quadratic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .arrays import range_indices

SPAN = np.int64(1) << 40  # minutes of one person's key range: far beyond any calendar
MINUTES_PER_DAY = 1440


def to_minutes(values: np.ndarray) -> np.ndarray:
    """datetime64 array → int64 minutes since the epoch."""
    return values.astype("datetime64[m]").astype(np.int64)


def iso_week(minutes: np.ndarray) -> np.ndarray:
    """A number per ISO week (Monday to Sunday); 1969-12-29 was a Monday, hence the +3 days."""
    return (minutes // MINUTES_PER_DAY + 3) // 7


def day(minutes: np.ndarray) -> np.ndarray:
    """Calendar date as days since the epoch."""
    return minutes // MINUTES_PER_DAY


def is_night_shift(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Contract: a night shift ends on a later date than it starts, or ends at or before 08:00."""
    return (day(end) > day(start)) | ((end % MINUTES_PER_DAY) <= 8 * 60)


@dataclass(frozen=True)
class _Merged:
    """Disjoint merged intervals per person with prefix sums of covered length."""

    start_key: np.ndarray
    end_key: np.ndarray
    covered_before: np.ndarray  # covered minutes of the same person before each interval


@dataclass
class Roster:
    """All shifts of all staff, indexed for vectorised queries."""

    staff: np.ndarray  # int64 staff index per shift, sorted by (staff, start)
    start: np.ndarray
    end: np.ndarray
    _merged: dict[int, _Merged] = field(default_factory=dict, repr=False)
    _weekly: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _night_end_keys: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(cls, staff: np.ndarray, start: np.ndarray, end: np.ndarray) -> "Roster":
        order = np.lexsort((start, staff))
        return cls(staff[order].astype(np.int64), start[order].astype(np.int64), end[order].astype(np.int64))

    def merged(self, widen: int) -> _Merged:
        """Each person's shifts widened by ``widen`` minutes on both sides, merged where they touch."""
        if widen in self._merged:
            return self._merged[widen]
        s = self.staff * SPAN + (self.start - widen)
        e = self.staff * SPAN + (self.end + widen)
        if len(s):
            running = np.maximum.accumulate(e)  # keys grow with staff, so this never crosses people
            new = np.ones(len(s), dtype=bool)
            new[1:] = s[1:] > running[:-1]
            m_start = s[new]
            m_end = np.maximum.reduceat(e, np.flatnonzero(new))
        else:
            m_start = m_end = np.zeros(0, dtype=np.int64)
        length = m_end - m_start
        person = m_start // SPAN if len(m_start) else m_start
        cum = np.cumsum(length) - length
        first_of_person = np.ones(len(person), dtype=bool)
        first_of_person[1:] = person[1:] != person[:-1]
        base = np.maximum.accumulate(np.where(first_of_person, cum, 0))
        merged = _Merged(m_start, m_end, cum - base)
        self._merged[widen] = merged
        return merged

    def overlap_minutes(self, staff: np.ndarray, a: np.ndarray, b: np.ndarray, widen: np.ndarray) -> np.ndarray:
        """Minutes of [a, b) inside the person's shifts widened by ``widen`` (each minute once)."""
        out = np.zeros(len(staff), dtype=np.int64)
        for w in np.unique(widen):
            sel = np.flatnonzero(widen == w)
            merged = self.merged(int(w))
            out[sel] = self._covered(merged, staff[sel], b[sel]) - self._covered(merged, staff[sel], a[sel])
        return out

    @staticmethod
    def _covered(merged: _Merged, staff: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Covered minutes of the person's merged intervals before time x."""
        key = staff.astype(np.int64) * SPAN + x
        idx = np.searchsorted(merged.start_key, key, side="right") - 1
        ok = idx >= 0
        idx_c = np.where(ok, idx, 0)
        same = ok & (merged.start_key[idx_c] // SPAN == staff) if len(merged.start_key) else ok & False
        inside = np.clip(key - merged.start_key[idx_c], 0, merged.end_key[idx_c] - merged.start_key[idx_c]) if len(merged.start_key) else 0
        before = merged.covered_before[idx_c] if len(merged.start_key) else 0
        return np.where(same, before + inside, 0)

    def pieces(self, staff: np.ndarray, a: np.ndarray, b: np.ndarray, widen: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The parts of each [a, b) inside widened shifts: (query index, start, end) per piece."""
        q_all, s_all, e_all = [], [], []
        for w in np.unique(widen):
            sel = np.flatnonzero(widen == w)
            m = self.merged(int(w))
            p = staff[sel].astype(np.int64) * SPAN
            lo = np.searchsorted(m.end_key, p + a[sel], side="right")
            hi = np.searchsorted(m.start_key, p + b[sel], side="left")
            count = np.maximum(hi - lo, 0)
            q = np.repeat(sel, count)
            idx = range_indices(lo, count)
            base = np.repeat(p, count)
            q_all.append(q)
            s_all.append(np.maximum(m.start_key[idx] - base, a[q]))
            e_all.append(np.minimum(m.end_key[idx] - base, b[q]))
        if not q_all:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z
        return np.concatenate(q_all), np.concatenate(s_all), np.concatenate(e_all)

    def night_ends_between(self, staff: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Number of the person's night shifts ending in (lo, hi]."""
        if self._night_end_keys is None:  # sorted once: candidates ask block by block
            night = is_night_shift(self.start, self.end)
            self._night_end_keys = np.sort(self.staff[night] * SPAN + self.end[night])
        keys = self._night_end_keys
        p = staff.astype(np.int64) * SPAN
        return np.searchsorted(keys, p + hi, side="right") - np.searchsorted(keys, p + lo, side="right")

    def weekly_shift_minutes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(staff, iso week, shift minutes) for shifts grouped by the week they start in (computed
        once: every neighbourhood step's overload term asks for it)."""
        if self._weekly is None:
            self._weekly = self._weekly_shift_minutes()
        return self._weekly

    def _weekly_shift_minutes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        week = iso_week(self.start)
        key = self.staff * np.int64(1 << 24) + (week - week.min() if len(week) else week)
        uniq, inv = np.unique(key, return_inverse=True)
        total = np.bincount(inv, weights=(self.end - self.start)).astype(np.int64)
        base = week.min() if len(week) else 0
        return uniq // (1 << 24), uniq % (1 << 24) + base, total
