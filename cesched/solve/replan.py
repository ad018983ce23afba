"""Re-planning: keep a previous plan's still-valid attendances, honour locks, explain every change."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..candidates import Candidates, Indexed, pair_keys
from ..domain.dataset import Dataset
from ..problems import DatasetError, Problem

#: rules a set of locked attendances may break on its own only as a plan still being filled
_FILLABLE = {"min_attendance"}


@dataclass(frozen=True)
class Anchors:
    """A previous plan and locks, as masks over the candidate pairs."""

    previous: np.ndarray | None  # pairs of the previous plan that are still possible
    lost: np.ndarray | None  # per person: previous attendances no longer possible
    locked: np.ndarray | None


def check_locks(dataset: Dataset, locked: pd.DataFrame, source: str = "lock file") -> None:
    """A lock that breaks a hard rule on its own is an input error naming the rule."""
    from ..audit import audit  # the judge decides what breaks a rule

    result = audit(dataset, locked)
    broken = result.violations[~result.violations["rule"].isin(_FILLABLE)]
    if len(broken):
        raise DatasetError([
            Problem("error", source, f"locked assignments break rule {row.rule}: {row.detail}",
                    column="session_id", value=f"{row.staff_id} {row.session_id}".strip(),
                    expected="locks that keep every hard rule")
            for row in broken.itertuples()
        ])


def wanted_keys(ix: Indexed, previous: pd.DataFrame | None, locked: pd.DataFrame | None) -> np.ndarray:
    frames = [f for f in (previous, locked) if f is not None]
    return np.unique(np.concatenate([pair_keys(ix, f) for f in frames])) if frames else np.zeros(0, np.int64)


def anchors(ix: Indexed, cand: Candidates, previous: pd.DataFrame | None, locked: pd.DataFrame | None,
            source: str = "lock file") -> Anchors:
    keys = cand.pair_staff.astype(np.int64) * len(ix.session_ids) + cand.pair_session
    prev_mask = lost = lock_mask = None
    if previous is not None:
        prev_keys = pair_keys(ix, previous)
        prev_mask = np.isin(keys, prev_keys)
        gone = prev_keys[~np.isin(prev_keys, keys)]
        lost = np.bincount(gone // len(ix.session_ids), minlength=ix.n_staff)
        # a previous session that no longer exists at all changes its people too
        staff = pd.Index(ix.staff_ids).get_indexer(previous["staff_id"].astype(str).str.strip())
        session = pd.Index(ix.session_ids).get_indexer(previous["session_id"].astype(str).str.strip())
        lost += np.bincount(staff[(staff >= 0) & (session < 0)], minlength=ix.n_staff)
    if locked is not None:
        lock_keys = pair_keys(ix, locked)
        lock_mask = np.isin(keys, lock_keys)
        missing = lock_keys[~np.isin(lock_keys, keys)]
        if len(missing):  # the audit found nothing, yet no plan can hold it (e.g. a session that cannot run)
            raise DatasetError([
                Problem("error", source, "locked assignment cannot be planned: its session cannot run or "
                        "the person cannot attend it", column="session_id",
                        value=f"{ix.staff_ids[k // len(ix.session_ids)]} {ix.session_ids[k % len(ix.session_ids)]}")
                for k in missing[:50]
            ])
    return Anchors(prev_mask, lost, lock_mask)


def changes_frame(dataset: Dataset, ix: Indexed, previous: pd.DataFrame, assignments: pd.DataFrame
                  ) -> pd.DataFrame:
    """staff_id, session_id, change (added/removed), why — one row per difference from ``previous``."""
    from ..audit import audit

    before = previous[["staff_id", "session_id"]].astype(str).apply(lambda c: c.str.strip()).drop_duplicates()
    after = assignments[["staff_id", "session_id"]].astype(str)
    merged = before.merge(after, how="outer", indicator=True)
    removed = merged[merged["_merge"] == "left_only"][["staff_id", "session_id"]]
    added = merged[merged["_merge"] == "right_only"][["staff_id", "session_id"]]
    judged = audit(dataset, before).violations
    why_removed: dict[tuple[str, str], str] = {}
    for row in judged.itertuples():
        for session in str(row.session_id).split(";"):
            why_removed.setdefault((str(row.staff_id), session), f"no longer possible: {row.rule} ({row.detail})")
    rows = [(s, x, "removed", why_removed.get((s, x), "moved to lower shortfall or conflict elsewhere"))
            for s, x in removed.itertuples(index=False)]
    rows += [(s, x, "added", "re-planned: closes open hours or takes a freed seat")
             for s, x in added.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["staff_id", "session_id", "change", "why"]).sort_values(
        ["staff_id", "change", "session_id"], kind="stable").reset_index(drop=True)
