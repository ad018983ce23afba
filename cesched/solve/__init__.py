"""Solving: lexicographic stages over the CP-SAT model, progress, interruption and the Plan."""

from .options import SolveOptions
from .plan import Plan, StageResult
from .decompose import RegionRun, solve_by_region
from .regions import Regions, partition_regions, regions_from_zones
from .run import solve

__all__ = ["Plan", "RegionRun", "Regions", "SolveOptions", "StageResult", "partition_regions", "regions_from_zones",
           "solve", "solve_by_region"]
