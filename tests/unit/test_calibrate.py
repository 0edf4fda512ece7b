"""Population calibration: the objective, a small real fit, and the parameter file it writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from ketasim.inference.calibrate import DEFAULT_FREE, calibrate, free_parameters, write_parameter_file
from ketasim.parameters import get_parameter_set, parameter_set
from ketasim.protocol import load_protocol
from ketasim.simulation.run import simulate
from ketasim.validation import load_targets

NAME = "ketamine_s_clearance_l_per_h"


def protocol(clearance: float | None = None) -> dict:
    mapping = {
        "ketasim": 1,
        "name": "bolus",
        "duration": "12 h",
        "population": {"size": 1, "condition": "healthy", "variability": False},
        "arms": [{"name": "k", "treatments": [{"drug": "ketamine", "route": "iv", "dose": "20 mg", "at": ["0 h"]}]}],
        "observe": {"every": "30 min", "outputs": ["plasma_ketamine"]},
    }
    if clearance is not None:
        mapping["population"]["parameters"] = {"set": "default", "override": {NAME: f"{clearance} L/h"}}
    return mapping


def test_fit_moves_towards_the_value_that_made_the_target(tmp_path: Path) -> None:
    pset = get_parameter_set("default")
    truth = pset[NAME] * 1.4
    made = simulate(load_protocol(protocol(truth)))["plasma_ketamine"].values[0, 0]
    auc = float(np.trapezoid(made, dx=0.5))
    targets_file = tmp_path / "targets.yaml"
    targets_file.write_text(
        yaml.safe_dump(
            {
                "ketasim-targets": 1,
                "targets": [
                    {
                        "id": "auc",
                        "title": "AUC made with a higher S-ketamine clearance",
                        "source": "this test",
                        "confidence": "high",
                        "protocol": protocol(),
                        "measure": {
                            "arm": "k",
                            "output": "plasma_ketamine",
                            "statistic": "auc",
                            "window": ["0 h", "12 h"],
                        },
                        "expected": auc,
                        "band": [auc * 0.97, auc * 1.03],
                    }
                ],
            }
        )
    )
    targets = load_targets(targets_file)
    result = calibrate(targets, pset, free_parameters(pset, [NAME]), patients=10, budget=12, seed=1)
    assert result.objective_after < result.objective_before
    assert abs(result.values[NAME] - truth) < abs(pset[NAME] - truth)
    written = write_parameter_file(result, pset, targets, tmp_path / "fitted.yaml", 10)
    fitted = parameter_set(str(written))
    assert fitted[NAME] == result.values[NAME] and fitted.name == "fitted"
    assert "calibrated by ketasim calibrate" in fitted.parameter(NAME).note


def test_every_default_free_parameter_is_in_the_default_set() -> None:
    """`ketasim calibrate` without --parameter must find every parameter it fits by default."""
    pset = parameter_set("default")
    assert [p.name for p in free_parameters(pset, DEFAULT_FREE)] == list(DEFAULT_FREE)
