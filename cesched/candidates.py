"""The (person, session) pairs that can possibly happen, with every per-pair figure the model needs.

A pair survives when the person is eligible for the course, the session can run at all, its fee fits
the unit's budget, its meetings fit the person's weekly cap and (under ``shift_overlap = "forbid"``)
no meeting overlaps the person's travel-widened shifts. Staff are processed in blocks so memory stays
bounded on city-sized districts; all time logic is vectorised (see ``timeline``).

Integer scaling, used everywhere downstream: credit hours ×100 (``HOURS_SCALE``), money in fen
(×100, ``MONEY_SCALE``), clock time in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import range_indices
from .domain.dataset import Dataset
from .timeline import Roster, iso_week, to_minutes

HOURS_SCALE = 100
MONEY_SCALE = 100
STAFF_BLOCK = 2000


@dataclass(frozen=True)
class Indexed:
    """The dataset as integer-indexed arrays (ids → positions), shared by candidates and model."""

    staff_ids: np.ndarray
    staff_unit: np.ndarray  # unit index per staff
    staff_field: np.ndarray  # field code per staff
    need: np.ndarray  # (n_staff, 2) remaining credit hours ×100: [public, professional]
    weekly_cap: np.ndarray  # minutes per ISO week, -1 = no cap
    unit_ids: np.ndarray
    unit_zone: np.ndarray  # zone code per unit
    unit_budget: np.ndarray  # fen, -1 = no cap
    unit_max_absent: np.ndarray  # -1 = no cap
    session_ids: np.ndarray
    session_course: np.ndarray  # course index
    session_capacity: np.ndarray
    session_min: np.ndarray
    course_ids: np.ndarray
    course_category: np.ndarray  # 0 public, 1 professional
    course_hours: np.ndarray  # ×100
    course_fee: np.ndarray  # fen
    meeting_session: np.ndarray  # session index per meeting, sorted by session
    meeting_start: np.ndarray  # minutes
    meeting_end: np.ndarray
    meeting_zone: np.ndarray  # zone code of the meeting's venue
    travel: np.ndarray  # (n_zones, n_zones) minutes
    roster: Roster
    fields: np.ndarray  # field names by code
    zones: np.ndarray

    @property
    def n_staff(self) -> int:
        return len(self.staff_ids)

    @property
    def session_category(self) -> np.ndarray:
        return self.course_category[self.session_course]

    @property
    def session_hours(self) -> np.ndarray:
        return self.course_hours[self.session_course]

    @property
    def session_fee(self) -> np.ndarray:
        return self.course_fee[self.session_course]

    @property
    def session_minutes(self) -> np.ndarray:
        return np.bincount(self.meeting_session, weights=self.meeting_end - self.meeting_start,
                           minlength=len(self.session_ids)).astype(np.int64)


def _scaled(values: np.ndarray, scale: int) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * scale).astype(np.int64)


def zone_travel(ds: Dataset, zones: pd.Index) -> np.ndarray:
    """Travel minutes between every two of ``zones``: 0 within a zone, else travel.csv, else the
    policy's default."""
    travel = np.full((len(zones), len(zones)), ds.policy.rules.default_travel_minutes, dtype=np.int64)
    np.fill_diagonal(travel, 0)
    a = zones.get_indexer(ds.travel["zone_a"])
    b = zones.get_indexer(ds.travel["zone_b"])
    known = (a >= 0) & (b >= 0)  # rows naming zones no unit or venue uses change nothing
    minutes = ds.travel["minutes"].to_numpy(dtype=np.int64)[known]
    travel[a[known], b[known]] = minutes
    travel[b[known], a[known]] = minutes
    return travel


