"""``pi95``: the mixture over posterior draws of each draw's sampling uncertainty, from per-patient values alone."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.analysis.endpoints import PatientValues
from ketasim.analysis.predictive import DrawValues, predictive_intervals
from ketasim.analysis.statistics import mean_interval, welch_interval
from ketasim.protocol import load_protocol
from uncertainty_cases import infusion_trial

PROTOCOL = load_protocol(
    infusion_trial(
        "synthetic",
        duration="2 d",
        size=200,
        observe={"every": "1 d"},
        endpoints=[
            {"name": "change", "kind": "mean_change", "scale": "madrs", "at": "24 h"},
            {"name": "response", "kind": "response", "scale": "madrs", "at": "24 h"},
        ],
    )
)
ARMS = ("ketamine", "saline")
CHANGE, RESPONSE = PROTOCOL.endpoints


def draw(shift: float, responders: int, patients: int = 200) -> DrawValues:
    """Per-patient values of one draw: the same patients' changes moved by ``shift`` points in the ketamine arm."""
    changes = np.random.default_rng(1).normal(-10.0, 8.0, size=(2, patients))
    changes[0] += shift
    included = np.ones(patients, dtype=bool)
    answered = np.arange(patients) < responders
    return {
        arm: {
            "change": PatientValues(CHANGE, changes[k], included),
            "response": PatientValues(
                RESPONSE, (answered if k == 0 else np.zeros(patients, bool)).astype(float), included
            ),
        }
        for k, arm in enumerate(ARMS)
    }


def width(interval: tuple[float | None, float | None]) -> float:
    low, high = interval
    assert low is not None and high is not None
    return high - low


def test_draws_that_agree_give_about_the_sampling_interval() -> None:
    same = predictive_intervals(PROTOCOL, ARMS, [draw(0.0, 60)] * 16, seed=3)
    sampling = mean_interval(draw(0.0, 60)["ketamine"]["change"].values)
    assert same.estimates["ketamine"]["change"] == pytest.approx(sampling, abs=0.15 * width(sampling))
    values = draw(0.0, 60)
    welch = welch_interval(values["ketamine"]["change"].values, values["saline"]["change"].values)
    assert same.comparisons[("change", "ketamine", "saline")] == pytest.approx(welch, abs=0.15 * width(welch))
    low, high = same.estimates["saline"]["response"]  # no responder: the Jeffreys interval is not degenerate
    assert low == pytest.approx(0.0, abs=1e-3) and high is not None and 0.005 < high < 0.03


def test_draws_that_differ_widen_it_by_their_spread() -> None:
    shifts = np.linspace(-6.0, 6.0, 16)
    spread = predictive_intervals(PROTOCOL, ARMS, [draw(s, 40 + 4 * k) for k, s in enumerate(shifts)], seed=3)
    same = predictive_intervals(PROTOCOL, ARMS, [draw(0.0, 70)] * 16, seed=3)
    for name in ("change", "response"):
        assert width(spread.estimates["ketamine"][name]) > 1.5 * width(same.estimates["ketamine"][name])
    low, high = spread.estimates["ketamine"]["change"]
    estimates = [float(np.mean(draw(s, 0)["ketamine"]["change"].values)) for s in shifts]
    assert low is not None and high is not None and low < estimates[1] < estimates[-2] < high
    assert spread.estimates["saline"]["change"] == same.estimates["saline"]["change"]  # the draws left it alone
    assert spread.draws == 16


def test_the_same_seed_gives_the_same_intervals() -> None:
    draws = [draw(s, 50) for s in (-2.0, 0.0, 2.0)]
    first = predictive_intervals(PROTOCOL, ARMS, draws, seed=9)
    assert predictive_intervals(PROTOCOL, ARMS, draws, seed=9) == first
    assert predictive_intervals(PROTOCOL, ARMS, draws, seed=10) != first
