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
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Literal

import numpy as np
import pandas as pd

from ..domain.dataset import Dataset
from .options import SolveOptions
from .plan import Plan, StageResult
from .regions import Regions, partition_regions
from .run import ASSIGNMENT_COLUMNS, finish_plan, settings_for
from .stages import Stopper

Backend = Literal["serial", "processes", "ray"]
#: seconds a region's run takes beyond its own time limit (process start, the region's audit)
REGION_OVERHEAD = 5.0
MIN_REGION_SECONDS = 5.0


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
    peak_mb: float
    assignments: pd.DataFrame


def restrict(ds: Dataset, unit_ids: np.ndarray, session_ids: np.ndarray, label: str = "",
             shift_mask: np.ndarray | None = None, seats: pd.Series | None = None) -> Dataset:
    """The dataset cut down to some units (with their staff and shifts) and some sessions.

    ``seats`` (session_id -> capacity) adds sessions with only part of their seats (a region's
    share of a shared session). Courses, venues and travel are kept whole; ``shift_mask`` (rows of
    ``ds.shifts``) saves looking the staff up again when the caller has it.
    """
    units = ds.units[ds.units["unit_id"].isin(unit_ids)]
    staff = ds.staff[ds.staff["unit_id"].isin(unit_ids)]
    if shift_mask is None:
        shift_mask = ds.shifts["staff_id"].isin(staff["staff_id"]).to_numpy()
    if seats is not None and len(seats):
        session_ids = np.concatenate([np.asarray(session_ids, dtype=object), seats.index.to_numpy(dtype=object)])
    sessions = ds.sessions[ds.sessions["session_id"].isin(session_ids)]
    if seats is not None and len(seats):
        part = sessions["session_id"].map(seats)
        sessions = sessions.assign(capacity=part.fillna(sessions["capacity"]).astype(np.int64))
    meetings = ds.meetings[ds.meetings["session_id"].isin(session_ids)]
    tables = {"units": units, "staff": staff, "shifts": ds.shifts[shift_mask], "sessions": sessions,
              "meetings": meetings}
    return ds.model_copy(update={name: frame.reset_index(drop=True) for name, frame in tables.items()}
                         | {"warnings": (), "source": f"{ds.source} [{label}]" if label else ds.source})


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


def _solve_region(name: str, sub: Dataset, options: SolveOptions) -> RegionRun:
    """Runs in a worker: plan one region (top-level so that processes and Ray can pickle it)."""
    from .run import solve

    t = time.monotonic()
    if len(sub.sessions) == 0:
        plan = None
    else:
        plan = solve(sub, options)
    first = plan.stages[0] if plan is not None and plan.stages else None
    need = (np.maximum(0, sub.staff["required_public"] - sub.staff["done_public"]).sum()
            + np.maximum(0, sub.staff["required_professional"] - sub.staff["done_professional"]).sum())
    return RegionRun(
        region=name, staff=len(sub.staff), sessions=len(sub.sessions),
        pairs=int(plan.model_stats.get("pairs", 0)) if plan else 0,
        status=plan.status if plan else "no_sessions",
        shortfall_hours=float(plan.kpis.shortfall_hours) if plan else float(need),
        bound_hours=first.bound if first is not None and "shortfall_hours" in first.terms else None,
        seconds=time.monotonic() - t,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        assignments=plan.assignments if plan else pd.DataFrame(columns=ASSIGNMENT_COLUMNS),
    )


def region_seconds_for(total: float, n_regions: int, jobs: int) -> float:
    """Each region's time limit so that all rounds of ``jobs`` parallel regions fit in ``total``."""
    rounds = math.ceil(n_regions / max(1, jobs))
    return max(MIN_REGION_SECONDS, total / max(1, rounds) - REGION_OVERHEAD)


def solve_by_region(ds: Dataset, options: SolveOptions | None = None, *, regions: Regions | None = None,
                    staff_per_region: int | None = None, jobs: int | None = None,
                    backend: Backend = "processes", region_seconds: float | None = None,
                    on_region: Callable[[RegionRun], None] | None = None,
                    stopper: Stopper | None = None) -> Plan:
    """Plan a province region by region, ``jobs`` regions at a time, and judge the merged plan.

    ``options.method = "greedy"`` runs the first-come-first-served desk per region instead (the
    baseline for a province whose whole candidate set does not fit in memory).

    ``regions`` defaults to ``partition_regions`` (about ``staff_per_region`` staff each). Each
    region gets ``region_seconds`` (default: the time limit shared over the rounds of ``jobs``
    parallel regions). A stop request cancels the regions not yet started; the plan then holds the
    regions already solved and is reported interrupted.
    """
    options = options or SolveOptions()
    settings = settings_for(ds, options)
    seconds: dict[str, float] = {}
    t = time.monotonic()
    if regions is None:
        regions = partition_regions(ds, **({"staff_per_region": staff_per_region} if staff_per_region else {}))
    subs = region_datasets(ds, regions)
    seconds["regions"] = time.monotonic() - t
    jobs = jobs or os.cpu_count() or 1
    limit = region_seconds or region_seconds_for(settings.time_limit - seconds["regions"], len(subs), jobs)
    region_options = options.model_copy(update={"time_limit_seconds": limit})
    t = time.monotonic()
    runs = _run(subs, region_options, jobs, backend, on_region, stopper)
    seconds["solve"] = time.monotonic() - t
    return _merge(ds, runs, subs, settings, seconds, jobs, backend, limit, stopper, options.method)