def index_dataset(ds: Dataset) -> Indexed:
    zones_all = pd.Index(sorted(set(ds.units["zone"]) | set(ds.venues["zone"])))
    unit_pos = pd.Index(ds.units["unit_id"])
    staff = ds.staff
    fields = pd.Index(sorted(staff["field"].unique()))
    req = np.stack([staff["required_public"] - staff["done_public"],
                    staff["required_professional"] - staff["done_professional"]], axis=1)
    cap = staff["max_weekly_hours"].to_numpy(dtype=float)
    sessions = ds.sessions
    courses = ds.courses
    course_pos = pd.Index(courses["course_id"])
    session_pos = pd.Index(sessions["session_id"])
    meetings = ds.meetings.assign(_s=session_pos.get_indexer(ds.meetings["session_id"]))
    meetings = meetings.sort_values(["_s", "start"], kind="stable")
    venue_zone = ds.venues.set_index("venue_id")["zone"]
    travel = zone_travel(ds, zones_all)
    staff_pos = pd.Index(staff["staff_id"])
    shifts = ds.shifts
    roster = Roster.build(staff_pos.get_indexer(shifts["staff_id"]).astype(np.int64),
                          to_minutes(shifts["start"].to_numpy()), to_minutes(shifts["end"].to_numpy()))
    return Indexed(
        staff_ids=staff["staff_id"].to_numpy(dtype=object),
        staff_unit=unit_pos.get_indexer(staff["unit_id"]).astype(np.int64),
        staff_field=fields.get_indexer(staff["field"]).astype(np.int64),
        need=np.maximum(_scaled(req, HOURS_SCALE), 0),
        # whole minutes of meetings fit a cap of h hours when they fit floor(60 h)
        weekly_cap=np.where(np.isnan(cap), -1, np.floor(np.nan_to_num(cap) * 60 + 1e-9)).astype(np.int64),
        unit_ids=ds.units["unit_id"].to_numpy(dtype=object),
        unit_zone=zones_all.get_indexer(ds.units["zone"]).astype(np.int64),
        unit_budget=np.where(ds.units["budget"].isna(), -1, _scaled(ds.units["budget"].fillna(0), MONEY_SCALE)),
        unit_max_absent=np.where(ds.units["max_absent"].isna(), -1, ds.units["max_absent"].fillna(0)).astype(np.int64),
        session_ids=sessions["session_id"].to_numpy(dtype=object),
        session_course=course_pos.get_indexer(sessions["course_id"]).astype(np.int64),
        session_capacity=sessions["capacity"].to_numpy(dtype=np.int64),
        session_min=sessions["min_attendance"].to_numpy(dtype=np.int64),
        course_ids=courses["course_id"].to_numpy(dtype=object),
        course_category=(courses["category"] == "professional").to_numpy().astype(np.int64),
        course_hours=_scaled(courses["hours"], HOURS_SCALE),
        course_fee=_scaled(courses["fee"], MONEY_SCALE),
        meeting_session=meetings["_s"].to_numpy(dtype=np.int64),
        meeting_start=to_minutes(meetings["start"].to_numpy()),
        meeting_end=to_minutes(meetings["end"].to_numpy()),
        meeting_zone=zones_all.get_indexer(meetings["venue_id"].map(venue_zone)).astype(np.int64),
        travel=travel, roster=roster, fields=fields.to_numpy(dtype=object),
        zones=zones_all.to_numpy(dtype=object),
    )


def eligible_sessions_by_field(ix: Indexed, courses: pd.DataFrame) -> list[np.ndarray]:
    """For each field code, the sessions whose course it may take (public: all; professional: listed)."""
    open_to = courses["fields"].to_numpy(dtype=object)
    cat = ix.course_category
    out = []
    for field in ix.fields:
        ok_course = np.array([c == 0 or o == "" or field in o.split(";") for c, o in zip(cat, open_to)], dtype=bool)
        out.append(np.flatnonzero(ok_course[ix.session_course]) if len(ix.session_course) else np.zeros(0, np.int64))
    return out


@dataclass(frozen=True)
class Candidates:
    """Surviving pairs (sorted by staff, then session) and their meeting-level detail.

    ``pair_*`` arrays have one entry per pair; ``pm_*`` one per (pair, meeting); ``piece_*`` one
    per part of a meeting that falls inside the person's widened shifts (allow mode only). Both
    ``pm_pair`` and ``piece_pair`` are sorted (``subset`` and the rule state rely on it).
    """

    pair_staff: np.ndarray
    pair_session: np.ndarray
    pair_overlap: np.ndarray  # minutes pulled off shifts
    pair_rest: np.ndarray  # rest breaches
    pm_pair: np.ndarray
    pm_meeting: np.ndarray
    piece_pair: np.ndarray
    piece_start: np.ndarray
    piece_end: np.ndarray
    dropped: dict[str, int]

    @property
    def n_pairs(self) -> int:
        return len(self.pair_staff)


#: a subset looks up the meeting rows of its pairs (rather than masking all rows) when it keeps
#: fewer pairs than the rows over this factor
SPARSE_SUBSET_FACTOR = 32


