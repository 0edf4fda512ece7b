"""Population calibration: the objective, a small real fit, and the parameter file it writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from ketasim.errors import TargetsError
from ketasim.inference import calibrate as calibrate_module
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


def auc_target(auc: float, **extra: str) -> dict:
    """A target on the AUC of plasma ketamine of `protocol`, with band +-3 %."""
    return {
        "id": "auc",
        "title": "AUC made with a higher S-ketamine clearance",
        "source": "this test",
        "confidence": "high",
        "protocol": protocol(),
        "measure": {"arm": "k", "output": "plasma_ketamine", "statistic": "auc", "window": ["0 h", "12 h"]},
        "expected": auc,
        "band": [auc * 0.97, auc * 1.03],
        **extra,
    }


def write_targets(path: Path, targets: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"ketasim-targets": 1, "targets": targets}))
    return path


def test_fit_moves_towards_the_value_that_made_the_target(tmp_path: Path) -> None:
    pset = get_parameter_set("default")
    truth = pset[NAME] * 1.4
    made = simulate(load_protocol(protocol(truth)))["plasma_ketamine"].values[0, 0]
    auc = float(np.trapezoid(made, dx=0.5))
    targets_file = write_targets(tmp_path / "targets.yaml", [auc_target(auc)])
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


def test_validation_targets_are_refused_before_anything_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_run(*args: object, **keys: object) -> None:
        raise AssertionError("a target ran")

    monkeypatch.setattr(calibrate_module, "run_targets", no_run)
    held_out = [auc_target(100.0), dict(auc_target(100.0), id="held-out", role="validation")]
    held_out.append(dict(auc_target(100.0), id="also", role="validation"))
    targets = load_targets(write_targets(tmp_path / "targets.yaml", held_out))
    pset = get_parameter_set("default")
    with pytest.raises(TargetsError, match="validation target 'held-out' and 1 more may not be fitted") as info:
        calibrate(targets, pset, free_parameters(pset, [NAME]), patients=10, budget=4)
    assert info.value.key_path == "targets[1].role"
    assert "ketasim validate" in info.value.fix
