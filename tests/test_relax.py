"""The LP bound: its rows are the model's, and its value bounds every plan for any duals."""

from __future__ import annotations

import importlib
import math
import time
from pathlib import Path

import numpy as np
import pytest

import cesched
from cesched.candidates import build_candidates, index_dataset
from cesched.model.builder import build_model
from cesched.solve.bound import cut_bound
from cesched.solve.relax import (BoundBeside, LinearRows, Relaxation, lagrangian_bound, linear_rows, lp_bound,
                                 lp_relaxation, solve_lp, term_cost)

from auditcases import SAMPLE_PLANS

SAMPLES = Path(__file__).parent / "data" / "samples"
OPTIMUM = {"tiny-forbid": 566, "tiny-allow": 346}  # proven stage-1 optima (samples README), hours


def _model(name: str):
    ds = cesched.load_dataset(SAMPLES / name)
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    return ix, cand, build_model(ds, ix, cand, terms=("shortfall_hours",))


def _optimal_vector(name: str, ix, cand, pm) -> np.ndarray:
    wanted = {tuple(p.split(":")) for p in SAMPLE_PLANS[name].split()}
    chosen = np.array([(ix.staff_ids[p], ix.session_ids[s]) in wanted
                       for p, s in zip(cand.pair_staff, cand.pair_session)])
    assert chosen.sum() == len(wanted)
    return np.asarray(pm.complete(chosen), dtype=float)


def _own_lp_bound(pm) -> int:
    """The LP bound of the model's own rows (no presolve), on this thread."""
    term = pm.term("shortfall_hours")
    rows = linear_rows(pm)
    cost = term_cost(rows, term)
    return lagrangian_bound(rows, cost, solve_lp(rows, cost, seconds=30).duals) + term.offset


def _objective(pm, vector: np.ndarray) -> float:
    term = pm.term("shortfall_hours")
    return sum(c * vector[v.index] for v, c in zip(term.variables, term.coefficients)) + term.offset


@pytest.mark.parametrize("name", sorted(OPTIMUM))
def test_rows_hold_for_an_optimal_plan_and_its_objective(name):
    ix, cand, pm = _model(name)
    vector = _optimal_vector(name, ix, cand, pm)
    rows = linear_rows(pm)
    row_of = np.repeat(np.arange(len(rows.lower)), np.diff(rows.starts))
    activity = np.bincount(row_of, weights=np.asarray(rows.value) * vector[rows.index], minlength=len(rows.lower))
    assert (activity >= np.asarray(rows.lower) - 1e-9).all()
    assert (activity <= np.asarray(rows.upper) + 1e-9).all()
    assert _objective(pm, vector) == OPTIMUM[name] * 100


@pytest.mark.parametrize("name", sorted(OPTIMUM))
def test_any_duals_bound_the_optimum_from_below(name):
    """The Lagrangian value is a bound whatever the duals: the LP's, and the LP's disturbed (an
    interior point stopped early returns such duals), with either sign on any row."""
    _, _, pm = _model(name)
    rows = linear_rows(pm)
    term = pm.term("shortfall_hours")
    cost = term_cost(rows, term)
    solved = solve_lp(rows, cost, seconds=30)
    exact, lp_value = solved.duals, solved.objective
    ceiling = math.ceil(lp_value + 1e-6 * abs(lp_value))  # nothing can prove more than the LP
    assert lagrangian_bound(rows, cost, exact) == ceiling  # and its own duals prove that much
    assert ceiling + term.offset <= OPTIMUM[name] * 100
    rng = np.random.default_rng(7)
    for scale in (0.01, 0.1, 1.0):
        for _ in range(20):
            duals = exact + rng.normal(0, scale, len(exact)) * (rng.random(len(exact)) < 0.3)
            assert lagrangian_bound(rows, cost, duals) <= ceiling


@pytest.mark.parametrize("name", sorted(OPTIMUM))
def test_lp_bound_is_valid_and_at_least_the_max_flow(name):
    from cesched.solve.bound import flow_bound

    ix, cand, pm = _model(name)
    bound = lp_bound(pm, pm.term("shortfall_hours"), seconds=30)
    assert bound is not None
    assert flow_bound(ix, cand) <= bound <= OPTIMUM[name] * 100



