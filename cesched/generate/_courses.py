"""The course catalogue and the training market: courses, venues, and how many seats they offer.

Seats are sized from demand: each person is assumed to spread their missing hours over every course
open to them, which gives each course an expected head-count; the organizer then offers a share of
that (roughly 70-95 %), so seats are short overall but never absurdly so, and competition is real.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _catalogue as cat
from ._district import Staff, Zones

PUBLIC_HOURS_CHOICES = (1.5, 3, 3, 4.5, 6, 6, 6, 9, 12)
PROFESSIONAL_HOURS_CHOICES = (1.5, 3, 4.5, 6, 6, 6, 9, 9, 12, 12, 18)
PROFESSIONAL_FEES = (50, 80, 120, 200, 300, 360, 480, 600)
SEAT_SHARE = (0.85, 1.15)  # share of expected demand an organizer offers seats for: enough on paper,
#   so shortfall comes from rosters, timing and contention, as districts report


@dataclass(frozen=True)
class Courses:
    """Courses in id order; fields holds indices into catalogue FIELDS (empty = open to all)."""

    title: list[str]
    public: np.ndarray
    fields: list[tuple[int, ...]]
    hours: np.ndarray
    fee: np.ndarray
    organizer: list[str]
    seat_share: np.ndarray  # share of expected demand offered as seats


@dataclass(frozen=True)
class Venues:
    """Venues in id order."""

    venue_id: list[str]
    name: list[str]
    kind: list[str]
    zone: np.ndarray
    capacity: np.ndarray


def make_courses(staff: Staff, n_staff: int, rng: np.random.Generator) -> Courses:
    """Public courses for everyone, professional courses per field present, a few open to all."""
    title: list[str] = []
    public: list[bool] = []
    fields: list[tuple[int, ...]] = []
    hours: list[float] = []
    fee: list[float] = []
    organizer: list[str] = []
    n_public = min(len(cat.PUBLIC_TITLES), 12 + n_staff // 10000)
    pub_hours = _hours_with_total(rng, n_public, PUBLIC_HOURS_CHOICES, 66.0)
    for k in range(n_public):
        title.append(cat.PUBLIC_TITLES[k])
        public.append(True)
        fields.append(())
        hours.append(pub_hours[k])
        fee.append(0.0 if rng.random() < 0.85 else float(rng.choice([30, 50, 80, 120])))
        organizer.append(cat.PUBLIC_ORGANIZER)
    field_size = np.bincount(staff.field, minlength=len(cat.FIELDS))
    present = {f for f in range(len(cat.FIELDS)) if field_size[f] > 0}
    for f in sorted(present):
        name = cat.FIELDS[f]
        partner = cat.FIELDS.index(cat.PARTNER_FIELD[name])
        n_courses = int(np.clip(10 + field_size[f] // 1500, 10, 24))
        prof_hours = _hours_with_total(rng, n_courses, PROFESSIONAL_HOURS_CHOICES, 100.0)
        topics = cat.FIELD_TOPICS[name]
        for k in range(len(prof_hours)):
            joint = partner in present and rng.random() < 0.2
            title.append(_numbered(topics[k % len(topics)], k // len(topics)))
            public.append(False)
            fields.append((f, partner) if joint else (f,))
            hours.append(prof_hours[k])
            fee.append(0.0 if rng.random() < 0.6 else float(rng.choice(PROFESSIONAL_FEES)))
            organizer.append(cat.ORGANIZER_OF_FIELD[name])
    for open_title, open_organizer in cat.OPEN_PROFESSIONAL:
        title.append(open_title)
        public.append(False)
        fields.append(())
        hours.append(float(rng.choice([3.0, 4.5, 6.0])))
        fee.append(0.0 if rng.random() < 0.7 else 100.0)
        organizer.append(open_organizer)
    return Courses(
        title=title,
        public=np.array(public),
        fields=fields,
        hours=np.array(hours),
        fee=np.array(fee),
        organizer=organizer,
        seat_share=rng.uniform(*SEAT_SHARE, len(title)),
    )


def _hours_with_total(rng: np.random.Generator, n: int, choices: tuple[float, ...], total: float) -> list[float]:
    """n course lengths from the usual choices, adding courses until a person has real choice."""
    hours = [float(h) for h in rng.choice(np.array(choices, dtype=float), n)]
    while sum(hours) < total:
        hours.append(float(rng.choice(np.array(choices, dtype=float))))
    return hours


ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


def _numbered(topic: str, round_: int) -> str:
    """Distinguish repeated topics the way course catalogues do: 'Topic', 'Topic (II)', ..."""
    if round_ == 0:
        return topic
    return f"{topic} ({ROMAN[round_] if round_ < len(ROMAN) else round_ + 1})"


def course_demand(courses: Courses, staff: Staff) -> tuple[np.ndarray, np.ndarray]:
    """Expected attendees of each course if everyone spread their missing hours evenly over the
    courses open to them: person p takes a given course with chance min(1, need / hours on offer).

    Returns (attendees per course, [chance per person for a public course, for a professional one]).
    """
    n_fields = len(cat.FIELDS)
    open_hours = np.zeros(n_fields)  # professional hours on offer to each field
    for c in np.flatnonzero(~courses.public):
        reach = courses.fields[c] or tuple(range(n_fields))
        open_hours[list(reach)] += courses.hours[c]
    public_hours = courses.hours[courses.public].sum()
    p_public = np.minimum(1.0, staff.need_public() / public_hours)
    p_prof = np.minimum(1.0, staff.need_professional() / np.maximum(open_hours[staff.field], 1e-9))
    per_field = np.bincount(staff.field, weights=p_prof, minlength=n_fields)
    demand = np.empty(len(courses.title))
    for c in range(len(courses.title)):
        if courses.public[c]:
            demand[c] = p_public.sum()
        else:
            reach = courses.fields[c] or tuple(range(n_fields))
            demand[c] = per_field[list(reach)].sum()
    return demand, np.stack([p_public, p_prof])


def expected_fees(courses: Courses, staff: Staff) -> np.ndarray:
    """What each person's fees would come to if they took their share of the seats on offer."""
    n_fields = len(cat.FIELDS)
    _, (p_public, p_prof) = course_demand(courses, staff)
    priced = courses.fee * courses.seat_share
    field_fees = np.zeros(n_fields)
    for c in np.flatnonzero(~courses.public):
        field_fees[list(courses.fields[c] or tuple(range(n_fields)))] += priced[c]
    return p_public * priced[courses.public].sum() + p_prof * field_fees[staff.field]


