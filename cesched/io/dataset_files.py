"""Loading a dataset folder (or in-memory frames) into a validated Dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ..domain.build import SPECS, build_dataset
from ..domain.dataset import Dataset
from ..domain.policy import Policy
from ..problems import DatasetError, ProblemLog
from .csvtable import RawTable, frame_to_raw, read_csv_table
from .policy_file import policy_from_mapping, read_policy
from .text import UndecodableFile
from .workbook import read_workbook


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate a dataset folder (or an .xlsx workbook with one sheet per file and a
    policy.toml beside it); raises DatasetError listing every problem."""
    folder = Path(path)
    log = ProblemLog()
    if folder.is_file() and folder.suffix.lower() in (".xlsx", ".xlsm"):
        policy = read_policy(folder.parent / "policy.toml", log)
        return build_dataset(read_workbook(folder), policy or Policy(), source=str(folder), log=log)
    if not folder.is_dir():
        log.error(str(folder), "dataset folder not found", expected="a folder with units.csv, staff.csv, ...")
        raise DatasetError(log.problems)
    tables: dict[str, RawTable] = {}
    for name in SPECS:
        file = folder / name
        if not file.exists():
            continue
        try:
            tables[name] = read_csv_table(file)
        except UndecodableFile as exc:
            log.error(name, f"cannot decode byte 0x{exc.byte:02x}", line=exc.line,
                      expected="UTF-8 (with or without BOM) or GB18030 text")
    policy = read_policy(folder / "policy.toml", log)
    return build_dataset(tables, policy or Policy(), source=str(folder), log=log)


def dataset_from_frames(frames: Mapping[str, pd.DataFrame], policy: Policy | Mapping[str, Any] | None = None,
                        *, source: str = "memory") -> Dataset:
    """Validate in-memory frames keyed by file name ("units.csv" or "units"); same rules as files."""
    log = ProblemLog()
    tables: dict[str, RawTable] = {}
    for key, frame in frames.items():
        name = key if key.endswith(".csv") else f"{key}.csv"
        tables[name] = frame_to_raw(name, frame)
    if policy is None:
        resolved = Policy()
    elif isinstance(policy, Policy):
        resolved = policy
    else:
        resolved = policy_from_mapping(dict(policy), log) or Policy()
    return build_dataset(tables, resolved, source=source, log=log)
