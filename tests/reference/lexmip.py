"""An independent reference: the proven lexicographic optimum of a small dataset, by HiGHS.

Written from the dataset contract (v1) alone — it reads the CSV files itself and imports nothing of
cesched — so that when the engine and this model agree, two separate readings of the contract agree.
It is a plain MIP meant for tiny datasets (a few dozen people, a few dozen sessions): every rule is
written in its most literal form, nothing is aggregated or decomposed.

Every objective term is integer in a fixed scale (credit hours ×100, minutes, fen, counts), so a
stage solved to an absolute gap below one scaled unit is *proven*: the incumbent's integer value v
and the dual bound b satisfy v - b < 1, and the only integer in [b, v] is v. Holding a stage at
``<= v + 0.5`` is then exactly "no worse than the optimum".
"""

from __future__ import annotations

import math
import time
import tomllib
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

STAGES: tuple[str, ...] = (
    "shortfall_hours",
    "largest_shortfall_hours",
    "overlap_minutes",
    "rest_breaches",
    "overload_hours",
    "unit_peak_days",
    "spend",
    "training_minutes",
)

# Integer scale of each stage -> user unit: divide by this.  Credit hours are kept ×100; overload is
# kept in minutes (shift and meeting clock time are whole minutes, so that scale is exact); money in fen.
SCALE: dict[str, int] = {
    "shortfall_hours": 100,
    "largest_shortfall_hours": 100,
    "overlap_minutes": 1,
    "rest_breaches": 1,
    "overload_hours": 60,
    "unit_peak_days": 1,
    "spend": 100,
    "training_minutes": 1,
}

EPOCH = datetime(2000, 1, 3)  # a Monday; times are whole minutes since then
CATEGORIES = ("public", "professional")
INF = math.inf

Interval = tuple[int, int]  # half-open [start, end) in minutes since EPOCH
Objective = tuple[dict[int, float], float]  # {column: coefficient}, constant


class UnprovenError(RuntimeError):
    """The reference could not prove an optimum, or the dataset is outside what it understands."""


# ----------------------------------------------------------------------------------------------
# Reading the folder


def _read_table(folder: Path, name: str, required: bool = True) -> pd.DataFrame | None:
    """One CSV as strings, stripped; the encoding is UTF-8 (BOM or not) or else GB18030."""
    path = folder / f"{name}.csv"
    if not path.exists():
        if required:
            raise UnprovenError(f"{path} is missing")
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnprovenError(f"{path}: neither UTF-8 nor GB18030")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda col: col.str.strip())


def _cell(row: pd.Series, column: str) -> str:
    """A cell, or '' when the optional column is absent."""
    return str(row[column]) if column in row.index else ""


def _scaled(text: str, scale: int, default: float | None) -> int | None:
    """A decimal cell as an exact integer in `scale` (hours ×100, CNY ×100); blank -> default."""
    if text == "":
        return None if default is None else _exact(default * scale, text)
    return _exact(float(text) * scale, text)


def _exact(value: float, text: object) -> int:
    """Why: holding a stage exactly needs integer objective terms, so refuse values that are not."""
    rounded = round(value)
    if abs(value - rounded) > 1e-6:
        raise UnprovenError(f"{text!r} is not a whole number in the reference's integer scale")
    return int(rounded)


def _minutes(text: str) -> int:
    """`YYYY-MM-DD HH:MM` (or with `T`) as whole minutes since EPOCH."""
    moment = datetime.fromisoformat(text.replace("T", " "))
    return _exact((moment - EPOCH).total_seconds() / 60, text)


