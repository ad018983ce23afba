"""The engine keeps every hard rule (issue 4, rules 1-8): one tiny hand-made dataset per rule, where the
right plan is obvious and the rule is what decides it.

Each test asserts the exact plan, its total shortfall, that every stage is proven optimal, and that the
independent audit (``cesched.audit``) finds nothing wrong with it. Day 0 is Monday 2027-03-01; unless a
test says otherwise there is one unit U1 and one venue V1 (capacity 50), both in zone "seat".
"""

from __future__ import annotations

import pytest

import cesched

try:
    from builders import assert_sound, at, course, meeting, person, road, shift, solve, tiny, unit, venue, pairs
except ImportError:  # tests/ collected as a package
    from tests.builders import (assert_sound, at, course, meeting, person, road, shift, solve, tiny, unit, venue,
                                pairs)


def plan_of(ds: cesched.Dataset, expected: set[tuple[str, str]], shortfall: float) -> cesched.Plan:
    """Solve, check the plan is sound (audit ok, stages optimal, KPIs = stage values) and exactly as expected."""
    plan = solve(ds)
    assert_sound(ds, plan)
    assert pairs(plan) == expected, plan.assignments[["staff_id", "session_id"]].to_string()
    assert plan.kpis.shortfall_hours == pytest.approx(shortfall)
    assert plan.stages[0].name == "shortfall_hours" and plan.stages[0].value == pytest.approx(shortfall)
    return plan


def morning(day: int, sid: str, course_id: str, **kw) -> dict:
    """A 3-hour meeting 09:00-12:00 on ``day``."""
    return meeting(sid, course_id, at(day, "09:00"), at(day, "12:00"), **kw)


# --- rule 1: eligibility ----------------------------------------------------------------------------------
def test_professional_courses_are_open_only_to_the_fields_they_list():
    ds = tiny(
        staff=[person("P1", field="nurse", professional=12)],
        courses=[course("CM", "professional", 6, fields="med"), course("CN", "professional", 6, fields="nurse;lab"),
                 course("CA", "professional", 3)],  # blank fields: open to every field
        sessions=[morning(0, "XM", "CM"), morning(1, "XN", "CN"), morning(2, "XA", "CA")],
    )
    plan_of(ds, {("P1", "XN"), ("P1", "XA")}, shortfall=3)


def test_public_courses_are_open_to_all_and_categories_never_offset():
    ds = tiny(
        staff=[person("P1", field="nurse", public=6)],
        courses=[course("CP", "public", 6, fields="med"),  # fields are ignored for a public course
                 course("CQ", "professional", 12)],  # professional hours do not count towards public ones
        sessions=[morning(0, "XQ", "CQ"), morning(1, "XP", "CP")],
    )
    plan_of(ds, {("P1", "XP")}, shortfall=0)

    ds = tiny(staff=[person("P1", public=6)], courses=[course("CQ", "professional", 12)],
              sessions=[morning(0, "XQ", "CQ")])
    plan_of(ds, set(), shortfall=6)


# --- rule 2: each course at most once -----------------------------------------------------------------------
def test_a_course_is_taken_at_most_once():
    # C1 twice would close the 12 h gap; the rule allows one C1 session plus C2 (the shorter C1 session wins
    # on training minutes).
    ds = tiny(
        staff=[person("P1", public=12)],
        courses=[course("C1", hours=6), course("C2", hours=3)],
        sessions=[morning(0, "X1", "C1"), meeting("X2", "C1", at(1, "09:00"), at(1, "11:00")),
                  morning(2, "X3", "C2")],
    )
    plan_of(ds, {("P1", "X2"), ("P1", "X3")}, shortfall=3)


