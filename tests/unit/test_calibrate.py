"""Population calibration: a fit that recovers the values a target was made with, the parameters it fits by
default, and the parameter file it writes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.errors import InputError, TargetsError
from ketasim.inference import calibrate as calibrate_module
from ketasim.inference.calibrate import (
    Progress,
    calibrate,
    calibrated_names,
    free_parameters,
    write_parameter_file,
)
from ketasim.parameters import get_parameter_set, parameter_set
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol import load_protocol
from ketasim.simulation.run import simulate
from ketasim.validation import load_targets

RELIEF = "relief_per_glutamate_fraction"  # 0.6 in the default set
CLEARANCE = "ketamine_s_clearance_l_per_h"
TRUTH = {RELIEF: 0.8, CLEARANCE: 120.0}


def protocol(overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """One typical patient (no variability, no rater noise: MADRS is continuous) for 4 h after an infusion."""
    population: dict[str, Any] = {"size": 1, "condition": "trd", "variability": False}
    if overrides:
        population["parameters"] = {"set": "default", "override": overrides}
    return {
        "ketasim": 1,
        "name": "infusion",
        "duration": "4 h",
        "population": population,
        "arms": [
            {
                "name": "k",
                "treatments": [
                    {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
                ],
            }
        ],
        "observe": {"every": "30 min", "outputs": ["plasma_ketamine", "madrs"]},
    }


def target(tid: str, measure: dict[str, Any], expected: float, half_band: float, **extra: str) -> dict[str, Any]:
    return {
        "id": tid,
        "title": f"{tid} made with {TRUTH}",
        "source": "this test",
        "confidence": "high",
        "protocol": protocol(),
        "measure": measure,
        "expected": expected,
        "band": [expected - half_band, expected + half_band],
        **extra,
    }


MADRS_2H = {"arm": "k", "output": "madrs", "statistic": "value", "at": "2 h"}
PEAK = {"arm": "k", "output": "plasma_ketamine", "statistic": "max", "window": ["0 h", "4 h"]}


def synthetic_targets(tmp_path: Path) -> Path:
    """Targets whose expected values are the model's own at `TRUTH`: MADRS at 2 h and the peak plasma ketamine."""
    made = simulate(load_protocol(protocol({RELIEF: TRUTH[RELIEF], CLEARANCE: f"{TRUTH[CLEARANCE]} L/h"})))
    madrs = float(made["madrs"].sel(time=2.0).values[0, 0])
    peak = float(made["plasma_ketamine"].max().values)
    return write_targets(
        tmp_path / "targets.yaml", [target("madrs-2h", MADRS_2H, madrs, 0.02), target("peak", PEAK, peak, 2.0)]
    )


def write_targets(path: Path, targets: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"ketasim-targets": 1, "targets": targets}))
    return path


def test_the_fit_recovers_the_values_the_targets_were_made_with(tmp_path: Path) -> None:
    targets = load_targets(synthetic_targets(tmp_path))
    pset = get_parameter_set("default")
    assert pset[RELIEF] == 0.6 and abs(pset[CLEARANCE] - TRUTH[CLEARANCE]) > 20  # the fit starts away from the truth
    progress: list[Progress] = []
    result = calibrate(
        targets, pset, free_parameters(pset, [RELIEF, CLEARANCE]), max_evaluations=25, on_evaluation=progress.append
    )
    assert result.values[RELIEF] == pytest.approx(TRUTH[RELIEF], abs=0.01)
    assert result.values[CLEARANCE] == pytest.approx(TRUTH[CLEARANCE], rel=0.01)
    assert result.objective_after < 1e-2 < result.objective_before
    assert result.run.passed == 2
    # one batched call per evaluation: the start and each trial point alone, each Jacobian's two points together
    assert [p.evaluation for p in progress] == list(range(1, result.batched_evaluations + 1))
    assert [p.sets for p in progress][:2] == [1, 2] and {p.sets for p in progress} == {1, 2}
    assert result.evaluations == sum(p.sets for p in progress)
    written = write_parameter_file(result, pset, targets, tmp_path / "fitted.yaml", 100)
    provenance = yaml.safe_load(written.read_text())["provenance"]
    assert provenance["batched_evaluations"] == result.batched_evaluations
    assert "least_squares" in provenance["optimiser"] and provenance["wall_seconds"] >= 0
    assert [entry["id"] for entry in provenance["fit"]] == ["madrs-2h", "peak"]
    fitted = parameter_set(str(written))
    assert fitted[RELIEF] == result.values[RELIEF] and fitted.name == "fitted"
    assert fitted.parameter(RELIEF).source == "KETASIM-CALIBRATE"
    assert f"Fitted: {pset[RELIEF]:g} before calibration" in fitted.parameter(RELIEF).note