def _moment(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


def _iso_week(minutes: int) -> tuple[int, int]:
    year, week, _ = _moment(minutes).isocalendar()
    return (year, week)


def _date(minutes: int) -> date:
    return _moment(minutes).date()


@dataclass(frozen=True)
class Meeting:
    start: int
    end: int
    zone: str


@dataclass
class Session:
    id: str
    course: str
    category: str
    fields: frozenset[str] | None  # None = open to every field
    hours: int  # credit hours ×100
    fee: int  # fen
    meetings: list[Meeting]
    capacity: int
    min_attendance: int


@dataclass
class Unit:
    id: str
    zone: str
    budget: int | None  # fen
    max_absent: int | None


@dataclass
class Person:
    id: str
    unit: str
    field: str
    need: dict[str, int]  # required - done, credit hours ×100 (may be <= 0)
    weekly_cap: int | None  # minutes of training per ISO week; None = no cap
    shifts: list[Interval]


@dataclass
class Policy:
    allow_overlap: bool
    rest_minutes: float
    load_cap: int  # minutes per ISO week; 0 = off
    default_travel: int


@dataclass
class Instance:
    units: dict[str, Unit]
    people: list[Person]
    sessions: list[Session]
    policy: Policy
    travel_table: dict[frozenset[str], int]

    def travel(self, a: str, b: str) -> int:
        """Symmetric; same zone = 0; an unlisted pair = the policy's default."""
        if a == b:
            return 0
        return self.travel_table.get(frozenset((a, b)), self.policy.default_travel)


def load_instance(folder: Path) -> Instance:
    """The dataset folder as plain Python objects in integer scales."""
    folder = Path(folder)
    raw_policy: dict = {}
    if (folder / "policy.toml").exists():
        raw_policy = tomllib.loads((folder / "policy.toml").read_text(encoding="utf-8"))
    requirements = raw_policy.get("requirements", {})
    rules = raw_policy.get("rules", {})
    default_need = {
        "public": float(requirements.get("public_hours", 30)),
        "professional": float(requirements.get("professional_hours", 60)),
    }
    overlap_mode = str(rules.get("shift_overlap", "forbid"))
    if overlap_mode not in ("forbid", "allow"):
        raise UnprovenError(f"shift_overlap = {overlap_mode!r}")
    policy = Policy(
        allow_overlap=overlap_mode == "allow",
        rest_minutes=float(rules.get("rest_after_night_hours", 8)) * 60,
        load_cap=_exact(float(rules.get("max_weekly_load_hours", 48)) * 60, "max_weekly_load_hours"),
        default_travel=_exact(float(rules.get("default_travel_minutes", 0)), "default_travel_minutes"),
    )
    policy_weekly = float(rules.get("max_weekly_hours", 0))

    units: dict[str, Unit] = {}
    for _, row in _read_table(folder, "units").iterrows():
        max_absent = _cell(row, "max_absent")
        units[row["unit_id"]] = Unit(
            id=row["unit_id"],
            zone=_cell(row, "zone"),
            budget=_scaled(_cell(row, "budget"), 100, None),
            max_absent=None if max_absent == "" else int(float(max_absent)),
        )

    shifts: dict[str, list[Interval]] = defaultdict(list)
    for _, row in _read_table(folder, "shifts").iterrows():
        start, end = _minutes(row["start"]), _minutes(row["end"])
        if end <= start:
            raise UnprovenError(f"shift of {row['staff_id']} ends before it starts")
        shifts[row["staff_id"]].append((start, end))

    people: list[Person] = []
    for _, row in _read_table(folder, "staff").iterrows():
        if row["unit_id"] not in units:
            raise UnprovenError(f"staff {row['staff_id']}: unknown unit {row['unit_id']}")
        need = {}
        for category in CATEGORIES:
            required = _scaled(_cell(row, f"required_{category}"), 100, default_need[category])
            done = _scaled(_cell(row, f"done_{category}"), 100, 0)
            need[category] = required - done
        cap_text = _cell(row, "max_weekly_hours")
        cap_hours = policy_weekly if cap_text == "" else float(cap_text)
        people.append(
            Person(
                id=row["staff_id"],
                unit=row["unit_id"],
                field=row["field"],
                need=need,
                weekly_cap=None if cap_hours == 0 else _exact(cap_hours * 60, cap_text),
                shifts=sorted(shifts.get(row["staff_id"], [])),
            )
        )

    courses = {row["course_id"]: row for _, row in _read_table(folder, "courses").iterrows()}
    venues = {row["venue_id"]: row for _, row in _read_table(folder, "venues").iterrows()}

    sessions: list[Session] = []
    for session_id, rows in _read_table(folder, "sessions").groupby("session_id", sort=False):
        course = courses[rows["course_id"].iloc[0]]
        category = course["category"].strip().lower()
        fields_text = _cell(course, "fields")
        open_to = frozenset(f.strip() for f in fields_text.split(";") if f.strip())
        capacities = [int(float(venues[v]["capacity"])) for v in rows["venue_id"]]
        if "capacity" in rows.columns:
            capacities += [int(float(c)) for c in rows["capacity"] if c != ""]
        minimums = [int(float(m)) for m in rows.get("min_attendance", []) if m != ""]
        sessions.append(
            Session(
                id=str(session_id),
                course=course["course_id"],
                category=category,
                fields=None if category == "public" or not open_to else open_to,
                hours=_scaled(course["hours"], 100, None),
                fee=_scaled(_cell(course, "fee"), 100, 0),
                meetings=[
                    Meeting(_minutes(r["start"]), _minutes(r["end"]), _cell(venues[r["venue_id"]], "zone"))
                    for _, r in rows.iterrows()
                ],
                capacity=min(capacities),
                min_attendance=max(minimums, default=0),
            )
        )

    travel_table: dict[frozenset[str], int] = {}
    travel = _read_table(folder, "travel", required=False)
    if travel is not None:
        for _, row in travel.iterrows():
            zones = frozenset((row["from_zone"], row["to_zone"]))
            travel_table[zones] = _exact(float(row["minutes"]), row["minutes"])
    return Instance(units, people, sessions, policy, travel_table)


# ----------------------------------------------------------------------------------------------
# Facts about one (person, session) pair, all constants of the model


def _union(intervals: list[Interval]) -> list[Interval]:
    """Merge overlapping or touching intervals (each minute then counts once)."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _cut(interval: Interval, union: list[Interval]) -> list[Interval]:
    """The parts of `interval` inside a merged union."""
    start, end = interval
    return [(max(start, s), min(end, e)) for s, e in union if max(start, s) < min(end, e)]


def _is_night(shift: Interval) -> bool:
    """Contract: ends on a later date than it starts, or ends at or before 08:00."""
    start, end = _moment(shift[0]), _moment(shift[1])
    return end.date() > start.date() or (end.hour, end.minute) <= (8, 0)


@dataclass
class Pair:
    """One person attending one session, and what that costs them."""

    person: Person
    session: Session
    overlap: int  # minutes of meetings inside the travel-widened shifts
    pulled: list[Interval]  # when the person is pulled off a shift by it
    rest: int  # (meeting, night shift) rest breaches
    week_minutes: dict[tuple[int, int], int]  # clock minutes of meetings starting in each ISO week
    days: set[date]  # dates on which a meeting starts
    minutes: int  # clock minutes in total


def _pair(inst: Instance, person: Person, session: Session) -> Pair:
    zone = inst.units[person.unit].zone
    nights = [s for s in person.shifts if _is_night(s)]
    overlap, rest, minutes = 0, 0, 0
    pulled: list[Interval] = []
    week_minutes: dict[tuple[int, int], int] = defaultdict(int)
    days: set[date] = set()
    for m in session.meetings:
        t = inst.travel(zone, m.zone)
        widened = _union([(s - t, e + t) for s, e in person.shifts])
        inside = _cut((m.start, m.end), widened)
        overlap += sum(e - s for s, e in inside)
        pulled += inside
        rest += sum(1 for _, end in nights if 0 <= m.start - end < inst.policy.rest_minutes)
        week_minutes[_iso_week(m.start)] += m.end - m.start
        days.add(_date(m.start))
        minutes += m.end - m.start
    return Pair(person, session, overlap, _union(pulled), rest, dict(week_minutes), days, minutes)


def _eligible(person: Person, session: Session) -> bool:
    return session.fields is None or person.field in session.fields


def _clash(inst: Instance, a: Session, b: Session) -> bool:
    """Rule 4: some meetings of the two sessions are closer than the travel between their venues."""
    for i in a.meetings:
        for j in b.meetings:
            t = inst.travel(i.zone, j.zone)
            if i.start < j.end + t and j.start < i.end + t:
                return True
    return False


def candidate_pairs(inst: Instance) -> list[Pair]:
    """Every pair some plan could use: eligible, not overlapping a shift in forbid mode, affordable,
    within the weekly cap on its own, for a session that can run at all."""
    pairs: list[Pair] = []
    for session in inst.sessions:
        if session.capacity <= 0:
            continue
        mine = []
        for person in inst.people:
            if not _eligible(person, session):
                continue
            pair = _pair(inst, person, session)
            budget = inst.units[person.unit].budget
            if pair.overlap > 0 and not inst.policy.allow_overlap:
                continue
            if budget is not None and session.fee > budget:
                continue
            if person.weekly_cap is not None and max(pair.week_minutes.values()) > person.weekly_cap:
                continue
            mine.append(pair)
        if len(mine) >= session.min_attendance:
            pairs += mine
    return pairs


# ----------------------------------------------------------------------------------------------
# The MIP


class Mip:
    """A column/row store handed to HiGHS in one go; rows are {column: coefficient} dicts."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.rows: list[tuple[float, float, dict[int, float]]] = []

    def var(self, lower: float = 0.0, upper: float = INF, integer: bool = False) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.lower) - 1

    def row(self, coefs: dict[int, float], lower: float = -INF, upper: float = INF) -> None:
        coefs = {c: v for c, v in coefs.items() if v != 0}
        if coefs:
            self.rows.append((lower, upper, coefs))
        elif lower > 1e-9 or upper < -1e-9:
            raise UnprovenError("a constant row is infeasible")

    def to_highs(self, highs: highspy.Highs) -> None:
        n = len(self.lower)
        highs.addVars(n, np.array(self.lower), np.array(self.upper))
        integers = [i for i, flag in enumerate(self.integer) if flag]
        highs.changeColsIntegrality(
            len(integers), np.array(integers, dtype=np.int32),
            np.array([highspy.HighsVarType.kInteger.value] * len(integers), dtype=np.uint8),
        )
        starts, index, value = [], [], []
        for _, _, coefs in self.rows:
            starts.append(len(index))
            index += list(coefs)
            value += list(coefs.values())
        highs.addRows(
            len(self.rows),
            np.array([r[0] for r in self.rows]), np.array([r[1] for r in self.rows]),
            len(index), np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32), np.array(value, dtype=np.float64),
        )


