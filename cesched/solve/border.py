"""The cross-border pass: seats left free in one region offered to people short in the others.

Regions solved alone never send anyone across a border, so a seat one region cannot fill is lost
to the next region's short staff. After the merge, each session's free seats (capacity minus its
attendees) are split among the regions within ``BORDER_MINUTES`` of its venue, by how many of
their staff are still short of hours of its category and may take it. Each region is then solved
again with all its attendances locked: its copy of a session holds its own attendees plus its part
of the free seats. A session that already runs needs no minimum in any copy (its locked attendees
keep it at its minimum); one that does not keeps the whole minimum in every part, so any part that
runs keeps the rule. Seats, budgets and max_absent therefore hold when the regions are merged
again; the caller still audits the result and keeps it only when the audit passes and total
shortfall fell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..candidates import zone_travel
from ..domain.dataset import Dataset
from ..domain.restrict import restrict
from .regions import CourseDemand, Regions, apportion, session_zones

#: a session's free seats are offered to regions whose nearest unit is at most this far away
BORDER_MINUTES = 120


def border_datasets(ds: Dataset, regions: Regions, assignments: pd.DataFrame, staff_report: pd.DataFrame,
                    names: list[str]) -> dict[str, tuple[Dataset, pd.DataFrame]]:
    """Per region: its dataset for the second pass and its attendances to lock."""
    staff_region = ds.staff.set_index("staff_id")["unit_id"].map(regions.unit_region)
    attend_region = assignments["staff_id"].map(staff_region)
    sessions = ds.sessions.set_index("session_id")
    taken = assignments["session_id"].value_counts().reindex(sessions.index, fill_value=0)
    free = (sessions["capacity"] - taken).clip(lower=0)
    runs = taken > 0
    parts = _free_parts(ds, regions, names, sessions[free > 0], free[free > 0], runs, staff_region, staff_report)
    own = pd.crosstab(assignments["session_id"], attend_region).reindex(columns=names, fill_value=0)
    out = {}
    for r, name in enumerate(names):
        mine = own[name][own[name] > 0] if name in own else pd.Series(dtype=np.int64)
        seats = mine.add(parts[name], fill_value=0).astype(np.int64) if name in parts else mine.astype(np.int64)
        seats = seats[seats > 0]
        least = pd.Series(np.where(runs.reindex(seats.index).to_numpy(), 0,
                                   sessions["min_attendance"].reindex(seats.index).to_numpy()), index=seats.index)
        sub = restrict(ds, regions.units_of(name), np.zeros(0, dtype=object), f"region {name}, border pass",
                       seats=seats, least=least)
        locked = assignments.loc[(attend_region == name).to_numpy(), ["staff_id", "session_id"]]
        out[name] = (sub, locked.reset_index(drop=True))
    return out


def _free_parts(ds: Dataset, regions: Regions, names: list[str], sessions: pd.DataFrame, free: pd.Series,
                runs: pd.Series, staff_region: pd.Series, staff_report: pd.DataFrame) -> dict[str, pd.Series]:
    """Each region's part of every session's free seats (region -> session_id -> seats)."""
    report = staff_report.set_index("staff_id").reindex(ds.staff["staff_id"])  # aligned with ds.staff
    demand = CourseDemand(ds, names, ds.staff["staff_id"].map(staff_region), report["shortfall_public"] > 0,
                          report["shortfall_professional"] > 0)
    reach = _within_reach(ds, regions, names, sessions.index)
    rows: dict[str, dict[str, int]] = {n: {} for n in names}
    for k, (sid, cid, least) in enumerate(zip(sessions.index, sessions["course_id"], sessions["min_attendance"])):
        smallest = 1 if runs[sid] else max(1, int(least))
        split = apportion(int(free[sid]), demand.of(cid) * reach[k], smallest)
        for r in np.flatnonzero(split):
            rows[names[r]][sid] = int(split[r])
    return {n: pd.Series(v, dtype=np.int64) for n, v in rows.items() if v}


def _within_reach(ds: Dataset, regions: Regions, names: list[str], session_ids: pd.Index) -> np.ndarray:
    """1 where a session's venue is within BORDER_MINUTES of some unit of the region, else 0."""
    zones = pd.Index(sorted(set(ds.units["zone"]) | set(ds.venues["zone"])))
    travel = zone_travel(ds, zones)
    session_zone = zones.get_indexer(session_zones(ds).reindex(session_ids))
    near = np.zeros((len(session_ids), len(names)))
    for r, name in enumerate(names):
        unit_zones = zones.get_indexer(ds.units.loc[ds.units["unit_id"].isin(regions.units_of(name)), "zone"].unique())
        near[:, r] = travel[np.ix_(session_zone, unit_zones)].min(axis=1) <= BORDER_MINUTES
    return near
