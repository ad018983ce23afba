"""The hard rules: each function returns one violation row per broken instance.

Columns: rule, staff_id, session_id, unit_id, detail, amount (see ``result.AMOUNT_UNITS``). When an
instance involves several sessions, ``session_id`` lists them joined by ";" (sorted); a rule about a
session or a unit leaves staff_id (and unit_id) blank.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..domain.dataset import Dataset
from .result import VIOLATION_COLUMNS
from .tables import PlanTables, week_of
from .timing import ShiftContact


def violations(rule: str, n: int, *, staff_id=None, session_id=None, unit_id=None, detail=None,
               amount=None) -> pd.DataFrame:
    def column(value, default):
        if value is None:
            value = default
        if np.isscalar(value):
            return np.full(n, value, dtype=object if isinstance(value, str) else float)
        return np.asarray(value)

    return pd.DataFrame({
        "rule": np.full(n, rule, dtype=object), "staff_id": column(staff_id, ""),
        "session_id": column(session_id, ""), "unit_id": column(unit_id, ""),
        "detail": column(detail, ""), "amount": column(amount, 1.0).astype(float),
    }, columns=list(VIOLATION_COLUMNS))


def _stamps(minute) -> pd.Series:
    as_time = np.asarray(minute, dtype=np.int64).astype("datetime64[m]")
    return pd.Series(np.datetime_as_string(as_time), dtype=object).str.replace("T", " ")


def clock(minute) -> str:
    """"2027-03-01 09:00" for a minute since the epoch."""
    return str(np.datetime64(int(minute), "m")).replace("T", " ")


def spans(start, end) -> np.ndarray:
    """"2027-03-01 09:00-12:00" per (start, end), with the end's date when it is another day."""
    a, b = _stamps(start), _stamps(end)
    tail = b.where(a.str[:10] != b.str[:10], b.str[11:])
    return (a + "-" + tail).to_numpy(dtype=object)


def iso_week(week) -> str:
    monday = dt.date(1970, 1, 1) + dt.timedelta(days=int(week) * 7 - 3)
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d} (from {monday.isoformat()})"


def _num(x: float) -> str:
    return f"{x:g}"


# --- the pairs themselves -------------------------------------------------------------------------
def _ids(values: pd.Series) -> np.ndarray:
    obj = values.astype(object)
    return np.array(["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
                     for v in obj], dtype=object)


def reference_rules(ds: Dataset, assignments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[pd.DataFrame]]:
    """unknown_reference and duplicate_assignment; returns the clean unique pairs as row positions."""
    missing = [c for c in ("staff_id", "session_id") if c not in assignments.columns]
    if missing:
        raise ValueError(f"assignments need columns staff_id and session_id (missing: {', '.join(missing)})")
    staff_id, session_id = _ids(assignments["staff_id"]), _ids(assignments["session_id"])
    staff = pd.Index(ds.staff["staff_id"].to_numpy(dtype=object)).get_indexer(staff_id)
    session = pd.Index(ds.sessions["session_id"].to_numpy(dtype=object)).get_indexer(session_id)
    units = ds.staff["unit_id"].to_numpy(dtype=object)
    out = []

    bad = (staff < 0) | (session < 0)
    if bad.any():
        detail = [
            "; ".join(([f"staff_id {s!r} is not in staff.csv"] if i < 0 else [])
                      + ([f"session_id {x!r} is not in sessions.csv"] if j < 0 else []))
            + f" (assignment row {row + 1})"
            for s, x, i, j, row in zip(staff_id[bad], session_id[bad], staff[bad], session[bad], np.flatnonzero(bad))
        ]
        unit = np.where(staff[bad] >= 0, units[np.maximum(staff[bad], 0)], "")
        out.append(violations("unknown_reference", int(bad.sum()), staff_id=staff_id[bad],
                              session_id=session_id[bad], unit_id=unit, detail=detail))

    pairs = pd.DataFrame({"staff": staff[~bad], "session": session[~bad]})
    copies = pairs.groupby(["staff", "session"], sort=True).size()
    twice = copies[copies > 1]
    if len(twice):
        s = twice.index.get_level_values("staff").to_numpy()
        x = twice.index.get_level_values("session").to_numpy()
        out.append(violations(
            "duplicate_assignment", len(twice), staff_id=ds.staff["staff_id"].to_numpy(dtype=object)[s],
            session_id=ds.sessions["session_id"].to_numpy(dtype=object)[x], unit_id=units[s],
            detail=[f"the pair is listed {n} times" for n in twice.to_numpy()], amount=twice.to_numpy() - 1))
    unique = copies.index
    return (unique.get_level_values("staff").to_numpy(dtype=np.int64),
            unique.get_level_values("session").to_numpy(dtype=np.int64), out)