@pytest.mark.parametrize("name", sorted(OPTIMUM))
def test_the_relaxation_gives_the_bound_and_a_vertex_of_pair_values(name):
    """The guide for the search: one value per pair, in [0, 1], from a vertex (crossover), so
    mostly 0 or 1; the bound beside it is lp_bound's."""
    _, cand, pm = _model(name)
    relaxed = lp_relaxation(pm, pm.term("shortfall_hours"), seconds=30)
    assert relaxed.bound == lp_bound(pm, pm.term("shortfall_hours"), seconds=30)
    assert relaxed.pairs is not None and relaxed.pairs.shape == (cand.n_pairs,)
    assert ((relaxed.pairs >= 0) & (relaxed.pairs <= 1)).all()
    integral = (relaxed.pairs < 1e-6) | (relaxed.pairs > 1 - 1e-6)
    assert integral.mean() > 0.5, relaxed.pairs


def test_no_vertex_when_the_time_is_gone(monkeypatch):
    """Crossover runs in what the bound left of its time; with none left there is no guide, and
    the bound is unchanged (crossover never touches the duals it was proved from)."""
    relax = importlib.import_module("cesched.solve.relax")
    _, _, pm = _model("tiny-forbid")
    monkeypatch.setattr(relax, "crossover", lambda solved, seconds: None)
    relaxed = lp_relaxation(pm, pm.term("shortfall_hours"), seconds=30)
    assert relaxed.pairs is None and relaxed.bound == lp_bound(pm, pm.term("shortfall_hours"), seconds=30)


def test_lagrangian_bound_on_small_random_programs_by_enumeration():
    """Random 0/1 programs with ≥, ≤ and ranged rows: the bound from any duals never exceeds the
    best feasible point, found by trying every point."""
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(300):
        n, m = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        dense = rng.integers(-3, 4, size=(m, n)).astype(float)
        lower = np.where(rng.random(m) < 0.5, rng.integers(-3, 3, m).astype(float), -math.inf)
        upper = np.where(rng.random(m) < 0.6, rng.integers(0, 5, m).astype(float), math.inf)
        upper = np.maximum(upper, np.where(np.isfinite(lower), lower, -math.inf))
        cost = rng.integers(-4, 5, n).astype(float)
        points = np.array([[(k >> j) & 1 for j in range(n)] for k in range(2 ** n)], dtype=float)
        activity = points @ dense.T
        feasible = ((activity >= lower) & (activity <= upper)).all(axis=1)
        if not feasible.any():
            continue
        best = (points[feasible] @ cost).min()
        nz = [np.flatnonzero(row) for row in dense]
        rows = LinearRows(starts=np.concatenate([[0], np.cumsum([len(z) for z in nz])]).tolist(),
                          index=[int(j) for z in nz for j in z], value=[float(dense[i, j]) for i, z in enumerate(nz) for j in z],
                          lower=lower.tolist(), upper=upper.tolist(), col_lower=np.zeros(n), col_upper=np.ones(n))
        for _ in range(10):
            duals = rng.normal(0, 3, m)
            assert lagrangian_bound(rows, cost, duals) <= best
        checked += 1
    assert checked > 100


def test_lp_bound_leaves_highs_usable_by_the_caller():
    """HiGHS' thread pool is global to the process: the bound must not fix its size, or a caller's
    own HiGHS run asking for another size fails (the benchmark's MIP peer did)."""
    import highspy

    _, _, pm = _model("tiny-forbid")
    assert lp_bound(pm, pm.term("shortfall_hours"), seconds=30) is not None
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 2)
    h.addCols(1, np.array([1.0]), np.zeros(1), np.ones(1), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal


@pytest.mark.parametrize("limit, runs", [(2.0, False), (30.0, True)])
def test_the_lp_bound_starts_only_when_its_share_of_the_limit_can_pay_for_it(limit, runs, monkeypatch):
    """Reading the rows and starting HiGHS take about half a second: with a share of the limit below
    LP_MIN_SECONDS the bound is not started, so a short limit is kept."""
    import importlib

    run = importlib.import_module("cesched.solve.run")  # (cesched.solve is also the function)
    calls = []
    monkeypatch.setattr(run, "lp_relaxation",
                        lambda pm, term, seconds, **_: calls.append(seconds) or Relaxation(None, None))
    ds = cesched.load_dataset(SAMPLES / "tiny-forbid")
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=limit, workers=1, seed=0))
    assert bool(calls) == runs and all(s >= run.LP_MIN_SECONDS for s in calls)
    assert ("lp_bound" in plan.seconds) == runs


