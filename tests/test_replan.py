"""Re-planning from a published plan, locks, and the changes it reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import cesched
from cesched.cli import main
from cesched.problems import DatasetError

SAMPLES = Path(__file__).parent / "data" / "samples"
OPTIONS = cesched.SolveOptions(time_limit_seconds=60, workers=2, seed=0)


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["staff_id"].astype(str), frame["session_id"].astype(str)))


@pytest.fixture(scope="module")
def published():
    ds = cesched.load_dataset(SAMPLES / "tiny-forbid")
    return ds, cesched.solve(ds, OPTIONS)


def _with_extra_shift(tmp_path: Path, staff_id: str, start: str, end: str) -> cesched.Dataset:
    folder = tmp_path / "ds"
    shutil.copytree(SAMPLES / "tiny-forbid", folder)
    with open(folder / "shifts.csv", "a") as fh:
        fh.write(f"{staff_id},{start},{end}\n")
    return cesched.load_dataset(folder)


def test_a_moved_shift_changes_only_that_person(tmp_path, published):
    ds, plan = published
    row = plan.assignments[plan.assignments["staff_id"] == "S000003"].iloc[0]
    start, end = row["start"].strftime("%Y-%m-%d %H:%M"), row["end"].strftime("%Y-%m-%d %H:%M")
    changed_ds = _with_extra_shift(tmp_path, "S000003", start, end)
    again = cesched.solve(changed_ds, OPTIONS, previous=plan.assignments)
    assert cesched.audit(changed_ds, again.assignments).ok
    assert set(again.changes["staff_id"]) == {"S000003"}
    removed = again.changes[again.changes["change"] == "removed"]
    assert (row["staff_id"], row["session_id"]) in _pairs(removed)
    assert removed["why"].str.startswith("no longer possible: shift_overlap").all()
    stage_names = [s.name for s in again.stages]
    assert stage_names[:3] == ["shortfall_hours", "largest_shortfall_hours", "changed_staff"]
    assert again.stages[2].value == 1


def test_replanning_never_moves_more_people_than_a_plain_resolve(tmp_path, published):
    ds, plan = published
    folder = tmp_path / "ds"
    shutil.copytree(SAMPLES / "tiny-forbid", folder)
    cancelled = plan.assignments["session_id"].value_counts().index[0]
    sessions = pd.read_csv(folder / "sessions.csv", dtype=str, keep_default_na=False)
    sessions[sessions["session_id"] != cancelled].to_csv(folder / "sessions.csv", index=False)
    changed_ds = cesched.load_dataset(folder)
    replanned = cesched.solve(changed_ds, OPTIONS, previous=plan.assignments)
    plain = cesched.solve(changed_ds, OPTIONS)
    moved_plain = {s for s, _ in _pairs(plan.assignments) ^ _pairs(plain.assignments)}
    moved = set(replanned.changes["staff_id"])
    assert replanned.kpis.shortfall_hours == plain.kpis.shortfall_hours  # shortfall still comes first
    assert len(moved) <= len(moved_plain)
    attendees = set(plan.assignments.loc[plan.assignments["session_id"] == cancelled, "staff_id"])
    assert attendees <= moved


def test_a_locked_assignment_is_kept(published):
    ds, plan = published
    taken = _pairs(plan.assignments)
    desk = cesched.solve(ds, cesched.SolveOptions(method="greedy", seed=5))
    extra = next(p for p in sorted(_pairs(desk.assignments)) if p not in taken)
    locked = pd.DataFrame([extra], columns=["staff_id", "session_id"])
    again = cesched.solve(ds, OPTIONS, locked=locked)
    assert extra in _pairs(again.assignments)
    assert cesched.audit(ds, again.assignments).ok


def test_a_lock_that_breaks_a_rule_is_an_input_error(tmp_path, published):
    ds, plan = published
    row = plan.assignments.iloc[0]
    lock = tmp_path / "lock.csv"
    lock.write_text(f"staff_id,session_id\n{row['staff_id']},{row['session_id']}\n{row['staff_id']},{row['session_id']}\n")
    with pytest.raises(DatasetError) as info:
        cesched.solve(ds, OPTIONS, locked=pd.read_csv(lock, dtype=str))
    assert "duplicate_assignment" in str(info.value)
    result = CliRunner().invoke(main, ["solve", str(SAMPLES / "tiny-forbid"), "-o", str(tmp_path / "out"),
                                       "--lock", str(lock), "--quiet"])
    assert result.exit_code == 2
    assert "locked assignments break rule duplicate_assignment" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_writes_changes_csv(tmp_path, published):
    ds, plan = published
    prev = tmp_path / "prev.csv"
    plan.assignments[["staff_id", "session_id"]].to_csv(prev, index=False)
    out = tmp_path / "new"
    result = CliRunner().invoke(main, ["solve", str(SAMPLES / "tiny-forbid"), "-o", str(out), "--previous",
                                       str(prev), "--time-limit", "60", "--quiet"])
    assert result.exit_code == 0, result.output
    changes = pd.read_csv(out / "changes.csv", dtype=str)
    assert list(changes.columns) == ["staff_id", "session_id", "change", "why"]
    assert len(changes) == 0  # nothing changed in the world, so nobody moves


# --- property: re-planning never moves more people than a plain re-solve ---------------------------
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_property import datasets

SMALL = cesched.SolveOptions(time_limit_seconds=10, workers=2, seed=0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=4, max_sessions=5), st.data())
def test_replanning_moves_no_more_people_than_a_plain_resolve(ds, data):
    plan = cesched.solve(ds, SMALL)
    sessions = list(ds.sessions["session_id"])
    gone = data.draw(st.sampled_from(sessions))
    # the world changes: one session is cancelled (its rows leave sessions.csv)
    changed = ds.model_copy(update={
        "sessions": ds.sessions[ds.sessions["session_id"] != gone].reset_index(drop=True),
        "meetings": ds.meetings[ds.meetings["session_id"] != gone].reset_index(drop=True),
    })
    replanned = cesched.solve(changed, SMALL, previous=plan.assignments)
    plain = cesched.solve(changed, SMALL)
    assert cesched.audit(changed, replanned.assignments).ok
    assert replanned.kpis.shortfall_hours == pytest.approx(plain.kpis.shortfall_hours)
    before = _pairs(plan.assignments)
    moved_plain = {s for s, _ in before ^ _pairs(plain.assignments)}
    moved = {s for s, _ in before ^ _pairs(replanned.assignments)}
    assert len(moved) <= len(moved_plain)
    assert moved == set(replanned.changes["staff_id"])
