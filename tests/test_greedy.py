"""The fitting greedy and ``top_up``: people still short take free seats in sessions that run anyway,
and nothing else; the greedy fills need with as few seats as it can.

P1 and P2 already attend X1 (09:00-12:00 on day 0, at least two attendees); P3 needs 6 public hours.
Each case changes one thing that decides whether P3 may join.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cesched
from cesched.candidates import build_candidates, index_dataset, shortfall_hours
from cesched.solve.greedy import Absence, plan_state, top_up
from cesched.solve.run import assignments_frame

try:
    from builders import at, course, meeting, person, tiny, unit
except ImportError:  # tests/ collected as a package
    from tests.builders import at, course, meeting, person, tiny, unit


def topped_up(ds: cesched.Dataset, planned: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The plan ``planned`` after one top-up pass, checked by the audit."""
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    staff, session = ix.staff_ids[cand.pair_staff], ix.session_ids[cand.pair_session]
    chosen = np.array([(p, s) in planned for p, s in zip(staff, session)])
    assert chosen.sum() == len(planned)
    state = plan_state(ix, cand, chosen)
    added = top_up(state)
    assert cesched.audit(ds, assignments_frame(ds, ix, cand, state.chosen)).ok
    assert shortfall_hours(ix, cand, state.chosen).sum() <= shortfall_hours(ix, cand, chosen).sum()
    after = {(p, s) for p, s, c in zip(staff, session, state.chosen) if c}
    assert len(after - planned) == added and planned <= after
    return after


def three(seats=3, least=2, fee=0, budget="", p3_busy=False, planned=(("P1", "X1"), ("P2", "X1"))):
    people = [person("P1", public=6), person("P2", public=6), person("P3", unit="U2", public=6)]
    sessions = [meeting("X1", "C1", at(0, "09:00"), at(0, "12:00"), capacity=seats, least=least),
                meeting("X2", "C2", at(0, "10:00"), at(0, "11:00"), capacity=1, least=1)]
    ds = tiny(staff=people, courses=[course("C1", hours=6, fee=fee), course("C2", hours=1)], sessions=sessions,
              units=[unit("U1"), unit("U2", budget=budget)])
    planned = set(planned) | ({("P3", "X2")} if p3_busy else set())
    return ds, planned


def test_a_short_person_takes_a_free_seat_in_a_running_session():
    ds, planned = three()
    assert topped_up(ds, planned) == planned | {("P3", "X1")}


@pytest.mark.parametrize("case", [
    dict(seats=2),  # X1 is full
    dict(fee=100, budget=50),  # P3's unit cannot pay X1
    dict(p3_busy=True),  # P3 attends X2 at the same time
    dict(planned=()),  # X1 does not run: top_up never opens a session
])
def test_no_seat_is_taken_where_a_rule_or_a_closed_session_stands_in_the_way(case):
    ds, planned = three(**case)
    assert topped_up(ds, planned) == planned


def test_the_fitting_greedy_closes_need_with_the_longest_session_it_can_use_in_full():
    # 12 h of need: one seat of the 12-hour course rather than two seats of 6-hour ones, although
    # the long session is the more contested (one seat against fifty)
    from cesched.solve.greedy import fitting_plan

    ds = tiny(staff=[person("P1", public=12)],
              courses=[course("L", hours=12), course("S1", hours=6), course("S2", hours=6)],
              sessions=[meeting("XL", "L", at(0, "09:00"), at(0, "12:00"), capacity=1),
                        meeting("XS1", "S1", at(1, "09:00"), at(1, "12:00")),
                        meeting("XS2", "S2", at(2, "09:00"), at(2, "12:00"))])
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    chosen = fitting_plan(ix, cand)
    assert set(ix.session_ids[cand.pair_session[chosen]]) == {"XL"}


def test_a_subset_is_the_same_whether_its_rows_are_looked_up_or_masked(monkeypatch):
    """``subset`` looks up the meeting rows of a few kept pairs and masks them for many: both give
    the same candidates, with pm_pair and piece_pair still sorted."""
    import importlib

    candidates = importlib.import_module("cesched.candidates")
    ds = cesched.load_dataset(Path(__file__).parent / "data" / "samples" / "tiny-allow")
    cand = candidates.build_candidates(ds)
    assert len(cand.piece_pair) and (np.diff(cand.piece_pair) >= 0).all() and (np.diff(cand.pm_pair) >= 0).all()
    rng = np.random.default_rng(3)
    for share in (0.02, 0.3, 0.9):
        keep = rng.random(cand.n_pairs) < share
        looked_up = candidates.subset(cand, keep)
        with monkeypatch.context() as patch:
            patch.setattr(candidates, "SPARSE_SUBSET_FACTOR", 0)  # never sparse: mask every row
            masked = candidates.subset(cand, keep)
            patch.setattr(candidates, "SPARSE_SUBSET_FACTOR", 10**9)  # always sparse
            sparse = candidates.subset(cand, keep)
        for field in ("pair_staff", "pair_session", "pm_pair", "pm_meeting", "piece_pair", "piece_start", "piece_end"):
            assert np.array_equal(getattr(masked, field), getattr(sparse, field)), field
            assert np.array_equal(getattr(masked, field), getattr(looked_up, field)), field
        assert (np.diff(sparse.piece_pair) >= 0).all()


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20), st.booleans()), max_size=30),
       st.integers(-5, 80), st.integers(1, 30))
def test_absence_counts_the_most_people_away_at_one_instant(pieces, a, length):
    """The step function against counting instant by instant, with pieces added and some taken back."""
    absence, held = Absence(), []
    for start, duration, taken_back in pieces:
        absence.add(start, start + duration, 1)
        held.append((start, start + duration))
        if taken_back:
            s, e = held.pop(len(held) // 2)
            absence.add(s, e, -1)
    b = a + length
    expected = max(sum(s <= t < e for s, e in held) for t in range(a, b))
    assert absence.most(a, b) == expected


def test_an_option_that_fitted_last_round_is_rechecked_against_the_session_taken_since():
    # 12 h of need and three 6-hour sessions; the least contested (XA) is taken first, the next
    # least contested (XB) clashes with it and must give way to XC
    from cesched.solve.greedy import fitting_plan

    ds = tiny(staff=[person("P1", public=12)],
              courses=[course("A"), course("B"), course("C")],
              sessions=[meeting("XA", "A", at(0, "09:00"), at(0, "12:00"), capacity=10),
                        meeting("XB", "B", at(0, "11:00"), at(0, "14:00"), capacity=5),
                        meeting("XC", "C", at(1, "09:00"), at(1, "12:00"), capacity=2)])
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    chosen = fitting_plan(ix, cand)
    assert set(ix.session_ids[cand.pair_session[chosen]]) == {"XA", "XC"}
