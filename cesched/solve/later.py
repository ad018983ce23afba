"""The stages after shortfall by neighbourhoods, above 10,000 pairs (where one CP-SAT model is slow).

At a few hundred staff and more, a later stage (work-study conflict, unit balance, spend) gets
little from a search of the whole model: CP-SAT's presolve of it takes most of the stage's share
(Qingshan, 400 staff: 1.2-1.6 s of 1.2 s), and above the size where one model is built at all the
later stages were not optimised. Here each step frees a group of people chosen by what they add to
the stage (rest breaches, training in overloaded weeks, attendance on their unit's peak day...) and
the holders of seats they could move to, fixes everyone else, and re-solves that part for half a
second: the stage's terms minimised with every earlier stage held at what the neighbourhood adds
to it now. Each term of the neighbourhood's model equals the whole plan's less a constant (the
two maxima, largest shortfall and unit peak days, are built on the figures the fixed people set:
see ``Surroundings``), so holding it holds the whole plan's stage value: no earlier stage ever
gets worse.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ..arrays import range_indices
from ..candidates import Candidates, Indexed, shortfall_hours, subset
from ..domain.dataset import Dataset
from ..domain.policy import ObjectiveConfig
from ..model.builder import TERM_SCALE, Surroundings, build_model
from ..timeline import day, iso_week
from .lns import STEP_SECONDS, PairIndex, neighbourhood, next_target, step_solver, sub_problem
from .plan import StageResult
from .stages import Progress, SolverSettings, Stopper, evaluate, gap_of, stage_expr

#: the steps' groups start at this many freed pairs and adapt as in the shortfall neighbourhoods
FIRST_TARGET_PAIRS = 2000


@dataclass(frozen=True)
class Replanning:
    """The previous plan's pairs and, per person, its pairs no longer possible (``changed_staff``)."""

    previous: np.ndarray
    lost: np.ndarray | None


def _meeting_rows(cand: Candidates, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pair, meeting) rows of the given pairs: each pair's meeting indices, pairs repeated."""
    lo = np.searchsorted(cand.pm_pair, pairs, side="left")
    count = np.searchsorted(cand.pm_pair, pairs, side="right") - lo
    return np.repeat(pairs, count), cand.pm_meeting[range_indices(lo, count)]


