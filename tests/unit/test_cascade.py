"""The plasticity cascade: steady state, baselines by condition, each equation against its documented form away from
its midpoint, and the time course of a single dose."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models.cascade import STATES, TIME_CONSTANTS, Cascade, baseline_levels, severity_levels
from ketasim.models.math import ARRAYS
from ketasim.models.model import Composition
from ketasim.vocabulary import CONDITIONS
from model_values import PSET, parameters, patients, registry, state_rates, trajectory

STEP_H = 0.05
CASCADE = Cascade()
ALONE = Composition((CASCADE,), ("nmda_occupancy",))
NAMES = tuple(q.name for q in STATES)


def cascade_parameters(condition: str, severity: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The cascade's parameters: registry values and the baselines of patients of ``condition`` (or ``severity``)."""
    n = 1 if severity is None else len(severity)
    level = severity_levels(PSET, n, condition, severity)
    ones = np.ones(n)
    return {
        **{name: ones * value for name, value in registry(CASCADE.registry_parameters()).items()},
        "severity": level,
        **baseline_levels(PSET, level),
    }


def at_rest(p: dict[str, np.ndarray], occupancy: float = 0.0) -> dict[str, jax.Array]:
    """Parameters, the untreated state and an occupancy."""
    return {**p, **CASCADE.initial(ARRAYS, p), "nmda_occupancy": jnp.full(np.shape(p["severity"]), occupancy)}


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


def integrate(p: dict[str, np.ndarray], peak: float, hours: float) -> dict[str, np.ndarray]:
    """States and outputs of one patient (first column) after an occupancy pulse, by RK4 at `STEP_H`."""
    pulse = occupancy_pulse(peak)
    run = trajectory(ALONE, p, hours, STEP_H, lambda t: {"nmda_occupancy": pulse(t)})
    return {name: values[:, 0] if values.ndim == 2 else values for name, values in run.items()} | {
        "occupancy": np.asarray(pulse(jnp.asarray(run["time"])))
    }


@pytest.fixture(scope="module")
def typical_dose() -> dict[str, np.ndarray]:
    """The typical TRD patient after an occupancy like 0.5 mg/kg IV over 40 min, for three weeks."""
    return integrate(cascade_parameters("trd"), 0.41, 21 * 24)


def value_at(run: dict[str, np.ndarray], name: str, hour: float) -> float:
    return float(np.interp(hour, run["time"], run[name]))


@pytest.mark.parametrize("condition", CONDITIONS)
def test_untreated_state_is_steady(condition: str) -> None:
    p = parameters(patients(3, condition))
    rates = state_rates(ALONE, at_rest(p))
    assert set(rates) == set(NAMES)
    np.testing.assert_allclose(np.asarray(jnp.stack([rates[s] for s in NAMES])), 0.0, atol=1e-12)


def test_steady_with_individual_severity() -> None:
    p = cascade_parameters("mdd", np.array([0.0, 0.3, 1.0]))
    values = at_rest(p)
    rates = state_rates(ALONE, values)
    np.testing.assert_allclose(np.asarray(jnp.stack([rates[s] for s in NAMES])), 0.0, atol=1e-12)
    window = np.asarray(CASCADE.values(ARRAYS, values)["plasticity_window"])
    assert window[0] == pytest.approx(1.0) and window[0] > window[1] > window[2]
    # B0 and S0 fall linearly with severity by their documented deficits
    np.testing.assert_allclose(p["bdnf_baseline"], 1.0 - PSET["bdnf_deficit_at_max_severity_fraction"] * p["severity"])
    np.testing.assert_allclose(
        p["spine_baseline"], 1.0 - PSET["spine_deficit_at_max_severity_fraction"] * p["severity"]
    )


def test_depression_lowers_the_window_and_health_does_not() -> None:
    windows = {}
    for condition in CONDITIONS:
        p = parameters(patients(1, condition))
        outputs = CASCADE.values(ARRAYS, at_rest(p))
        for name in ("glutamate_change", "bdnf_change", "spine_density_change"):
            assert float(outputs[name][0]) == pytest.approx(0.0, abs=1e-9)
        windows[condition] = float(outputs["plasticity_window"][0])
    assert windows["healthy"] == pytest.approx(1.0)
    assert windows["trd"] < windows["mdd"] < windows["gad"] < windows["healthy"]


