"""Large-neighbourhood search on total shortfall, for districts too big for one CP-SAT model.

Each step frees a group of people chosen across the rows that bind (people short of hours, and
those holding seats in sessions the short could take), fixes everyone else, and re-solves that
part with CP-SAT for a few seconds. The sub-model keeps every rule exact: it holds all current
attendees of every session it touches and all attendances of the freed people's units, fixed, so
capacity, min_attendance, budget and coverage rows see the whole plan. Where the LP relaxation
has a vertex, every few steps free instead the people on whose pairs the plan and the LP disagree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from ortools.sat.python import cp_model

from ..arrays import range_indices
from ..candidates import HOURS_SCALE, Candidates, Indexed, subset
from ..domain.dataset import Dataset
from ..model.builder import build_model
from .greedy import PlanState, plan_state, slices, top_up
from .stages import DETERMINISTIC_WALL_FACTOR, Progress, SolverSettings, Stopper


#: per neighbourhood: many small steps beat a few long ones. Nearly every step improves the plan
#: (3,000 staff, 60 s: 46 of 46), so the steps are bound by time, not by their neighbourhoods.
#: 2026-11-27, 4 workers, seeds 0-3: 3,000 staff "allow" 60 s, 1 s steps 5,954.6 h mean, 0.5 s
#: 5,814.4 h (better for every seed), 0.3 s 6,298.5 / 6,479.5 h (seeds 0, 1), 2 s 6,509 / 6,779.5 h;
#: "forbid" 0.5 s 18,054 / 18,013.5 h against 18,196 / 18,334 h; 20,000 staff 200 s 153,475 h
#: against 153,705.5 h; 300 staff 30 s 356.25 h mean either way. (Before the LNS-only steps and
#: the folded minimums, 0.5 s had been worse: 23,113 h against 22,831.5 h.)
STEP_SECONDS = 0.5
STEP_WORKERS = 2
#: a seed's group (the seed and holders of seats it could take) stops growing once the step frees
#: this many candidate pairs (later seeds, when the target asks for more, come alone): in allow
#: mode people have many more pairs (20,000 staff: about 1,800 each), a group of 25 freed about
#: 45,000 and its model (50,000-90,000 variables) took 0.8-1.4 s to build and mostly ended
#: UNKNOWN. 2026-11-27, 60 s, seeds 0 and 1: 3,000 staff allow 5,323.5 / 5,449 h (5,773.5 h and
#: 5,642-5,771 h without; a cap of 5,000: 5,504.5 / 5,838 h); forbid neutral; 20,000 allow 200 s
#: 32,275 h against 33,099 h (44 of 44 steps improving against 2 of 11). Cutting groups at the
#: adaptive target instead was far worse (3,000 allow 6,908 / 7,122.5 h, forbid 18,910.5 /
#: 18,740.5 h against 18,182.5 / 18,014.5 h): below this cap the groups stay whole. Under "forbid"
#: the cap counts only the pairs a step can use (see ``neighbourhood``): 20,000 staff, 60 s of
#: steps from the greedy's plan (seed 0, 154,998.5 h): 154,065.5 h against 154,205 h, groups of 25
#: people (2,300 pairs kept) against 11 (580 kept); counted that way under "allow" the groups kept
#: 59,000 pairs, mostly ended UNKNOWN and 32,943 h was all they reached
STEP_MAX_FREED_PAIRS = 10_000
#: one worker searches a step with CP-SAT's neighbourhoods (interleaved) above this many pairs
ONE_WORKER_LNS_ABOVE_PAIRS = 500
#: with an LP vertex to go by, every GUIDED_EVERY-th step is guided by it (see ``_guided``) and
#: runs GUIDED_SECONDS (300 staff, 30 s: "allow" 168 h, the optimum, in 12 runs of 19 where seeds
#: 0-2 had ended at 171-186 h; "forbid" mean of six seeds 377 -> 368.75 h; the guided step gains
#: most while the plan is far from the LP)
GUIDED_EVERY = 4
GUIDED_SECONDS = 3.0
#: most open pairs (those the plan and the LP do not settle) one guided step frees
GUIDED_MAX_PAIRS = 8000
#: under shift_overlap = "allow" (coverage rows: max_absent at every instant) a step gets one round
#: of CP-SAT's presolve instead of three, leaving its half second to the search (3,000 staff, 60 s,
#: solver seeds 0-7: better in seven of eight, mean 5,822.4 -> 5,695 h; 300 staff 30 s, seeds 0-3:
#: neutral, two of four proven optimal either way). Under "forbid" one round was neutral at 3,000
#: staff and worse at 300 (mean 356.25 -> 360.1 h), so it keeps CP-SAT's default.
ALLOW_PRESOLVE_ROUNDS = 1
_SETTLED = 1e-6  # an LP value this close to 0 or 1 is that value


@dataclass
class LnsStats:
    steps: int = 0
    improving: int = 0
    seconds: float = 0.0


class PairIndex:
    """Pair lookups by person and by session, built once."""

    def __init__(self, ix: Indexed, cand: Candidates):
        self.staff_lo, self.staff_hi = slices(cand.pair_staff, ix.n_staff)
        self.by_session = np.argsort(cand.pair_session, kind="stable").astype(np.int32)  # 35.9 million pairs fit
        self.sess_lo, self.sess_hi = slices(cand.pair_session[self.by_session], len(ix.session_ids))

    def person_pairs(self, person: int) -> np.ndarray:
        return np.arange(self.staff_lo[person], self.staff_hi[person])

    def session_pairs(self, session: int) -> np.ndarray:
        return self.by_session[self.sess_lo[session]:self.sess_hi[session]]


def neighbourhood(rng, ix: Indexed, cand: Candidates, look: PairIndex, chosen: np.ndarray,
                  seed_weights: np.ndarray, target_pairs: int, seats_left: np.ndarray | None = None) -> np.ndarray:
    """People to free: seeds drawn by ``seed_weights`` (hours short, or what they add to a later
    stage), and those holding seats in the sessions the seeds could take.

    With ``seats_left`` (per session, in the current plan) the cap counts a person's pairs a step
    can use (their planned ones and those in sessions with a seat left or whose holders the group
    frees), not all their pairs: at 20,000 staff under "forbid" a step kept 580 of the 10,463 pairs
    it freed, and counting all of them cut every group to 11 of its 25 people."""
    free = np.zeros(ix.n_staff, dtype=bool)
    weights = seed_weights.astype(float)
    if weights.sum() == 0:
        return free
    weights /= weights.sum()
    size = usable = 0
    for _ in range(200):
        seed = int(rng.choice(ix.n_staff, p=weights))
        group = [seed]
        sessions = cand.pair_session[look.person_pairs(seed)]
        sampled = rng.permutation(sessions)[:6]
        for s in sampled.tolist():
            holders = look.session_pairs(s)
            holders = cand.pair_staff[holders[chosen[holders]]]
            group.extend(rng.permutation(holders)[:4].tolist())
        if seats_left is not None:
            usable_session = seats_left > 0
            usable_session[sampled] = True
        for person in group:
            if not free[person]:
                free[person] = True
                pairs = look.person_pairs(person)
                size += len(pairs)
                usable += len(pairs) if seats_left is None else int(
                    np.count_nonzero(usable_session[cand.pair_session[pairs]] | chosen[pairs]))
                if usable >= STEP_MAX_FREED_PAIRS:
                    break
        if size >= target_pairs:
            break
    return free


def next_target(target: int, status, deterministic_time: float, n_pairs: int) -> int:
    """Grow the neighbourhood after a step CP-SAT closed, shrink it after one it could not."""
    if status == cp_model.OPTIMAL:
        return min(int(target * 1.3), 2 * n_pairs + 1000)
    if status != cp_model.FEASIBLE or deterministic_time > 0.8 * STEP_SECONDS:
        return max(1000, int(target * 0.7))
    return target


def _guided(rng, ix: Indexed, cand: Candidates, chosen: np.ndarray, guide: np.ndarray):
    """People to free, and the pairs that stay as they are: a relaxation-induced neighbourhood
    (RINS, Danna, Rothberg and Le Pape 2005). A pair the plan and the LP vertex agree on (both
    take it, or both leave it) is settled; the people with an open pair are freed, at most
    GUIDED_MAX_PAIRS open pairs of them, drawn at random when there are more."""
    settled = np.where(chosen, guide >= 1 - _SETTLED, guide <= _SETTLED)
    open_count = np.bincount(cand.pair_staff[~settled], minlength=ix.n_staff)
    people = np.flatnonzero(open_count)
    if open_count.sum() > GUIDED_MAX_PAIRS:
        people = rng.permutation(people)
        people = people[:max(1, int(np.searchsorted(np.cumsum(open_count[people]), GUIDED_MAX_PAIRS)))]
    free = np.zeros(ix.n_staff, dtype=bool)
    free[people] = True
    return free, settled


def sub_problem(ix: Indexed, cand: Candidates, chosen: np.ndarray, free: np.ndarray,
                 locked: np.ndarray | None = None, staff_range: tuple[np.ndarray, np.ndarray] | None = None,
                 settled: np.ndarray | None = None):
    """The freed people's pairs plus the fixed attendances a rule needs to see one by one.

    Seats and budgets taken by everyone else become residual capacities and budgets, and their
    attendances lower the session's min_attendance (a session whose fixed attendees reach it runs
    whatever the freed people do). Only a session with some but too few fixed attendees keeps them
    in the model (the count decides whether it runs), and under "allow" the fixed attendances
    that pull people of the freed units off shift (the coverage rows count them instant by
    instant). Folding the rest keeps a step's model small: CP-SAT's presolve of the unfolded one
    took half of each one-second step at 3,000 staff.
    """
    lo, hi = staff_range if staff_range is not None else slices(cand.pair_staff, ix.n_staff)
    people = np.flatnonzero(free)
    freed = range_indices(lo[people], hi[people] - lo[people])
    # work on the plan's pairs, not on all pairs: at 20,000 staff the whole-array version cost
    # 0.12 s of each 2 s step
    planned = np.flatnonzero(chosen)
    others = planned[~free[cand.pair_staff[planned]]]
    n_sessions = len(ix.session_ids)
    other_session = cand.pair_session[others]
    pinned = np.zeros(len(others), dtype=bool)  # fixed attendances kept in the model one by one
    if len(cand.piece_pair):
        units = np.zeros(len(ix.unit_ids), dtype=bool)
        units[ix.staff_unit[people]] = True
        at = np.minimum(np.searchsorted(cand.piece_pair, others), len(cand.piece_pair) - 1)
        pulled = cand.piece_pair[at] == others  # pieces are sorted by pair
        pinned |= pulled & units[ix.staff_unit[cand.pair_staff[others]]]
    fixed_count = np.bincount(other_session, minlength=n_sessions)
    short_of_min = (fixed_count > 0) & (fixed_count < ix.session_min)
    touched = np.zeros(n_sessions, dtype=bool)
    touched[cand.pair_session[freed]] = True
    touched[other_session[pinned]] = True
    pinned |= (touched & short_of_min)[other_session]
    folded = others[~pinned]
    folded_count = np.bincount(cand.pair_session[folded], minlength=n_sessions)
    seats = ix.session_capacity - folded_count
    session_min = np.maximum(ix.session_min - folded_count, 0)  # the kept ones and the freed make up the rest
    spent = np.bincount(ix.staff_unit[cand.pair_staff[folded]], weights=ix.session_fee[cand.pair_session[folded]],
                        minlength=len(ix.unit_ids)).astype(np.int64)
    budget = np.where(ix.unit_budget >= 0, ix.unit_budget - spent, -1)
    residual = replace(ix, session_capacity=seats, unit_budget=budget, session_min=session_min)
    # a freed person cannot join a session the fixed attendees fill, nor one whose fee is above what
    # the unit has left: such pairs were about half of a step's model at 3,000 staff
    session, unit = cand.pair_session[freed], ix.staff_unit[cand.pair_staff[freed]]
    barred = (seats[session] <= 0) | ((budget[unit] >= 0) & (ix.session_fee[session] > budget[unit]))
    if settled is not None:  # a guided step: settled pairs stay as the plan has them
        barred |= settled[freed]
    freed = freed[~barred | chosen[freed]]
    stays = np.zeros(len(freed), dtype=bool) if locked is None else locked[freed]
    if settled is not None:
        stays |= settled[freed]  # (the settled ones left are in the plan: the others were barred)
    keep = np.zeros(cand.n_pairs, dtype=bool)
    keep[freed] = True
    keep[others[pinned]] = True
    fixed_pairs = np.concatenate([others[pinned], freed[stays]])
    kept = np.flatnonzero(keep)
    fixed = np.zeros(len(kept), dtype=bool)
    fixed[np.searchsorted(kept, fixed_pairs)] = True
    return residual, keep, fixed


def _step_model(ds: Dataset, residual: Indexed, sub: Candidates, fixed: np.ndarray, current: np.ndarray):
    """A step's shortfall model over its pairs, hinted with the plan's part (a complete hint)."""
    pm = build_model(ds, residual, sub, terms=("shortfall_hours",), fixed=fixed)
    pm.model.minimize(pm.term("shortfall_hours").expr())
    hint = pm.complete(current)
    pm.model.proto.solution_hint.vars.extend(range(len(hint)))
    pm.model.proto.solution_hint.values.extend(hint)
    return pm


def step_solver(settings: SolverSettings, step: int, guided: bool, allow_mode: bool,
                 seconds: float, pairs: int) -> cp_model.CpSolver:
    """CP-SAT set up for one step of ``seconds`` (deterministic seconds in a deterministic run) on a
    sub-problem of ``pairs`` candidate pairs."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = min(settings.workers, STEP_WORKERS)
    p.random_seed = settings.seed + step
    if settings.deterministic:  # one worker and a deterministic limit: the same steps every run
        p.num_workers = 1
        p.max_deterministic_time = seconds
    else:
        p.max_time_in_seconds = max(0.2, seconds)
    # A plain step searches with CP-SAT's own neighbourhoods alone: its full search neither closes
    # nor improves a step much in its half second (a guided step keeps it: its part is the LP's).
    # Measured with two workers, 30-60 s: 300 staff "forbid" mean of four seeds 369 -> 358.75 h,
    # 3,000 staff "allow" 6,389.5 / 6,412.5 -> 5,988.5 / 6,041 h, neutral at 3,000 "forbid" and
    # 20,000. One worker runs them interleaved in its one thread, deterministically (300 staff
    # "forbid", 30 s: 985 -> 444-517.5 h; deterministic 704 -> 371 h, in 65 s of wall time, not 87 s;
    # one worker's LNS alone without interleaving had stayed at 995.5 h). A small sub-problem keeps
    # one worker's full search, which proves it at once: neighbourhoods alone never end a step early,
    # and in a deterministic run on a tiny district their deterministic time hardly advances.
    p.use_lns_only = not guided and (p.num_workers > 1 or pairs > ONE_WORKER_LNS_ABOVE_PAIRS)
    p.interleave_search = p.num_workers == 1 and p.use_lns_only
    if allow_mode:
        p.max_presolve_iterations = ALLOW_PRESOLVE_ROUNDS
    p.catch_sigint_signal = False
    return solver