@dataclass
class Model:
    mip: Mip
    pairs: list[Pair]
    x: list[int]  # column of each pair
    objectives: dict[str, Objective] = field(default_factory=dict)


def build_model(inst: Instance) -> Model:
    """All hard rules as rows and the eight stage objectives as linear expressions."""
    mip = Mip()
    pairs = candidate_pairs(inst)
    x = [mip.var(0, 1, integer=True) for _ in pairs]
    by_person: dict[str, list[int]] = defaultdict(list)
    by_session: dict[str, list[int]] = defaultdict(list)
    for k, pair in enumerate(pairs):
        by_person[pair.person.id].append(k)
        by_session[pair.session.id].append(k)

    _sessions_rules(inst, mip, pairs, x, by_session)
    _person_rules(inst, mip, pairs, x, by_person)
    _unit_rules(inst, mip, pairs, x, by_person)

    model = Model(mip, pairs, x)
    model.objectives["shortfall_hours"], shortfall = _shortfall(inst, mip, pairs, x, by_person)
    largest = mip.var()
    for person_shortfall in shortfall.values():
        mip.row({largest: 1, **{c: -1 for c in person_shortfall}}, lower=0)
    model.objectives["largest_shortfall_hours"] = ({largest: 1}, 0.0)
    model.objectives["overlap_minutes"] = ({x[k]: p.overlap for k, p in enumerate(pairs)}, 0.0)
    model.objectives["rest_breaches"] = ({x[k]: p.rest for k, p in enumerate(pairs)}, 0.0)
    model.objectives["overload_hours"] = _overload(inst, mip, pairs, x, by_person)
    model.objectives["unit_peak_days"] = _peak_days(inst, mip, pairs, x, by_person)
    model.objectives["spend"] = ({x[k]: p.session.fee for k, p in enumerate(pairs)}, 0.0)
    model.objectives["training_minutes"] = ({x[k]: p.minutes for k, p in enumerate(pairs)}, 0.0)
    return model