@pytest.mark.parametrize(("fraction", "load"), [(0.3, 3.0 / 7.0), (0.5, 1.0), (0.8, 4.0)])
def test_disinhibition_drive_is_a_hill_curve_of_occupancy(fraction: float, load: float) -> None:
    """D(O) = g Oⁿ / (Oⁿ + O₅₀ⁿ): 30 % of g at O = O₅₀ (3/7)^(1/n), 80 % at O₅₀ 4^(1/n) (depends on n, not only O₅₀)."""
    p = cascade_parameters("trd")
    occupancy = PSET["glutamate_half_max_occupancy"] * load ** (1.0 / PSET["glutamate_hill_coefficient"])
    drive = float(CASCADE.values(ARRAYS, at_rest(p, occupancy))["glutamate_drive"][0])
    assert drive == pytest.approx(fraction * PSET["glutamate_surge_max_fraction"], rel=1e-12)


@pytest.mark.parametrize(("occupancy", "fraction"), [(0.25 * (3.0 / 7.0) ** 0.5, 0.3), (0.5, 0.8)])
def test_disinhibition_reaches_the_documented_fractions_of_its_maximum(occupancy: float, fraction: float) -> None:
    """docs/model.md: a Hill curve with n = 2 and half-maximum at 25 % occupancy, written out here, not read from
    the registry: 0.25 √(3/7) ≈ 16 % occupancy gives 30 % of the largest drive, 50 % occupancy gives 80 %. A changed
    exponent or half-maximum moves both answers."""
    p = cascade_parameters("trd")
    drive = float(CASCADE.values(ARRAYS, at_rest(p, occupancy))["glutamate_drive"][0])
    assert drive / PSET["glutamate_surge_max_fraction"] == pytest.approx(fraction, rel=1e-12)


@pytest.mark.parametrize("occupancy", [0.3, 0.8])
def test_a_held_occupancy_has_the_documented_steady_state(occupancy: float) -> None:
    """Under a constant occupancy O every state of docs/model.md section 2 sits still at its closed form:
    A = D/(D + K_A), G = D (1 − A), B = B₀ (1 + b tanh(G/g_s)), M = B, P = B₀ (1 + κ H(M/B₀ − 1)), F = P,
    S = S₀ (1 + k (F/B₀ − 1)), with D = g Oⁿ/(Oⁿ + O₅₀ⁿ). The rates there are zero, and the spines are raised."""
    p = cascade_parameters("trd")
    q = {name: float(value[0]) if np.ndim(value) else float(value) for name, value in p.items()}
    b0, s0, n, m = (
        q["bdnf_baseline"],
        q["spine_baseline"],
        q["glutamate_hill_coefficient"],
        q["synaptic_protein_hill_coefficient"],
    )
    drive = q["glutamate_surge_max_fraction"] * occupancy**n / (occupancy**n + q["glutamate_half_max_occupancy"] ** n)
    adaptation = drive / (drive + q["glutamate_adaptation_half_drive_fraction"])
    glutamate = drive * (1.0 - adaptation)
    bdnf = b0 * (1.0 + q["bdnf_release_max_fraction"] * np.tanh(glutamate / q["bdnf_glutamate_scale_fraction"]))
    excess = bdnf / b0 - 1.0
    protein = b0 * (
        1.0 + q["synaptic_protein_gain"] * excess**m / (excess**m + q["synaptic_protein_threshold_fraction"] ** m)
    )
    spines = s0 * (1.0 + q["spine_formation_gain"] * (protein / b0 - 1.0))
    state = {
        "glutamate": glutamate,
        "glutamate_adaptation": adaptation,
        "bdnf": bdnf,
        "mtorc1": bdnf,
        "synaptic_protein": protein,
        "spine_formation": protein,
        "spines": spines,
    }
    assert set(state) == set(NAMES)
    values = {**p, **{k: jnp.array([v]) for k, v in state.items()}, "nmda_occupancy": occupancy}
    rates = state_rates(ALONE, values)
    for name in NAMES:
        assert abs(float(rates[name][0])) <= 1e-12, name
    assert spines > s0 and bdnf > b0
    change = float(CASCADE.values(ARRAYS, values)["spine_density_change"][0])
    assert change == pytest.approx(100.0 * (spines / s0 - 1.0), rel=1e-12)