def make_venues(zones: Zones, rng: np.random.Generator) -> Venues:
    """The county halls at each seat, a meeting room in each township, and one online classroom."""
    ids: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    zone: list[int] = []
    caps: list[int] = []
    for z in range(len(zones.name)):
        for kind in cat.SEAT_VENUES if zones.is_seat[z] else cat.TOWN_VENUES:
            pattern, low, high = cat.VENUE_KINDS[kind]
            ids.append(f"V-{zones.code[z]}-{kind}")
            names.append(pattern.format(place=zones.place[z]))
            kinds.append(kind)
            zone.append(z)
            caps.append(int(rng.integers(low, high + 1)))
    online_id, online_name, low, high = cat.ONLINE_VENUE
    ids.append(online_id)
    names.append(online_name)
    kinds.append("ONLINE")
    zone.append(len(zones.name))  # a zone of its own, ONLINE_ZONE, reached from everywhere without travel
    caps.append(int(rng.integers(low, high + 1)))
    return Venues(venue_id=ids, name=names, kind=kinds, zone=np.array(zone), capacity=np.array(caps))


@dataclass(frozen=True)
class SessionSeats:
    """Sessions before timing: which course, where, and the capacity cell (NaN = blank)."""

    course: np.ndarray
    venue: np.ndarray
    capacity_cell: np.ndarray
    capacity: np.ndarray  # effective: min(cell, venue capacity)