def _sessions_rules(inst: Instance, mip: Mip, pairs: list[Pair], x: list[int],
                    by_session: dict[str, list[int]]) -> None:
    """Rule 3: capacity, and all-or-nothing min_attendance through a binary 'runs'."""
    for session in inst.sessions:
        ks = by_session.get(session.id, [])
        if not ks:
            continue
        if len(ks) > session.capacity:
            mip.row({x[k]: 1 for k in ks}, upper=session.capacity)
        if session.min_attendance >= 2:  # a minimum of 0 or 1 is met by any attendance
            runs = mip.var(0, 1, integer=True)
            mip.row({**{x[k]: 1 for k in ks}, runs: -session.min_attendance}, lower=0)
            for k in ks:
                mip.row({x[k]: 1, runs: -1}, upper=0)


def _person_rules(inst: Instance, mip: Mip, pairs: list[Pair], x: list[int],
                  by_person: dict[str, list[int]]) -> None:
    """Rules 2, 4, 5: each course once, no double booking, weekly training cap."""
    clash_cache: dict[tuple[str, str], bool] = {}
    for person in inst.people:
        ks = by_person.get(person.id, [])
        per_course: dict[str, list[int]] = defaultdict(list)
        for k in ks:
            per_course[pairs[k].session.course].append(k)
        for group in per_course.values():
            if len(group) > 1:
                mip.row({x[k]: 1 for k in group}, upper=1)
        for i, a in enumerate(ks):
            for b in ks[i + 1:]:
                sa, sb = pairs[a].session, pairs[b].session
                if sa.course == sb.course:
                    continue  # already at most one of them
                key = (sa.id, sb.id)
                if key not in clash_cache:
                    clash_cache[key] = _clash(inst, sa, sb)
                if clash_cache[key]:
                    mip.row({x[a]: 1, x[b]: 1}, upper=1)
        if person.weekly_cap is not None:
            weeks: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
            for k in ks:
                for week, minutes in pairs[k].week_minutes.items():
                    weeks[week][x[k]] = minutes
            for coefs in weeks.values():
                if sum(coefs.values()) > person.weekly_cap:
                    mip.row(coefs, upper=person.weekly_cap)


