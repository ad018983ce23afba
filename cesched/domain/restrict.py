"""A dataset cut down to part of itself: some units with their staff and shifts, some sessions.

Decomposition solves each region on such a part (``cesched.solve.decompose``), and the
cross-border pass on parts whose sessions hold only some of their seats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import Dataset


def restrict(ds: Dataset, unit_ids: np.ndarray, session_ids: np.ndarray, label: str = "",
             shift_mask: np.ndarray | None = None, seats: pd.Series | None = None,
             least: pd.Series | None = None, staff_ids: np.ndarray | None = None) -> Dataset:
    """The dataset cut down to some units (with their staff and shifts) and some sessions.

    ``seats`` (session_id -> capacity) adds sessions with only part of their seats (a region's
    share of a shared session), ``least`` (session_id -> min_attendance) changes their minimum.
    ``staff_ids`` keeps only those staff of the units. Courses, venues and travel are kept whole;
    ``shift_mask`` (rows of ``ds.shifts``) saves looking the staff up again when the caller has it.
    """
    units = ds.units[ds.units["unit_id"].isin(unit_ids)]
    staff = ds.staff[ds.staff["unit_id"].isin(unit_ids)]
    if staff_ids is not None:
        staff = staff[staff["staff_id"].isin(staff_ids)]
    if shift_mask is None:
        shift_mask = ds.shifts["staff_id"].isin(staff["staff_id"]).to_numpy()
    if seats is not None and len(seats):
        session_ids = np.concatenate([np.asarray(session_ids, dtype=object), seats.index.to_numpy(dtype=object)])
    sessions = ds.sessions[ds.sessions["session_id"].isin(session_ids)]
    if seats is not None and len(seats):
        part = sessions["session_id"].map(seats)
        sessions = sessions.assign(capacity=part.fillna(sessions["capacity"]).astype(np.int64))
    if least is not None and len(least):
        minimum = sessions["session_id"].map(least)
        sessions = sessions.assign(min_attendance=minimum.fillna(sessions["min_attendance"]).astype(np.int64))
    meetings = ds.meetings[ds.meetings["session_id"].isin(session_ids)]
    tables = {"units": units, "staff": staff, "shifts": ds.shifts[shift_mask], "sessions": sessions,
              "meetings": meetings}
    return ds.model_copy(update={name: frame.reset_index(drop=True) for name, frame in tables.items()}
                         | {"warnings": (), "source": f"{ds.source} [{label}]" if label else ds.source,
                            "digest": ""})  # a part of the input has no digest of its own
