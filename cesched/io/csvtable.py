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
    header: tuple[str, ...]  # as written, duplicates included (validation reports them)
    encoding: str
    ragged: tuple[tuple[int, int], ...] = ()  # (line, cells) of rows whose cell count differs from the header


def _header(text: str) -> list[str]:
    return [c.strip() for c in next(csv.reader(io.StringIO(text, newline="")), [])]


def _fast_frame(text: str, header: list[str]) -> tuple[pd.DataFrame, list[tuple[int, int]]] | None:
    """pandas' C reader, used when no quoted field can span lines (then line = row + 2) and every
    row has the header's number of cells; otherwise None and the csv module reads the file."""
    if '"' in text or len(set(header)) != len(header):
        return None
    commas = header and len(header) - 1
    lines = text.split("\n")
    if any(line.count(",") != commas for line in lines[1:] if line.strip()):
        return None
    frame = pd.read_csv(
        io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
        skip_blank_lines=False, engine="c", index_col=False,
    )
    frame[LINE] = np.arange(2, len(frame) + 2, dtype=np.int64)
    return frame, []


def _exact_frame(text: str) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """The csv module, which knows each record's line even when a quoted cell holds a newline.
    Rows with too few cells are padded, surplus cells dropped; both are returned to be reported.
    A repeated header name keeps its first column."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [c.strip() for c in next(reader, [])]
    rows, lines, ragged = [], [], []
    start = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record) and len(record) != len(header):
            ragged.append((start, len(record)))
        rows.append((record + [""] * len(header))[: len(header)])
        lines.append(start)
        start = reader.line_num + 1
    first = {name: i for i, name in reversed(list(enumerate(header)))}
    columns = list(first)
    data = {name: [row[first[name]] for row in rows] for name in columns}
    frame = pd.DataFrame(data, dtype=object) if rows else pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame[LINE] = np.asarray(lines, dtype=np.int64)
    return frame, ragged


def parse_csv_text(name: str, text: str, encoding: str = "utf-8") -> RawTable:
    """Parse CSV text into a RawTable; fully blank rows are dropped (their lines still count)."""
    if not text.strip():
        return RawTable(name, pd.DataFrame({LINE: pd.Series(dtype=np.int64)}), (), encoding)
    header = _header(text)
    fast = _fast_frame(text, header)
    frame, ragged = fast if fast is not None else _exact_frame(text)
    frame.columns = [c.strip() if c != LINE else c for c in frame.columns]
    data_cols = [c for c in frame.columns if c != LINE]
    for col in data_cols:
        frame[col] = frame[col].astype(object).fillna("").astype(str).str.strip()
    if data_cols:
        blank = np.logical_and.reduce([frame[c].to_numpy() == "" for c in data_cols])
        if blank.any():
            frame = frame.loc[~blank]
    frame = frame.reset_index(drop=True)
    return RawTable(name, frame, tuple(header), encoding, tuple(ragged))


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
