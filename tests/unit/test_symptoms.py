"""Latent symptoms: baseline steady state, two stable states, relapse, worry, observation and patient parameters."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models import symptoms
from ketasim.models.symptoms import (
    INDIVIDUAL_USES,
    SIGNAL_NAMES,
    STATE_NAMES,
    Drivers,
    SymptomParameters,
    decay_rates,
    derivative,
    expected_scores,
    fold_offsets,
    individual_fields,
    initial_state,
    switch_shape,
    typical_baseline_drivers,
)
from ketasim.parameters import get_parameter_set
from ketasim.parameters.registry import merge
from ketasim.parameters.symptom_params import symptoms_set
from ketasim.population import Patients
from ketasim.protocol import baseline_distribution
from ketasim.vocabulary import CONDITIONS, SCALES

PSET = merge("test", "default and symptoms", get_parameter_set("default"), symptoms_set())
X = STATE_NAMES.index("depression")
W = STATE_NAMES.index("worry")


def patients(
    n: int = 4,
    condition: str = "trd",
    variability: bool = False,
    failed: float = 3.0,
    neglect: float = 0.0,
    stress: float = 0.6,
    baseline: dict | None = None,
    seed: int = 0,
) -> Patients:
    """A batch of identical-covariate patients."""
    ones = np.ones(n)
    return Patients(
        condition=condition,
        weight_kg=80 * ones,
        age_years=40 * ones,
        female=0 * ones,
        cyp2b6_slow=0 * ones,
        childhood_neglect=neglect * ones,
        failed_treatments=failed * ones,
        chronic_stress=stress * ones,
        seed=seed,
        variability=variability,
        baseline=baseline or {},
    )


def drivers(p: SymptomParameters, n: int, **changes: object) -> Drivers:
    """Untreated drivers of ``n`` patients, with some replaced."""
    zeros = jnp.zeros(n)
    values = {
        "nmda_occupancy": zeros,
        "glutamate_change": zeros,
        "spine_density_change": zeros,
        "plasticity_window": jnp.broadcast_to(p.window_baseline, (n,)),
        "rumination": jnp.broadcast_to(p.rumination_baseline, (n,)),
        "dissociation": zeros,
        "plasma_midazolam_ng_per_ml": zeros,
        "plasma_escitalopram_ng_per_ml": zeros,
        "signals": jnp.zeros(len(SIGNAL_NAMES)),
    }
    values.update(changes)  # type: ignore[arg-type]
    return Drivers(**values)  # type: ignore[arg-type]


def integrate(p: SymptomParameters, y: jax.Array, d: Drivers, hours: float, step: float = 0.05) -> jax.Array:
    """Classical RK4 with constant drivers."""

    def one(state: jax.Array, _: None) -> tuple[jax.Array, None]:
        k1 = derivative(state, d, p)
        k2 = derivative(state + step / 2 * k1, d, p)
        k3 = derivative(state + step / 2 * k2, d, p)
        k4 = derivative(state + step * k3, d, p)
        return state + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

    y, _ = jax.lax.scan(one, y, None, length=int(round(hours / step)))
    return y


@pytest.mark.parametrize("condition", CONDITIONS)
def test_untreated_patient_stays_at_baseline(condition: str) -> None:
    p = SymptomParameters.from_parameter_set(PSET, patients(3, condition, variability=True, seed=5))
    y0 = initial_state(p, 3)
    rates = derivative(y0, drivers(p, 3), p)
    assert y0.shape == (3, len(STATE_NAMES))
    np.testing.assert_allclose(np.asarray(rates), 0.0, atol=1e-9)


def test_expected_scores_start_at_the_drawn_baseline_and_stay_in_range() -> None:
    p = SymptomParameters.from_parameter_set(PSET, patients(50, "ptsd", variability=True, seed=2))
    y0 = initial_state(p, 50)
    scores = expected_scores(y0, drivers(p, 50), p)
    for i, scale in enumerate(SCALES):
        np.testing.assert_allclose(np.asarray(scores[scale]), np.asarray(p.baseline_scores[:, i]))
    worse = y0.at[:, X].set(3.0).at[:, W].set(3.0)
    for i, (scale, values) in enumerate(expected_scores(worse, drivers(p, 50), p).items()):
        assert float(jnp.max(values)) <= float(p.scale_max[i])
        assert float(jnp.min(values)) >= 0.0, scale


def test_expected_scores_accept_a_time_axis() -> None:
    p = SymptomParameters.from_parameter_set(PSET, patients(3))
    y = jnp.repeat(initial_state(p, 3)[:, None, :], 5, axis=1)
    scores = expected_scores(y, drivers(p, 3), p)
    assert scores["madrs"].shape == (3, 5)


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


def equilibrium_after(p: SymptomParameters, relief_path: list[float]) -> float:
    """Depression after holding each total relief level (through the rumination driver) for 3 days in turn."""
    y = initial_state(p, 1)
    for relief in relief_path:
        raw = p.total_relief_max * np.arctanh(relief / p.total_relief_max)  # undo the ceiling of the total relief
        rumination = p.rumination_baseline - raw / (p.relief_rumination * p.ketamine_sensitivity)
        y = integrate(p, y, drivers(p, 1, rumination=rumination), 72.0, step=0.25)
    return float(y[0, X])


def test_two_stable_states_escape_and_hold() -> None:
    overrides = {
        "ketamine_relief_max": 10.0,
        "learning_per_h_everyday": 0.0,
        "fear_update_per_h_everyday": 0.0,
    }
    p = SymptomParameters.from_parameter_set(PSET.with_overrides(overrides), patients(1))
    jump, threshold, tilt = (float(np.asarray(v)[0]) for v in (p.jump, p.threshold, p.baseline_tilt))
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
    assert len(typical) == 8  # the switch (4) and the sensitivities (4), each a field of SymptomParameters
    assert set(typical) <= {f.name for f in dataclasses.fields(SymptomParameters)}
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


def test_individual_fields_are_differentiable_and_used_by_from_parameter_set() -> None:
    def ketamine(z: jax.Array) -> jax.Array:
        normals = {use: jnp.zeros((1, 1)) for use in INDIVIDUAL_USES}
        normals["symptoms_ketamine_sensitivity"] = z.reshape(1, 1)
        return individual_fields(PSET, "trd", jnp.ones(1), jnp.zeros(1), jnp.zeros(1), normals)["ketamine_sensitivity"][
            0
        ]

    value, slope = jax.jit(jax.value_and_grad(ketamine))(jnp.asarray(0.7))
    assert float(slope) == pytest.approx(PSET["ketamine_sensitivity_log_sd"] * float(value), rel=1e-12)
    batch = patients(6, "ptsd", variability=True, neglect=1.0, seed=5)
    p = SymptomParameters.from_parameter_set(PSET, batch)
    fields = individual_fields(
        PSET,
        "ptsd",
        batch.failed_treatments,
        batch.chronic_stress,
        batch.childhood_neglect,
        {use: batch.normals(use) for use in INDIVIDUAL_USES},
    )
    for name, values in fields.items():
        np.testing.assert_allclose(np.asarray(getattr(p, name)), np.asarray(values), rtol=1e-12, err_msg=name)
    assert float(jnp.std(p.jump)) > 0.0


def test_treatment_resistance_raises_the_escape_relief_and_neglect_strengthens_fear() -> None:
    easy = SymptomParameters.from_parameter_set(PSET, patients(1, "mdd", failed=0.0))
    hard = SymptomParameters.from_parameter_set(PSET, patients(1, "mdd", failed=4.0))
    escape_fold, _ = fold_offsets(PSET["depression_loop_gain"])

    def escape(p: SymptomParameters) -> float:
        return float((p.baseline_tilt - p.threshold - escape_fold * p.jump)[0])

    assert escape(hard) > escape(easy) * 1.2
    neglected = SymptomParameters.from_parameter_set(PSET, patients(1, "ptsd", neglect=1.0))
    assert float(neglected.fear_strength[0]) > 1.0
    assert float(neglected.jump[0]) < float(SymptomParameters.from_parameter_set(PSET, patients(1, "ptsd")).jump[0])


def test_variability_spreads_patients_and_no_variability_gives_the_typical_patient() -> None:
    same = SymptomParameters.from_parameter_set(PSET, patients(20))
    assert float(jnp.std(same.ketamine_sensitivity)) == 0.0
    np.testing.assert_allclose(np.asarray(same.baseline_scores[:, 0]), PSET["trd_baseline_madrs_mean"])
    spread = SymptomParameters.from_parameter_set(PSET, patients(400, variability=True, seed=3))
    assert float(jnp.std(jnp.log(spread.ketamine_sensitivity))) == pytest.approx(
        PSET["ketamine_sensitivity_log_sd"], rel=0.15
    )
    assert float(jnp.std(spread.baseline_scores[:, 0])) > 3.0


def test_protocol_baseline_overrides_the_preset() -> None:
    given = {"madrs": baseline_distribution("madrs", {"mean": 41, "sd": 2})}
    p = SymptomParameters.from_parameter_set(PSET, patients(200, variability=True, baseline=given, seed=4))
    assert float(jnp.mean(p.baseline_scores[:, SCALES.index("madrs")])) == pytest.approx(41, abs=0.6)


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(ParameterError):
        SymptomParameters.from_parameter_set(PSET, patients(1, "flu"))


def test_worry_falls_within_an_hour_when_rumination_drops() -> None:
    p = SymptomParameters.from_parameter_set(PSET, patients(1, "gad", failed=1.0))
    d = drivers(p, 1, rumination=p.rumination_baseline - 1.0)
    y = integrate(p, initial_state(p, 1), d, 1.0, step=0.01)
    ceiling = PSET["worry_rumination_relief_max"]
    target_drop = ceiling * np.tanh(PSET["worry_relief_per_rumination_unit"] / ceiling)
    assert 1.0 - float(y[0, W]) > 0.8 * target_drop  # within an hour (time constant 0.5 h)


def test_decay_rates_are_positive_and_shaped() -> None:
    p = SymptomParameters.from_parameter_set(PSET, patients(3))
    rates = decay_rates(p, 3)
    assert rates.shape == (3, len(STATE_NAMES))
    assert bool(jnp.all(rates > 0))


def test_baseline_drivers_and_their_replacement() -> None:
    rumination, window = typical_baseline_drivers(PSET, "trd")
    assert rumination == pytest.approx(1.0, abs=1e-6)
    assert 0.6 < window < 0.8
    healthy = typical_baseline_drivers(PSET, "healthy")
    assert healthy == pytest.approx((0.0, 1.0), abs=1e-6)
    p = SymptomParameters.from_parameter_set(PSET, patients(2))
    q = p.with_baseline_drivers(drivers(p, 2, rumination=jnp.array([0.5, 0.7]), plasticity_window=jnp.ones(2)))
    np.testing.assert_allclose(np.asarray(q.rumination_baseline), [0.5, 0.7])
    np.testing.assert_allclose(np.asarray(q.window_baseline), [1.0, 1.0])


def test_take_and_jit() -> None:
    p = SymptomParameters.from_parameter_set(PSET, patients(5, variability=True, seed=9))
    sub = p.take(jnp.array([1, 3]))
    assert sub.baseline_scores.shape == (2, len(SCALES))
    np.testing.assert_allclose(np.asarray(sub.jump), np.asarray(p.jump)[[1, 3]])
    rate = jax.jit(symptoms.derivative)(initial_state(p, 5), drivers(p, 5), p)
    assert rate.shape == (5, len(STATE_NAMES))
