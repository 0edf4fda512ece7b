"""Psychotherapy: sessions gated by the plasticity window and dissociation; labile and consolidated traces."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.models.math import ARRAYS
from ketasim.models.model import SIGNALS, symptom_part
from ketasim.models.therapy import SESSION_SIGNALS, Therapy, trace_rates
from ketasim.vocabulary import THERAPIES
from model_values import COMPOSITION, PSET, parameters, patients, registry, trajectory, untreated

STAGE = Therapy()
SYMPTOMS, DRIVERS = symptom_part(COMPOSITION)


def therapy_values(**given: Any) -> dict[str, Any]:
    """The therapy stage's inputs: window 1, no dissociation, no session, traces at 0; ``given`` replaces some."""
    values: dict[str, Any] = {
        **registry(STAGE.registry_parameters()),
        "fear_strength": 1.0,
        "plasticity_window": 1.0,
        "ssri_plasticity": 0.0,
        "dissociation": 0.0,
        "depression": 1.0,
        **{state.name: 0.0 for state in STAGE.states()},
        **{signal: 0.0 for signal in SESSION_SIGNALS},
    }
    values.update({name: jnp.asarray(value, dtype=float) for name, value in given.items()})
    return values


def quantities(**given: Any) -> dict[str, np.ndarray]:
    return {name: np.asarray(value) for name, value in STAGE.values(ARRAYS, therapy_values(**given)).items()}


def test_session_signals_are_the_therapies_in_registry_order() -> None:
    assert [s.removeprefix("session_") for s in SESSION_SIGNALS] == list(THERAPIES)
    assert SIGNALS[: len(SESSION_SIGNALS)] == SESSION_SIGNALS
    assert COMPOSITION.signals == SIGNALS


@pytest.mark.parametrize(("ratio", "gate"), [(0.0, 1.0), (np.sqrt(3.0 / 7.0), 0.7), (1.0, 0.5), (2.0, 0.2)])
def test_dissociation_gate_is_a_hill_curve_that_blocks_heavy_dissociation(ratio: float, gate: float) -> None:
    """Engagement at window 1 is the gate 1/(1 + (CADSS/D₅₀)^h): 70 % at (CADSS/D₅₀)^h = 3/7, half at D₅₀, 20 % at
    (CADSS/D₅₀)^h = 4 (h = 2)."""
    assert PSET["dissociation_gate_hill"] == 2.0
    cadss = ratio * PSET["dissociation_gate_half_cadss"]
    assert float(quantities(dissociation=cadss)["engagement"]) == pytest.approx(gate, rel=1e-12)


def test_engagement_rises_with_the_window() -> None:
    windows = np.array([0.72, 0.9, 1.17])
    values = quantities(plasticity_window=windows)["engagement"]
    np.testing.assert_allclose(values, windows ** PSET["learning_window_exponent"], rtol=1e-12)
    # the serotonergic drug's slow gain widens the effective window
    wider = quantities(plasticity_window=0.9, ssri_plasticity=0.5)
    assert float(wider["effective_window"]) == pytest.approx(0.9 + 0.5 * PSET["ssri_window_gain"], rel=1e-12)


def test_session_rate_sums_the_sessions_in_progress() -> None:
    on = {SESSION_SIGNALS[0]: 1.0, SESSION_SIGNALS[3]: 1.0}
    values = quantities(**on)
    assert float(values["in_session"]) == 2.0
    expected = sum(PSET[f"learning_per_h_{THERAPIES[i]}"] for i in (0, 3))
    assert float(values["learning_rate"]) == pytest.approx(expected, rel=1e-12)
    fear = sum(PSET[f"fear_update_per_h_{THERAPIES[i]}"] for i in (0, 3))
    assert float(values["fear_update_rate"]) == pytest.approx(fear, rel=1e-12)
    assert float(quantities()["learning_rate"]) == 0.0  # no session and not feeling better: no learning


