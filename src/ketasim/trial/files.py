"""The files of a trial: ``summary.json`` (strict JSON) and ``patients.parquet`` (one row per patient)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write ``summary.json`` (strict JSON: no NaN) and return its path; folders are created."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return out


def write_patients(table: Any, path: str | Path) -> Path:
    """Write the per-patient table as Parquet and return its path; folders are created."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    return out
