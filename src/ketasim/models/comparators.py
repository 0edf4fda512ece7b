"""Comparators: placebo (expectancy and visit contact), midazolam (sedation cue) and escitalopram (SERT).

Pure, vectorised JAX functions of concentrations and schedule signals; the states they drive (expectancy,
serotonergic adaptation and slow plasticity gain) live in `ketasim.models.symptoms`.

    SERT occupancy      O_SERT = C / (C + C₅₀)                              one-site binding
    adaptation          dA/dt = (O_SERT − A) / τ_A                          autoreceptor desensitisation, weeks
    slow BDNF gain      dP/dt = (A − P) / τ_P                               further weeks
    sedation cue        s = Cᵐ / (Cᵐ + C₅₀ᵐ)                                midazolam felt as a drug effect
    dissociation cue    c = CADSS / (CADSS + D₅₀)                           ketamine felt as a drug effect
    felt effect         f = 1 − (1 − s)(1 − c)
    acute expectancy    dE_a/dt = r_a · (visit + w_s · session + w_cue · f) · (E_max − E_a) − E_a / τ_a
    conditioned         dE_c/dt = r_c · (pill + w_v · visit + w_s' · session) · (E_max − E_c) − E_c / τ_c

Two expectancy components: the acute hope raised by a treatment visit, larger when a drug effect is felt, fading
over about a week; and the conditioned expectancy of a repeated treatment ritual (daily pills, regular visits),
built and lost over weeks (placebo response grows with trial length, Furukawa 2016).

References
----------
Meyer JH et al. (2004) Am J Psychiatry 161:826, doi:10.1176/appi.ajp.161.5.826 (80 % SERT occupancy).
Taylor MJ et al. (2006) Arch Gen Psychiatry 63:1217 (early onset of SSRI action).
Wilkinson ST et al. (2019) Neuropsychopharmacology 44:1233 (midazolam arms respond more than saline arms).
Furukawa TA et al. (2016) Lancet Psychiatry 3:1059 (placebo response in antidepressant trials).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ketasim.models.power import power


def sert_occupancy(plasma_ng_per_ml: jax.Array, half_occupancy_ng_per_ml: jax.Array | float) -> jax.Array:
    """Fraction of serotonin transporters blocked (0-1) at a plasma escitalopram concentration."""
    c = jnp.maximum(plasma_ng_per_ml, 0.0)
    return c / (c + half_occupancy_ng_per_ml)


def midazolam_sedation(
    plasma_ng_per_ml: jax.Array, half_ng_per_ml: jax.Array | float, hill: jax.Array | float
) -> jax.Array:
    """Sedation felt (0-1) at a plasma midazolam concentration: the active placebo's cue."""
    c = power(jnp.maximum(plasma_ng_per_ml, 0.0) / half_ng_per_ml, hill)
    return c / (1.0 + c)


def dissociation_cue(cadss: jax.Array, half_cadss: jax.Array | float) -> jax.Array:
    """How clearly dissociation is felt as a drug effect (0-1)."""
    c = jnp.maximum(cadss, 0.0)
    return c / (c + half_cadss)


def felt_drug_effect(sedation: jax.Array, dissociation: jax.Array) -> jax.Array:
    """Chance (0-1) that a drug effect is noticed, sedation and dissociation taken as independent cues."""
    return 1.0 - (1.0 - sedation) * (1.0 - dissociation)


def acute_contact(
    clinic_visit: jax.Array,
    sessions: jax.Array,
    felt_effect: jax.Array,
    weight_session: jax.Array | float,
    weight_cue: jax.Array | float,
) -> jax.Array:
    """Contact that builds acute expectancy (hope after a treatment visit): visits, sessions, felt drug effects."""
    return clinic_visit + weight_session * sessions + weight_cue * felt_effect


def conditioning_contact(
    clinic_visit: jax.Array,
    pill: jax.Array,
    sessions: jax.Array,
    weight_visit: jax.Array | float,
    weight_session: jax.Array | float,
) -> jax.Array:
    """Contact that builds conditioned expectancy (the ritual of treatment, repeated): pills, visits, sessions."""
    return pill + weight_visit * clinic_visit + weight_session * sessions


def expectancy_rate(
    expectancy: jax.Array,
    contact: jax.Array,
    ceiling: jax.Array,
    build_rate_per_h: jax.Array | float,
    time_constant_h: jax.Array | float,
) -> jax.Array:
    """d(expectancy)/dt per hour: built towards the patient's ceiling by contact, fading without it."""
    return build_rate_per_h * contact * (ceiling - expectancy) - expectancy / time_constant_h


def ssri_rates(
    adaptation: jax.Array,
    plasticity: jax.Array,
    occupancy: jax.Array,
    adaptation_time_constant_h: jax.Array | float,
    plasticity_time_constant_h: jax.Array | float,
) -> tuple[jax.Array, jax.Array]:
    """d/dt of serotonergic adaptation and slow plasticity gain, each 0-1, per hour."""
    return (
        (occupancy - adaptation) / adaptation_time_constant_h,
        (adaptation - plasticity) / plasticity_time_constant_h,
    )
