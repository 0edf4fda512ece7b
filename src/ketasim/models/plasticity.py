"""The plasticity cascade: NMDA blockade → glutamate surge → BDNF → mTORC1 → synaptic proteins → spines.

Seven states per patient, all smooth functions of the NMDA occupancy O(t) that drives them (no switches, so a
fixed-step Runge-Kutta method converges at its full order between dose edges). Levels are relative to a
healthy brain (1 = healthy) except the glutamate surge and its adaptation, which are fractional changes.

    drive     D(O)  = g · Oⁿ / (Oⁿ + O₅₀ⁿ)                      disinhibition of pyramidal cells
    glutamate dG/dt = (D · (1 − A) − G) / τ_G                   surge (Glx change, fraction)
    adaptation dA/dt = (D / (D + K_A) − A) / τ_A                adaptation (0-1) ends the surge, no rebound
    BDNF      dB/dt = (B₀ · (1 + b · tanh(G / g_s)) − B) / τ_B   activity-dependent release
    mTORC1    dM/dt = (B − M) / τ_M                             TrkB → mTORC1 within minutes
    protein   dP/dt = (B₀ · (1 + κ · H(M / B₀ − 1)) − P) / τ_P   synthesis of synaptic proteins once mTORC1
                                                                is activated past a threshold: H(x) = xᵐ/(xᵐ + θᵐ)
    formation dF/dt = (P − F) / τ_F                             spine growth lags the proteins by hours
    spines    dS/dt = (S₀ · (1 + k · (F / B₀ − 1)) − S) / τ_S   formation rises k-fold with F; loss back to S₀

B₀ and S₀ are the patient's untreated BDNF and spine levels: 1 when healthy, lower with depression (condition
and severity). The plasticity window W = S^{w_S} · F^{w_F} (1 = healthy) is low in depression, rises over the
first day after a dose (spine formation) and stays raised for days (spines). See docs/model.md for the sources of
each choice.

References
----------
Milak MS et al. (2016) Mol Psychiatry 21:320, doi:10.1038/mp.2015.83 (Glx surge).
Li N et al. (2010) Science 329:959, doi:10.1126/science.1190287 (mTORC1, synaptic proteins, spines).
Moda-Sava RN et al. (2019) Science 364:eaat8078, doi:10.1126/science.aat8078 (spine formation at 12-24 h).
Nardou R et al. (2023) Nature 618:790, doi:10.1038/s41586-023-06204-3 (48 h window after ketamine, mice).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import jax
import jax.numpy as jnp

from ketasim.errors import ParameterError
from ketasim.models.power import power
from ketasim.parameters.registry import ParameterSet
from ketasim.vocabulary import CONDITIONS

STATE_NAMES: tuple[str, ...] = (
    "glutamate",
    "glutamate_adaptation",
    "bdnf",
    "mtorc1",
    "synaptic_protein",
    "spine_formation",
    "spines",
)
OBSERVED: tuple[str, ...] = ("glutamate_change", "bdnf_change", "spine_density_change", "plasticity_window")

_G, _A, _B, _M, _P, _F, _S = range(len(STATE_NAMES))

# Parameter-set name of every rate or gain field of CascadeParameters.
_FROM_REGISTRY: dict[str, str] = {
    "surge_max": "glutamate_surge_max_fraction",
    "half_max_occupancy": "glutamate_half_max_occupancy",
    "hill": "glutamate_hill_coefficient",
    "tau_glutamate_h": "glutamate_time_constant_h",
    "tau_adaptation_h": "glutamate_adaptation_time_constant_h",
    "adaptation_half_drive": "glutamate_adaptation_half_drive_fraction",
    "bdnf_release_max": "bdnf_release_max_fraction",
    "bdnf_glutamate_scale": "bdnf_glutamate_scale_fraction",
    "tau_bdnf_h": "bdnf_time_constant_h",
    "tau_mtorc1_h": "mtorc1_time_constant_h",
    "protein_gain": "synaptic_protein_gain",
    "protein_threshold": "synaptic_protein_threshold_fraction",
    "protein_hill": "synaptic_protein_hill_coefficient",
    "tau_protein_h": "synaptic_protein_time_constant_h",
    "tau_formation_h": "spine_formation_time_constant_h",
    "formation_gain": "spine_formation_gain",
    "tau_spines_h": "spine_time_constant_h",
    "window_spine_exponent": "window_spine_exponent",
    "window_formation_exponent": "window_formation_exponent",
}


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class CascadeParameters:
    """Per-patient parameters of the cascade, each an array of shape ``(n,)`` (or a float, broadcast).

    Rates and gains are named in `_FROM_REGISTRY`; ``bdnf_baseline`` (B₀) and ``spine_baseline`` (S₀) are the
    patient's untreated levels relative to a healthy brain. A JAX pytree, so it passes through ``jax.jit``.
    """

    surge_max: jax.Array
    half_max_occupancy: jax.Array
    hill: jax.Array
    tau_glutamate_h: jax.Array
    tau_adaptation_h: jax.Array
    adaptation_half_drive: jax.Array
    bdnf_release_max: jax.Array
    bdnf_glutamate_scale: jax.Array
    tau_bdnf_h: jax.Array
    tau_mtorc1_h: jax.Array
    protein_gain: jax.Array
    protein_threshold: jax.Array
    protein_hill: jax.Array
    tau_protein_h: jax.Array
    tau_formation_h: jax.Array
    formation_gain: jax.Array
    tau_spines_h: jax.Array
    window_spine_exponent: jax.Array
    window_formation_exponent: jax.Array
    bdnf_baseline: jax.Array
    spine_baseline: jax.Array

    @classmethod
    def from_parameter_set(
        cls, pset: ParameterSet, n: int, condition: str, severity: jax.Array | None = None
    ) -> CascadeParameters:
        """Parameters for ``n`` patients with ``condition``, from a set holding the ``mechanism`` parameters.

        Parameters
        ----------
        pset
            Parameter set (``mechanism`` or ``default``).
        n
            Number of patients.
        condition
            One of `CONDITIONS`; sets the typical severity, hence the baseline BDNF and spine deficits.
        severity
            Optional per-patient severity 0-1, shape ``(n,)``, replacing the condition's typical severity
            (ignored for ``healthy``, whose deficit is always zero).
        """
        ones = jnp.ones(n)
        level = severity_levels(pset, n, condition, severity)
        values = {field: ones * pset[name] for field, name in _FROM_REGISTRY.items()}
        values["bdnf_baseline"] = 1.0 - pset["bdnf_deficit_at_max_severity_fraction"] * level
        values["spine_baseline"] = 1.0 - pset["spine_deficit_at_max_severity_fraction"] * level
        return cls(**values)

    def take(self, index: jax.Array) -> CascadeParameters:
        """The parameters of a subset of patients (``index`` into the patient axis)."""
        return CascadeParameters(**{f.name: jnp.asarray(getattr(self, f.name))[index] for f in fields(self)})


def severity_levels(pset: ParameterSet, n: int, condition: str, severity: jax.Array | None = None) -> jax.Array:
    """Per-patient severity 0-1: the given values, or the condition's typical severity (healthy is always 0).

    Raises
    ------
    ParameterError
        For an unknown condition, a wrong shape or values outside 0-1.
    """
    if condition not in CONDITIONS:
        raise ParameterError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}")
    ones = jnp.ones(n)
    if severity is None or condition == "healthy":
        return ones * pset[f"typical_severity_{condition}"]
    level = jnp.asarray(severity, dtype=ones.dtype)
    if level.shape != (n,):
        raise ParameterError(f"severity has shape {level.shape}; expected ({n},), one value per patient")
    if bool(jnp.any((level < 0.0) | (level > 1.0))):
        raise ParameterError("severity must lie between 0 and 1")
    return level


def disinhibition(occupancy: jax.Array, p: CascadeParameters) -> jax.Array:
    """Disinhibition drive D(O): the glutamate rise blockade would cause without adaptation (fraction)."""
    blocked = power(jnp.maximum(occupancy, 0.0), p.hill)
    return p.surge_max * blocked / (blocked + power(p.half_max_occupancy, p.hill))


def initial_state(p: CascadeParameters, n: int) -> jax.Array:
    """The untreated steady state of each patient, shape ``(n, len(STATE_NAMES))``."""
    zero = jnp.zeros(n)
    bdnf = jnp.broadcast_to(p.bdnf_baseline, (n,))
    spines = jnp.broadcast_to(p.spine_baseline, (n,))
    return jnp.stack([zero, zero, bdnf, bdnf, bdnf, bdnf, spines], axis=-1)


def derivative(y: jax.Array, occupancy: jax.Array, p: CascadeParameters) -> jax.Array:
    """dy/dt per hour, shape ``(n, len(STATE_NAMES))``, given the NMDA occupancy of each patient, shape ``(n,)``."""
    glutamate, adaptation, bdnf, mtorc1, protein, formation, spines = (y[..., i] for i in range(len(STATE_NAMES)))
    drive = disinhibition(occupancy, p)
    b0 = p.bdnf_baseline
    release = b0 * (1.0 + p.bdnf_release_max * jnp.tanh(glutamate / p.bdnf_glutamate_scale))
    activation = power(jnp.maximum(mtorc1 / b0 - 1.0, 0.0), p.protein_hill)
    synthesis = b0 * (1.0 + p.protein_gain * activation / (activation + power(p.protein_threshold, p.protein_hill)))
    return jnp.stack(
        [
            (drive * (1.0 - adaptation) - glutamate) / p.tau_glutamate_h,
            (drive / (drive + p.adaptation_half_drive) - adaptation) / p.tau_adaptation_h,
            (release - bdnf) / p.tau_bdnf_h,
            (bdnf - mtorc1) / p.tau_mtorc1_h,
            (synthesis - protein) / p.tau_protein_h,
            (protein - formation) / p.tau_formation_h,
            (p.spine_baseline * (1.0 + p.formation_gain * (formation / b0 - 1.0)) - spines) / p.tau_spines_h,
        ],
        axis=-1,
    )


def time_constants_h(p: CascadeParameters, n: int) -> jax.Array:
    """Relaxation time of every state, hours, shape ``(n, len(STATE_NAMES))``.

    Each state obeys dy/dt = (target − y) / τ, so these are the stiff linear parts of the cascade. Explicit RK4
    is stable only for steps below about 2.8 · min τ (0.42 h with the default parameters: glutamate and mTORC1
    relax in 9 minutes); an integrating-factor (Lawson) or exponential Runge-Kutta method built on these
    constants is stable at any step.
    """
    taus = (
        p.tau_glutamate_h,
        p.tau_adaptation_h,
        p.tau_bdnf_h,
        p.tau_mtorc1_h,
        p.tau_protein_h,
        p.tau_formation_h,
        p.tau_spines_h,
    )
    return jnp.stack([jnp.broadcast_to(jnp.asarray(tau, dtype=float), (n,)) for tau in taus], axis=-1)


def plasticity_window(y: jax.Array, p: CascadeParameters) -> jax.Array:
    """Capacity for durable new learning, 1 = healthy baseline: spine density and spine formation combined."""
    spines = jnp.maximum(y[..., _S], 0.0)
    formation = jnp.maximum(y[..., _F], 0.0)
    return power(spines, p.window_spine_exponent) * power(formation, p.window_formation_exponent)


def observe(y: jax.Array, occupancy: jax.Array, p: CascadeParameters) -> dict[str, jax.Array]:
    """The cascade's outputs (see `OBSERVED`) from states ``(n, m)`` or ``(n, t, m)`` with parameters of shape (n,).

    ``glutamate_change`` is the Glx change in % of baseline; ``bdnf_change`` and ``spine_density_change`` are %
    of the patient's own baseline; ``plasticity_window`` is a ratio with 1 = healthy baseline. ``occupancy`` is
    accepted for a uniform signature; the outputs depend on the states only.
    """
    del occupancy
    params = p
    if y.ndim == 3:  # (n, t, m): give the per-patient parameters a time axis
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a)[..., None] if jnp.ndim(a) else a, p)
    return {
        "glutamate_change": 100.0 * y[..., _G],
        "bdnf_change": 100.0 * (y[..., _B] / params.bdnf_baseline - 1.0),
        "spine_density_change": 100.0 * (y[..., _S] / params.spine_baseline - 1.0),
        "plasticity_window": plasticity_window(y, params),
    }
