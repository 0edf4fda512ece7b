"""Psychotherapy: sessions gated by the plasticity window and dissociation; labile and consolidated traces."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.models import therapy
from ketasim.models.symptoms import SIGNAL_NAMES, STATE_NAMES, Drivers, SymptomParameters, derivative, initial_state
from ketasim.models.therapy import (
    THERAPY_SIGNALS,
    consolidation_rate,
    dissociation_gate,
    engagement,
    session_rate,
    trace_rates,
)
from ketasim.parameters import get_parameter_set
from ketasim.parameters.registry import merge
from ketasim.parameters.symptom_params import symptoms_set
from ketasim.population import Patients
from ketasim.vocabulary import THERAPIES

PSET = merge("test", "default and symptoms", get_parameter_set("default"), symptoms_set())
FEAR = (STATE_NAMES.index("fear_update_labile"), STATE_NAMES.index("fear_update_consolidated"))
LEARNED = (STATE_NAMES.index("learned_labile"), STATE_NAMES.index("learned_consolidated"))


def test_signal_names_start_with_the_therapies_in_registry_order() -> None:
    assert SIGNAL_NAMES[: len(THERAPY_SIGNALS)] == THERAPY_SIGNALS
    assert [s.removeprefix("session_") for s in THERAPY_SIGNALS] == list(THERAPIES)


def test_dissociation_gate_halves_at_its_half_point_and_blocks_heavy_dissociation() -> None:
    cadss = jnp.array([0.0, 5.0, 15.0, 40.0])
    gate = dissociation_gate(cadss, 15.0, 2.0)
    assert float(gate[0]) == 1.0
    assert float(gate[2]) == pytest.approx(0.5)
    assert bool(jnp.all(jnp.diff(gate) < 0))
    assert float(gate[3]) < 0.15


def test_engagement_rises_with_the_window() -> None:
    windows = jnp.array([0.72, 0.9, 1.17])
    values = engagement(windows, jnp.zeros(3), 1.0, 15.0, 2.0)
    np.testing.assert_allclose(np.asarray(values), np.asarray(windows))


def test_session_rate_sums_the_sessions_in_progress() -> None:
    rates = jnp.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert float(session_rate(jnp.array([1.0, 0, 0, 1.0, 0]), rates)) == pytest.approx(0.5)
    assert float(session_rate(jnp.zeros(5), rates)) == 0.0


def durable_fraction(window: float) -> float:
    """Consolidated trace left 30 days after one hour of learning at a constant window."""
    c = consolidation_rate(jnp.asarray(window), 0.02, 3.0)

    def step(state: jax.Array, t: jax.Array) -> tuple[jax.Array, None]:
        acquisition = jnp.where(t < 1.0, 0.2, 0.0)
        d_l, d_c = trace_rates(state[0], state[1], acquisition, c, 72.0, 24.0 * 180)
        return state + 0.1 * jnp.stack([d_l, d_c]), None

    state, _ = jax.lax.scan(step, jnp.zeros(2), jnp.arange(0.0, 720.0, 0.1))
    return float(state[1])


def test_a_wider_window_makes_learning_more_durable() -> None:
    low, high = durable_fraction(0.72), durable_fraction(1.15)
    assert high > 1.5 * low
    assert 0.0 < low < high < 0.2


def test_traces_stay_within_zero_and_one() -> None:
    d_l, d_c = trace_rates(jnp.asarray(0.6), jnp.asarray(0.4), jnp.asarray(5.0), jnp.asarray(0.0), 72.0, 1e4)
    assert float(d_l) <= 0.0 and float(d_c) <= 0.0


def patients(n: int = 1) -> Patients:
    ones = np.ones(n)
    return Patients("ptsd", 80 * ones, 40 * ones, 0 * ones, 0 * ones, 0 * ones, 1 * ones, 0.7 * ones)


def after_session(therapy_name: str, window: float, cadss: float, hours: float = 1.5) -> np.ndarray:
    """Symptom state after one session with constant drivers (window and dissociation), by RK4."""
    p = SymptomParameters.from_parameter_set(PSET, patients())
    signals = jnp.zeros(len(SIGNAL_NAMES)).at[SIGNAL_NAMES.index(f"session_{therapy_name}")].set(1.0)
    d = Drivers(
        jnp.zeros(1),
        jnp.zeros(1),
        jnp.zeros(1),
        jnp.full(1, window),
        p.rumination_baseline,
        jnp.full(1, cadss),
        jnp.zeros(1),
        jnp.zeros(1),
        signals,
    )
    return np.asarray(_integrate(p, d, int(round(hours / 0.05)))[0])


@partial(jax.jit, static_argnums=2)
def _integrate(p: SymptomParameters, d: Drivers, steps: int, h: float = 0.05) -> jax.Array:
    """Classical RK4 with constant drivers."""

    def one(y: jax.Array, _: None) -> tuple[jax.Array, None]:
        k1 = derivative(y, d, p)
        k2 = derivative(y + h / 2 * k1, d, p)
        k3 = derivative(y + h / 2 * k2, d, p)
        k4 = derivative(y + h * k3, d, p)
        return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

    y, _ = jax.lax.scan(one, initial_state(p, 1), None, length=steps)
    return y


def test_emdr_weakens_fear_more_inside_the_window_and_not_under_heavy_dissociation() -> None:
    baseline = after_session("emdr", 0.78, 0.0)
    window = after_session("emdr", 1.1, 0.0)
    dissociated = after_session("emdr", 1.1, 40.0)
    fear = lambda y: y[FEAR[0]] + y[FEAR[1]]  # noqa: E731
    assert fear(baseline) > 0.1
    assert fear(window) == pytest.approx(fear(baseline) * 1.1 / 0.78, rel=0.05)
    assert fear(dissociated) < 0.2 * fear(window)


@pytest.mark.parametrize("therapy_name", ["integration", "cbt"])
def test_integration_and_cbt_build_learned_patterns(therapy_name: str) -> None:
    y = after_session(therapy_name, 1.0, 0.0, hours=1.0)
    emdr = after_session("emdr", 1.0, 0.0, hours=1.0)
    assert y[LEARNED[0]] > 0.05
    assert y[LEARNED[0]] > 2 * emdr[LEARNED[0]]
    assert y[FEAR[0]] < emdr[FEAR[0]]


def test_supportive_therapy_builds_little() -> None:
    y = after_session("supportive", 1.0, 0.0, hours=1.0)
    assert y[LEARNED[0]] < 0.03 and y[FEAR[0]] < 1e-3  # only everyday extinction, as mood lifts a little


def test_therapy_module_exports() -> None:
    assert therapy.THERAPY_SIGNALS == THERAPY_SIGNALS
