"""Random tiny datasets in contract v1, for checking the engine against the reference MIP.

Tiny on purpose (5-14 staff, 8-20 sessions) so HiGHS proves every stage in seconds, but built so the
answer is not trivial: seats, budgets and max_absent bind, rosters mix day, evening, night and 24 h
shifts (night shifts crossing midnight and ending at 08:00 make rest breaches; a low weekly load cap
makes overload), meetings touch end-to-start, one slot crosses midnight, horizons cross ISO week 53,
meetings sit in zones other than the unit's, and the files exercise the contract's formats (BOM,
GB18030, `T` separators, free column order, blank cells, ids with leading zeros, session rows that
disagree on capacity and min_attendance).

`write_tiny(folder, seed, mode)` writes the same district for both modes of one seed; only
`shift_overlap` in policy.toml differs.

`write_tiny(folder, seed, mode, staff=N)` writes a larger district of exactly N staff (say 20-60) for
the reference to prove at size: units, venues, courses and sessions grow with N (factor N/10 on the
tiny ranges; units stay at about 3-5 people so budgets and max_absent still bind, sessions keep the
tiny seats per person) and the meetings spread over more busy days (factor sqrt(N/10)) so clashes do
not grow without end. Rosters, weekly caps and the policy are drawn as for a tiny district. Without
`staff` nothing changes: a seed writes byte for byte what it always wrote.
"""

from __future__ import annotations

import csv
import io
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path

FIELDS = ["nursing", "clinical-medicine", "primary-education", "agronomy"]
ZONES = ["seat", "town-1", "town-2"]
# (start, end) of meeting slots; 08:30-12:00 and 12:00-16:00 touch, 08:00-10:00 starts as nights end
SLOTS = [
    ("08:30", "12:00"), ("12:00", "16:00"), ("09:00", "16:00"), ("18:00", "21:00"),
    ("19:00", "21:30"), ("08:00", "10:00"), ("10:00", "12:00"), ("14:00", "17:30"),
    ("16:00", "18:00"), ("21:00", "00:30"),  # the last crosses midnight: its date and week are the start's
]
# shift kinds: (start, length in hours); night ones cross midnight or end at 08:00
SHIFTS = {
    "day": ("08:00", 8), "long": ("07:30", 12), "evening": ("16:00", 8), "night": ("00:00", 8),
    "night12": ("20:00", 12), "call": ("08:00", 24), "late": ("14:00", 9.5),
}
PATTERNS = [
    ["day", "day", "day", "day", "day", None, None],
    ["day", "evening", "night", None, "day", "evening", None],
    ["night12", "night12", None, None, "long", "long", None],
    ["call", None, None, "day", "call", None, "day"],
    ["long", "long", "late", None, "night", "night", None],
]


