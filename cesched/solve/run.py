"""``solve(dataset) -> Plan``: candidates, model, stages, then the plan judged by the audit."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from ..candidates import HOURS_SCALE, Candidates, Indexed, build_candidates, index_dataset, shortfall_hours
from ..domain.dataset import Dataset
from ..domain.policy import ObjectiveConfig
from ..model.builder import build_model
from ..problems import DatasetError, Problem
from ..timeline import is_night_shift, to_minutes
from .bound import cut_bound
from .greedy import desk_plan, fitting_plan
from .later import Replanning, improve_later_stages
from .lns import improve_shortfall
from .options import SolveOptions
from .plan import Plan, StageResult
from .relax import (LP_BESIDE_MAX_PAIRS, LP_BESIDE_SHARE, LP_BOUND_MAX_PAIRS, BoundBeside, lp_relaxation,
                    lp_seconds_estimate)
from .replan import anchors, changes_frame, check_locks, wanted_keys
from .stages import (FIRST_STAGE_SHARE, LocksInfeasible, Progress, SolverSettings, Stopper, companion_runs, gap_of,
                     revisit, run_stages)

#: above this many candidate pairs one CP-SAT model is too slow to improve a plan on its own, so a
#: neighbourhood search on shortfall runs first for LNS_SHARE of the time limit (300 staff, 13,791
#: pairs, 60 s: the model alone ended at 390.5-471 h over runs, neighbourhoods first at 350-372.5 h).
#: Per shift_overlap mode: under "forbid" the whole model leaves shortfall unproven from about
#: 7,000 pairs, and the neighbourhoods first lower it (2026-12-05, 60 s, seeds 0-3: 180 staff,
#: 7,016 pairs, 394.6 -> 389 h mean, 4 of 4; 240 staff, 9,719 pairs, 668.5 -> 645.2 h, 3 of 3, and
#: 3 of 3 the day before; 200 staff, 8,168 pairs, 335.75 -> 334.6 h, 2 of 4) though the later
#: stages get less time; under "allow" the whole model proved shortfall up to 9,858 pairs in
#: every run and the neighbourhoods only cost the later stages (overlap 2-3x higher); from the
#: whole model alone, shortfall and largest shortfall came out equal and the later stages better
#: at 11,857 pairs (200 staff, 2 of 2: overlap 84,660 / 79,410 -> 66,480 / 64,260 min) and 13,492
#: (240 staff, 3 of 3: 140,550 / 147,870 / 146,940 -> 121,320 / 129,900 / 129,090 min), but at
#: 15,891 (270 staff) shortfall was far worse (590 / 577.5 -> 669 / 652.5 h)
LNS_ABOVE_PAIRS = {"forbid": 6_500, "allow": 14_000}
LNS_SHARE = 0.75  # at 3,000 staff the full model found nothing in its share of stage 1
#: up to this many pairs the full model's stage searches (CP-SAT's LNS alone, see stages) gain
#: more than the neighbourhoods from the same seconds, and get half the time instead (60 s,
#: seeds 0-3: Qingshan, 19,992 pairs, mean 1,867.4 -> 1,847.1 h; 300 staff forbid, 13,791 pairs,
#: 30 s, 354.5 -> 351.9 h; not above: 700 staff, 40,000 pairs, 2,495 / 2,551.5 -> 2,498 / 2,581 h,
#: 1,000 staff 5,474 / 5,429.5 -> 5,584.5 / 5,561 h)
SMALL_MODEL_PAIRS = 25_000
SMALL_MODEL_LNS_SHARE = 0.5
#: most of the time left the people's own problems of the cut bound may take, after its max flow.
#: 20,000 staff "forbid", 200 s: they need about 12 s of the 125 s left, and with 10 % of the time
#: left before the flow (6 s after it) the bound was 129,224.5 h, not 138,564 h; the seconds they
#: take from the neighbourhoods cost about 0.1 % of stage 1
CUT_BOUND_SHARE = 0.15
#: most of the time limit the LP bound may take (300 staff: 2 s)
LP_SHARE = 0.2
#: nor is it started with less than this: reading the rows and starting HiGHS alone took 0.5 s at
#: 300 staff, so a 0.5 s limit ran to 1.2 s
LP_MIN_SECONDS = 1.0
#: above this many pairs the stages after the first are searched by neighbourhoods (``later``), not
#: on the whole model: from one Qingshan plan (19,992 pairs), 56 s for the later stages gave rest
#: breaches 407 -> 343, overload 27,354 -> 27,064 h, unit peak days 332 -> 322, spend 197,070 ->
#: 194,440 CNY by neighbourhoods, against 402, 27,303 h, 327 and 196,520 CNY on the whole model
LATER_NEIGHBOURHOODS_ABOVE_PAIRS = 10_000
#: where no single model is built, the later stages' share of the time (the rest goes to shortfall),
#: the share they have on one model above SMALL_MODEL_PAIRS (the 25 % the neighbourhoods leave, 30 %
#: of it after stage 1). Stage 1 is far from converged there (3,000 staff, 60 s, seeds 0 and 1: a 15 %
#: share cost it 17,970 / 18,060 -> 18,211.5 / 18,220 h in "forbid", 5,337.5 / 5,332 -> 5,503 /
#: 5,892.5 h in "allow", for rest breaches 3,975 / 3,962 -> 3,947 / 3,849 and peak days 1,576 /
#: 1,529 -> 1,539 / 1,524), so it keeps what the lexicographic order gives it elsewhere
LATER_SHARE = (1 - LNS_SHARE) * (1 - FIRST_STAGE_SHARE)
#: above this many pairs no single CP-SAT model is built for the stages, however long the run: at
#: 3,000 staff (519,992 pairs, "forbid") and 600 s its stage 1 found nothing better than the
#: neighbourhoods' plan in 100 s (its first plan, the hint, came after 33-38 s of presolve), and
#: stage 2 took the rest, so the later stages got none (two runs: 16,452.5 and 16,478.5 h); without
#: it 16,368 h and 44 s for the later stages (2026-12-05, seed 0)
FULL_MODEL_MAX_PAIRS = 300_000
#: nor, above FULL_MODEL_ALWAYS_PAIRS, beyond this many pairs per second of the time limit: in 60 s
#: a 520,000-pair model (3,000 staff) spent its 19 s building and searching without improving on
#: the neighbourhoods, which cut 5 % more shortfall given that time; at 230,000 pairs (2,000 staff)
#: it still orders the later stages
FULL_MODEL_PAIRS_PER_SECOND = 5_000
FULL_MODEL_ALWAYS_PAIRS = 250_000

ASSIGNMENT_COLUMNS = ["staff_id", "session_id", "course_id", "category", "hours", "fee", "start", "end",
                      "venue_id", "overlap_minutes"]


def settings_for(dataset: Dataset, options: SolveOptions) -> SolverSettings:
    solver = dataset.policy.solver
    workers = options.workers if options.workers is not None else solver.workers
    return SolverSettings(
        time_limit=options.time_limit_seconds or solver.time_limit_seconds,
        workers=workers or (os.cpu_count() or 1),  # 0 from the CLI = one per core
        seed=options.seed if options.seed is not None else solver.seed,
        deterministic=options.deterministic,
    )


def solve(dataset: Dataset, options: SolveOptions | None = None, *, previous: pd.DataFrame | None = None,
          locked: pd.DataFrame | None = None, progress: Progress | None = None,
          stopper: Stopper | None = None, lock_source: str = "locked assignments") -> Plan:
    """Plan the dataset: lexicographic stages as the policy's ``[objective]`` orders them.

    ``previous`` (staff_id, session_id rows of a published plan): after shortfall, the plan changes
    as few people as it can, and ``Plan.changes`` lists every difference with its reason.
    ``locked`` rows must stay in the plan; locks that break a hard rule raise DatasetError.
    """
    options = options or SolveOptions()
    stopper = stopper or Stopper()
    settings = settings_for(dataset, options)
    if locked is not None:
        check_locks(dataset, locked, source=lock_source)
    seconds: dict[str, float] = {}
    t = time.monotonic()
    deadline = t + settings.time_limit  # the limit covers everything solve() does
    ix = index_dataset(dataset)
    cand = build_candidates(dataset, ix, wanted=wanted_keys(ix, previous, locked))
    anchor = anchors(ix, cand, previous, locked, source=lock_source)
    seconds["candidates"] = time.monotonic() - t
    stats = {"pairs": cand.n_pairs}
    if options.method == "greedy":
        t = time.monotonic()
        desk = desk_plan(ix, cand, settings.seed)
        seconds["desk"] = time.monotonic() - t
        return finish_plan(dataset, assignments_frame(dataset, ix, cand, desk), [], settings, seconds, stats,
                           interrupted=False, method="greedy")
    t = time.monotonic()
    start = fitting_plan(ix, cand, settings.seed, locked=anchor.locked, keep=anchor.previous)
    seconds["greedy"] = time.monotonic() - t
    t = time.monotonic()
    bounds = {"shortfall_hours": cut_bound(dataset, ix, cand, CUT_BOUND_SHARE * max(0.0, deadline - t), settings.seed,
                                           settings.deterministic, should_stop=lambda: stopper.stopped)}
    seconds["bound"] = time.monotonic() - t
    objective = _objective(dataset, previous is not None)
    try:
        if cand.n_pairs > full_model_limit(settings.time_limit):
            chosen, stages = _neighbourhoods_only(dataset, ix, cand, start, bounds, settings, deadline, seconds,
                                                  stats, progress, stopper, anchor, objective)
        else:
            chosen, stages = _staged(dataset, ix, cand, start, bounds, settings, deadline, seconds, stats,
                                     progress, stopper, anchor, objective)
    except LocksInfeasible as exc:
        raise DatasetError([Problem("error", "locked assignments", str(exc), column="min_attendance",
                                    expected="locks that some plan can keep together")]) from None
    assignments = assignments_frame(dataset, ix, cand, chosen)
    changes = changes_frame(dataset, ix, previous, assignments) if previous is not None else None
    return finish_plan(dataset, assignments, stages, settings, seconds, stats,
                       interrupted=stopper.stopped, changes=changes)


def full_model_limit(time_limit: float) -> float:
    """Most candidate pairs for which one CP-SAT model over every stage is built."""
    return min(FULL_MODEL_MAX_PAIRS, max(FULL_MODEL_ALWAYS_PAIRS, FULL_MODEL_PAIRS_PER_SECOND * time_limit))


def _objective(dataset: Dataset, replanning: bool) -> ObjectiveConfig:
    """The policy's stages; when re-planning, 'changed_staff' right after the shortfall stages
    unless the policy places it itself."""
    objective = dataset.policy.objective
    flat = [t for stage in objective.stages for t in stage]
    if not replanning or "changed_staff" in flat:
        return objective
    stages = list(objective.stages)
    after = max((i for i, st in enumerate(stages) if set(st) & {"shortfall_hours", "largest_shortfall_hours"}),
                default=-1)
    stages.insert(after + 1, ("changed_staff",))
    return objective.model_copy(update={"stages": tuple(stages)})


def _staged(dataset, ix, cand, start, bounds, settings, deadline, seconds, stats, progress, stopper, anchor,
            objective):
    """One CP-SAT model, every stage; large models first improve shortfall by neighbourhoods."""
    t = time.monotonic()
    pm = build_model(dataset, ix, cand, fixed=anchor.locked, previous=anchor.previous, previous_lost=anchor.lost)
    seconds["build"] = time.monotonic() - t
    stats.update(pm.stats)
    guide = None  # the pairs' values at a vertex of the LP, where there is one
    if cand.n_pairs <= LP_BOUND_MAX_PAIRS and ("shortfall_hours",) in objective.stages:  # else no stage uses it
        t = time.monotonic()
        share = LP_SHARE * max(0.0, deadline - t)
        if share >= LP_MIN_SECONDS and not stopper.stopped:
            # whether crossover finishes in the share depends on the wall clock: not in a run that must repeat
            lp = lp_relaxation(pm, pm.term("shortfall_hours"), share, vertex=not settings.deterministic,
                               ceiling=int(shortfall_hours(ix, cand, start).sum()),
                               should_stop=lambda: stopper.stopped)
            bounds["shortfall_hours"] = max(bounds["shortfall_hours"], lp.bound if lp.bound is not None else 0)
            guide = lp.pairs
            seconds["lp_bound"] = time.monotonic() - t
    lns_ran = (cand.n_pairs > LNS_ABOVE_PAIRS[dataset.policy.rules.shift_overlap]
               or settings.deterministic)  # one worker needs the head start
    share_of_time = lns_share(cand.n_pairs, settings)
    if lns_ran:
        t = time.monotonic()
        # deterministic runs share the limit in CP-SAT's deterministic seconds, never the wall clock
        share = share_of_time * (settings.time_limit if settings.deterministic else max(0.0, deadline - t))
        beside = None
        if _lp_beside_pays(cand, objective, settings, share):  # (never in deterministic runs)
            beside = BoundBeside(pm, pm.term("shortfall_hours"), share, lambda: stopper.stopped)
            share = share_of_time * max(0.0, deadline - time.monotonic())  # reading its rows took time
        start, lns = improve_shortfall(dataset, ix, cand, start, share, settings,
                                       progress, stopper, bounds["shortfall_hours"], anchor.locked,
                                       strict=anchor.previous is not None, guide=guide)
        seconds["neighbourhoods"] = time.monotonic() - t
        stats.update(lns_steps=lns.steps, lns_improving=lns.improving)
        _take_bound(beside, bounds, seconds)
    t = time.monotonic()
    stage_settings = settings
    if settings.deterministic:
        stage_settings = replace(settings, time_limit=settings.time_limit * ((1 - share_of_time) if lns_ran else 1))
    # above the threshold only the shortfall stages on the whole model (its bounds prove them), each
    # with the time it has among all the stages; the others by neighbourhoods in what is left
    later = later_by_neighbourhoods(cand.n_pairs, settings) and len(objective.stages) > 1
    lead = _whole_model_stages(objective) if later else None
    outcome = run_stages(pm, objective, stage_settings, progress, stopper, incumbent=start,
                         deadline=None if settings.deterministic else max(deadline, t + 0.1),
                         term_bounds=bounds, until=lead)
    if not later:
        outcome = revisit(pm, objective, stage_settings, outcome, deadline, progress, stopper, bounds)
    seconds["solve"] = time.monotonic() - t
    chosen = outcome.chosen if outcome.chosen is not None else start
    if not later:
        return chosen, outcome.results
    t = time.monotonic()
    chosen, rest = improve_later_stages(dataset, ix, cand, chosen, objective, lead, deadline, settings, progress,
                                        stopper, anchor.locked, _replanning(anchor))
    seconds["later_neighbourhoods"] = time.monotonic() - t
    return chosen, outcome.results + rest


def _lp_beside_pays(cand: Candidates, objective: ObjectiveConfig, settings: SolverSettings,
                    seconds: float) -> bool:
    """Whether the LP bound on shortfall runs beside the neighbourhoods' ``seconds``: where the
    model is too big to wait for it first and they leave it time enough (not in deterministic
    runs: the thread shares the cores, so the steps' outcome would hang on its timing)."""
    return (not settings.deterministic and LP_BOUND_MAX_PAIRS < cand.n_pairs <= LP_BESIDE_MAX_PAIRS
            and ("shortfall_hours",) in objective.stages
            and lp_seconds_estimate(cand.n_pairs) <= LP_BESIDE_SHARE * seconds)


def _take_bound(beside: BoundBeside | None, bounds: dict[str, int], seconds: dict[str, float]) -> None:
    """The LP's bound, once the neighbourhoods are done (ended where it is still running)."""
    if beside is None:
        return
    bound = beside.result()
    bounds["shortfall_hours"] = max(bounds["shortfall_hours"], bound if bound is not None else 0)
    seconds["lp_bound_beside"] = beside.seconds


#: stages a whole model searches and proves better than neighbourhoods when they come first (300
#: staff, 30 s: the largest shortfall proven optimal on the model, unproven by neighbourhoods);
#: re-planning's count of people changed joins them (it is the published plan's stability)
WHOLE_MODEL_TERMS = frozenset({"shortfall_hours", "largest_shortfall_hours", "changed_staff"})


def _whole_model_stages(objective: ObjectiveConfig) -> int:
    """How many stages, from the first, are made of WHOLE_MODEL_TERMS alone (at least one)."""
    lead = 1
    while lead < len(objective.stages) and set(objective.stages[lead]) <= WHOLE_MODEL_TERMS:
        lead += 1
    return lead


def _replanning(anchor) -> Replanning | None:
    return Replanning(anchor.previous, anchor.lost) if anchor.previous is not None else None


def later_by_neighbourhoods(n_pairs: int, settings: SolverSettings) -> bool:
    """Whether the stages after the first are searched by neighbourhoods (their steps run on the
    wall clock: not in deterministic runs)."""
    return n_pairs > LATER_NEIGHBOURHOODS_ABOVE_PAIRS and not settings.deterministic


def lns_share(n_pairs: int, settings: SolverSettings) -> float:
    """Share of the time the neighbourhoods take before the full model's stages. The smaller
    share pays only through the stages' LNS-only search, which runs beside the bound companion:
    not in deterministic or one-worker runs."""
    return SMALL_MODEL_LNS_SHARE if companion_runs(settings) and n_pairs <= SMALL_MODEL_PAIRS else LNS_SHARE


def _neighbourhoods_only(dataset, ix, cand, start, bounds, settings, deadline, seconds, stats, progress, stopper,
                         anchor, objective):
    """A district too big for one model, or for one model within the time limit: shortfall by
    neighbourhoods for the whole time, bounded by the max flow; later stages are reported from the
    plan but not optimised."""
    t = time.monotonic()
    # the later stages hold what shortfall reached, so shortfall must be the first stage
    later = (later_by_neighbourhoods(cand.n_pairs, settings) and len(objective.stages) > 1
             and objective.stages[0] == ("shortfall_hours",))
    share = (1 - LATER_SHARE) if later else 1.0
    lns_seconds = share * max(0.0, deadline - t)
    beside = None
    if _lp_beside_pays(cand, objective, settings, lns_seconds):  # a model for its rows alone
        pm = build_model(dataset, ix, cand, terms=("shortfall_hours",), fixed=anchor.locked)
        beside = BoundBeside(pm, pm.term("shortfall_hours"), lns_seconds, lambda: stopper.stopped)
        del pm
        lns_seconds = share * max(0.0, deadline - time.monotonic())
    chosen, lns = improve_shortfall(dataset, ix, cand, start, lns_seconds, settings, progress,
                                    stopper, bounds["shortfall_hours"], anchor.locked,
                                    strict=anchor.previous is not None)
    seconds["neighbourhoods"] = time.monotonic() - t
    stats.update(lns_steps=lns.steps, lns_improving=lns.improving, full_model=0)
    _take_bound(beside, bounds, seconds)
    weight = objective.weights["shortfall_hours"]  # stage values are in weighted units
    value = weight * float(shortfall_hours(ix, cand, chosen).sum()) / HOURS_SCALE
    bound = weight * bounds["shortfall_hours"] / HOURS_SCALE
    stages = []
    for terms in objective.stages:
        name = "+".join(terms)
        if terms == ("shortfall_hours",):
            status = "optimal" if bound >= value else "feasible"
            stages.append(StageResult(name=name, terms=terms, status=status, value=value, bound=bound,
                                      gap=gap_of(value, bound), seconds=seconds["neighbourhoods"],
                                      solutions=lns.improving))
        else:
            stages.append(StageResult(name=name, terms=terms, status="skipped", value=None, bound=None,
                                      gap=None, seconds=0.0, solutions=0))
    if later:
        t = time.monotonic()
        chosen, rest = improve_later_stages(dataset, ix, cand, chosen, objective, 1, deadline, settings, progress,
                                            stopper, anchor.locked, _replanning(anchor))
        seconds["later_neighbourhoods"] = time.monotonic() - t
        stages = stages[:1] + rest
    return chosen, stages


def assignments_frame(dataset: Dataset, ix: Indexed, cand: Candidates, chosen: np.ndarray) -> pd.DataFrame:
    """One row per attendance, with the session's first start, last end and venues in order."""
    idx = np.flatnonzero(chosen)
    sessions = dataset.sessions.set_index("session_id")
    courses = dataset.courses.set_index("course_id")
    venues = (dataset.meetings.sort_values(["session_id", "start"])
              .groupby("session_id")["venue_id"].agg(lambda v: ";".join(dict.fromkeys(v))))
    session_ids = ix.session_ids[cand.pair_session[idx]]
    course_ids = sessions.loc[session_ids, "course_id"].to_numpy()
    frame = pd.DataFrame({
        "staff_id": ix.staff_ids[cand.pair_staff[idx]],
        "session_id": session_ids,
        "course_id": course_ids,
        "category": courses.loc[course_ids, "category"].to_numpy(),
        "hours": courses.loc[course_ids, "hours"].to_numpy(),
        "fee": courses.loc[course_ids, "fee"].to_numpy(),
        "start": sessions.loc[session_ids, "start"].to_numpy(),
        "end": sessions.loc[session_ids, "end"].to_numpy(),
        "venue_id": venues.reindex(session_ids).to_numpy(),
        "overlap_minutes": cand.pair_overlap[idx],
    }, columns=ASSIGNMENT_COLUMNS)
    return frame.sort_values(["staff_id", "start", "session_id"], kind="stable").reset_index(drop=True)


def always_zero_terms(dataset: Dataset) -> frozenset[str]:
    """Terms that are 0 in every plan that keeps the rules, whatever it assigns: overlap when the
    policy forbids it, overload when its limit is off, rest breaches without night shifts, spend
    without fees. A stage of such terms is optimal at 0 even when no time was left to search it."""
    rules = dataset.policy.rules
    shifts = dataset.shifts
    night = is_night_shift(to_minutes(shifts["start"].to_numpy()), to_minutes(shifts["end"].to_numpy()))
    zero = {
        "overlap_minutes": rules.shift_overlap == "forbid",
        "overload_hours": rules.max_weekly_load_hours == 0,
        "rest_breaches": not night.any(),
        "spend": not (dataset.courses["fee"] > 0).any(),
    }
    return frozenset(t for t, yes in zero.items() if yes)


def changed_staff(dataset: Dataset, changes: pd.DataFrame) -> float:
    """People of the dataset the changes list names: the ``changed_staff`` term of the final plan
    (later stages may lower it below the value its stage was held at; the audit does not measure it)."""
    return float(changes.loc[changes["staff_id"].isin(dataset.staff["staff_id"]), "staff_id"].nunique())


def _restate(stage: StageResult, kpis, weights: dict[str, int], unheld: bool = False,
             zero: frozenset[str] = frozenset(), figures: dict[str, float] | None = None) -> StageResult:
    """A stage's value as the final plan has it, recomputed by the audit.

    Later stages may lower an earlier stage's figure below the value it was held at (the held
    value is an upper limit), so the plan's own figure is what the report must show; a figure
    brought down to the stage's bound is proven optimal (every later search kept the earlier stages
    held, so the bound still holds). With ``unheld``, a feasible stage without a held value (a plan
    merged from regions) gets its figure.
    """
    if stage.status != "ignored" and set(stage.terms) <= zero:
        return stage.model_copy(update={"status": "optimal", "value": 0.0, "bound": 0.0, "gap": 0.0})
    if stage.value is None and not (unheld and stage.status == "feasible"):
        return stage
    figures = figures or {}
    if any(not hasattr(kpis, t) and t not in figures for t in stage.terms):
        return stage  # a term nobody measured here: the solver's figure stands
    value = sum(weights[t] * float(figures[t] if t in figures else getattr(kpis, t)) for t in stage.terms)
    if stage.value is not None and value > stage.value + 1e-6:
        raise AssertionError(f"stage {stage.name}: plan has {value}, above the held value {stage.value}")
    bound = min(stage.bound, value) if stage.bound is not None else None
    status = "optimal" if stage.status == "feasible" and bound is not None and value <= stage.bound + 1e-6 \
        else stage.status
    return stage.model_copy(update={"value": value, "bound": bound, "gap": gap_of(value, bound), "status": status})


def finish_plan(dataset: Dataset, assignments: pd.DataFrame, stages, settings: SolverSettings,
                seconds: dict[str, float], stats: dict[str, int], *, interrupted: bool,
                method: str = "cp-sat", changes: pd.DataFrame | None = None,
                restate_unheld: bool = False) -> Plan:
    from ..audit import audit  # the independent judge computes every reported figure

    t = time.monotonic()
    judged = audit(dataset, assignments)
    seconds["audit"] = time.monotonic() - t
    zero = always_zero_terms(dataset) if judged.ok else frozenset()
    figures = {"changed_staff": changed_staff(dataset, changes)} if changes is not None else {}
    stages = [_restate(s, judged.kpis, dataset.policy.objective.weights, restate_unheld, zero, figures)
              for s in stages]
    if not judged.ok:  # a defect: no proof counts for a plan that breaks a rule
        status = "invalid"
        stages = [s.model_copy(update={"status": "feasible"}) if s.status == "optimal" else s for s in stages]
    elif method == "greedy":
        status = "feasible"
    elif interrupted:
        status = "interrupted"
    elif not stages or any(s.status == "no_solution" for s in stages):
        status = "no_solution" if not len(assignments) else "feasible"
    elif all(s.status in ("optimal", "ignored") for s in stages):
        status = "optimal"
    else:
        status = "feasible"
    return Plan(
        assignments=assignments, staff_report=judged.staff_report, unit_report=judged.unit_report,
        session_report=judged.session_report, kpis=judged.kpis, stages=tuple(stages), status=status,
        interrupted=interrupted, method=method, seconds=seconds, model_stats=stats,
        solver_parameters=settings.as_dict(), input_digest=dataset.digest, changes=changes,
        warnings=tuple(str(w) for w in dataset.warnings), violations=judged.violations,
    )