def test_a_presolve_that_drops_a_known_plan_is_not_trusted(monkeypatch):
    """HiGHS' MIP presolve is trusted to keep the integer optimum; a presolved bound above the
    value of a plan that keeps every rule proves it did not (HiGHS 1.16 declared a feasible model
    infeasible once, see tests/reference), and the model's own rows bound instead."""
    relax = importlib.import_module("cesched.solve.relax")
    _, _, pm = _model("tiny-forbid")
    term = pm.term("shortfall_hours")
    real = relax.presolve

    def dropping(rows, cost, seconds):  # as if presolve had cut off every plan below 10,000 h
        presolved = real(rows, cost, seconds)
        return relax.Presolved(presolved.rows, presolved.cost, presolved.offset + 1_000_000, presolved.restore)

    monkeypatch.setattr(relax, "presolve", dropping)
    trusted = lp_relaxation(pm, term, seconds=30)
    assert trusted.bound > OPTIMUM["tiny-forbid"] * 100  # the wrong bound, had nothing checked it
    checked = lp_relaxation(pm, term, seconds=30, ceiling=OPTIMUM["tiny-forbid"] * 100)
    monkeypatch.setattr(relax, "PRESOLVE_MAX_PAIRS", 0)
    assert checked.bound == lp_bound(pm, term, seconds=30) <= OPTIMUM["tiny-forbid"] * 100
    assert checked.pairs is None  # no vertex from the model's own rows


def test_the_lp_stops_at_its_next_iteration_when_asked(tmp_path):
    """Ctrl-C must not wait for the LP: HiGHS asks at each iteration and ends there, and whatever
    duals it leaves still bound every plan (or give no bound at all)."""
    import highspy

    from cesched.generate import write_district

    ds = cesched.load_dataset(write_district(tmp_path / "d", n_staff=120, seed=3))
    ix = index_dataset(ds)
    pm = build_model(ds, ix, build_candidates(ds, ix), terms=("shortfall_hours",))
    rows = linear_rows(pm)
    cost = term_cost(rows, pm.term("shortfall_hours"))
    asked: list[bool] = []
    whole = solve_lp(rows, cost, seconds=60, should_stop=lambda: asked.append(False) or False)
    assert asked and whole.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    stopped = solve_lp(rows, cost, seconds=60, should_stop=lambda: True)
    assert stopped is None or stopped.highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    if stopped is not None:
        assert lagrangian_bound(rows, cost, stopped.duals) <= lagrangian_bound(rows, cost, whole.duals)


@pytest.mark.parametrize("name", sorted(OPTIMUM))
def test_the_bound_beside_is_the_lp_of_the_models_own_rows(name):
    """On its thread the LP gives what it gives on the caller's: the Lagrangian value of the model's
    own rows (no presolve), at most the optimum."""
    _, _, pm = _model(name)
    term = pm.term("shortfall_hours")
    beside = BoundBeside(pm, term, seconds=30, should_stop=lambda: False)
    while not beside.finished:  # (asking for the result would end it early)
        time.sleep(0.01)
    assert beside.result() == _own_lp_bound(pm) <= OPTIMUM[name] * 100
    assert beside.seconds > 0


def test_the_bound_beside_ends_when_its_result_is_asked(monkeypatch):
    """The neighbourhoods may end before the LP: asking for the result tells the LP to stop (HiGHS
    then ends at its next iteration, see above) rather than waiting out its time limit."""
    relax = importlib.import_module("cesched.solve.relax")
    asked: list[float] = []

    def until_told(rows, cost, seconds, should_stop):
        t = time.monotonic()
        while not should_stop() and time.monotonic() - t < seconds:
            time.sleep(0.01)
        asked.append(time.monotonic() - t)
        return None  # as an LP stopped before it had duals

    monkeypatch.setattr(relax, "solve_lp", until_told)
    _, _, pm = _model("tiny-forbid")
    beside = BoundBeside(pm, pm.term("shortfall_hours"), seconds=60, should_stop=lambda: False)
    time.sleep(0.2)
    t = time.monotonic()
    assert beside.result() is None
    assert time.monotonic() - t < 1.0 and 0.2 <= asked[0] < 1.2


