"""The validated dataset: typed, defaulted tables plus the policy, never mutated after loading.

Tables (one row per record, defaults applied, ids as strings, times as ``datetime64``):

- ``units``: unit_id, name, zone, budget (NaN = no cap), max_absent (NaN = no cap)
- ``staff``: staff_id, name, unit_id, field, required_public, required_professional, done_public,
  done_professional, max_weekly_hours (resolved with the policy; NaN = no cap)
- ``shifts``: staff_id, start, end
- ``courses``: course_id, title, category, fields (``;``-joined, "" = all), hours, fee, organizer
- ``venues``: venue_id, name, zone, capacity
- ``meetings``: session_id, course_id, venue_id, start, end (one row per sessions.csv row)
- ``sessions``: session_id, course_id, capacity (resolved), min_attendance, start, end, meetings
- ``travel``: zone_a, zone_b, minutes (each unordered pair once, zone_a < zone_b)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ..problems import Problem
from .entities import Course, Meeting, Session, Staff, Unit, Venue
from .policy import Policy

TABLES = ("units", "staff", "shifts", "courses", "venues", "meetings", "sessions", "travel")


def _freeze(frame: pd.DataFrame) -> pd.DataFrame:
    """Mark the numeric blocks read-only so an accidental in-place edit fails loudly."""
    for col in frame.columns:
        values = frame[col].to_numpy()
        if isinstance(values, np.ndarray) and values.dtype != object:
            try:
                values.flags.writeable = False
            except ValueError:
                pass
    return frame


class Dataset(BaseModel):
    """A validated dataset. Build it with ``load_dataset`` or ``dataset_from_frames``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    policy: Policy
    units: pd.DataFrame
    staff: pd.DataFrame
    shifts: pd.DataFrame
    courses: pd.DataFrame
    venues: pd.DataFrame
    meetings: pd.DataFrame
    sessions: pd.DataFrame
    travel: pd.DataFrame
    warnings: tuple[Problem, ...] = ()
    source: str = ""
    digest: str = ""

    def model_post_init(self, __context: Any) -> None:
        for name in TABLES:
            _freeze(getattr(self, name))

    def with_policy(self, policy: Policy) -> "Dataset":
        """A copy under another policy (what-if scenarios); tables are shared, not copied."""
        return self.model_copy(update={"policy": policy})

    # --- lookups -------------------------------------------------------------------------
    def travel_minutes(self, zone_a: str, zone_b: str) -> int:
        """Travel time between two zones: 0 within a zone, else travel.csv, else the policy default."""
        if zone_a == zone_b:
            return 0
        a, b = sorted((zone_a, zone_b))
        hit = self.travel[(self.travel["zone_a"] == a) & (self.travel["zone_b"] == b)]
        if len(hit):
            return int(hit["minutes"].iloc[0])
        return self.policy.rules.default_travel_minutes

    def unit(self, unit_id: str) -> Unit:
        row = self._row(self.units, "unit_id", unit_id)
        return Unit(
            unit_id=row.unit_id, name=row.name, zone=row.zone,
            budget=None if pd.isna(row.budget) else float(row.budget),
            max_absent=None if pd.isna(row.max_absent) else int(row.max_absent),
        )

    def staff_member(self, staff_id: str) -> Staff:
        row = self._row(self.staff, "staff_id", staff_id)
        data = row._asdict()
        data.pop("Index", None)
        cap = data["max_weekly_hours"]
        data["max_weekly_hours"] = None if pd.isna(cap) else float(cap)
        return Staff(**data)

    def course(self, course_id: str) -> Course:
        row = self._row(self.courses, "course_id", course_id)
        fields = tuple(f for f in row.fields.split(";") if f)
        return Course(
            course_id=row.course_id, title=row.title, category=row.category, fields=fields,
            hours=float(row.hours), fee=float(row.fee), organizer=row.organizer,
        )

    def venue(self, venue_id: str) -> Venue:
        row = self._row(self.venues, "venue_id", venue_id)
        return Venue(venue_id=row.venue_id, name=row.name, zone=row.zone, capacity=int(row.capacity))

    def session(self, session_id: str) -> Session:
        row = self._row(self.sessions, "session_id", session_id)
        rows = self.meetings[self.meetings["session_id"] == session_id]
        meetings = tuple(
            Meeting(venue_id=m.venue_id, start=m.start.to_pydatetime(), end=m.end.to_pydatetime())
            for m in rows.itertuples()
        )
        return Session(
            session_id=row.session_id, course_id=row.course_id, capacity=int(row.capacity),
            min_attendance=int(row.min_attendance), meetings=meetings,
        )

    @staticmethod
    def _row(frame: pd.DataFrame, key: str, value: str):
        hit = frame[frame[key] == value]
        if not len(hit):
            raise KeyError(f"no {key} {value!r}")
        return next(hit.drop(columns=[c for c in hit.columns if c == "line"]).itertuples(index=False))
