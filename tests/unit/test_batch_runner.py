"""The batched runner: many parameter sets in one simulation per protocol give each set's own run."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ketasim.validation import TargetsFile, parse_targets, run_targets
from ketasim.validation.runner import BatchRunner


def arm(name: str, dose: str) -> dict[str, Any]:
    return {
        "name": name,
        "treatments": [{"drug": "ketamine", "route": "iv", "dose": dose, "infusion": "40 min", "at": ["0 h"]}],
    }


TRIAL: dict[str, Any] = {
    "ketasim": 1,
    "name": "two doses",
    "seed": 5,
    "duration": "1 d",
    "population": {"size": 3, "condition": "trd"},
    "arms": [arm("high", "0.5 mg/kg"), arm("low", "0.25 mg/kg")],
    "observe": {"every": "2 h", "outputs": ["plasma_ketamine", "glutamate_change", "madrs"]},
    "endpoints": [{"name": "change_24h", "kind": "mean_change", "scale": "madrs", "at": "24 h"}],
}
SETS: list[dict[str, float]] = [{}, {"glutamate_surge_max_fraction": 2.0}, {"ketamine_s_clearance_l_per_h": 60.0}]
UNITS = {"glutamate_surge_max_fraction": "", "ketamine_s_clearance_l_per_h": " L/h"}
MEASURES: dict[str, dict[str, Any]] = {
    "glutamate-peak": {"arm": "high", "output": "glutamate_change", "statistic": "max", "window": ["0 h", "4 h"]},
    "cmax": {"arm": "high", "output": "plasma_ketamine", "statistic": "max", "window": ["0 h", "4 h"]},
    "high-vs-low": {"contrast": ["high", "low"], "endpoint": "change_24h"},
}


def targets(values: dict[str, float]) -> TargetsFile:
    """The targets, their protocols' parameter sets overridden with ``values`` (written with their units)."""
    texts = {name: f"{value}{UNITS[name]}" for name, value in values.items()}
    entries = []
    for tid, measure in MEASURES.items():
        changed = copy.deepcopy(TRIAL)
        if values:
            changed["population"]["parameters"] = {"set": "default", "override": texts}
        entries.append(
            {"id": tid, "title": tid, "source": "this test", "confidence": "medium", "protocol": changed}
            | {"measure": measure, "expected": 1.0, "band": [0.0, 2.0]}
        )
    return parse_targets({"ketasim-targets": 1, "targets": entries})


def test_each_set_of_a_batch_equals_its_own_single_run() -> None:
    batched = BatchRunner(targets({})).run(SETS)
    assert len(batched) == len(SETS)
    for values, run in zip(SETS, batched, strict=True):
        alone = run_targets(targets(values))
        assert [r.error for r in run.results] == [r.error for r in alone.results] == [None, None, None]
        assert [r.target.id for r in run.results] == list(MEASURES)
        for got, expected in zip(run.results, alone.results, strict=True):
            assert got.simulated == pytest.approx(expected.simulated, rel=1e-9, abs=1e-9)
            assert (got.arm_values or ()) == pytest.approx(expected.arm_values or (), rel=1e-9, abs=1e-9)
            assert got.passed == expected.passed
    surge, cmax = ([run.results[k].simulated for run in batched] for k in (0, 1))
    assert surge[1] > surge[0]  # a higher ceiling of the glutamate surge (default 1.3)
    assert cmax[2] > cmax[0]  # lower clearance, higher peak
    assert cmax[1] == cmax[0]  # the surge's ceiling leaves the pharmacokinetics alone