def _attendance_days(ix: Indexed, cand: Candidates, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (staff, day) with a chosen meeting starting that day."""
    pair, meeting = _meeting_rows(cand, np.flatnonzero(chosen))
    key = np.unique(cand.pair_staff[pair] * np.int64(1 << 24) + day(ix.meeting_start[meeting]))
    return key // (1 << 24), key % (1 << 24)


def day_counts(ix: Indexed, cand: Candidates, chosen: np.ndarray, free: np.ndarray) -> dict[tuple[int, int], int]:
    """Per (unit, day) of the units with freed staff: their staff not freed with a meeting that day."""
    staff, days = _attendance_days(ix, cand, chosen)
    units = np.zeros(len(ix.unit_ids), dtype=bool)
    units[ix.staff_unit[free]] = True
    keep = ~free[staff] & units[ix.staff_unit[staff]]
    key, count = np.unique(ix.staff_unit[staff[keep]] * np.int64(1 << 24) + days[keep], return_counts=True)
    return {(int(k >> 24), int(k & ((1 << 24) - 1))): int(c) for k, c in zip(key, count)}


def _overload_by_training(ix: Indexed, cand: Candidates, chosen: np.ndarray, limit: int) -> np.ndarray:
    """Per person, minutes of training in ISO weeks their load (shifts + training) passes ``limit``
    minutes: the overload a plan could still move."""
    pair, meeting = _meeting_rows(cand, np.flatnonzero(chosen))
    week = iso_week(ix.meeting_start[meeting])
    s_staff, s_week, s_minutes = ix.roster.weekly_shift_minutes()
    w0 = int(min(week.min(initial=0), s_week.min(initial=0)))
    key = cand.pair_staff[pair] * np.int64(1 << 16) + (week - w0)
    uniq, inv = np.unique(key, return_inverse=True)
    training = np.bincount(inv, weights=ix.meeting_end[meeting] - ix.meeting_start[meeting]).astype(np.int64)
    shift_key = s_staff * np.int64(1 << 16) + (s_week - w0)  # sorted, as the roster's weeks are
    at = np.searchsorted(shift_key, uniq)
    found = at < len(shift_key)
    found[found] = shift_key[at[found]] == uniq[found]
    base = np.zeros(len(uniq), dtype=np.int64)
    base[found] = s_minutes[at[found]]
    out = np.zeros(ix.n_staff)
    np.add.at(out, uniq >> 16, np.clip(base + training - limit, 0, training))
    return out


def _on_peak_days(ix: Indexed, cand: Candidates, chosen: np.ndarray) -> np.ndarray:
    """Per person, 1 when they have a meeting on a date their unit reaches its peak day."""
    staff, days = _attendance_days(ix, cand, chosen)
    unit = ix.staff_unit[staff]
    key, inv, count = np.unique(unit * np.int64(1 << 24) + days, return_inverse=True, return_counts=True)
    peak = np.zeros(len(ix.unit_ids), dtype=np.int64)
    np.maximum.at(peak, key >> 24, count)
    on_peak = count[inv] == peak[unit]
    out = np.zeros(ix.n_staff)
    out[staff[on_peak]] = 1.0
    return out


def changed_people(ix: Indexed, cand: Candidates, chosen: np.ndarray, replanning: Replanning) -> np.ndarray:
    """Per person, whether their attendances differ from the previous plan's (``changed_staff``):
    a pair taken or dropped, or a previous attendance no longer possible (changed whatever happens)."""
    changed = np.bincount(cand.pair_staff[chosen != replanning.previous], minlength=ix.n_staff) > 0
    if replanning.lost is not None:
        changed |= replanning.lost > 0
    return changed


def contributions(ds: Dataset, ix: Indexed, cand: Candidates, chosen: np.ndarray, term: str,
                  replanning: Replanning | None = None) -> np.ndarray:
    """Per person, how much the plan's figure of ``term`` comes from their attendances (the
    weights that pick a step's people; a person with 0 cannot lower the term by moving)."""
    taken = np.flatnonzero(chosen)
    staff, session = cand.pair_staff[taken], cand.pair_session[taken]

    def per_person(values) -> np.ndarray:
        return np.bincount(staff, weights=values, minlength=ix.n_staff).astype(float)

    if term == "shortfall_hours":
        return shortfall_hours(ix, cand, chosen).astype(float)
    if term == "largest_shortfall_hours":
        short = shortfall_hours(ix, cand, chosen).astype(float)
        return np.where(short >= short.max(initial=0), short, 0.0)
    if term == "overlap_minutes":
        return per_person(cand.pair_overlap[taken])
    if term == "rest_breaches":
        return per_person(cand.pair_rest[taken])
    if term == "overload_hours":
        limit = int(round(ds.policy.rules.max_weekly_load_hours * 60))
        return _overload_by_training(ix, cand, chosen, limit) if limit > 0 else np.zeros(ix.n_staff)
    if term == "unit_peak_days":
        return _on_peak_days(ix, cand, chosen)
    if term == "spend":
        return per_person(ix.session_fee[session])
    if term == "training_minutes":
        return per_person(ix.session_minutes[session])
    if replanning is None:  # changed_staff without a previous plan: nothing to go back to
        return np.zeros(ix.n_staff)
    movable = changed_people(ix, cand, chosen, replanning)  # changed_staff: who could go back to their plan
    if replanning.lost is not None:
        movable &= replanning.lost == 0
    return movable.astype(float)


def term_figure(ds: Dataset, ix: Indexed, cand: Candidates, chosen: np.ndarray, term: str,
                replanning: Replanning | None = None) -> int | None:
    """The plan's figure of ``term`` in internal units (``TERM_SCALE``), from the candidates as the
    model sees them; None for ``changed_staff`` without the previous plan."""
    taken = np.flatnonzero(chosen)
    session = cand.pair_session[taken]
    if term == "shortfall_hours":
        return int(shortfall_hours(ix, cand, chosen).sum())
    if term == "largest_shortfall_hours":
        return int(shortfall_hours(ix, cand, chosen).max(initial=0))
    if term == "overlap_minutes":
        return int(cand.pair_overlap[taken].sum())
    if term == "rest_breaches":
        return int(cand.pair_rest[taken].sum())
    if term == "overload_hours":
        return _overload_centiminutes(ds, ix, cand, chosen)
    if term == "unit_peak_days":
        staff, days = _attendance_days(ix, cand, chosen)
        key, count = np.unique(ix.staff_unit[staff] * np.int64(1 << 24) + days, return_counts=True)
        peak = np.zeros(len(ix.unit_ids), dtype=np.int64)
        np.maximum.at(peak, key >> 24, count)
        return int(peak.sum())
    if term == "spend":
        return int(ix.session_fee[session].sum())
    if term == "training_minutes":
        return int(ix.session_minutes[session].sum())
    if term == "changed_staff" and replanning is not None:
        return int(changed_people(ix, cand, chosen, replanning).sum())
    return None


def _overload_centiminutes(ds: Dataset, ix: Indexed, cand: Candidates, chosen: np.ndarray | None) -> int:
    """Hundredths of minutes of load above the weekly limit over every person-week, as the model
    counts them (rosters alone when ``chosen`` is None: the part no plan can remove)."""
    limit = round(ds.policy.rules.max_weekly_load_hours * 6000)
    if limit <= 0:
        return 0
    s_staff, s_week, s_minutes = ix.roster.weekly_shift_minutes()
    staff, week, minutes = s_staff, s_week, s_minutes
    if chosen is not None:
        pair, meeting = _meeting_rows(cand, np.flatnonzero(chosen))
        staff = np.concatenate([s_staff, cand.pair_staff[pair]])
        week = np.concatenate([s_week, iso_week(ix.meeting_start[meeting])])
        minutes = np.concatenate([s_minutes, ix.meeting_end[meeting] - ix.meeting_start[meeting]])
    w0 = int(week.min(initial=0))
    _, inv = np.unique(staff * np.int64(1 << 16) + (week - w0), return_inverse=True)
    load = 100 * np.bincount(inv, weights=minutes).astype(np.int64) if len(inv) else np.zeros(0, np.int64)
    return int(np.clip(load - limit, 0, None).sum())


def term_floors(ds: Dataset, ix: Indexed, cand: Candidates) -> dict[str, float]:
    """Lower bounds, in reported units, that hold for every plan: overload the rosters cause alone
    (every other term's is 0)."""
    return {"overload_hours": _overload_centiminutes(ds, ix, cand, None) / 6000}


def _step_weights(ds, ix, cand, chosen, terms: tuple[str, ...], replanning: Replanning | None) -> np.ndarray:
    """A stage's people weights: each term's contributions, scaled to sum to 1, added up."""
    total = np.zeros(ix.n_staff)
    for term in terms:
        part = contributions(ds, ix, cand, chosen, term, replanning)
        if part.sum() > 0:
            total += part / part.sum()
    return total


@dataclass
class StageRun:
    """What one stage's steps did; ``at_floor``: nobody adds anything the stage could remove (each
    term at its least possible figure: 0, or for overload what the rosters cause alone)."""

    steps: int = 0
    improving: int = 0
    seconds: float = 0.0
    at_floor: bool = False
    value: float | None = None  # the stage's figure at the end, reported units (None: not known here)
    bound: float = 0.0


class LaterStages:
    """Neighbourhood steps for a stage after the first, every stage before it held."""

    def __init__(self, ds: Dataset, ix: Indexed, cand: Candidates, objective: ObjectiveConfig,
                 settings: SolverSettings, locked: np.ndarray | None = None,
                 replanning: Replanning | None = None):
        self.ds, self.ix, self.cand, self.objective, self.settings = ds, ix, cand, objective, settings
        self.locked, self.replanning = locked, replanning
        self.look = PairIndex(ix, cand)
        self.rng = np.random.default_rng(settings.seed)
        self.allow_mode = ds.policy.rules.shift_overlap == "allow"
        self.floors = term_floors(ds, ix, cand)

    def step(self, chosen: np.ndarray, number: int, free: np.ndarray, seconds: float, step: int,
             stopper: Stopper) -> tuple[np.ndarray | None, int, object, float]:
        """One step on stage ``number`` freeing ``free`` people: the new plan (None when the step
        found none), how much it lowered the stage, CP-SAT's status and its deterministic time."""
        ix, cand = self.ix, self.cand
        stages = self.objective.stages
        residual, keep, fixed = sub_problem(ix, cand, chosen, free, self.locked,
                                             (self.look.staff_lo, self.look.staff_hi))
        short = shortfall_hours(ix, cand, chosen)
        around = Surroundings(freed=free, largest_floor=int(short[~free].max(initial=0)),
                              day_counts=day_counts(ix, cand, chosen, free))
        wanted = tuple(dict.fromkeys(t for s in stages[:number + 1] for t in s))
        rp = self.replanning
        pm = build_model(self.ds, residual, subset(cand, keep), terms=wanted, fixed=fixed,
                         previous=rp.previous[keep] if rp else None, previous_lost=rp.lost if rp else None,
                         around=around)
        weights = self.objective.weights
        held = [stage_expr(pm, terms, weights)[0] for terms in stages[:number]
                if any(weights[t] for t in terms)]
        expr, _ = stage_expr(pm, stages[number], weights)
        hint = pm.complete(chosen[keep])  # after the terms: building them adds variables
        for held_expr in held:
            pm.model.add(held_expr <= evaluate(held_expr, hint))
        before = evaluate(expr, hint)
        pm.model.minimize(expr)
        pm.model.proto.solution_hint.vars.extend(range(len(hint)))
        pm.model.proto.solution_hint.values.extend(hint)
        solver = step_solver(self.settings, step, False, self.allow_mode, seconds, int(keep.sum()))
        with stopper.following(solver):
            status = solver.solve(pm.model)
        dtime = solver.response_proto.deterministic_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, 0, status, dtime
        taken = pm.chosen(list(solver.response_proto.solution))
        # the plan's own figure: a solution's auxiliary variables need not be at their tightest
        after = evaluate(expr, pm.complete(taken))
        out = chosen.copy()
        out[np.flatnonzero(keep)] = taken
        return out, before - after, status, dtime

    def figure(self, chosen: np.ndarray, number: int) -> tuple[int | None, int]:
        """Stage ``number``'s figure for the plan in its internal units (None if a term has no
        figure here), and the divisor that turns it into reported units."""
        terms, weights = self.objective.stages[number], self.objective.weights
        scale = math.lcm(*(TERM_SCALE[t] for t in terms))
        parts = [term_figure(self.ds, self.ix, self.cand, chosen, t, self.replanning) for t in terms]
        if any(p is None for p in parts):
            return None, scale
        return sum(weights[t] * (scale // TERM_SCALE[t]) * p for t, p in zip(terms, parts)), scale

    def improve(self, chosen: np.ndarray, number: int, seconds: float, progress: Progress | None,
                stopper: Stopper) -> tuple[np.ndarray, StageRun]:
        """Steps on stage ``number`` for ``seconds``; returns the plan and what the steps did."""
        run = StageRun()
        t0 = time.monotonic()
        deadline = t0 + seconds
        terms = self.objective.stages[number]
        name = "+".join(terms) + " (neighbourhoods)"
        value, scale = self.figure(chosen, number)
        bound = sum(self.objective.weights[t] * self.floors.get(t, 0.0) for t in terms)
        target = FIRST_TARGET_PAIRS
        weights = _step_weights(self.ds, self.ix, self.cand, chosen, terms, self.replanning)
        while time.monotonic() < deadline - 0.2 and weights.sum() > 0 and not stopper.stopped:
            free = neighbourhood(self.rng, self.ix, self.cand, self.look, chosen, weights, target)
            left = deadline - time.monotonic()
            new, gain, status, dtime = self.step(chosen, number, free, min(STEP_SECONDS, left), run.steps,
                                                 stopper)
            run.steps += 1
            target = next_target(target, status, dtime, self.cand.n_pairs)
            if new is None:
                continue
            chosen = new
            weights = _step_weights(self.ds, self.ix, self.cand, chosen, terms, self.replanning)
            if gain > 0:
                run.improving += 1
                if progress and value is not None:
                    value -= gain
                    progress(name, value / scale, bound, time.monotonic() - t0)
        run.seconds = time.monotonic() - t0
        run.at_floor = not weights.sum() > 0
        run.value = None if value is None else value / scale
        run.bound = run.value if run.at_floor and value is not None else bound
        return chosen, run


def later_stage_results(objective: ObjectiveConfig, start: int, runs: dict[int, StageRun]) -> list[StageResult]:
    """Stage results for the stages from ``start`` on: 'optimal' where nobody adds anything the
    stage could remove, 'feasible' where steps ran (the bound: the floors of its terms), 'skipped'
    where none did."""
    out = []
    for number, terms in enumerate(objective.stages[start:], start=start):
        run = runs.get(number)
        name = "+".join(terms)
        if all(objective.weights[t] == 0 for t in terms):
            out.append(StageResult(name=name, terms=terms, status="ignored", value=None, bound=None, gap=None,
                                   seconds=0.0, solutions=0))
        elif run is None:
            out.append(StageResult(name=name, terms=terms, status="skipped", value=None, bound=None, gap=None,
                                   seconds=0.0, solutions=0))
        else:
            proven = run.value is not None and (run.at_floor or run.bound >= run.value - 1e-9)
            status = "optimal" if proven else "feasible"
            out.append(StageResult(
                name=name, terms=terms, status=status, value=run.value, bound=run.bound,
                gap=None if run.value is None else gap_of(run.value, run.bound), seconds=run.seconds,
                solutions=run.improving))
    return out



def improve_later_stages(ds: Dataset, ix: Indexed, cand: Candidates, chosen: np.ndarray,
                         objective: ObjectiveConfig, first: int, deadline: float, settings: SolverSettings,
                         progress: Progress | None = None, stopper: Stopper | None = None,
                         locked: np.ndarray | None = None, replanning: Replanning | None = None
                         ) -> tuple[np.ndarray, list[StageResult]]:
    """The stages from ``first`` on by neighbourhoods until ``deadline``, sharing the time evenly
    (what a stage leaves goes on to the next)."""
    stopper = stopper or Stopper()
    later = LaterStages(ds, ix, cand, objective, settings, locked, replanning)
    numbers = [k for k in range(first, len(objective.stages))
               if any(objective.weights[t] for t in objective.stages[k])]
    runs: dict[int, StageRun] = {}
    for i, number in enumerate(numbers):
        remaining = deadline - time.monotonic()
        if remaining <= 0.3 or stopper.stopped:
            break
        chosen, runs[number] = later.improve(chosen, number, remaining / (len(numbers) - i), progress, stopper)
    return chosen, later_stage_results(objective, first, runs)
