"""What a caller may set for one solve; anything left None comes from the dataset's policy."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SolveOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit_seconds: float | None = Field(None, gt=0, description="wall-clock limit over all stages")
    workers: int | None = Field(None, ge=0, description="CP-SAT workers; 0 = one per core")
    seed: int | None = Field(None, ge=0)
    method: Literal["cp-sat", "greedy"] = Field(
        "cp-sat", description="cp-sat: the staged optimiser; greedy: the first-come-first-served desk")
    deterministic: bool = Field(
        False, description="stop stages on CP-SAT's deterministic time so a seed and worker count "
        "always give the same plan; the wall-clock limit stays as a safety net",
    )
