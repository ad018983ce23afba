"""The ``cesched`` command line: a thin layer over the library (every command is a library call).

Exit codes: 0 success; 1 a plan that breaks a rule (audit) ; 2 bad input or usage, nothing written.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from . import __version__
from .figures import figure
from .io.dataset_files import load_dataset
from .problems import DatasetError

EXIT_BROKEN_RULE = 1
EXIT_INPUT = 2


def _fail_on_dataset(exc: DatasetError) -> None:
    errors = exc.errors
    click.echo(f"error: {len(errors)} problem(s) in the input; nothing was written.", err=True)
    for p in errors:
        click.echo(f"  {p}", err=True)
    for p in exc.warnings:
        click.echo(f"  {p}", err=True)
    sys.exit(EXIT_INPUT)


@contextmanager
def _ctrl_c_asks() -> Iterator[list[int]]:
    """A list that Ctrl-C appends to, instead of raising KeyboardInterrupt wherever the main thread
    happens to be; a second Ctrl-C raises it (abandons the run, writes nothing). The previous
    handler comes back on exit. Outside the main thread no handler can be set: Ctrl-C is as before."""
    asked: list[int] = []

    def on_ctrl_c(signum, frame) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(signum)

    if threading.current_thread() is not threading.main_thread():
        yield asked
        return
    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, previous)


def _load(path: str):
    try:
        return load_dataset(path)
    except DatasetError as exc:
        _fail_on_dataset(exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cesched")
def main() -> None:
    """Plan continuing-education training around work rosters.

    DATASET is a contract v1 folder of CSV files, or one .xlsx workbook with a sheet per file."""


@main.command()
@click.argument("dataset", type=click.Path())
def check(dataset: str) -> None:
    """Validate DATASET and print its summary and warnings (exit 2 on errors)."""
    from .check import check_dataset

    ds = _load(dataset)
    report = check_dataset(ds)
    c = report.counts
    click.echo(f"dataset {dataset}: OK (contract v1, shift_overlap = {ds.policy.rules.shift_overlap})")
    click.echo("  " + ", ".join(f"{v:,} {k}" for k, v in c.items()))
    click.echo(f"  horizon: {report.horizon[0]} .. {report.horizon[1]}")
    click.echo(f"  candidate (person, session) pairs: {report.candidate_pairs:,}")
    click.echo("  seat-hours offered vs credit hours still required (professional seats open to several "
               "fields count for each):")
    for row in report.supply.itertuples():
        ratio = row.seat_hours_offered / row.hours_required if row.hours_required else float("inf")
        click.echo(f"    {row.category:<13}{row.field:<26}{row.seat_hours_offered:>12,.0f}"
                   f"{row.hours_required:>12,.0f}   x{ratio:.2f}  ({row.staff} staff)")
    click.echo(f"{len(report.warnings)} warning(s)")
    for w in report.warnings:
        click.echo(f"  {w}")


@main.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--staff", "n_staff", type=click.IntRange(1), required=True, help="number of staff")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
def generate(out: str, n_staff: int, seed: int) -> None:
    """Write a synthetic district of N staff to OUT (deterministic for a seed)."""
    from .generate import write_district

    t = time.monotonic()
    try:
        path = write_district(out, n_staff, seed)
    except FileExistsError as exc:
        raise click.ClickException(f"{exc}; choose a new or empty folder") from None
    click.echo(f"wrote {path} ({n_staff:,} staff, seed {seed}) in {time.monotonic() - t:.1f}s")


@main.command("audit")
@click.argument("dataset", type=click.Path())
@click.argument("plan", type=click.Path())
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="violations listed")
def audit_command(dataset: str, plan: str, limit: int) -> None:
    """Check PLAN (a plan folder or an assignments.csv) against DATASET: every broken rule, then the
    plan's figure at every objective stage. Exit 1 when a rule is broken."""
    from .audit import audit
    from .io.plan_files import read_assignments
    from .reports import KPI_LABELS

    ds = _load(dataset)
    try:
        assignments = read_assignments(plan)
    except DatasetError as exc:
        _fail_on_dataset(exc)
    result = audit(ds, assignments)
    v = result.violations
    if len(v):
        counts = v["rule"].value_counts()
        click.echo(f"{len(v)} broken rule instance(s): " + ", ".join(f"{r} {n}" for r, n in counts.items()))
        for row in v.head(limit).itertuples():
            who = " ".join(f"{k}={getattr(row, k)}" for k in ("staff_id", "session_id", "unit_id")
                           if isinstance(getattr(row, k), str) and getattr(row, k))
            click.echo(f"  {row.rule}: {who}: {row.detail} (by {row.amount:g})")
        if len(v) > limit:
            click.echo(f"  ... and {len(v) - limit} more (--limit)")
    else:
        click.echo("every rule holds")
    k = result.kpis
    click.echo(f"assignments: {k.assignments}, compliant staff: {k.staff_compliant}, "
               f"sessions running: {k.sessions_running}, cancelled: {k.sessions_cancelled}")
    for i, (name, label) in enumerate(KPI_LABELS.items(), start=1):
        click.echo(f"  {i}. {label:<38}{figure(getattr(k, name)):>14}")
    sys.exit(EXIT_BROKEN_RULE if len(v) else 0)