def _unit_rules(inst: Instance, mip: Mip, pairs: list[Pair], x: list[int],
                by_person: dict[str, list[int]]) -> None:
    """Rules 6 and 7: max_absent over elementary time intervals, and the fee budget.

    Why no per-person auxiliary for max_absent: pairs covering one elementary interval for one person
    have meetings overlapping in time, so rule 4 already lets at most one of them be chosen; the plain
    sum of their x therefore counts distinct people exactly.
    """
    for unit in inst.units.values():
        members = [p for p in inst.people if p.unit == unit.id]
        ks = [k for p in members for k in by_person.get(p.id, [])]
        if unit.budget is not None:
            spend = {x[k]: pairs[k].session.fee for k in ks}
            if sum(spend.values()) > unit.budget:
                mip.row(spend, upper=unit.budget)
        if unit.max_absent is None:
            continue
        cuts = sorted({t for k in ks for piece in pairs[k].pulled for t in piece})
        seen: set[frozenset[int]] = set()
        for left, right in zip(cuts, cuts[1:]):
            covering = frozenset(
                k for k in ks if any(s <= left and right <= e for s, e in pairs[k].pulled)
            )
            people = {pairs[k].person.id for k in covering}
            if len(people) > unit.max_absent and covering not in seen:
                seen.add(covering)
                mip.row({x[k]: 1 for k in covering}, upper=unit.max_absent)


def _shortfall(inst: Instance, mip: Mip, pairs: list[Pair], x: list[int],
               by_person: dict[str, list[int]]) -> tuple[Objective, dict[str, list[int]]]:
    """Stage 1: one shortfall column per person and category still needing hours.

    Returns the objective and, per person, the shortfall columns (for the largest-shortfall stage).
    """
    objective: dict[int, float] = {}
    per_person: dict[str, list[int]] = {}
    for person in inst.people:
        columns = []
        for category in CATEGORIES:
            need = person.need[category]
            if need <= 0:
                continue
            short = mip.var()
            planned = {x[k]: pairs[k].session.hours for k in by_person.get(person.id, [])
                       if pairs[k].session.category == category}
            mip.row({short: 1, **planned}, lower=need)
            objective[short] = 1
            columns.append(short)
        per_person[person.id] = columns
    return (objective, 0.0), per_person