def _run(subs: dict[str, Dataset], options: SolveOptions, jobs: int, backend: Backend,
         on_region: Callable[[RegionRun], None] | None, stopper: Stopper | None) -> list[RegionRun]:
    def stopped() -> bool:
        return bool(stopper and stopper.stopped)

    def done(run: RegionRun) -> RegionRun:
        if on_region:
            on_region(run)
        return run

    if backend == "serial":
        return [done(_solve_region(n, sub, options)) for n, sub in subs.items() if not stopped()]
    if backend == "ray":
        return _run_on_ray(subs, options, jobs, done, stopped)
    runs: list[RegionRun] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_process_context(), initializer=_ignore_ctrl_c) as pool:
        pending: set[Future] = {pool.submit(_solve_region, n, sub, options) for n, sub in subs.items()}
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            runs += [done(f.result()) for f in finished if not f.cancelled()]
            if stopped():
                for f in pending:
                    f.cancel()
                pending = {f for f in pending if not f.cancelled()}
    return runs


def _ignore_ctrl_c() -> None:
    """Workers leave Ctrl-C to the parent: it cancels the regions not started, running ones finish."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_context():
    """fork when this process runs a single thread (cheap, and a script needs no ``__main__`` guard);
    spawn otherwise (the CLI solves in a thread, and a forked child would inherit held locks)."""
    if os.name == "posix" and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


def _run_on_ray(subs, options, jobs, done, stopped) -> list[RegionRun]:
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("backend 'ray' needs Ray: pip install 'cesched[ray]'") from exc
    if not ray.is_initialized():
        if os.environ.get("RAY_ADDRESS"):  # a cluster someone started: its own resources decide
            ray.init(log_to_driver=False)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1, max_retries=0)(_solve_region)
    pending = [remote.remote(n, sub, options) for n, sub in subs.items()]
    runs: list[RegionRun] = []
    while pending:
        ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
        runs += [done(ray.get(ref)) for ref in ready]
        if stopped() and pending:
            for ref in pending:
                ray.cancel(ref)  # a region already running finishes within its own limit
            ready = [ref for ref in pending if _finished(ray, ref)]
            runs += [done(ray.get(ref)) for ref in ready]
            pending = []
    return runs


def _finished(ray, ref) -> bool:
    try:
        ray.get(ref, timeout=0)
        return True
    except Exception:  # cancelled or not finished: the region is left out of the plan
        return False


def _merge(ds, runs, subs, settings, seconds, jobs, backend, limit, stopper, method) -> Plan:
    frames = [r.assignments for r in runs if len(r.assignments)]
    assignments = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ASSIGNMENT_COLUMNS))
    assignments = assignments.sort_values(["staff_id", "start", "session_id"], kind="stable").reset_index(drop=True)
    interrupted = bool(stopper and stopper.stopped) or len(runs) < len(subs)
    stats = {"regions": len(subs), "regions_solved": len(runs), "jobs": jobs,
             "pairs": sum(r.pairs for r in runs), "region_seconds_limit": round(limit, 1),
             "peak_region_mb": round(max((r.peak_mb for r in runs), default=0.0))}
    greedy = method == "greedy"  # the desk, region by region: a baseline has no stages
    stages = [] if greedy else [
        StageResult(name="+".join(terms), terms=terms, status="feasible" if runs else "skipped", value=None,
                    bound=None, gap=None, seconds=seconds["solve"], solutions=len(runs))
        for terms in ds.policy.objective.stages]
    plan = finish_plan(ds, assignments, stages, settings, seconds, stats, interrupted=interrupted,
                       method=method, restate_unheld=True)
    plan = plan.model_copy(update={"method": f"{method} by region ({backend})"})
    table = pd.DataFrame([{k: v for k, v in vars(r).items() if k != "assignments"} for r in runs],
                         columns=["region", "staff", "sessions", "pairs", "status", "shortfall_hours",
                                  "bound_hours", "seconds", "peak_mb"])
    return plan.model_copy(update={"regions": table.sort_values("region").reset_index(drop=True)})
