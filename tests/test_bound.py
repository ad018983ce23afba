"""The bounds that scale: the max flow, and the Lagrangian at its minimum cut's seat prices.

The hand cases are small enough to reason out; the property test in test_engine_property checks
both against exhaustive enumeration on random datasets.
"""

from __future__ import annotations

import importlib

import numpy as np

from cesched.candidates import build_candidates, index_dataset
from cesched.solve import bound
from cesched.solve.bound import cut_bound, flow_bound
from cesched.solve.greedy import slices

from builders import at, course, meeting, person, tiny


def _bounds(ds, seconds: float = 10.0) -> tuple[int, int]:
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    return flow_bound(ix, cand), cut_bound(ds, ix, cand, seconds)


def _clashing_pair(a: str = "S4", b: str = "S5", capacity: int = 10) -> list[dict]:
    """Two 6-hour sessions of different courses at the same time (one person takes one of them),
    professional courses open to the field "med" only."""
    return [meeting(a, "C4", at(2, "08:00"), at(2, "14:00"), capacity=capacity),
            meeting(b, "C5", at(2, "09:00"), at(2, "15:00"), capacity=capacity)]


COURSES = [course("C1", "professional", 6), course("C4", "professional", 6, fields="med"),
           course("C5", "professional", 6, fields="med")]
#: A (med) can take S1, S4 and S5; B and C (nurses) only S1
PEOPLE = [person("A", professional=12), person("B", field="nurse", professional=6),
          person("C", field="nurse", professional=6)]


def test_a_person_alone_held_back_by_a_clash():
    """P needs 12 h from two clashing 6-hour sessions: the flow sends 12 h (it knows no clash),
    nothing is priced, and P alone reaches 6 h: the bound is the optimum, 6 h."""
    ds = tiny(staff=[person("P", professional=12)], courses=COURSES, sessions=_clashing_pair())
    assert _bounds(ds) == (0, 600)


def test_a_priced_seat_and_a_clash_behind_it():
    """One seat of S1 is wanted by A (who also has S4 and S5, clashing), B and C (S1 only). The
    flow fills S1 and A's S4 and S5: 18 of 24 h, a bound of 6 h. S1 lies on the cut, its seat
    costs 6 h; alone, A reaches 6 h of 12 from S4 or S5, B and C nothing: 6 + 6 + 6 - 6 = 12 h,
    the optimum (whoever takes S1, 12 h stay short)."""
    ds = tiny(staff=PEOPLE, courses=COURSES,
              sessions=[meeting("S1", "C1", at(0, "08:00"), at(0, "14:00"), capacity=1), *_clashing_pair()])
    assert _bounds(ds) == (600, 1200)


def test_people_not_reached_in_time_count_without_their_clashes():
    """With no time for the people's own problems the bound falls back to what the pairs allow
    with clashes left out, never above it; here that is the max flow."""
    ds = tiny(staff=PEOPLE, courses=COURSES,
              sessions=[meeting("S1", "C1", at(0, "08:00"), at(0, "14:00"), capacity=1), *_clashing_pair()])
    assert _bounds(ds, seconds=0.0) == (600, 600)


def test_a_batch_cp_sat_cannot_solve_adds_nothing(monkeypatch):
    """A batch without a CP-SAT bound keeps the clash-free value: the bound stays true."""
    bound = importlib.import_module("cesched.solve.bound")
    monkeypatch.setattr(bound, "_batch_bound", lambda *args: None)
    ds = tiny(staff=[person("P", professional=12)], courses=COURSES, sessions=_clashing_pair())
    assert _bounds(ds) == (0, 0)


def test_people_are_solved_in_batches_and_each_counts_once(monkeypatch):
    """Ten people like P, in batches of about two: each keeps 6 h short, 60 h in all."""
    bound = importlib.import_module("cesched.solve.bound")
    monkeypatch.setattr(bound, "BATCH_PAIRS", 4)
    staff = [person(f"P{k}", professional=12) for k in range(10)]
    ds = tiny(staff=staff, courses=COURSES, sessions=_clashing_pair(capacity=10))
    calls = []
    real = bound._batch_bound
    monkeypatch.setattr(bound, "_batch_bound", lambda *args: calls.append(1) or real(*args))
    assert _bounds(ds) == (0, 6000)
    assert len(calls) == 5


