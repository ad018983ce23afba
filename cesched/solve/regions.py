"""Regions for decomposition: groups of zones, so that every unit and every session has one region.

A province is planned region by region (see ``decompose.py``). Everything a rule shares is then
inside one region: budgets and ``max_absent`` belong to units, seats to sessions, and people only
attend sessions of their own region. Regions come from geography, not from the candidates (which
are what is too big to build province-wide): zones are clustered by travel minutes around medoids,
weighted by their staff, so a region is a county seat and the townships nearest to it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..candidates import zone_travel
from ..domain.dataset import Dataset

#: staff per region when none is given: about one county's public institutions
STAFF_PER_REGION = 6000
MAX_ROUNDS = 50


@dataclass(frozen=True)
class Regions:
    """Which region each unit and each session belongs to (region names are strings).

    A session at a venue in a zone where no unit is (an online classroom, a provincial training
    centre) is shared: its ``session_region`` is None and ``shared_seats`` gives each region its
    part of the seats (session_id, region, capacity).
    """

    unit_region: pd.Series  # unit_id -> region
    session_region: pd.Series  # session_id -> region, None for a shared session
    shared_seats: pd.DataFrame  # session_id, region, capacity

    @property
    def names(self) -> list[str]:
        return sorted(set(self.unit_region))

    def units_of(self, region: str) -> np.ndarray:
        return self.unit_region.index[self.unit_region.to_numpy() == region].to_numpy()

    def sessions_of(self, region: str) -> tuple[np.ndarray, pd.Series]:
        """The region's own sessions, and its seats in shared sessions (session_id -> capacity)."""
        own = self.session_region.index[self.session_region.to_numpy() == region].to_numpy()
        part = self.shared_seats[self.shared_seats["region"] == region]
        return own, pd.Series(part["capacity"].to_numpy(), index=part["session_id"].to_numpy())


def regions_from_zones(ds: Dataset, zone_region: Mapping[str, str]) -> Regions:
    """Regions from a planner's zone -> region map.

    A unit's zone left out of the map is a region of its own. A session belongs to the region of
    its first meeting's venue; when that venue's zone is in no region (no unit there and not in
    the map) the session is shared: its seats are split among the regions in proportion to their
    staff who still need hours of its category and may take its course, and a region whose part
    would be smaller than the session's min_attendance gets none (each part keeps the whole
    minimum, so any part that runs keeps the rule for the session).
    """
    unit_region = pd.Series([str(zone_region.get(z, z)) for z in ds.units["zone"]],
                            index=ds.units["unit_id"].to_numpy(), dtype=object)
    regional = set(zone_region) | set(ds.units["zone"])
    session_zone = session_zones(ds)
    session_region = pd.Series([str(zone_region.get(z, z)) if z in regional else None for z in session_zone],
                               index=session_zone.index.to_numpy(), dtype=object)
    shared = ds.sessions[session_region.isna().to_numpy()]
    return Regions(unit_region=unit_region, session_region=session_region,
                   shared_seats=_share_seats(ds, shared, unit_region))


def session_zones(ds: Dataset) -> pd.Series:
    """session_id -> zone of the venue of its first meeting (where a session 'is')."""
    venue_zone = ds.venues.set_index("venue_id")["zone"]
    first = ds.meetings.sort_values(["session_id", "start"], kind="stable").drop_duplicates("session_id")
    return first.set_index("session_id")["venue_id"].map(venue_zone).reindex(ds.sessions["session_id"])


class CourseDemand:
    """Per region, how many of the selected staff may take a course: those needing public hours for
    a public course, those needing professional hours in one of its fields for a professional one."""

    def __init__(self, ds: Dataset, names: list[str], staff_region: pd.Series, public: pd.Series,
                 professional: pd.Series):
        """``staff_region``, ``public`` and ``professional`` are aligned with ``ds.staff`` rows."""
        region = staff_region.to_numpy()
        fields = ds.staff["field"].to_numpy()
        self.public = pd.Series(region[public.to_numpy()]).value_counts().reindex(names, fill_value=0)
        prof = professional.to_numpy()
        self.by_field = pd.crosstab(fields[prof], region[prof]).reindex(columns=names, fill_value=0)
        self.courses = ds.courses.set_index("course_id")

    def of(self, course_id: str) -> np.ndarray:
        if self.courses.at[course_id, "category"] == "public":
            return self.public.to_numpy(dtype=float)
        fields = [f for f in self.courses.at[course_id, "fields"].split(";") if f] or list(self.by_field.index)
        return self.by_field.reindex(fields, fill_value=0).sum(axis=0).to_numpy(dtype=float)


