"""The files of a trial: ``summary.json`` (strict JSON) and ``patients.parquet`` (one row per patient).

Each is written completely or not at all (`ketasim.result_files.write_file`); a failure names the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ketasim.result_files import write_file, write_text


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write ``summary.json`` (strict JSON: no NaN) and return its path; folders are created."""
    return write_text(path, json.dumps(summary, indent=2, allow_nan=False) + "\n")


def write_patients(table: Any, path: str | Path) -> Path:
    """Write the per-patient table as Parquet and return its path; folders are created."""
    return write_file(path, lambda hidden: table.to_parquet(hidden, index=False))
