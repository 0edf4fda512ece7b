"""Psychotherapy sessions as learning events gated by the plasticity window and by dissociation.

Each hour of a session lays down a *labile* trace at a rate set by the kind of therapy, scaled by the plasticity
window W at that time (engagement, capacity to form new associations) and by a dissociation gate (heavy
dissociation during a session blocks reprocessing). The labile trace fades over days unless it is consolidated,
and consolidation is itself scaled steeply by W (consolidation needs protein synthesis; W is the model's capacity
for durable learning). Two traces are kept this way:

* learned adaptive patterns L (integration, CBT; a little from EMDR, supportive therapy and everyday life while
  feeling better), which tilt mood and worry towards wellness;
* the update of the trauma fear memory U (EMDR and EMDR intensives; a little from CBT and integration), which
  weakens the fear memory: fear strength = 1 − U.

    engagement          e = W_eff^{n_a} / (1 + (CADSS / D₅₀)^h)
    acquisition         a = Σ_j session_j · rate_j · e                       (per hour)
    consolidation       c = c₀ · W_eff^{n_c}
    labile trace        dT_l/dt = a · (1 − T_l − T_c) − T_l / τ_l − c · T_l
    consolidated trace  dT_c/dt = c · T_l − T_c / τ_c

References
----------
Nader K, Schafe GE, LeDoux JE (2000) Nature 406:722 (reconsolidation needs protein synthesis).
Shapiro F (2018) EMDR Therapy, 3rd ed., Guilford Press (standard protocol).
Wilkinson ST et al. (2021) Psychother Psychosom (CBT sustains the effect of ketamine).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ketasim.models.power import power
from ketasim.vocabulary import THERAPIES

THERAPY_SIGNALS: tuple[str, ...] = tuple(f"session_{therapy}" for therapy in THERAPIES)


def dissociation_gate(cadss: jax.Array, half_cadss: jax.Array | float, hill: jax.Array | float) -> jax.Array:
    """Fraction of a session's learning that gets through at a dissociation level (1 = none lost)."""
    return 1.0 / (1.0 + power(jnp.maximum(cadss, 0.0) / half_cadss, hill))


def engagement(
    window: jax.Array,
    cadss: jax.Array,
    window_exponent: jax.Array | float,
    half_cadss: jax.Array | float,
    hill: jax.Array | float,
) -> jax.Array:
    """How much a session hour achieves relative to a healthy, undissociated brain."""
    return power(jnp.maximum(window, 0.0), window_exponent) * dissociation_gate(cadss, half_cadss, hill)


def session_rate(sessions: jax.Array, rates_per_h: jax.Array) -> jax.Array:
    """Learning per hour from the sessions in progress: ``sessions`` (..., 5) in `THERAPY_SIGNALS` order."""
    return jnp.sum(sessions * rates_per_h, axis=-1)


def consolidation_rate(
    window: jax.Array, rate_per_h: jax.Array | float, window_exponent: jax.Array | float
) -> jax.Array:
    """Rate per hour at which a labile trace becomes durable, steep in the plasticity window."""
    return rate_per_h * power(jnp.maximum(window, 0.0), window_exponent)


def trace_rates(
    labile: jax.Array,
    consolidated: jax.Array,
    acquisition_per_h: jax.Array,
    consolidation_per_h: jax.Array,
    labile_time_constant_h: jax.Array | float,
    consolidated_time_constant_h: jax.Array | float,
) -> tuple[jax.Array, jax.Array]:
    """d/dt of a labile and a consolidated trace (0-1 together; learning slows as they fill)."""
    room = jnp.maximum(1.0 - labile - consolidated, 0.0)
    d_labile = acquisition_per_h * room - labile / labile_time_constant_h - consolidation_per_h * labile
    d_consolidated = consolidation_per_h * labile - consolidated / consolidated_time_constant_h
    return d_labile, d_consolidated
