"""The plasticity cascade: steady state, baselines by condition, and the time course of a single dose."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models import plasticity
from ketasim.models.plasticity import STATE_NAMES, CascadeParameters, derivative, initial_state, observe
from ketasim.parameters.mechanism import mechanism_set
from ketasim.vocabulary import CONDITIONS

PSET = mechanism_set()
STEP_H = 0.05
MTORC1 = STATE_NAMES.index("mtorc1")


def occupancy_pulse(peak: float) -> Callable[[jax.Array], jax.Array]:
    """Occupancy of a 40-min infusion: one-compartment plasma (t½ 2 h) and an effect site (t½ke0 6 min).

    ``peak`` is the largest occupancy; the load (concentration over Ki) follows the effect-site concentration.
    """
    infusion_h, k, ke0 = 2.0 / 3.0, np.log(2.0) / 2.0, np.log(2.0) / 0.1

    def effect_site(t: jax.Array) -> jax.Array:
        during = 1.0 - (ke0 * jnp.exp(-k * t) - k * jnp.exp(-ke0 * t)) / (ke0 - k)
        s = jnp.maximum(t - infusion_h, 0.0)
        plasma_end = 1.0 - np.exp(-k * infusion_h)
        effect_end = 1.0 - (ke0 * np.exp(-k * infusion_h) - k * np.exp(-ke0 * infusion_h)) / (ke0 - k)
        after = effect_end * jnp.exp(-ke0 * s) + plasma_end * ke0 / (ke0 - k) * (jnp.exp(-k * s) - jnp.exp(-ke0 * s))
        return jnp.where(t < infusion_h, during, after)

    grid = np.linspace(0.0, 3.0, 3001)
    top = float(np.max(np.asarray(effect_site(jnp.asarray(grid)))))
    scale = peak / (1.0 - peak) / top

    def occupancy(t: jax.Array) -> jax.Array:
        load = scale * effect_site(t)
        return load / (1.0 + load)

    return occupancy


def integrate(p: CascadeParameters, occupancy: Callable[[jax.Array], jax.Array], hours: float) -> dict[str, np.ndarray]:
    """Classical RK4 with a fixed step; returns times, states (t, m) and the observed outputs (t,)."""
    steps = int(round(hours / STEP_H))
    y0 = initial_state(p, 1)

    def step(y: jax.Array, t: jax.Array) -> tuple[jax.Array, jax.Array]:
        h = STEP_H
        k1 = derivative(y, occupancy(t)[None], p)
        k2 = derivative(y + h / 2 * k1, occupancy(t + h / 2)[None], p)
        k3 = derivative(y + h / 2 * k2, occupancy(t + h / 2)[None], p)
        k4 = derivative(y + h * k3, occupancy(t + h)[None], p)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return y, y[0]

    times = jnp.arange(steps) * STEP_H
    _, states = jax.jit(lambda y: jax.lax.scan(step, y, times))(y0)
    states = jnp.concatenate([y0, states], axis=0)[None]  # (1, t, m)
    all_times = np.arange(steps + 1) * STEP_H
    outputs = {k: np.asarray(v[0]) for k, v in observe(states, occupancy(jnp.asarray(all_times)), p).items()}
    return {
        "time": all_times,
        "states": np.asarray(states[0]),
        "occupancy": np.asarray(occupancy(all_times)),
        **outputs,
    }


@pytest.fixture(scope="module")
def typical_dose() -> dict[str, np.ndarray]:
    """The typical TRD patient after an occupancy like 0.5 mg/kg IV over 40 min, for three weeks."""
    return integrate(CascadeParameters.from_parameter_set(PSET, 1, "trd"), occupancy_pulse(0.41), 21 * 24)


def value_at(run: dict[str, np.ndarray], name: str, hour: float) -> float:
    return float(np.interp(hour, run["time"], run[name]))


@pytest.mark.parametrize("condition", CONDITIONS)
def test_untreated_state_is_steady(condition: str) -> None:
    p = CascadeParameters.from_parameter_set(PSET, 3, condition)
    y = initial_state(p, 3)
    assert y.shape == (3, len(STATE_NAMES))
    np.testing.assert_allclose(np.asarray(derivative(y, jnp.zeros(3), p)), 0.0, atol=1e-12)


def test_steady_with_individual_severity() -> None:
    severity = jnp.array([0.0, 0.3, 1.0])
    p = CascadeParameters.from_parameter_set(PSET, 3, "mdd", severity)
    y = initial_state(p, 3)
    np.testing.assert_allclose(np.asarray(derivative(y, jnp.zeros(3), p)), 0.0, atol=1e-12)
    window = np.asarray(observe(y, jnp.zeros(3), p)["plasticity_window"])
    assert window[0] == pytest.approx(1.0) and window[0] > window[1] > window[2]


def test_depression_lowers_the_window_and_health_does_not() -> None:
    windows = {}
    for condition in CONDITIONS:
        p = CascadeParameters.from_parameter_set(PSET, 1, condition)
        outputs = observe(initial_state(p, 1), jnp.zeros(1), p)
        for name in ("glutamate_change", "bdnf_change", "spine_density_change"):
            assert float(outputs[name][0]) == pytest.approx(0.0, abs=1e-9)
        windows[condition] = float(outputs["plasticity_window"][0])
    assert windows["healthy"] == pytest.approx(1.0)
    assert windows["trd"] < windows["mdd"] < windows["gad"] < windows["healthy"]


def test_glutamate_surges_early_and_is_gone_by_three_hours(typical_dose: dict[str, np.ndarray]) -> None:
    first = typical_dose["time"] <= 3.0
    surge = typical_dose["glutamate_change"][first]
    peak_time = typical_dose["time"][first][np.argmax(surge)]
    occupancy_peak_time = typical_dose["time"][np.argmax(typical_dose["occupancy"])]
    assert 20.0 <= surge.max() <= 50.0
    assert peak_time < occupancy_peak_time  # adaptation ends the surge while receptors are still blocked
    assert abs(value_at(typical_dose, "glutamate_change", 3.2)) < 5.0
    assert typical_dose["glutamate_change"].min() > -1.0  # no rebound below baseline


def test_mtorc1_is_activated_within_minutes_and_settles_within_hours(typical_dose: dict[str, np.ndarray]) -> None:
    mtorc1 = typical_dose["states"][:, MTORC1]
    rise = mtorc1 / mtorc1[0] - 1.0
    assert typical_dose["time"][np.argmax(rise)] < 1.5
    assert value_at({"time": typical_dose["time"], "rise": rise}, "rise", 3.0) < 0.2 * rise.max()


def test_spines_rise_after_12_hours_not_at_6(typical_dose: dict[str, np.ndarray]) -> None:
    at_6 = value_at(typical_dose, "spine_density_change", 6.0)
    at_24 = value_at(typical_dose, "spine_density_change", 24.0)
    assert -1.0 <= at_6 <= 3.0
    assert 5.0 <= at_24 <= 40.0
    assert at_6 < 0.25 * at_24


def test_single_dose_spine_gain_is_mostly_gone_by_day_10(typical_dose: dict[str, np.ndarray]) -> None:
    spines = typical_dose["spine_density_change"]
    assert value_at(typical_dose, "spine_density_change", 240.0) < 0.25 * spines.max()
    assert abs(spines[-1]) < 0.05 * spines.max()


def test_window_opens_for_days(typical_dose: dict[str, np.ndarray]) -> None:
    baseline = typical_dose["plasticity_window"][0]
    assert baseline < 1.0
    for hour in (24.0, 48.0, 72.0, 120.0):
        assert value_at(typical_dose, "plasticity_window", hour) > baseline + 0.02
    peak_time = typical_dose["time"][np.argmax(typical_dose["plasticity_window"])]
    assert 6.0 < peak_time < 72.0
    assert typical_dose["plasticity_window"][-1] == pytest.approx(baseline, abs=0.01)


def test_dose_response_is_weak_at_low_occupancy_and_plateaus() -> None:
    p = CascadeParameters.from_parameter_set(PSET, 1, "trd")
    gain = {
        peak: integrate(p, occupancy_pulse(peak), 48.0)["spine_density_change"].max() for peak in (0.12, 0.41, 0.58)
    }
    assert gain[0.12] < 0.35 * gain[0.41]
    assert gain[0.41] < gain[0.58] < 1.4 * gain[0.41]


def test_time_constants_describe_the_relaxation_of_each_state() -> None:
    p = CascadeParameters.from_parameter_set(PSET, 2, "trd")
    taus = np.asarray(plasticity.time_constants_h(p, 2))
    assert taus.shape == (2, len(STATE_NAMES)) and np.all(taus > 0)
    # No state's target depends on the state itself, so a push on one state relaxes back at exactly 1/τ.
    y = initial_state(p, 2)
    for state in range(len(STATE_NAMES)):
        pushed = y.at[:, state].add(1e-3)
        rate = np.asarray(derivative(pushed, jnp.zeros(2), p))[:, state]
        np.testing.assert_allclose(rate, -1e-3 / taus[:, state], rtol=1e-3)


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(ParameterError, match="bipolar"):
        CascadeParameters.from_parameter_set(PSET, 1, "bipolar")


@pytest.mark.parametrize("severity", [jnp.array([0.5, 0.5]), jnp.array([1.5])])
def test_bad_severity_is_refused(severity: jax.Array) -> None:
    with pytest.raises(ParameterError, match="severity"):
        CascadeParameters.from_parameter_set(PSET, 1, "trd", severity)


def test_parameters_pass_through_jit_and_take() -> None:
    p = CascadeParameters.from_parameter_set(PSET, 4, "ptsd", jnp.linspace(0.0, 1.0, 4))
    y = initial_state(p, 4)
    jitted = jax.jit(plasticity.derivative)(y, jnp.full(4, 0.3), p)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(derivative(y, jnp.full(4, 0.3), p)), rtol=1e-6)
    sub = p.take(jnp.array([0, 3]))
    assert np.asarray(sub.spine_baseline).tolist() == pytest.approx(np.asarray(p.spine_baseline)[[0, 3]].tolist())