# --- rule 3: capacity and min_attendance ----------------------------------------------------------------------
@pytest.mark.parametrize("where", ["session cell", "venue", "second meeting's venue"])
def test_capacity_one_seats_one_of_two_who_need_it(where):
    # One seat, P1 short 6 h and P2 short 12 h: either way 12 h remain short; fairness gives P2 the seat.
    venues = [venue("V1", capacity=1 if where == "venue" else 50), venue("V2", capacity=1)]
    cell = 1 if where == "session cell" else ""
    sessions = [morning(0, "X1", "C1", capacity=cell)]
    if where == "second meeting's venue":
        sessions.append(morning(1, "X1", "C1", venue="V2"))
    ds = tiny(staff=[person("P1", public=6), person("P2", public=12)], courses=[course("C1", hours=6)],
              venues=venues, sessions=sessions)
    plan = plan_of(ds, {("P2", "X1")}, shortfall=12)
    assert plan.kpis.largest_shortfall_hours == 6
    assert plan.session_report.set_index("session_id").loc["X1", "capacity"] == 1


def test_capacity_two_seats_two_of_three():
    ds = tiny(staff=[person("P1", public=6), person("P2", public=6), person("P3", public=6)],
              courses=[course("C1", hours=6)], sessions=[morning(0, "X1", "C1", capacity=2)])
    plan = solve(ds)
    assert_sound(ds, plan)
    assert len(plan.assignments) == 2 and set(plan.assignments["session_id"]) == {"X1"}
    assert plan.kpis.shortfall_hours == 6


def test_a_session_below_its_min_attendance_is_cancelled():
    # min_attendance 3, but only P1 and P2 (field med) may take the course: it cannot run.
    ds = tiny(
        staff=[person("P1", professional=6), person("P2", professional=6),
               person("P3", field="nurse", professional=6)],
        courses=[course("C1", "professional", 6, fields="med")],
        sessions=[morning(0, "X1", "C1", least=3)],
    )
    plan = plan_of(ds, set(), shortfall=18)
    assert plan.session_report.set_index("session_id").loc["X1", "status"] == "cancelled"


def test_a_session_runs_when_its_min_attendance_is_reached_even_with_someone_who_needs_nothing():
    # P3 needs no hours, but attending lets the session reach min_attendance 3 for P1 and P2.
    ds = tiny(staff=[person("P1", public=6), person("P2", public=6), person("P3")],
              courses=[course("C1", hours=6)], sessions=[morning(0, "X1", "C1", least=3)])
    plan = plan_of(ds, {("P1", "X1"), ("P2", "X1"), ("P3", "X1")}, shortfall=0)
    assert plan.session_report.set_index("session_id").loc["X1", "status"] == "runs"


def test_min_attendance_counts_only_people_who_can_come():
    # Three eligible people, but P3 is on shift during the session (forbid mode): it cannot run.
    ds = tiny(staff=[person("P1", public=6), person("P2", public=6), person("P3", public=6)],
              courses=[course("C1", hours=6)], sessions=[morning(0, "X1", "C1", least=3)],
              shifts=[shift("P3", at(0, "08:00"), at(0, "16:00"))])
    plan_of(ds, set(), shortfall=18)


def test_min_attendance_and_capacity_together():
    # min 2, capacity 2, three people: exactly two attend; a session with min 3 > capacity 2 never runs.
    ds = tiny(staff=[person("P1", public=6), person("P2", public=6), person("P3", public=6)],
              courses=[course("C1", hours=6), course("C2", hours=6)],
              sessions=[morning(0, "X1", "C1", capacity=2, least=2), morning(1, "X2", "C2", capacity=2, least=3)])
    plan = solve(ds)
    assert_sound(ds, plan)
    assert len(plan.assignments) == 2 and set(plan.assignments["session_id"]) == {"X1"}
    assert plan.kpis.shortfall_hours == 6


# --- rule 4: no double booking, travel between venues -----------------------------------------------------------
def test_two_overlapping_sessions_only_one():
    ds = tiny(staff=[person("P1", public=9)], courses=[course("C1", hours=6), course("C2", hours=3)],
              sessions=[morning(0, "X1", "C1"), meeting("X2", "C2", at(0, "11:00"), at(0, "13:00"))])
    plan_of(ds, {("P1", "X1")}, shortfall=3)


