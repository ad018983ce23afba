"""Zones, travel times, units and staff of the synthetic district.

A district is one county (a seat and its townships); bigger staff counts become a city or a province
of several counties, each laid out the same way, so that regions exist for decomposition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _catalogue as cat

STAFF_PER_COUNTY = 6000  # a county's public-institution staff, roughly
STAFF_PER_TOWN = 500
MAX_TOWNS = 15
PUBLIC_HOURS = 30.0  # the policy defaults the generator writes
PROFESSIONAL_HOURS = 60.0


@dataclass(frozen=True)
class Zones:
    """Places units and venues are in; index i describes zone i."""

    name: list[str]
    code: list[str]  # upper-case code used inside venue ids
    place: list[str]  # display name used inside venue names
    county: np.ndarray
    is_seat: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray


@dataclass(frozen=True)
class Units:
    """Work units in id order; index i is unit U(i+1)."""

    kind: list[str]
    name: list[str]
    zone: np.ndarray
    size: np.ndarray


@dataclass(frozen=True)
class Staff:
    """Staff in id order (grouped by unit); NaN in a float column means a blank cell."""

    unit: np.ndarray
    field: np.ndarray  # index into catalogue FIELDS
    name: list[str]
    required_public: np.ndarray
    required_professional: np.ndarray
    done_public: np.ndarray
    done_professional: np.ndarray
    max_weekly_hours: np.ndarray

    def need_public(self) -> np.ndarray:
        """Public credit hours still missing, with the policy default for a blank requirement."""
        req = np.where(np.isnan(self.required_public), PUBLIC_HOURS, self.required_public)
        return np.maximum(0.0, req - self.done_public)

    def need_professional(self) -> np.ndarray:
        """Professional credit hours still missing, with the policy default for a blank requirement."""
        req = np.where(
            np.isnan(self.required_professional), PROFESSIONAL_HOURS, self.required_professional
        )
        return np.maximum(0.0, req - self.done_professional)


def split_count(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split an integer total in proportion to weights (largest remainder), each part >= minimum."""
    weights = np.asarray(weights, dtype=float)
    free = total - minimum * weights.size
    share = free * weights / weights.sum()
    parts = np.floor(share).astype(np.int64)
    left = free - int(parts.sum())
    order = np.argsort(-(share - parts), kind="stable")
    parts[order[:left]] += 1
    return parts + minimum


