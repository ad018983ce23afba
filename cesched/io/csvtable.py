"""Reading one CSV file as a table of strings that remembers each row's line in the file.

Every cell is read as a string ("00123" stays "00123"); typing happens in validation, where a bad
cell can be reported with its line and column. Line numbers are those a planner sees in an editor:
the header is line 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .text import read_text

LINE = "__line__"


@dataclass(frozen=True)
class RawTable:
    """A CSV file as read: string cells (blank = ""), its header and the encoding detected."""

    name: str
    frame: pd.DataFrame  # string columns plus LINE
    header: tuple[str, ...]
    encoding: str


def _fast_frame(text: str) -> pd.DataFrame | None:
    """pandas' C reader, used when no quoted field can span lines (then line = row + 2)."""
    if '"' in text:
        return None
    frame = pd.read_csv(
        io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
        skip_blank_lines=False, engine="c",
    )
    frame[LINE] = np.arange(2, len(frame) + 2, dtype=np.int64)
    return frame


def _exact_frame(text: str) -> pd.DataFrame:
    """The csv module, which knows each record's line even when a quoted cell holds a newline."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    rows, lines = [], []
    start = reader.line_num + 1
    for record in reader:
        record = (record + [""] * len(header))[: len(header)]
        rows.append(record)
        lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in header}
    )
    frame[LINE] = np.asarray(lines, dtype=np.int64)
    return frame


def parse_csv_text(name: str, text: str, encoding: str = "utf-8") -> RawTable:
    """Parse CSV text into a RawTable; fully blank rows are dropped (their lines still count)."""
    if not text.strip():
        return RawTable(name, pd.DataFrame({LINE: pd.Series(dtype=np.int64)}), (), encoding)
    frame = _fast_frame(text)
    if frame is None:
        frame = _exact_frame(text)
    frame.columns = [c.strip() if c != LINE else c for c in frame.columns]
    data_cols = [c for c in frame.columns if c != LINE]
    for col in data_cols:
        frame[col] = frame[col].astype(object).fillna("").astype(str).str.strip()
    if data_cols:
        blank = np.logical_and.reduce([frame[c].to_numpy() == "" for c in data_cols])
        if blank.any():
            frame = frame.loc[~blank]
    frame = frame.reset_index(drop=True)
    return RawTable(name, frame, tuple(data_cols), encoding)


def read_csv_table(path: Path) -> RawTable:
    text, encoding = read_text(path)
    return parse_csv_text(path.name, text, encoding)


def frame_to_raw(name: str, frame: pd.DataFrame) -> RawTable:
    """Turn an in-memory frame (from another system) into a RawTable as if it had been a file."""
    out = pd.DataFrame(index=range(len(frame)))
    for col in frame.columns:
        series = frame[col].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.dt.strftime("%Y-%m-%d %H:%M").fillna("")
        else:
            text = series.astype(object).where(series.notna(), "").astype(str)
        out[str(col).strip()] = text.str.strip()
    out[LINE] = np.arange(2, len(out) + 2, dtype=np.int64)
    return RawTable(name, out, tuple(str(c).strip() for c in frame.columns), "memory")