def test_back_to_back_in_one_zone_is_fine():
    ds = tiny(staff=[person("P1", public=9)], courses=[course("C1", hours=6), course("C2", hours=3)],
              sessions=[morning(0, "X1", "C1"), meeting("X2", "C2", at(0, "12:00"), at(0, "14:00"))])
    plan_of(ds, {("P1", "X1"), ("P1", "X2")}, shortfall=0)


@pytest.mark.parametrize("gap, both", [(20, False), (29, False), (30, True), (45, True)])
def test_travel_time_between_zones_makes_back_to_back_sessions_clash(gap, both):
    # VA in zone A, VB in zone B, 30 minutes apart; X1 ends 12:00 at VA, X2 starts `gap` minutes later at VB.
    # (X2 comes first in the file, and earlier in the week, so "first come" would pick it.)
    ds = tiny(
        staff=[person("P1", public=9)],
        courses=[course("C1", hours=6), course("C2", hours=3)],
        venues=[venue("VA", "A"), venue("VB", "B")],
        travel=[road("A", "B", 30)],
        sessions=[meeting("X2", "C2", at(0, f"12:{gap:02d}"), at(0, "14:00"), venue="VB"),
                  morning(0, "X1", "C1", venue="VA")],
    )
    expected = {("P1", "X1"), ("P1", "X2")} if both else {("P1", "X1")}
    plan_of(ds, expected, shortfall=0 if both else 3)


def test_default_travel_minutes_apply_to_unlisted_zone_pairs():
    ds = tiny(
        staff=[person("P1", public=9)],
        courses=[course("C1", hours=6), course("C2", hours=3)],
        venues=[venue("VA", "A"), venue("VB", "B")],
        sessions=[morning(0, "X1", "C1", venue="VA"), meeting("X2", "C2", at(0, "12:30"), at(0, "14:00"), venue="VB")],
        rules={"default_travel_minutes": 45},
    )
    plan_of(ds, {("P1", "X1")}, shortfall=3)


def test_every_meeting_of_a_session_counts_for_double_booking():
    # X1 meets Monday and Wednesday; X2 clashes with its Wednesday meeting, X3 (Tuesday) with nothing.
    ds = tiny(
        staff=[person("P1", public=9)],
        courses=[course("C1", hours=6), course("C2", hours=3), course("C3", hours=3)],
        sessions=[morning(0, "X1", "C1"), morning(2, "X1", "C1"),
                  meeting("X2", "C2", at(2, "10:00"), at(2, "11:00")),
                  meeting("X3", "C3", at(1, "10:00"), at(1, "11:00"))],
    )
    plan = plan_of(ds, {("P1", "X1"), ("P1", "X3")}, shortfall=0)
    assert plan.kpis.training_minutes == 3 * 60 + 3 * 60 + 60


# --- rule 5: weekly cap ----------------------------------------------------------------------------------------
def test_weekly_cap_limits_clock_hours_in_one_iso_week():
    # cap 4 h: two 3-hour-credit sessions in one week cannot both be taken; the shorter one wins on minutes.
    ds = tiny(staff=[person("P1", public=6, cap=4)], courses=[course("C1", hours=3), course("C2", hours=3)],
              sessions=[morning(0, "X1", "C1"), meeting("X2", "C2", at(2, "09:00"), at(2, "11:30"))])
    plan_of(ds, {("P1", "X2")}, shortfall=3)


def test_weekly_cap_from_the_policy():
    ds = tiny(staff=[person("P1", public=6)], courses=[course("C1", hours=3), course("C2", hours=3)],
              sessions=[morning(0, "X1", "C1"), meeting("X2", "C2", at(2, "09:00"), at(2, "11:30"))],
              rules={"max_weekly_hours": 4})
    plan_of(ds, {("P1", "X2")}, shortfall=3)