@pytest.mark.parametrize("estimate, runs", [(1.0, True), (1e6, False)])
def test_a_model_too_big_for_the_lp_first_gets_it_beside_the_neighbourhoods(estimate, runs, monkeypatch, tmp_path):
    """Above LP_BOUND_MAX_PAIRS the LP runs beside the neighbourhoods when its estimate fits in
    their share; its bound is then stage 1's floor. Forced here on a small district."""
    from cesched.generate import write_district

    run = importlib.import_module("cesched.solve.run")
    monkeypatch.setattr(run, "LP_BOUND_MAX_PAIRS", 0)
    monkeypatch.setattr(run, "lp_seconds_estimate", lambda n_pairs: estimate)
    monkeypatch.setitem(run.LNS_ABOVE_PAIRS, "forbid", 0)
    floors = []
    real = run.run_stages
    monkeypatch.setattr(run, "run_stages", lambda *a, term_bounds, **k: floors.append(dict(term_bounds))
                        or real(*a, term_bounds=term_bounds, **k))
    ds = cesched.load_dataset(write_district(tmp_path / "d", n_staff=60, seed=2))
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=8, workers=2, seed=0))
    assert ("lp_bound_beside" in plan.seconds) == runs
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    own = _own_lp_bound(build_model(ds, ix, cand, terms=("shortfall_hours",)))
    cut = cut_bound(ds, ix, cand, 10, 0, False)
    assert own > cut  # (this district: 163.25 h against 158 h) so the LP's is the floor stage 1 gets
    assert (floors[0]["shortfall_hours"] >= own) == runs
    assert plan.stages[0].bound <= plan.stages[0].value


def test_a_district_searched_by_neighbourhoods_alone_gets_the_lp_beside_them(monkeypatch, tmp_path):
    """Where no model is built for the stages, one is built for the LP's rows alone; stage 1's
    bound is then the LP's (nothing else there proves more than the cut bound)."""
    from cesched.generate import write_district

    run = importlib.import_module("cesched.solve.run")
    monkeypatch.setattr(run, "LP_BOUND_MAX_PAIRS", 0)
    monkeypatch.setattr(run, "lp_seconds_estimate", lambda n_pairs: 1.0)
    monkeypatch.setattr(run, "full_model_limit", lambda _: 0)
    ds = cesched.load_dataset(write_district(tmp_path / "d", n_staff=60, seed=2))
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=6, workers=2, seed=0))
    assert "lp_bound_beside" in plan.seconds and plan.model_stats["full_model"] == 0
    ix = index_dataset(ds)
    own = _own_lp_bound(build_model(ds, ix, build_candidates(ds, ix), terms=("shortfall_hours",)))
    assert plan.stages[0].bound * 100 == own <= plan.stages[0].value * 100


def test_a_bound_beside_that_fails_leaves_no_bound_and_keeps_its_error(monkeypatch):
    """An LP that raises on its thread must not end the run (nor print a thread's traceback into
    the CLI's output): the plan keeps the bounds it had."""
    relax = importlib.import_module("cesched.solve.relax")

    def broken(*_, **__):
        raise RuntimeError("HiGHS went away")

    monkeypatch.setattr(relax, "solve_lp", broken)
    _, _, pm = _model("tiny-forbid")
    beside = BoundBeside(pm, pm.term("shortfall_hours"), seconds=10, should_stop=lambda: False)
    assert beside.result() is None and str(beside.error) == "HiGHS went away"


@pytest.mark.parametrize("pairs, seconds, deterministic, pays", [
    (519_992, 600.0, False, True),  # 3,000 staff "forbid", a 10-minute run
    (519_992, 60.0, False, False),  # the same district in a minute: the LP would not end in time
    (519_992, 600.0, True, False),  # deterministic runs never (the thread's timing would show)
    (50_000, 600.0, False, False),  # small enough to be solved before the search instead
    (1_200_000, 1e6, False, False),  # too big to hold, however long the run
])
def test_when_the_lp_runs_beside_the_neighbourhoods(pairs, seconds, deterministic, pays):
    from types import SimpleNamespace

    from cesched.domain.policy import ObjectiveConfig
    from cesched.solve.stages import SolverSettings

    run = importlib.import_module("cesched.solve.run")
    settings = SolverSettings(time_limit=seconds, workers=4, seed=0, deterministic=deterministic)
    assert run._lp_beside_pays(SimpleNamespace(n_pairs=pairs), ObjectiveConfig(), settings, 0.9 * seconds) == pays