def plan_seats(
    courses: Courses, venues: Venues, zones: Zones, staff: Staff, unit_zone: np.ndarray, rng: np.random.Generator
) -> SessionSeats:
    """Offer sessions for each course until its seats reach the organizer's share of its demand."""
    demand, _ = course_demand(courses, staff)
    n_fields, n_zones = len(cat.FIELDS), len(zones.name)
    staff_zone = unit_zone[staff.unit]
    per_field_zone = np.zeros((n_fields, n_zones))
    np.add.at(per_field_zone, (staff.field, staff_zone), 1.0)
    seat_boost = np.where(zones.is_seat, 2.0, 1.0)
    online = len(venues.venue_id) - 1
    rooms = {o: _venue_options(o, venues, n_zones) for o in dict.fromkeys(courses.organizer)}
    parts: list[tuple[np.ndarray, ...]] = []
    for c in range(len(courses.title)):
        reach = list(courses.fields[c] or range(n_fields))
        weight = per_field_zone[reach].sum(axis=0) * seat_boost
        target = demand[c] * courses.seat_share[c]
        options, counts = rooms[courses.organizer[c]]
        low, high = cat.ORGANIZER_CLASS_SIZE[courses.organizer[c]]
        n_min = 2 if target >= 4 else 1
        small = float(np.clip(math.ceil(target / n_min), 3, low))
        chosen: list[tuple[np.ndarray, ...]] = []
        offered, done = 0.0, False
        while not done:
            have = sum(len(x[0]) for x in chosen)
            batch = max(n_min, math.ceil(1.3 * (target - offered) / low))
            zone = rng.choice(n_zones, batch, p=weight / weight.sum())
            pick = np.floor(rng.random(batch) * counts[zone]).astype(np.int64)
            venue = np.where(rng.random(batch) < 0.06, online, options[zone, pick])
            cell = rng.integers(low, high + 1, batch).astype(float)
            cell = np.minimum(cell, max(small, math.ceil((target - offered) / max(1, n_min - have))))
            venue_cap = venues.capacity[venue].astype(float)
            blank = (venue != online) & (venue_cap <= 1.5 * cell) & (rng.random(batch) < 0.6)
            cell = np.where(blank, np.nan, cell)
            eff = np.fmin(cell, venue_cap)
            cum = offered + np.cumsum(eff)
            done = cum[-1] >= target and have + batch >= n_min
            keep = _sessions_to_keep(cum, target, n_min - have) if done else batch
            chosen.append((np.full(keep, c), venue[:keep], cell[:keep], eff[:keep]))
            offered = float(cum[keep - 1])
        parts += chosen
    course, venue, cell, eff = (np.concatenate(x) for x in zip(*parts))
    return SessionSeats(course=course, venue=venue, capacity_cell=cell, capacity=eff.astype(np.int64))


def _sessions_to_keep(cum: np.ndarray, target: float, at_least: int) -> int:
    """How many of a batch of candidate sessions to keep: the count whose cumulative seats come
    nearest the target (so seats neither creep up nor fall short on average), at least at_least."""
    keep = int(np.searchsorted(cum, target)) + 1
    if keep > cum.size:
        return cum.size
    if keep >= 2 and cum[keep - 1] - target > target - cum[keep - 2]:
        keep -= 1
    return max(keep, min(at_least, cum.size), 1)


def _venue_options(organizer: str, venues: Venues, n_zones: int) -> tuple[np.ndarray, np.ndarray]:
    """For each zone, the venues this organizer books there (padded table, and how many)."""
    allowed = cat.ORGANIZER_VENUES[organizer]
    per_zone: list[list[int]] = [[] for _ in range(n_zones)]
    for v, (kind, z) in enumerate(zip(venues.kind, venues.zone)):
        if kind in allowed and kind != "ONLINE":
            per_zone[z].append(v)
    for z in range(n_zones):  # a zone without a suitable room falls back to any room there
        if not per_zone[z]:
            per_zone[z] = [v for v, vz in enumerate(venues.zone) if vz == z and venues.kind[v] != "ONLINE"]
    width = max(len(p) for p in per_zone)
    table = np.zeros((n_zones, width), dtype=np.int64)
    for z, p in enumerate(per_zone):
        table[z, : len(p)] = p
    return table, np.array([len(p) for p in per_zone])
