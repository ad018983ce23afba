"""Turning generated arrays into the contract's text tables, and writing them byte-for-byte.

Every cell of every frame is the exact text of the file (str, blank = ""), so a frame equals what
`pandas.read_csv(path, dtype=str, keep_default_na=False)` reads back, and writing is deterministic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def format_numbers(values: np.ndarray) -> np.ndarray:
    """Numbers as planners write them: '6' not '6.0', '4.5' kept, NaN as a blank cell."""
    values = np.asarray(values, dtype=float)
    distinct, inverse = np.unique(values, return_inverse=True)
    text = np.array([_number(v) for v in distinct.tolist()] + [""], dtype=object)
    inverse = np.where(np.isnan(values), len(distinct), inverse.reshape(values.shape))
    return text[inverse]


def _number(v: float) -> str:
    """One number as text (NaN never reaches here as text; it maps to blank)."""
    if v != v:
        return ""
    if v == int(v):
        return str(int(v))
    return repr(round(v, 6))


def ids(prefix: str, count: int, min_width: int) -> np.ndarray:
    """Sortable ids like S000001: zero-padded to the wider of min_width and what count needs."""
    width = max(min_width, len(str(count)))
    return np.array([f"{prefix}{k:0{width}d}" for k in range(1, count + 1)], dtype=object)


def frame(columns: dict[str, object]) -> pd.DataFrame:
    """A frame of text columns in the given order."""
    return pd.DataFrame({name: pd.Series(np.asarray(col, dtype=object), dtype="str") for name, col in columns.items()})


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """UTF-8 without BOM, LF line endings, minimal quoting: what the contract reads most simply."""
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_text(text: str, path: Path) -> None:
    """A text file in UTF-8 with LF line endings whatever the platform."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