@main.command()
@click.argument("dataset", type=click.Path())
@click.argument("plan", type=click.Path())
@click.option("--staff", "staff_id", help="explain this person's plan")
@click.option("--unit", "unit_id", help="explain the shortfall of this unit's staff")
@click.option("--suggest/--no-suggest", default=True, show_default=True,
              help="look for the smallest changes that close the gap, each checked by re-solving")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="with --unit: explain the N staff furthest short (0: all; each takes seconds on a large district)")
def explain(dataset: str, plan: str, staff_id: str | None, unit_id: str | None, suggest: bool, top: int) -> None:
    """Why a person (--staff) or a unit's staff (--unit) fall short in PLAN, and what would help."""
    from .explain import explain_staff, explain_unit
    from .io.plan_files import read_assignments

    if (staff_id is None) == (unit_id is None):
        click.echo("error: give exactly one of --staff ID or --unit ID", err=True)
        sys.exit(EXIT_INPUT)
    ds = _load(dataset)
    try:
        assignments = read_assignments(plan)
    except DatasetError as exc:
        _fail_on_dataset(exc)
    known = ds.staff["staff_id"] if staff_id else ds.units["unit_id"]
    if (staff_id or unit_id) not in set(known):
        click.echo(f"error: {'staff_id' if staff_id else 'unit_id'} {staff_id or unit_id!r} is not in the dataset",
                   err=True)
        sys.exit(EXIT_INPUT)
    if unit_id:
        table = explain_unit(ds, assignments, unit_id, top=top or None)
        short = table.attrs["short_staff"]
        shown = f"; the {len(table)} furthest short (--top)" if len(table) < short else ""
        click.echo(f"unit {unit_id}: {short} staff short of hours{shown}")
        if len(table):
            click.echo(table.to_string(index=False))
        return
    exp = explain_staff(ds, assignments, staff_id, suggest=suggest)
    short = ", ".join(f"{k} {v:g} h" for k, v in exp.shortfall.items())
    click.echo(f"{staff_id}: shortfall {short}")
    if len(exp.sessions):
        shown = exp.sessions.assign(start=exp.sessions["start"].dt.strftime("%Y-%m-%d %H:%M"))
        click.echo(shown[["session_id", "course_id", "category", "hours", "start", "reason", "detail"]]
                   .to_string(index=False, max_colwidth=90))
    for s in exp.suggestions:
        click.echo(f"suggestion: {s.change}: shortfall {s.shortfall_before:g} h -> {s.shortfall_after:g} h (re-solved)")
    if suggest and sum(exp.shortfall.values()) and not exp.suggestions:
        click.echo("no single budget, seat or shift change found that lowers this shortfall")


