"""The result of a solve: the plan's tables, its KPIs and an honest account of every stage."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

#: "ignored": every term of the stage weighs 0 in [objective], so there is nothing to minimise
StageStatus = Literal["optimal", "feasible", "no_solution", "skipped", "ignored"]


class StageResult(BaseModel):
    """One lexicographic stage. Values and bounds are in the stage's reported units (weighted sum
    of its terms: credit hours, minutes, breaches, clock hours, staff, CNY)."""

    model_config = ConfigDict(frozen=True)

    name: str
    terms: tuple[str, ...]
    status: StageStatus
    value: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solutions: int

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"


class Plan(BaseModel):
    """A plan: who attends which session, with reports and KPIs (see ``cesched.audit``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    assignments: pd.DataFrame
    staff_report: pd.DataFrame
    unit_report: pd.DataFrame
    session_report: pd.DataFrame
    kpis: Any  # cesched.audit.PlanKpis
    stages: tuple[StageResult, ...]
    #: "invalid": the audit found a broken rule in the engine's own plan (a defect in cesched, never an
    #: expected outcome); ``violations`` lists it and no stage counts as proven
    status: Literal["optimal", "feasible", "interrupted", "no_solution", "invalid"]
    interrupted: bool = False
    method: str = "cp-sat"
    seconds: dict[str, float] = {}
    model_stats: dict[str, int] = {}
    solver_parameters: dict[str, Any] = {}
    input_digest: str = ""
    warnings: tuple[str, ...] = ()
    changes: pd.DataFrame | None = None  # re-planning: staff_id, session_id, change, why
    regions: pd.DataFrame | None = None  # decomposition: one row per region solved (see solve_by_region)
    #: the audit's broken-rule rows for this plan (``cesched.audit``'s columns); empty when every rule holds
    violations: pd.DataFrame | None = None

    @property
    def valid(self) -> bool:
        """Every hard rule holds in the plan, as the independent audit judges it."""
        return self.violations is None or self.violations.empty
