"""Turning a Plan into the plan folder and the terminal summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import __version__
from .domain.dataset import Dataset
from .figures import figure
from .io.plan_files import write_plan_folder
from .solve.plan import Plan

KPI_LABELS = {
    "shortfall_hours": "shortfall (credit h)",
    "largest_shortfall_hours": "largest individual shortfall (h)",
    "overlap_minutes": "minutes pulled off shifts",
    "rest_breaches": "rest breaches after night shifts",
    "overload_hours": "overload (h over weekly load limit)",
    "unit_peak_days": "sum of unit peak days (staff)",
    "spend": "spend on fees (CNY)",
    "training_minutes": "training clock time (min)",
}


def plan_summary(plan: Plan, dataset: Dataset) -> dict[str, Any]:
    return {
        "cesched_version": __version__,
        "status": plan.status,
        "interrupted": plan.interrupted,
        "method": plan.method,
        "input": {"source": dataset.source, "digest_sha256": plan.input_digest},
        "stages": [
            {"stage": i + 1, "name": s.name, "terms": list(s.terms), "status": s.status,
             "value": s.value, "best_bound": s.bound, "proven_optimal": s.optimal, "gap": s.gap,
             "seconds": round(s.seconds, 3), "solutions": s.solutions}
            for i, s in enumerate(plan.stages)
        ],
        "kpis": plan.kpis.model_dump(),
        "seconds": {k: round(v, 3) for k, v in plan.seconds.items()},
        "model": plan.model_stats,
        "solver_parameters": plan.solver_parameters,
        "policy": dataset.policy.model_dump(mode="json"),
        "warnings": list(plan.warnings),
        "rules_broken": {} if plan.valid else plan.violations["rule"].value_counts().to_dict(),
        "changes": None if plan.changes is None else {
            "added": int((plan.changes["change"] == "added").sum()),
            "removed": int((plan.changes["change"] == "removed").sum()),
            "staff_changed": int(plan.changes["staff_id"].nunique()),
        },
    }


def write_plan(plan: Plan, out: str | Path, dataset: Dataset, extra: dict[str, Any] | None = None) -> Path:
    """Write the plan folder atomically; the dataset folder is refused as a target."""
    tables = {
        "assignments.csv": plan.assignments,
        "staff_report.csv": plan.staff_report,
        "unit_report.csv": plan.unit_report,
        "session_report.csv": plan.session_report,
    }
    if plan.changes is not None:
        tables["changes.csv"] = plan.changes
    if plan.regions is not None:
        tables["regions.csv"] = plan.regions
    if not plan.valid:
        tables["violations.csv"] = plan.violations
    summary = plan_summary(plan, dataset) | (extra or {})
    source = Path(dataset.source) if dataset.source and Path(dataset.source).is_dir() else None
    return write_plan_folder(out, tables, summary, dataset_dir=source)


def format_summary(plan: Plan) -> str:
    """The final summary the CLI prints: per stage value, bound and proof, then the KPIs."""
    lines = [f"status: {plan.status}" + ("  (interrupted: best plan so far)" if plan.interrupted else "")]
    lines.append(f"{'stage':<32}{'value':>14}{'bound':>14}{'gap':>8}  proof")
    for i, s in enumerate(plan.stages, start=1):
        value = "-" if s.value is None else figure(s.value)
        bound = "-" if s.bound is None else figure(s.bound)
        gap = "-" if s.gap is None else f"{100 * s.gap:.1f}%"
        proof = {"optimal": "optimal", "feasible": "not proven", "skipped": "skipped (not optimised)",
                 "no_solution": "no plan found", "ignored": "weight 0"}[s.status]
        lines.append(f"{i}. {s.name:<29}{value:>14}{bound:>14}{gap:>8}  {proof}")
    k = plan.kpis
    lines.append(f"assignments: {k.assignments}, compliant staff: {k.staff_compliant}, "
                 f"sessions running: {k.sessions_running}, cancelled: {k.sessions_cancelled}")
    for name, label in KPI_LABELS.items():
        lines.append(f"  {label:<38}{figure(getattr(k, name)):>14}")
    secs = ", ".join(f"{k} {v:.1f}s" for k, v in plan.seconds.items())
    lines.append(f"time: {secs}")
    return "\n".join(lines)
