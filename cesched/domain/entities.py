"""One validated record of each kind, for callers who want objects rather than tables.

The dataset keeps its tables as frames (a district has millions of shift rows); these models are
what ``Dataset.unit(...)``, ``Dataset.session(...)`` and friends hand out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["public", "professional"]


class _Entity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Unit(_Entity):
    unit_id: str
    name: str = ""
    zone: str = ""
    budget: float | None = Field(None, ge=0, description="CNY cap on fees of the unit's staff; None = no cap")
    max_absent: int | None = Field(None, ge=0, description="most staff pulled off shifts at one instant")


class Staff(_Entity):
    staff_id: str
    name: str = ""
    unit_id: str
    field: str
    required_public: float = Field(ge=0)
    required_professional: float = Field(ge=0)
    done_public: float = Field(0, ge=0)
    done_professional: float = Field(0, ge=0)
    max_weekly_hours: float | None = Field(None, gt=0, description="clock hours per ISO week; None = no cap")


class Shift(_Entity):
    staff_id: str
    start: datetime
    end: datetime


class Course(_Entity):
    course_id: str
    title: str = ""
    category: Category
    fields: tuple[str, ...] = Field((), description="fields a professional course is open to; () = all")
    hours: float = Field(gt=0, description="credit hours earned")
    fee: float = Field(0, ge=0, description="CNY per attendee, paid by the attendee's unit")
    organizer: str = ""


class Venue(_Entity):
    venue_id: str
    name: str = ""
    zone: str = ""
    capacity: int = Field(ge=0)


class Meeting(_Entity):
    venue_id: str
    start: datetime
    end: datetime


class Session(_Entity):
    session_id: str
    course_id: str
    capacity: int = Field(ge=0, description="min of the capacity cell and every meeting's venue")
    min_attendance: int = Field(0, ge=0)
    meetings: tuple[Meeting, ...]
