"""How attended meetings sit against the people's own shifts.

A meeting "overlaps" a shift when it overlaps the shift widened on both sides by t, the travel minutes
between the person's unit zone and the meeting's venue zone. The part of the meeting inside the union of
the person's widened shifts is the time that person is pulled off their shifts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .intervals import keyed, merge, peak_count, range_pairs, union_length
from .tables import DAY, PlanTables


@dataclass(frozen=True)
class ShiftContact:
    """Per attended meeting (rows of ``tables.meet``): ``overlap`` minutes inside the widened shifts and
    ``rest`` night shifts it breaches; ``pieces``: meeting x widened shift intersections (meet row, shift
    row, start, end), positive length only."""

    overlap: np.ndarray
    rest: np.ndarray
    pieces: pd.DataFrame


def shift_contact(tables: PlanTables) -> ShiftContact:
    meet, shifts = tables.meet, tables.shifts
    m_staff = meet["staff"].to_numpy()
    m_start, m_end, t = meet["start"].to_numpy(), meet["end"].to_numpy(), meet["t"].to_numpy()
    s_staff, s_start, s_end = shifts["staff"].to_numpy(), shifts["start"].to_numpy(), shifts["end"].to_numpy()

    # candidate shifts of each meeting: same person, start in (meeting start - t - longest shift of the
    # person, meeting end + t); shifts are sorted by (staff, start), so each candidate set is a range
    longest = np.zeros(len(tables.staff), dtype=np.int64)
    np.maximum.at(longest, s_staff, s_end - s_start)
    by_start = keyed(s_staff, s_start)
    lo = np.searchsorted(by_start, keyed(m_staff, m_start - t - longest[m_staff]), side="right")
    hi = np.searchsorted(by_start, keyed(m_staff, m_end + t), side="left")
    mi, si = range_pairs(lo, hi)
    a = np.maximum(m_start[mi], s_start[si] - t[mi])
    b = np.minimum(m_end[mi], s_end[si] + t[mi])
    keep = b > a
    pieces = pd.DataFrame({"meet": mi[keep], "shift": si[keep], "start": a[keep], "end": b[keep]})
    overlap = union_length(pieces["meet"].to_numpy(), pieces["start"].to_numpy(), pieces["end"].to_numpy(), len(meet))

    # rest breaches: night shifts of the person that end in (meeting start - R, meeting start]
    rest_min = round(tables.ds.policy.rules.rest_after_night_hours * 60, 6)
    rest_ceil = int(math.ceil(rest_min))
    night = (s_end // DAY > s_start // DAY) | (s_end % DAY <= 8 * 60)
    n_staff, n_end = s_staff[night], s_end[night]
    order = np.lexsort((n_end, n_staff))
    by_end = keyed(n_staff[order], n_end[order])
    lo = np.searchsorted(by_end, keyed(m_staff, m_start - rest_ceil), side="right")
    hi = np.searchsorted(by_end, keyed(m_staff, m_start), side="right")
    rest = np.clip(hi - lo, 0, None).astype(np.int64)
    return ShiftContact(overlap=overlap, rest=rest, pieces=pieces)


def absence_peaks(tables: PlanTables, contact: ShiftContact) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the most of its distinct staff pulled off their shifts at one instant, and when."""
    meet, pieces = tables.meet, contact.pieces
    staff = meet["staff"].to_numpy()[pieces["meet"].to_numpy()]
    person, start, end = merge(staff, pieces["start"].to_numpy(), pieces["end"].to_numpy())
    unit = tables.staff["unit"].to_numpy()[person]
    return peak_count(unit, start, end, len(tables.ds.units))
