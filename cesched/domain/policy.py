"""The policy: requirements, rules, solver settings and the objective order (policy.toml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: objective terms in the contract's lexicographic order, with the unit each is reported in
OBJECTIVE_TERMS: dict[str, str] = {
    "shortfall_hours": "credit hours",
    "largest_shortfall_hours": "credit hours",
    "overlap_minutes": "minutes",
    "rest_breaches": "count",
    "overload_hours": "clock hours",
    "unit_peak_days": "staff",
    "spend": "CNY",
    "training_minutes": "minutes",
    "changed_staff": "staff",  # only when re-planning from a previous plan
}
REPLAN_TERMS = ("changed_staff",)
DEFAULT_STAGES: tuple[tuple[str, ...], ...] = tuple((t,) for t in OBJECTIVE_TERMS if t not in REPLAN_TERMS)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequirementsPolicy(_Section):
    public_hours: float = Field(30, ge=0)
    professional_hours: float = Field(60, ge=0)


class RulesPolicy(_Section):
    shift_overlap: Literal["forbid", "allow"] = "forbid"
    rest_after_night_hours: float = Field(8, ge=0)
    max_weekly_hours: float = Field(0, ge=0)
    max_weekly_load_hours: float = Field(48, ge=0)
    default_travel_minutes: int = Field(0, ge=0)


class SolverPolicy(_Section):
    time_limit_seconds: float = Field(60, gt=0)
    workers: int = Field(4, ge=1, description="CP-SAT workers: one proves the bound beside the search, the rest search "
                                              "(with 8 on 2 cores that one got too little: measured)")
    seed: int = Field(0, ge=0)


class ObjectiveConfig(_Section):
    """Lexicographic stages of weighted terms.

    The default is the contract's order, one term per stage. A planner who wants a trade-off puts
    several terms in one stage; within a stage terms are summed with ``weights`` (per reported
    unit: per credit hour, per minute, per breach, per clock hour, per staff, per CNY).
    """

    stages: tuple[tuple[str, ...], ...] = DEFAULT_STAGES
    weights: dict[str, int] = Field(default_factory=lambda: {t: 1 for t in OBJECTIVE_TERMS})

    @field_validator("stages")
    @classmethod
    def _known_terms(cls, stages: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        seen: set[str] = set()
        for stage in stages:
            if not stage:
                raise ValueError("a stage needs at least one term")
            for term in stage:
                if term not in OBJECTIVE_TERMS:
                    raise ValueError(f"unknown objective term {term!r}; known: {', '.join(OBJECTIVE_TERMS)}")
                if term in seen:
                    raise ValueError(f"objective term {term!r} appears in two stages")
                seen.add(term)
        return stages

    @field_validator("weights")
    @classmethod
    def _weights(cls, weights: dict[str, int]) -> dict[str, int]:
        full = {t: 1 for t in OBJECTIVE_TERMS}
        for term, w in weights.items():
            if term not in OBJECTIVE_TERMS:
                raise ValueError(f"unknown objective term {term!r}; known: {', '.join(OBJECTIVE_TERMS)}")
            if w < 0:
                raise ValueError(f"weight of {term!r} must be >= 0, got {w}")
            full[term] = w
        return full


class Policy(_Section):
    requirements: RequirementsPolicy = RequirementsPolicy()
    rules: RulesPolicy = RulesPolicy()
    solver: SolverPolicy = SolverPolicy()
    objective: ObjectiveConfig = ObjectiveConfig()

    @model_validator(mode="after")
    def _hours_scale(self) -> "Policy":
        """Hours are kept exact at 0.01 h internally, so more decimals would be silently rounded."""
        for section, name in (("requirements", "public_hours"), ("requirements", "professional_hours"),
                              ("rules", "rest_after_night_hours"), ("rules", "max_weekly_hours"),
                              ("rules", "max_weekly_load_hours")):
            value = getattr(getattr(self, section), name)
            if abs(round(value * 100) - value * 100) > 1e-6:
                raise ValueError(f"{section}.{name} must have at most 2 decimals, got {value}")
        return self
