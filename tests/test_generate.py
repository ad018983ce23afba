"""The synthetic district generator: deterministic, and in contract v1 to the letter."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cesched.generate import FILE_COLUMNS, generate_district, write_district

CONTRACT_COLUMNS = {
    "units.csv": ["unit_id", "name", "zone", "budget", "max_absent"],
    "staff.csv": [
        "staff_id", "name", "unit_id", "field", "required_public", "required_professional",
        "done_public", "done_professional", "max_weekly_hours",
    ],
    "shifts.csv": ["staff_id", "start", "end"],
    "courses.csv": ["course_id", "title", "category", "fields", "hours", "fee", "organizer"],
    "venues.csv": ["venue_id", "name", "zone", "capacity"],
    "sessions.csv": ["session_id", "course_id", "venue_id", "start", "end", "capacity", "min_attendance"],
    "travel.csv": ["from_zone", "to_zone", "minutes"],
}
POLICY_KEYS = {
    "requirements": {"public_hours", "professional_hours"},
    "rules": {"shift_overlap", "rest_after_night_hours", "max_weekly_hours", "max_weekly_load_hours",
              "default_travel_minutes"},
    "solver": {"time_limit_seconds"},
}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
NUMBER = re.compile(r"^(0|[1-9]\d*)(\.\d*[1-9])?$")  # tidy: no "6.0", no leading zeros, no sign
NUMERIC_COLUMNS = {
    "units.csv": ["budget", "max_absent"],
    "staff.csv": ["required_public", "required_professional", "done_public", "done_professional",
                  "max_weekly_hours"],
    "courses.csv": ["hours", "fee"],
    "venues.csv": ["capacity"],
    "sessions.csv": ["capacity", "min_attendance"],
    "travel.csv": ["minutes"],
}


@pytest.fixture(scope="module")
def district() -> dict[str, pd.DataFrame | str]:
    return generate_district(300, seed=11)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_district(tmp_path_factory.mktemp("gen") / "d300", 300, seed=11)


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _minutes(text: pd.Series) -> np.ndarray:
    return pd.to_datetime(text, format="%Y-%m-%d %H:%M").to_numpy().astype("datetime64[m]").astype(np.int64)


def _contract_problems(tables: dict[str, pd.DataFrame | str]) -> list[str]:
    """Every way the tables break the contract (an empty list when they keep it)."""
    bad: list[str] = []
    units, staff, shifts = tables["units.csv"], tables["staff.csv"], tables["shifts.csv"]
    courses, venues, sessions, travel = (tables[k] for k in ("courses.csv", "venues.csv", "sessions.csv",
                                                             "travel.csv"))
    for name, cols in CONTRACT_COLUMNS.items():
        if list(tables[name].columns) != cols:
            bad.append(f"{name} columns {list(tables[name].columns)}")
    for name, key in (("units.csv", "unit_id"), ("staff.csv", "staff_id"), ("courses.csv", "course_id"),
                      ("venues.csv", "venue_id")):
        if tables[name][key].duplicated().any() or (tables[name][key] == "").any():
            bad.append(f"{name}: {key} not unique or blank")
    if not staff.unit_id.isin(units.unit_id).all():
        bad.append("staff.unit_id not in units")
    if not shifts.staff_id.isin(staff.staff_id).all():
        bad.append("shifts.staff_id not in staff")
    if not sessions.course_id.isin(courses.course_id).all():
        bad.append("sessions.course_id not in courses")
    if not sessions.venue_id.isin(venues.venue_id).all():
        bad.append("sessions.venue_id not in venues")
    per_session = sessions.groupby("session_id")[["course_id", "venue_id", "capacity", "min_attendance"]].nunique()
    if (per_session.course_id > 1).any():
        bad.append("rows of one session disagree on course_id")
    if (per_session[["venue_id", "capacity", "min_attendance"]] > 1).any().any():
        bad.append("rows of one session disagree on venue, capacity or min_attendance")
    for name, table in (("shifts.csv", shifts), ("sessions.csv", sessions)):
        for col in ("start", "end"):
            if not table[col].str.fullmatch(TIME.pattern).all():
                bad.append(f"{name}.{col} not YYYY-MM-DD HH:MM")
        if len(table) and not (_minutes(table.end) > _minutes(table.start)).all():
            bad.append(f"{name}: end not after start")
    for name, cols in NUMERIC_COLUMNS.items():
        for col in cols:
            cells = tables[name][col]
            if not cells[cells != ""].str.fullmatch(NUMBER.pattern).all():
                bad.append(f"{name}.{col} has untidy numbers")
    for name, col in (("staff.csv", "done_public"), ("staff.csv", "done_professional"), ("courses.csv", "hours"),
                      ("courses.csv", "fee"), ("venues.csv", "capacity"), ("travel.csv", "minutes")):
        if (tables[name][col] == "").any():
            bad.append(f"{name}.{col} has blanks")
    if not (pd.to_numeric(courses.hours) > 0).all():
        bad.append("course hours not positive")
    if not courses.category.isin(["public", "professional"]).all():
        bad.append("bad course category")
    known_fields = set(staff.field)
    for cell in courses.fields[courses.category == "professional"]:
        if cell and not set(cell.split(";")) <= known_fields:
            bad.append(f"course open to unknown field {cell}")
    zones = set(units.zone) | set(venues.zone)
    if not (set(travel.from_zone) | set(travel.to_zone)) <= zones:
        bad.append("travel names unknown zones")
    if (travel.from_zone == travel.to_zone).any():
        bad.append("travel lists a zone to itself")
    pairs = set(zip(travel.from_zone, travel.to_zone))
    if any((b, a) in pairs for a, b in pairs) or len(pairs) != len(travel):
        bad.append("travel pair listed twice")
    policy = tomllib.loads(tables["policy.toml"])
    if {k: set(v) for k, v in policy.items()} != POLICY_KEYS:
        bad.append(f"policy keys {policy}")
    return bad


def test_module_column_table_is_the_contract() -> None:
    assert {k: list(v) for k, v in FILE_COLUMNS.items()} == CONTRACT_COLUMNS


def test_district_keeps_the_contract(district: dict[str, pd.DataFrame | str]) -> None:
    assert set(district) == set(CONTRACT_COLUMNS) | {"policy.toml"}
    assert _contract_problems(district) == []


@pytest.mark.parametrize("n_staff", [1, 7, 40, 7000])
def test_any_size_keeps_the_contract(n_staff: int) -> None:
    tables = generate_district(n_staff, seed=3)
    assert len(tables["staff.csv"]) == n_staff
    assert _contract_problems(tables) == []


def test_written_files_are_the_frames_byte_for_byte(district: dict[str, pd.DataFrame | str], written: Path) -> None:
    assert sorted(p.name for p in written.iterdir()) == sorted(district)
    for name, table in district.items():
        raw = (written / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw, name
        raw.decode("utf-8")
        if isinstance(table, str):
            assert raw.decode("utf-8") == table
        else:
            pd.testing.assert_frame_equal(_read(written, name), table, check_dtype=False)
            assert raw.split(b"\n", 1)[0].decode() == ",".join(CONTRACT_COLUMNS[name])


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, written: Path) -> None:
    again = write_district(tmp_path / "again", 300, seed=11)
    other = write_district(tmp_path / "other", 300, seed=12)
    for name in CONTRACT_COLUMNS:
        assert (again / name).read_bytes() == (written / name).read_bytes(), name
    assert (other / "shifts.csv").read_bytes() != (written / "shifts.csv").read_bytes()
    assert (other / "sessions.csv").read_bytes() != (written / "sessions.csv").read_bytes()
    assert (other / "staff.csv").read_bytes() != (written / "staff.csv").read_bytes()


def test_refuses_a_non_empty_folder_but_fills_an_empty_one(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("planner's notes")
    with pytest.raises(FileExistsError):
        write_district(full, 20, seed=1)
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert write_district(empty, 20, seed=1) == empty
    assert (empty / "shifts.csv").exists()
    nested = write_district(tmp_path / "a" / "b", 20, seed=1)
    assert (nested / "policy.toml").exists()


def test_rejects_no_staff() -> None:
    with pytest.raises(ValueError):
        generate_district(0, seed=1)


def test_rosters_look_like_rosters(district: dict[str, pd.DataFrame | str]) -> None:
    shifts = district["shifts.csv"]
    start, end = _minutes(shifts.start), _minutes(shifts.end)
    assert 90 <= len(shifts) / len(district["staff.csv"]) <= 140  # about 115 rows a person over the term
    crosses_midnight = shifts.start.str[:10] != shifts.end.str[:10]
    assert crosses_midnight.any()
    assert set(shifts.start.str[11:]) >= {"00:00", "08:00", "16:00", "07:50", "14:00", "08:30"}
    # sorted by person then start, and one person never works two shifts at once
    same = shifts.staff_id.to_numpy()[1:] == shifts.staff_id.to_numpy()[:-1]
    assert (shifts.staff_id.to_numpy()[1:] >= shifts.staff_id.to_numpy()[:-1]).all()
    assert (start[1:][same] >= end[:-1][same]).all()


def test_sessions_offer_evenings_weekends_and_days(district: dict[str, pd.DataFrame | str]) -> None:
    sessions = district["sessions.csv"]
    start = pd.to_datetime(sessions.start, format="%Y-%m-%d %H:%M")
    assert (start.dt.hour >= 18).any()
    assert (start.dt.day_of_week >= 5).any()
    assert ((start.dt.day_of_week < 5) & (start.dt.hour < 12)).any()
    assert sessions.groupby("session_id").size().isin([1, 2, 3]).all()
    assert (sessions.capacity == "").any() and (sessions.capacity != "").any()
    assert (sessions.min_attendance == "").any() and (sessions.min_attendance != "").any()
    assert (sessions.start.str[:10] == sessions.end.str[:10]).all()  # meetings keep to one day


def test_seats_cover_the_need_on_paper() -> None:
    """Seat-hours offered roughly match what is still required: shortfall comes from rosters,
    timing and contention, not from a district that simply offers too few seats."""
    tables = generate_district(3000, seed=5)
    staff, courses, venues, sessions = (tables[k] for k in ("staff.csv", "courses.csv", "venues.csv", "sessions.csv"))

    def num(s: pd.Series, default: float) -> np.ndarray:
        return pd.to_numeric(s.replace("", np.nan)).fillna(default).to_numpy(float)

    need = (np.maximum(0, num(staff.required_public, 30) - num(staff.done_public, 0)).sum()
            + np.maximum(0, num(staff.required_professional, 60) - num(staff.done_professional, 0)).sum())
    one = sessions.drop_duplicates("session_id").merge(courses, on="course_id").merge(
        venues[["venue_id", "capacity"]], on="venue_id", suffixes=("", "_venue"))
    seats = np.fmin(num(one.capacity, np.inf), num(one.capacity_venue, 0))
    ratio = (seats * num(one.hours, 0)).sum() / need
    assert 0.8 <= ratio <= 1.2
    units = tables["units.csv"]
    assert (units.budget == "").any() and (units.budget != "").mean() > 0.7
    clinical = units.name.str.contains("Hospital|Health Centre")
    assert (units.max_absent[clinical] != "").mean() >= 0.6


def test_three_hundred_staff_is_quick(tmp_path: Path) -> None:
    began = time.perf_counter()
    write_district(tmp_path / "quick", 300, seed=2)
    assert time.perf_counter() - began < 2.0


def test_the_loader_accepts_the_written_district(written: Path) -> None:
    """End to end: cesched's own loader validates the folder without a single error."""
    cesched = pytest.importorskip("cesched")
    load_dataset = getattr(cesched, "load_dataset", None)
    if load_dataset is None:
        pytest.skip("cesched.load_dataset not available yet")
    dataset = load_dataset(written)
    assert len(dataset.staff) == 300
