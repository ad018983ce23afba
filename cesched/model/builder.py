"""The CP-SAT model: one Boolean per candidate pair, the hard rules, and each objective term.

Every term is an integer linear expression in internal units (credit hours ×100, minutes, fen,
counts) plus a constant offset (overload that a roster causes by itself), so the solver and the
reports can both turn it back into the user's unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..candidates import HOURS_SCALE, MONEY_SCALE, Candidates, Indexed
from ..domain.dataset import Dataset
from ..timeline import day, iso_week
from .conflicts import person_conflict_rows
from .sweep import maximal_active_sets

#: internal units per reported unit, per objective term
TERM_SCALE: dict[str, int] = {
    "shortfall_hours": HOURS_SCALE,
    "largest_shortfall_hours": HOURS_SCALE,
    "overlap_minutes": 1,
    "rest_breaches": 1,
    "overload_hours": 60,
    "unit_peak_days": 1,
    "spend": MONEY_SCALE,
    "training_minutes": 1,
}


@dataclass
class Term:
    """An objective term: ``sum(coef * var) + offset`` in internal units."""

    variables: list = field(default_factory=list)
    coefficients: list[int] = field(default_factory=list)
    offset: int = 0

    def expr(self) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.weighted_sum(self.variables, self.coefficients) + self.offset


@dataclass
class PlanModel:
    """The built model with handles the solve stage needs."""

    model: cp_model.CpModel
    x: list  # BoolVar per candidate pair
    terms: dict[str, Term]
    stats: dict[str, int]


def build_model(ds: Dataset, ix: Indexed, cand: Candidates) -> PlanModel:
    model = cp_model.CpModel()
    n = cand.n_pairs
    x = [model.new_bool_var(f"x{i}") for i in range(n)]
    stats: dict[str, int] = {"pairs": n}
    _course_once(model, x, ix, cand, stats)
    _session_seats(model, x, ix, cand, stats)
    _no_double_booking(model, x, ix, cand, stats)
    pm_week = iso_week(ix.meeting_start[cand.pm_meeting])
    pm_minutes = (ix.meeting_end - ix.meeting_start)[cand.pm_meeting]
    _weekly_cap(model, x, ix, cand, pm_week, pm_minutes, stats)
    _budget(model, x, ix, cand, stats)
    _max_absent(model, x, ix, cand, stats)
    terms = {
        **_shortfall_terms(model, x, ix, cand),
        "overlap_minutes": Term(x, cand.pair_overlap.tolist()),
        "rest_breaches": Term(x, cand.pair_rest.tolist()),
        "overload_hours": _overload_term(model, x, ds, ix, cand, pm_week, pm_minutes),
        "unit_peak_days": _peak_day_term(model, x, ix, cand),
        "spend": Term(x, ix.session_fee[cand.pair_session].tolist()),
        "training_minutes": Term(x, ix.session_minutes[cand.pair_session].tolist()),
    }
    return PlanModel(model, x, terms, stats)


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Positions grouped by equal key (keys as a 1-D int array)."""
    if not len(keys):
        return []
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    return np.split(order, bounds)


def _course_once(model, x, ix: Indexed, cand: Candidates, stats) -> None:
    key = cand.pair_staff * np.int64(len(ix.course_ids) + 1) + ix.session_course[cand.pair_session]
    count = 0
    for grp in _groups(key):
        if len(grp) > 1:
            model.add_at_most_one(x[i] for i in grp)
            count += 1
    stats["course_once_rows"] = count


def _session_seats(model, x, ix: Indexed, cand: Candidates, stats) -> None:
    """Capacity, and 'no attendees or at least min_attendance' through a runs-variable."""
    for session, grp in zip(*_session_groups(cand)):
        members = [x[i] for i in grp]
        cap = int(ix.session_capacity[session])
        low = int(ix.session_min[session])
        if low > 0:
            runs = model.new_bool_var(f"runs{session}")
            model.add(sum(members) <= min(cap, len(members)) * runs)
            model.add(sum(members) >= low * runs)
        elif len(members) > cap:
            model.add(sum(members) <= cap)
    stats["sessions_modelled"] = len(np.unique(cand.pair_session))


def _session_groups(cand: Candidates):
    groups = _groups(cand.pair_session)
    return [int(cand.pair_session[g[0]]) for g in groups], groups


def _no_double_booking(model, x, ix: Indexed, cand: Candidates, stats) -> None:
    rows, pairwise = person_conflict_rows(ix, cand.pair_staff, cand.pair_session)
    for row in rows:
        model.add_at_most_one(x[i] for i in row)
    for a, b in pairwise.tolist():
        model.add_bool_or([x[a].Not(), x[b].Not()])
    stats["clash_cliques"] = len(rows)
    stats["clash_pairs"] = len(pairwise)


def _weekly_cap(model, x, ix: Indexed, cand: Candidates, pm_week, pm_minutes, stats) -> None:
    staff = cand.pair_staff[cand.pm_pair]
    cap = ix.weekly_cap[staff]
    sel = cap >= 0
    frame = pd.DataFrame({"staff": staff[sel], "week": pm_week[sel], "pair": cand.pm_pair[sel],
                          "minutes": pm_minutes[sel]})
    frame = frame.groupby(["staff", "week", "pair"], as_index=False)["minutes"].sum()
    count = 0
    for (person, _), grp in frame.groupby(["staff", "week"], sort=False):
        limit = int(ix.weekly_cap[person])
        if grp["minutes"].sum() > limit:
            model.add(cp_model.LinearExpr.weighted_sum([x[i] for i in grp["pair"]], grp["minutes"].tolist()) <= limit)
            count += 1
    stats["weekly_cap_rows"] = count