def _overload(inst: Instance, mip: Mip, pairs: list[Pair], x: list[int],
              by_person: dict[str, list[int]]) -> Objective:
    """Stage 5, in minutes: per person and ISO week, shift + meeting minutes above the load cap."""
    cap = inst.policy.load_cap
    if cap == 0:
        return {}, 0.0
    objective: dict[int, float] = {}
    constant = 0.0
    for person in inst.people:
        shift_minutes: dict[tuple[int, int], int] = defaultdict(int)
        for start, end in person.shifts:
            shift_minutes[_iso_week(start)] += end - start
        training: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
        for k in by_person.get(person.id, []):
            for week, minutes in pairs[k].week_minutes.items():
                training[week][x[k]] = minutes
        for week in sorted(set(shift_minutes) | set(training)):
            base = shift_minutes.get(week, 0)
            if base + sum(training[week].values()) <= cap:
                continue  # can never be overloaded
            if not training[week]:
                constant += base - cap
                continue
            excess = mip.var()
            mip.row({excess: 1, **{c: -v for c, v in training[week].items()}}, lower=base - cap)
            objective[excess] = 1
    return objective, constant


def _peak_days(inst: Instance, mip: Mip, pairs: list[Pair], x: list[int],
               by_person: dict[str, list[int]]) -> Objective:
    """Stage 6: per unit, peak >= distinct staff with a meeting starting on each date."""
    objective: dict[int, float] = {}
    for unit in inst.units.values():
        per_date: dict[date, dict[int, float]] = defaultdict(dict)
        for person in (p for p in inst.people if p.unit == unit.id):
            on_date: dict[date, list[int]] = defaultdict(list)
            for k in by_person.get(person.id, []):
                for day in sorted(pairs[k].days):
                    on_date[day].append(k)
            for day, ks in sorted(on_date.items()):
                if len(ks) == 1:
                    per_date[day][x[ks[0]]] = 1
                    continue
                busy = mip.var(0, 1)  # busy >= each x: 1 exactly when the person trains that date
                for k in ks:
                    mip.row({busy: 1, x[k]: -1}, lower=0)
                per_date[day][busy] = 1
        if not per_date:
            continue
        peak = mip.var()
        for _, coefs in sorted(per_date.items()):
            mip.row({peak: 1, **{c: -v for c, v in coefs.items()}}, lower=0)
        objective[peak] = 1
    return objective, 0.0


# ----------------------------------------------------------------------------------------------
# Scoring a plan directly from the definitions (the stage values are read from here, not the MIP)


