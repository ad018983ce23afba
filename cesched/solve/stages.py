"""Lexicographic stages: minimise each stage, then hold it at the value reached for the next.

A stage that is not proven optimal is held at the value its best plan reached, never at a bound,
so every later stage still has that plan as a feasible start and the report stays honest.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from ortools.sat.python import cp_model

from ..domain.policy import ObjectiveConfig
from ..model.builder import TERM_SCALE, PlanModel
from .plan import StageResult

#: in deterministic runs the wall clock only stops a run this many times over its limit
DETERMINISTIC_WALL_FACTOR = 10

#: share of the time the first stage may take: shortfall is what a plan is judged on first
FIRST_STAGE_SHARE = 0.7

#: above this many pairs, with the bound companion beside it, a stage's search runs CP-SAT's
#: neighbourhoods alone: on such models its complete search proves nothing in a run's time (the
#: companion's full LP does the proving) and improves the hinted plan less (300 staff forbid, 60 s,
#: seeds 0 and 1: stage 1 ended at 350 / 350 h against 356 / 360.5 h; 30 s, seeds 0-3: mean 354.5 h
#: against 358.75 h)
LNS_ONLY_ABOVE_PAIRS = 10_000
#: below it, one search worker runs CP-SAT's complete search and the others its neighbourhoods
#: (by default three workers all search the whole model). 2026-11-27, 30 s, seeds 0 and 1:
#: 100 staff "allow" overlap 12,430 / 16,565 min against 21,540 / 26,380; 100 staff "forbid" rest
#: breaches 62 / 64 against 74 / 63; 120 staff (small-gb18030, 60 s) overload 3,858 / 3,847 h
#: against 3,901 / 3,884.5 h, 200 staff "forbid" shortfall 496 / 501 h against 499 / 565 h;
#: earlier stages equal, 200 staff "allow" within noise. Neighbourhoods alone did as well or
#: better on most of these but lost the proof of stage 1 at 100 staff ("forbid").
SMALL_MODEL_FULL_WORKERS = 1
#: ... and that complete search is CP-SAT's full-LP subsolver, whose LP its neighbourhoods then
#: follow (RINS); a lone search worker (two workers in all) is that search alone. On small-gb18030
#: (120 staff, 1,249 pairs, one stage searched with the earlier ones held at their optima, seeds
#: 0 and 1) overload went from 3,838.5 h to its optimum, 3,822.5 h, after 7.1 / 12.5 s, where the
#: default-LP search ended at 3,823.5-3,826.5 h after 30 s; shortfall reached 1,904 h after
#: 1.5-2.2 s, where only the companion had found it (after 7.5-22.6 s). The companion stays: the
#: full-LP search took 32-35 s to prove 1,904 h, the companion 7-10 s.
SMALL_MODEL_SUBSOLVER = "max_lp"

#: where every stage is searched on the one model (not with ``until``), a stage after the first
#: takes at least this share of the time left, not an even one: any gain in it outranks every
#: later stage. small-gb18030, 60 s, seeds 0-3: overload 3,822.5 / 3,823.5 / 3,823.5 / 3,835.5 h
#: against 3,838.5 / 3,822.5 / 3,837 / 3,832.5 h with even shares (optimum 3,822.5 h); the later
#: stages still reached unit peak days' optimum (116) in all four runs. (Before the full-LP
#: neighbourhoods, SMALL_MODEL_SUBSOLVER, the stage had levelled off and more time gained nothing.)
LATER_STAGE_SHARE = 0.4

#: a later stage gets at least this many times the seconds the last stage's search took to its
#: first plan (CP-SAT's presolve, the hint being complete), while time is left: an even share
#: below that ends in presolve with little found. Qingshan (presolve 1.6 s), one stage-1 plan
#: held, 8 s for the rest, seeds 0-2: rest breaches 403 / 401 / 402 and overload 27,186-27,213 h,
#: the last three stages skipped, against 405 and 27,231 h with all searched for 1.0-1.4 s each.
STAGE_WARMUP_FACTOR = 3.0

#: called on every improving solution: (stage name, value, bound, elapsed seconds)
Progress = Callable[[str, float, float, float], None]


class LocksInfeasible(Exception):
    """Locked pairs that no plan can hold together (each alone was fine)."""


class Stopper:
    """Stops the running searches from another thread (Ctrl-C in the CLI) and remembers it did.
    One that nobody stops is what a search without a stop button is given: code asks
    ``stopper.stopped`` and never whether there is a stopper."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._solvers: list[cp_model.CpSolver] = []
        self.stopped = False

    def attach(self, solver: cp_model.CpSolver | None) -> None:
        """Follow ``solver`` (None: forget them all)."""
        with self._lock:
            if solver is None:
                self._solvers.clear()
                return
            self._solvers.append(solver)
            if self.stopped:
                solver.stop_search()

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            for solver in self._solvers:
                solver.stop_search()

    @contextmanager
    def following(self, *solvers: cp_model.CpSolver):
        """Follow ``solvers`` while the block runs."""
        for solver in solvers:
            self.attach(solver)
        try:
            yield
        finally:
            self.attach(None)


