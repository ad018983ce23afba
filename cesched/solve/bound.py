"""True lower bounds on total shortfall that scale to a city: a maximum flow of credit hours, and
the Lagrangian bound at the prices of its minimum cut.

Hours flow from each person's open need (per category) through each course they may take (at most
once, at most its hours) and each session of it, into the session's seats (capacity × hours).
Every plan is such a flow, so total need minus the maximum flow bounds total shortfall from below.
It ignores clashes, weekly caps, budgets, coverage and min_attendance: valid, but only as strong
as seats and eligibility make it.

The cut bound prices the seats instead of capping them: a seat of a session on the source side of
a minimum cut costs its hours, every other seat is free. For any prices ``u ≥ 0`` the Lagrangian
``Σ_p V_p(u) − Σ_s u_s·capacity_s`` bounds every plan, where ``V_p(u)`` is the least shortfall
plus seat cost person p reaches alone under their own rules (course once, no double booking,
weekly cap). A priced seat costs at least the hours it closes, so ``V_p`` is person p's least
shortfall from free sessions only: a small problem per person, solved exactly by CP-SAT. At the
cut's prices, with clashes left out, this is the max flow; the people's own rules only add to it
(20,000 staff, "forbid": 138,564 h against 121,064 h). Where the time runs out, a person's term is
the least shortfall their free courses allow with clashes left out, so the bound stays true.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from ortools.graph.python import max_flow
from ortools.sat.python import cp_model

from ..candidates import Candidates, Indexed, subset
from ..domain.dataset import Dataset
from ..model.builder import build_model
from .greedy import slices

#: people go to CP-SAT in batches of about this many free pairs, each for at most BATCH_SECONDS:
#: their problems are independent, but CP-SAT's search is not, so a large batch proves nothing.
#: 20,000 staff "forbid" (6,891 people, 252,000 free pairs): one model, 60 s, its bound 3,257 h
#: under the optimum; batches of 2,000 pairs, 10 s each: 9 of 126 unproven, 1,577 h under; of
#: 500 pairs, 1 s each: all 504 proven in 11.5 s of CP-SAT
BATCH_PAIRS = 500
BATCH_SECONDS = 1.0
#: no cut bound above this many free pairs: seats are then to spare almost everywhere and people
#: have many options each, so their own rules rarely bind (3,000 staff "allow": nothing priced,
#: 794,168 free pairs, 33 s of batches for 28.5 h against the max flow's 22.5 h); 20,000 staff
#: "forbid" has 251,725
CUT_MAX_FREE_PAIRS = 500_000


def flow_bound(ix: Indexed, cand: Candidates) -> int:
    """Lower bound on total shortfall, in internal units (credit hours ×100)."""
    return _max_flow(ix, cand)[0]


def _max_flow(ix: Indexed, cand: Candidates) -> tuple[int, np.ndarray]:
    """The max-flow bound and, per session, whether it lies on the source side of a minimum cut
    (its seats are full in every maximum flow).

    People alike (the same need and the same sessions) share one node whose capacities are theirs
    times how many they are: any flow of theirs sums to one of it, and one of it splits evenly back
    into theirs, so the maximum and the residual graph's reach (the cut) are the same, from fewer
    arcs: at 20,000 staff in "allow" mode 2,380 nodes for 20,000 people and 3.8 million arcs for
    35.9 million pairs, 1.4 s and no memory to speak of against 10.9 s and 1.9 GB; in "forbid"
    mode, with each person's shifts in their pairs, 16,398 nodes and 14.2 of 17.8 million."""
    need = ix.need
    n_sessions = len(ix.session_ids)
    if cand.n_pairs == 0:
        return int(need.sum()), np.zeros(n_sessions, dtype=bool)
    weight = _alike_weights(ix, cand)
    mine = weight[cand.pair_staff] > 0
    staff, session = cand.pair_staff[mine], cand.pair_session[mine]
    del mine
    gain, pc_ids, pc_of_pair, pco_of_pair = _pair_keys(ix, staff, session)
    # nodes: 0 source, 1 sink, person-category, person-course, session
    n_pc, n_pco = len(pc_ids), int(pco_of_pair.max()) + 1
    pc_node = 2 + np.arange(n_pc, dtype=np.int32)
    pco_node = 2 + n_pc + np.arange(n_pco, dtype=np.int32)
    session_node = 2 + n_pc + n_pco + np.arange(n_sessions, dtype=np.int32)
    pco_cap, pco_pc = _course_caps(gain, pc_of_pair, pco_of_pair)
    del pc_of_pair  # per-pair arrays go once used: 35.9 million pairs at 20,000 staff (allow)
    pc_weight = weight[pc_ids // 2]
    tails = np.concatenate([np.zeros(n_pc, np.int32), pc_node[pco_pc], pco_node[pco_of_pair], session_node])
    del pco_of_pair
    heads = np.concatenate([pc_node, pco_node, session_node[session], np.ones(len(session_node), np.int32)])
    caps = np.concatenate([need[pc_ids // 2, pc_ids % 2] * pc_weight, pco_cap * pc_weight[pco_pc], gain * weight[staff],
                           ix.session_capacity * ix.session_hours])
    del gain, staff, session
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails, heads, caps)
    del tails, heads, caps  # the solver holds its own copy
    status = solver.solve(0, 1)
    if status != solver.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    source_side = np.zeros(int(session_node[-1]) + 1, dtype=bool)
    source_side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
    return int(need.sum() - solver.optimal_flow()), source_side[session_node]


def _alike_weights(ix: Indexed, cand: Candidates) -> np.ndarray:
    """Per person, how many people (themselves included) their flow node stands for: the first of
    each set of people alike carries the set's size, the others 0. Sessions are compared in full,
    so a collision of the hashes that sort them only leaves people apart, never wrongly together."""
    lo, hi = slices(cand.pair_staff, ix.n_staff)
    count = hi - lo
    people = np.flatnonzero(count > 0)
    key = _session_keys(len(ix.session_ids))
    with np.errstate(over="ignore"):  # sums of random keys, wrapping round: a hash of the set
        sums = [np.add.reduceat(k[cand.pair_session], lo[people]) for k in key]
    signature = np.stack([count[people], ix.need[people, 0], ix.need[people, 1], *sums], axis=1)
    order = np.lexsort(signature.T[::-1])  # by its first column, then the next...
    ranked, signature = people[order], signature[order]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = (signature[1:] != signature[:-1]).any(axis=1)
    lead = np.arange(ix.n_staff)
    lead[ranked] = ranked[np.maximum.accumulate(np.where(first, np.arange(len(ranked)), 0))]
    apart = _not_alike(cand, lo, lead)
    lead[apart] = apart
    return np.bincount(lead[people], minlength=ix.n_staff).astype(np.int64)


def _session_keys(n_sessions: int) -> np.ndarray:
    """Two random 63-bit keys per session: a person's sums of them hash their set of sessions."""
    return np.random.default_rng(0).integers(0, 2**63, size=(2, n_sessions), dtype=np.int64)


def _not_alike(cand: Candidates, lo: np.ndarray, lead: np.ndarray, chunk: int = 4_000_000) -> np.ndarray:
    """The people whose sessions differ from their lead's (hash collisions), compared pair by
    pair in chunks (pairs are sorted by person, so the k-th pair of two alike people matches)."""
    apart = []
    for start in range(0, cand.n_pairs, chunk):
        i = np.arange(start, min(start + chunk, cand.n_pairs))
        person = cand.pair_staff[i]
        j = lo[lead[person]] + (i - lo[person])
        apart.append(np.unique(person[cand.pair_session[i] != cand.pair_session[j]]))
    return np.concatenate(apart) if apart else np.zeros(0, dtype=np.int64)


def _pair_keys(ix: Indexed, staff: np.ndarray, session: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pair (``staff``, ``session``): the hours it can close; the person-category keys and each
    pair's among them; each pair's person-course (numbered in key order)."""
    cat = ix.session_category[session]
    gain = np.minimum(ix.session_hours[session], ix.need[staff, cat])
    pc_ids, pc_of_pair = np.unique(staff * 2 + cat, return_inverse=True)
    del cat
    course = ix.session_course[session]
    _, pco_of_pair = np.unique(staff.astype(np.int64) * len(ix.course_ids) + course, return_inverse=True)
    return gain, pc_ids, pc_of_pair, pco_of_pair


def _course_caps(gain: np.ndarray, pc_of_pair: np.ndarray, pco_of_pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per person-course: the most hours it can close (the course is taken once) and its
    person-category."""
    n_pco = int(pco_of_pair.max()) + 1
    pco_cap = np.zeros(n_pco, dtype=np.int64)
    np.maximum.at(pco_cap, pco_of_pair, gain)
    pco_pc = np.zeros(n_pco, dtype=np.int64)
    pco_pc[pco_of_pair] = pc_of_pair
    return pco_cap, pco_pc


def cut_bound(ds: Dataset, ix: Indexed, cand: Candidates, seconds: float, seed: int = 0,
              deterministic: bool = False, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Lower bound on total shortfall (internal units): the max flow's, or the Lagrangian at its
    minimum cut's seat prices where that is higher (see the module docstring). ``seconds`` limits
    the people's own problems, after the flow (if ``deterministic``, every batch runs, each with
    BATCH_SECONDS of CP-SAT's deterministic time); those not reached, or left when ``should_stop``
    turns true, count without their clashes."""
    flow, priced = _max_flow(ix, cand)
    deadline = time.monotonic() + seconds
    free = ~priced[cand.pair_session]
    if np.count_nonzero(free) > CUT_MAX_FREE_PAIRS:
        return flow
    seat_cost = int((ix.session_capacity.astype(np.int64) * ix.session_hours)[priced].sum())
    batches = _Batches(ds, seed, None if deterministic else deadline, should_stop)
    return max(flow, _alone_shortfall(ix, subset(cand, free), batches) - seat_cost)


@dataclass
class _Batches:
    """How the people's own problems are solved: ``deadline`` None runs every batch, each for
    BATCH_SECONDS of CP-SAT's deterministic time (a run that must repeat)."""

    ds: Dataset
    seed: int
    deadline: float | None
    should_stop: Callable[[], bool]

    def seconds_left(self) -> float:
        if self.should_stop():
            return 0.0
        if self.deadline is None:
            return BATCH_SECONDS
        return min(BATCH_SECONDS, self.deadline - time.monotonic())


def _alone_shortfall(ix: Indexed, cand: Candidates, batches: _Batches) -> int:
    """Σ over people of a lower bound on the least shortfall each reaches alone with ``cand``'s
    pairs under their own rules (exact where CP-SAT proves a batch in time)."""
    loose = _without_clashes(ix, cand)
    total = int(loose.sum())
    lo, hi = slices(cand.pair_staff, ix.n_staff)
    people = np.flatnonzero(hi > lo)
    unshared = _unshared(ix)
    for batch in _batches(people, (hi - lo)[people]):
        left = batches.seconds_left()
        if left <= 0:
            break
        found = _batch_bound(*_alone(unshared, cand, batch, lo[batch[0]], hi[batch[-1]]), left, batches)
        if found is not None:
            total += max(0, found - int(loose[batch].sum()))
    return total


def _batches(people: np.ndarray, pairs: np.ndarray) -> list[np.ndarray]:
    """Consecutive runs of people with about BATCH_PAIRS pairs each (none without people)."""
    if not len(people):
        return []
    before = np.cumsum(pairs) - pairs  # pairs of the people ahead of each
    cut = np.flatnonzero(np.diff(before // BATCH_PAIRS)) + 1
    return np.split(people, cut)


def _unshared(ix: Indexed) -> Indexed:
    """The dataset without any row shared by people: unlimited seats, no minimum attendance,
    budget or coverage limit."""
    most = np.iinfo(np.int32).max
    return replace(ix, session_capacity=np.full_like(ix.session_capacity, most),
                   session_min=np.zeros_like(ix.session_min), unit_budget=np.full_like(ix.unit_budget, -1),
                   unit_max_absent=np.full_like(ix.unit_max_absent, most))


def _alone(unshared: Indexed, cand: Candidates, batch: np.ndarray, first: int, end: int
           ) -> tuple[Indexed, Candidates]:
    """The batch's people (whose pairs are ``cand``'s ``first:end``, pairs being sorted by person)
    as a dataset of their own, renumbered, so a model over it holds no per-person list of the
    whole district."""
    local = np.full(unshared.n_staff, -1, dtype=np.int64)
    local[batch] = np.arange(len(batch))
    alone = replace(unshared, staff_ids=unshared.staff_ids[batch], staff_unit=unshared.staff_unit[batch],
                    staff_field=unshared.staff_field[batch], need=unshared.need[batch],
                    weekly_cap=unshared.weekly_cap[batch])
    keep = np.zeros(cand.n_pairs, dtype=bool)
    keep[first:end] = True
    mine = subset(cand, keep)
    return alone, replace(mine, pair_staff=local[mine.pair_staff])


def _batch_bound(alone: Indexed, cand: Candidates, seconds: float, batches: _Batches) -> int | None:
    """CP-SAT's bound on the least total shortfall of ``alone``'s people, each on their own, or
    None when it has none."""
    pm = build_model(batches.ds, alone, cand, terms=("shortfall_hours",))
    pm.model.minimize(pm.term("shortfall_hours").expr())
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    if batches.deadline is None:
        p.max_deterministic_time = seconds
    else:
        p.max_time_in_seconds = seconds
    p.random_seed = batches.seed
    p.catch_sigint_signal = False
    # the batch is many tiny problems: CP-SAT's presolve costs more than it saves (20,000 staff,
    # 150 batches: 2.91 -> 1.96 s, every batch proven either way)
    p.cp_model_presolve = False
    status = solver.solve(pm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return math.ceil(solver.best_objective_bound - 1e-6)


def _without_clashes(ix: Indexed, cand: Candidates) -> np.ndarray:
    """Per person, the least shortfall their pairs allow with clashes and weekly caps left out:
    each course at most once, at most the open need per category (the flow's person side)."""
    short = ix.need.sum(axis=1)
    if cand.n_pairs == 0:
        return short
    gain, pc_ids, pc_of_pair, pco_of_pair = _pair_keys(ix, cand.pair_staff, cand.pair_session)
    pco_cap, pco_pc = _course_caps(gain, pc_of_pair, pco_of_pair)
    reach = np.bincount(pco_pc, weights=pco_cap, minlength=len(pc_ids)).astype(np.int64)
    need = ix.need[pc_ids // 2, pc_ids % 2]
    np.subtract.at(short, pc_ids // 2, np.minimum(need, reach))
    return short
