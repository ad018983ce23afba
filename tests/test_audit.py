"""The audit: one hand-made plan per rule, each objective term on a case worked out by hand, the
sample datasets, and a naive second judge on random plans."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesched
from cesched.audit import AMOUNT_UNITS, RULES, VIOLATION_COLUMNS, AuditResult, PlanKpis, audit

try:
    from auditcases import SAMPLE_PLANS, dataset, naive_audit, plan, random_case
except ImportError:  # tests/ collected as a package
    from tests.auditcases import SAMPLE_PLANS, dataset, naive_audit, plan, random_case

ALLOW = {"rules": {"shift_overlap": "allow"}}
# 2027-03-01 is a Monday. Default units: U1 (zone A), U2 (zone B); staff P1, P2 in U1, P3 in U2;
# venues VA (zone A), VB (zone B), VC (zone C); travel A-B 30 min, other pairs the policy default.


def session(sid, start, end, course=None, venue="VA", capacity="", least=""):
    """A sessions.csv row; session Xn is of course Cn unless told otherwise."""
    return (sid, course or "C" + sid[1:], venue, start, end, capacity, least)


def only(result: AuditResult, rule: str) -> pd.DataFrame:
    """The violations, asserting they are all of ``rule``."""
    assert set(result.violations["rule"]) == {rule}, result.violations.to_string()
    return result.of(rule)


# --- a clean plan ---------------------------------------------------------------------------------------
def test_a_clean_plan_passes_with_its_figures():
    ds = dataset(
        courses=[("C1", "public", "", "6", "100"), ("C2", "professional", "med", "12", "40")],
        shifts=[("P1", "2027-03-01 08:00", "2027-03-01 16:00")],
        sessions=[session("X1", "2027-03-01 18:00", "2027-03-01 21:00"),
                  session("X2", "2027-03-02 09:00", "2027-03-02 12:00")],
    )
    result = audit(ds, plan(("P1", "X1"), ("P2", "X1"), ("P1", "X2")))
    assert result.ok
    assert list(result.violations.columns) == list(VIOLATION_COLUMNS) and result.violations.empty
    k = result.kpis
    assert isinstance(k, PlanKpis)
    assert (k.assignments, k.spend, k.training_minutes, k.overlap_minutes, k.rest_breaches) == (3, 240.0, 540, 0, 0)
    assert (k.sessions_running, k.sessions_cancelled, k.staff_compliant, k.shortfall_hours) == (2, 0, 3, 0.0)
    assert k.objective() == {
        "shortfall_hours": 0.0, "largest_shortfall_hours": 0.0, "overlap_minutes": 0, "rest_breaches": 0,
        "overload_hours": 0.0, "unit_peak_days": 2, "spend": 240.0, "training_minutes": 540}
    assert list(result.staff_report["staff_id"]) == ["P1", "P2", "P3"]
    assert list(result.staff_report["spend"]) == [140.0, 100.0, 0.0]
    assert list(result.session_report["status"]) == ["runs", "runs"]
    assert list(result.unit_report["spent"]) == [240.0, 0.0]


def test_bad_input_frame_is_refused_and_extra_columns_are_ignored():
    ds = dataset(sessions=[session("X1", "2027-03-01 18:00", "2027-03-01 21:00")])
    with pytest.raises(ValueError, match="session_id"):
        audit(ds, pd.DataFrame({"staff_id": ["P1"]}))
    frame = pd.DataFrame({"staff_id": [" P1 "], "session_id": ["X1"], "hours": [6]})
    assert audit(ds, frame).kpis.assignments == 1


# --- one plan per rule ------------------------------------------------------------------------------------
def test_unknown_reference():
    ds = dataset(sessions=[session("X1", "2027-03-01 18:00", "2027-03-01 21:00")])
    result = audit(ds, plan(("P1", "X1"), ("NOPE", "X1"), ("P1", "X404"), ("Q", "Z")))
    bad = only(result, "unknown_reference")
    assert list(zip(bad["staff_id"], bad["session_id"], bad["unit_id"])) == [
        ("NOPE", "X1", ""), ("P1", "X404", "U1"), ("Q", "Z", "")]
    assert list(bad["amount"]) == [1.0, 1.0, 1.0]
    assert "staff.csv" in bad["detail"][2] and "sessions.csv" in bad["detail"][2]
    assert result.kpis.assignments == 1  # the known pair still counts


def test_duplicate_assignment_counts_once():
    ds = dataset(courses=[("C1", "public", "", "6", "100")],
                 sessions=[session("X1", "2027-03-01 18:00", "2027-03-01 21:00")])
    result = audit(ds, plan(("P1", "X1"), ("P1", "X1"), ("P1", "X1")))
    bad = only(result, "duplicate_assignment")
    assert (bad["staff_id"][0], bad["session_id"][0], bad["amount"][0]) == ("P1", "X1", 2.0)
    assert (result.kpis.assignments, result.kpis.spend, result.kpis.training_minutes) == (1, 100.0, 180)
    assert result.counts() == {"duplicate_assignment": 1}


def test_eligibility():
    ds = dataset(
        courses=[("C2", "professional", "med", "12", "0"), ("C3", "professional", "med;nurse", "12", "0"),
                 ("C4", "professional", "", "12", "0"), ("C5", "public", "", "6", "0")],
        sessions=[session("X2", "2027-03-01 09:00", "2027-03-01 10:00"),
                  session("X3", "2027-03-02 09:00", "2027-03-02 10:00"),
                  session("X4", "2027-03-03 09:00", "2027-03-03 10:00"),
                  session("X5", "2027-03-04 09:00", "2027-03-04 10:00")],
    )
    result = audit(ds, plan(("P1", "X2"), ("P2", "X2"), ("P2", "X3"), ("P2", "X4"), ("P2", "X5")))
    bad = only(result, "eligibility")
    assert list(zip(bad["staff_id"], bad["session_id"], bad["amount"])) == [("P2", "X2", 1.0)]
    assert "nurse" in bad["detail"][0]


def test_course_once():
    ds = dataset(sessions=[session("X1", "2027-03-01 09:00", "2027-03-01 10:00"),
                           session("X2", "2027-03-02 09:00", "2027-03-02 10:00", course="C1"),
                           session("X3", "2027-03-03 09:00", "2027-03-03 10:00")])
    result = audit(ds, plan(("P1", "X2"), ("P1", "X1"), ("P1", "X3"), ("P2", "X1")))
    bad = only(result, "course_once")
    assert list(zip(bad["staff_id"], bad["session_id"], bad["amount"])) == [("P1", "X1;X2", 1.0)]
    # planned hours count every attended session, as defined
    assert result.staff_report.set_index("staff_id").loc["P1", "planned_public"] == 18.0


def test_capacity_uses_the_resolved_capacity():
    ds = dataset(venues=[("VA", "A", "50"), ("VB", "B", "2")],
                 sessions=[session("X1", "2027-03-01 09:00", "2027-03-01 10:00", venue="VB", capacity="5")])
    result = audit(ds, plan(("P1", "X1"), ("P2", "X1"), ("P3", "X1")))  # VB seats 2
    bad = only(result, "capacity")
    assert list(zip(bad["session_id"], bad["staff_id"], bad["amount"])) == [("X1", "", 1.0)]
    assert result.session_report["capacity"].tolist() == [2]


def test_min_attendance_and_session_status():
    ds = dataset(sessions=[session("X1", "2027-03-01 09:00", "2027-03-01 10:00", least="3"),
                           session("X2", "2027-03-02 09:00", "2027-03-02 10:00", least="3"),
                           session("X3", "2027-03-03 09:00", "2027-03-03 10:00", least="2"),
                           session("X4", "2027-03-04 09:00", "2027-03-04 10:00")])
    result = audit(ds, plan(("P1", "X1"), ("P2", "X1"), ("P1", "X3"), ("P2", "X3")))
    bad = only(result, "min_attendance")
    assert list(zip(bad["session_id"], bad["amount"])) == [("X1", 1.0)]
    assert result.session_report["status"].tolist() == ["under_minimum", "cancelled", "runs", "cancelled"]
    assert result.session_report["enrolled"].tolist() == [2, 0, 2, 0]
    assert (result.kpis.sessions_running, result.kpis.sessions_cancelled) == (1, 2)


def test_double_booking_needs_the_travel_time_between_venues():
    ds = dataset(
        {"rules": {"default_travel_minutes": 45}},
        sessions=[
            session("X1", "2027-03-02 09:00", "2027-03-02 10:00", venue="VA"),
            session("X2", "2027-03-02 10:20", "2027-03-02 11:00", venue="VB"),  # A-B 30: 10 min short
            session("X3", "2027-03-03 10:30", "2027-03-03 11:00", venue="VB"),
            session("X4", "2027-03-03 09:00", "2027-03-03 10:00", venue="VA"),  # exactly 30 apart: fine
            session("X5", "2027-03-04 09:00", "2027-03-04 10:00", venue="VA"),
            session("X6", "2027-03-04 10:00", "2027-03-04 11:00", venue="VA"),  # back to back, one zone
            session("X7", "2027-03-05 10:30", "2027-03-05 11:00", venue="VC"),
            session("X8", "2027-03-05 09:00", "2027-03-05 10:00", venue="VA"),  # A-C default 45: 15 short
        ])
    result = audit(ds, plan(*[("P1", f"X{i}") for i in range(1, 9)]))
    bad = only(result, "double_booking")
    assert list(zip(bad["staff_id"], bad["session_id"], bad["amount"])) == [
        ("P1", "X1;X2", 10.0), ("P1", "X7;X8", 15.0)]
    assert all(bad["unit_id"] == "U1")


def test_weekly_cap_counts_meetings_in_the_iso_week_they_start():
    ds = dataset(
        {"rules": {"max_weekly_hours": 2}},
        staff=[("P1", "U1", "med", "0", "0", "", "", "4"), ("P2", "U1", "med", "0", "0", "", "", ""),
               ("P3", "U2", "med", "0", "0", "", "", "0")],  # P2 takes the policy's 2 h; 0 = no cap
        sessions=[
            session("X1", "2027-03-01 09:00", "2027-03-01 12:00"),  # Monday, 3 h
            session("X2", "2027-03-07 10:00", "2027-03-07 12:00"),  # Sunday, same week: 5 h > 4
            session("X3", "2027-03-14 20:00", "2027-03-14 23:00"),  # Sunday
            session("X4", "2027-03-15 09:00", "2027-03-15 12:00"),  # Monday, next week
            session("X5", "2027-03-28 22:00", "2027-03-29 01:00"),  # Sunday night into Monday
            session("X6", "2027-03-29 09:00", "2027-03-29 12:00"),  # Monday
        ])
    result = audit(ds, plan(*[("P1", f"X{i}") for i in range(1, 7)], ("P2", "X4"), ("P3", "X1"), ("P3", "X2")))
    bad = only(result, "weekly_cap")
    assert list(zip(bad["staff_id"], bad["session_id"], bad["amount"])) == [
        ("P1", "X1;X2", 1.0), ("P2", "X4", 1.0)]
    assert "2027-W09" in bad["detail"][0]


def test_max_absent_counts_staff_pulled_off_widened_shifts():
    shifts = [("P1", "2027-03-02 08:00", "2027-03-02 16:00"), ("P2", "2027-03-02 08:00", "2027-03-02 16:00")]
    units = [("U1", "A", "", "1"), ("U2", "B", "", "")]
    ds = dataset(ALLOW, units=units, shifts=shifts, sessions=[
        session("X1", "2027-03-02 16:20", "2027-03-02 17:00", venue="VB"),  # pulled off 16:20-16:30
        session("X2", "2027-03-02 16:25", "2027-03-02 17:00", venue="VB"),  # 16:25-16:30
        session("X3", "2027-03-02 16:30", "2027-03-02 17:00", venue="VB"),  # not at all
        session("X4", "2027-03-02 16:00", "2027-03-02 17:00", venue="VA"),  # not at all
    ])
    result = audit(ds, plan(("P1", "X1"), ("P2", "X2")))
    bad = only(result, "max_absent")
    assert list(zip(bad["unit_id"], bad["staff_id"], bad["amount"])) == [("U1", "", 1.0)]
    assert "2027-03-02 16:25" in bad["detail"][0]
    assert result.unit_report["peak_absent"].tolist() == [2, 0]

    fine = audit(ds, plan(("P1", "X1"), ("P2", "X3"), ("P1", "X4")))
    assert fine.counts() == {"double_booking": 1}  # X1 and X4 clash for P1, nothing else
    assert fine.unit_report["peak_absent"].tolist() == [1, 0]


def test_peak_absent_counts_each_person_once():
    units = [("U1", "A", "", "1"), ("U2", "B", "", "")]
    ds = dataset(ALLOW, units=units, shifts=[("P1", "2027-03-02 08:00", "2027-03-02 16:00")], sessions=[
        session("X1", "2027-03-02 10:00", "2027-03-02 12:00"),
        session("X2", "2027-03-02 11:00", "2027-03-02 12:00")])
    result = audit(ds, plan(("P1", "X1"), ("P1", "X2")))
    assert result.counts() == {"double_booking": 1}
    assert result.unit_report["peak_absent"].tolist() == [1, 0]


def test_budget():
    units = [("U1", "A", "150", ""), ("U2", "B", "", "")]
    ds = dataset(units=units, courses=[("C1", "public", "", "6", "100")],
                 sessions=[session("X1", "2027-03-01 09:00", "2027-03-01 10:00")])
    result = audit(ds, plan(("P1", "X1"), ("P2", "X1"), ("P3", "X1")))
    bad = only(result, "budget")
    assert list(zip(bad["unit_id"], bad["amount"])) == [("U1", 50.0)]
    report = result.unit_report.set_index("unit_id")
    assert report.loc["U1", "spent"] == 200.0 and report.loc["U1", "budget"] == 150.0
    assert report.loc["U2", "spent"] == 100.0 and math.isnan(report.loc["U2", "budget"])


def test_shift_overlap_only_when_forbidden():
    shifts = [("P1", "2027-03-02 08:00", "2027-03-02 16:00"), ("P1", "2027-03-03 08:00", "2027-03-03 16:00")]
    sessions = [session("X1", "2027-03-02 15:00", "2027-03-02 17:00"),  # 60 min inside the shift
                session("X2", "2027-03-03 16:20", "2027-03-03 17:00", venue="VB"),
                session("X3", "2027-03-03 16:20", "2027-03-03 17:00", venue="VB")]
    forbid = audit(dataset(shifts=shifts, sessions=sessions), plan(("P1", "X1"), ("P1", "X3"), ("P3", "X2")))
    bad = only(forbid, "shift_overlap")
    # X3 is at VB, 30 min from P1's unit: the shift widened to 16:30 overlaps 16:20-16:30
    assert list(zip(bad["staff_id"], bad["session_id"], bad["amount"])) == [("P1", "X1", 60.0), ("P1", "X3", 10.0)]
    assert forbid.kpis.overlap_minutes == 70
    allow = audit(dataset(ALLOW, shifts=shifts, sessions=sessions), plan(("P1", "X1"), ("P1", "X3")))
    assert allow.ok and allow.kpis.overlap_minutes == 70


# --- the objective terms, worked out by hand --------------------------------------------------------------
def test_shortfall_per_category_never_offsets():
    ds = dataset(
        staff=[("P1", "U1", "med", "30", "60", "6", "12", ""), ("P2", "U1", "med", "10", "6", "12", "0", ""),
               ("P3", "U2", "med", "", "", "", "", "")],  # policy defaults 30 and 60, nothing done
        courses=[("C1", "public", "", "6", "0"), ("C2", "professional", "", "12", "0"),
                 ("C3", "public", "", "1.5", "0")],
        sessions=[session("X1", "2027-03-01 09:00", "2027-03-01 10:00"),
                  session("X2", "2027-03-02 09:00", "2027-03-02 10:00"),
                  session("X3", "2027-03-03 09:00", "2027-03-03 10:00")])
    result = audit(ds, plan(("P1", "X1"), ("P1", "X2"), ("P1", "X3"), ("P2", "X1")))
    report = result.staff_report.set_index("staff_id")
    # P1: public 30-6-7.5 = 16.5, professional 60-12-12 = 36; P2: public surplus, professional 6; P3: 90
    assert report["shortfall_public"].tolist() == [16.5, 0.0, 30.0]
    assert report["shortfall_professional"].tolist() == [36.0, 6.0, 60.0]
    assert report["shortfall"].tolist() == [52.5, 6.0, 90.0]
    assert report["planned_public"].tolist() == [7.5, 6.0, 0.0]
    assert (result.kpis.shortfall_hours, result.kpis.largest_shortfall_hours) == (148.5, 90.0)
    assert result.kpis.staff_compliant == 0 and not report["compliant"].any()
    assert result.unit_report["shortfall_hours"].tolist() == [58.5, 90.0]
    assert result.unit_report["compliant_staff"].tolist() == [0, 0]


def test_overlap_counts_each_minute_of_the_widened_shift_union_once():
    ds = dataset(ALLOW, shifts=[("P1", "2027-03-02 08:00", "2027-03-02 12:00"),
                                ("P1", "2027-03-02 12:30", "2027-03-02 16:00")], sessions=[
        # at VB (30 min away) the shifts widen to 07:30-12:30 and 12:00-16:30: their union covers 11:00-13:00
        session("X1", "2027-03-02 11:00", "2027-03-02 13:00", venue="VB"),
        # at VA (no travel) 12:00-12:30 sits exactly in the gap
        session("X2", "2027-03-02 12:00", "2027-03-02 12:30")])
    result = audit(ds, plan(("P1", "X1")))
    assert result.kpis.overlap_minutes == 120  # not 90 + 60
    assert result.staff_report["overlap_minutes"].tolist() == [120, 0, 0]
    assert audit(ds, plan(("P1", "X2"))).kpis.overlap_minutes == 0
    forbid = audit(ds.with_policy(cesched.Policy()), plan(("P1", "X1")))
    bad = only(forbid, "shift_overlap")
    assert bad["amount"].tolist() == [120.0]
    assert "2027-03-02 08:00-12:00, 2027-03-02 12:30-16:00 widened by 30 min" in bad["detail"][0]


def test_rest_breaches_after_night_shifts():
    ds = dataset(ALLOW, shifts=[
        ("P1", "2027-03-01 22:00", "2027-03-02 06:00"),  # night: ends on a later date
        ("P2", "2027-03-03 00:00", "2027-03-03 08:00"),  # night: ends at 08:00
        ("P3", "2027-03-04 08:00", "2027-03-04 16:00"),  # day shift
        ("P3", "2027-03-05 00:01", "2027-03-05 08:01"),  # ends after 08:00 on its own date: not night
    ], sessions=[
        session("X1", "2027-03-02 06:00", "2027-03-02 07:00"),  # exactly at the end: breach
        session("X2", "2027-03-02 14:00", "2027-03-02 15:00"),  # end + 8 h: not a breach
        session("X3", "2027-03-02 13:59", "2027-03-02 14:30"),  # breach
        session("X4", "2027-03-03 15:59", "2027-03-03 16:30"),  # breach
        session("X5", "2027-03-03 16:00", "2027-03-03 17:00", course="C2"),
        session("X6", "2027-03-04 16:00", "2027-03-04 17:00"),
        session("X7", "2027-03-05 09:00", "2027-03-05 10:00", course="C2"),
    ])
    pairs = [("P1", "X1"), ("P1", "X2"), ("P1", "X3"), ("P2", "X4"), ("P2", "X5"), ("P3", "X6"), ("P3", "X7")]
    result = audit(ds, plan(*pairs))
    assert result.staff_report["rest_breaches"].tolist() == [2, 1, 0]
    assert result.kpis.rest_breaches == 3
    assert audit(dataset({"rules": {"shift_overlap": "allow", "rest_after_night_hours": 0}}, shifts=[
        ("P1", "2027-03-01 22:00", "2027-03-02 06:00")], sessions=[
        session("X1", "2027-03-02 06:00", "2027-03-02 07:00")]), plan(("P1", "X1"))).kpis.rest_breaches == 0


def test_rest_breaches_count_meeting_and_night_shift_pairs():
    ds = dataset(ALLOW, shifts=[("P1", "2027-03-01 22:00", "2027-03-02 02:00"),
                                ("P1", "2027-03-02 02:00", "2027-03-02 06:00")],
                 sessions=[session("X1", "2027-03-02 06:00", "2027-03-02 07:00")])
    assert audit(ds, plan(("P1", "X1"))).kpis.rest_breaches == 2


OVERLOAD_SHIFTS = (
    [("P1", f"2027-03-0{d} 08:00", f"2027-03-0{d} 17:00") for d in range(1, 6)]  # Mon-Fri: 45 h
    + [("P1", "2027-03-07 22:00", "2027-03-08 08:00")]  # Sunday night into Monday: 10 h, week 1
    + [("P1", f"2027-03-{d:02d} 08:00", f"2027-03-{d:02d} 17:00") for d in range(9, 13)]  # Tue-Fri: 36 h
)
OVERLOAD_SESSIONS = [session("X1", "2027-03-07 14:00", "2027-03-07 17:00"),  # Sunday, 3 h
                     session("X2", "2027-03-08 18:00", "2027-03-08 21:00")]  # Monday, 3 h


def test_overload_counts_shifts_and_meetings_in_the_week_they_start():
    ds = dataset(ALLOW, shifts=OVERLOAD_SHIFTS, sessions=OVERLOAD_SESSIONS)
    result = audit(ds, plan(("P1", "X1"), ("P1", "X2")))
    # week 1: 45 + 10 + 3 = 58 h, 10 over 48; week 2: 36 + 3 = 39 h
    assert result.kpis.overload_hours == 10.0
    report = result.staff_report.set_index("staff_id")
    assert report.loc["P1", "overload_hours"] == 10.0
    assert report.loc["P1", "peak_weekly_load_hours"] == 58.0
    assert report.loc["P2", "peak_weekly_load_hours"] == 0.0
    assert result.kpis.rest_breaches == 0  # X2 starts 10 h after the night shift ends
    assert audit(ds, plan(("P1", "X2"))).kpis.overload_hours == 7.0  # the roster alone is 55 h
    off = dataset({"rules": {"shift_overlap": "allow", "max_weekly_load_hours": 0}},
                  shifts=OVERLOAD_SHIFTS, sessions=OVERLOAD_SESSIONS)
    assert audit(off, plan(("P1", "X1"), ("P1", "X2"))).kpis.overload_hours == 0.0
    low = dataset({"rules": {"shift_overlap": "allow", "max_weekly_load_hours": 38.5}},
                  shifts=OVERLOAD_SHIFTS, sessions=OVERLOAD_SESSIONS)
    assert audit(low, plan(("P1", "X1"), ("P1", "X2"))).kpis.overload_hours == 19.5 + 0.5


def test_peak_day_counts_distinct_staff_by_start_date():
    ds = dataset(sessions=[
        session("X1", "2027-03-02 09:00", "2027-03-02 10:00"), session("X1", "2027-03-02 14:00", "2027-03-02 15:00"),
        session("X2", "2027-03-03 10:00", "2027-03-03 11:00"),
        session("X3", "2027-03-02 18:00", "2027-03-02 19:00"),
        session("X4", "2027-03-04 23:00", "2027-03-05 01:00")])
    one = audit(ds, plan(("P1", "X1"), ("P2", "X2"), ("P3", "X4")))
    assert one.unit_report["peak_day"].tolist() == [1, 1]  # P1's two meetings on 03-02 count once
    assert [str(d) for d in one.unit_report["peak_day_date"]] == ["2027-03-02", "2027-03-04"]
    assert one.kpis.unit_peak_days == 2
    two = audit(ds, plan(("P1", "X1"), ("P2", "X2"), ("P2", "X3")))
    assert two.unit_report["peak_day"].tolist() == [2, 0]
    assert [str(d) for d in two.unit_report["peak_day_date"]] == ["2027-03-02", "None"]
    assert two.kpis.unit_peak_days == 2


def test_spend_and_training_minutes():
    ds = dataset(courses=[("C1", "public", "", "6", "120.5"), ("C2", "public", "", "6", "0.25")], sessions=[
        session("X1", "2027-03-02 09:00", "2027-03-02 10:30"), session("X1", "2027-03-03 09:00", "2027-03-03 09:45"),
        session("X2", "2027-03-04 23:00", "2027-03-05 01:00")])
    result = audit(ds, plan(("P1", "X1"), ("P2", "X1"), ("P3", "X2")))
    assert result.kpis.spend == 241.25
    assert result.kpis.training_minutes == 2 * 135 + 120
    assert result.staff_report["training_minutes"].tolist() == [135, 135, 120]


# --- the sample datasets ------------------------------------------------------------------------------
def _sample_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent
    for root in (here / "data" / "samples", here.parent.parent / "shared" / "samples", Path("/work/shared/samples")):
        found = sorted(p for p in root.glob("*") if (p / "staff.csv").exists()) if root.is_dir() else []
        if found:
            return found
    return []


SAMPLES = _sample_dirs()


@pytest.mark.skipif(not SAMPLES, reason="no sample datasets found")
@pytest.mark.parametrize("folder", SAMPLES, ids=lambda p: p.name)
def test_samples_with_an_empty_plan(folder):
    ds = cesched.load_dataset(folder)
    result = audit(ds, plan())
    s = ds.staff
    need = ((s["required_public"] - s["done_public"]).clip(lower=0)
            + (s["required_professional"] - s["done_professional"]).clip(lower=0))
    assert result.ok
    assert result.kpis.shortfall_hours == pytest.approx(need.sum())
    assert result.kpis.largest_shortfall_hours == pytest.approx(need.max())
    assert (result.kpis.assignments, result.kpis.overlap_minutes, result.kpis.rest_breaches, result.kpis.spend,
            result.kpis.unit_peak_days, result.kpis.training_minutes) == (0, 0, 0, 0.0, 0, 0)
    assert result.kpis.sessions_cancelled == len(ds.sessions)
    assert len(result.staff_report) == len(ds.staff) and len(result.unit_report) == len(ds.units)


@pytest.mark.skipif(not SAMPLES, reason="no sample datasets found")
@pytest.mark.parametrize("folder", SAMPLES, ids=lambda p: p.name)
def test_samples_random_plans_agree_with_the_naive_judge(folder):
    ds = cesched.load_dataset(folder)
    rng = np.random.default_rng(7)
    staff, sessions = ds.staff["staff_id"].to_numpy(), ds.sessions["session_id"].to_numpy()
    for _ in range(3):
        n = len(staff) * 4
        pairs = sorted(set(zip(staff[rng.integers(0, len(staff), n)], sessions[rng.integers(0, len(sessions), n)])))
        _agree(ds, pairs)


# the proven optimum of every stage, from the samples README (HiGHS, written from the contract alone)
README_OPTIMA = {
    "tiny-forbid": {"shortfall_hours": 566, "largest_shortfall_hours": 70, "overlap_minutes": 0, "rest_breaches": 19,
                    "overload_hours": 396, "unit_peak_days": 17, "spend": 5400, "training_minutes": 44820},
    "tiny-allow": {"shortfall_hours": 346, "largest_shortfall_hours": 44, "overlap_minutes": 13374, "rest_breaches": 9,
                   "overload_hours": 612.5, "unit_peak_days": 16, "spend": 6810, "training_minutes": 53250},
}


def _sample(name):
    folder = next((p for p in SAMPLES if p.name == name), None)
    if folder is None:
        pytest.skip(f"sample {name} not found")
    return cesched.load_dataset(folder)


@pytest.mark.parametrize("name", sorted(README_OPTIMA))
def test_optimal_sample_plans_score_the_readme_figures(name):
    ds = _sample(name)
    pairs = [pair.split(":") for pair in SAMPLE_PLANS[name].split()]
    result = audit(ds, plan(*pairs))
    assert result.ok, result.violations.to_string()
    assert result.kpis.objective() == pytest.approx(README_OPTIMA[name])


def test_a_broken_sample_plan_is_caught():
    ds = _sample("tiny-forbid")
    pairs = [pair.split(":") for pair in SAMPLE_PLANS["tiny-forbid"].split()]
    everyone = [(sid, pairs[0][1]) for sid in ds.staff["staff_id"]]  # the whole district in one session
    result = audit(ds, plan(*pairs, *everyone, pairs[0]))
    # 12 of them already attend it (one is listed a third time); one clashes with another session, and
    # in that week goes over the cap; five sit in it during their shifts
    assert result.counts() == {"duplicate_assignment": 12, "double_booking": 1, "weekly_cap": 1, "shift_overlap": 5}
    assert result.kpis.assignments == len(pairs) + len(everyone) - 12


# --- a naive second judge on random small datasets ----------------------------------------------------
def _agree(ds, pairs):
    result = audit(ds, plan(*pairs))
    naive = naive_audit(ds, pairs)
    got = {rule: (len(g), float(g["amount"].sum())) for rule, g in result.violations.groupby("rule")}
    assert set(got) == set(naive["rules"])
    for rule, (count, amount) in got.items():
        assert count == naive["rules"][rule][0], rule
        assert amount == pytest.approx(naive["rules"][rule][1], abs=1e-6), rule
    for term, value in result.kpis.objective().items():
        assert value == pytest.approx(naive["kpis"][term], abs=1e-6), term
    report = result.staff_report.set_index("staff_id")
    for sid, measures in naive["staff"].items():
        for col in ("overlap_minutes", "rest_breaches", "overload_hours", "peak_weekly_load_hours",
                    "training_minutes", "spend", "shortfall"):
            assert report.loc[sid, col] == pytest.approx(measures[col], abs=1e-6), (sid, col)
    units = result.unit_report.set_index("unit_id")
    assert units["peak_absent"].to_dict() == naive["peak_absent"]
    assert units["peak_day"].to_dict() == naive["unit_peak"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_random_small_datasets_agree_with_the_naive_judge(seed):
    ds, pairs = random_case(seed)
    _agree(ds, pairs)


def test_every_rule_says_what_its_amount_measures():
    assert tuple(AMOUNT_UNITS) == RULES


def test_rules_are_listed_in_order():
    ds = dataset(units=[("U1", "A", "0", ""), ("U2", "B", "", "")], courses=[("C1", "public", "", "6", "10")],
                 sessions=[session("X1", "2027-03-01 09:00", "2027-03-01 10:00", capacity="1", least="")])
    result = audit(ds, plan(("P1", "X1"), ("P2", "X1"), ("ZZ", "X1")))
    assert list(result.violations["rule"]) == ["unknown_reference", "capacity", "budget"]
    assert list(result.counts()) == [r for r in RULES if r in {"unknown_reference", "capacity", "budget"}]
    with pytest.raises(ValueError):
        result.of("no_such_rule")