def _share_seats(ds: Dataset, shared: pd.DataFrame, unit_region: pd.Series) -> pd.DataFrame:
    names = sorted(set(unit_region))
    staff = ds.staff
    demand = CourseDemand(ds, names, staff["unit_id"].map(unit_region),
                          staff["required_public"] > staff["done_public"],
                          staff["required_professional"] > staff["done_professional"])
    rows: list[tuple[str, str, int]] = []
    for sid, cid, capacity, least in shared[["session_id", "course_id", "capacity", "min_attendance"]].itertuples(
            index=False):
        parts = apportion(int(capacity), demand.of(cid), max(1, int(least)))  # a part below the minimum never runs
        rows += [(sid, names[r], int(parts[r])) for r in np.flatnonzero(parts)]
    return pd.DataFrame(rows, columns=["session_id", "region", "capacity"])


def apportion(total: int, weight: np.ndarray, smallest: int) -> np.ndarray:
    """Split ``total`` seats in proportion to ``weight`` (largest remainder), dropping parts below
    ``smallest`` (the session's min_attendance, at least 1) and splitting again among the rest."""
    weight = weight.copy()
    while weight.sum() > 0:
        share = total * weight / weight.sum()
        parts = np.floor(share).astype(np.int64)
        order = np.argsort(-(share - parts), kind="stable")
        parts[order[: total - int(parts.sum())]] += 1
        small = (parts > 0) & (parts < smallest) | (weight > 0) & (parts == 0)
        if not small.any():
            return parts
        weight[np.flatnonzero(small)[np.argmin(weight[small])]] = 0  # the least demand gives way first
    return np.zeros(weight.size, dtype=np.int64)


def partition_regions(ds: Dataset, staff_per_region: int = STAFF_PER_REGION) -> Regions:
    """Cluster zones into ``ceil(staff / staff_per_region)`` regions (at least one) by travel time.

    Weighted k-medoids: each zone goes to the nearest medoid, each medoid moves to the zone that
    minimises its region's staff-weighted travel; seeded with the busiest zone, then each next seed
    the zone with most staff far from the seeds. Deterministic.
    """
    zones = pd.Index(sorted(set(ds.units["zone"])))  # zones without units hold shared sessions
    if zones.empty:
        return regions_from_zones(ds, {})
    staff_zone = ds.staff["unit_id"].map(ds.units.set_index("unit_id")["zone"])
    weight = staff_zone.value_counts().reindex(zones, fill_value=0).to_numpy(dtype=float)
    k = max(1, min(len(zones), math.ceil(len(ds.staff) / max(1, staff_per_region))))
    travel = zone_travel(ds, zones).astype(float)
    labels = _medoid_labels(travel, weight, k)
    names = _region_names(zones, labels)
    return regions_from_zones(ds, dict(zip(zones, names)))


def _medoid_labels(travel: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    medoids = [int(np.argmax(weight))]
    while len(medoids) < k:
        near = travel[:, medoids].min(axis=1)
        score = (weight + 1e-9) * near  # zones without staff are picked only when nothing else is far
        score[medoids] = -1
        medoids.append(int(np.argmax(score)))
    labels = _nearest(travel, medoids)
    for _ in range(MAX_ROUNDS):
        new_medoids = []
        for r in range(k):
            members = np.flatnonzero(labels == r)
            cost = (travel[np.ix_(members, members)] * weight[members][:, None]).sum(axis=0)
            new_medoids.append(int(members[np.argmin(cost)]))
        new_labels = _nearest(travel, new_medoids)
        if new_medoids == medoids and np.array_equal(new_labels, labels):
            break
        medoids, labels = new_medoids, new_labels
    return labels


def _nearest(travel: np.ndarray, medoids: list[int]) -> np.ndarray:
    """Each zone's nearest medoid; a medoid always keeps itself (ties would hand every zone to the
    first medoid when no travel times are known)."""
    labels = np.argmin(travel[:, medoids], axis=1)
    labels[medoids] = np.arange(len(medoids))
    return labels


def _region_names(zones: pd.Index, labels: np.ndarray) -> list[str]:
    """Region names that a planner can read: R1, R2, ... in the order of their first zone."""
    order = {label: i for i, label in enumerate(dict.fromkeys(labels.tolist()))}
    width = max(1, math.ceil(math.log10(len(order) + 1)))
    return [f"R{order[label] + 1:0{width}d}" for label in labels]
