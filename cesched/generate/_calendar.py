"""The term the district plans: its days, public holidays, and how its instants are written.

Every instant inside the generator is an integer count of minutes since the term's first Monday
00:00, so rosters and sessions are plain integer arrays; text only appears when a table is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

TERM_START = date(2027, 3, 1)  # a Monday
TERM_WEEKS = 16
MINUTES_PER_DAY = 1440

# Public holidays in the term (offices and schools close, hospitals keep working) and the
# Saturday worked in exchange for the May holiday.
HOLIDAYS = (
    date(2027, 4, 5),
    *(date(2027, 5, d) for d in range(1, 6)),
    date(2027, 6, 9),
)
MAKEUP_WORKDAYS = (date(2027, 5, 8),)


@dataclass(frozen=True)
class Term:
    """Day-level facts of the term, as arrays indexed by day number (0 = the first Monday)."""

    n_days: int
    weekday: np.ndarray  # 0 = Monday .. 6 = Sunday
    holiday: np.ndarray  # bool: a public holiday
    workday: np.ndarray  # bool: offices and schools open (weekday, not a holiday, or a make-up day)

    @property
    def weekend_free(self) -> np.ndarray:
        """Saturdays and Sundays that are neither worked nor holidays: when weekend courses run."""
        return (self.weekday >= 5) & ~self.workday & ~self.holiday

    @property
    def weekday_open(self) -> np.ndarray:
        """Ordinary weekdays that are not holidays: when evening and daytime courses run."""
        return (self.weekday < 5) & ~self.holiday


def make_term() -> Term:
    """Build the fixed term of TERM_WEEKS weeks starting on TERM_START."""
    n_days = TERM_WEEKS * 7
    weekday = np.arange(n_days) % 7
    holiday = np.zeros(n_days, dtype=bool)
    makeup = np.zeros(n_days, dtype=bool)
    for d in HOLIDAYS:
        holiday[(d - TERM_START).days] = True
    for d in MAKEUP_WORKDAYS:
        makeup[(d - TERM_START).days] = True
    workday = ((weekday < 5) & ~holiday) | makeup
    return Term(n_days=n_days, weekday=weekday, holiday=holiday, workday=workday)


def hhmm(text: str) -> int:
    """Minutes after midnight of a clock time written 'HH:MM'."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_minutes(minutes: np.ndarray) -> np.ndarray:
    """Render term minutes as 'YYYY-MM-DD HH:MM' strings (object array).

    Rosters repeat a few clock times over a few hundred days, so only the distinct instants are
    formatted and the rest are shared references: fast, and light on memory at millions of rows.
    """
    minutes = np.asarray(minutes, dtype=np.int64)
    if minutes.size == 0:
        return np.empty(0, dtype=object)
    low = int(minutes.min())
    used = np.zeros(int(minutes.max()) - low + 1, dtype=bool)
    used[minutes - low] = True
    distinct = np.flatnonzero(used) + low
    lookup = np.empty(used.size, dtype=object)
    lookup[distinct - low] = [_format_one(int(m)) for m in distinct]
    return lookup[minutes - low]


def _format_one(minute: int) -> str:
    """One instant as contract text."""
    day, rest = divmod(minute, MINUTES_PER_DAY)
    on = TERM_START + timedelta(days=day)
    return f"{on.isoformat()} {rest // 60:02d}:{rest % 60:02d}"
