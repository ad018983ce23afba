"""Work rosters: the shifts each person works over the term, built as a (staff, day, layer) grid.

Each cell of the grid holds a shift type (0 = none). Layers are ordered by start time within a day
(early, afternoon/evening, late evening), so reading the grid in C order yields the shift rows sorted
by staff and start without any sort, and everything stays vectorised over people and days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _catalogue as cat
from ._calendar import MINUTES_PER_DAY, Term, hhmm
from ._district import Staff, Units


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift: clock start, length, and the grid layer it occupies."""

    start: str
    minutes: int
    layer: int


SHIFT_TYPES: dict[str, ShiftType] = {
    "hospital-day": ShiftType("08:00", 480, 0),
    "hospital-evening": ShiftType("16:00", 480, 1),  # ends 00:00 the next day
    "hospital-night": ShiftType("00:00", 480, 0),
    "doctor-call": ShiftType("16:00", 960, 1),  # on call until 08:00 the next day
    "clinic-day": ShiftType("08:00", 540, 0),
    "clinic-night": ShiftType("17:00", 900, 1),  # township on-call night until 08:00
    "school-morning": ShiftType("07:50", 250, 0),
    "school-afternoon": ShiftType("14:00", 210, 1),
    "school-evening": ShiftType("19:00", 150, 2),  # supervising evening self-study
    "office": ShiftType("08:30", 540, 0),
    "field-morning": ShiftType("08:00", 240, 0),  # spring field days of agricultural stations
    "flood-duty": ShiftType("17:30", 900, 1),  # flood-season night duty until 08:30
}
CODE = {name: k + 1 for k, name in enumerate(SHIFT_TYPES)}
START = np.array([0] + [hhmm(t.start) for t in SHIFT_TYPES.values()], dtype=np.int64)
LENGTH = np.array([0] + [t.minutes for t in SHIFT_TYPES.values()], dtype=np.int64)
LAYER = {name: t.layer for name, t in SHIFT_TYPES.items()}
N_LAYERS = 3

# Rotating three-shift cycles (D day, E evening, N night, O off) per hospital field.
CYCLES = {"nursing": "DDEENNOO", "pharmacy": "DDDEENOO", "medical-technology": "DDDEEENNOO"}
FLOOD_SEASON_DAY = 92  # 1 June, counted from the term's first day
SECONDARY_FIELDS = ("secondary-chinese", "secondary-math", "secondary-english", "secondary-science",
                    "physical-education")


@dataclass(frozen=True)
class Shifts:
    """Shift rows sorted by staff then start; times in term minutes."""

    staff: np.ndarray
    start: np.ndarray
    end: np.ndarray


def make_shifts(staff: Staff, units: Units, term: Term, rng: np.random.Generator) -> Shifts:
    """Every person's roster for the term, from their unit's category and their field."""
    grid = np.zeros((staff.unit.size, term.n_days, N_LAYERS), dtype=np.uint8)
    category = np.array([cat.UNIT_CATEGORY[k] for k in units.kind])[staff.unit]
    unit_kind = np.array(units.kind)[staff.unit]
    field = np.array(cat.FIELDS)[staff.field]
    hospital = category == "hospital"
    for cycle_field, cycle in CYCLES.items():
        _rotating(grid, np.flatnonzero(hospital & (field == cycle_field)), cycle, term, rng)
    doctors = hospital & np.isin(field, ["clinical-medicine", "traditional-chinese-medicine"])
    _doctors(grid, np.flatnonzero(doctors), term, rng)
    _weekday_days(grid, np.flatnonzero(hospital & (field == "public-health")), term)
    _health_centre(grid, np.flatnonzero(category == "health-centre"), staff, units, term, rng)
    boarding = np.isin(unit_kind, ["middle-school", "central-school"]) & np.isin(field, SECONDARY_FIELDS)
    _school(grid, np.flatnonzero(category == "school"), boarding[category == "school"], term, rng)
    _station(grid, np.flatnonzero(category == "agri-station"), "agri", term, rng)
    _station(grid, np.flatnonzero(category == "vet-station"), "vet", term, rng)
    _station(grid, np.flatnonzero(category == "water-station"), "water", term, rng)
    _leave(grid, rng)
    person, day, layer = np.nonzero(grid)
    code = grid[person, day, layer]
    start = day.astype(np.int64) * MINUTES_PER_DAY + START[code]
    return Shifts(staff=person.astype(np.int64), start=start, end=start + LENGTH[code])


def _put(grid: np.ndarray, people: np.ndarray, shift: str, on: np.ndarray) -> None:
    """Give `people` the shift on the days where `on` (people x days, or days) is true."""
    layer = LAYER[shift]
    block = grid[people, :, layer]
    on = np.broadcast_to(on, block.shape)
    block[on] = CODE[shift]
    grid[people, :, layer] = block


