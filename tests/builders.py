"""Compact in-memory datasets for the engine's tests.

Rows are built with small keyword functions (``unit``, ``person``, ``course``, ``venue``, ``meeting``,
``shift``, ``road``) and ``tiny(...)`` turns them into a validated ``cesched.Dataset`` with sensible
defaults: one unit U1 and one venue V1 (capacity 50), both in zone "seat", and a policy whose
``max_weekly_load_hours`` is 0 (overload off) unless a test sets it.

Times: ``at(day, "HH:MM")`` with day 0 = Monday 2027-03-01 (ISO week 2027-W09); day 7 is the next
Monday, day 6 the Sunday that closes the first week.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

import pandas as pd
import pytest

import cesched

MONDAY = dt.date(2027, 3, 1)

COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "zone", "budget", "max_absent"),
    "staff": ("staff_id", "unit_id", "field", "required_public", "required_professional", "done_public",
              "done_professional", "max_weekly_hours"),
    "shifts": ("staff_id", "start", "end"),
    "courses": ("course_id", "category", "fields", "hours", "fee"),
    "venues": ("venue_id", "zone", "capacity"),
    "sessions": ("session_id", "course_id", "venue_id", "start", "end", "capacity", "min_attendance"),
    "travel": ("from_zone", "to_zone", "minutes"),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def at(day: int, clock: str = "00:00") -> str:
    """Day ``day`` after Monday 2027-03-01 at ``clock`` ("HH:MM"), in the contract's time format."""
    return f"{(MONDAY + dt.timedelta(days=day)).isoformat()} {clock}"


# --- rows -------------------------------------------------------------------------------------------
def unit(unit_id: str = "U1", zone: str = "seat", budget: Any = "", max_absent: Any = "") -> dict:
    return {"unit_id": unit_id, "zone": zone, "budget": budget, "max_absent": max_absent}


def person(staff_id: str, unit: str = "U1", field: str = "med", public: Any = 0, professional: Any = 0,
           done_public: Any = "", done_professional: Any = "", cap: Any = "") -> dict:
    """A staff row; ``public``/``professional`` are the *required* hours (default 0: nothing needed)."""
    return {"staff_id": staff_id, "unit_id": unit, "field": field, "required_public": public,
            "required_professional": professional, "done_public": done_public,
            "done_professional": done_professional, "max_weekly_hours": cap}


def course(course_id: str, category: str = "public", hours: Any = 6, fee: Any = 0, fields: str = "") -> dict:
    return {"course_id": course_id, "category": category, "fields": fields, "hours": hours, "fee": fee}


def venue(venue_id: str = "V1", zone: str = "seat", capacity: Any = 50) -> dict:
    return {"venue_id": venue_id, "zone": zone, "capacity": capacity}


def meeting(session_id: str, course_id: str, start: str, end: str, venue: str = "V1", capacity: Any = "",
            least: Any = "") -> dict:
    """One sessions.csv row (a meeting); rows sharing ``session_id`` are one session."""
    return {"session_id": session_id, "course_id": course_id, "venue_id": venue, "start": start, "end": end,
            "capacity": capacity, "min_attendance": least}


def shift(staff_id: str, start: str, end: str) -> dict:
    return {"staff_id": staff_id, "start": start, "end": end}


def road(a: str, b: str, minutes: Any) -> dict:
    return {"from_zone": a, "to_zone": b, "minutes": minutes}


# --- datasets ---------------------------------------------------------------------------------------
def frame(name: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    cols = COLUMNS[name]
    return pd.DataFrame([[_cell(row.get(c, "")) for c in cols] for row in rows], columns=list(cols), dtype=object)


def policy(rules: Mapping[str, Any] | None = None, objective: Mapping[str, Any] | None = None,
           requirements: Mapping[str, Any] | None = None) -> dict:
    """A policy mapping: overload off (``max_weekly_load_hours = 0``) unless ``rules`` sets it."""
    out: dict[str, Any] = {"rules": {"max_weekly_load_hours": 0, **(rules or {})}}
    if objective is not None:
        out["objective"] = dict(objective)
    if requirements is not None:
        out["requirements"] = dict(requirements)
    return out


def frames(*, staff, courses, sessions, units=None, venues=None, shifts=(), travel=None) -> dict[str, pd.DataFrame]:
    tables = {
        "units": frame("units", units if units is not None else [unit()]),
        "staff": frame("staff", staff),
        "shifts": frame("shifts", shifts),
        "courses": frame("courses", courses),
        "venues": frame("venues", venues if venues is not None else [venue()]),
        "sessions": frame("sessions", sessions),
    }
    if travel is not None:
        tables["travel"] = frame("travel", travel)
    return tables


def tiny(*, staff, courses, sessions, units=None, venues=None, shifts=(), travel=None,
         rules: Mapping[str, Any] | None = None, objective: Mapping[str, Any] | None = None,
         requirements: Mapping[str, Any] | None = None) -> cesched.Dataset:
    """A validated dataset from row dicts, with the defaults described in the module docstring."""
    return cesched.dataset_from_frames(
        frames(staff=staff, courses=courses, sessions=sessions, units=units, venues=venues, shifts=shifts,
               travel=travel),
        policy(rules, objective, requirements),
    )


# --- solving and reading plans ----------------------------------------------------------------------
OPTIONS = cesched.SolveOptions(time_limit_seconds=20, workers=2, seed=0)


def solve(ds: cesched.Dataset, options: cesched.SolveOptions = OPTIONS) -> cesched.Plan:
    return cesched.solve(ds, options)


def pairs(plan_or_frame) -> set[tuple[str, str]]:
    """The plan's (staff_id, session_id) pairs."""
    frame_ = getattr(plan_or_frame, "assignments", plan_or_frame)
    return set(zip(frame_["staff_id"], frame_["session_id"]))


def stage_values(plan: cesched.Plan) -> dict[str, float | None]:
    return {s.name: s.value for s in plan.stages}


def expected_stage_value(ds: cesched.Dataset, plan: cesched.Plan, terms) -> float:
    """A stage's value recomputed from the plan's (audited) KPIs: the weighted sum of its terms."""
    weights = ds.policy.objective.weights
    return sum(weights[t] * getattr(plan.kpis, t) for t in terms)


def assert_sound(ds: cesched.Dataset, plan: cesched.Plan, *, optimal: bool = True) -> None:
    """The plan passes the independent audit and its KPIs are the audit's; every stage's value equals
    its terms' weighted KPIs; when ``optimal``, every stage and the plan are proven optimal."""
    judged = cesched.audit(ds, plan.assignments)
    assert judged.ok, judged.violations.to_string()
    assert judged.kpis == plan.kpis
    for stage in plan.stages:
        if optimal:
            assert stage.status == "optimal", plan.stages
            assert stage.bound == pytest.approx(stage.value, abs=1e-6), stage
        if stage.value is not None:
            assert stage.value == pytest.approx(expected_stage_value(ds, plan, stage.terms), abs=1e-6), (
                stage, plan.kpis)
    if optimal:
        assert plan.status == "optimal"