def plan_scores(inst: Instance, chosen: list[Pair]) -> dict[str, int]:
    """The eight terms of a plan in their integer scales."""
    planned: dict[tuple[str, str], int] = defaultdict(int)
    training_weeks: dict[str, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    busy_days: dict[str, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for pair in chosen:
        planned[pair.person.id, pair.session.category] += pair.session.hours
        for week, minutes in pair.week_minutes.items():
            training_weeks[pair.person.id][week] += minutes
        for day in pair.days:
            busy_days[pair.person.unit][day].add(pair.person.id)

    shortfall, largest, overload = 0, 0, 0
    for person in inst.people:
        mine = sum(max(0, person.need[c] - planned[person.id, c]) for c in CATEGORIES)
        shortfall += mine
        largest = max(largest, mine)
        if inst.policy.load_cap:
            load: dict[tuple[int, int], int] = defaultdict(int, training_weeks[person.id])
            for start, end in person.shifts:
                load[_iso_week(start)] += end - start
            overload += sum(max(0, v - inst.policy.load_cap) for v in load.values())
    return {
        "shortfall_hours": shortfall,
        "largest_shortfall_hours": largest,
        "overlap_minutes": sum(p.overlap for p in chosen),
        "rest_breaches": sum(p.rest for p in chosen),
        "overload_hours": overload,
        "unit_peak_days": sum(max((len(s) for s in days.values()), default=0) for days in busy_days.values()),
        "spend": sum(p.session.fee for p in chosen),
        "training_minutes": sum(p.minutes for p in chosen),
    }


# ----------------------------------------------------------------------------------------------
# Lexicographic solve


# Settings tried in turn on one stage. Why presolve is off first: HiGHS 1.16's presolve declared a
# held stage Infeasible although the previous stage's plan satisfies every row (the model, written as
# MPS, is Infeasible with presolve and Optimal without). A presolve that can drop feasible points could
# also cut off an optimum silently, so the proof runs without it; presolve and another seed are only
# fallbacks. Only a status of Optimal is ever accepted, so a fallback costs time, never exactness.
ATTEMPTS: tuple[dict[str, object], ...] = ({"presolve": "off"}, {}, {"presolve": "off", "random_seed": 7})


def _new_highs(seconds: float, extra: dict[str, object]) -> highspy.Highs:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 0.5)  # < 1 scaled unit: closes only on a proven integer optimum
    highs.setOptionValue("random_seed", 0)
    # no "threads": HiGHS' thread pool is global to the process, and a size other than the one it
    # started with (cesched's own LP, earlier in a test run) makes every later run fail
    highs.setOptionValue("time_limit", max(seconds, 1.0))
    for option, value in extra.items():
        highs.setOptionValue(option, value)
    return highs


Hold = tuple[dict[int, float], float]  # an earlier stage's expression and its upper limit


def _run_stage(model: Model, holds: list[Hold], coefs: dict[int, float], deadline: float) -> highspy.Highs:
    """A fresh HiGHS with every rule, every hold and this stage's objective, run until Optimal."""
    failures = []
    for extra in ATTEMPTS:
        highs = _new_highs(deadline - time.monotonic(), extra)
        model.mip.to_highs(highs)
        for expression, limit in holds:
            highs.addRow(-INF, limit, len(expression), np.array(list(expression), dtype=np.int32),
                         np.array(list(expression.values()), dtype=np.float64))
        n = len(model.mip.lower)
        costs = np.zeros(n)
        for c, v in coefs.items():
            costs[c] = v
        highs.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            if failures:
                warnings.warn(f"HiGHS needed a retry: {'; '.join(failures)}", stacklevel=2)
            return highs
        failures.append(f"{highs.modelStatusToString(status)} with {extra or 'defaults'}")
        if status == highspy.HighsModelStatus.kTimeLimit:
            break
    raise UnprovenError("HiGHS ended " + ", then ".join(failures))


def _solve_model(inst: Instance, model: Model, time_limit: float) -> tuple[dict[str, int], list[Pair]]:
    """Minimise each stage with all earlier ones held at their proven optimum.

    No warm start on purpose: with highspy 1.16, a stage given the previous plan by setSolution and
    closed in presolve reported the right objective but handed back the warm-start vector as its
    solution. The stage value is therefore always re-scored from the returned plan (plan_scores) and
    must lie within one scaled unit of the dual bound, which catches any such mismatch.
    """
    deadline = time.monotonic() + time_limit
    optimum: dict[str, int] = {}
    holds: list[Hold] = []
    chosen: list[Pair] = []
    for name in STAGES:
        coefs, constant = model.objectives[name]
        try:
            highs = _run_stage(model, holds, coefs, deadline)
        except UnprovenError as error:
            raise UnprovenError(f"stage {name}: {error}") from None
        values = np.array(highs.getSolution().col_value)
        chosen = [p for k, p in enumerate(model.pairs) if values[model.x[k]] > 0.5]
        scores = plan_scores(inst, chosen)
        value = scores[name]
        bound = highs.getInfo().mip_dual_bound + constant
        if value - bound >= 1 - 1e-6:
            raise UnprovenError(f"stage {name}: value {value} not proven (bound {bound})")
        for earlier, held in optimum.items():
            if scores[earlier] != held:
                raise UnprovenError(f"stage {name}: the plan moved {earlier} from {held} "
                                    f"to {scores[earlier]}")
        optimum[name] = value
        hold = {c: v for c, v in coefs.items() if v}
        if hold:
            holds.append((hold, value - constant + 0.5))
    return optimum, chosen


def lexicographic_plan(folder: Path, time_limit: float = 60
                       ) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """The proven lexicographic optimum in user units, and one plan reaching it (staff_id, session_id)."""
    inst = load_instance(Path(folder))
    model = build_model(inst)
    optimum, chosen = _solve_model(inst, model, time_limit)
    values = {name: optimum[name] / SCALE[name] for name in STAGES}
    return values, sorted((p.person.id, p.session.id) for p in chosen)


def lexicographic_optimum(folder: Path, time_limit: float = 60) -> dict[str, float]:
    """The proven lexicographic optimum of the eight stages, in hours, minutes, counts and CNY."""
    return lexicographic_plan(folder, time_limit)[0]
