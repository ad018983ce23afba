"""Why a person falls short: each session they could take, why it is not in their plan, and the
smallest changes (budget, a shift, a seat) that would close the gap, each checked by re-solving.

Reasons come from the audit, the one place that defines the rules: the plan with the session added
is judged, and the rule it would break is the reason. Nothing here guesses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .audit import audit, violations_of
from .domain.dataset import Dataset
from .domain.restrict import restrict
from .solve.options import SolveOptions

#: the audit's rule → the planner's words, in the order a reason is preferred
REASONS = {
    "eligibility": "not eligible",
    "course_once": "course already taken",
    "shift_overlap": "clashes with a shift",
    "double_booking": "double booking",
    "capacity": "full",
    "min_attendance": "cancelled for low attendance",
    "weekly_cap": "weekly cap",
    "budget": "unit budget exhausted",
    "max_absent": "unit coverage limit reached",
}


@dataclass(frozen=True)
class Suggestion:
    change: str  # what to change, in words
    kind: str  # budget | shift | seats
    shortfall_before: float
    shortfall_after: float  # the person's shortfall after re-solving with the change


@dataclass(frozen=True)
class Explanation:
    staff_id: str
    shortfall: dict[str, float]  # per category
    sessions: pd.DataFrame  # session_id, course_id, category, hours, start, end, planned, reason, detail
    suggestions: tuple[Suggestion, ...]


#: rules that only the person and the session's attendees take part in: judged without the
#: person's colleagues (a unit's budget and coverage need the whole unit)
PERSONAL_RULES = tuple(rule for rule in REASONS if rule not in ("budget", "max_absent"))


def _broken(ds: Dataset, base: pd.DataFrame, staff_id: str, session_id: str,
            rules: tuple[str, ...], reports: bool = True) -> tuple[tuple[str, str] | None, object]:
    """The first of ``rules`` (in REASONS' order) that adding the session to the person's plan
    breaks, as (reason, detail), or None; and the audit of the plan with it added (None without
    ``reports``: the rules alone are judged)."""
    trial = pd.concat([base, pd.DataFrame({"staff_id": [staff_id], "session_id": [session_id]})], ignore_index=True)
    judged = audit(ds, trial) if reports else None
    v = violations_of(ds, trial) if judged is None else judged.violations
    unit_id = ds.staff_member(staff_id).unit_id
    involved = v[v["staff_id"].astype(str).str.split(";").map(lambda ids: staff_id in ids)
                 | v["session_id"].astype(str).str.split(";").map(lambda ids: session_id in ids)
                 | (v["rule"].isin(["budget", "max_absent"]) & (v["unit_id"].astype(str) == unit_id))]
    for rule in rules:
        hit = involved[involved["rule"] == rule]
        if len(hit):
            return (REASONS[rule], str(hit["detail"].iloc[0])), judged
    return None, judged


def _reason(ds: Dataset, base: pd.DataFrame, staff_id: str, session_id: str,
            overload_before: float) -> tuple[str, str]:
    """The rule adding the session to the person's plan would break, judged by the audit;
    ``overload_before`` is the person's overload hours in the base plan."""
    found, judged = _broken(ds, base, staff_id, session_id, tuple(REASONS))
    if found is not None:
        return found
    overload = float(judged.staff_report.set_index("staff_id").loc[staff_id, "overload_hours"])
    if overload > overload_before:  # only the person's own weeks can change
        return "a week already over the load limit", f"adds {overload - overload_before:g} h of overload"
    return "not chosen", "no rule blocks it: the plan is not proven optimal or the seat serves someone else first"


class _Parts:
    """The part of the dataset and plan that adding one attendance can touch, so that a reason is
    judged on a few dozen people instead of the whole district (an audit of the whole plan per
    candidate session took 134 ms at 3,000 staff and 878 ms at 20,000; benchmarks/explain.py).

    Adding (person, session) can only break the person's own rules, the session's seats and
    minimum, and the budget and coverage of the person's unit; and only violations that involve
    the person, the session or that unit give a reason. The part holds the person's unit whole
    and the session's attendees, each with their shifts and every attendance, and the sessions
    they attend: every rule the reason depends on sees all it counts. Fewer attendances elsewhere
    can break no rule but a minimum, so the sessions other than the one under test keep their
    seats but not their minimum (their other attendees may lie outside the part). A reason is
    first sought on the person and the attendees alone (``PERSONAL_RULES``: the unit's colleagues
    change none of them), the unit added only when none is broken. It also keeps
    the audit of the whole plan, made once for every person a unit's explanation goes through.
    """

    def __init__(self, ds: Dataset, base: pd.DataFrame):
        self.ds = ds
        unit_of = ds.staff.set_index("staff_id")["unit_id"]
        self.base = base.assign(unit_id=base["staff_id"].map(unit_of))
        self.colleagues = ds.staff.groupby("unit_id")["staff_id"].agg(list).to_dict()
        rows = pd.Series(np.arange(len(ds.shifts)), index=ds.shifts["staff_id"].to_numpy())
        self.shift_rows = rows.groupby(level=0).agg(list).to_dict()  # staff_id -> rows of ds.shifts
        self.attendances_of = self.base.groupby("staff_id").indices  # staff_id -> rows of base
        self.attendees_of = self.base.groupby("session_id").indices  # session_id -> rows of base
        self.sessions = ds.sessions.merge(ds.courses[["course_id", "category", "fields", "hours"]], on="course_id")
        judged = audit(ds, base)  # the whole plan, once: every person explained reads it
        self.staff_report = judged.staff_report.set_index("staff_id")
        self.spent = judged.unit_report.set_index("unit_id")["spent"].to_dict()

    def reason(self, staff_id: str, session_id: str, unit: str, overload_before: float) -> tuple[str, str]:
        """First on the person and the session's attendees alone, which settles every rule but the
        unit's budget and coverage (most sessions: a clash, a full session, a course taken); only
        when none of those blocks it, on the part with the person's whole unit."""
        attendees = self.base.iloc[self.attendees_of.get(session_id, [])]
        units = {unit} | set(attendees["unit_id"].dropna())  # (a plan's unknown staff_id has no unit)
        near = {staff_id} | set(attendees["staff_id"])
        found, _ = _broken(*self._part(near, units, session_id), staff_id, session_id, PERSONAL_RULES,
                           reports=False)
        if found is not None:
            return found
        return _reason(*self._part(near | set(self.colleagues[unit]), units, session_id), staff_id, session_id,
                       overload_before)

    def _part(self, staff: set, units: set, session_id: str) -> tuple[Dataset, pd.DataFrame]:
        """These staff with their shifts and every attendance, the sessions they attend and the
        one under test (the others' minimum lifted), and the plan's rows among them."""
        rows = [self.attendances_of[p] for p in staff if p in self.attendances_of]
        held = self.base.iloc[np.sort(np.concatenate(rows)) if rows else []]  # in the plan's order
        sessions = np.union1d(held["session_id"].to_numpy(dtype=object), np.array([session_id], dtype=object))
        others = pd.Series(0, index=pd.Index(sessions[sessions != session_id]), dtype=np.int64)
        shift_mask = np.zeros(len(self.ds.shifts), dtype=bool)
        for person in staff:
            shift_mask[self.shift_rows.get(person, [])] = True
        part = restrict(self.ds, np.array(sorted(units), dtype=object), sessions,
                        shift_mask=shift_mask, least=others, staff_ids=np.array(sorted(staff), dtype=object))
        return part, held[["staff_id", "session_id"]]


def explain_staff(ds: Dataset, assignments: pd.DataFrame, staff_id: str, *, suggest: bool = True,
                  options: SolveOptions | None = None, max_sessions: int = 200) -> Explanation:
    """Explain one person's plan; ``suggest`` re-solves with each candidate change to check it."""
    parts = _Parts(ds, assignments[["staff_id", "session_id"]].astype(str))
    return _explain(parts, staff_id, suggest, options, max_sessions)


def _explain(parts: _Parts, staff_id: str, suggest: bool, options: SolveOptions | None,
             max_sessions: int) -> Explanation:
    ds, base = parts.ds, parts.base[["staff_id", "session_id"]]
    person = ds.staff_member(staff_id)
    report = parts.staff_report.loc[staff_id]
    short = {"public": float(report["shortfall_public"]), "professional": float(report["shortfall_professional"])}
    mine = set(base["session_id"].iloc[parts.attendances_of.get(staff_id, [])])
    sessions = parts.sessions
    open_to = sessions["fields"].map(lambda f: f == "" or person.field in f.split(";"))
    wanted = sessions[sessions["category"].map(lambda c: short[c] > 0) & (open_to | sessions["category"].eq("public"))]
    rows = []
    for s in wanted.head(max_sessions).itertuples():
        if s.session_id in mine:
            rows.append((s.session_id, s.course_id, s.category, s.hours, s.start, s.end, True, "planned", ""))
            continue
        reason, detail = parts.reason(staff_id, s.session_id, person.unit_id, float(report["overload_hours"]))
        rows.append((s.session_id, s.course_id, s.category, s.hours, s.start, s.end, False, reason, detail))
    frame = pd.DataFrame(rows, columns=["session_id", "course_id", "category", "hours", "start", "end", "planned",
                                        "reason", "detail"])
    suggestions = (_suggestions(ds, base, staff_id, frame, short, parts.spent, options)
                   if suggest and sum(short.values()) else ())
    return Explanation(staff_id, short, frame, tuple(suggestions))


def _candidate_changes(ds: Dataset, staff_id: str, frame: pd.DataFrame, spent: dict[str, float]
                       ) -> list[tuple[str, str, Dataset]]:
    """At most one change of each kind, for the session that would give the most hours."""
    changes: list[tuple[str, str, Dataset]] = []
    person = ds.staff_member(staff_id)
    blocked = frame[~frame["planned"]].sort_values("hours", ascending=False)
    budget = blocked[blocked["reason"] == "unit budget exhausted"].head(1)
    for row in budget.itertuples():
        fee = float(ds.course(row.course_id).fee)
        unit_budget = float(ds.unit(person.unit_id).budget or 0)
        raise_by = max(0.0, round(fee - (unit_budget - spent.get(person.unit_id, 0.0)), 2))  # the smallest raise
        units = ds.units.copy()
        units.loc[units["unit_id"] == person.unit_id, "budget"] += raise_by
        changes.append(("budget", f"raise the budget of unit {person.unit_id} by {raise_by:g} CNY (for {row.session_id})",
                        ds.model_copy(update={"units": units})))
    full = blocked[blocked["reason"] == "full"].head(1)
    for row in full.itertuples():
        sessions = ds.sessions.copy()
        sessions.loc[sessions["session_id"] == row.session_id, "capacity"] += 1
        changes.append(("seats", f"add one seat to session {row.session_id}", ds.model_copy(update={"sessions": sessions})))
    unit_zone = ds.unit(person.unit_id).zone
    mine = ds.shifts[ds.shifts["staff_id"] == staff_id]
    tried = 0
    for row in blocked[blocked["reason"] == "clashes with a shift"].itertuples():
        clash = _clashing_shifts(ds, mine, unit_zone, row.session_id)
        if len(clash) != 1 or tried >= 2:  # one released shift must open the whole session
            continue
        tried += 1
        first = mine.loc[clash[0]]
        changes.append(("shift", f"release {staff_id} from the shift {first['start']:%Y-%m-%d %H:%M}-"
                        f"{first['end']:%Y-%m-%d %H:%M} (for {row.session_id})",
                        ds.model_copy(update={"shifts": ds.shifts.drop(index=clash).reset_index(drop=True)})))
    return changes


def _clashing_shifts(ds: Dataset, shifts: pd.DataFrame, unit_zone: str, session_id: str) -> list:
    """Index labels of the person's shifts that overlap a meeting of the session, travel-widened."""
    out: set = set()
    for m in ds.meetings[ds.meetings["session_id"] == session_id].itertuples():
        widen = pd.Timedelta(minutes=ds.travel_minutes(unit_zone, ds.venue(m.venue_id).zone))
        hit = shifts[(shifts["start"] - widen < m.end) & (shifts["end"] + widen > m.start)]
        out.update(hit.index.tolist())
    return sorted(out)


def _suggestions(ds: Dataset, base: pd.DataFrame, staff_id: str, frame: pd.DataFrame, short: dict[str, float],
                 spent: dict[str, float], options: SolveOptions | None) -> list[Suggestion]:
    from .solve import solve

    options = options or SolveOptions(time_limit_seconds=20)
    before = sum(short.values())
    out = []
    for kind, words, changed in _candidate_changes(ds, staff_id, frame, spent):
        plan = solve(changed, options, previous=base)
        after = float(plan.staff_report.set_index("staff_id").loc[staff_id, "shortfall"])
        if after < before:
            out.append(Suggestion(words, kind, before, after))
    return out


def explain_unit(ds: Dataset, assignments: pd.DataFrame, unit_id: str, top: int | None = None) -> pd.DataFrame:
    """Per short person of the unit, furthest short first: shortfall and how many of their
    sessions each reason blocks. ``top`` explains only that many (each person costs up to 200
    audits of a part: seconds each on a large district); ``attrs["short_staff"]`` counts them all."""
    parts = _Parts(ds, assignments[["staff_id", "session_id"]].astype(str))
    report = parts.staff_report.reset_index()
    short = report[(report["unit_id"] == unit_id) & (report["shortfall"] > 0)]
    rows = []
    for person in short.sort_values(["shortfall", "staff_id"], ascending=[False, True]).head(top).itertuples():
        exp = _explain(parts, person.staff_id, suggest=False, options=None, max_sessions=200)
        counts = exp.sessions.loc[~exp.sessions["planned"], "reason"].value_counts()
        rows.append({"staff_id": person.staff_id, "shortfall": person.shortfall,
                     "main_reason": counts.index[0] if len(counts) else "no session open to them",
                     **{f"n_{k.replace(' ', '_')}": int(v) for k, v in counts.items()}})
    table = pd.DataFrame(rows)
    counts = [c for c in table.columns if c.startswith("n_")]  # a reason none of them met: 0, not NaN
    table = table.fillna({c: 0 for c in counts}).astype({c: np.int64 for c in counts})
    table.attrs["short_staff"] = len(short)
    return table