class _Size:
    """The ranges of one district: the tiny ones (staff=None) or the tiny ones scaled to `staff`.

    Why every tiny range is spelled here unchanged: a seed without `staff` must draw the very same
    random numbers in the same order as before sizes existed (tests/test_reference.py depends on it).
    """

    def __init__(self, staff: int | None) -> None:
        if staff is not None and staff < 5:
            raise ValueError(f"staff={staff}: at least 5")
        self.staff = staff
        self.factor = 1.0 if staff is None else staff / 10

    def scaled(self, low: int, high: int) -> tuple[int, int]:
        """A tiny range (low, high) grown by the size factor (unchanged for tiny)."""
        if self.staff is None:
            return low, high
        return max(low, round(low * self.factor)), max(high, round(high * self.factor))

    def units(self) -> tuple[int, int]:
        if self.staff is None:
            return 2, 4
        return max(2, self.staff // 5), max(4, self.staff // 3)  # about 3-5 people a unit, as tiny

    def busy_days(self) -> tuple[int, int]:
        if self.staff is None:
            return 4, 8
        spread = math.sqrt(self.factor)
        return max(4, round(4 * spread)), max(8, round(8 * spread))


def write_tiny(folder: Path, seed: int, mode: str, staff: int | None = None) -> None:
    """Write one district for `seed`; `mode` is the policy's shift_overlap ("forbid"/"allow").

    `staff=None` is the tiny district (5-14 staff); a number writes a larger one with exactly that
    many staff (see the module docstring)."""
    if mode not in ("forbid", "allow"):
        raise ValueError(mode)
    size = _Size(staff)
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    style = _Style(rng)

    zones = ZONES[: rng.randint(2, 3)]
    fields = rng.sample(FIELDS, rng.randint(2, 4))
    monday = date(2026, 11, 30) + timedelta(weeks=rng.randint(0, 30))  # 2026 has an ISO week 53
    first = monday + timedelta(days=rng.choice([0, 0, 2, 4]))
    last = monday + timedelta(days=7 * rng.randint(2, 3) - 1)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    units = _units(rng, zones, size)
    people = _staff(rng, units, fields, size)
    venues = _venues(rng, zones, size)
    courses = _courses(rng, fields, size)
    sessions = _sessions(rng, courses, venues, days, style, size)
    shifts = _shifts(rng, people, days, style)

    style.write(folder / "units.csv", ["unit_id", "name", "zone", "budget", "max_absent"], units)
    style.write(folder / "staff.csv", ["staff_id", "name", "unit_id", "field", "required_public",
                "required_professional", "done_public", "done_professional", "max_weekly_hours"],
                people, chinese=True)
    style.write(folder / "shifts.csv", ["staff_id", "start", "end"], shifts)
    style.write(folder / "courses.csv", ["course_id", "title", "category", "fields", "hours", "fee",
                "organizer"], courses)
    style.write(folder / "venues.csv", ["venue_id", "name", "zone", "capacity"], venues)
    style.write(folder / "sessions.csv", ["session_id", "course_id", "venue_id", "start", "end",
                "capacity", "min_attendance"], sessions)
    style.write(folder / "travel.csv", ["from_zone", "to_zone", "minutes"], _travel(rng, zones))
    (folder / "policy.toml").write_text(_policy(rng, mode), encoding="utf-8")


class _Style:
    """Format choices of one dataset: encoding, BOM, column order, `T` separators."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.bom = rng.random() < 0.3
        self.gb18030 = rng.random() < 0.25  # staff.csv as Excel saves it in a Chinese locale
        self.t_separator = rng.random() < 0.3
        self.shuffle = rng.random() < 0.4
        self.numeric_ids = rng.random() < 0.3  # session ids like 007: text, not numbers

    def session_id(self, i: int) -> str:
        return f"{i + 1:03d}" if self.numeric_ids else f"X{i + 1:03d}"

    def time(self, moment: datetime) -> str:
        sep = "T" if self.t_separator and self.rng.random() < 0.5 else " "
        return moment.strftime(f"%Y-%m-%d{sep}%H:%M")

    def write(self, path: Path, columns: list[str], rows: list[dict], chinese: bool = False) -> None:
        if self.shuffle:
            columns = self.rng.sample(columns, len(columns))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
        if chinese and self.gb18030:
            path.write_bytes(buffer.getvalue().encode("gb18030"))
        else:
            path.write_text(buffer.getvalue(), encoding="utf-8-sig" if self.bom else "utf-8")


def _money(rng: random.Random, low: int, high: int) -> str:
    value = rng.randrange(low, high, 10)
    return f"{value}.5" if rng.random() < 0.2 else str(value)


def _units(rng: random.Random, zones: list[str], size: _Size) -> list[dict]:
    units = []
    for i in range(rng.randint(*size.units())):
        units.append({
            "unit_id": f"U{i + 1:02d}",
            "name": f"unit {i + 1}",
            "zone": zones[i % len(zones)] if i < len(zones) else rng.choice(zones),
            "budget": rng.choice([_money(rng, 100, 700)] * 4 + ["0"]) if rng.random() < 0.5 else "",
            "max_absent": str(rng.choice([0, 1, 1, 2])) if rng.random() < 0.6 else "",
        })
    return units


def _staff(rng: random.Random, units: list[dict], fields: list[str], size: _Size) -> list[dict]:
    count = rng.randint(max(5, len(units)), 14) if size.staff is None else max(size.staff, len(units))
    names = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞", "徐强", "孙丽", "马超", "朱琳"]
    staff = []
    for i in range(count):
        unit = units[i]["unit_id"] if i < len(units) else rng.choice(units)["unit_id"]
        row = {
            "staff_id": f"{i + 1:05d}",  # leading zeros: ids are text
            "name": names[i % len(names)] + (str(i // len(names) + 1) if i >= len(names) else ""),
            "unit_id": unit,
            "field": rng.choice(fields),
            "done_public": rng.choice(["", "0", "3", "6", "3.5"]),
            "done_professional": rng.choice(["", "0", "4", "8", "12.5"]),
        }
        if rng.random() < 0.3:
            row["required_public"] = rng.choice(["6", "9", "12"])
            row["required_professional"] = rng.choice(["12", "16", "22.5"])
        if rng.random() < 0.35:
            row["max_weekly_hours"] = rng.choice(["0", "6", "6.5", "9", "12"])
        staff.append(row)
    return staff


def _venues(rng: random.Random, zones: list[str], size: _Size) -> list[dict]:
    return [
        {"venue_id": f"V{i + 1}", "name": f"room {i + 1}", "zone": zones[i % len(zones)] if i < len(zones)
         else rng.choice(zones), "capacity": str(rng.randint(2, 6))}
        for i in range(rng.randint(*size.scaled(3, 5)))
    ]


def _courses(rng: random.Random, fields: list[str], size: _Size) -> list[dict]:
    count = rng.randint(*size.scaled(4, 10))
    categories = ["public", "professional"] + [rng.choice(["public", "professional"]) for _ in range(count - 2)]
    courses = []
    for i, category in enumerate(categories):
        open_to = ""
        if rng.random() < 0.6 and (category == "professional" or rng.random() < 0.2):
            open_to = ";".join(rng.sample(fields, rng.randint(1, min(2, len(fields)))))
        courses.append({
            "course_id": f"C{i + 1:02d}",
            "title": f"{category} course {i + 1}",
            "category": category,
            "fields": open_to,
            "hours": rng.choice(["2", "3", "4", "6", "7.5", "8", "12"]),
            "fee": rng.choice(["", "0", "0", "50", "120", "200", "360", "80.5"]),
            "organizer": rng.choice(["", "HR bureau", "health bureau"]),
        })
    return courses


def _at(day: date, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute)


def _sessions(rng: random.Random, courses: list[dict], venues: list[dict], days: list[date],
              style: _Style, size: _Size) -> list[dict]:
    """8-20 sessions (tiny) of 1-3 meetings; some in touching pairs on one day (end == start)."""
    rows: list[dict] = []
    count = rng.randint(*size.scaled(8, 20))
    busy_days = rng.sample(days, min(len(days), rng.randint(*size.busy_days())))  # crowd meetings onto few days
    for i in range(count):
        course = courses[i] if i < len(courses) else rng.choice(courses)
        capacity = str(rng.randint(2, 5)) if rng.random() < 0.3 else ""
        minimum = str(rng.randint(2, 3)) if rng.random() < 0.3 else ""
        meeting_days = sorted(rng.sample(busy_days, rng.choice([1, 1, 2, 2, 3])))
        for day in meeting_days:
            start, end = rng.choice(SLOTS)
            if rng.random() < 0.1:  # rows of one session that disagree: smallest capacity, largest minimum
                capacity = rng.choice(["", str(rng.randint(2, 5))])
                minimum = rng.choice(["", "2", "3"])
            finish = _at(day, end)
            if end < start:
                finish += timedelta(days=1)
            rows.append({
                "session_id": style.session_id(i), "course_id": course["course_id"],
                "venue_id": rng.choice(venues)["venue_id"],
                "start": style.time(_at(day, start)), "end": style.time(finish),
                "capacity": capacity, "min_attendance": minimum,
            })
    return rows


def _shifts(rng: random.Random, staff: list[dict], days: list[date], style: _Style) -> list[dict]:
    """A weekly pattern per person, rotated and with random days off or swapped."""
    rows = []
    for person in staff:
        if rng.random() < 0.05:
            continue  # no roster at all: nothing to overlap, no nights, no load
        pattern = rng.choice(PATTERNS)
        offset = rng.randrange(7)
        for i, day in enumerate(days):
            kind = pattern[(i + offset) % 7]
            if rng.random() < 0.15:
                kind = rng.choice([None, *SHIFTS])
            if kind is None:
                continue
            clock, hours = SHIFTS[kind]
            start = _at(day, clock)
            rows.append({"staff_id": person["staff_id"], "start": style.time(start),
                         "end": style.time(start + timedelta(hours=hours))})
    return rows


def _travel(rng: random.Random, zones: list[str]) -> list[dict]:
    """Some pairs listed (one reversed), the rest left to default_travel_minutes."""
    rows = []
    for i, a in enumerate(zones):
        for b in zones[i + 1:]:
            if rng.random() < 0.7:
                first, second = (a, b) if rng.random() < 0.5 else (b, a)
                rows.append({"from_zone": first, "to_zone": second, "minutes": str(rng.choice([15, 30, 45, 53, 90]))})
    return rows


def _policy(rng: random.Random, mode: str) -> str:
    public = rng.choice([6, 12, 12, 30])
    professional = rng.choice([12, 24, 24, 60])
    rest = rng.choice([8, 8, 10, 12.5])
    weekly = rng.choice([0, 0, 12, 16, 24])
    load = rng.choice([20, 30, 36, 37.5, 40, 48, 0])
    travel = rng.choice([0, 30, 45])
    return (
        "[requirements]\n"
        f"public_hours = {public}\n"
        f"professional_hours = {professional}\n\n"
        "[rules]\n"
        f'shift_overlap = "{mode}"\n'
        f"rest_after_night_hours = {rest}\n"
        f"max_weekly_hours = {weekly}\n"
        f"max_weekly_load_hours = {load}\n"
        f"default_travel_minutes = {travel}\n"
    )
