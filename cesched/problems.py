"""Problems found in a dataset: errors stop a run, warnings are shown to the planner.

Every problem names where it is (file, line as in the file, column), the value found and what was
expected, so a planner can fix the file without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about the input. ``line`` is 1-based as in the file (the header is line 1)."""

    severity: Severity
    file: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        parts = [f"{where}: {self.severity}"]
        if self.column is not None:
            label = "key" if self.file.endswith(".toml") else "column"
            parts.append(f"{label} {self.column!r}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        text = ", ".join(parts) + f": {self.message}"
        if self.expected is not None:
            text += f" (expected {self.expected})"
        return text


class DatasetError(Exception):
    """Raised when a dataset has errors; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} error(s) in dataset"
        super().__init__(head + "\n" + "\n".join(str(p) for p in errors))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


class ProblemLog:
    """Collects problems while validating so that all of them are reported at once."""

    #: at most this many problems of one kind (file, column, message) are kept verbatim
    MAX_PER_KIND = 20

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._kind_counts: dict[tuple, int] = {}

    def add(self, problem: Problem) -> None:
        kind = (problem.severity, problem.file, problem.column, problem.message)
        count = self._kind_counts.get(kind, 0) + 1
        self._kind_counts[kind] = count
        if count <= self.MAX_PER_KIND:
            self._items.append(problem)

    def count_more(self, severity: Severity, file: str, message: str, column: str | None, n: int) -> None:
        """Count ``n`` more problems of one kind without building them (a column with a million bad
        cells is summarised, not listed)."""
        if n > 0:
            kind = (severity, file, column, message)
            self._kind_counts[kind] = self._kind_counts.get(kind, 0) + n

    def error(self, file: str, message: str, **where) -> None:
        self.add(Problem("error", file, message, **where))

    def warning(self, file: str, message: str, **where) -> None:
        self.add(Problem("warning", file, message, **where))

    def rename_files(self, names: dict[str, str]) -> None:
        """Report problems under the names a planner knows (a workbook's sheet, not 'staff.csv')."""
        if not names:
            return
        self._items = [replace(p, file=names.get(p.file, p.file)) for p in self._items]
        self._kind_counts = {(sev, names.get(f, f), col, msg): n for (sev, f, col, msg), n in self._kind_counts.items()}

    @property
    def problems(self) -> tuple[Problem, ...]:
        """All problems kept, plus one summary line per kind that had more than MAX_PER_KIND."""
        extra = [
            Problem(sev, file, f"... and {n - self.MAX_PER_KIND} more like: {msg}", column=col)
            for (sev, file, col, msg), n in self._kind_counts.items()
            if n > self.MAX_PER_KIND
        ]
        return tuple(self._items) + tuple(extra)

    @property
    def has_errors(self) -> bool:
        return any(k[0] == "error" for k in self._kind_counts)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise DatasetError(self.problems)