def _budget(model, x, ix: Indexed, cand: Candidates, stats) -> None:
    unit = ix.staff_unit[cand.pair_staff]
    fee = ix.session_fee[cand.pair_session]
    count = 0
    for grp in _groups(unit):
        u = int(unit[grp[0]])
        budget = int(ix.unit_budget[u])
        if budget >= 0 and fee[grp].sum() > budget:
            paid = grp[fee[grp] > 0]
            model.add(cp_model.LinearExpr.weighted_sum([x[i] for i in paid], fee[paid].tolist()) <= budget)
            count += 1
    stats["budget_rows"] = count


def _max_absent(model, x, ix: Indexed, cand: Candidates, stats) -> None:
    """At every instant, at most max_absent of a unit's staff pulled off their widened shifts."""
    if not len(cand.piece_pair):
        stats["coverage_rows"] = 0
        return
    unit = ix.staff_unit[cand.pair_staff[cand.piece_pair]]
    count = 0
    seen: set[bytes] = set()
    for u, members in maximal_active_sets(cand.piece_start, cand.piece_end, unit):
        limit = int(ix.unit_max_absent[u])
        pairs = np.unique(cand.piece_pair[members])
        key = pairs.tobytes()
        if len(pairs) > limit and key not in seen:
            seen.add(key)
            model.add(sum(x[i] for i in pairs) <= limit)
            count += 1
    stats["coverage_rows"] = count


def _shortfall_terms(model, x, ix: Indexed, cand: Candidates) -> dict[str, Term]:
    """Shortfall per person and category, and the largest individual shortfall."""
    hours = ix.session_hours[cand.pair_session]
    cat = ix.session_category[cand.pair_session]
    total, largest = Term(), Term()
    worst = model.new_int_var(0, int(ix.need.sum(axis=1).max(initial=0)), "largest_shortfall")
    largest.variables.append(worst)
    largest.coefficients.append(1)
    key = cand.pair_staff * 2 + cat
    by_key = {int(key[g[0]]): g for g in _groups(key)}
    for person in range(ix.n_staff):
        person_sf = []
        for c in (0, 1):
            need = int(ix.need[person, c])
            if need <= 0:
                continue
            grp = by_key.get(person * 2 + c, np.zeros(0, np.int64))
            sf = model.new_int_var(max(0, need - int(hours[grp].sum())), need, f"sf{person}_{c}")
            if len(grp):
                model.add(sf + cp_model.LinearExpr.weighted_sum([x[i] for i in grp], hours[grp].tolist()) >= need)
            total.variables.append(sf)
            total.coefficients.append(1)
            person_sf.append(sf)
        if person_sf:
            model.add(worst >= sum(person_sf))
    return {"shortfall_hours": total, "largest_shortfall_hours": largest}


def _overload_term(model, x, ds: Dataset, ix: Indexed, cand: Candidates, pm_week, pm_minutes) -> Term:
    """Per person and ISO week: shift minutes + meeting minutes above the weekly load limit."""
    term = Term()
    limit = int(round(ds.policy.rules.max_weekly_load_hours * 60))
    if limit <= 0:
        return term
    s_staff, s_week, s_minutes = ix.roster.weekly_shift_minutes()
    shift_load = dict(zip(zip(s_staff.tolist(), s_week.tolist()), s_minutes.tolist()))
    frame = pd.DataFrame({"staff": cand.pair_staff[cand.pm_pair], "week": pm_week,
                          "pair": cand.pm_pair, "minutes": pm_minutes})
    frame = frame.groupby(["staff", "week", "pair"], as_index=False)["minutes"].sum()
    with_training = set()
    for (person, week), grp in frame.groupby(["staff", "week"], sort=False):
        with_training.add((person, week))
        base = shift_load.get((person, week), 0)
        if base + grp["minutes"].sum() <= limit:
            continue
        over = model.new_int_var(max(0, base - limit), base + int(grp["minutes"].sum()) - limit, f"ov{person}_{week}")
        model.add(over >= base - limit + cp_model.LinearExpr.weighted_sum(
            [x[i] for i in grp["pair"]], grp["minutes"].tolist()))
        term.variables.append(over)
        term.coefficients.append(1)
    term.offset = sum(max(0, m - limit) for k, m in shift_load.items() if k not in with_training)
    return term


def _peak_day_term(model, x, ix: Indexed, cand: Candidates) -> Term:
    """Sum over units of the most distinct staff with a meeting starting on one date."""
    term = Term()
    dates = day(ix.meeting_start[cand.pm_meeting])
    frame = pd.DataFrame({"staff": cand.pair_staff[cand.pm_pair], "date": dates, "pair": cand.pm_pair})
    frame = frame.drop_duplicates()
    frame["unit"] = ix.staff_unit[frame["staff"].to_numpy()]
    attends: dict[tuple[int, int], object] = {}
    for (person, date), grp in frame.groupby(["staff", "date"], sort=False):
        pairs = grp["pair"].tolist()
        if len(pairs) == 1:
            attends[(person, date)] = x[pairs[0]]
            continue
        d = model.new_bool_var(f"d{person}_{date}")
        for i in pairs:
            model.add_implication(x[i], d)
        attends[(person, date)] = d
    units = frame[["unit", "staff", "date"]].drop_duplicates()
    for unit, ugrp in units.groupby("unit", sort=False):
        peak = model.new_int_var(0, int(ugrp["staff"].nunique()), f"peak{unit}")
        for _, dgrp in ugrp.groupby("date", sort=False):
            model.add(peak >= sum(attends[(p, date)] for p, date in zip(dgrp["staff"], dgrp["date"])))
        term.variables.append(peak)
        term.coefficients.append(1)
    return term