def test_a_stronger_fear_memory_updates_more_slowly() -> None:
    weak = quantities(session_emdr=1.0)["fear_update_rate"]
    strong = quantities(session_emdr=1.0, fear_strength=1.5)["fear_update_rate"]
    assert float(strong) == pytest.approx(float(weak) / 1.5, rel=1e-12)


def durable_fraction(window: float) -> float:
    """Consolidated trace left 30 days after one hour of learning at a constant window (consolidation 0.02/h at a
    window of 1)."""
    c = jnp.asarray(quantities(plasticity_window=window, consolidation_rate_per_h=0.02)["consolidation_rate"])

    def step(state: jax.Array, t: jax.Array) -> tuple[jax.Array, None]:
        acquisition = jnp.where(t < 1.0, 0.2, 0.0)
        d_l, d_c = trace_rates(ARRAYS, state[0], state[1], acquisition, c, 72.0, 24.0 * 180)
        return state + 0.1 * jnp.stack([d_l, d_c]), None

    state, _ = jax.lax.scan(step, jnp.zeros(2), jnp.arange(0.0, 720.0, 0.1))
    return float(state[1])


def test_a_wider_window_makes_learning_more_durable() -> None:
    low, high = durable_fraction(0.72), durable_fraction(1.15)
    assert high > 1.5 * low
    assert 0.0 < low < high < 0.2
    rates = [float(quantities(plasticity_window=w)["consolidation_rate"]) for w in (0.72, 1.15)]
    assert rates[1] / rates[0] == pytest.approx((1.15 / 0.72) ** PSET["consolidation_window_exponent"], rel=1e-12)


def test_traces_stay_within_zero_and_one() -> None:
    d_l, d_c = trace_rates(ARRAYS, jnp.asarray(0.6), jnp.asarray(0.4), jnp.asarray(5.0), jnp.asarray(0.0), 72.0, 1e4)
    assert float(d_l) <= 0.0 and float(d_c) <= 0.0


def after_session(therapy_name: str, window: float, cadss: float, hours: float = 1.5) -> dict[str, float]:
    """The symptom stages' states after one session with constant drivers (window and dissociation), by RK4."""
    p = parameters(patients(1, "ptsd", failed=1.0, stress=0.7))
    rest = untreated(p)
    drivers = {name: rest[name] for name in DRIVERS}
    drivers.update({name: 0.0 for name in SYMPTOMS.signals})
    drivers.update(
        {f"session_{therapy_name}": 1.0, "plasticity_window": jnp.full(1, window), "dissociation": jnp.full(1, cadss)}
    )
    run = trajectory(SYMPTOMS, {**p, **drivers}, hours, 0.05)
    return {name: float(run[name][-1, 0]) for name in SYMPTOMS.state_names}


def fear(y: dict[str, float]) -> float:
    return y["fear_update_labile"] + y["fear_update_consolidated"]


def test_emdr_weakens_fear_more_inside_the_window_and_not_under_heavy_dissociation() -> None:
    baseline = after_session("emdr", 0.78, 0.0)
    window = after_session("emdr", 1.1, 0.0)
    dissociated = after_session("emdr", 1.1, 40.0)
    assert fear(baseline) > 0.1
    assert fear(window) == pytest.approx(fear(baseline) * 1.1 / 0.78, rel=0.05)
    assert fear(dissociated) < 0.2 * fear(window)


@pytest.mark.parametrize("therapy_name", ["integration", "cbt"])
def test_integration_and_cbt_build_learned_patterns(therapy_name: str) -> None:
    y = after_session(therapy_name, 1.0, 0.0, hours=1.0)
    emdr = after_session("emdr", 1.0, 0.0, hours=1.0)
    assert y["learned_labile"] > 0.05
    assert y["learned_labile"] > 2 * emdr["learned_labile"]
    assert y["fear_update_labile"] < emdr["fear_update_labile"]


def test_supportive_therapy_builds_little() -> None:
    y = after_session("supportive", 1.0, 0.0, hours=1.0)
    assert y["learned_labile"] < 0.03 and y["fear_update_labile"] < 1e-3  # only everyday learning, as mood lifts