def test_every_state_relaxes_to_its_documented_target_away_from_baseline() -> None:
    """d(state)/dt = (target − state)/τ with each target as the module documents it, at an arbitrary treated state."""
    p = cascade_parameters("trd")
    q = {name: float(value[0]) if np.ndim(value) else float(value) for name, value in p.items()}
    rng = np.random.default_rng(11)
    state = {
        "glutamate": 0.21,
        "glutamate_adaptation": 0.37,
        **{name: float(rng.uniform(0.9, 1.6)) for name in NAMES[2:]},
    }
    occupancy = 0.43
    b0, s0 = q["bdnf_baseline"], q["spine_baseline"]
    n, m = q["glutamate_hill_coefficient"], q["synaptic_protein_hill_coefficient"]
    drive = q["glutamate_surge_max_fraction"] * occupancy**n / (occupancy**n + q["glutamate_half_max_occupancy"] ** n)
    excess = max(state["mtorc1"] / b0 - 1.0, 0.0)
    synthesis = excess**m / (excess**m + q["synaptic_protein_threshold_fraction"] ** m)
    targets = {
        "glutamate": drive * (1.0 - state["glutamate_adaptation"]),
        "glutamate_adaptation": drive / (drive + q["glutamate_adaptation_half_drive_fraction"]),
        "bdnf": b0
        * (1.0 + q["bdnf_release_max_fraction"] * np.tanh(state["glutamate"] / q["bdnf_glutamate_scale_fraction"])),
        "mtorc1": state["bdnf"],
        "synaptic_protein": b0 * (1.0 + q["synaptic_protein_gain"] * synthesis),
        "spine_formation": state["synaptic_protein"],
        "spines": s0 * (1.0 + q["spine_formation_gain"] * (state["spine_formation"] / b0 - 1.0)),
    }
    rates = state_rates(ALONE, {**p, **{k: jnp.array([v]) for k, v in state.items()}, "nmda_occupancy": occupancy})
    for name, tau in TIME_CONSTANTS.items():
        expected = (targets[name] - state[name]) / q[tau]
        assert float(rates[name][0]) == pytest.approx(expected, rel=1e-12), name
    window = CASCADE.values(ARRAYS, {**p, **{k: jnp.array([v]) for k, v in state.items()}, "nmda_occupancy": 0.0})
    assert float(window["plasticity_window"][0]) == pytest.approx(
        state["spines"] ** q["window_spine_exponent"] * state["spine_formation"] ** q["window_formation_exponent"],
        rel=1e-12,
    )
    assert float(window["spine_density_change"][0]) == pytest.approx(100.0 * (state["spines"] / s0 - 1.0), rel=1e-12)
    assert float(window["bdnf_change"][0]) == pytest.approx(100.0 * (state["bdnf"] / b0 - 1.0), rel=1e-12)


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
    mtorc1 = typical_dose["mtorc1"]
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
    p = cascade_parameters("trd")
    gain = {peak: integrate(p, peak, 48.0)["spine_density_change"].max() for peak in (0.12, 0.41, 0.58)}
    assert gain[0.12] < 0.35 * gain[0.41]
    assert gain[0.41] < gain[0.58] < 1.4 * gain[0.41]


def test_time_constants_describe_the_relaxation_of_each_state() -> None:
    p = cascade_parameters("trd", np.array([0.8, 0.3]))
    decay = CASCADE.decay(ARRAYS, p)
    assert set(decay) == set(NAMES)
    # No state's target depends on the state itself, so a push on one state relaxes back at exactly the decay rate.
    values = at_rest(p)
    for state in NAMES:
        np.testing.assert_allclose(np.asarray(decay[state]), 1.0 / PSET[TIME_CONSTANTS[state]], rtol=1e-12)
        pushed = {**values, state: values[state] + 1e-3}
        rate = np.asarray(state_rates(ALONE, pushed)[state])
        np.testing.assert_allclose(rate, -1e-3 * np.asarray(decay[state]), rtol=1e-3)


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(ParameterError, match="bipolar"):
        parameters(patients(1, "bipolar"))


@pytest.mark.parametrize("severity", [np.array([0.5, 0.5]), np.array([1.5])])
def test_bad_severity_is_refused(severity: np.ndarray) -> None:
    with pytest.raises(ParameterError, match="severity"):
        severity_levels(PSET, 1, "trd", severity)


def test_rates_are_the_same_under_jit() -> None:
    values = at_rest(cascade_parameters("ptsd", np.linspace(0.0, 1.0, 4)), 0.3)
    eager = state_rates(ALONE, values)
    jitted = jax.jit(lambda v: state_rates(ALONE, v))(values)
    for name in NAMES:
        np.testing.assert_allclose(np.asarray(jitted[name]), np.asarray(eager[name]), rtol=1e-12, atol=1e-15)