def _move(state: PlanState, dropped: np.ndarray, taken: np.ndarray) -> None:
    """Drop then take the given pairs (drops first, so takes find their room)."""
    staff = state.cand.pair_staff
    for i in dropped.tolist():
        state.drop(i, int(staff[i]))
    for i in taken.tolist():
        state.take(i, int(staff[i]))


def improve_shortfall(ds: Dataset, ix: Indexed, cand: Candidates, chosen: np.ndarray, seconds: float,
                      settings: SolverSettings, progress: Progress | None = None,
                      stopper: Stopper | None = None, bound: int = 0, locked: np.ndarray | None = None,
                      strict: bool = False, guide: np.ndarray | None = None) -> tuple[np.ndarray, LnsStats]:
    """Lower total shortfall from a valid plan; every accepted step keeps every rule and every
    locked pair. ``strict`` accepts only steps that lower shortfall (re-planning: moving people
    for nothing would count against the plan). ``guide``, each pair's value at a vertex of the
    LP relaxation, turns every GUIDED_EVERY-th step into a guided one."""
    stopper = stopper or Stopper()
    stats = LnsStats()
    t0 = time.monotonic()
    deadline = t0 + seconds
    rng = np.random.default_rng(settings.seed)
    look = PairIndex(ix, cand)
    state = plan_state(ix, cand, chosen)
    top_up(state)
    chosen = state.chosen  # the plan is the state's: steps change it pair by pair, and undo a rejected one
    short = state.shortfall()
    best = int(short.sum())
    target = 4000
    dtime_left = seconds  # in deterministic mode the budget counts CP-SAT's deterministic seconds
    allow_mode = ds.policy.rules.shift_overlap == "allow"

    def has_time() -> bool:
        if settings.deterministic:
            return dtime_left > 0 and time.monotonic() < deadline + (DETERMINISTIC_WALL_FACTOR - 1) * seconds
        return time.monotonic() < deadline - 0.5

    while has_time() and best > bound and not stopper.stopped:  # bound met: proven
        guided = guide is not None and stats.steps % GUIDED_EVERY == GUIDED_EVERY - 1
        settled = None
        if guided:
            free, settled = _guided(rng, ix, cand, chosen, guide)
        else:
            # under "allow" a step also keeps the fixed attendances that pull the freed units' people
            # off shift (20,000 staff: 59,000 pairs kept for 42,000 freed), so all pairs count there
            free = neighbourhood(rng, ix, cand, look, chosen, short, target, None if allow_mode else state.seats)
        residual, keep, fixed = sub_problem(ix, cand, chosen, free, locked, (look.staff_lo, look.staff_hi),
                                             settled)
        current = chosen[keep]
        pm = _step_model(ds, residual, subset(cand, keep), fixed, current)
        left = dtime_left if settings.deterministic else deadline - time.monotonic()
        solver = step_solver(settings, stats.steps, guided, allow_mode,
                              min(GUIDED_SECONDS if guided else STEP_SECONDS, left), int(keep.sum()))
        with stopper.following(solver):
            status = solver.solve(pm.model)
        stats.steps += 1
        dtime_left -= solver.response_proto.deterministic_time
        whole = bool(keep.all())  # the neighbourhood was the whole problem
        if not guided:  # a guided step's size is the LP's to decide, not the target's
            target = next_target(target, status, solver.response_proto.deterministic_time, cand.n_pairs)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        solved = pm.chosen(list(solver.response_proto.solution))
        pairs = np.flatnonzero(keep)
        dropped, taken = pairs[current & ~solved], pairs[solved & ~current]
        _move(state, dropped, taken)
        total = int(state.shortfall().sum())
        if total < best or (total == best and not strict):
            left = np.unique(cand.pair_session[dropped]).tolist()  # seats freed here
            if left:
                top_up(state, np.concatenate([look.session_pairs(s) for s in left]))
            short = state.shortfall()
            total = int(short.sum())
            if total < best:
                stats.improving += 1
                if progress:
                    progress("shortfall_hours (neighbourhoods)", total / HOURS_SCALE, bound / HOURS_SCALE,
                             time.monotonic() - t0)
            best = total
        else:
            _move(state, taken, dropped)  # undo the step
        if whole and status == cp_model.OPTIMAL:
            break  # proven over every pair: nothing left to improve (a tiny district)
    stats.seconds = time.monotonic() - t0
    return chosen, stats