# --- rules on the attendances ---------------------------------------------------------------------
def eligibility(tables: PlanTables) -> pd.DataFrame:
    att = tables.att
    closed = att[(att["category"] == "professional") & (att["fields"] != "")]
    combos = closed[["fields", "field"]].drop_duplicates()
    open_to = {(f, p): p in f.split(";") for f, p in zip(combos["fields"], combos["field"])}
    bad = closed[np.array([not open_to[(f, p)] for f, p in zip(closed["fields"], closed["field"])], dtype=bool)]
    detail = [f"professional course {c} is open to {f.replace(';', ', ')}, not to field {p!r}"
              for c, f, p in zip(bad["course_id"], bad["fields"], bad["field"])]
    return violations("eligibility", len(bad), staff_id=bad["staff_id"].to_numpy(),
                      session_id=bad["session_id"].to_numpy(),
                      unit_id=bad["unit_id"].to_numpy(), detail=detail)


def course_once(tables: PlanTables) -> pd.DataFrame:
    att = tables.att
    sizes = att.groupby(["staff", "course_id"], sort=True).size()
    repeated = sizes[sizes > 1]
    if repeated.empty:
        return violations("course_once", 0)
    rows = att.merge(repeated.rename("n").reset_index(), on=["staff", "course_id"])
    joined = rows.groupby(["staff", "course_id"], sort=True)["session_id"].agg(lambda s: ";".join(sorted(s)))
    n = repeated.loc[joined.index].to_numpy()
    staff = joined.index.get_level_values("staff").to_numpy()
    course = joined.index.get_level_values("course_id").to_numpy(dtype=object)
    return violations(
        "course_once", len(joined), staff_id=tables.staff["staff_id"].to_numpy()[staff],
        session_id=joined.to_numpy(dtype=object), unit_id=tables.staff["unit_id"].to_numpy()[staff],
        detail=[f"attends {k} sessions of course {c}" for k, c in zip(n, course)], amount=n - 1)


def enrolment(tables: PlanTables) -> np.ndarray:
    return np.bincount(tables.att["session"].to_numpy(), minlength=len(tables.sessions)).astype(np.int64)


def capacity_rules(tables: PlanTables) -> list[pd.DataFrame]:
    se = tables.sessions
    enrolled = enrolment(tables)
    cap, least = se["capacity"].to_numpy(), se["min_attendance"].to_numpy()
    over = np.flatnonzero(enrolled > cap)
    under = np.flatnonzero((enrolled > 0) & (enrolled < least))
    ids = se["session_id"].to_numpy()
    return [
        violations("capacity", len(over), session_id=ids[over], amount=enrolled[over] - cap[over],
                   detail=[f"{e} enrolled, capacity {c}" for e, c in zip(enrolled[over], cap[over])]),
        violations("min_attendance", len(under), session_id=ids[under], amount=least[under] - enrolled[under],
                   detail=[f"{e} enrolled, fewer than min_attendance {m} (and more than 0)"
                           for e, m in zip(enrolled[under], least[under])]),
    ]


