"""The peer a planner might write once: stage 1 (total shortfall) as a plain MIP on HiGHS.

Same candidate pairs and the same rows as cesched's CP-SAT model (capacity, min_attendance, course
once, clash cliques and travel pairs, weekly caps, budgets, coverage), built row by row for HiGHS.
HiGHS comes with cesched (its LP bound uses it). Used by bench.py for the "vs MIP" column.
"""

from __future__ import annotations

import time

import numpy as np

from cesched.candidates import HOURS_SCALE, build_candidates, index_dataset, pair_week_minutes
from cesched.model.builder import key_runs
from cesched.model.conflicts import person_conflict_rows
from cesched.model.sweep import maximal_active_sets
from cesched.timeline import iso_week


class _Rows:
    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.starts: list[int] = [0]
        self.index: list[int] = []
        self.value: list[float] = []

    def add(self, cols, coefs, lo: float, hi: float) -> None:
        self.index.extend(int(c) for c in cols)
        self.value.extend(float(v) for v in coefs)
        self.starts.append(len(self.index))
        self.lower.append(lo)
        self.upper.append(hi)


def solve_stage1_mip(ds, time_limit: float, threads: int = 2) -> dict:
    """Minimise total shortfall with HiGHS; returns value and bound in credit hours, and timings."""
    import highspy

    t0 = time.monotonic()
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    n = cand.n_pairs
    hours = ix.session_hours[cand.pair_session]
    cat = ix.session_category[cand.pair_session]
    rows = _Rows()
    inf = highspy.kHighsInf
    # columns: x (n binaries), then runs per min-attendance session, then sf per (person, category)
    sessions = np.unique(cand.pair_session)
    with_min = [s for s in sessions.tolist() if ix.session_min[s] > 0]
    run_col = {s: n + k for k, s in enumerate(with_min)}
    need_keys = [(p, c) for p in range(ix.n_staff) for c in (0, 1) if ix.need[p, c] > 0]
    sf_col = {key: n + len(with_min) + k for k, key in enumerate(need_keys)}
    n_cols = n + len(with_min) + len(need_keys)
    order, starts, ends = key_runs(cand.pair_staff * 2 + cat)
    for a, b in zip(starts, ends):
        grp = order[a:b]
        p, c = int(cand.pair_staff[grp[0]]), int(cat[grp[0]])
        need = int(ix.need[p, c])
        if need > 0:
            rows.add([sf_col[(p, c)], *grp.tolist()], [1.0, *np.minimum(hours[grp], need).tolist()], need, inf)
    order, starts, ends = key_runs(cand.pair_staff, ix.session_course[cand.pair_session])
    for a, b in zip(starts, ends):
        if b - a > 1:
            rows.add(order[a:b], [1.0] * (b - a), -inf, 1)
    order, starts, ends = key_runs(cand.pair_session)
    for a, b in zip(starts, ends):
        grp = order[a:b]
        s = int(cand.pair_session[grp[0]])
        cap, low = int(ix.session_capacity[s]), int(ix.session_min[s])
        if low > 0:
            r = run_col[s]
            rows.add([*grp.tolist(), r], [1.0] * len(grp) + [-float(min(cap, len(grp)))], -inf, 0)
            rows.add([*grp.tolist(), r], [1.0] * len(grp) + [-float(low)], 0, inf)
            for i in grp.tolist():
                rows.add([i, r], [1.0, -1.0], -inf, 0)
        elif len(grp) > cap:
            rows.add(grp, [1.0] * len(grp), -inf, cap)
    cliques, pairwise = person_conflict_rows(ix, cand.pair_staff, cand.pair_session)
    for row in cliques:
        rows.add(row, [1.0] * len(row), -inf, 1)
    for a, b in pairwise.tolist():
        rows.add([a, b], [1.0, 1.0], -inf, 1)
    pm_week = iso_week(ix.meeting_start[cand.pm_meeting])
    pm_minutes = (ix.meeting_end - ix.meeting_start)[cand.pm_meeting]
    sel = ix.weekly_cap[cand.pair_staff[cand.pm_pair]] >= 0
    pair, week, minutes = pair_week_minutes(cand.pm_pair, pm_week, pm_minutes, sel)
    order, starts, ends = key_runs(cand.pair_staff[pair], week)
    for a, b in zip(starts, ends):
        limit = int(ix.weekly_cap[cand.pair_staff[pair[order[a]]]])
        if minutes[order[a:b]].sum() > limit:
            rows.add(pair[order[a:b]], minutes[order[a:b]], -inf, limit)
    fee = ix.session_fee[cand.pair_session]
    order, starts, ends = key_runs(ix.staff_unit[cand.pair_staff])
    for a, b in zip(starts, ends):
        grp = order[a:b]
        budget = int(ix.unit_budget[ix.staff_unit[cand.pair_staff[grp[0]]]])
        if budget >= 0 and fee[grp].sum() > budget:
            rows.add(grp, fee[grp], -inf, budget)
    if len(cand.piece_pair):
        unit = ix.staff_unit[cand.pair_staff[cand.piece_pair]]
        for u, members in maximal_active_sets(cand.piece_start, cand.piece_end, unit):
            pairs = np.unique(cand.piece_pair[members])
            if len(pairs) > ix.unit_max_absent[u]:
                rows.add(pairs, [1.0] * len(pairs), -inf, int(ix.unit_max_absent[u]))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(1.0, time_limit - (time.monotonic() - t0))))
    h.setOptionValue("threads", threads)
    cost = np.zeros(n_cols)
    cost[n + len(with_min):] = 1.0 / HOURS_SCALE
    upper = np.ones(n_cols)
    upper[n + len(with_min):] = [ix.need[p, c] for p, c in need_keys]
    lower = np.zeros(n_cols)
    gain = np.minimum(hours, ix.need[cand.pair_staff, cat])
    reach = np.zeros((ix.n_staff, 2))
    np.add.at(reach, (cand.pair_staff, cat), gain)
    # a person with too few (or no) candidate pairs keeps the rest of their need whatever happens
    lower[n + len(with_min):] = [max(0.0, ix.need[p, c] - reach[p, c]) for p, c in need_keys]
    h.addCols(n_cols, cost, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.changeColsIntegrality(n + len(with_min), np.arange(n + len(with_min), dtype=np.int32),
                            np.full(n + len(with_min), highspy.HighsVarType.kInteger))
    h.addRows(len(rows.lower), np.array(rows.lower), np.array(rows.upper), len(rows.index),
              np.array(rows.starts[:-1], dtype=np.int32), np.array(rows.index, dtype=np.int32),
              np.array(rows.value))
    build = time.monotonic() - t0
    h.run()
    info = h.getInfo()
    value = info.objective_function_value if info.primal_solution_status == 2 else None
    return {"mip_value": value, "mip_bound": info.mip_dual_bound, "mip_build_s": build,
            "mip_s": time.monotonic() - t0, "mip_status": h.modelStatusToString(h.getModelStatus())}