class BoundCompanion:
    """One CP-SAT worker with the full LP (linearization level 2) proving a lower bound beside the
    search. Measured on a 300-staff district: bound 345 where the 8-worker portfolio reached 192 in
    the same 60 s; the portfolio's own max-LP worker gets too little of two cores to go deep."""

    def __init__(self, model: cp_model.CpModel, seconds: float, seed: int, on_bound: Callable[[float], None],
                 on_proven: Callable[[], None] = lambda: None):
        self.model = model.clone()
        self.model.clear_hints()
        self.solver = cp_model.CpSolver()
        p = self.solver.parameters
        p.num_workers = 1
        p.linearization_level = 2
        p.max_time_in_seconds = seconds
        p.random_seed = seed
        p.catch_sigint_signal = False
        self.live_bound = float("-inf")  # updated while it runs, from its bound callback

        def bound_changed(value: float) -> None:
            self.live_bound = value
            on_bound(value)

        self.solver.best_bound_callback = bound_changed
        self.on_proven = on_proven
        self.status = None
        self.thread = threading.Thread(target=self._run, name="cesched-bound", daemon=True)

    def _run(self) -> None:
        self.status = self.solver.solve(self.model)
        if self.proven:
            # its last bound reaches no bound callback: the search must hear of the proof here
            # (a 120-staff district: proven after 18 s, the search ran on to its 42 s budget)
            self.on_proven()

    @property
    def proven(self) -> bool:
        """The companion solved the stage to optimality itself."""
        return self.status == cp_model.OPTIMAL

    def start(self) -> None:
        self.thread.start()

    def finish(self) -> None:
        # stop_search() is a no-op until solve() has begun, so repeat it until the thread ends
        while self.thread.is_alive():
            self.solver.stop_search()
            self.thread.join(0.05)

    @property
    def bound(self) -> float:
        final = self.solver.best_objective_bound if self.status is not None else float("-inf")
        return max(final, self.live_bound)

    def solution(self) -> list[int] | None:
        if self.status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return list(self.solver.response_proto.solution)
        return None


@dataclass
class SolverSettings:
    time_limit: float
    workers: int
    seed: int
    deterministic: bool

    def as_dict(self) -> dict:
        return {"time_limit_seconds": self.time_limit, "num_workers": self.workers,
                "random_seed": self.seed, "deterministic": self.deterministic}


@dataclass
class StageOutcome:
    results: list[StageResult] = field(default_factory=list)
    chosen: "np.ndarray | None" = None  # the plan (a Boolean per pair) of the last stage that had one
    holds: dict[int, int] = field(default_factory=dict)  # stage number -> its "held at" constraint's index


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage: str, scale: int, offset_start: float, progress: Progress | None,
                 companion: "BoundCompanion | None" = None, floor: float = -math.inf):
        super().__init__()
        self.stage, self.scale, self.start, self.progress = stage, scale, offset_start, progress
        self.companion = companion
        self.floor = floor  # a bound proved outside CP-SAT: a plan that meets it ends the search
        self.count = 0
        self.best: float | None = None
        self.first_seconds: float | None = None  # when the first plan came: CP-SAT's presolve is over

    def on_solution_callback(self) -> None:
        self.count += 1
        self.best = self.objective_value
        if self.first_seconds is None:
            self.first_seconds = time.monotonic() - self.start
        companion = self.companion
        bound = max(self.best_objective_bound, self.floor, companion.live_bound if companion else -math.inf)
        if self.best <= bound + 1e-9 or (companion is not None and companion.proven):
            self.stop_search()  # proven: by a bound from outside or the companion's, or by its own optimum
        if self.progress:
            self.progress(self.stage, self.objective_value / self.scale, bound / self.scale,
                          time.monotonic() - self.start)