def _rotating(grid: np.ndarray, people: np.ndarray, cycle: str, term: Term, rng: np.random.Generator) -> None:
    """Three-shift rotation with staggered phases, so every shift of every day is staffed."""
    if people.size == 0:
        return
    letters = np.array(list(cycle))
    phase = (np.arange(people.size) + rng.integers(0, len(cycle))) % len(cycle)
    today = letters[(np.arange(term.n_days)[None, :] + phase[:, None]) % len(cycle)]
    _put(grid, people, "hospital-day", today == "D")
    _put(grid, people, "hospital-evening", today == "E")
    _put(grid, people, "hospital-night", today == "N")


def _doctors(grid: np.ndarray, people: np.ndarray, term: Term, rng: np.random.Generator) -> None:
    """Weekday day shifts plus a 24-hour call every 6-8 days, with the day after the call off."""
    if people.size == 0:
        return
    every = rng.integers(6, 9, people.size)
    phase = rng.integers(0, 8, people.size)
    days = np.arange(term.n_days)
    call = (days[None, :] + phase[:, None]) % every[:, None] == 0
    post_call = np.zeros_like(call)
    post_call[:, 1:] = call[:, :-1]
    day_shift = ((term.weekday < 5)[None, :] | call) & ~post_call
    _put(grid, people, "hospital-day", day_shift)
    _put(grid, people, "doctor-call", call)


def _weekday_days(grid: np.ndarray, people: np.ndarray, term: Term) -> None:
    """Office-like hospital staff: day shifts Monday to Friday, public holidays included."""
    if people.size:
        _put(grid, people, "hospital-day", term.weekday < 5)


def _health_centre(
    grid: np.ndarray, people: np.ndarray, staff: Staff, units: Units, term: Term, rng: np.random.Generator
) -> None:
    """Township health centres: day shifts on workdays, rota for weekends, and on-call nights."""
    if people.size == 0:
        return
    days = np.arange(term.n_days)
    rota = np.clip(units.size[staff.unit[people]] // 4, 4, 8)
    night = (days[None, :] + rng.integers(0, 10, people.size)[:, None]) % rota[:, None] == 0
    weekend_duty = (days[None, :] + rng.integers(0, 4, people.size)[:, None]) % 4 == 0
    _put(grid, people, "clinic-day", term.workday[None, :] | (~term.workday[None, :] & weekend_duty))
    _put(grid, people, "clinic-night", night)


def _school(
    grid: np.ndarray, people: np.ndarray, boarding: np.ndarray, term: Term, rng: np.random.Generator
) -> None:
    """Teachers: a fixed weekly timetable of morning and afternoon blocks on school days, and for
    secondary teachers of boarding schools one evening of self-study supervision a week."""
    if people.size == 0:
        return
    morning = rng.random((people.size, 5)) < 0.96
    afternoon = rng.random((people.size, 5)) < 0.91
    morning |= ~afternoon
    # a make-up Saturday follows the Monday timetable
    timetable_day = np.where(term.weekday < 5, term.weekday, 0)
    school_day = term.workday[None, :]
    _put(grid, people, "school-morning", school_day & morning[:, timetable_day])
    _put(grid, people, "school-afternoon", school_day & afternoon[:, timetable_day])
    evening_day = rng.integers(0, 5, people.size)
    supervises = boarding & (rng.random(people.size) < 0.8)
    evening = (term.weekday[None, :] == evening_day[:, None]) & supervises[:, None] & school_day
    _put(grid, people, "school-evening", evening)


def _station(grid: np.ndarray, people: np.ndarray, kind: str, term: Term, rng: np.random.Generator) -> None:
    """Stations keep office hours, with their season's extra work (spring field days for
    agriculture, the spring epidemic-prevention campaign for veterinarians, flood duty for water)."""
    if people.size == 0:
        return
    days = np.arange(term.n_days)
    _put(grid, people, "office", term.workday)
    saturday = term.weekday == 5
    if kind == "agri":
        season = saturday & (days >= 21) & (days < 77)
        _put(grid, people, "field-morning", season[None, :] & (rng.random((people.size, term.n_days)) < 0.4))
    elif kind == "vet":
        season = saturday & (days < 56)
        _put(grid, people, "office", season[None, :] & (rng.random((people.size, term.n_days)) < 0.3))
    else:
        phase = rng.integers(0, 5, people.size)
        duty = ((days[None, :] + phase[:, None]) % 5 == 0) & (days >= FLOOD_SEASON_DAY)[None, :]
        _put(grid, people, "flood-duty", duty)


def _leave(grid: np.ndarray, rng: np.random.Generator) -> None:
    """About one person in twelve takes a block of annual leave (5-10 days) during the term."""
    n_people, n_days = grid.shape[:2]
    takers = np.flatnonzero(rng.random(n_people) < 0.08)
    if takers.size == 0:
        return
    first = rng.integers(0, n_days - 10, takers.size)
    length = rng.integers(5, 11, takers.size)
    days = np.arange(n_days)
    away = (days[None, :] >= first[:, None]) & (days[None, :] < (first + length)[:, None])
    block = grid[takers]
    block[away] = 0
    grid[takers] = block
