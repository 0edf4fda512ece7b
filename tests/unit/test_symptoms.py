"""Latent symptoms: baseline steady state, each relief and rate as documented, two stable states, relapse, worry,
and the patient parameters."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models.math import ARRAYS
from ketasim.models.model import symptom_part
from ketasim.models.scales import Scales, baseline_name
from ketasim.models.symptoms import INDIVIDUAL_USES, Symptoms, fold_offsets, individual_fields, switch_shape
from ketasim.protocol import baseline_distribution
from ketasim.vocabulary import CONDITIONS, SCALE_RANGES, SCALES
from model_values import COMPOSITION, PSET, parameters, patients, state_rates, trajectory, untreated

SYMPTOMS, DRIVERS = symptom_part(COMPOSITION)
STAGE = Symptoms()
SCALE_INPUTS = ("depression", "worry", "fear_update_labile", "fear_update_consolidated")


def drivers(values: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The drivers of the symptom stages taken from ``values`` (e.g. `untreated`), some replaced; every signal off."""
    chosen = {name: values[name] for name in DRIVERS}
    chosen.update({name: 0.0 for name in SYMPTOMS.signals})
    chosen.update(changes)
    return chosen


def integrate(
    p: dict[str, Any], d: dict[str, Any], hours: float, step: float = 0.05, start: dict[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """The symptom stages by RK4 with constant drivers; the states at the end, each of shape (patients,)."""
    run = trajectory(SYMPTOMS, {**p, **d}, hours, step, start=start)
    return {name: run[name][-1] for name in SYMPTOMS.state_names}


@pytest.mark.parametrize("condition", CONDITIONS)
def test_untreated_patient_stays_at_baseline(condition: str) -> None:
    """Every state of the whole model is at rest in untreated patients of every condition."""
    values = untreated(parameters(patients(3, condition, variability=True, seed=5)))
    rates = state_rates(COMPOSITION, values)
    assert set(rates) == set(COMPOSITION.state_names)
    for name, rate in rates.items():
        np.testing.assert_allclose(np.asarray(rate), 0.0, atol=1e-9, err_msg=name)
    assert np.all(np.asarray(values["depression"]) == 1.0) and np.all(np.asarray(values["worry"]) == 1.0)


def test_expected_scores_start_at_the_drawn_baseline() -> None:
    p = parameters(patients(50, "ptsd", variability=True, seed=2))
    values = untreated(p)
    for scale in SCALES:
        np.testing.assert_allclose(np.asarray(values[scale]), p[baseline_name(scale)], rtol=1e-12)
        low, high = SCALE_RANGES[scale]
        assert np.all((p[baseline_name(scale)] >= low) & (p[baseline_name(scale)] <= high))
    assert float(np.std(p[baseline_name("madrs")])) > 0.0


def test_expected_scores_accept_a_time_axis() -> None:
    p = parameters(patients(3))
    values = untreated(p)
    over_time = {**p, **{name: jnp.broadcast_to(values[name], (5, 3)) for name in SCALE_INPUTS}}
    scores = Scales().values(ARRAYS, over_time)
    assert scores["madrs"].shape == (5, 3)


@pytest.mark.parametrize("gain", [3.0, 5.0, 8.0])
def test_fold_offsets_are_where_branches_vanish(gain: float) -> None:
    escape_fold, hold_fold = fold_offsets(gain)
    assert -1.0 < escape_fold < hold_fold < 0.0
    # on a fine grid of x, count equilibria of x = h + a·σ(β(x − θ)) just inside and outside each fold
    a, theta = 1.0, 0.0
    beta = 4 * gain / a
    x = np.linspace(-3, 3, 200001)

    def equilibria(h: float) -> int:
        f = h + a / (1 + np.exp(-beta * (x - theta))) - x
        return int(np.count_nonzero(np.diff(f > 0)))

    assert equilibria(theta + a * (escape_fold + hold_fold) / 2) == 3
    assert equilibria(theta + a * escape_fold - 0.01) == 1
    assert equilibria(theta + a * hold_fold + 0.01) == 1


def test_relief_and_rates_are_as_documented_with_every_influence_at_work() -> None:
    """dx/dt = (⌊h₀ − R + a σ(β(x − θ))⌋ − x)/τ_x and dw/dt = (⌊1 − R_w⌋ − w)/τ_w with every term of R and R_w as the
    module documents them, at a state where every influence is at work (a dropped or swapped term changes them)."""
    p = parameters(patients(1, "ptsd"))
    q = {name: float(np.asarray(value).ravel()[0]) for name, value in p.items()}
    state = {
        "expectancy_acute": 0.3,
        "expectancy_conditioned": 0.2,
        "glutamate_change": 20.0,
        "rumination": q["rumination_baseline"] - 0.4,
        "plasticity_window": 1.1 * q["window_baseline"],
        "ssri_adaptation": 0.3,
        "ssri_plasticity": 0.2,
        "learned": 0.25,
        "fear_reduction": 0.3,
        "sedation": 0.4,
        "depression": 0.8,
        "worry": 0.9,
    }
    for weight in STAGE.registry_parameters():
        assert q[weight] > 0.0, weight  # every influence counts
    assert q["trauma_load"] > 0.0 and q["ssri_sensitivity"] > 0.0
    raw = (
        q["relief_per_glutamate_fraction"] * state["glutamate_change"] / 100.0
        + q["relief_per_rumination_unit"] * (q["rumination_baseline"] - state["rumination"])
        + q["relief_per_window_fraction"] * (state["plasticity_window"] / q["window_baseline"] - 1.0)
    )
    mechanism = q["ketamine_relief_max"] * np.tanh(q["ketamine_sensitivity"] * raw / q["ketamine_relief_max"])
    expectancy = (
        q["relief_per_acute_expectancy"] * state["expectancy_acute"]
        + q["relief_per_conditioned_expectancy"] * state["expectancy_conditioned"]
    )
    fear_relief = q["trauma_load"] * state["fear_reduction"]
    total = (
        mechanism
        + expectancy
        + q["ssri_sensitivity"]
        * (
            q["relief_per_ssri_adaptation"] * state["ssri_adaptation"]
            + q["relief_per_ssri_plasticity"] * state["ssri_plasticity"]
        )
        + q["relief_per_learned_pattern"] * state["learned"]
        + q["relief_per_fear_reduction"] * fear_relief
    )
    relief = q["total_relief_max"] * np.tanh(total / q["total_relief_max"])
    worry_ceiling = q["worry_rumination_relief_max"]
    worry_relief = (
        worry_ceiling
        * np.tanh(
            q["worry_sensitivity"]
            * q["worry_relief_per_rumination_unit"]
            * (q["rumination_baseline"] - state["rumination"])
            / worry_ceiling
        )
        + q["worry_relief_per_depression_relief"] * (1.0 - state["depression"])
        + q["worry_relief_per_expectancy"] * expectancy
        + q["worry_relief_per_learned_pattern"] * state["learned"]
        + q["worry_relief_per_ssri_adaptation"] * q["ssri_sensitivity"] * state["ssri_adaptation"]
        + q["worry_relief_per_sedation"] * state["sedation"]
        + q["worry_relief_per_fear_reduction"] * fear_relief
    )
    values = {**p, **{name: jnp.array([value]) for name, value in state.items()}}
    values.update(STAGE.values(ARRAYS, values))
    for name, expected in (
        ("mechanism_relief", mechanism),
        ("expectancy_relief", expectancy),
        ("fear_relief", fear_relief),
        ("relief", relief),
        ("worry_relief", worry_relief),
    ):
        assert float(values[name][0]) == pytest.approx(expected, rel=1e-12), name
    softness = q["latent_floor_softness"]

    def floor(x: float) -> float:
        return softness * np.log1p(np.exp(x / softness))

    x = state["depression"]
    feedback = q["jump"] / (1.0 + np.exp(-q["steepness"] * (x - q["threshold"])))
    rates = STAGE.rates(ARRAYS, values)
    expected_depression = (floor(q["baseline_tilt"] - relief + feedback) - x) / q["depression_time_constant_h"]
    expected_worry = (floor(1.0 - worry_relief) - state["worry"]) / q["worry_time_constant_h"]
    assert float(rates["depression"][0]) == pytest.approx(expected_depression, rel=1e-10)
    assert float(rates["worry"][0]) == pytest.approx(expected_worry, rel=1e-10)


def equilibrium_after(p: dict[str, np.ndarray], relief_path: list[float]) -> float:
    """Depression after holding each total relief level (through the rumination driver) for 3 days in turn."""
    rest = untreated(p)
    states: dict[str, Any] | None = None
    for relief in relief_path:
        raw = p["total_relief_max"] * np.arctanh(relief / p["total_relief_max"])  # undo the ceiling of the total
        rumination = p["rumination_baseline"] - raw / (p["relief_per_rumination_unit"] * p["ketamine_sensitivity"])
        states = integrate(p, drivers(rest, rumination=rumination), 72.0, step=0.25, start=states)
    assert states is not None
    return float(states["depression"][0])


def test_two_stable_states_escape_and_hold() -> None:
    overrides = {
        "ketamine_relief_max": 10.0,
        "learning_per_h_everyday": 0.0,
        "fear_update_per_h_everyday": 0.0,
    }
    p = parameters(patients(1), PSET.with_overrides(overrides))
    jump, threshold, tilt = (float(p[name][0]) for name in ("jump", "threshold", "baseline_tilt"))
    escape_fold, hold_fold = fold_offsets(PSET["depression_loop_gain"])
    escape = tilt - threshold - escape_fold * jump  # relief at which the depressed branch vanishes
    hold = tilt - threshold - hold_fold * jump
    assert 0.0 < hold < escape
    # below the escape relief the improvement is graded (x = 1 − relief on the depressed branch) ...
    assert equilibrium_after(p, [0.5 * escape]) == pytest.approx(1.0 - 0.5 * escape, abs=0.02)
    assert equilibrium_after(p, [escape - 0.02]) > threshold
    # ... just above it the patient switches to the well state, a jump further down
    assert equilibrium_after(p, [escape + 0.02]) < threshold - 0.8 * jump
    # hysteresis: relief may fade to just above the hold relief and the patient stays well ...
    assert equilibrium_after(p, [escape + 0.02, hold + 0.02]) < threshold - 0.1 * jump
    # ... but below it the patient relapses
    assert equilibrium_after(p, [escape + 0.02, hold - 0.02]) > threshold + 0.5 * jump


def test_switch_shape_matches_the_requested_escape_relief() -> None:
    escape, hysteresis = np.array([0.3, 0.6]), np.array([0.1, 0.25])
    jump, threshold, steepness, tilt = switch_shape(escape, hysteresis, 5.0)
    escape_fold, hold_fold = fold_offsets(5.0)
    np.testing.assert_allclose(tilt - threshold - escape_fold * jump, escape, atol=0.02)
    np.testing.assert_allclose((hold_fold - escape_fold) * jump, hysteresis)
    np.testing.assert_allclose(steepness * jump / 4, 5.0)
    with pytest.raises(ParameterError):
        switch_shape(escape, hysteresis, 0.8)


def test_switch_shape_traces_under_jit() -> None:
    escape, hysteresis = np.array([0.3, 0.6]), np.array([0.1, 0.25])
    traced = jax.jit(switch_shape, static_argnums=2)(jnp.asarray(escape), jnp.asarray(hysteresis), 5.0)
    for a, b in zip(traced, switch_shape(escape, hysteresis, 5.0), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)


# escape and hysteresis deviates correlated (uncorrelated by default), so the tests see the correlation
CORRELATED = PSET.with_overrides({"depression_escape_hysteresis_correlation": 0.5})


def individual(z: dict[str, float], n: int = 3) -> dict[str, jax.Array]:
    """`individual_fields` (`CORRELATED`) of ``n`` patients with 3 failed treatments, given normals (others 0)."""
    normals = {use: np.full((n, 1), z.get(use, 0.0)) for use in INDIVIDUAL_USES}
    return individual_fields(CORRELATED, "trd", np.full(n, 3.0), np.full(n, 0.6), np.zeros(n), normals)


def escape_relief(fields: dict[str, jax.Array]) -> np.ndarray:
    """The escape relief that `switch_shape` was given, read back from the switch."""
    escape_fold, _ = fold_offsets(PSET["depression_loop_gain"])
    return np.asarray(1.0 - fields["threshold"] - (1.0 + escape_fold) * fields["jump"])


def test_individual_fields_follow_their_normals() -> None:
    typical = individual({})
    assert len(typical) == 8  # the switch (4) and the sensitivities (4), each a parameter of the symptom stage
    assert set(typical) <= {q.name for q in Symptoms().derived_parameters()}
    np.testing.assert_allclose(np.asarray(typical["worry_sensitivity"]), 1.0)
    np.testing.assert_allclose(
        np.asarray(typical["ketamine_sensitivity"]),
        np.exp(-3.0 * PSET["ketamine_sensitivity_log_per_failed_treatment"]),
    )
    # each sensitivity moves with its own normal only, log-normally
    for use, field, sd in (
        ("symptoms_ketamine_sensitivity", "ketamine_sensitivity", "ketamine_sensitivity_log_sd"),
        ("symptoms_ssri_sensitivity", "ssri_sensitivity", "ssri_sensitivity_log_sd"),
        ("symptoms_worry_sensitivity", "worry_sensitivity", "worry_sensitivity_log_sd"),
        ("symptoms_expectancy_ceiling", "expectancy_ceiling", "expectancy_ceiling_log_sd"),
    ):
        moved = individual({use: 1.5})
        np.testing.assert_allclose(np.log(moved[field] / typical[field]), 1.5 * PSET[sd], rtol=1e-12)
        for other in set(typical) - {field}:
            np.testing.assert_array_equal(np.asarray(moved[other]), np.asarray(typical[other]), err_msg=other)
    # the escape normal scales the escape relief and, through the correlation, the hysteresis (the jump)
    rho = CORRELATED["depression_escape_hysteresis_correlation"]
    escaped = individual({"symptoms_escape": 1.0})
    np.testing.assert_allclose(
        escape_relief(escaped) / escape_relief(typical), np.exp(PSET["depression_escape_log_sd"]), rtol=1e-12
    )
    np.testing.assert_allclose(
        escaped["jump"] / typical["jump"], np.exp(rho * PSET["depression_hysteresis_log_sd"]), rtol=1e-12
    )
    # the hysteresis normal widens the hysteresis but leaves the escape relief alone
    wider = individual({"symptoms_hysteresis": 1.0})
    np.testing.assert_allclose(escape_relief(wider), escape_relief(typical), rtol=1e-12)
    np.testing.assert_allclose(
        wider["jump"] / typical["jump"], np.exp(np.sqrt(1 - rho**2) * PSET["depression_hysteresis_log_sd"]), rtol=1e-12
    )


def test_individual_fields_are_differentiable_and_used_by_the_stage() -> None:
    def ketamine(z: jax.Array) -> jax.Array:
        normals = {use: jnp.zeros((1, 1)) for use in INDIVIDUAL_USES}
        normals["symptoms_ketamine_sensitivity"] = z.reshape(1, 1)
        return individual_fields(PSET, "trd", jnp.ones(1), jnp.zeros(1), jnp.zeros(1), normals)["ketamine_sensitivity"][
            0
        ]

    value, slope = jax.jit(jax.value_and_grad(ketamine))(jnp.asarray(0.7))
    assert float(slope) == pytest.approx(PSET["ketamine_sensitivity_log_sd"] * float(value), rel=1e-12)
    batch = patients(6, "ptsd", variability=True, neglect=1.0, seed=5)
    p = parameters(batch)
    fields = individual_fields(
        PSET,
        "ptsd",
        batch.failed_treatments,
        batch.chronic_stress,
        batch.childhood_neglect,
        {use: batch.normals(use) for use in INDIVIDUAL_USES},
    )
    for name, values in fields.items():
        np.testing.assert_allclose(p[name], np.asarray(values), rtol=1e-12, err_msg=name)
    assert float(np.std(p["jump"])) > 0.0
    np.testing.assert_allclose(p["trauma_load"], PSET["ptsd_trauma_load"])


def test_treatment_resistance_raises_the_escape_relief_and_neglect_strengthens_fear() -> None:
    easy = parameters(patients(1, "mdd", failed=0.0))
    hard = parameters(patients(1, "mdd", failed=4.0))
    escape_fold, _ = fold_offsets(PSET["depression_loop_gain"])

    def escape(p: dict[str, np.ndarray]) -> float:
        return float((p["baseline_tilt"] - p["threshold"] - escape_fold * p["jump"])[0])

    assert escape(hard) > escape(easy) * 1.2
    neglected = parameters(patients(1, "ptsd", neglect=1.0))
    assert float(neglected["fear_strength"][0]) == pytest.approx(1.0 + PSET["fear_strength_per_childhood_neglect"])
    assert float(neglected["jump"][0]) < float(parameters(patients(1, "ptsd"))["jump"][0])


def test_variability_spreads_patients_and_no_variability_gives_the_typical_patient() -> None:
    same = parameters(patients(20))
    assert float(np.std(same["ketamine_sensitivity"])) == 0.0
    np.testing.assert_allclose(same[baseline_name("madrs")], PSET["trd_baseline_madrs_mean"])
    spread = parameters(patients(400, variability=True, seed=3))
    assert float(np.std(np.log(spread["ketamine_sensitivity"]))) == pytest.approx(
        PSET["ketamine_sensitivity_log_sd"], rel=0.15
    )
    assert float(np.std(spread[baseline_name("madrs")])) > 3.0


def test_protocol_baseline_overrides_the_preset() -> None:
    given = {"madrs": baseline_distribution("madrs", {"mean": 41, "sd": 2})}
    p = parameters(patients(200, variability=True, baseline=given, seed=4))
    assert float(np.mean(p[baseline_name("madrs")])) == pytest.approx(41, abs=0.6)


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(ParameterError):
        parameters(patients(1, "flu"))


def test_worry_falls_within_an_hour_when_rumination_drops() -> None:
    p = parameters(patients(1, "gad", failed=1.0))
    d = drivers(untreated(p), rumination=p["rumination_baseline"] - 1.0)
    y = integrate(p, d, 1.0, step=0.01)
    ceiling = PSET["worry_rumination_relief_max"]
    target_drop = ceiling * np.tanh(PSET["worry_relief_per_rumination_unit"] / ceiling)
    assert 1.0 - float(y["worry"][0]) > 0.8 * target_drop  # within an hour (time constant 0.5 h)


def test_decay_rates_are_positive_and_shaped() -> None:
    p = parameters(patients(3))
    rates = COMPOSITION.decay(ARRAYS, p)
    assert set(rates) == set(COMPOSITION.state_names)
    for name, rate in rates.items():
        assert np.shape(rate) == (3,) and bool(np.all(np.asarray(rate) > 0)), name
    symptom = STAGE.decay(ARRAYS, p)
    np.testing.assert_allclose(np.asarray(symptom["depression"]), 1.0 / PSET["depression_time_constant_h"])
    np.testing.assert_allclose(np.asarray(symptom["worry"]), 1.0 / PSET["worry_time_constant_h"])


def test_baseline_drivers_are_the_untreated_values_of_each_patient() -> None:
    trd = parameters(patients(2, "trd"))
    assert float(trd["rumination_baseline"][0]) == pytest.approx(1.0, abs=1e-4)
    assert 0.6 < float(trd["window_baseline"][0]) < 0.8
    healthy = parameters(patients(2, "healthy"))
    assert float(healthy["rumination_baseline"][0]) == pytest.approx(0.0, abs=1e-4)
    assert float(healthy["window_baseline"][0]) == pytest.approx(1.0, abs=1e-6)
    for p in (trd, healthy, parameters(patients(4, "ptsd", variability=True, seed=1))):
        values = untreated(p)
        np.testing.assert_allclose(np.asarray(values["rumination"]), p["rumination_baseline"], rtol=1e-12)
        np.testing.assert_allclose(np.asarray(values["plasticity_window"]), p["window_baseline"], rtol=1e-12)
        np.testing.assert_allclose(np.asarray(values["dmn_connectivity_change"]), 0.0, atol=1e-12)
        for name in ("relief", "worry_relief", "mechanism_relief"):
            np.testing.assert_allclose(np.asarray(values[name]), 0.0, atol=1e-12, err_msg=name)


def test_rates_are_the_same_under_jit() -> None:
    values = untreated(parameters(patients(5, variability=True, seed=9)))
    values = {**values, "depression": values["depression"] * 0.7, "rumination": values["rumination"] - 0.3}
    eager = state_rates(SYMPTOMS, values)
    jitted = jax.jit(lambda v: state_rates(SYMPTOMS, v))(values)
    for name in SYMPTOMS.state_names:
        assert np.shape(jitted[name]) == (5,)
        np.testing.assert_allclose(np.asarray(jitted[name]), np.asarray(eager[name]), rtol=1e-12, atol=1e-15)
