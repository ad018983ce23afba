"""A province in one run: each region solved on its own, in parallel, merged into one plan.

Every rule is held by construction: a person only attends sessions of their own region, and what a
rule shares (a session's seats, a unit's budget and ``max_absent``) then lies inside one region, so
the merged plan keeps every rule that each region's plan keeps. The final audit judges the whole
province again. The price is the restriction itself: nobody crosses a region's border for a seat,
so the merged plan's value is that of a restricted problem and no province-wide bound is claimed
(each region's own bound is reported, for its own restricted problem only).

Regions run on local processes, or on a Ray cluster when ``backend="ray"`` (``pip install
cesched[ray]``; a local one is started when none is connected).
"""

from __future__ import annotations

import math
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Literal

import numpy as np
import pandas as pd

from ..domain.dataset import Dataset
from ..domain.restrict import restrict
from .options import SolveOptions
from .plan import Plan, StageResult
from .border import border_datasets
from .regions import Regions, partition_regions
from .run import ASSIGNMENT_COLUMNS, finish_plan, settings_for
from .stages import Stopper

Backend = Literal["serial", "processes", "ray"]
#: seconds a region's run takes beyond its own time limit (process start, the region's audit)
REGION_OVERHEAD = 5.0
MIN_REGION_SECONDS = 5.0
BORDER_SHARE = 0.4  # of the time limit, for the cross-border pass


@dataclass(frozen=True)
class RegionRun:
    """One region's solve, as the merged plan reports it."""

    region: str
    staff: int
    sessions: int
    pairs: int
    status: str
    shortfall_hours: float
    bound_hours: float | None  # of the region's own (restricted) problem
    seconds: float
    peak_mb: float  # the worker process's peak resident memory so far (a reused worker's includes earlier regions)
    assignments: pd.DataFrame


def region_datasets(ds: Dataset, regions: Regions) -> dict[str, Dataset]:
    """One restricted dataset per region that has staff, largest first."""
    staff_region = ds.staff["unit_id"].map(regions.unit_region)
    names = staff_region.value_counts().index.tolist()  # most staff first: longest runs start first
    code = pd.Index(names)
    shift_code = code.get_indexer(ds.shifts["staff_id"].map(
        pd.Series(staff_region.to_numpy(), index=ds.staff["staff_id"].to_numpy())))
    subs = {}
    for r, name in enumerate(names):
        own, shared = regions.sessions_of(name)
        subs[name] = restrict(ds, regions.units_of(name), own, f"region {name}", shift_mask=shift_code == r,
                              seats=shared)
    return subs


def _solve_region(name: str, sub: Dataset, options: SolveOptions, locked: pd.DataFrame | None = None) -> RegionRun:
    """Runs in a worker: plan one region (top-level so that processes and Ray can pickle it)."""
    from .run import solve

    t = time.monotonic()
    plan = solve(sub, options, locked=locked, lock_source=f"{name}: attendances of the first pass") \
        if len(sub.sessions) else None
    first = plan.stages[0] if plan is not None and plan.stages else None
    bound = None
    if first is not None and first.terms == ("shortfall_hours",) and first.bound is not None:
        bound = first.bound / sub.policy.objective.weights["shortfall_hours"]  # stage units -> hours
    return RegionRun(
        region=name, staff=len(sub.staff), sessions=len(sub.sessions),
        pairs=int(plan.model_stats.get("pairs", 0)) if plan else 0,
        status=plan.status if plan else "no_sessions",
        shortfall_hours=float(plan.kpis.shortfall_hours) if plan else _need_hours(sub),
        bound_hours=bound, seconds=time.monotonic() - t,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        assignments=plan.assignments if plan else pd.DataFrame(columns=ASSIGNMENT_COLUMNS),
    )


def _need_hours(sub: Dataset) -> float:
    staff = sub.staff
    return float(np.maximum(0, staff["required_public"] - staff["done_public"]).sum()
                 + np.maximum(0, staff["required_professional"] - staff["done_professional"]).sum())


def _not_run(name: str, sub: Dataset, status: str) -> RegionRun:
    """A region without a plan (not started after a stop, or failed): everyone keeps their need."""
    return RegionRun(region=name, staff=len(sub.staff), sessions=len(sub.sessions), pairs=0, status=status,
                     shortfall_hours=_need_hours(sub), bound_hours=None, seconds=0.0, peak_mb=0.0,
                     assignments=pd.DataFrame(columns=ASSIGNMENT_COLUMNS))


def region_seconds_for(total: float, n_regions: int, jobs: int) -> float:
    """Each region's time limit so that all rounds of ``jobs`` parallel regions fit in ``total``
    (never below MIN_REGION_SECONDS: many regions and a short limit overrun it)."""
    rounds = math.ceil(n_regions / max(1, jobs))
    return max(MIN_REGION_SECONDS, total / max(1, rounds) - REGION_OVERHEAD)


