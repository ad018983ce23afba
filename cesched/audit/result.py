"""What an audit hands back: the broken rules, the objective's figures and the four reports."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ..domain.policy import OBJECTIVE_TERMS, REPLAN_TERMS

#: every rule the audit checks, in the order violations are listed
RULES: tuple[str, ...] = (
    "unknown_reference", "duplicate_assignment", "eligibility", "course_once", "capacity",
    "min_attendance", "double_booking", "weekly_cap", "max_absent", "budget", "shift_overlap",
)

#: what ``amount`` measures for each rule
AMOUNT_UNITS: dict[str, str] = {
    "unknown_reference": "assignment rows (1 each)",
    "duplicate_assignment": "extra copies of the pair",
    "eligibility": "assignments (1 each)",
    "course_once": "sessions beyond the first of the course",
    "capacity": "attendees beyond capacity",
    "min_attendance": "attendees missing to reach min_attendance",
    "double_booking": "minutes the two meetings fall short of being apart by the travel time",
    "weekly_cap": "clock hours above the person's weekly cap",
    "max_absent": "staff pulled off shifts at the peak beyond max_absent",
    "budget": "CNY above the unit's budget",
    "shift_overlap": "minutes of the meeting inside the person's travel-widened shifts",
}

VIOLATION_COLUMNS: tuple[str, ...] = ("rule", "staff_id", "session_id", "unit_id", "detail", "amount")


class PlanKpis(BaseModel):
    """The plan's figure for every objective term (contract order) plus a few counts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shortfall_hours: float
    largest_shortfall_hours: float
    overlap_minutes: int
    rest_breaches: int
    overload_hours: float
    unit_peak_days: int
    spend: float
    training_minutes: int
    assignments: int
    staff_compliant: int
    sessions_running: int
    sessions_cancelled: int

    def objective(self) -> dict[str, float | int]:
        """The objective terms only, in the contract's lexicographic order."""
        return {term: getattr(self, term) for term in OBJECTIVE_TERMS if term not in REPLAN_TERMS}


@dataclass(frozen=True)
class AuditResult:
    """The verdict on one plan. ``ok`` is True when no rule is broken."""

    violations: pd.DataFrame
    kpis: PlanKpis
    staff_report: pd.DataFrame
    unit_report: pd.DataFrame
    session_report: pd.DataFrame

    @property
    def ok(self) -> bool:
        return self.violations.empty

    def counts(self) -> dict[str, int]:
        """Number of violations per broken rule, in ``RULES`` order."""
        found = self.violations["rule"].value_counts()
        return {rule: int(found[rule]) for rule in RULES if rule in found.index}

    def of(self, rule: str) -> pd.DataFrame:
        """The violations of one rule."""
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
        return self.violations[self.violations["rule"] == rule].reset_index(drop=True)