def double_booking(tables: PlanTables) -> pd.DataFrame:
    """Meetings i, j of different sessions of one person clash iff start_i < end_j + t and
    start_j < end_i + t, t = travel between their venues' zones. With meetings sorted by (person,
    start), j after i can only clash while start_j < end_i + (longest travel), so scan forward."""
    meet, travel = tables.meet, tables.travel
    staff, session = meet["staff"].to_numpy(), meet["session"].to_numpy()
    start, end, zone = meet["start"].to_numpy(), meet["end"].to_numpy(), meet["vzone"].to_numpy()
    used = np.unique(zone)
    reach = int(travel[np.ix_(used, used)].max()) if len(used) else 0
    n = len(meet)
    found_i, found_j = [], []
    live = np.arange(n - 1)
    k = 1
    while len(live):
        j = live + k
        inside = j < n
        live, j = live[inside], j[inside]
        near = (staff[j] == staff[live]) & (start[j] < end[live] + reach)
        live, j = live[near], j[near]
        t = travel[zone[live], zone[j]]
        clash = (session[live] != session[j]) & (start[j] < end[live] + t) & (start[live] < end[j] + t)
        found_i.append(live[clash])
        found_j.append(j[clash])
        k += 1
    i = np.concatenate(found_i) if found_i else np.zeros(0, np.int64)
    j = np.concatenate(found_j) if found_j else np.zeros(0, np.int64)
    if not len(i):
        return violations("double_booking", 0)
    t = travel[zone[i], zone[j]]
    short = np.minimum(end[i] + t - start[j], end[j] + t - start[i])
    first = np.where(session[i] < session[j], i, j)
    second = np.where(session[i] < session[j], j, i)
    pairs = pd.DataFrame({"staff": staff[i], "a": session[first], "b": session[second], "short": short,
                          "i": first, "j": second, "t": t})
    worst = pairs.sort_values("short", ascending=False, kind="stable").groupby(
        ["staff", "a", "b"], sort=True).agg(short=("short", "first"), i=("i", "first"), j=("j", "first"),
                                            t=("t", "first"), n=("short", "size"))
    sid = tables.sessions["session_id"].to_numpy()
    st = worst.index.get_level_values("staff").to_numpy()
    a = worst.index.get_level_values("a").to_numpy()
    b = worst.index.get_level_values("b").to_numpy()
    venue = meet["venue_id"].to_numpy()
    p, q = worst["i"].to_numpy(), worst["j"].to_numpy()
    detail = [
        f"{sid[x]} meets {w1} at {venue[m1]} and {sid[y]} meets {w2} at {venue[m2]}, {tt} min travel apart"
        + (f" ({cnt} clashing meeting pairs)" if cnt > 1 else "")
        for x, y, m1, m2, w1, w2, tt, cnt in zip(a, b, p, q, spans(start[p], end[p]), spans(start[q], end[q]),
                                                 worst["t"], worst["n"])
    ]
    return violations("double_booking", len(worst), staff_id=tables.staff["staff_id"].to_numpy()[st],
                      session_id=[";".join(sorted((sid[x], sid[y]))) for x, y in zip(a, b)],
                      unit_id=tables.staff["unit_id"].to_numpy()[st], detail=detail, amount=worst["short"].to_numpy())


def weekly_minutes(tables: PlanTables) -> pd.DataFrame:
    """Clock minutes of attended meetings per (staff, ISO week of the meeting's start)."""
    meet = tables.meet
    frame = pd.DataFrame({"staff": meet["staff"], "week": week_of(meet["start"].to_numpy()),
                          "minutes": meet["end"] - meet["start"], "session": meet["session"]})
    return frame