def _check_covers(ds: Dataset, regions: Regions) -> None:
    """Every unit needs a region (else its staff would vanish from the plan unseen)."""
    units = ds.units["unit_id"]
    missing = units[~units.isin(regions.unit_region.index) | units.map(regions.unit_region).isna()]
    if len(missing):
        raise ValueError(f"regions name no region for {len(missing)} unit(s), e.g. {list(missing[:5])}")
    sessions = ds.sessions["session_id"]
    unknown = sessions[~sessions.isin(regions.session_region.index)]
    if len(unknown):
        raise ValueError(f"regions do not list {len(unknown)} session(s), e.g. {list(unknown[:5])}")


def solve_by_region(ds: Dataset, options: SolveOptions | None = None, *, regions: Regions | None = None,
                    staff_per_region: int | None = None, jobs: int | None = None,
                    backend: Backend = "processes", region_seconds: float | None = None,
                    on_region: Callable[[RegionRun], None] | None = None,
                    stopper: Stopper | None = None, border: bool = True) -> Plan:
    """Plan a province region by region, ``jobs`` regions at a time, and judge the merged plan.

    With ``border`` (cp-sat, several regions) a second pass offers the seats left free to people
    short in neighbouring regions (``border.py``), with BORDER_SHARE of the time limit; its plan
    replaces the first only when the audit passes and total shortfall fell.

    ``options.method = "greedy"`` runs the first-come-first-served desk per region instead (the
    baseline for a province whose whole candidate set does not fit in memory).

    ``regions`` defaults to ``partition_regions`` (about ``staff_per_region`` staff each). Each
    region gets ``region_seconds`` (default: the time limit shared over the rounds of ``jobs``
    parallel regions). A stop request starts no further region and waits for the running ones; the
    plan then holds the regions solved and is reported interrupted, as it is when a region fails.
    """
    options = options or SolveOptions()
    stopper = stopper or Stopper()
    settings = settings_for(ds, options)
    seconds: dict[str, float] = {}
    t = time.monotonic()
    deadline = t + settings.time_limit
    if regions is None:
        regions = partition_regions(ds, **({"staff_per_region": staff_per_region} if staff_per_region else {}))
    _check_covers(ds, regions)
    subs = region_datasets(ds, regions)
    seconds["regions"] = time.monotonic() - t
    jobs = jobs or os.cpu_count() or 1
    border = border and options.method == "cp-sat" and len(subs) > 1
    share = 1 - BORDER_SHARE if border else 1.0  # of the time left, for the first pass
    limit = (region_seconds if region_seconds is not None
             else region_seconds_for(share * (deadline - time.monotonic()), len(subs), jobs))
    region_options = options.model_copy(update={"time_limit_seconds": limit})
    t = time.monotonic()
    runs = _run(subs, region_options, jobs, backend, on_region, stopper)
    seconds["solve"] = time.monotonic() - t
    plan = _merge(ds, runs, subs, settings, seconds, jobs, backend, limit, stopper, options.method)
    if border and not plan.interrupted:
        plan = _cross_border(ds, regions, plan, runs, options, jobs, backend, on_region, stopper, settings, seconds,
                             region_seconds if region_seconds is not None
                             else region_seconds_for(deadline - time.monotonic(), len(subs), jobs))
    return plan


def _cross_border(ds, regions, first, runs, options, jobs, backend, on_region, stopper, settings, seconds,
                  limit) -> Plan:
    """The second pass (see ``border.py``); kept only when the audit passes and shortfall fell."""
    from ..audit import audit

    t = time.monotonic()
    names = [r.region for r in runs]
    parts = border_datasets(ds, regions, first.assignments, first.staff_report, names)
    again = _run({n: sub for n, (sub, _) in parts.items()}, options.model_copy(update={"time_limit_seconds": limit}),
                 jobs, backend, on_region, stopper, locks={n: lock for n, (_, lock) in parts.items()})
    kept = [new if new.status in ("optimal", "feasible") else old for old, new in zip(runs, again)]
    assignments = pd.concat([r.assignments for r in kept], ignore_index=True)
    judged = audit(ds, assignments)
    seconds["border"] = time.monotonic() - t
    if not judged.ok or judged.kpis.shortfall_hours >= first.kpis.shortfall_hours:
        return first.model_copy(update={"model_stats": {**first.model_stats, "border_pass_kept": 0},
                                        "seconds": {**first.seconds, "border": seconds["border"]}})
    seconds["solve"] += seconds["border"]
    plan = _merge(ds, kept, {n: sub for n, (sub, _) in parts.items()}, settings, seconds, jobs, backend, limit,
                  stopper, options.method)
    return plan.model_copy(update={"model_stats": {**plan.model_stats, "border_pass_kept": 1}})