def test_weekly_cap_resets_on_monday():
    # Sunday (day 6) and the next Monday (day 7) are in different ISO weeks.
    ds = tiny(staff=[person("P1", public=6, cap=4)], courses=[course("C1", hours=3), course("C2", hours=3)],
              sessions=[morning(6, "X1", "C1"), morning(7, "X2", "C2")])
    plan_of(ds, {("P1", "X1"), ("P1", "X2")}, shortfall=0)


def test_a_meeting_counts_in_the_week_it_starts():
    # X1 runs Sunday 22:00 to Monday 01:00: its 3 hours belong to the first week, so X2 on Saturday of that
    # week does not fit under a 4 h cap, while X3 on the next Monday does.
    ds = tiny(staff=[person("P1", public=9, cap=4)],
              courses=[course("C1", hours=3), course("C2", hours=3), course("C3", hours=3)],
              sessions=[meeting("X1", "C1", at(6, "22:00"), at(7, "01:00")),
                        meeting("X2", "C2", at(5, "09:00"), at(5, "12:30")),
                        morning(7, "X3", "C3")])
    plan_of(ds, {("P1", "X1"), ("P1", "X3")}, shortfall=3)


@pytest.mark.parametrize("second_day, taken", [(2, False), (7, True)])
def test_all_meetings_of_a_session_count_towards_the_cap(second_day, taken):
    # 3 h + 2 h = 5 h in one week is over a 4 h cap; split over two weeks it fits.
    ds = tiny(staff=[person("P1", public=6, cap=4)], courses=[course("C1", hours=6)],
              sessions=[morning(0, "X1", "C1"), meeting("X1", "C1", at(second_day, "09:00"), at(second_day, "11:00"))])
    plan_of(ds, {("P1", "X1")} if taken else set(), shortfall=0 if taken else 6)


# --- rule 6: max_absent (shift_overlap = "allow") ------------------------------------------------------------
ALLOW = {"shift_overlap": "allow"}


def test_max_absent_pulls_only_one_of_a_units_staff_off_shift():
    # P1 and P2 of U1 are both on shift during X1; max_absent 1 lets one go (fairness: P2, who is shorter).
    # P3 (U1, off shift) and P4 (U2, on shift, no cap) are not limited by it.
    ds = tiny(
        units=[unit("U1", max_absent=1), unit("U2")],
        staff=[person("P1", public=6), person("P2", public=12), person("P3", public=6),
               person("P4", unit="U2", public=6)],
        courses=[course("C1", hours=6)],
        sessions=[morning(0, "X1", "C1")],
        shifts=[shift(p, at(0, "08:00"), at(0, "16:00")) for p in ("P1", "P2", "P4")],
        rules=ALLOW,
    )
    plan = plan_of(ds, {("P2", "X1"), ("P3", "X1"), ("P4", "X1")}, shortfall=12)
    assert plan.unit_report.set_index("unit_id").loc["U1", "peak_absent"] == 1


@pytest.mark.parametrize("p2_shift_start, both", [("12:00", True), ("11:59", False)])
def test_max_absent_counts_only_simultaneous_absence(p2_shift_start, both):
    # P1 is on shift 08-16; P2's shift starts at noon, when X1 ends: not pulled off at the same instant.
    ds = tiny(
        units=[unit("U1", max_absent=1)],
        staff=[person("P1", public=6), person("P2", public=12)],
        courses=[course("C1", hours=6)],
        sessions=[morning(0, "X1", "C1")],
        shifts=[shift("P1", at(0, "08:00"), at(0, "16:00")), shift("P2", at(0, p2_shift_start), at(0, "20:00"))],
        rules=ALLOW,
    )
    plan_of(ds, {("P1", "X1"), ("P2", "X1")} if both else {("P2", "X1")}, shortfall=6 if both else 12)


