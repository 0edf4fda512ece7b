"""The nonlinear integrator converges at its stated order (4), and the default steps and precision are accurate enough.

The glutamate adaptation switches on sharply in the first minutes of an infusion, so fourth-order
behaviour shows for steps under about 1 minute; the default takes 15-second steps for the first half hour
after a dose and 5-minute steps for the next five and a half hours.
The order is measured with the derivative in float64: the default float32 derivative puts a floor of
about 1e-8 of each output's size under the error, far below the step error of the default steps.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ketasim.engine.grid import StepPolicy
from ketasim.protocol import load_protocol, read_mapping
from ketasim.simulation.run import simulate
from ketasim.vocabulary import OUTPUTS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROTOCOL = {
    "ketasim": 1,
    "name": "single infusion, convergence",
    "duration": "1 d",
    "population": {"size": 1, "condition": "trd", "variability": False},
    "arms": [
        {
            "name": "k",
            "treatments": [
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
            ],
        }
    ],
    "observe": {"every": "10 min"},
}
CHECKED = (
    "glutamate_change",
    "bdnf_change",
    "spine_density_change",
    "plasticity_window",
    "dmn_connectivity",
    "dissociation",
)


def uniform(step_h: float) -> StepPolicy:
    """The same step everywhere, the derivative in float64."""
    return StepPolicy(step_h, 0.0, step_h, 0.0, step_h, derivative_dtype="float64", onset_window_h=0.0)


def run(policy: StepPolicy) -> dict[str, np.ndarray]:
    ds = simulate(load_protocol(PROTOCOL), policy=policy)
    return {name: ds[name].values[0, 0] for name in CHECKED}


def scaled_error(result: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> float:
    """Largest error of any output, relative to that output's largest magnitude."""
    return max(float(np.abs(result[n] - reference[n]).max() / np.abs(reference[n]).max()) for n in CHECKED)


def test_error_shrinks_at_fourth_order() -> None:
    reference = run(uniform(1 / 1000))
    errors = [scaled_error(run(uniform(h)), reference) for h in (0.01, 0.005, 0.0025)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 3.5), (errors, orders)


@pytest.mark.parametrize("factor", [0.25])
def test_default_step_within_1e_3_of_a_four_times_smaller_step(factor: float) -> None:
    default = run(StepPolicy())
    finer = run(StepPolicy().scaled(factor))
    assert scaled_error(default, finer) < 1e-3


def test_single_precision_derivative_is_within_1e_5_of_double_over_a_kap_course() -> None:
    """Twelve weeks of twice-weekly IM ketamine with integration sessions, typical patient: every output with the
    float32 derivative within 1e-5 of its range of the float64 result (concentrations are computed the same way)."""
    mapping = read_mapping(EXAMPLES / "kap-clinic-course.yaml")
    mapping.update(
        duration="12 w", observe={"every": "3 h"}, population={"size": 1, "condition": "trd", "variability": False}
    )
    protocol = load_protocol(mapping)
    single = simulate(protocol)
    double = simulate(protocol, policy=replace(StepPolicy(), derivative_dtype="float64"))
    errors = {}
    for name in OUTPUTS:
        a, b = single[name].values, double[name].values
        errors[name] = float(np.abs(a - b).max() / (np.ptp(b) or max(np.abs(b).max(), 1.0)))
    assert max(errors.values()) < 1e-5, errors
    assert errors["plasma_ketamine"] == 0.0 and max(errors.values()) > 0.0
