"""The bound companion beside a stage's search: when it proves the stage, the search ends then.

Before this, a companion that solved the stage to optimality left the search running to the end of
its budget (a 120-staff district: proven after 18 s, searched until 42 s), time the later stages
needed.
"""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import pytest
from ortools.sat.python import cp_model

from cesched.solve import stages


def market_split(seed: int = 1, rows: int = 4, columns: int = 30) -> cp_model.CpModel:
    """A market-split instance (Cornuéjols and Dawande): CP-SAT finds plans at once but does not
    prove one optimal in seconds, so only a stop from outside can end its search early."""
    rng = random.Random(seed)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{j}") for j in range(columns)]
    slack = []
    for _ in range(rows):
        a = [rng.randrange(100) for _ in range(columns)]
        gap = model.new_int_var(-3000, 3000, "gap")
        size = model.new_int_var(0, 3000, "size")
        model.add(sum(k * v for k, v in zip(a, x)) - sum(a) // 2 == gap)
        model.add_abs_equality(size, gap)
        slack.append(size)
    model.minimize(sum(slack))
    for v in x:
        model.add_hint(v, rng.randrange(2))
    return model


class ProvingCompanion(stages.BoundCompanion):
    """The bound companion with its search replaced: it declares the stage proven ``delay`` seconds
    after it starts."""

    delay = 0.0

    def _run(self) -> None:
        time.sleep(self.delay)
        self.status = cp_model.OPTIMAL
        self.on_proven()


@pytest.mark.parametrize("delay", [0.0, 1.0])  # proven before the search begins / while it runs
def test_a_stage_search_ends_when_its_companion_proves_the_stage(monkeypatch, delay):
    monkeypatch.setattr(ProvingCompanion, "delay", delay)
    monkeypatch.setattr(stages, "BoundCompanion", ProvingCompanion)
    settings = stages.SolverSettings(time_limit=20, workers=2, seed=0, deterministic=False)
    budget = 20.0
    searched = stages._search(SimpleNamespace(model=market_split(), x=[]), settings, budget, time.monotonic() + budget,
                              "stage", 1, None, stages.Stopper())
    solver, status, companion, reporter, seconds = searched
    assert status != cp_model.OPTIMAL  # the search itself proved nothing: the stop came from the companion
    assert companion.proven
    assert seconds < delay + 5.0 < budget


def test_the_companion_reports_a_proof_and_only_a_proof():
    calls = []
    tiny = cp_model.CpModel()
    x = [tiny.new_bool_var(f"x{i}") for i in range(4)]
    tiny.add(sum(x) >= 2)
    tiny.minimize(sum(x))
    proving = stages.BoundCompanion(tiny, 10.0, 0, lambda bound: None, on_proven=lambda: calls.append("tiny"))
    proving.start()
    proving.thread.join()  # (finish() would stop it)
    assert proving.proven and calls == ["tiny"]

    stopped = stages.BoundCompanion(market_split(), 0.5, 0, lambda bound: None,
                                    on_proven=lambda: calls.append("split"))
    stopped.start()
    stopped.thread.join()  # ends at its 0.5 s limit, unproven
    assert not stopped.proven and calls == ["tiny"]
