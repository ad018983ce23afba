"""Synthetic districts in dataset contract v1, for tests, demos and benchmarks.

A district is a county seat with townships (several counties for a city or province): hospitals on
rotating three-shift rosters, township health centres with on-call nights, schools on class
timetables, agricultural, veterinary and water stations on office hours; public courses from the HR
bureau and professional courses from each industry bureau, held on weekday evenings, at weekends and
on weekday daytime. Seats are offered for roughly 85-115 % of the expected demand, some units' budgets
bind and most clinical units cap absences, so that plans face real trade-offs.

Everything is drawn from one `numpy.random.default_rng(seed)`, so a seed always gives the same
bytes. Rosters are built as a vectorised (staff, day) grid: 20,000 staff (about 2.3 million shift
rows) take a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import _catalogue as cat
from ._calendar import format_minutes, make_term
from ._courses import Courses, expected_fees, make_courses, make_venues, plan_seats
from ._district import Staff, make_staff, make_units, make_zones, max_absent, travel_minutes
from ._rosters import make_shifts
from ._sessions import schedule
from ._tables import format_numbers, frame, ids, write_csv, write_text

__all__ = ["generate_district", "write_district", "FILE_COLUMNS"]

FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "units.csv": ("unit_id", "name", "zone", "budget", "max_absent"),
    "staff.csv": (
        "staff_id",
        "name",
        "unit_id",
        "field",
        "required_public",
        "required_professional",
        "done_public",
        "done_professional",
        "max_weekly_hours",
    ),
    "shifts.csv": ("staff_id", "start", "end"),
    "courses.csv": ("course_id", "title", "category", "fields", "hours", "fee", "organizer"),
    "venues.csv": ("venue_id", "name", "zone", "capacity"),
    "sessions.csv": ("session_id", "course_id", "venue_id", "start", "end", "capacity", "min_attendance"),
    "travel.csv": ("from_zone", "to_zone", "minutes"),
}

POLICY_TOML = """\
[requirements]
public_hours = 30
professional_hours = 60

[rules]
shift_overlap = "forbid"
rest_after_night_hours = 8
max_weekly_hours = 24
max_weekly_load_hours = 48
default_travel_minutes = 30

[solver]
time_limit_seconds = 60
"""


def generate_district(n_staff: int, seed: int) -> dict[str, pd.DataFrame | str]:
    """Return the dataset files as frames keyed by file name ("units.csv", ..., plus "policy.toml" as a str).

    Every frame cell is the file's exact text (str; blank cell = ""), columns in contract order.
    """
    if n_staff < 1:
        raise ValueError(f"n_staff must be at least 1, got {n_staff}")
    rng = np.random.default_rng(seed)
    term = make_term()
    zones, county_staff = make_zones(n_staff, rng)
    units = make_units(zones, county_staff, rng)
    staff = make_staff(units, rng)
    shifts = make_shifts(staff, units, term, rng)
    courses = make_courses(staff, n_staff, rng)
    venues = make_venues(zones, rng)
    seats = plan_seats(courses, venues, zones, staff, units.zone, rng)
    meetings = schedule(courses, seats, term, rng)
    budget = _budgets(units.size.size, staff, courses, rng)
    absent = max_absent(units, rng)

    zone_name = np.array([*zones.name, cat.ONLINE_ZONE], dtype=object)  # the last is the online classroom's
    unit_id = ids("U", len(units.kind), 3)
    staff_id = ids("S", staff.unit.size, 6)
    course_id = ids("C", len(courses.title), 3)
    session_id = ids("X", seats.course.size, 5)
    venue_id = np.array(venues.venue_id, dtype=object)
    field_name = np.array(cat.FIELDS, dtype=object)
    fields_text = [";".join(cat.FIELDS[f] for f in fs) for fs in courses.fields]
    cell = seats.capacity_cell[meetings.order]
    min_att = _min_attendance(seats.capacity[meetings.order], rng)
    src_i, src_j, minutes = travel_minutes(zones)
    # joining the online classroom takes no travel from anywhere (the policy's default would apply)
    src_i = np.concatenate([src_i, np.full(len(zones.name), len(zones.name))])
    src_j = np.concatenate([src_j, np.arange(len(zones.name))])
    minutes = np.concatenate([minutes, np.zeros(len(zones.name), dtype=minutes.dtype)])
    return {
        "units.csv": frame({
            "unit_id": unit_id,
            "name": units.name,
            "zone": zone_name[units.zone],
            "budget": format_numbers(budget),
            "max_absent": format_numbers(absent),
        }),
        "staff.csv": frame({
            "staff_id": staff_id,
            "name": staff.name,
            "unit_id": unit_id[staff.unit],
            "field": field_name[staff.field],
            "required_public": format_numbers(staff.required_public),
            "required_professional": format_numbers(staff.required_professional),
            "done_public": format_numbers(staff.done_public),
            "done_professional": format_numbers(staff.done_professional),
            "max_weekly_hours": format_numbers(staff.max_weekly_hours),
        }),
        "shifts.csv": frame({
            "staff_id": staff_id[shifts.staff],
            "start": format_minutes(shifts.start),
            "end": format_minutes(shifts.end),
        }),
        "courses.csv": frame({
            "course_id": course_id,
            "title": courses.title,
            "category": np.where(courses.public, "public", "professional"),
            "fields": fields_text,
            "hours": format_numbers(courses.hours),
            "fee": format_numbers(courses.fee),
            "organizer": courses.organizer,
        }),
        "venues.csv": frame({
            "venue_id": venue_id,
            "name": venues.name,
            "zone": zone_name[venues.zone],
            "capacity": format_numbers(venues.capacity),
        }),
        "sessions.csv": frame({
            "session_id": session_id[meetings.session],
            "course_id": course_id[seats.course[meetings.order]][meetings.session],
            "venue_id": venue_id[seats.venue[meetings.order]][meetings.session],
            "start": format_minutes(meetings.start),
            "end": format_minutes(meetings.end),
            "capacity": format_numbers(cell)[meetings.session],
            "min_attendance": format_numbers(min_att)[meetings.session],
        }),
        "travel.csv": frame({
            "from_zone": zone_name[src_i],
            "to_zone": zone_name[src_j],
            "minutes": format_numbers(minutes),
        }),
        "policy.toml": POLICY_TOML,
    }


def write_district(out_dir: str | Path, n_staff: int, seed: int) -> Path:
    """Write the dataset folder (creating it; refuse with FileExistsError if it exists and is non-empty)."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder; refusing to overwrite it")
    tables = generate_district(n_staff, seed)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if isinstance(table, str):
            write_text(table, out / name)
        else:
            write_csv(table, out / name)
    return out


def _budgets(n_units: int, staff: Staff, courses: Courses, rng: np.random.Generator) -> np.ndarray:
    """Training budgets (CNY) around each unit's expected fee bill: tight for some units, generous
    for others, none for about one in seven (NaN = blank = no cap)."""
    expected = np.bincount(staff.unit, weights=expected_fees(courses, staff), minlength=n_units)
    budget = np.round(np.maximum(100.0, expected * rng.uniform(0.4, 1.3, n_units)) / 10) * 10
    return np.where(rng.random(n_units) < 0.15, np.nan, budget)


def _min_attendance(capacity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Most sessions run whatever the turnout (blank); some need 10-30 % of their seats filled."""
    need = np.maximum(2.0, np.round(capacity * rng.uniform(0.1, 0.3, capacity.size)))
    need = np.minimum(need, capacity)
    return np.where(rng.random(capacity.size) < 0.35, need, np.nan)