@pytest.mark.parametrize("p2_shift_start, both", [("13:00", True), ("12:30", False)])
def test_max_absent_uses_the_travel_widened_shift(p2_shift_start, both):
    # The venue is 60 minutes from the unit: P2's shift starting 13:00 reaches back to 12:00 (X1 has ended);
    # starting 12:30 it reaches back to 11:30, while P1 is pulled off too.
    ds = tiny(
        units=[unit("U1", max_absent=1)],
        staff=[person("P1", public=6), person("P2", public=12)],
        courses=[course("C1", hours=6)],
        venues=[venue("VF", "far")],
        travel=[road("seat", "far", 60)],
        sessions=[morning(0, "X1", "C1", venue="VF")],
        shifts=[shift("P1", at(0, "08:00"), at(0, "16:00")), shift("P2", at(0, p2_shift_start), at(0, "20:00"))],
        rules=ALLOW,
    )
    plan_of(ds, {("P1", "X1"), ("P2", "X1")} if both else {("P2", "X1")}, shortfall=6 if both else 12)


def test_max_absent_zero_keeps_everyone_on_shift_at_work():
    ds = tiny(
        units=[unit("U1", max_absent=0)],
        staff=[person("P1", public=6), person("P2", public=6)],
        courses=[course("C1", hours=6)],
        sessions=[morning(0, "X1", "C1")],
        shifts=[shift("P1", at(0, "11:00"), at(0, "19:00"))],
        rules=ALLOW,
    )
    plan_of(ds, {("P2", "X1")}, shortfall=6)


# --- rule 7: unit budget ---------------------------------------------------------------------------------------
def test_unit_budget_caps_fees():
    # Budget 100: C1 + C2 (120) is too dear; C1 + C3 (90) is the most hours that fit.
    ds = tiny(
        units=[unit("U1", budget=100)],
        staff=[person("P1", public=12)],
        courses=[course("C1", hours=6, fee=60), course("C2", hours=3, fee=60), course("C3", hours=3, fee=30)],
        sessions=[morning(0, "X1", "C1"), morning(1, "X2", "C2"), morning(2, "X3", "C3")],
    )
    plan = plan_of(ds, {("P1", "X1"), ("P1", "X3")}, shortfall=3)
    assert plan.kpis.spend == 90


def test_budget_is_per_unit_and_shared_by_its_staff():
    # U1 (budget 100) can pay one 60 CNY seat: fairness gives it to P2; U2 has no cap.
    ds = tiny(
        units=[unit("U1", budget=100), unit("U2")],
        staff=[person("P1", public=6), person("P2", public=12), person("P3", unit="U2", public=6)],
        courses=[course("C1", hours=6, fee=60)],
        sessions=[morning(0, "X1", "C1")],
    )
    plan = plan_of(ds, {("P2", "X1"), ("P3", "X1")}, shortfall=12)
    assert plan.unit_report.set_index("unit_id")["spent"].to_dict() == {"U1": 60, "U2": 60}


def test_a_zero_budget_still_allows_free_courses():
    ds = tiny(units=[unit("U1", budget=0)], staff=[person("P1", public=12)],
              courses=[course("C1", hours=6, fee=10), course("C2", hours=6, fee=0)],
              sessions=[morning(0, "X1", "C1"), morning(1, "X2", "C2")])
    plan_of(ds, {("P1", "X2")}, shortfall=6)