def _skipped(name: str, terms: tuple[str, ...], status: str = "skipped") -> StageResult:
    return StageResult(name=name, terms=terms, status=status, value=None, bound=None, gap=None, seconds=0.0,
                       solutions=0)


def gap_of(value: float, bound: float | None) -> float | None:
    """Relative gap of a minimisation: 0 when the value is 0 or the bound meets it."""
    if bound is None:
        return None
    return 0.0 if value == 0 else max(0.0, (value - bound) / abs(value))


def stage_expr(pm: PlanModel, terms: tuple[str, ...], weights: dict[str, int]) -> tuple[cp_model.LinearExpr, int]:
    """Weighted sum of the stage's terms in integer internal units, and the divisor to report it."""
    scale = math.lcm(*(TERM_SCALE[t] for t in terms))
    expr = sum(weights[t] * (scale // TERM_SCALE[t]) * pm.term(t).expr() for t in terms)
    return expr, scale


def evaluate(expr: cp_model.LinearExpr, solution: list[int]) -> int:
    """Value of a linear expression under a full solution vector (no solver needed)."""
    flat = cp_model.FlatIntExpr(expr)
    return int(sum(c * solution[v.index] for v, c in zip(flat.vars, flat.coeffs)) + flat.offset)


@dataclass
class _Attempt:
    """What one stage's search left: the plan to keep, its value and bound (internal units)."""

    chosen: np.ndarray | None
    value: int
    bound: float
    status: str


def _configure(solver: cp_model.CpSolver, settings: SolverSettings, budget: float, wall_deadline: float,
               companion: "BoundCompanion | None", n_pairs: int) -> None:
    p = solver.parameters
    p.num_workers = settings.workers - (1 if companion else 0)
    if companion is not None:  # it proves the bound: the search workers may look for plans only
        if n_pairs > LNS_ONLY_ABOVE_PAIRS:
            p.use_lns_only = True
            # one search worker (two in all): CP-SAT's neighbourhoods interleaved in its thread, as
            # in a one-worker step (300 staff "forbid", 30 s, two workers: 410.5 / 426.5 -> 385 / 392 h)
            p.interleave_search = p.num_workers == 1
        else:
            p.num_full_subsolvers = SMALL_MODEL_FULL_WORKERS
            p.subsolvers.append(SMALL_MODEL_SUBSOLVER)
    p.random_seed = settings.seed
    p.catch_sigint_signal = False
    if companion is None:
        # no companion proves the bound (one worker, or a deterministic run): the full LP (level 2)
        # makes the search prove it itself (20 staff, "allow", one worker: level 1 left 727 h
        # unproven after 30 s, level 2 proves it)
        p.linearization_level = 2
    if settings.deterministic:
        # one worker is deterministic under a deterministic limit; interleaved multi-worker search
        # is too, but stalled at its start on a 300-staff district
        p.num_workers = 1
        p.max_deterministic_time = budget
        p.max_time_in_seconds = max(wall_deadline - time.monotonic(), 0.1)
    else:
        p.max_time_in_seconds = budget


def _hint(pm: PlanModel, chosen: np.ndarray | None) -> list[int] | None:
    """The best plan so far as a complete hint: CP-SAT takes it as its first solution."""
    pm.model.clear_hints()
    solution = pm.complete(chosen) if chosen is not None else None
    if solution is not None:
        pm.model.proto.solution_hint.vars.extend(range(len(solution)))
        pm.model.proto.solution_hint.values.extend(solution)
    return solution


def _judge(pm: PlanModel, solver: cp_model.CpSolver, status, companion: "BoundCompanion | None",
           expr: cp_model.LinearExpr, start: list[int] | None, chosen: np.ndarray | None) -> _Attempt | None:
    """The plan a stage keeps and what is proven about it; None when no plan exists at all."""
    other = companion.bound if companion else float("-inf")
    if companion and companion.status == cp_model.OPTIMAL and (
            status not in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            or companion.solver.objective_value <= solver.objective_value):
        value = int(round(companion.solver.objective_value))
        return _Attempt(pm.chosen(companion.solution()), value, value, "optimal")
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        value = int(round(solver.objective_value))
        bound = max(solver.best_objective_bound, other)
        proven = status == cp_model.OPTIMAL or bound >= value
        return _Attempt(pm.chosen(list(solver.response_proto.solution)), value, bound,
                        "optimal" if proven else "feasible")
    if status == cp_model.UNKNOWN and start is not None:  # no better plan in time: keep the start
        value = evaluate(expr, start)
        bound = max(solver.best_objective_bound, other)
        return _Attempt(chosen, value, bound, "optimal" if bound >= value else "feasible")
    if status == cp_model.UNKNOWN:
        return None
    if status == cp_model.INFEASIBLE and pm.stats.get("fixed_pairs"):
        raise LocksInfeasible("the locked assignments cannot all be kept: no plan with them keeps every "
                              "rule (typically min_attendance of a locked session)")
    raise RuntimeError(f"CP-SAT returned {solver.status_name(status)}: the model is built wrong "
                       "(an empty plan is always feasible)")


def companion_runs(settings: SolverSettings) -> bool:
    """Whether the bound companion runs beside a stage's search (it takes one worker, and its
    thread's timing would make a deterministic run differ)."""
    return not settings.deterministic and settings.workers >= 2


def _search(pm: PlanModel, settings: SolverSettings, budget: float, wall_deadline: float, name: str,
            scale: int, progress: Progress | None, stopper: Stopper, floor: float = -math.inf):
    """One stage's CP-SAT search (with the bound companion beside it): (solver, status, companion,
    reporter, seconds), or None when a stop came before the search began."""
    solver = cp_model.CpSolver()
    companion = None
    if companion_runs(settings):
        def on_bound(value: float) -> None:
            if reporter.best is not None and reporter.best <= value + 1e-9:
                solver.stop_search()  # the companion proved the search's plan optimal

        companion = BoundCompanion(pm.model, budget, settings.seed, on_bound, on_proven=solver.stop_search)
    if not settings.deterministic:  # cloning and hinting took time: never run past the deadline
        budget = max(0.1, min(budget, wall_deadline - time.monotonic()))
        if companion:
            companion.solver.parameters.max_time_in_seconds = budget
    _configure(solver, settings, budget, wall_deadline, companion, len(pm.x))
    reporter = _Reporter(name, scale, time.monotonic(), progress, companion, floor)
    with stopper.following(solver, *([companion.solver] if companion else [])):
        if stopper.stopped:  # a stop that came before solve() began would be lost
            return None
        t0 = time.monotonic()
        if companion:
            companion.start()
        status = solver.solve(pm.model, reporter)
        if companion:
            companion.finish()
    return solver, status, companion, reporter, time.monotonic() - t0


def _outside_floor(terms: tuple[str, ...], objective: ObjectiveConfig, scale: int,
                   term_bounds: dict[str, int] | None) -> float:
    """The stage's bound proved outside CP-SAT (max flow, LP on shortfall), in stage units."""
    if len(terms) != 1 or not term_bounds or terms[0] not in term_bounds:
        return -math.inf
    term = terms[0]
    return objective.weights[term] * term_bounds[term] * (scale // TERM_SCALE[term])


def _outside_bound(attempt: _Attempt, floor: float) -> _Attempt:
    """Raise the attempt's bound to the one proved outside CP-SAT."""
    if attempt.status == "optimal":
        return _Attempt(attempt.chosen, attempt.value, attempt.value, "optimal")
    bound = max(attempt.bound, floor)
    return _Attempt(attempt.chosen, attempt.value, bound, "optimal" if bound >= attempt.value else "feasible")


def stage_budget(remaining: float, number: int, left: int, warmup: float | None, first: int = 0,
                 later_share: float = 0.0) -> float:
    """Seconds for stage ``number`` (0-based) of which ``left`` remain, stages after it included:
    the first searched (stage ``first``) takes FIRST_STAGE_SHARE, the others an even share or
    ``later_share``, whichever is more, but at least STAGE_WARMUP_FACTOR times ``warmup`` (the last
    search's seconds to its first plan; None in deterministic runs, whose budget is in deterministic
    seconds) while ``remaining`` allows. Stages later in the order yield first: the time a stage
    leaves when it ends early goes on to the next."""
    if left <= 1:
        share = 1.0
    else:
        share = FIRST_STAGE_SHARE if number == first else max(1.0 / left, later_share)
    budget = remaining * share
    if warmup is not None:
        budget = max(budget, STAGE_WARMUP_FACTOR * warmup)
    return min(remaining, budget)


def _held_until(stages: list, first: int, until: int | None, wall_deadline: float,
                settings: SolverSettings) -> float:
    """When the stages after the first must end so that those after ``until`` (searched
    elsewhere, after these) keep the even share of the time after the first stage's that they
    would have here. Without it a slow presolve's warm-up floor gave the second stage all of it:
    2,000 staff ("forbid", 230,049 pairs), 600 s, the first plan of stage 1 came after 86 s, so
    stage 2 took the rest, found nothing, and the five later stages were skipped."""
    if until is None or until >= len(stages) or settings.deterministic:
        return math.inf
    after_first = len(stages) - first - 1
    kept = (1 - FIRST_STAGE_SHARE) * (wall_deadline - time.monotonic()) * (len(stages) - until) / after_first
    return wall_deadline - kept


def run_stages(pm: PlanModel, objective: ObjectiveConfig, settings: SolverSettings,
               progress: Progress | None = None, stopper: Stopper | None = None,
               incumbent: np.ndarray | None = None, deadline: float | None = None,
               term_bounds: dict[str, int] | None = None, until: int | None = None,
               first: int = 0) -> StageOutcome:
    """Solve the stages in order. ``deadline`` (time.monotonic) ends the wall-clock budget; by
    default it is ``settings.time_limit`` from now. With ``until``, only the stages before it are
    solved, each with the time it would have had among all of them (the rest is left to others).
    With ``first``, the stages before it are already held in the model and are not reported."""
    stopper = stopper or Stopper()
    outcome = StageOutcome()
    # the budget is wall-clock seconds, or CP-SAT's deterministic seconds when a run must be
    # reproducible (then the wall clock is only a safety net, far enough not to decide anything)
    if deadline is None:
        deadline = time.monotonic() + settings.time_limit
    wall_deadline = deadline + ((DETERMINISTIC_WALL_FACTOR - 1) * settings.time_limit if settings.deterministic else 0)
    dtime_left = settings.time_limit
    stages = list(objective.stages)
    chosen = incumbent  # the plan every stage starts from and falls back to
    warmup = None  # seconds the last search took to its first plan
    halted = False  # after an interruption or a stage with no plan, later stages are reported skipped
    held_until = _held_until(stages, first, until, wall_deadline, settings)
    for number, terms in enumerate(stages[:until]):
        if number < first:
            continue
        name = "+".join(terms)
        if all(objective.weights[t] == 0 for t in terms):
            outcome.results.append(_skipped(name, terms, "ignored"))
            continue
        remaining = dtime_left if settings.deterministic else wall_deadline - time.monotonic()
        if remaining <= 0.05 or stopper.stopped or halted:
            outcome.results.append(_skipped(name, terms))
            continue
        expr, scale = stage_expr(pm, terms, objective.weights)  # may build the term: takes time
        if not settings.deterministic:
            remaining = wall_deadline - time.monotonic()
        if remaining <= 0.05:  # building the term used up the time
            outcome.results.append(_skipped(name, terms))
            continue
        flat = cp_model.FlatIntExpr(expr)
        if not flat.vars:  # nothing to decide (e.g. overlap when shifts forbid it): a constant
            value = flat.offset / scale
            outcome.results.append(StageResult(name=name, terms=terms, status="optimal", value=value,
                                               bound=value, gap=0.0, seconds=0.0, solutions=0))
            continue
        left = len(stages) - number
        budget = stage_budget(remaining, number, left, warmup, first,
                              later_share=LATER_STAGE_SHARE if until is None else 0.0)
        if number > first:  # the warm-up floor must not eat the time kept for the stages after ``until``
            budget = min(budget, max(0.1, held_until - time.monotonic()))
        pm.model.minimize(expr)
        start = _hint(pm, chosen)
        floor = _outside_floor(terms, objective, scale, term_bounds)
        value = evaluate(expr, start) if start is not None else None
        if value is not None and value <= floor:  # the plan so far is proven optimal
            outcome.results.append(StageResult(name=name, terms=terms, status="optimal", value=value / scale,
                                               bound=value / scale, gap=0.0, seconds=0.0, solutions=0))
            outcome.holds[number] = pm.model.add(expr <= value).index
            continue
        searched = _search(pm, settings, budget, wall_deadline, name, scale, progress, stopper, floor)
        if searched is None:
            outcome.results.append(_skipped(name, terms))
            halted = True
            continue
        solver, status, companion, reporter, seconds = searched
        dtime_left -= solver.response_proto.deterministic_time
        attempt = _judge(pm, solver, status, companion, expr, start, chosen)
        if attempt is None:
            outcome.results.append(StageResult(name=name, terms=terms, status="no_solution", value=None,
                                               bound=solver.best_objective_bound / scale, gap=None,
                                               seconds=seconds, solutions=0))
            halted = True
            continue
        attempt = _outside_bound(attempt, floor)
        if start is not None and not settings.deterministic:
            if reporter.first_seconds is not None:
                warmup = reporter.first_seconds
            elif attempt.status != "optimal":  # no plan, no proof: presolve took the whole budget
                warmup = max(warmup or 0.0, seconds)
        chosen = attempt.chosen
        outcome.results.append(StageResult(
            name=name, terms=terms, status=attempt.status, value=attempt.value / scale,
            bound=attempt.bound / scale, gap=gap_of(attempt.value, attempt.bound), seconds=seconds,
            solutions=reporter.count,
        ))
        outcome.holds[number] = pm.model.add(expr <= attempt.value).index
        halted = stopper.stopped
    outcome.chosen = chosen
    return outcome


#: the least wall-clock time left after the stages that a revisit of an unproven stage is worth
REVISIT_MIN_SECONDS = 1.0
#: at most this many revisits in one run (each ends when its stages do)
REVISITS = 4


def revisit(pm: PlanModel, objective: ObjectiveConfig, settings: SolverSettings, outcome: StageOutcome,
            deadline: float, progress: Progress | None = None, stopper: Stopper | None = None,
            term_bounds: dict[str, int] | None = None) -> StageOutcome:
    """Give the time later stages left unused back to the first stage not proven optimal.

    Stages often prove quickly after an unproven one (a small district's spend, training minutes),
    and the run would end with time left. The unproven stage and every stage after it are released
    (their "held at" constraints relaxed), then searched again from the run's plan with the stages
    before it still held: its value is at most what it was (the plan is lexicographically no worse;
    a later stage may give way to it), and every bound at least what it was (a bound found with a
    stage held higher stays a bound when it is held lower)."""
    stopper = stopper or Stopper()
    for _ in range(REVISITS):
        if settings.deterministic or stopper.stopped or deadline - time.monotonic() < REVISIT_MIN_SECONDS:
            break
        statuses = [r.status for r in outcome.results]
        if len(outcome.results) != len(objective.stages) or any(s in ("skipped", "no_solution") for s in statuses):
            break  # time ran out or a stage had no plan: nothing to give back
        unproven = [k for k, s in enumerate(statuses) if s == "feasible"]
        if not unproven or outcome.chosen is None:
            break
        first = unproven[0]
        for number, index in outcome.holds.items():
            if number >= first:
                _release(pm.model.proto.constraints[index].linear.domain)
        again = run_stages(pm, objective, settings, progress, stopper, incumbent=outcome.chosen, deadline=deadline,
                           term_bounds=term_bounds, first=first)
        outcome = _merged(outcome, again, first)
    return outcome


def _release(domain) -> None:
    """Relax a held stage's ``expr <= value`` (domain [min, value]) to no limit at all."""
    if len(domain) != 2:
        raise AssertionError(f"a stage hold has the domain {list(domain)}, not [min, value]")
    domain[0], domain[1] = cp_model.INT_MIN, cp_model.INT_MAX


def _merged(before: StageOutcome, again: StageOutcome, first: int) -> StageOutcome:
    """The revisited stages' results over the earlier run's: the better bound, the seconds of both."""
    results = list(before.results[:first])
    for old, new in zip(before.results[first:], again.results):
        if new.value is None:  # stopped before this stage: the plan's figure is unknown here
            results.append(new)
            continue
        bounds = [b for b in (old.bound, new.bound) if b is not None]
        bound = max(bounds) if bounds else None
        proven = new.status == "optimal" or (bound is not None and bound >= new.value - 1e-9)
        results.append(new.model_copy(update={
            "bound": bound, "gap": gap_of(new.value, bound), "status": "optimal" if proven else new.status,
            "seconds": old.seconds + new.seconds, "solutions": old.solutions + new.solutions}))
    holds = {k: v for k, v in before.holds.items() if k < first} | again.holds
    return StageOutcome(results=results, chosen=again.chosen if again.chosen is not None else before.chosen,
                        holds=holds)