def _block_pairs(ix: Indexed, by_field: list[np.ndarray], staff: np.ndarray, runnable: np.ndarray,
                 min_session: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eligible pairs of a block of staff, before any time logic. ``wanted`` keys (staff × n_sessions
    + session) are kept even when the person needs nothing more (locked or previous attendances)."""
    counts = np.array([len(by_field[f]) for f in ix.staff_field[staff]], dtype=np.int64)
    p = np.repeat(staff, counts)
    s = np.concatenate([by_field[f] for f in ix.staff_field[staff]]) if len(staff) else np.zeros(0, np.int64)
    cat = ix.session_category[s]
    needs = ix.need[p, cat] > 0
    keep = runnable[s] & (needs | min_session[s] | np.isin(p * len(ix.session_ids) + s, wanted))
    budget = ix.unit_budget[ix.staff_unit[p]]
    keep &= (budget < 0) | (ix.session_fee[s] <= budget)
    return p[keep], s[keep]


def pair_keys(ix: Indexed, frame) -> np.ndarray:
    """Keys (staff × n_sessions + session) of a frame's (staff_id, session_id) rows; unknown ids dropped."""
    staff = pd.Index(ix.staff_ids).get_indexer(frame["staff_id"].astype(str).str.strip())
    session = pd.Index(ix.session_ids).get_indexer(frame["session_id"].astype(str).str.strip())
    ok = (staff >= 0) & (session >= 0)
    return np.unique(staff[ok].astype(np.int64) * len(ix.session_ids) + session[ok])


def build_candidates(ds: Dataset, ix: Indexed | None = None, wanted: np.ndarray | None = None) -> Candidates:
    ix = ix or index_dataset(ds)
    forbid = ds.policy.rules.shift_overlap == "forbid"
    # a breach starts less than R hours after the shift: for whole minutes, less than ceil(60 R)
    rest_minutes = int(np.ceil(ds.policy.rules.rest_after_night_hours * 60 - 1e-9))
    by_field = eligible_sessions_by_field(ix, ds.courses)
    runnable = (ix.session_capacity > 0) & (ix.session_min <= ix.session_capacity)
    min_session = ix.session_min > 0
    m_first = np.searchsorted(ix.meeting_session, np.arange(len(ix.session_ids)), side="left")
    m_count = np.bincount(ix.meeting_session, minlength=len(ix.session_ids))
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("p", "s", "ov", "rest", "pm_m", "pm_n", "pc_s", "pc_e", "pc_n")}
    dropped = {"shift": 0, "weekly_cap": 0, "min_attendance": 0}
    offset = 0
    for lo in range(0, ix.n_staff, STAFF_BLOCK):
        staff = np.arange(lo, min(lo + STAFF_BLOCK, ix.n_staff), dtype=np.int64)
        p, s = _block_pairs(ix, by_field, staff, runnable, min_session,
                            wanted if wanted is not None else np.zeros(0, np.int64))
        # expand to (pair, meeting)
        n_m = m_count[s]
        pm_pair = np.repeat(np.arange(len(p)), n_m)
        pm_meet = range_indices(m_first[s], n_m)
        pm_staff = p[pm_pair]
        widen = ix.travel[ix.unit_zone[ix.staff_unit[pm_staff]], ix.meeting_zone[pm_meet]]
        a, b = ix.meeting_start[pm_meet], ix.meeting_end[pm_meet]
        overlap = ix.roster.overlap_minutes(pm_staff, a, b, widen)
        bad = np.zeros(len(p), dtype=bool)
        if forbid:
            bad |= np.bincount(pm_pair, weights=overlap > 0, minlength=len(p)) > 0
            dropped["shift"] += int(bad.sum())
        cap = ix.weekly_cap[pm_staff]
        capped = (cap >= 0) & ~bad[pm_pair]  # (a pair off for its shifts needs no weekly count)
        if capped.any():
            pair_of, _, minutes = pair_week_minutes(pm_pair, iso_week(a), b - a, capped)
            over_mask = np.zeros(len(p), dtype=bool)
            over_mask[pair_of[minutes > ix.weekly_cap[p[pair_of]]]] = True
            dropped["weekly_cap"] += int((over_mask & ~bad).sum())
            bad |= over_mask
        keep = ~bad
        rest = np.zeros(len(a), np.int64)
        if rest_minutes > 0:  # counted for the pairs kept only
            live = np.flatnonzero(keep[pm_pair])
            rest[live] = ix.roster.night_ends_between(pm_staff[live], a[live] - rest_minutes, a[live])
        new_index = np.cumsum(keep) - 1 + offset
        pm_keep = keep[pm_pair]
        out["p"].append(p[keep])
        out["s"].append(s[keep])
        # int32 for tables only read, summed or indexed, never multiplied into keys (minutes off
        # shift per pair, rest breaches, meeting positions, piece times in minutes since 1970):
        # at 20,000 staff in allow mode they held 1.4 GB as int64
        out["ov"].append(np.bincount(pm_pair, weights=overlap, minlength=len(p)).astype(np.int32)[keep])
        out["rest"].append(np.bincount(pm_pair, weights=rest, minlength=len(p)).astype(np.int32)[keep])
        out["pm_m"].append(pm_meet[pm_keep].astype(np.int32))
        out["pm_n"].append(new_index[pm_pair[pm_keep]])
        if not forbid:
            coverage = ix.unit_max_absent[ix.staff_unit[pm_staff]] >= 0
            sel = np.flatnonzero(pm_keep & coverage & (overlap > 0))
            q, ps, pe = ix.roster.pieces(pm_staff[sel], a[sel], b[sel], widen[sel])
            out["pc_s"].append(ps.astype(np.int32))
            out["pc_e"].append(pe.astype(np.int32))
            out["pc_n"].append(new_index[pm_pair[sel[q]]])
        offset += int(keep.sum())
    # one table at a time, each block list freed as it is joined: joining them all at once held
    # every table twice (20,000 staff in allow mode: 2.7 GB of tables)
    cat = {k: (np.concatenate(out.pop(k)) if out[k] else np.zeros(0, np.int64)) for k in list(out)}
    by_pair = np.argsort(cat["pc_n"], kind="stable")  # pieces come grouped by travel time
    cat.update(pc_n=cat["pc_n"][by_pair], pc_s=cat["pc_s"][by_pair], pc_e=cat["pc_e"][by_pair])
    cand = Candidates(cat["p"], cat["s"], cat["ov"], cat["rest"], cat["pm_n"], cat["pm_m"],
                      cat["pc_n"], cat["pc_s"], cat["pc_e"], dropped)
    return _drop_unfillable(ix, cand)