def test_too_many_free_pairs_leave_the_max_flow(monkeypatch):
    bound = importlib.import_module("cesched.solve.bound")
    monkeypatch.setattr(bound, "CUT_MAX_FREE_PAIRS", 1)
    ds = tiny(staff=[person("P", professional=12)], courses=COURSES, sessions=_clashing_pair())
    assert _bounds(ds) == (0, 0)


def test_deterministic_bound_does_not_read_the_clock(monkeypatch):
    """A run that must repeat gives the people's problems CP-SAT's deterministic time, not what
    the wall clock leaves: even with no seconds left the bound is the full one."""
    ds = tiny(staff=[person("P", professional=12)], courses=COURSES, sessions=_clashing_pair())
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    assert cut_bound(ds, ix, cand, 0.0, deterministic=True) == 600


def test_a_stop_ends_the_batches():
    ds = tiny(staff=[person("P", professional=12)], courses=COURSES, sessions=_clashing_pair())
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    assert cut_bound(ds, ix, cand, 10.0, should_stop=lambda: True) == 0
    assert np.isscalar(cut_bound(ds, ix, cand, 10.0))


def _flow_of_everyone_alone(ix, cand, monkeypatch):
    """The max flow and its cut with one node per person, as it was before people alike merged."""
    monkeypatch.setattr(bound, "_alike_weights", lambda ix, cand: np.ones(ix.n_staff, dtype=np.int64))
    found = bound._max_flow(ix, cand)
    monkeypatch.undo()
    return found


def test_people_alike_share_one_flow_node(monkeypatch):
    """B and C (nurses, 6 h, only S1) are alike: B's node stands for both, C has none. The flow
    and its cut are those of one node per person."""
    ds = tiny(staff=PEOPLE, courses=COURSES,
              sessions=[meeting("S1", "C1", at(0, "08:00"), at(0, "14:00"), capacity=1), *_clashing_pair()])
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    assert bound._alike_weights(ix, cand).tolist() == [1, 2, 0]
    merged = bound._max_flow(ix, cand)
    alone = _flow_of_everyone_alone(ix, cand, monkeypatch)
    assert merged[0] == alone[0] == 600
    assert merged[1].tolist() == alone[1].tolist() == [True, False, False]


#: A (med) reaches S1, S4 and S5; D (lab) as many sessions, but others: S1, S6 and S7
LAB = [course("C6", "professional", 6, fields="lab"), course("C7", "professional", 6, fields="lab")]
LAB_SESSIONS = [meeting("S6", "C6", at(3, "08:00"), at(3, "14:00"), capacity=1),
                meeting("S7", "C7", at(4, "08:00"), at(4, "14:00"), capacity=1)]


def test_colliding_hashes_leave_people_apart(monkeypatch):
    """With every session's hash key 0, A and D (18 h each, three sessions each, not the same
    ones) collide; the pair-by-pair check keeps them apart and the flow stays exact: S1's one seat
    goes to one of them, 36 - 30 = 6 h (merged, as if both had A's sessions, it would be 18 h)."""
    ds = tiny(staff=[person("A", professional=18), person("D", field="lab", professional=18)],
              courses=COURSES + LAB,
              sessions=[meeting("S1", "C1", at(0, "08:00"), at(0, "14:00"), capacity=1),
                        *_clashing_pair(capacity=1), *LAB_SESSIONS])
    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    monkeypatch.setattr(bound, "_session_keys", lambda n: np.zeros((2, n), dtype=np.int64))
    lo, _ = slices(cand.pair_staff, ix.n_staff)
    assert bound._not_alike(cand, lo, np.array([0, 0])).tolist() == [1]
    assert bound._alike_weights(ix, cand).tolist() == [1, 1]
    assert bound._max_flow(ix, cand)[0] == 600
