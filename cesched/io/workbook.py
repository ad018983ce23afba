"""Reading a dataset kept as one Excel workbook: a sheet per contract file.

Sheets are named like the files without ``.csv`` (units, staff, shifts, courses, venues, sessions,
travel); cells are read as text so validation treats them exactly like CSV cells, and a row's line
is its row number in the sheet (the header is row 1). The policy stays a ``policy.toml`` beside the
workbook. Needs openpyxl (``pip install cesched[excel]``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..problems import DatasetError, Problem
from .csvtable import LINE, RawTable

SHEETS = ("units", "staff", "shifts", "courses", "venues", "sessions", "travel")


def _text(value) -> str:
    """A cell as the text a CSV would hold: whole numbers without '.0', times as YYYY-MM-DD HH:MM."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_workbook(path: Path) -> dict[str, RawTable]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, header=0)
    except ImportError:
        raise DatasetError([Problem("error", path.name, "reading Excel workbooks needs openpyxl",
                                    expected="pip install 'cesched[excel]', or CSV files")]) from None
    except (ValueError, OSError) as exc:
        raise DatasetError([Problem("error", path.name, f"not a readable workbook: {exc}",
                                    expected="an .xlsx file with one sheet per contract file")]) from None
    tables: dict[str, RawTable] = {}
    for sheet, frame in sheets.items():
        name = str(sheet).strip().lower()
        if name not in SHEETS:
            continue
        header = tuple(str(c).strip() for c in frame.columns)
        out = pd.DataFrame({h: frame.iloc[:, i].map(_text) for i, h in enumerate(header)})
        out[LINE] = np.arange(2, len(out) + 2, dtype=np.int64)
        blank = (out.drop(columns=[LINE]) == "").all(axis=1).to_numpy() if header else np.zeros(len(out), bool)
        tables[f"{name}.csv"] = RawTable(f"{path.name}[{name}]", out.loc[~blank].reset_index(drop=True),
                                         header, "xlsx")
    return tables
