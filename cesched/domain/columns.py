"""Parsing string columns into typed arrays, vectorised, recording every bad cell.

Each parser returns the typed values and logs one problem per bad cell with the file's line number,
so a file of two million shift rows is checked in one pass of numpy rather than row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.csvtable import LINE
from ..problems import ProblemLog

TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$"
TIME_EXPECTED = "a local time YYYY-MM-DD HH:MM"


def _report(log: ProblemLog, file: str, frame: pd.DataFrame, col: str, bad: np.ndarray,
            message: str, expected: str) -> None:
    if not bad.any():
        return
    keep = ProblemLog.MAX_PER_KIND
    values = frame[col].to_numpy()[bad]
    lines = frame[LINE].to_numpy()[bad]
    for value, line in zip(values[:keep], lines[:keep]):
        log.error(file, message, line=int(line), column=col, value=str(value), expected=expected)
    log.count_more("error", file, message, col, len(values) - keep)


def parse_number(log: ProblemLog, file: str, frame: pd.DataFrame, col: str, *,
                 minimum: float | None = None, strict_min: bool = False, integer: bool = False,
                 decimals: int | None = None) -> np.ndarray:
    """Float array (NaN where blank); non-numbers, out-of-range and non-integers are errors."""
    text = frame[col]
    blank = (text == "").to_numpy()
    values = pd.to_numeric(text.where(~blank, None), errors="coerce").to_numpy(dtype=float, copy=True)
    bad_number = ~blank & ~np.isfinite(values)
    _report(log, file, frame, col, bad_number, "not a number", _number_expected(minimum, strict_min, integer))
    ok = ~blank & ~bad_number
    if minimum is not None:
        below = ok & ((values <= minimum) if strict_min else (values < minimum))
        _report(log, file, frame, col, below, "out of range", _number_expected(minimum, strict_min, integer))
        ok &= ~below
    if integer:
        frac = ok & (np.floor(values) != values)
        _report(log, file, frame, col, frac, "not a whole number", "a whole number")
        ok &= ~frac
    elif decimals is not None:
        scaled = values * 10**decimals
        frac = ok & (np.abs(scaled - np.round(scaled)) > 1e-6)
        _report(log, file, frame, col, frac, f"more than {decimals} decimals",
                f"a number with at most {decimals} decimals")
    values[~ok] = np.nan
    return values


def _number_expected(minimum: float | None, strict: bool, integer: bool) -> str:
    kind = "a whole number" if integer else "a number"
    if minimum is None:
        return kind
    return f"{kind} {'>' if strict else '>='} {minimum:g}"


def parse_time(log: ProblemLog, file: str, frame: pd.DataFrame, col: str) -> np.ndarray:
    """datetime64[m] array (NaT where bad); a blank required time is reported by the caller."""
    text = frame[col]
    shaped = text.str.match(TIME_PATTERN).to_numpy(dtype=bool)
    blank = (text == "").to_numpy()
    normal = text.where(shaped, None).str.slice(0, 16).str.replace("T", " ", regex=False)
    times = pd.to_datetime(normal, format="%Y-%m-%d %H:%M", errors="coerce")
    values = times.to_numpy(dtype="datetime64[m]")
    bad = ~blank & np.isnat(values)
    _report(log, file, frame, col, bad, "not a valid time", TIME_EXPECTED)
    return values


def require_filled(log: ProblemLog, file: str, frame: pd.DataFrame, col: str) -> np.ndarray:
    """Boolean mask of filled cells; every blank cell of a required column is an error."""
    blank = (frame[col] == "").to_numpy()
    _report(log, file, frame, col, blank, "required value is blank", "a value")
    return ~blank


def report_duplicates(log: ProblemLog, file: str, frame: pd.DataFrame, col: str) -> None:
    """Every repeat of an id after its first row is an error that names the first row's line."""
    ids = frame[col]
    dup = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
    if not dup.any():
        return
    first_line = frame.drop_duplicates(col).set_index(col)[LINE]
    keep = ProblemLog.MAX_PER_KIND
    values, lines = ids.to_numpy()[dup], frame[LINE].to_numpy()[dup]
    for value, line in zip(values[:keep], lines[:keep]):
        log.error(file, f"duplicate id (first on line {int(first_line[value])})",
                  line=int(line), column=col, value=str(value), expected="a unique id")
    log.count_more("error", file, "duplicate id", col, len(values) - keep)


def report_unknown_refs(log: ProblemLog, file: str, frame: pd.DataFrame, col: str,
                        known: pd.Index, target: str) -> np.ndarray:
    """Mask of rows whose reference resolves; each unknown reference is an error."""
    values = frame[col]
    ok = values.isin(known).to_numpy()
    bad = ~ok & (values != "").to_numpy()
    _report(log, file, frame, col, bad, f"unknown {col}", f"an id listed in {target}")
    return ok
