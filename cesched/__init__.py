"""cesched: continuing-education scheduling around work rosters, solved with OR-Tools CP-SAT."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cesched")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+src"

from .domain import Dataset, Policy
from .io.dataset_files import dataset_from_frames, load_dataset
from .problems import DatasetError, Problem
from .solve import Plan, Regions, SolveOptions, partition_regions, regions_from_zones, solve, solve_by_region
from .audit import audit
from .explain import explain_staff, explain_unit

__all__ = [
    "Dataset", "DatasetError", "Plan", "Policy", "Problem", "SolveOptions", "__version__", "audit",
    "dataset_from_frames", "explain_staff", "explain_unit", "load_dataset", "partition_regions", "Regions",
    "regions_from_zones", "solve", "solve_by_region",
]
