"""Validation against published numbers: targets files, the runner, statistics and the HTML report.

The report functions (`write_report`, `report_html`) load on first use, so importing this package does not
import plotly (and the plotting module may use `ketasim.validation.statistics` without an import cycle).
"""

from __future__ import annotations

from typing import Any

from ketasim.validation.runner import (
    Backend,
    Course,
    TargetResult,
    ValidationRun,
    default_backend,
    run_targets,
    write_results_json,
)
from ketasim.validation.targets import Measure, Target, TargetsFile, load_targets, parse_targets

__all__ = [
    "Backend",
    "Course",
    "Measure",
    "Target",
    "TargetResult",
    "TargetsFile",
    "ValidationRun",
    "default_backend",
    "load_targets",
    "parse_targets",
    "report_html",
    "run_targets",
    "write_report",
    "write_results_json",
]


def __getattr__(name: str) -> Any:
    if name in ("write_report", "report_html"):
        from ketasim.validation import report

        return getattr(report, name)
    raise AttributeError(f"module 'ketasim.validation' has no attribute {name!r}")
