"""The CP-SAT model: one Boolean per candidate pair, the hard rules, and each objective term.

Every term is an integer linear expression in internal units (credit hours ×100, minutes, fen,
counts) plus a constant offset (overload that a roster causes by itself), so the solver and the
reports can both turn it back into the user's unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from ..candidates import HOURS_SCALE, MONEY_SCALE, Candidates, Indexed, pair_week_minutes
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
    "overload_hours": 6000,  # centi-minutes: a limit of 40.01 h is a whole 240,060
    "unit_peak_days": 1,
    "spend": MONEY_SCALE,
    "training_minutes": 1,
    "changed_staff": 1,
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
    derived: list = field(default_factory=list)  # how each auxiliary variable follows from x
    pending: dict = field(default_factory=dict)  # term name -> builder, run on first use

    def term(self, name: str) -> Term:
        """An objective term, built the first time a stage asks for it (later stages of a big
        model may never be reached, and their auxiliary variables cost build time)."""
        if name not in self.terms:
            self.terms[name] = self.pending.pop(name)()
        return self.terms[name]

    def chosen(self, solution: list[int]) -> np.ndarray:
        """The plan (a Boolean per pair) inside a full solution vector."""
        return np.asarray([solution[v.index] for v in self.x], dtype=bool)

    def complete(self, chosen: np.ndarray) -> list[int]:
        """A full solution vector for a plan given by its pairs: aux variables at their tightest.

        Hints must be complete plans for CP-SAT to take them at once; this also lets a plan found
        outside CP-SAT (the desk, a neighbourhood search) be held as a stage's incumbent.
        """
        values = np.zeros(len(self.model.proto.variables), dtype=np.int64)
        values[[v.index for v in self.x]] = chosen.astype(np.int64)
        for kind, var, *data in self.derived:
            if kind == "any":
                values[var.index] = int(values[data[0]].max(initial=0))
            elif kind == "linear":  # max(floor, const + coef . values)
                floor, const, idx, coef = data
                values[var.index] = max(floor, const + int(np.dot(values[idx], coef)))
            elif kind == "max_of_sums":  # max(floor, max over groups of (constant +) the group's sum)
                groups, floor, *plus = data
                extra = plus[0] if plus else [0] * len(groups)
                values[var.index] = max([int(values[g].sum()) + k for g, k in zip(groups, extra)] + [floor])
            elif kind == "changed":  # 1 if a new pair is taken or a previous pair is dropped
                added, kept = data
                values[var.index] = int(values[added].max(initial=0) > 0 or (values[kept] == 0).any())
        return values.tolist()


ALL_TERMS = tuple(TERM_SCALE)


@dataclass(frozen=True)
class Surroundings:
    """What a neighbourhood's model must know of the plan around it for its terms to equal the
    whole plan's (up to a constant): the two terms that are maxima, not sums, over people.

    ``freed``: per person, whether the neighbourhood decides their attendances (everyone else's
    are fixed); ``largest_floor``: the largest shortfall (internal units) among the people not
    freed; ``day_counts``: per (unit, day) of a unit with freed staff, how many of its staff not
    freed have a meeting starting that day.
    """

    freed: np.ndarray
    largest_floor: int
    day_counts: dict[tuple[int, int], int]


def build_model(ds: Dataset, ix: Indexed, cand: Candidates, terms: tuple[str, ...] = ALL_TERMS,
                fixed: np.ndarray | None = None, previous: np.ndarray | None = None,
                previous_lost: np.ndarray | None = None, around: Surroundings | None = None) -> PlanModel:
    """The model over ``cand``; only the objective ``terms`` asked for are built (neighbourhood
    searches need shortfall alone), and pairs marked in ``fixed`` are forced into the plan.
    ``previous`` marks the pairs of a previous plan and ``previous_lost`` counts, per person, its
    pairs that are no longer possible; together they define the ``changed_staff`` term.
    ``around`` makes the model a neighbourhood of a whole plan (see ``Surroundings``)."""
    model = cp_model.CpModel()
    n = cand.n_pairs
    x = [model.new_bool_var(f"x{i}") for i in range(n)]
    stats: dict[str, int] = {"pairs": n, "fixed_pairs": 0}
    if fixed is not None:
        for i in np.flatnonzero(fixed).tolist():
            model.add(x[i] == 1)
        stats["fixed_pairs"] = int(fixed.sum())
    derived: list = []
    _course_once(model, x, ix, cand, stats)
    _session_seats(model, x, ix, cand, stats, derived)
    _no_double_booking(model, x, ix, cand, stats)
    pm_week = iso_week(ix.meeting_start[cand.pm_meeting])
    pm_minutes = (ix.meeting_end - ix.meeting_start)[cand.pm_meeting]
    _weekly_cap(model, x, ix, cand, pm_week, pm_minutes, stats)
    _budget(model, x, ix, cand, stats)
    _max_absent(model, x, ix, cand, stats)
    builders = {
        "overlap_minutes": lambda: Term(x, cand.pair_overlap.tolist()),
        "rest_breaches": lambda: Term(x, cand.pair_rest.tolist()),
        "overload_hours": lambda: _overload_term(model, x, ds, ix, cand, pm_week, pm_minutes, derived,
                                                 around is not None),
        "unit_peak_days": lambda: _peak_day_term(model, x, ix, cand, derived, around),
        "spend": lambda: Term(x, ix.session_fee[cand.pair_session].tolist()),
        "training_minutes": lambda: Term(x, ix.session_minutes[cand.pair_session].tolist()),
        "changed_staff": lambda: _changed_staff_term(model, x, ix, cand, previous, previous_lost, derived),
    }
    built = _shortfall_terms(model, x, ix, cand, derived, "largest_shortfall_hours" in terms, around)
    pending = {t: make for t, make in builders.items() if t in terms}
    return PlanModel(model, x, {t: v for t, v in built.items() if t in terms}, stats, derived, pending)


def key_runs(*keys: np.ndarray) -> tuple[np.ndarray, list[int], list[int]]:
    """Sort order and [start, end) bounds of runs of equal key tuples (numpy, no pandas groupby)."""
    if not len(keys[0]):
        return np.zeros(0, np.int64), [], []
    order = np.lexsort(keys[::-1])
    change = np.zeros(len(order), dtype=bool)
    change[0] = True
    for k in keys:
        ks = k[order]
        change[1:] |= ks[1:] != ks[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(order))
    return order, starts.tolist(), ends.tolist()


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


def _session_seats(model, x, ix: Indexed, cand: Candidates, stats, derived) -> None:
    """Capacity, and 'no attendees or at least min_attendance' through a runs-variable."""
    for session, grp in zip(*_session_groups(cand)):
        members = [x[i] for i in grp]
        cap = int(ix.session_capacity[session])
        low = int(ix.session_min[session])
        if low > 0:
            runs = model.new_bool_var(f"runs{session}")
            model.add(sum(members) <= min(cap, len(members)) * runs)
            model.add(sum(members) >= low * runs)
            for member in members:  # redundant, but it tightens the LP relaxation
                model.add_implication(member, runs)
            derived.append(("any", runs, [m.index for m in members]))
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
    sel = ix.weekly_cap[cand.pair_staff[cand.pm_pair]] >= 0
    pair, week, minutes = pair_week_minutes(cand.pm_pair, pm_week, pm_minutes, sel)
    staff = cand.pair_staff[pair]
    order, starts, ends = key_runs(staff, week)
    pair_o, min_o, staff_o = pair[order].tolist(), minutes[order].tolist(), staff[order].tolist()
    count = 0
    for a, b in zip(starts, ends):
        limit = int(ix.weekly_cap[staff_o[a]])
        if sum(min_o[a:b]) > limit:
            model.add(cp_model.LinearExpr.weighted_sum([x[i] for i in pair_o[a:b]], min_o[a:b]) <= limit)
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


def _shortfall_terms(model, x, ix: Indexed, cand: Candidates, derived, largest: bool,
                     around: Surroundings | None = None) -> dict[str, Term]:
    """Shortfall per person and category and, if asked for, the largest individual shortfall
    (a neighbourhood step needs shortfall alone, and the largest's rows cost a step's build time).

    People with no candidate pair keep their whole need: a constant, not a variable. In a
    neighbourhood (``around``) the largest runs over the freed people and the floor the others set.
    """
    cat = ix.session_category[cand.pair_session]
    # a session can close at most the need: min(hours, need) is exact and a much tighter LP
    gain = np.minimum(ix.session_hours[cand.pair_session], ix.need[cand.pair_staff, cat]).tolist()
    order, starts, ends = key_runs(cand.pair_staff, cat)
    order_l, key_o = order.tolist(), (cand.pair_staff * 2 + cat)[order].tolist()
    runs = {key_o[a]: order_l[a:b] for a, b in zip(starts, ends)}
    present = np.unique(cand.pair_staff)
    absent_need = ix.need.sum(axis=1)
    absent_need[present] = 0
    total = Term(offset=int(absent_need.sum()))
    needs = ix.need.tolist()
    person_sf: list[list] = []
    person_of_sf: list[int] = []
    for person in present.tolist():
        mine = []
        for c in (0, 1):
            need = needs[person][c]
            if need <= 0:
                continue
            grp = runs.get(person * 2 + c, [])
            coef = [gain[i] for i in grp]
            sf = model.new_int_var(max(0, need - sum(coef)), need, f"sf{person}_{c}")
            if grp:
                model.add(sf + cp_model.LinearExpr.weighted_sum([x[i] for i in grp], coef) >= need)
            derived.append(("linear", sf, 0, need, [x[i].index for i in grp], [-g for g in coef]))
            mine.append(sf)
        if mine:
            person_sf.append(mine)
            person_of_sf.append(person)
    total.variables = [sf for mine in person_sf for sf in mine]
    total.coefficients = [1] * len(total.variables)
    terms = {"shortfall_hours": total}
    if largest:
        if around is None:
            floor = int(absent_need.max(initial=0))
        else:  # freed people without a pair keep their need; the others' shortfall is fixed
            freed = around.freed.copy()
            freed[present] = False
            floor = max(around.largest_floor, int(ix.need.sum(axis=1)[freed].max(initial=0)))
            person_sf = [mine for person, mine in zip(person_of_sf, person_sf) if around.freed[person]]
        worst = model.new_int_var(floor, max(floor, int(ix.need.sum(axis=1).max(initial=0))), "largest_shortfall")
        for mine in person_sf:
            model.add(worst >= sum(mine))
        derived.append(("max_of_sums", worst, [[v.index for v in mine] for mine in person_sf], floor))
        terms["largest_shortfall_hours"] = Term([worst], [1])
    return terms


def _overload_term(model, x, ds: Dataset, ix: Indexed, cand: Candidates, pm_week, pm_minutes, derived,
                   local: bool = False) -> Term:
    """Per person and ISO week: shift minutes + meeting minutes above the weekly load limit. A
    ``local`` (neighbourhood) model leaves out the roster-only overload of people without a pair
    in it: a constant of the whole plan it has no use for."""
    term = Term()
    limit = int(round(ds.policy.rules.max_weekly_load_hours * 6000))  # centi-minutes, exact to 0.01 h
    if limit <= 0:
        return term
    s_staff, s_week, s_minutes = ix.roster.weekly_shift_minutes()
    if local:
        present = np.zeros(ix.n_staff, dtype=bool)
        present[cand.pair_staff] = True
        mine = present[s_staff]
        s_staff, s_week, s_minutes = s_staff[mine], s_week[mine], s_minutes[mine]
    shift_load = dict(zip(zip(s_staff.tolist(), s_week.tolist()), (100 * s_minutes).tolist()))
    pair, week, minutes = pair_week_minutes(cand.pm_pair, pm_week, 100 * pm_minutes, np.ones(len(pm_week), dtype=bool))
    staff = cand.pair_staff[pair]
    order, starts, ends = key_runs(staff, week)
    pair_o, min_o = pair[order].tolist(), minutes[order].tolist()
    staff_o, week_o = staff[order].tolist(), week[order].tolist()
    with_training = set()
    for a, b in zip(starts, ends):
        key = (staff_o[a], week_o[a])
        with_training.add(key)
        base = shift_load.get(key, 0)
        extra = sum(min_o[a:b])
        if base + extra <= limit:
            continue
        over = model.new_int_var(max(0, base - limit), base + extra - limit, f"ov{key[0]}_{key[1]}")
        members = [x[i] for i in pair_o[a:b]]
        model.add(over >= base - limit + cp_model.LinearExpr.weighted_sum(members, min_o[a:b]))
        derived.append(("linear", over, max(0, base - limit), base - limit, [m.index for m in members], min_o[a:b]))
        term.variables.append(over)
        term.coefficients.append(1)
    term.offset = sum(max(0, m - limit) for k, m in shift_load.items() if k not in with_training)
    return term


def _peak_day_term(model, x, ix: Indexed, cand: Candidates, derived, around: Surroundings | None = None) -> Term:
    """Sum over units of the most distinct staff with a meeting starting on one date. In a
    neighbourhood (``around``) over the freed people's attendances, on top of the fixed day counts
    of the rest of their units (units without freed staff are left out: their peaks are fixed)."""
    term = Term()
    date = day(ix.meeting_start[cand.pm_meeting])
    d0 = int(date.min()) if len(date) else 0
    if around is not None:
        d0 = min([d0] + [d for _, d in around.day_counts])
    uniq = np.unique(cand.pm_pair * 65536 + (date - d0))
    pair, date = uniq // 65536, uniq % 65536
    staff = cand.pair_staff[pair]
    if around is not None:
        mine = around.freed[staff]
        pair, date, staff = pair[mine], date[mine], staff[mine]
    order, starts, ends = key_runs(staff, date)
    pair_o, staff_o, date_o = pair[order].tolist(), staff[order].tolist(), date[order].tolist()
    attend_vars, attend_staff, attend_date = [], [], []
    for a, b in zip(starts, ends):
        if b - a == 1:
            var = x[pair_o[a]]
        else:
            var = model.new_bool_var(f"d{staff_o[a]}_{date_o[a]}")
            for i in pair_o[a:b]:
                model.add_implication(x[i], var)
            derived.append(("any", var, [x[i].index for i in pair_o[a:b]]))
        attend_vars.append(var)
        attend_staff.append(staff_o[a])
        attend_date.append(date_o[a])
    unit = ix.staff_unit[np.asarray(attend_staff, dtype=np.int64)]
    order, starts, ends = key_runs(unit, np.asarray(attend_date, dtype=np.int64))
    order_l, unit_o = order.tolist(), unit[order].tolist()
    days_by_unit: dict[int, dict[int, list]] = {}
    date_o = np.asarray(attend_date, dtype=np.int64)[order].tolist()
    for a, b in zip(starts, ends):
        days_by_unit.setdefault(unit_o[a], {})[date_o[a]] = [attend_vars[k] for k in order_l[a:b]]
    fixed_count: dict[int, dict[int, int]] = {}
    if around is not None:
        for (u, d), count in around.day_counts.items():
            fixed_count.setdefault(u, {})[d - d0] = count
            days_by_unit.setdefault(u, {})
    for u, days in days_by_unit.items():
        fixed = fixed_count.get(u, {})
        floor = max(fixed.values(), default=0)
        peak = model.new_int_var(floor, int((ix.staff_unit == u).sum()), f"peak{u}")
        for d, members in days.items():
            model.add(peak >= sum(members) + fixed.get(d, 0))
        derived.append(("max_of_sums", peak, [[m.index for m in days[d]] for d in days],
                        floor, [fixed.get(d, 0) for d in days]))
        term.variables.append(peak)
        term.coefficients.append(1)
    return term


def _changed_staff_term(model, x, ix: Indexed, cand: Candidates, previous: np.ndarray | None,
                        lost: np.ndarray | None, derived) -> Term:
    """People whose assignments differ from the previous plan (re-planning moves as few as it can).

    A person whose previous attendance is no longer possible has changed whatever happens: a constant.
    """
    term = Term()
    if previous is None:
        return term
    lost = lost if lost is not None else np.zeros(ix.n_staff, dtype=np.int64)
    term.offset = int((lost > 0).sum())
    order, starts, ends = key_runs(cand.pair_staff)
    order_l, staff_o = order.tolist(), cand.pair_staff[order].tolist()
    prev = previous.tolist()
    for a, b in zip(starts, ends):
        person = staff_o[a]
        if lost[person] > 0:
            continue
        pairs = order_l[a:b]
        changed = model.new_bool_var(f"changed{person}")
        added = [i for i in pairs if not prev[i]]
        kept = [i for i in pairs if prev[i]]
        for i in added:
            model.add_implication(x[i], changed)
        for i in kept:
            model.add_implication(x[i].Not(), changed)
        derived.append(("changed", changed, [x[i].index for i in added], [x[i].index for i in kept]))
        term.variables.append(changed)
        term.coefficients.append(1)
    return term
