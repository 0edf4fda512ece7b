"""What the tests of ``--uncertainty`` share: the small test ensemble and a small two-arm infusion trial."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ENSEMBLE = Path(__file__).parent / "data" / "posterior-small.yaml"
"""12 draws of four symptom parameters that move the ketamine response (not a fitted posterior)."""


def infusion_trial(
    name: str, *, duration: str, size: int, observe: dict[str, Any], endpoints: list[Any]
) -> dict[str, Any]:
    """A protocol mapping: one 0.5 mg/kg ketamine infusion against saline in treatment-resistant depression."""
    infusion = {"route": "iv", "infusion": "40 min", "at": ["0 h"]}
    return {
        "ketasim": 1,
        "name": name,
        "seed": 8,
        "duration": duration,
        "population": {"size": size, "condition": "trd"},
        "arms": [
            {"name": "ketamine", "treatments": [{"drug": "ketamine", "dose": "0.5 mg/kg", **infusion}]},
            {"name": "saline", "treatments": [{"drug": "placebo", **infusion}]},
        ],
        "observe": observe,
        "endpoints": endpoints,
    }
