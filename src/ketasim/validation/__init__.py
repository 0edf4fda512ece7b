"""Validation against published numbers: targets files, the runner and the HTML report."""

from ketasim.validation.runner import TargetResult, ValidationRun, run_targets, with_predictions, write_results_json
from ketasim.validation.targets import Measure, Target, TargetsFile, load_targets, parse_targets, with_role

__all__ = [
    "Measure",
    "Target",
    "TargetResult",
    "TargetsFile",
    "ValidationRun",
    "load_targets",
    "parse_targets",
    "run_targets",
    "with_predictions",
    "with_role",
    "write_results_json",
]