class _Live:
    """One live progress line on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.t0 = time.monotonic()

    def __call__(self, stage: str, value: float, bound: float, _stage_elapsed: float) -> None:
        if self.quiet:
            return
        gap = 0.0 if value == 0 else max(0.0, (value - bound) / abs(value)) * 100
        text = (f"[{time.monotonic() - self.t0:7.1f}s] {stage:<26} best {figure(value):>12}  "
                f"bound {figure(bound):>12}  gap {gap:5.1f}%")
        click.echo(("\r" + text) if self.tty else text, err=True, nl=not self.tty)

    def region(self, run) -> None:
        self.note(f"[{time.monotonic() - self.t0:7.1f}s] region {run.region}: {run.staff:,} staff, "
                  f"{run.sessions:,} sessions, {run.status}, shortfall {figure(run.shortfall_hours)} h "
                  f"({run.seconds:.0f} s)")

    def note(self, text: str) -> None:
        if not self.quiet:
            click.echo(("\n" if self.tty else "") + text, err=True)


@main.command()
@click.argument("dataset", type=click.Path())
@click.option("-o", "--output", "out", type=click.Path(file_okay=False), required=True, help="plan folder to write")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="seconds over all stages [policy]")
@click.option("--workers", type=click.IntRange(0), help="CP-SAT workers, 0 = one per core [policy]")
@click.option("--seed", type=click.IntRange(0), help="random seed [policy]")
@click.option("--method", type=click.Choice(["cp-sat", "greedy"]), default="cp-sat", show_default=True,
              help="cp-sat: staged optimiser; greedy: first-come-first-served desk (the baseline)")
@click.option("--deterministic", is_flag=True,
              help="same plan for the same seed and workers: the time limit counts CP-SAT's "
                   "deterministic seconds (wall clock capped at 10x)")
@click.option("--previous", type=click.Path(exists=True),
              help="a published plan (folder or assignments.csv): keep what still holds, change as few "
                   "people as possible after shortfall, and write changes.csv")
@click.option("--lock", type=click.Path(exists=True),
              help="assignments that must stay (staff_id, session_id): published or already attended")
@click.option("--by-region", is_flag=True,
              help="a province: solve each region (about --region-staff staff, clustered by travel time) "
                   "on its own, --jobs at a time, and merge; people attend only their region's sessions")
@click.option("--region-staff", type=click.IntRange(1), default=6000, show_default=True,
              help="with --by-region: staff per region")
@click.option("--jobs", type=click.IntRange(1), help="with --by-region: regions solved at once [one per core]")
@click.option("--ray", "use_ray", is_flag=True,
              help="with --by-region: run the regions on Ray (pip install 'cesched[ray]'; a local cluster is "
                   "started unless RAY_ADDRESS names one)")
@click.option("--no-border", is_flag=True,
              help="with --by-region: skip the cross-border pass that offers free seats to neighbouring regions")
@click.option("--quiet", is_flag=True, help="no progress, only the final status line")
def solve(dataset: str, out: str, time_limit: float | None, workers: int | None, seed: int | None,
          method: str, deterministic: bool, previous: str | None, lock: str | None, by_region: bool,
          region_staff: int, jobs: int | None, use_ray: bool, no_border: bool, quiet: bool) -> None:
    """Plan DATASET and write the plan folder OUT. Ctrl-C stops and still writes the best plan."""
    from .io.plan_files import PlanFolderError, check_output_folder
    from .reports import format_summary, write_plan
    from .solve import SolveOptions, solve_by_region
    from .solve import solve as solve_plan
    from .solve.stages import Stopper

    from .io.plan_files import read_assignments

    if by_region and (previous or lock):
        raise click.UsageError("--by-region plans from scratch: no --previous or --lock")
    if (jobs or use_ray or no_border) and not by_region:
        raise click.UsageError("--jobs, --ray and --no-border go with --by-region")
    ds = _load(dataset)
    try:
        check_output_folder(Path(out), Path(dataset))
    except PlanFolderError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    try:
        previous_rows = read_assignments(previous) if previous else None
        locked_rows = read_assignments(lock) if lock else None
    except DatasetError as exc:
        _fail_on_dataset(exc)
    options = SolveOptions(time_limit_seconds=time_limit, workers=workers, seed=seed, method=method,
                           deterministic=deterministic)
    live = _Live(quiet)
    stopper = Stopper()
    box: dict = {}

    done = threading.Event()

    def work() -> None:
        try:
            if by_region:
                box["plan"] = solve_by_region(ds, options, staff_per_region=region_staff, jobs=jobs,
                                              backend="ray" if use_ray else "processes",
                                              on_region=live.region, stopper=stopper, border=not no_border)
            else:
                box["plan"] = solve_plan(ds, options, previous=previous_rows, locked=locked_rows, progress=live,
                                         stopper=stopper, lock_source=lock or "locked assignments")
        except BaseException as exc:  # re-raised in the main thread
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=work, name="cesched-solve", daemon=True)
    with _ctrl_c_asks() as asked:
        thread.start()
        # wait on an Event, not Thread.join: a Ctrl-C inside join() can mark a running thread as stopped
        while not done.wait(0.2):
            if asked and not stopper.stopped:
                live.note("interrupted: stopping the search, the best plan found so far will be written")
            if asked:
                stopper.stop()  # repeated: a stop reaches only searches that have already begun
    if isinstance(box.get("error"), DatasetError):
        _fail_on_dataset(box["error"])
    if "error" in box:
        raise box["error"]
    plan = box["plan"]
    path = write_plan(plan, out, ds)
    if quiet:
        click.echo(f"{plan.status}: shortfall {plan.kpis.shortfall_hours:g} h; plan written to {path}")
    else:
        live.note("")
        click.echo(format_summary(plan))
        click.echo(f"plan written to {path}")
    if not plan.valid:
        counts = plan.violations["rule"].value_counts()
        click.echo(f"error: the plan breaks {len(plan.violations)} rule instance(s) ("
                   + ", ".join(f"{r} {n}" for r, n in counts.items())
                   + f"), listed in {Path(path) / 'violations.csv'}. This is a defect in cesched: do not "
                   "publish the plan; please report it with the dataset.", err=True)
        sys.exit(EXIT_BROKEN_RULE)