def weekly_cap(tables: PlanTables) -> pd.DataFrame:
    frame = weekly_minutes(tables)
    cap = tables.staff["cap_minutes"].to_numpy()[frame["staff"].to_numpy()]
    frame = frame[~np.isnan(cap)]
    sums = frame.groupby(["staff", "week"], sort=True)["minutes"].sum()
    limit = tables.staff["cap_minutes"].to_numpy()[sums.index.get_level_values("staff").to_numpy()]
    over = sums[sums.to_numpy() > limit + 1e-9]
    if over.empty:
        return violations("weekly_cap", 0)
    limit = tables.staff["cap_minutes"].to_numpy()[over.index.get_level_values("staff").to_numpy()]
    sid = tables.sessions["session_id"].to_numpy()
    lists = frame.merge(over.rename("total").reset_index(), on=["staff", "week"]).groupby(
        ["staff", "week"], sort=True)["session"].agg(lambda s: ";".join(sorted({sid[x] for x in s})))
    staff = over.index.get_level_values("staff").to_numpy()
    week = over.index.get_level_values("week").to_numpy()
    return violations(
        "weekly_cap", len(over), staff_id=tables.staff["staff_id"].to_numpy()[staff],
        session_id=lists.to_numpy(dtype=object),
        unit_id=tables.staff["unit_id"].to_numpy()[staff], amount=(over.to_numpy() - limit) / 60,
        detail=[f"{_num(m / 60)} h of meetings start in ISO week {iso_week(w)}, cap {_num(c / 60)} h"
                for m, w, c in zip(over.to_numpy(), week, limit)])


def max_absent(tables: PlanTables, peak: np.ndarray, when: np.ndarray) -> pd.DataFrame:
    units = tables.ds.units
    limit = units["max_absent"].to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isnan(limit) & (peak > limit))
    return violations(
        "max_absent", len(bad), unit_id=units["unit_id"].to_numpy(dtype=object)[bad], amount=peak[bad] - limit[bad],
        detail=[f"{p} of its staff are pulled off their shifts at {clock(w)}, max_absent {int(m)}"
                for p, w, m in zip(peak[bad], when[bad], limit[bad])])


def unit_spend(tables: PlanTables) -> np.ndarray:
    """Fees per unit in hundredths of a CNY."""
    out = np.zeros(len(tables.ds.units), dtype=np.int64)
    np.add.at(out, tables.att["unit"].to_numpy(), tables.att["fee"].to_numpy())
    return out


def budget(tables: PlanTables) -> pd.DataFrame:
    units = tables.ds.units
    cap = units["budget"].to_numpy(dtype=float)
    spent = unit_spend(tables)
    limit = np.rint(np.nan_to_num(cap, nan=0) * 100).astype(np.int64)
    bad = np.flatnonzero(~np.isnan(cap) & (spent > limit))
    return violations(
        "budget", len(bad), unit_id=units["unit_id"].to_numpy(dtype=object)[bad],
        amount=(spent[bad] - limit[bad]) / 100,
        detail=[f"fees {_num(s / 100)} CNY, budget {_num(b / 100)} CNY" for s, b in zip(spent[bad], limit[bad])])


def shift_overlap(tables: PlanTables, contact: ShiftContact) -> pd.DataFrame:
    if tables.ds.policy.rules.shift_overlap != "forbid":
        return violations("shift_overlap", 0)
    meet, shifts = tables.meet, tables.shifts
    rows = np.flatnonzero(contact.overlap > 0)
    pieces = contact.pieces[contact.pieces["meet"].isin(rows)]
    shift = pieces["shift"].to_numpy()
    shown = pd.Series(spans(shifts["start"].to_numpy()[shift], shifts["end"].to_numpy()[shift]), dtype=object)
    owner = pieces["meet"].to_numpy()  # ascending: pieces come grouped by meeting
    several = np.isin(owner, owner[np.flatnonzero(owner[1:] == owner[:-1])])
    which = pd.concat([
        pd.Series(shown.to_numpy()[~several], index=owner[~several], dtype=object),
        shown[several].groupby(owner[several], sort=True).agg(", ".join),
    ]).reindex(rows)
    staff = meet["staff"].to_numpy()[rows]
    sid = tables.sessions["session_id"].to_numpy()[meet["session"].to_numpy()[rows]]
    when = spans(meet["start"].to_numpy()[rows], meet["end"].to_numpy()[rows])
    t = meet["t"].to_numpy()[rows]
    return violations(
        "shift_overlap", len(rows), staff_id=tables.staff["staff_id"].to_numpy()[staff], session_id=sid,
        unit_id=tables.staff["unit_id"].to_numpy()[staff], amount=contact.overlap[rows],
        detail=[f"meeting {w} overlaps shift {s} widened by {tt} min travel"
                for w, s, tt in zip(when, which.to_numpy(), t)])
