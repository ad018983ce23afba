"""Solving: lexicographic stages over the CP-SAT model, progress, interruption and the Plan."""

from .options import SolveOptions
from .plan import Plan, StageResult
from .run import solve

__all__ = ["Plan", "SolveOptions", "StageResult", "solve"]
