"""``cesched check``: a dataset's summary and the warnings a planner should read before planning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .candidates import HOURS_SCALE, build_candidates, eligible_sessions_by_field, index_dataset
from .domain.dataset import Dataset
from .problems import Problem


@dataclass(frozen=True)
class CheckReport:
    counts: dict[str, int]
    horizon: tuple[str, str]
    supply: pd.DataFrame  # category, field, seat_hours_offered, hours_required
    warnings: tuple[Problem, ...]
    candidate_pairs: int


def check_dataset(ds: Dataset) -> CheckReport:
    """Counts, horizon, seat-hours offered against hours still required, and all warnings."""
    ix = index_dataset(ds)
    everyone = ds.model_copy(update={"staff": ds.staff.assign(done_public=0.0, done_professional=0.0)})
    reachable = build_candidates(everyone, index_dataset(everyone))
    warnings = list(ds.warnings) + _session_warnings(ds, ix, reachable) + _staff_warnings(ds, ix, reachable)
    del reachable  # one candidate set at a time: a city's is gigabytes
    pairs = build_candidates(ds, ix).n_pairs
    counts = {
        "units": len(ds.units), "staff": len(ds.staff), "shifts": len(ds.shifts),
        "courses": len(ds.courses), "venues": len(ds.venues), "sessions": len(ds.sessions),
        "meetings": len(ds.meetings),
    }
    times = pd.concat([ds.shifts["start"], ds.shifts["end"], ds.meetings["start"], ds.meetings["end"]])
    horizon = (str(times.min())[:16], str(times.max())[:16]) if len(times) else ("", "")
    return CheckReport(counts, horizon, _supply(ds), tuple(warnings), pairs)


def _session_warnings(ds: Dataset, ix, reachable) -> list[Problem]:
    by_field = eligible_sessions_by_field(ix, ds.courses)
    has_eligible = np.zeros(len(ix.session_ids), dtype=bool)
    present = np.unique(ix.staff_field)
    for f in present:
        has_eligible[by_field[f]] = True
    attendable = np.bincount(reachable.pair_session, minlength=len(ix.session_ids)) > 0
    out = []
    line = ds.sessions["line"].to_numpy()
    for k in np.flatnonzero(~has_eligible):
        out.append(Problem("warning", "sessions.csv", "nobody in staff.csv is eligible for this session's course",
                           line=int(line[k]), column="session_id", value=str(ix.session_ids[k])))
    for k in np.flatnonzero(has_eligible & ~attendable):
        out.append(Problem("warning", "sessions.csv",
                           "no eligible person can attend this session (shifts, weekly cap, budget or "
                           "min_attendance rule everyone out)",
                           line=int(line[k]), column="session_id", value=str(ix.session_ids[k])))
    return out


def _staff_warnings(ds: Dataset, ix, reachable) -> list[Problem]:
    out = []
    cat = ix.session_category[reachable.pair_session]
    line = ds.staff["line"].to_numpy()
    for c, name in ((0, "public"), (1, "professional")):
        can = np.zeros(ix.n_staff, dtype=bool)
        can[reachable.pair_staff[cat == c]] = True
        for p in np.flatnonzero((ix.need[:, c] > 0) & ~can):
            out.append(Problem("warning", "staff.csv",
                               f"person still needs {name} hours but can attend no {name} session",
                               line=int(line[p]), column="staff_id", value=str(ix.staff_ids[p]),
                               expected=f"{ix.need[p, c] / HOURS_SCALE:g} h {name}"))
    return out


def _supply(ds: Dataset) -> pd.DataFrame:
    """Seat-hours offered (capacity × credit hours) against hours still required, by category and field."""
    sessions = ds.sessions.merge(ds.courses[["course_id", "category", "fields", "hours"]], on="course_id")
    sessions["seat_hours"] = sessions["capacity"] * sessions["hours"]
    staff = ds.staff
    need_pub = (staff["required_public"] - staff["done_public"]).clip(lower=0)
    need_pro = (staff["required_professional"] - staff["done_professional"]).clip(lower=0)
    rows = [{"category": "public", "field": "(all)",
             "seat_hours_offered": float(sessions.loc[sessions["category"] == "public", "seat_hours"].sum()),
             "hours_required": float(need_pub.sum()), "staff": len(staff)}]
    pro = sessions[sessions["category"] == "professional"]
    for field in sorted(staff["field"].unique()):
        open_to = pro["fields"].map(lambda s: s == "" or field in s.split(";"))
        mask = staff["field"] == field
        rows.append({"category": "professional", "field": field,
                     "seat_hours_offered": float(pro.loc[open_to, "seat_hours"].sum()),
                     "hours_required": float(need_pro[mask].sum()), "staff": int(mask.sum())})
    return pd.DataFrame(rows)