# --- rule 8: shift_overlap = "forbid" with travel-widened shifts --------------------------------------------------
def widened_case(**rules):
    # P1 works 08:00-12:00 every day at unit zone "seat"; VF is 45 minutes away.
    # X1 (seat, from 12:00) touches the shift: allowed. X2 (far, from 12:30) is inside the widened shift
    # (until 12:45). X3 (far, from 12:45) just clears it. X4 (far, until 13:30) runs into the afternoon
    # shift 14:00-18:00 on day 3 widened back to 13:15.
    return tiny(
        staff=[person("P1", public=24)],
        courses=[course(f"C{i}", hours=6) for i in range(1, 5)],
        venues=[venue("V1", "seat"), venue("VF", "far")],
        travel=[road("far", "seat", 45)],
        sessions=[meeting("X1", "C1", at(0, "12:00"), at(0, "14:00")),
                  meeting("X2", "C2", at(1, "12:30"), at(1, "14:30"), venue="VF"),
                  meeting("X3", "C3", at(2, "12:45"), at(2, "14:45"), venue="VF"),
                  meeting("X4", "C4", at(3, "11:30"), at(3, "13:30"), venue="VF")],
        shifts=[shift("P1", at(d, "08:00"), at(d, "12:00")) for d in range(3)]
        + [shift("P1", at(3, "14:00"), at(3, "18:00"))],
        rules=rules,
    )


def test_forbid_excludes_sessions_that_overlap_the_travel_widened_shift():
    plan = plan_of(widened_case(), {("P1", "X1"), ("P1", "X3")}, shortfall=12)
    assert plan.kpis.overlap_minutes == 0


def test_allow_takes_them_and_counts_the_overlap():
    plan = plan_of(widened_case(shift_overlap="allow"),
                   {("P1", "X1"), ("P1", "X2"), ("P1", "X3"), ("P1", "X4")}, shortfall=0)
    minutes = plan.assignments.set_index("session_id")["overlap_minutes"].to_dict()
    assert minutes == {"X1": 0, "X2": 15, "X3": 0, "X4": 15}
    assert plan.kpis.overlap_minutes == 30


def test_forbid_with_a_shift_across_midnight():
    # Night shift Monday 22:00 - Tuesday 06:00: a session Tuesday 05:00 overlaps it, one at 06:00 does not.
    ds = tiny(staff=[person("P1", public=12)], courses=[course("C1", hours=6), course("C2", hours=6)],
              sessions=[meeting("X1", "C1", at(1, "05:00"), at(1, "07:00")),
                        meeting("X2", "C2", at(2, "06:00"), at(2, "08:00"))],
              shifts=[shift("P1", at(0, "22:00"), at(1, "06:00")), shift("P1", at(1, "22:00"), at(2, "06:00"))])
    plan_of(ds, {("P1", "X2")}, shortfall=6)


def test_forbid_excludes_the_whole_session_when_one_meeting_overlaps():
    ds = tiny(staff=[person("P1", public=6)], courses=[course("C1", hours=6)],
              sessions=[morning(0, "X1", "C1"), morning(2, "X1", "C1")],
              shifts=[shift("P1", at(2, "11:00"), at(2, "19:00"))])
    plan_of(ds, set(), shortfall=6)


# --- regressions -------------------------------------------------------------------------------------------------
def test_a_travel_row_for_an_unused_zone_is_harmless():
    # travel.csv may name a zone no unit or venue uses (the engine once raised KeyError on it)
    ds = tiny(staff=[person("P1", public=6)], courses=[course("C1", hours=6)],
              sessions=[morning(0, "X1", "C1")], travel=[road("seat", "harbour", 30)])
    plan_of(ds, {("P1", "X1")}, shortfall=0)


@pytest.mark.parametrize("end, taken", [("10:00", True), ("10:01", False)])
def test_weekly_cap_with_hundredths_of_an_hour(end, taken):
    # a 1.01 h cap is 60.6 minutes: a 60-minute meeting fits, a 61-minute one does not (the engine once
    # rounded the cap to 61 minutes and planned it)
    ds = tiny(staff=[person("P1", public=6, cap=1.01)], courses=[course("C1", hours=6)],
              sessions=[meeting("X1", "C1", at(0, "09:00"), at(0, end))])
    plan_of(ds, {("P1", "X1")} if taken else set(), shortfall=0 if taken else 6)