def _drop_unfillable(ix: Indexed, cand: Candidates) -> Candidates:
    """Sessions with fewer candidates than their min_attendance can never run: drop their pairs."""
    count = np.bincount(cand.pair_session, minlength=len(ix.session_ids))
    bad = (count < ix.session_min)[cand.pair_session]
    if not bad.any():
        return cand
    out = subset(cand, ~bad)
    out.dropped["min_attendance"] = int(bad.sum())
    return out


def pair_week_minutes(pm_pair: np.ndarray, week: np.ndarray, minutes: np.ndarray, sel: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair, ISO week, minutes) with a session's meetings in one week added up (numpy, no groupby)."""
    pair, week, minutes = pm_pair[sel], week[sel], minutes[sel]
    w0 = int(week.min()) if len(week) else 0
    key = pair * 8192 + (week - w0)
    if len(key) and (key[1:] >= key[:-1]).all():
        # rows come by pair and a session's meetings by start, so equal keys are adjacent: runs
        # instead of a sort (np.unique took 7.9 of the 45 s of candidates at 20,000 staff)
        first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        uniq, total = key[first], np.add.reduceat(minutes, first).astype(np.int64)
    else:
        uniq, inv = np.unique(key, return_inverse=True)
        total = np.bincount(inv, weights=minutes).astype(np.int64) if len(inv) else np.zeros(0, np.int64)
    return uniq // 8192, uniq % 8192 + w0, total


def subset(cand: Candidates, keep: np.ndarray) -> Candidates:
    """The candidates restricted to the pairs in ``keep`` (a boolean mask), re-indexed."""
    kept = np.flatnonzero(keep)
    pm_rows, pm_pair = _rows_of(cand.pm_pair, keep, kept)
    pc_rows, pc_pair = _rows_of(cand.piece_pair, keep, kept)
    return Candidates(
        cand.pair_staff[kept], cand.pair_session[kept], cand.pair_overlap[kept], cand.pair_rest[kept],
        pm_pair, cand.pm_meeting[pm_rows], pc_pair, cand.piece_start[pc_rows], cand.piece_end[pc_rows],
        dict(cand.dropped),
    )


def _rows_of(owner: np.ndarray, keep: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a per-pair table (``owner`` = its pair, sorted) whose pair is kept, and their pairs'
    new indices. A few kept pairs (a neighbourhood step) are looked up, not masked: masking the
    meeting rows of 17.8 million pairs took 0.4 s per step at 20,000 staff."""
    if not len(owner):  # no pieces (forbid mode)
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(kept) * SPARSE_SUBSET_FACTOR < len(owner):
        lo, hi = np.searchsorted(owner, kept, side="left"), np.searchsorted(owner, kept, side="right")
        count = hi - lo
        return range_indices(lo, count), np.repeat(np.arange(len(kept)), count)
    rows = np.flatnonzero(keep[owner])
    new_index = np.cumsum(keep) - 1
    return rows, new_index[owner[rows]]


def shortfall_hours(ix: Indexed, cand: Candidates, chosen: np.ndarray) -> np.ndarray:
    """Per person, total shortfall (×100) of the plan that takes the chosen pairs."""
    cat = ix.session_category[cand.pair_session[chosen]]
    hours = ix.session_hours[cand.pair_session[chosen]]
    staff = cand.pair_staff[chosen]
    planned = np.stack([np.bincount(staff[cat == c], weights=hours[cat == c], minlength=ix.n_staff)
                        for c in (0, 1)], axis=1)
    return np.maximum(ix.need - planned, 0).sum(axis=1)
