"""The later stages by neighbourhoods: a step never worsens an earlier stage, keeps every rule, and
what its model says it gained is exactly what the independent audit measures on the whole plan
(each term of a neighbourhood's model is the whole plan's less a constant)."""

from __future__ import annotations

import numpy as np
import pytest

import cesched
from cesched.candidates import build_candidates, index_dataset
from cesched.generate import write_district
from cesched.solve.greedy import fitting_plan
from cesched.solve.later import LaterStages, contributions
from cesched.solve.lns import PairIndex, neighbourhood
from cesched.solve.run import assignments_frame
from cesched.solve.stages import SolverSettings, Stopper


@pytest.fixture(scope="module", params=["forbid", "allow"])
def district(request, tmp_path_factory):
    folder = write_district(tmp_path_factory.mktemp("district") / "d", n_staff=80, seed=5)
    policy = folder / "policy.toml"
    policy.write_text(policy.read_text().replace('shift_overlap = "forbid"', f'shift_overlap = "{request.param}"'))
    ds = cesched.load_dataset(folder)
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    return ds, ix, cand, fitting_plan(ix, cand, 0)


def stage_figures(ds, ix, cand, chosen) -> list[float]:
    judged = cesched.audit(ds, assignments_frame(ds, ix, cand, chosen))
    assert judged.ok, judged.violations.to_string()
    weights = ds.policy.objective.weights
    return [sum(weights[t] * getattr(judged.kpis, t) for t in terms) for terms in ds.policy.objective.stages]


def test_each_step_holds_the_earlier_stages_and_gains_what_the_audit_measures(district):
    from cesched.model.builder import TERM_SCALE

    ds, ix, cand, chosen = district
    objective = ds.policy.objective
    later = LaterStages(ds, ix, cand, objective, SolverSettings(time_limit=1, workers=2, seed=0, deterministic=False))
    look = PairIndex(ix, cand)
    rng = np.random.default_rng(1)
    before = stage_figures(ds, ix, cand, chosen)
    gained = 0
    for number in range(1, len(objective.stages)):
        terms = objective.stages[number]
        weights = sum(contributions(ds, ix, cand, chosen, t) for t in terms) + 1.0  # anyone may be a seed
        for step in range(3):
            free = neighbourhood(rng, ix, cand, look, chosen, weights, target_pairs=600)
            new, gain, _, _ = later.step(chosen, number, free, 0.5, step, Stopper())
            if new is None:
                continue
            after = stage_figures(ds, ix, cand, new)
            for j in range(number):
                assert after[j] <= before[j] + 1e-9, (objective.stages[j], before[j], after[j])
            scale = np.lcm.reduce([TERM_SCALE[t] for t in terms])
            assert round((before[number] - after[number]) * scale) == gain, (terms, before[number], after[number])
            gained += gain > 0
            chosen, before = new, after
    assert gained >= 2  # the fitting plan leaves later stages room: steps must find some of it


def test_the_engines_figure_of_every_term_is_the_audits(district):
    from cesched.solve.later import term_figure
    from cesched.model.builder import TERM_SCALE

    ds, ix, cand, chosen = district
    kpis = cesched.audit(ds, assignments_frame(ds, ix, cand, chosen)).kpis
    for term, scale in TERM_SCALE.items():
        figure = term_figure(ds, ix, cand, chosen, term)
        if term == "changed_staff":
            assert figure is None
            continue
        assert figure == round(getattr(kpis, term) * scale), term


@pytest.mark.parametrize("one_model", [True, False])
def test_solve_takes_the_later_stages_by_neighbourhoods_above_the_threshold(district, monkeypatch, one_model):
    """Forced on a small district: after the first stage (on the whole model, or by neighbourhoods
    where no model is built) every later stage is searched by steps, and reported with the
    audit's figure of the final plan."""
    from cesched.solve import run as engine

    ds = district[0]
    monkeypatch.setattr(engine, "LATER_NEIGHBOURHOODS_ABOVE_PAIRS", 0)
    if not one_model:
        monkeypatch.setattr(engine, "full_model_limit", lambda _: 0)
        monkeypatch.setattr(engine, "LATER_SHARE", 0.5)  # 7.5 % of 8 s leaves no step time
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=8, workers=2, seed=0))
    assert plan.valid
    assert "later_neighbourhoods" in plan.seconds
    later = plan.stages[1:]
    searched = [s for s in later if s.status in ("optimal", "feasible")]
    assert len(searched) >= 4 and all(s.status == "skipped" for s in later[len(searched):])
    assert sum(s.solutions for s in later) >= 1
    for s in plan.stages[:1] + tuple(searched):
        assert s.value == pytest.approx(getattr(plan.kpis, s.name)) and s.bound <= s.value + 1e-9


def test_replanning_by_neighbourhoods_reports_the_people_it_changed(district, monkeypatch):
    """Where no whole model is built, the stage that keeps a published plan stable is searched by
    steps too, and its figure is the people the changes list names."""
    from cesched.solve import run as engine

    ds = district[0]
    monkeypatch.setattr(engine, "LATER_NEIGHBOURHOODS_ABOVE_PAIRS", 0)
    monkeypatch.setattr(engine, "full_model_limit", lambda _: 0)
    monkeypatch.setattr(engine, "LATER_SHARE", 0.5)
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=3, workers=2, seed=0))
    cancelled = plan.assignments["session_id"].value_counts().index[0]
    changed = ds.model_copy(update={
        "sessions": ds.sessions[ds.sessions["session_id"] != cancelled].reset_index(drop=True),
        "meetings": ds.meetings[ds.meetings["session_id"] != cancelled].reset_index(drop=True),
    })
    again = cesched.solve(changed, cesched.SolveOptions(time_limit_seconds=8, workers=2, seed=0),
                          previous=plan.assignments)
    assert again.valid
    stage = next(s for s in again.stages if s.name == "changed_staff")
    moved = set(again.changes["staff_id"])
    attendees = set(plan.assignments.loc[plan.assignments["session_id"] == cancelled, "staff_id"])
    assert stage.status in ("optimal", "feasible") and stage.value == len(moved)
    assert attendees <= moved and stage.bound <= stage.value
