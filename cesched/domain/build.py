"""From raw string tables to a validated Dataset, reporting every problem at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io.csvtable import LINE, RawTable
from ..problems import Problem, ProblemLog
from . import columns as C
from .dataset import Dataset
from .policy import Policy


@dataclass(frozen=True)
class FileSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    optional_file: bool = False

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


SPECS: dict[str, FileSpec] = {
    "units.csv": FileSpec(("unit_id",), ("name", "zone", "budget", "max_absent")),
    "staff.csv": FileSpec(
        ("staff_id", "unit_id", "field"),
        ("name", "required_public", "required_professional", "done_public", "done_professional",
         "max_weekly_hours"),
    ),
    "shifts.csv": FileSpec(("staff_id", "start", "end"), ()),
    "courses.csv": FileSpec(("course_id", "category", "hours"), ("title", "fields", "fee", "organizer")),
    "venues.csv": FileSpec(("venue_id", "capacity"), ("name", "zone")),
    "sessions.csv": FileSpec(
        ("session_id", "course_id", "venue_id", "start", "end"), ("capacity", "min_attendance")
    ),
    "travel.csv": FileSpec(("from_zone", "to_zone", "minutes"), (), optional_file=True),
}


def check_columns(log: ProblemLog, tables: dict[str, RawTable]) -> dict[str, pd.DataFrame]:
    """Missing files/columns are errors, unknown columns warnings; returns frames with every column."""
    frames: dict[str, pd.DataFrame] = {}
    for name, spec in SPECS.items():
        table = tables.get(name)
        if table is None:
            if not spec.optional_file:
                log.error(name, "required file is missing", expected=f"a CSV file with columns {', '.join(spec.required)}")
            frames[name] = pd.DataFrame({c: pd.Series(dtype=object) for c in spec.all} | {LINE: pd.Series(dtype=np.int64)})
            continue
        if not table.header:
            log.error(name, "file is empty: no header row", line=1, expected=f"a header with {', '.join(spec.required)}")
        seen: set[str] = set()
        for col in table.header:
            if col in seen:
                log.error(name, "column appears twice in the header", line=1, column=col)
            seen.add(col)
            if col not in spec.all:
                log.warning(name, "unknown column is ignored", line=1, column=col,
                            expected=f"one of {', '.join(spec.all)}")
        for line, cells in table.ragged[: ProblemLog.MAX_PER_KIND]:
            log.error(name, f"row has {cells} cells but the header has {len(table.header)}", line=line,
                      expected=f"{len(table.header)} comma-separated cells")
        frame = table.frame
        for col in spec.required:
            if col not in table.header and table.header:
                log.error(name, "required column is missing", line=1, column=col)
        for col in spec.all:
            if col not in frame.columns:
                frame = frame.assign(**{col: ""})
        frames[name] = frame[[c for c in spec.all] + [LINE]].copy()
        frames[name].columns = list(spec.all) + [LINE]
    return frames


def build_dataset(tables: dict[str, RawTable], policy: Policy, *, source: str = "",
                  log: ProblemLog | None = None) -> Dataset:
    """Validate raw tables against contract v1 and build the Dataset; raises DatasetError with all errors."""
    log = log or ProblemLog()
    frames = check_columns(log, tables)
    units = _units(log, frames["units.csv"])
    staff = _staff(log, frames["staff.csv"], units, policy)
    shifts = _shifts(log, frames["shifts.csv"], staff)
    courses = _courses(log, frames["courses.csv"])
    venues = _venues(log, frames["venues.csv"])
    meetings, sessions = _sessions(log, frames["sessions.csv"], courses, venues)
    travel = _travel(log, frames["travel.csv"])
    _file_warnings(units, sessions, log)
    log.rename_files({key: t.name for key, t in tables.items() if t.name != key})
    log.raise_if_errors()
    return Dataset(
        policy=policy, units=units, staff=staff, shifts=shifts, courses=courses, venues=venues,
        meetings=meetings, sessions=sessions, travel=travel, source=source, digest=_digest(tables, policy),
        warnings=tuple(p for p in log.problems if p.severity == "warning"),
    )


def _file_warnings(units: pd.DataFrame, sessions: pd.DataFrame, log: ProblemLog) -> None:
    """Suspicious-but-legal things visible without any time logic (the rest are in ``check``)."""
    for row in units[units["budget"].isna()].itertuples():
        log.warning("units.csv", "unit has no budget set: its fees are not capped", line=int(row.line),
                    column="budget", value=row.unit_id)
    never = sessions[sessions["min_attendance"] > sessions["capacity"]]
    for row in never.itertuples():
        log.warning("sessions.csv", "min_attendance exceeds the session's capacity: it can never run",
                    line=int(row.line), column="min_attendance", value=row.session_id,
                    expected=f"at most {row.capacity}")


def _digest(tables: dict[str, RawTable], policy: Policy) -> str:
    """SHA-256 over the tables' cells and the policy: the same input gives the same digest."""
    h = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name].frame.drop(columns=[LINE])
        h.update(name.encode())
        h.update("\x1f".join(frame.columns).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    h.update(policy.model_dump_json().encode())
    return h.hexdigest()


def _ids(log: ProblemLog, file: str, frame: pd.DataFrame, col: str) -> np.ndarray:
    ok = C.require_filled(log, file, frame, col)
    C.report_duplicates(log, file, frame, col)
    return ok


def _units(log: ProblemLog, f: pd.DataFrame) -> pd.DataFrame:
    name = "units.csv"
    _ids(log, name, f, "unit_id")
    return pd.DataFrame({
        "unit_id": f["unit_id"], "name": f["name"], "zone": f["zone"],
        "budget": C.parse_number(log, name, f, "budget", minimum=0, decimals=2),
        "max_absent": C.parse_number(log, name, f, "max_absent", minimum=0, integer=True),
        "line": f[LINE],
    }).drop_duplicates("unit_id").reset_index(drop=True)


def _staff(log: ProblemLog, f: pd.DataFrame, units: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    name = "staff.csv"
    _ids(log, name, f, "staff_id")
    C.require_filled(log, name, f, "unit_id")
    C.require_filled(log, name, f, "field")
    C.report_unknown_refs(log, name, f, "unit_id", pd.Index(units["unit_id"]), "units.csv")
    req = policy.requirements
    out = {"staff_id": f["staff_id"], "name": f["name"], "unit_id": f["unit_id"], "field": f["field"]}
    for col, default in (("required_public", req.public_hours), ("required_professional", req.professional_hours),
                         ("done_public", 0.0), ("done_professional", 0.0)):
        values = C.parse_number(log, name, f, col, minimum=0, decimals=2)
        out[col] = np.where((f[col] == "").to_numpy(), default, values)
    cap = C.parse_number(log, name, f, "max_weekly_hours", minimum=0, decimals=2)
    policy_cap = policy.rules.max_weekly_hours
    cap = np.where((f["max_weekly_hours"] == "").to_numpy(), policy_cap, cap)
    out["max_weekly_hours"] = np.where(cap == 0, np.nan, cap)  # 0 = no cap, as in the policy
    out["line"] = f[LINE]
    return pd.DataFrame(out).drop_duplicates("staff_id").reset_index(drop=True)


def _interval(log: ProblemLog, name: str, f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    C.require_filled(log, name, f, "start")
    C.require_filled(log, name, f, "end")
    start = C.parse_time(log, name, f, "start")
    end = C.parse_time(log, name, f, "end")
    both = ~np.isnat(start) & ~np.isnat(end)
    backwards = both & (end <= start)
    if backwards.any():
        keep = ProblemLog.MAX_PER_KIND
        lines, starts, ends = (a[backwards] for a in (f[LINE].to_numpy(), f["start"].to_numpy(), f["end"].to_numpy()))
        for line, s, e in zip(lines[:keep], starts[:keep], ends[:keep]):
            log.error(name, "end is not after start", line=int(line), column="end", value=str(e),
                      expected=f"a time after start {s}")
        log.count_more("error", name, "end is not after start", "end", len(lines) - keep)
    return start, end


def _shifts(log: ProblemLog, f: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    name = "shifts.csv"
    C.require_filled(log, name, f, "staff_id")
    C.report_unknown_refs(log, name, f, "staff_id", pd.Index(staff["staff_id"]), "staff.csv")
    start, end = _interval(log, name, f)
    return pd.DataFrame({"staff_id": f["staff_id"].to_numpy(), "start": start.astype("datetime64[s]"),
                         "end": end.astype("datetime64[s]")})


def _courses(log: ProblemLog, f: pd.DataFrame) -> pd.DataFrame:
    name = "courses.csv"
    _ids(log, name, f, "course_id")
    C.require_filled(log, name, f, "category")
    bad = ~f["category"].isin(["public", "professional"]).to_numpy() & (f["category"] != "").to_numpy()
    C._report(log, name, f, "category", bad, "unknown category", "public or professional")
    C.require_filled(log, name, f, "hours")
    hours = C.parse_number(log, name, f, "hours", minimum=0, strict_min=True, decimals=2)
    fee = C.parse_number(log, name, f, "fee", minimum=0, decimals=2)
    fields = f["fields"].map(lambda s: ";".join(p.strip() for p in s.split(";") if p.strip()))
    public = (f["category"] == "public").to_numpy()
    return pd.DataFrame({
        "course_id": f["course_id"], "title": f["title"], "category": f["category"],
        "fields": np.where(public, "", fields.to_numpy()), "hours": hours,
        "fee": np.nan_to_num(fee, nan=0.0), "organizer": f["organizer"], "line": f[LINE],
    }).drop_duplicates("course_id").reset_index(drop=True)


def _venues(log: ProblemLog, f: pd.DataFrame) -> pd.DataFrame:
    name = "venues.csv"
    _ids(log, name, f, "venue_id")
    C.require_filled(log, name, f, "capacity")
    cap = C.parse_number(log, name, f, "capacity", minimum=0, integer=True)
    return pd.DataFrame({
        "venue_id": f["venue_id"], "name": f["name"], "zone": f["zone"],
        "capacity": np.nan_to_num(cap, nan=0).astype(np.int64), "line": f[LINE],
    }).drop_duplicates("venue_id").reset_index(drop=True)


def _sessions(log: ProblemLog, f: pd.DataFrame, courses: pd.DataFrame,
              venues: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    name = "sessions.csv"
    for col in ("session_id", "course_id", "venue_id"):
        C.require_filled(log, name, f, col)
    C.report_unknown_refs(log, name, f, "course_id", pd.Index(courses["course_id"]), "courses.csv")
    C.report_unknown_refs(log, name, f, "venue_id", pd.Index(venues["venue_id"]), "venues.csv")
    start, end = _interval(log, name, f)
    cap = C.parse_number(log, name, f, "capacity", minimum=0, integer=True)
    min_att = C.parse_number(log, name, f, "min_attendance", minimum=0, integer=True)
    meetings = pd.DataFrame({
        "session_id": f["session_id"].to_numpy(), "course_id": f["course_id"].to_numpy(),
        "venue_id": f["venue_id"].to_numpy(), "start": start.astype("datetime64[s]"),
        "end": end.astype("datetime64[s]"), "capacity_cell": cap, "min_attendance_cell": min_att,
        "line": f[LINE].to_numpy(),
    })
    for col, label in (("course_id", "course_id"), ("capacity_cell", "capacity"),
                       ("min_attendance_cell", "min_attendance")):
        _report_disagreement(log, meetings, col, label)
    venue_cap = meetings["venue_id"].map(venues.set_index("venue_id")["capacity"])
    meetings["seat_cap"] = np.fmin(venue_cap.to_numpy(dtype=float), meetings["capacity_cell"].to_numpy())
    grouped = meetings.groupby("session_id", sort=False)
    sessions = pd.DataFrame({
        "course_id": grouped["course_id"].first(),
        "capacity": grouped["seat_cap"].min().fillna(0).astype(np.int64),
        "min_attendance": grouped["min_attendance_cell"].max().fillna(0).astype(np.int64),
        "start": grouped["start"].min(), "end": grouped["end"].max(),
        "meetings": grouped.size().astype(np.int64), "line": grouped["line"].min(),
    }).reset_index()
    return meetings[["session_id", "course_id", "venue_id", "start", "end", "line"]], sessions


def _report_disagreement(log: ProblemLog, meetings: pd.DataFrame, col: str, label: str) -> None:
    """Rows of one session must agree on ``col`` (blank capacity cells take the session's value)."""
    values = meetings[["session_id", col, "line"]].dropna(subset=[col])
    if label == "course_id":
        values = values[values[col] != ""]
    first = values.drop_duplicates("session_id").set_index("session_id")
    expected = values["session_id"].map(first[col])
    bad = (values[col] != expected).to_numpy()
    # course_id must agree (the contract); capacity and min_attendance cells that differ are legal
    # but suspicious: the session takes the smallest capacity and the largest minimum, with a warning
    severity = "error" if label == "course_id" else "warning"
    rule = {"capacity": "; the smallest applies", "min_attendance": "; the largest applies"}.get(label, "")
    for sid, value, line, want in zip(values["session_id"].to_numpy()[bad], values[col].to_numpy()[bad],
                                      values["line"].to_numpy()[bad], expected.to_numpy()[bad]):
        first_line = int(first.loc[sid, "line"])
        log.add(Problem(severity, "sessions.csv", f"rows of session {sid} disagree on {label}{rule}",
                        line=int(line), column=label, value=_cell(value),
                        expected=f"{_cell(want)} as on line {first_line}"))


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _travel(log: ProblemLog, f: pd.DataFrame) -> pd.DataFrame:
    name = "travel.csv"
    C.require_filled(log, name, f, "from_zone")
    C.require_filled(log, name, f, "to_zone")
    C.require_filled(log, name, f, "minutes")
    minutes = C.parse_number(log, name, f, "minutes", minimum=0, integer=True)
    a = np.minimum(f["from_zone"].to_numpy(dtype=object), f["to_zone"].to_numpy(dtype=object))
    b = np.maximum(f["from_zone"].to_numpy(dtype=object), f["to_zone"].to_numpy(dtype=object))
    pairs = pd.DataFrame({"zone_a": a, "zone_b": b, "minutes": minutes, "line": f[LINE].to_numpy()})
    same = (pairs["zone_a"] == pairs["zone_b"]).to_numpy()
    for line, zone, m in zip(pairs["line"][same], pairs["zone_a"][same], f["minutes"].to_numpy()[same]):
        if m not in ("0", "0.0", ""):
            log.warning(name, f"travel within zone {zone} is always 0; row ignored", line=int(line),
                        column="minutes", value=m, expected="0")
    pairs = pairs[~same].dropna(subset=["minutes"])
    first = pairs.drop_duplicates(["zone_a", "zone_b"])
    merged = pairs.merge(first, on=["zone_a", "zone_b"], suffixes=("", "_first"))
    clash = merged[merged["minutes"] != merged["minutes_first"]]
    for row in clash.itertuples():
        log.error(name, f"travel {row.zone_a}-{row.zone_b} disagrees with line {row.line_first} (travel is symmetric)",
                  line=int(row.line), column="minutes", value=f"{row.minutes:g}",
                  expected=f"{row.minutes_first:g}")
    out = first[["zone_a", "zone_b", "minutes"]].copy()
    out["minutes"] = out["minutes"].astype(np.int64)
    return out.reset_index(drop=True)
