"""Validated, immutable domain data: the policy, the entities and the dataset that holds them."""

from .dataset import Dataset
from .entities import Course, Meeting, Session, Shift, Staff, Unit, Venue
from .policy import ObjectiveConfig, Policy, RequirementsPolicy, RulesPolicy, SolverPolicy

__all__ = [
    "Course", "Dataset", "Meeting", "ObjectiveConfig", "Policy", "RequirementsPolicy",
    "RulesPolicy", "Session", "Shift", "SolverPolicy", "Staff", "Unit", "Venue",
]