class _Runner:
    """Starts regions at most ``jobs`` at a time (largest first), collects them as they finish."""

    def __init__(self, subs: dict[str, Dataset], options: SolveOptions,
                 on_region: Callable[[RegionRun], None] | None, stopper: Stopper,
                 locks: dict[str, pd.DataFrame] | None = None):
        self.subs, self.options, self.on_region, self.stopper = subs, options, on_region, stopper
        self.locks = locks or {}
        self.waiting = list(subs)
        self.runs: dict[str, RegionRun] = {}

    def args(self, name: str) -> tuple:
        """What ``_solve_region`` gets for this region."""
        return name, self.subs[name], self.options, self.locks.get(name)

    def next_region(self) -> str | None:
        if self.stopper.stopped or not self.waiting:
            return None
        return self.waiting.pop(0)

    def finished(self, name: str, get: Callable[[], RegionRun]) -> None:
        try:
            run = get()
        except Exception as exc:  # a failed region costs its own plan, never the province's
            run = _not_run(name, self.subs[name], f"failed: {type(exc).__name__}: {exc}"[:200])
        self.runs[name] = run
        if self.on_region:
            self.on_region(run)

    def result(self) -> list[RegionRun]:
        for name in self.waiting:
            self.runs[name] = _not_run(name, self.subs[name], "not_started")
        return [self.runs[name] for name in self.subs]


def _run(subs: dict[str, Dataset], options: SolveOptions, jobs: int, backend: Backend,
         on_region: Callable[[RegionRun], None] | None, stopper: Stopper,
         locks: dict[str, pd.DataFrame] | None = None) -> list[RegionRun]:
    runner = _Runner(subs, options, on_region, stopper, locks)
    if backend == "serial":
        while (name := runner.next_region()) is not None:
            runner.finished(name, lambda n=name: _solve_region(*runner.args(n)))
    elif backend == "ray":
        _run_on_ray(runner, jobs)
    else:
        _run_on_processes(runner, jobs)
    return runner.result()


def _run_on_processes(runner: _Runner, jobs: int) -> None:
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_process_context(), initializer=_ignore_ctrl_c) as pool:
        running: dict[Future, str] = {}
        while True:
            while len(running) < jobs and (name := runner.next_region()) is not None:
                try:
                    running[pool.submit(_solve_region, *runner.args(name))] = name
                except BrokenProcessPool as exc:  # a worker died (out of memory?): no region can start
                    runner.finished(name, _raiser(exc))
            if not running:
                return
            finished, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                runner.finished(running.pop(future), future.result)


def _raiser(exc: BaseException) -> Callable[[], RegionRun]:
    def get() -> RegionRun:
        raise exc
    return get


def _ignore_ctrl_c() -> None:
    """Workers leave Ctrl-C to the parent: it starts no further region, running ones finish."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_context():
    """fork when this process runs a single thread (cheap, and a script needs no ``__main__`` guard);
    spawn otherwise (the CLI solves in a thread, and a forked child would inherit held locks)."""
    if os.name == "posix" and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


def _run_on_ray(runner: _Runner, jobs: int) -> None:
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("backend 'ray' needs Ray: pip install 'cesched[ray]'") from exc
    if not ray.is_initialized():
        if os.environ.get("RAY_ADDRESS"):  # a cluster someone started (cesched must be installed on it)
            ray.init(log_to_driver=False)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1, max_retries=0)(_solve_region)
    running: dict = {}
    while True:
        while len(running) < jobs and (name := runner.next_region()) is not None:
            running[remote.remote(*runner.args(name))] = name
        if not running:
            return
        ready, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
        for ref in ready:
            runner.finished(running.pop(ref), lambda r=ref: ray.get(r))


def _merge(ds, runs, subs, settings, seconds, jobs, backend, limit, stopper, method) -> Plan:
    frames = [r.assignments for r in runs if len(r.assignments)]
    assignments = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ASSIGNMENT_COLUMNS))
    assignments = assignments.sort_values(["staff_id", "start", "session_id"], kind="stable").reset_index(drop=True)
    solved = [r for r in runs if r.status not in ("not_started",) and not r.status.startswith("failed")]
    interrupted = stopper.stopped or len(solved) < len(subs)
    stats = {"regions": len(subs), "regions_solved": len(solved), "jobs": jobs,
             "pairs": sum(r.pairs for r in runs), "region_seconds_limit": round(limit),
             "peak_region_mb": round(max((r.peak_mb for r in runs), default=0.0))}
    weights = ds.policy.objective.weights
    greedy = method == "greedy"  # the desk, region by region: a baseline has no stages
    stages = [] if greedy else [
        StageResult(name="+".join(terms), terms=terms, value=None, bound=None, gap=None,
                    status="ignored" if all(weights[t] == 0 for t in terms) else "feasible" if solved else "skipped",
                    seconds=seconds["solve"], solutions=len(solved))
        for terms in ds.policy.objective.stages]
    plan = finish_plan(ds, assignments, stages, settings, seconds, stats, interrupted=interrupted,
                       method=method, restate_unheld=True)
    table = pd.DataFrame([{k: v for k, v in vars(r).items() if k != "assignments"} for r in runs],
                         columns=["region", "staff", "sessions", "pairs", "status", "shortfall_hours",
                                  "bound_hours", "seconds", "peak_mb"])
    return plan.model_copy(update={"method": f"{method} by region ({backend})",
                                   "regions": table.sort_values("region").reset_index(drop=True)})