def test_the_budget_caps_the_batched_evaluations_and_central_differences_step_both_ways(tmp_path: Path) -> None:
    targets = load_targets(synthetic_targets(tmp_path))
    pset = get_parameter_set("default")
    progress: list[Progress] = []
    free = free_parameters(pset, [RELIEF, CLEARANCE])
    result = calibrate(targets, pset, free, max_evaluations=3, differences="central", on_evaluation=progress.append)
    assert [p.sets for p in progress] == [1, 4, 1]  # the start, a Jacobian of 2 x 2 points, a trial point
    assert result.batched_evaluations == 3 and result.evaluations == 6
    assert result.objective_after < result.objective_before
    assert "central differences" in result.optimiser


def marked(names: list[str]) -> ParameterSet:
    """The default set with exactly ``names`` marked calibrated."""
    base = get_parameter_set("default")
    parameters = {name: replace(p, calibrated=name in names) for name, p in base.parameters.items()}
    return replace(base, parameters=parameters)


def test_the_default_free_parameters_are_those_marked_calibrated() -> None:
    pset = marked([CLEARANCE, RELIEF])
    order = list(pset.parameters)
    assert calibrated_names(pset) == sorted([CLEARANCE, RELIEF], key=order.index)
    assert calibrated_names(marked([])) == []
    default = get_parameter_set("default")
    assert calibrated_names(default) == [name for name, p in default.parameters.items() if p.calibrated]


def test_the_command_fits_the_marked_parameters_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted: list[list[str]] = []

    def fit(targets: Any, pset: Any, free: Any, **options: Any) -> None:
        fitted.append([p.name for p in free])
        raise InputError("test", "stopped before fitting", "nothing")

    monkeypatch.setattr(calibrate_module, "calibrate", fit)
    targets = str(write_targets(tmp_path / "targets.yaml", [target("peak", PEAK, 300.0, 30.0)]))
    command = ["calibrate", "--targets", targets, "--out", str(tmp_path / "fitted.yaml")]
    monkeypatch.setattr("ketasim.parameters.get_parameter_set", lambda name: marked([RELIEF, CLEARANCE]))
    CliRunner().invoke(app, command)
    CliRunner().invoke(app, [*command, "--parameter", "glutamate_surge_max_fraction"])
    assert fitted == [calibrated_names(marked([RELIEF, CLEARANCE])), ["glutamate_surge_max_fraction"]]
    monkeypatch.setattr("ketasim.parameters.get_parameter_set", lambda name: marked([]))
    nothing = CliRunner().invoke(app, command)
    assert nothing.exit_code == 2
    assert nothing.stderr.strip() == (
        "error: --parameter: no parameter of the default set is marked calibrated (name one with --parameter NAME)"
    )


def test_validation_targets_are_refused_before_anything_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_run(*args: object, **keys: object) -> None:
        raise AssertionError("a target ran")

    monkeypatch.setattr(calibrate_module, "BatchRunner", no_run)
    held_out = [target("peak", PEAK, 300.0, 30.0)]
    held_out += [dict(held_out[0], id="held-out", role="validation"), dict(held_out[0], id="also", role="validation")]
    targets = load_targets(write_targets(tmp_path / "targets.yaml", held_out))
    pset = get_parameter_set("default")
    with pytest.raises(TargetsError, match="validation target 'held-out' and 1 more may not be fitted") as info:
        calibrate(targets, pset, free_parameters(pset, [RELIEF]), max_evaluations=4)
    assert info.value.key_path == "targets[1].role"
    assert "ketasim validate" in info.value.fix
