"""Helpers for the audit's tests: tiny datasets from rows, and a naive second judge.

The naive judge re-states every rule and objective term the slow, obvious way (Python loops, sets of
minutes, pandas' own ISO calendar, ``Dataset.travel_minutes``) so the vectorised audit can be checked
against it on random plans.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections import Counter, defaultdict

import numpy as np
import pandas as pd

import cesched

from builders import COLUMNS  # one list of the contract's columns for every test helper

# 2027-03-01 is a Monday
DEFAULT = {
    "units": [("U1", "A", "", ""), ("U2", "B", "", "")],
    "staff": [("P1", "U1", "med", "0", "0", "", "", ""), ("P2", "U1", "nurse", "0", "0", "", "", ""),
              ("P3", "U2", "med", "0", "0", "", "", "")],
    "shifts": [],
    "courses": [(f"C{i}", "public", "", "6", "0") for i in range(1, 10)],
    "venues": [("VA", "A", "50"), ("VB", "B", "50"), ("VC", "C", "50")],
    "sessions": [],
    "travel": [("A", "B", "30")],
}


def frame(name: str, rows) -> pd.DataFrame:
    cols = COLUMNS[name]
    return pd.DataFrame([[str(v) for v in row] for row in rows], columns=list(cols), dtype=object)


def dataset(policy=None, **tables):
    """A validated dataset from row tuples (columns as ``COLUMNS``); unnamed tables take ``DEFAULT``."""
    frames = {name: frame(name, tables.get(name, DEFAULT[name])) for name in COLUMNS}
    return cesched.dataset_from_frames(frames, policy)


def plan(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(pairs), columns=["staff_id", "session_id"], dtype=object)


# --- the naive judge --------------------------------------------------------------------------------
EPOCH = dt.datetime(1970, 1, 1)


def _minute(ts) -> int:
    return (pd.Timestamp(ts).to_pydatetime() - EPOCH) // dt.timedelta(minutes=1)


def _week(ts) -> tuple[int, int]:
    iso = pd.Timestamp(ts).isocalendar()
    return iso[0], iso[1]


def naive_audit(ds, pairs: list[tuple[str, str]]) -> dict:
    """``pairs``: known, unique (staff_id, session_id). Returns per-rule (count, amount sum), per-staff
    measures and the KPIs, each computed the slow way."""
    rules = ds.policy.rules
    staff = {r.staff_id: r for r in ds.staff.itertuples()}
    units = {r.unit_id: r for r in ds.units.itertuples()}
    courses = {r.course_id: r for r in ds.courses.itertuples()}
    sessions = {r.session_id: r for r in ds.sessions.itertuples()}
    venue_zone = dict(zip(ds.venues["venue_id"], ds.venues["zone"]))
    travel = functools.cache(ds.travel_minutes)
    meetings = defaultdict(list)
    for m in ds.meetings.itertuples():
        meetings[m.session_id].append(m)
    shifts = defaultdict(list)  # person -> (start minute, end minute, night, start)
    for s in ds.shifts.itertuples():
        night = s.end.date() > s.start.date() or s.end.time() <= dt.time(8, 0)
        shifts[s.staff_id].append((_minute(s.start), _minute(s.end), night, s.start))

    found: dict[str, list[float]] = defaultdict(list)
    per = {sid: Counter() for sid in staff}
    mine = defaultdict(list)
    for sid, xid in pairs:
        mine[sid].append(xid)

    # eligibility, course once, capacity, min attendance, budget
    enrolled = Counter(x for _, x in pairs)
    spent = Counter()
    for sid, xid in pairs:
        course = courses[sessions[xid].course_id]
        if course.category == "professional" and course.fields and staff[sid].field not in course.fields.split(";"):
            found["eligibility"].append(1)
        spent[staff[sid].unit_id] += course.fee
        per[sid]["spend"] += course.fee
        per[sid]["planned_" + course.category] += course.hours
    for sid, xs in mine.items():
        for course, n in Counter(sessions[x].course_id for x in xs).items():
            if n > 1:
                found["course_once"].append(n - 1)
    for xid, s in sessions.items():
        if enrolled[xid] > s.capacity:
            found["capacity"].append(enrolled[xid] - s.capacity)
        if 0 < enrolled[xid] < s.min_attendance:
            found["min_attendance"].append(s.min_attendance - enrolled[xid])
    for uid, u in units.items():
        if not math.isnan(u.budget) and spent[uid] > u.budget + 1e-9:
            found["budget"].append(spent[uid] - u.budget)

    # time rules, person by person
    pulled = defaultdict(lambda: defaultdict(set))  # unit -> person -> minutes pulled off shifts
    peak_day = defaultdict(lambda: defaultdict(set))  # unit -> date -> people
    load = defaultdict(int)  # (person, iso week) -> minutes
    for sid, person in staff.items():
        for start, end, _, when in shifts[sid]:
            load[(sid, _week(when))] += end - start
    for sid, xs in mine.items():
        person = staff[sid]
        unit_zone = units[person.unit_id].zone
        attended = [(x, m) for x in xs for m in meetings[x]]
        weekly = Counter()
        for x, m in attended:
            ms, me = _minute(m.start), _minute(m.end)
            t = travel(unit_zone, venue_zone[m.venue_id])
            inside = set()
            for start, end, night, _ in shifts[sid]:
                inside.update(range(max(ms, start - t), min(me, end + t)))
                if night and end <= ms < end + rules.rest_after_night_hours * 60:
                    per[sid]["rest_breaches"] += 1
            per[sid]["overlap_minutes"] += len(inside)
            if inside and rules.shift_overlap == "forbid":
                found["shift_overlap"].append(len(inside))
            pulled[person.unit_id][sid] |= inside
            peak_day[person.unit_id][m.start.date()].add(sid)
            weekly[_week(m.start)] += me - ms
            load[(sid, _week(m.start))] += me - ms
            per[sid]["training_minutes"] += me - ms
        if not math.isnan(person.max_weekly_hours):
            for week, total in weekly.items():
                if total > person.max_weekly_hours * 60 + 1e-9:
                    found["weekly_cap"].append(total / 60 - person.max_weekly_hours)
        clashes = {}
        for (x1, m1), (x2, m2) in itertools.combinations(attended, 2):
            if x1 == x2:
                continue
            t = travel(venue_zone[m1.venue_id], venue_zone[m2.venue_id])
            s1, e1, s2, e2 = _minute(m1.start), _minute(m1.end), _minute(m2.start), _minute(m2.end)
            if s1 < e2 + t and s2 < e1 + t:
                key = frozenset((x1, x2))
                clashes[key] = max(clashes.get(key, 0), min(e1 + t - s2, e2 + t - s1))
        found["double_booking"].extend(clashes.values())
    limit = rules.max_weekly_load_hours * 60
    for (sid, _), total in load.items():
        if limit > 0:
            per[sid]["overload_hours"] += max(0.0, total - limit) / 60
        per[sid]["peak_weekly_load_hours"] = max(per[sid]["peak_weekly_load_hours"], total / 60)
    peak_absent = {}
    for uid, u in units.items():
        count = Counter(minute for minutes in pulled[uid].values() for minute in minutes)
        peak_absent[uid] = max(count.values(), default=0)
        if not math.isnan(u.max_absent) and peak_absent[uid] > u.max_absent:
            found["max_absent"].append(peak_absent[uid] - u.max_absent)
    unit_peak = {uid: max((len(p) for p in peak_day[uid].values()), default=0) for uid in units}

    for sid, person in staff.items():
        p = per[sid]
        public = person.required_public - person.done_public - p["planned_public"]
        professional = person.required_professional - person.done_professional - p["planned_professional"]
        p["shortfall"] = max(0.0, public) + max(0.0, professional)
    shortfalls = [per[s]["shortfall"] for s in staff]
    kpis = {
        "shortfall_hours": sum(shortfalls), "largest_shortfall_hours": max(shortfalls, default=0),
        "overlap_minutes": sum(per[s]["overlap_minutes"] for s in staff),
        "rest_breaches": sum(per[s]["rest_breaches"] for s in staff),
        "overload_hours": sum(per[s]["overload_hours"] for s in staff),
        "unit_peak_days": sum(unit_peak.values()),
        "spend": sum(per[s]["spend"] for s in staff),
        "training_minutes": sum(per[s]["training_minutes"] for s in staff),
    }
    return {
        "rules": {rule: (len(v), float(sum(v))) for rule, v in found.items() if v},
        "staff": per, "kpis": kpis, "peak_absent": peak_absent, "unit_peak": unit_peak,
    }


# --- random small datasets ----------------------------------------------------------------------------
def random_case(seed: int):
    """A small random dataset on a 30-minute grid (so boundaries touch often) and a random plan."""
    rng = np.random.default_rng(seed)
    zones = ["A", "B", "C"]
    base = pd.Timestamp("2027-03-04")  # a Thursday: the horizon crosses ISO week boundaries

    def when(slot: int) -> str:
        return (base + pd.Timedelta(minutes=30 * int(slot))).strftime("%Y-%m-%d %H:%M")

    units = [(f"U{i}", zones[rng.integers(3)], rng.choice(["", "0", "100", "250"]), rng.choice(["", "0", "1", "2"]))
             for i in range(2)]
    staff = [(f"P{i}", f"U{rng.integers(2)}", rng.choice(["med", "nurse"]), rng.choice(["", "6", "12"]),
              rng.choice(["", "12", "30"]), rng.choice(["", "3"]), "", rng.choice(["", "4", "6.5"]))
             for i in range(5)]
    shifts = []
    for sid, *_ in staff:
        slot = int(rng.integers(0, 12))
        while slot < 48 * 9:
            length = int(rng.choice([8, 16, 20, 24]))
            shifts.append((sid, when(slot), when(slot + length)))
            slot += length + int(rng.choice([0, 4, 16, 28, 40]))
    courses = [(f"C{i}", "public" if i < 2 else "professional",
                "" if i < 2 else rng.choice(["", "med", "nurse", "med;nurse"]),
                rng.choice(["1.5", "3", "6"]), rng.choice(["0", "50", "75.5"])) for i in range(4)]
    venues = [("VA", "A", "9"), ("VB", "B", "2"), ("VC", "C", "9")]
    sessions = []
    for i in range(7):
        course, venue = f"C{rng.integers(4)}", rng.choice(["VA", "VB", "VC"])
        cap, least = rng.choice(["", "1", "3"]), rng.choice(["", "2"])
        slot = int(rng.integers(0, 48 * 9))
        for _ in range(int(rng.integers(1, 3))):
            length = int(rng.choice([2, 4, 6]))
            sessions.append((f"X{i}", course, venue, when(slot), when(slot + length), cap, least))
            slot += length + int(rng.choice([-2, 0, 1, 20, 48]))
    travel = [("A", "B", str(rng.choice([0, 30, 60])))]
    policy = {"rules": {"shift_overlap": str(rng.choice(["allow", "forbid"])),
                        "rest_after_night_hours": float(rng.choice([0, 7.5, 8])),
                        "max_weekly_load_hours": float(rng.choice([0, 20, 40])),
                        "default_travel_minutes": int(rng.choice([0, 45]))}}
    ds = dataset(policy, units=units, staff=staff, shifts=shifts, courses=courses, venues=venues,
                 sessions=sessions, travel=travel)
    pairs = sorted({(f"P{rng.integers(5)}", f"X{rng.integers(7)}") for _ in range(int(rng.integers(0, 16)))})
    return ds, pairs

# Plans the engine wrote for the two tiny samples (kept as data): their figures are the optima that
# an independent MIP proved (samples README), so auditing them checks the definitions from outside.
SAMPLE_PLANS = {
    "tiny-forbid": (
        "S000001:X00002 S000001:X00007 S000001:X00036 S000001:X00040 S000002:X00003 S000002:X00007 S000002:X00025 "
        "S000003:X00002 S000003:X00003 S000003:X00007 S000003:X00040 S000004:X00003 S000005:X00002 S000005:X00007 "
        "S000005:X00036 S000005:X00040 S000006:X00026 S000006:X00077 S000006:X00085 S000007:X00002 S000007:X00003 "
        "S000007:X00007 S000007:X00044 S000007:X00059 S000008:X00003 S000008:X00009 S000008:X00043 S000009:X00002 "
        "S000009:X00003 S000009:X00007 S000009:X00040 S000010:X00002 S000010:X00044 S000010:X00058 S000010:X00059 "
        "S000011:X00002 S000011:X00068 S000011:X00073 S000012:X00002 S000012:X00003 S000012:X00007 S000012:X00009 "
        "S000012:X00015 S000013:X00002 S000013:X00007 S000013:X00045 S000013:X00047 S000014:X00002 S000014:X00003 "
        "S000014:X00007 S000014:X00015 S000014:X00103 S000015:X00002 S000015:X00003 S000015:X00015 S000015:X00102 "
        "S000015:X00103 S000016:X00002 S000016:X00003 S000016:X00007 S000016:X00035 S000016:X00059 S000017:X00007 "
        "S000017:X00094 "
    ),
    "tiny-allow": (
        "S000001:X00009 S000001:X00022 S000001:X00024 S000002:X00003 S000002:X00009 S000002:X00025 S000003:X00004 "
        "S000003:X00041 S000003:X00047 S000004:X00004 S000004:X00005 S000004:X00009 S000004:X00011 S000004:X00047 "
        "S000004:X00069 S000005:X00005 S000005:X00009 S000005:X00011 S000005:X00022 S000005:X00025 S000006:X00009 "
        "S000006:X00070 S000006:X00072 S000007:X00005 S000007:X00008 S000007:X00009 S000007:X00062 S000007:X00063 "
        "S000007:X00065 S000008:X00009 S000008:X00010 S000008:X00011 S000008:X00025 S000009:X00004 S000009:X00009 "
        "S000009:X00010 S000009:X00011 S000009:X00041 S000009:X00047 S000010:X00009 S000010:X00062 S000010:X00063 "
        "S000010:X00065 S000011:X00005 S000011:X00008 S000011:X00009 S000011:X00070 S000012:X00003 S000012:X00005 "
        "S000012:X00009 S000012:X00010 S000012:X00047 S000012:X00050 S000012:X00065 S000013:X00003 S000013:X00008 "
        "S000013:X00010 S000013:X00016 S000013:X00017 S000013:X00019 S000014:X00003 S000014:X00005 S000014:X00008 "
        "S000014:X00010 S000014:X00075 S000014:X00082 S000015:X00008 S000015:X00075 S000015:X00077 S000015:X00082 "
        "S000016:X00003 S000016:X00004 S000016:X00005 S000016:X00030 S000016:X00075 S000017:X00005 S000017:X00009 "
        "S000017:X00011 S000017:X00030 "
    ),
}
