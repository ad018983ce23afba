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


class PlanFolderError(ValueError):
    """The output folder cannot be used (it is the dataset, or holds something that is not a plan)."""


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
        stray = [p.name for p in out.iterdir() if p.name not in PLAN_FILES + ("changes.csv",)]
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
