"""Writing a plan folder atomically: a crash or Ctrl-C never leaves a half-written plan.

Files are written into a hidden temporary folder beside the target and renamed into place at
once; an existing plan folder is swapped out only after the new one is complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

PLAN_FILES = ("assignments.csv", "staff_report.csv", "unit_report.csv", "session_report.csv", "summary.json")
#: written only when they apply: re-planning, regions, and a plan the audit found a broken rule in
OPTIONAL_PLAN_FILES = ("changes.csv", "regions.csv", "violations.csv")


class PlanFolderError(ValueError):
    """The output folder cannot be used (it is the dataset, or holds something that is not a plan)."""


def read_assignments(path: str | Path) -> pd.DataFrame:
    """A plan's (staff_id, session_id) pairs from a plan folder or an assignments.csv file.

    Ids stay strings; the file may be UTF-8 or GB18030 like a dataset. Raises DatasetError naming
    the file when it is missing or lacks either column.
    """
    from ..problems import DatasetError, Problem
    from .csvtable import LINE, read_csv_table
    from .text import UndecodableFile

    path = Path(path)
    file = path / "assignments.csv" if path.is_dir() else path
    if not file.exists():
        raise DatasetError([Problem("error", str(file), "plan file not found",
                                    expected="a plan folder or an assignments.csv file")])
    try:
        table = read_csv_table(file)
    except UndecodableFile as exc:
        raise DatasetError([Problem("error", str(file), "cannot decode", line=exc.line,
                                    expected="UTF-8 or GB18030 text")]) from None
    missing = [c for c in ("staff_id", "session_id") if c not in table.header]
    if missing:
        raise DatasetError([Problem("error", str(file), "required column is missing", line=1, column=c)
                            for c in missing])
    return table.frame.drop(columns=[LINE])


def check_output_folder(out: Path, dataset_dir: Path | None) -> None:
    out = out.resolve()
    if dataset_dir is not None:
        src = dataset_dir.resolve()
        if out == src or src in out.parents:
            raise PlanFolderError(f"{out}: the plan folder may not be inside the dataset folder {src}; "
                                  "choose another -o (the dataset is never written to)")
    if out.exists():
        if not out.is_dir():
            raise PlanFolderError(f"{out}: exists and is not a folder")
        stray = [p.name for p in out.iterdir() if p.name not in PLAN_FILES + OPTIONAL_PLAN_FILES]
        if stray:
            raise PlanFolderError(f"{out}: exists and holds files that are not a plan ({', '.join(sorted(stray)[:5])}); "
                                  "choose an empty or new folder")


def _csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M")
    out.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")


def write_plan_folder(out: str | Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
                      dataset_dir: Path | None = None) -> Path:
    """Write tables (file name → frame) and summary.json into ``out``, atomically."""
    out = Path(out)
    check_output_folder(out, dataset_dir)
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        for name, frame in tables.items():
            _csv(frame, tmp / name)
        with open(tmp / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(summary, fh, ensure_ascii=False, indent=2, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
