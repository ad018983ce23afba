"""CP-SAT model building: variables, hard rules and objective terms over candidate pairs."""

from .builder import PlanModel, build_model

__all__ = ["PlanModel", "build_model"]
