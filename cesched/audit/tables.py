"""The plan as plain tables in integer minutes, built from the dataset and the clean pairs.

Everything the audit measures is computed from these. Conventions:

- times are integer minutes since 1970-01-01 00:00 local time (the contract's times are whole minutes);
- a calendar day is ``minute // 1440``; an ISO week (Monday to Sunday) is ``(day + 3) // 7``
  (1970-01-01 was a Thursday, so week 1 starts on Monday 1970-01-05);
- credit hours and money are integer hundredths (the contract allows 2 decimals), so sums are exact;
- people, units and sessions are referred to by their row position ("code") in the dataset's tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..domain.dataset import Dataset

DAY = 1440


def minutes(times: pd.Series) -> np.ndarray:
    """Datetime column -> integer minutes since the epoch."""
    return times.to_numpy().astype("datetime64[m]").astype(np.int64)


def day_of(minute: np.ndarray) -> np.ndarray:
    return np.floor_divide(minute, DAY)


def week_of(minute: np.ndarray) -> np.ndarray:
    """ISO week number counted from the epoch (weeks start on Monday)."""
    return np.floor_divide(day_of(minute) + 3, 7)


def hundredths(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)


def travel_matrix(ds: Dataset) -> tuple[pd.Index, np.ndarray]:
    """Zones and the zone-by-zone travel minutes: 0 within a zone, travel.csv, else the default."""
    zones = pd.Index(pd.unique(np.concatenate([
        ds.units["zone"].to_numpy(dtype=object), ds.venues["zone"].to_numpy(dtype=object),
        ds.travel["zone_a"].to_numpy(dtype=object), ds.travel["zone_b"].to_numpy(dtype=object),
    ])))
    matrix = np.full((len(zones), len(zones)), int(ds.policy.rules.default_travel_minutes), dtype=np.int64)
    a = zones.get_indexer(ds.travel["zone_a"].to_numpy(dtype=object))
    b = zones.get_indexer(ds.travel["zone_b"].to_numpy(dtype=object))
    m = ds.travel["minutes"].to_numpy(dtype=np.int64)
    matrix[a, b] = m
    matrix[b, a] = m
    np.fill_diagonal(matrix, 0)
    return zones, matrix


@dataclass(frozen=True)
class PlanTables:
    """The dataset and plan in integer minutes.

    - ``staff``: ds.staff order; staff_id, unit_id, field, unit, zone, required/done hundredths, cap_minutes
    - ``sessions``: ds.sessions order; session_id, course_id, category, fields, organizer, hours, fee (hundredths)
    - ``att``: one row per attendance (clean, unique pair): staff, session, unit, course_id, category,
      hours, fee, and the ids
    - ``meet``: one row per attended meeting, sorted by (staff, start): att, staff, session, unit,
      start, end, venue_id, vzone, t (travel minutes between the person's unit and the venue)
    - ``shifts``: staff, start, end, sorted by (staff, start)
    """

    ds: Dataset
    staff: pd.DataFrame
    sessions: pd.DataFrame
    att: pd.DataFrame
    meet: pd.DataFrame
    shifts: pd.DataFrame
    travel: np.ndarray


def build_tables(ds: Dataset, staff_code: np.ndarray, session_code: np.ndarray) -> PlanTables:
    """``staff_code``/``session_code``: the clean, unique attendance pairs as row positions."""
    zones, travel = travel_matrix(ds)
    unit_pos = pd.Index(ds.units["unit_id"])
    unit_zone = zones.get_indexer(ds.units["zone"].to_numpy(dtype=object))

    st = ds.staff
    unit = unit_pos.get_indexer(st["unit_id"].to_numpy(dtype=object))
    cap = st["max_weekly_hours"].to_numpy(dtype=float)
    staff = pd.DataFrame({
        "staff_id": st["staff_id"].to_numpy(dtype=object), "unit_id": st["unit_id"].to_numpy(dtype=object),
        "field": st["field"].to_numpy(dtype=object), "unit": unit, "zone": unit_zone[unit],
        "required_public": hundredths(st["required_public"]), "done_public": hundredths(st["done_public"]),
        "required_professional": hundredths(st["required_professional"]),
        "done_professional": hundredths(st["done_professional"]),
        "cap_minutes": np.round(cap * 60, 6),  # NaN = no cap
    })

    courses = ds.courses.set_index("course_id")
    se = ds.sessions
    course = se["course_id"].to_numpy(dtype=object)
    sessions = pd.DataFrame({
        "session_id": se["session_id"].to_numpy(dtype=object), "course_id": course,
        "category": courses["category"].reindex(course).to_numpy(dtype=object),
        "fields": courses["fields"].reindex(course).to_numpy(dtype=object),
        "organizer": courses["organizer"].reindex(course).to_numpy(dtype=object),
        "hours": hundredths(courses["hours"].reindex(course)),
        "fee": hundredths(courses["fee"].reindex(course)),
        "capacity": se["capacity"].to_numpy(dtype=np.int64),
        "min_attendance": se["min_attendance"].to_numpy(dtype=np.int64),
    })

    att = pd.DataFrame({"staff": staff_code.astype(np.int64), "session": session_code.astype(np.int64)})
    att["unit"] = staff["unit"].to_numpy()[att["staff"]]
    for col in ("staff_id", "unit_id", "field"):
        att[col] = staff[col].to_numpy()[att["staff"]]
    for col in ("session_id", "course_id", "category", "fields", "hours", "fee"):
        att[col] = sessions[col].to_numpy()[att["session"]]

    me = ds.meetings
    venue_zone = zones.get_indexer(
        ds.venues.set_index("venue_id")["zone"].reindex(me["venue_id"].to_numpy(dtype=object)).to_numpy(dtype=object))
    meetings = pd.DataFrame({
        "session": pd.Index(se["session_id"]).get_indexer(me["session_id"].to_numpy(dtype=object)),
        "start": minutes(me["start"]), "end": minutes(me["end"]),
        "venue_id": me["venue_id"].to_numpy(dtype=object), "vzone": venue_zone,
    })
    meet = att[["staff", "session", "unit"]].reset_index(names="att").merge(meetings, on="session", how="inner")
    meet["t"] = travel[staff["zone"].to_numpy()[meet["staff"]], meet["vzone"].to_numpy()]
    meet = meet.sort_values(["staff", "start", "end", "session"], kind="stable").reset_index(drop=True)

    sh = ds.shifts
    shifts = pd.DataFrame({
        "staff": pd.Index(st["staff_id"]).get_indexer(sh["staff_id"].to_numpy(dtype=object)),
        "start": minutes(sh["start"]), "end": minutes(sh["end"]),
    })
    shifts = shifts[shifts["staff"] >= 0].sort_values(["staff", "start", "end"], kind="stable").reset_index(drop=True)
    return PlanTables(ds=ds, staff=staff, sessions=sessions, att=att, meet=meet, shifts=shifts, travel=travel)
