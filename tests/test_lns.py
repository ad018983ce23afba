"""The neighbourhood search on a generated district: its steps keep every rule and lower shortfall."""

from __future__ import annotations

import numpy as np
import pytest

import cesched
from cesched.candidates import build_candidates, index_dataset, shortfall_hours
from cesched.generate import write_district
from cesched.solve import lns
from cesched.solve.greedy import desk_plan, plan_state, top_up
from cesched.solve.run import assignments_frame
from cesched.solve.stages import SolverSettings


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    folder = write_district(tmp_path_factory.mktemp("district") / "d", n_staff=120, seed=3)
    ds = cesched.load_dataset(folder)
    ix = index_dataset(ds)
    return ds, ix, build_candidates(ds, ix)


@pytest.mark.parametrize("workers", [1, 2])  # with two, plain steps search with CP-SAT's LNS alone
def test_steps_from_the_desk_plan_lower_shortfall_and_keep_every_rule(district, workers):
    ds, ix, cand = district
    state = plan_state(ix, cand, desk_plan(ix, cand, 0))
    top_up(state)  # the search's own first move: what is left is the steps' to lower
    start = state.chosen
    settings = SolverSettings(time_limit=4.0, workers=workers, seed=0, deterministic=False)
    chosen, stats = lns.improve_shortfall(ds, ix, cand, start.copy(), 4.0, settings)
    assert stats.improving >= 1
    judged = cesched.audit(ds, assignments_frame(ds, ix, cand, chosen))
    assert judged.ok, judged.violations.to_string()
    assert shortfall_hours(ix, cand, chosen).sum() < shortfall_hours(ix, cand, start).sum()


def test_a_seeds_group_stops_growing_at_the_cap(district, monkeypatch):
    """A seed with many candidate pairs and many seat holders frees at most the cap's worth of
    pairs plus the one person who crossed it (allow mode at 20,000 staff had freed 45,000)."""
    ds, ix, cand = district
    chosen = desk_plan(ix, cand, 0)
    short = plan_state(ix, cand, chosen).shortfall()
    look = lns.PairIndex(ix, cand)
    pairs_of = look.staff_hi - look.staff_lo
    cap = 3 * int(pairs_of.max())
    uncapped = lns.neighbourhood(np.random.default_rng(0), ix, cand, look, chosen, short, target_pairs=1)
    assert pairs_of[uncapped].sum() > cap + pairs_of.max()  # a whole group is larger than the cap
    monkeypatch.setattr(lns, "STEP_MAX_FREED_PAIRS", cap)
    capped = lns.neighbourhood(np.random.default_rng(0), ix, cand, look, chosen, short, target_pairs=1)
    assert cap <= pairs_of[capped].sum() < cap + pairs_of.max()
    assert (capped <= uncapped).all()  # the same group, cut short


def test_under_forbid_the_cap_counts_only_the_pairs_a_step_can_use(district, monkeypatch):
    """Pairs in sessions with no seat left (and none freed by the group) are barred from the step,
    so they do not count towards the cap: the group the raw count cuts short grows further."""
    ds, ix, cand = district
    chosen = desk_plan(ix, cand, 0)
    short = plan_state(ix, cand, chosen).shortfall()
    look = lns.PairIndex(ix, cand)
    pairs_of = look.staff_hi - look.staff_lo
    whole = lns.neighbourhood(np.random.default_rng(0), ix, cand, look, chosen, short, target_pairs=1)
    monkeypatch.setattr(lns, "STEP_MAX_FREED_PAIRS", 3 * int(pairs_of.max()))
    cut = lns.neighbourhood(np.random.default_rng(0), ix, cand, look, chosen, short, target_pairs=1)
    no_seat_left = np.zeros(len(ix.session_ids), dtype=np.int64)
    kept_whole = lns.neighbourhood(np.random.default_rng(0), ix, cand, look, chosen, short, target_pairs=1,
                                   seats_left=no_seat_left)
    # the same group, cut later: the seats the group frees and its own attendances still count
    assert cut.sum() < kept_whole.sum() <= whole.sum()
    assert (cut <= kept_whole).all() and (kept_whole <= whole).all()
