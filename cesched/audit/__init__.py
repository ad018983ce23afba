"""The audit: the one place that says what each rule and objective term means for a finished plan.

``audit(dataset, assignments)`` recomputes everything from the (staff_id, session_id) pairs: every broken
rule, the plan's figure for every objective term, and per-person, per-unit and per-session reports. It is
the independent judge of the planning engine, so it shares no code with it (no imports from
``cesched.candidates``, ``cesched.timeline``, ``cesched.model`` or ``cesched.solve``).
"""

from __future__ import annotations

import pandas as pd

from ..domain.dataset import Dataset
from . import measures, rules
from .result import AMOUNT_UNITS, RULES, VIOLATION_COLUMNS, AuditResult, PlanKpis
from .tables import build_tables
from .timing import absence_peaks, shift_contact

__all__ = ["AMOUNT_UNITS", "RULES", "VIOLATION_COLUMNS", "AuditResult", "PlanKpis", "audit"]


def audit(dataset: Dataset, assignments: pd.DataFrame) -> AuditResult:
    """Judge a plan: ``assignments`` needs columns staff_id and session_id (others are ignored).

    Rows naming an unknown person or session, and repeated pairs, are reported and then left out (a
    repeated pair counts once); every other row counts as an attendance, also when it breaks a rule.
    """
    staff, session, found = rules.reference_rules(dataset, assignments)
    tables = build_tables(dataset, staff, session)
    contact = shift_contact(tables)
    absent, absent_at = absence_peaks(tables, contact)
    found += [
        rules.eligibility(tables), rules.course_once(tables), *rules.capacity_rules(tables),
        rules.double_booking(tables), rules.weekly_cap(tables), rules.max_absent(tables, absent, absent_at),
        rules.budget(tables), rules.shift_overlap(tables, contact),
    ]
    found = [f for f in found if len(f)]
    violations = (pd.concat(found, ignore_index=True) if found
                  else rules.violations("unknown_reference", 0))
    staff_report = measures.staff_report(tables, contact)
    unit_report = measures.unit_report(tables, staff_report, absent)
    session_report = measures.session_report(tables)
    return AuditResult(
        violations=violations, kpis=measures.kpis(tables, staff_report, unit_report, session_report),
        staff_report=staff_report, unit_report=unit_report, session_report=session_report,
    )
