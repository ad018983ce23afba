"""Regression against datasets written by another system, whose stage optima a separate MIP proved."""

from __future__ import annotations

from pathlib import Path

import pytest

import cesched

SAMPLES = Path(__file__).parent / "data" / "samples"

# shared/samples/README.md: every stage optimum, each solved with earlier stages held at optimum
PROVEN = {
    "tiny-forbid": {"shortfall_hours": 566, "largest_shortfall_hours": 70, "overlap_minutes": 0,
                    "rest_breaches": 19, "overload_hours": 396, "unit_peak_days": 17, "spend": 5400,
                    "training_minutes": 44820},
    "tiny-allow": {"shortfall_hours": 346, "largest_shortfall_hours": 44, "overlap_minutes": 13374,
                   "rest_breaches": 9, "overload_hours": 612.5, "unit_peak_days": 16, "spend": 6810,
                   "training_minutes": 53250},
}


@pytest.mark.parametrize("name", sorted(PROVEN))
def test_engine_reproduces_every_proven_stage_optimum(name):
    ds = cesched.load_dataset(SAMPLES / name)
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=120, workers=2, seed=0))
    values = {s.name: s.value for s in plan.stages}
    assert values == pytest.approx(PROVEN[name])
    assert all(s.status == "optimal" for s in plan.stages)
    assert plan.status == "optimal"
    judged = cesched.audit(ds, plan.assignments)
    assert judged.ok, judged.violations
    for term, value in PROVEN[name].items():
        assert getattr(judged.kpis, term) == pytest.approx(value), term


@pytest.mark.parametrize("name", ["tiny-forbid", "tiny-allow", "small-gb18030"])
def test_desk_plan_keeps_every_rule(name):
    ds = cesched.load_dataset(SAMPLES / name)
    plan = cesched.solve(ds, cesched.SolveOptions(method="greedy"))
    assert plan.method == "greedy" and plan.stages == ()
    assert cesched.audit(ds, plan.assignments).ok


# small-gb18030 (120 staff): every stage's optimum proven by the independent reference MIP
# (tests/reference/lexmip.py, HiGHS 1.16, 584 s on 2026-12-04); the audit scores its plan alike.
SMALL_PROVEN = {"shortfall_hours": 1904, "largest_shortfall_hours": 58, "overlap_minutes": 0, "rest_breaches": 81,
                "overload_hours": 3822.5, "unit_peak_days": 116, "spend": 89100, "training_minutes": 455130}


def test_small_sample_plan_is_valid_beats_the_desk_and_never_contradicts_the_proven_optima():
    ds = cesched.load_dataset(SAMPLES / "small-gb18030")
    desk = cesched.solve(ds, cesched.SolveOptions(method="greedy"))
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=20, workers=2))
    assert cesched.audit(ds, plan.assignments).ok
    first = plan.stages[0]
    assert first.bound <= first.value <= desk.kpis.shortfall_hours
    assert plan.kpis.shortfall_hours == pytest.approx(first.value)
    for stage in plan.stages:  # judged while every earlier stage is at its optimum
        best = SMALL_PROVEN[stage.name]
        assert stage.value >= best - 1e-6 and stage.bound <= best + 1e-6, stage
        if stage.status == "optimal":
            assert stage.value == pytest.approx(best), stage
        if stage.value > best + 1e-6:
            break