def make_zones(n_staff: int, rng: np.random.Generator) -> tuple[Zones, np.ndarray]:
    """Lay out counties (a seat plus townships each) and return the zones and staff per county."""
    n_counties = max(1, math.ceil(n_staff / STAFF_PER_COUNTY))
    county_staff = split_count(n_staff, rng.uniform(0.7, 1.3, n_counties), minimum=1)
    side = math.ceil(math.sqrt(n_counties))
    names: list[str] = []
    codes: list[str] = []
    places: list[str] = []
    county, seat, xs, ys = [], [], [], []
    for c in range(n_counties):
        towns = int(np.clip(round(county_staff[c] / STAFF_PER_TOWN), 1, MAX_TOWNS))
        cx = (c % side) * 55.0 + rng.uniform(-10, 10)
        cy = (c // side) * 55.0 + rng.uniform(-10, 10)
        angle = rng.uniform(0, 2 * math.pi, towns)
        radius = rng.uniform(8, 30, towns)
        prefix, code_prefix, place_prefix = _county_labels(c, n_counties)
        names.append(f"{prefix}seat")
        codes.append(f"{code_prefix}SEAT")
        places.append(place_prefix.strip() or "District")
        county.append(c)
        seat.append(True)
        xs.append(cx)
        ys.append(cy)
        for t in range(towns):
            names.append(f"{prefix}town-{t + 1}")
            codes.append(f"{code_prefix}T{t + 1:02d}")
            places.append(f"{place_prefix}Town-{t + 1}")
            county.append(c)
            seat.append(False)
            xs.append(cx + radius[t] * math.cos(angle[t]))
            ys.append(cy + radius[t] * math.sin(angle[t]))
    zones = Zones(
        name=names,
        code=codes,
        place=places,
        county=np.array(county),
        is_seat=np.array(seat),
        x_km=np.array(xs),
        y_km=np.array(ys),
    )
    return zones, county_staff


def _county_labels(c: int, n_counties: int) -> tuple[str, str, str]:
    """Zone-name, venue-code and display prefixes of county c (none when there is one county)."""
    if n_counties == 1:
        return "", "", ""
    width = max(2, len(str(n_counties)))
    return f"c{c + 1:0{width}d}-", f"C{c + 1:0{width}d}-", f"County {c + 1} "


def travel_minutes(zones: Zones) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Road minutes for every pair of distinct zones (i < j), from their map positions.

    Short trips go at township-road speed, long ones mostly on expressways; rounded to 5 minutes.
    """
    n = len(zones.name)
    i, j = np.triu_indices(n, k=1)
    km = 1.3 * np.hypot(zones.x_km[i] - zones.x_km[j], zones.y_km[i] - zones.y_km[j])
    minutes = 10 + np.where(km <= 40, km * 1.4, 56 + (km - 40) * 0.8)
    return i, j, (np.round(minutes / 5) * 5).astype(np.int64)


def make_units(zones: Zones, county_staff: np.ndarray, rng: np.random.Generator) -> Units:
    """Units of every county with sizes that add up exactly to the county's staff."""
    kinds: list[str] = []
    names: list[str] = []
    unit_zone: list[int] = []
    sizes: list[int] = []
    for c, n_c in enumerate(county_staff):
        zone_ids = np.flatnonzero(zones.county == c)
        seat_zone, town_zones = int(zone_ids[0]), [int(z) for z in zone_ids[1:]]
        share = np.array(list(cat.CATEGORY_SHARE.values())) * rng.uniform(0.85, 1.15, 6)
        per_category = dict(zip(cat.CATEGORY_SHARE, split_count(int(n_c), share)))
        records: list[tuple[int, int, str, str, float]] = []  # (zone, order, kind, name, weight)
        for category, staff_n in per_category.items():
            if staff_n > 0:
                records += _county_units(category, int(staff_n), seat_zone, town_zones, zones, rng)
        records.sort(key=lambda r: (r[0], r[1]))
        cat_of = [cat.UNIT_CATEGORY[r[2]] for r in records]
        for category, staff_n in per_category.items():
            members = [k for k, cc in enumerate(cat_of) if cc == category]
            if not members:
                continue
            w = np.array([records[k][4] for k in members])
            for k, s in zip(members, split_count(int(staff_n), w, minimum=1)):
                records[k] = (*records[k][:4], float(s))
        for zone, _, kind, name, size in records:
            kinds.append(kind)
            names.append(name)
            unit_zone.append(zone)
            sizes.append(int(size))
    return Units(kind=kinds, name=names, zone=np.array(unit_zone), size=np.array(sizes))


_CATEGORY_ORDER = {c: k for k, c in enumerate(cat.CATEGORY_SHARE)}


def _county_units(
    category: str,
    staff_n: int,
    seat: int,
    towns: list[int],
    zones: Zones,
    rng: np.random.Generator,
) -> list[tuple[int, int, str, str, float]]:
    """The units of one category in one county, as (zone, order, kind, name, size weight)."""
    prefix = zones.place[seat] + " " if zones.place[seat] != "District" else ""
    order = _CATEGORY_ORDER[category] * 10_000
    out: list[tuple[int, int, str, str, float]] = []
    if category == "hospital":
        n = min(staff_n, 1 if staff_n < 200 else 2 if staff_n < 600 else 3)
        spec = [
            ("general-hospital", "People's Hospital", 0.6),
            ("tcm-hospital", "Hospital of Traditional Chinese Medicine", 0.25),
            ("mch-hospital", "Maternal and Child Health Hospital", 0.15),
        ]
        for k, (kind, title, w) in enumerate(spec[:n]):
            out.append((seat, order + k, kind, f"{prefix}{title}", w))
    elif category == "health-centre":
        n = min(staff_n, len(towns))
        for k, z in enumerate(towns[:n]):
            out.append((z, order, "health-centre", f"{zones.place[z]} Health Centre", rng.gamma(4.0)))
    elif category == "school":
        out += _schools(staff_n, seat, towns, zones, prefix, order, rng)
    else:
        seat_title, town_title, seat_w, per_unit = {
            "agri-station": ("Agricultural Technology Extension Centre", "Agricultural Station", 3.0, 4),
            "vet-station": ("Animal Husbandry and Veterinary Centre", "Veterinary Station", 2.0, 3),
            "water-station": ("Water Bureau Hydrology Station", "Water Station", 3.0, 6),
        }[category]
        n = min(1 + len(towns), max(1, staff_n // per_unit), staff_n)
        out.append((seat, order, category, f"{prefix}{seat_title}", seat_w))
        for z in towns[: n - 1]:
            out.append((z, order, category, f"{zones.place[z]} {town_title}", rng.uniform(0.6, 1.4)))
    return out


def _schools(
    staff_n: int,
    seat: int,
    towns: list[int],
    zones: Zones,
    prefix: str,
    order: int,
    rng: np.random.Generator,
) -> list[tuple[int, int, str, str, float]]:
    """Schools: about a third at the seat (middle and primary), the rest spread over the townships."""
    n = min(staff_n, max(1, round(staff_n / 80)))
    n_seat = max(1, math.ceil(0.35 * n))
    out: list[tuple[int, int, str, str, float]] = []
    for k in range(n_seat):
        kind = "middle-school" if k % 2 == 0 else "primary-school"
        label = "Middle School" if kind == "middle-school" else "Primary School"
        out.append((seat, order + k, kind, f"{prefix}No.{k // 2 + 1} {label}", 1.4 * rng.uniform(0.7, 1.3)))
    town_kinds = [("central-school", "Central School"), ("primary-school", "Primary School"),
                  ("middle-school", "Middle School")]
    for k in range(n - n_seat):
        z = towns[k % len(towns)]
        round_ = k // len(towns)
        kind, label = town_kinds[round_ % 3]
        suffix = f" No.{round_ // 3 + 1}" if round_ >= 3 else ""
        out.append((z, order + k, kind, f"{zones.place[z]} {label}{suffix}", rng.uniform(0.6, 1.4)))
    return out


def make_staff(units: Units, rng: np.random.Generator) -> Staff:
    """Staff of every unit: field from the unit's mix, credit already earned, a few own settings."""
    n = int(units.size.sum())
    unit = np.repeat(np.arange(len(units.kind)), units.size)
    field = np.empty(n, dtype=np.int64)
    kind_of_unit = np.array(units.kind)
    field_index = {f: k for k, f in enumerate(cat.FIELDS)}
    for kind in cat.UNIT_KINDS:
        members = np.flatnonzero(kind_of_unit[unit] == kind)
        if members.size:
            mix = cat.UNIT_FIELD_MIX[kind]
            codes = np.array([field_index[f] for f in mix])
            p = np.array(list(mix.values()))
            field[members] = codes[rng.choice(len(codes), members.size, p=p / p.sum())]
    done_public = _sprinkle(rng, n, 0.45, [3, 4.5, 6, 6, 9, 12, 12, 18, 24, 30])
    done_prof = _sprinkle(rng, n, 0.40, [6, 8, 12, 12, 16, 24, 24, 30, 36, 48, 60])
    req_pub, req_prof = _requirements(rng, n)
    max_weekly = np.where(rng.random(n) < 0.06, rng.choice([6.0, 8.0, 12.0, 16.0], n), np.nan)
    return Staff(
        unit=unit,
        field=field,
        name=_names(rng, n),
        required_public=req_pub,
        required_professional=req_prof,
        done_public=done_public,
        done_professional=done_prof,
        max_weekly_hours=max_weekly,
    )


def _sprinkle(rng: np.random.Generator, n: int, p_zero: float, values: list[float]) -> np.ndarray:
    """Credit hours already earned: zero for a share of people, else one of the usual amounts."""
    earned = rng.choice(np.array(values, dtype=float), n)
    return np.where(rng.random(n) < p_zero, 0.0, earned)


def _requirements(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Explicit requirements for a few people (part-time, newly promoted, on long leave); blank else."""
    pick = rng.random(n)
    pub = np.full(n, np.nan)
    prof = np.full(n, np.nan)
    for low, high, (p_hours, q_hours) in (
        (0.000, 0.003, (0.0, 0.0)),
        (0.003, 0.023, (24.0, 48.0)),
        (0.023, 0.038, (30.0, 60.0)),
        (0.038, 0.053, (36.0, 72.0)),
    ):
        sel = (pick >= low) & (pick < high)
        pub[sel] = p_hours
        prof[sel] = q_hours
    return pub, prof


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """Synthetic Chinese names (surname plus one or two given characters); a few left blank."""
    sur = rng.integers(0, len(cat.SURNAMES), n)
    g1 = rng.integers(0, len(cat.GIVEN_CHARS), n)
    g2 = rng.integers(0, len(cat.GIVEN_CHARS), n)
    two = rng.random(n) < 0.7
    blank = rng.random(n) < 0.005
    s, g = cat.SURNAMES, cat.GIVEN_CHARS
    return [
        "" if b else s[a] + g[x] + (g[y] if t else "")
        for a, x, y, t, b in zip(sur.tolist(), g1.tolist(), g2.tolist(), two.tolist(), blank.tolist())
    ]


def max_absent(units: Units, rng: np.random.Generator) -> np.ndarray:
    """Coverage limits: most hospitals and health centres cap absences at 5-10 % of staff; NaN = none."""
    category = np.array([cat.UNIT_CATEGORY[k] for k in units.kind])
    clinical = np.isin(category, ["hospital", "health-centre"])
    school = category == "school"
    share = np.where(clinical, rng.uniform(0.05, 0.10, len(category)), rng.uniform(0.03, 0.08, len(category)))
    limit = np.maximum(1.0, np.ceil(units.size * share))
    limit = np.where(~clinical & ~school, np.maximum(1.0, np.round(units.size * 0.2)), limit)
    p_set = np.where(clinical, 0.9, np.where(school, 0.7, 0.5))
    return np.where(rng.random(len(category)) < p_set, limit, np.nan)
