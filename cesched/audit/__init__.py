"""The audit: the one place that says what each rule and objective term means for a finished plan.

``audit(dataset, assignments)`` recomputes everything from the (staff_id, session_id) pairs: every broken
rule, the plan's figure for every objective term, and per-person, per-unit and per-session reports. It is
the independent judge of the planning engine, so it shares no code with it (no imports from
``cesched.candidates``, ``cesched.timeline``, ``cesched.model`` or ``cesched.solve``).

Definitions where the rules left a choice:

- Rows naming an unknown person or session are reported (``unknown_reference``) and left out; a pair
  listed more than once is reported (``duplicate_assignment``, amount = extra copies) and counts once.
  Every other pair is an attendance and counts in every figure, also when it breaks a rule (so a person
  attending two sessions of one course earns both sessions' hours in ``planned_*``).
- One violation per instance: eligibility per attendance; course_once per (person, course);
  capacity and min_attendance per session; double_booking per (person, pair of sessions), amount = the
  worst meeting pair's min(end1 + t - start2, end2 + t - start1) minutes; weekly_cap per (person, ISO
  week); max_absent and budget per unit (max_absent at the unit's peak instant); shift_overlap per
  attended meeting, amount = its minutes inside the union of the person's widened shifts. Rows with
  several sessions list them in ``session_id`` joined by ";".
- Overload counts every person-week of the roster, also weeks with no training: a roster that alone
  exceeds ``max_weekly_load_hours`` adds the same hours to every plan.
- ``rest_after_night_hours`` may be fractional: a meeting breaches when start - shift end < R hours.
- ``peak_day_date`` is the earliest date reaching the unit's peak day (None with no attendance);
  ``peak_absent`` counts distinct people pulled off their shifts at one instant (half-open intervals).
- Session status: "cancelled" with 0 enrolled, "runs" with at least max(1, min_attendance), else
  "under_minimum" (a violation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain.dataset import Dataset
from . import measures, rules
from .result import AMOUNT_UNITS, RULES, VIOLATION_COLUMNS, AuditResult, PlanKpis
from .tables import PlanTables, build_tables
from .timing import ShiftContact, absence_peaks, shift_contact

__all__ = ["AMOUNT_UNITS", "RULES", "VIOLATION_COLUMNS", "AuditResult", "PlanKpis", "audit"]


def audit(dataset: Dataset, assignments: pd.DataFrame) -> AuditResult:
    """Judge a plan: ``assignments`` needs columns staff_id and session_id (others are ignored).

    Rows naming an unknown person or session, and repeated pairs, are reported and then left out (a
    repeated pair counts once); every other row counts as an attendance, also when it breaks a rule.
    """
    violations, tables, contact, absent = _judge(dataset, assignments)
    staff_report = measures.staff_report(tables, contact)
    unit_report = measures.unit_report(tables, staff_report, absent)
    session_report = measures.session_report(tables)
    return AuditResult(
        violations=violations, kpis=measures.kpis(tables, staff_report, unit_report, session_report),
        staff_report=staff_report, unit_report=unit_report, session_report=session_report,
    )


def violations_of(dataset: Dataset, assignments: pd.DataFrame) -> pd.DataFrame:
    """The violations ``audit`` reports, without its reports and KPIs: for callers that judge
    many trial plans and read only the rules (explain: a quarter of each audit went to reports)."""
    return _judge(dataset, assignments)[0]


def _judge(dataset: Dataset, assignments: pd.DataFrame
           ) -> tuple[pd.DataFrame, PlanTables, ShiftContact, np.ndarray]:
    """The violations, and the tables, shift contact and absences the reports are measured on."""
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
    return violations, tables, contact, absent
