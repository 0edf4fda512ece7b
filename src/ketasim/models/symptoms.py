"""Latent symptoms: depression with two stable states, worry, trauma fear memory, and what tilts them.

All latent loads are relative to the patient's own untreated baseline (1 = as at baseline, 0 = symptom-free).

Depression x has two stable states (depressed, well) through a self-sustaining loop (van de Leemput 2014):

    dx/dt = (⌊h + a · σ(β (x − θ))⌋ − x) / τ_x,      h = h₀ − R

σ is the logistic function, ⌊·⌋ a smooth floor at 0, and R the *relief* (fraction of the baseline load) from
every influence at that time:

    R = Rmax · tanh(s_k · (k_G · glutamate + k_ρ · (ρ₀ − ρ) + k_W · (W/W₀ − 1)) / Rmax)   ketamine's mechanism
      + k_a · E_a + k_c · E_c                                                          expectancy
      + s_SSRI · (k_A · A + k_P · P)                                                   serotonergic comparator
      + k_L · L                                                                        learned adaptive patterns
      + k_U · trauma · U                                                               weakened fear memory

and the total is itself saturated, R ← R_tot · tanh(R / R_tot): part of the symptom load is not modifiable.

A patient escapes the depressed state when R exceeds the *escape relief* and stays well while R stays above the
*hold relief* (escape minus hysteresis); both are per patient (treatment resistance and chronic stress raise the
escape relief; childhood neglect and stress narrow the hysteresis). Baseline (R = 0) is the depressed
equilibrium x = 1: h₀ = 1 − a · σ(β (1 − θ)). The loop gain G = aβ/4 is fixed, so β = 4G/a.

Worry w follows its drivers within an hour: dw/dt = (⌊1 − R_w⌋ − w) / τ_w, with R_w from the fall of
rumination (acute NMDA blockade and, for days, spines; saturating like the mechanism relief), from better mood, expectancy, learned patterns, the
serotonergic comparator, benzodiazepine sedation and a weakened fear memory.

Trauma fear-memory strength is f = 1 − U, U the labile plus consolidated fear-memory update built by
reprocessing sessions (`ketasim.models.therapy`). Expectancy E, serotonergic adaptation A and its slow
plasticity gain P come from `ketasim.models.comparators`.

References
----------
van de Leemput IA et al. (2014) PNAS 111:87 (alternative stable states of mood).
Moda-Sava RN et al. (2019) Science 364:eaat8078, doi:10.1126/science.aat8078 (spines maintain, not induce).
Kishimoto T et al. (2016) Psychol Med 46:1459, doi:10.1017/S0033291716000064 (time course of one dose).
Glue P et al. (2017) J Psychopharmacol 31:1302, doi:10.1177/0269881117705089 (anxiolysis within 1 h, 7 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ketasim.errors import ParameterError
from ketasim.models import comparators, network, plasticity, therapy
from ketasim.models.power import power
from ketasim.models.scales import draw_baselines, latent_weights
from ketasim.parameters.registry import ParameterSet
from ketasim.vocabulary import CONDITIONS, SCALE_RANGES, SCALES, THERAPIES

STATE_NAMES: tuple[str, ...] = (
    "depression",
    "worry",
    "fear_update_labile",
    "fear_update_consolidated",
    "learned_labile",
    "learned_consolidated",
    "expectancy_acute",
    "expectancy_conditioned",
    "ssri_adaptation",
    "ssri_plasticity",
)
SIGNAL_NAMES: tuple[str, ...] = (*therapy.THERAPY_SIGNALS, "clinic_visit", "pill")

# The named normals (`ketasim.population.Patients.normals`, one draw each) that `individual_fields` reads.
INDIVIDUAL_USES: tuple[str, ...] = (
    "symptoms_escape",
    "symptoms_hysteresis",
    "symptoms_ketamine_sensitivity",
    "symptoms_ssri_sensitivity",
    "symptoms_worry_sensitivity",
    "symptoms_expectancy_ceiling",
)

_X, _W, _UL, _UC, _LL, _LC, _EA, _EC, _SA, _SP = range(len(STATE_NAMES))
_VISIT, _PILL = SIGNAL_NAMES.index("clinic_visit"), SIGNAL_NAMES.index("pill")
_SESSIONS = slice(0, len(therapy.THERAPY_SIGNALS))


class Drivers(NamedTuple):
    """Inputs of the symptom model at one time, each of shape ``(n,)`` except ``signals``.

    ``glutamate_change`` and ``spine_density_change`` are in % (as the cascade reports them); ``rumination`` is
    the network's rumination index (healthy 0, typical TRD 1); ``dissociation`` is CADSS points; ``signals`` is
    ``(len(SIGNAL_NAMES),)``, 0/1 per signal, the same for every patient of an arm.
    """

    nmda_occupancy: jax.Array
    glutamate_change: jax.Array
    spine_density_change: jax.Array
    plasticity_window: jax.Array
    rumination: jax.Array
    dissociation: jax.Array
    plasma_midazolam_ng_per_ml: jax.Array
    plasma_escitalopram_ng_per_ml: jax.Array
    signals: jax.Array


# Scalar parameters: field name -> registry name.
_SCALARS: dict[str, str] = {
    "tau_depression_h": "depression_time_constant_h",
    "floor_softness": "latent_floor_softness",
    "relief_glutamate": "relief_per_glutamate_fraction",
    "relief_rumination": "relief_per_rumination_unit",
    "relief_window": "relief_per_window_fraction",
    "ketamine_relief_max": "ketamine_relief_max",
    "total_relief_max": "total_relief_max",
    "relief_acute_expectancy": "relief_per_acute_expectancy",
    "relief_conditioned_expectancy": "relief_per_conditioned_expectancy",
    "relief_learned": "relief_per_learned_pattern",
    "relief_ssri_adaptation": "relief_per_ssri_adaptation",
    "relief_ssri_plasticity": "relief_per_ssri_plasticity",
    "relief_fear": "relief_per_fear_reduction",
    "tau_worry_h": "worry_time_constant_h",
    "worry_rumination": "worry_relief_per_rumination_unit",
    "worry_rumination_max": "worry_rumination_relief_max",
    "worry_depression": "worry_relief_per_depression_relief",
    "worry_expectancy": "worry_relief_per_expectancy",
    "worry_learned": "worry_relief_per_learned_pattern",
    "worry_ssri": "worry_relief_per_ssri_adaptation",
    "worry_sedation": "worry_relief_per_sedation",
    "worry_fear": "worry_relief_per_fear_reduction",
    "everyday_learning_per_h": "learning_per_h_everyday",
    "learning_window_exponent": "learning_window_exponent",
    "tau_labile_h": "labile_trace_time_constant_h",
    "consolidation_per_h": "consolidation_rate_per_h",
    "consolidation_window_exponent": "consolidation_window_exponent",
    "tau_learned_h": "consolidated_learning_time_constant_h",
    "tau_fear_update_h": "consolidated_fear_update_time_constant_h",
    "gate_half_cadss": "dissociation_gate_half_cadss",
    "gate_hill": "dissociation_gate_hill",
    "ssri_window_gain": "ssri_window_gain",
    "acute_build_per_h": "expectancy_acute_build_rate_per_h",
    "acute_weight_session": "expectancy_acute_weight_session",
    "weight_cue": "expectancy_weight_cue",
    "tau_acute_h": "expectancy_acute_time_constant_h",
    "conditioned_build_per_h": "expectancy_conditioned_build_rate_per_h",
    "conditioned_weight_visit": "expectancy_conditioned_weight_visit",
    "conditioned_weight_session": "expectancy_conditioned_weight_session",
    "tau_conditioned_h": "expectancy_conditioned_time_constant_h",
    "everyday_fear_update_per_h": "fear_update_per_h_everyday",
    "cue_half_cadss": "dissociation_cue_half_cadss",
    "sedation_half_ng_per_ml": "midazolam_sedation_half_ng_per_ml",
    "sedation_hill": "midazolam_sedation_hill",
    "sert_half_ng_per_ml": "sert_half_occupancy_ng_per_ml",
    "tau_ssri_adaptation_h": "ssri_adaptation_time_constant_h",
    "tau_ssri_plasticity_h": "ssri_plasticity_time_constant_h",
}


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SymptomParameters:
    """Per-patient parameters of the symptom model (arrays of shape ``(n,)``, scalars of shape ``()``).

    A JAX pytree, usable inside ``jax.jit`` and ``jax.lax.scan``. Build it with `from_parameter_set`; set the
    untreated driver levels from the engine's own baseline with `with_baseline_drivers`.
    """

    # depression switch, per patient
    jump: jax.Array
    threshold: jax.Array
    steepness: jax.Array
    baseline_tilt: jax.Array
    # sensitivities and loads, per patient
    ketamine_sensitivity: jax.Array
    ssri_sensitivity: jax.Array
    worry_sensitivity: jax.Array
    expectancy_ceiling: jax.Array
    fear_strength: jax.Array
    trauma_load: jax.Array
    # untreated driver levels, per patient
    rumination_baseline: jax.Array
    window_baseline: jax.Array
    # observation
    baseline_scores: jax.Array  # (n, scales)
    scale_weights: jax.Array  # (scales, 3)
    scale_max: jax.Array  # (scales,)
    # therapy rates per hour, in THERAPIES order
    learning_per_h: jax.Array  # (5,)
    fear_update_per_h: jax.Array  # (5,)
    # scalars
    tau_depression_h: jax.Array
    floor_softness: jax.Array
    relief_glutamate: jax.Array
    relief_rumination: jax.Array
    relief_window: jax.Array
    ketamine_relief_max: jax.Array
    total_relief_max: jax.Array
    relief_acute_expectancy: jax.Array
    relief_conditioned_expectancy: jax.Array
    relief_learned: jax.Array
    relief_ssri_adaptation: jax.Array
    relief_ssri_plasticity: jax.Array
    relief_fear: jax.Array
    tau_worry_h: jax.Array
    worry_rumination: jax.Array
    worry_rumination_max: jax.Array
    worry_depression: jax.Array
    worry_expectancy: jax.Array
    worry_learned: jax.Array
    worry_ssri: jax.Array
    worry_sedation: jax.Array
    worry_fear: jax.Array
    everyday_learning_per_h: jax.Array
    learning_window_exponent: jax.Array
    tau_labile_h: jax.Array
    consolidation_per_h: jax.Array
    consolidation_window_exponent: jax.Array
    tau_learned_h: jax.Array
    tau_fear_update_h: jax.Array
    gate_half_cadss: jax.Array
    gate_hill: jax.Array
    ssri_window_gain: jax.Array
    acute_build_per_h: jax.Array
    acute_weight_session: jax.Array
    weight_cue: jax.Array
    tau_acute_h: jax.Array
    conditioned_build_per_h: jax.Array
    conditioned_weight_visit: jax.Array
    conditioned_weight_session: jax.Array
    tau_conditioned_h: jax.Array
    everyday_fear_update_per_h: jax.Array
    cue_half_cadss: jax.Array
    sedation_half_ng_per_ml: jax.Array
    sedation_hill: jax.Array
    sert_half_ng_per_ml: jax.Array
    tau_ssri_adaptation_h: jax.Array
    tau_ssri_plasticity_h: jax.Array

    @classmethod
    def from_parameter_set(cls, pset: ParameterSet, patients: Any) -> SymptomParameters:
        """Parameters for a batch of patients from the merged parameter set (``default``).

        Parameters
        ----------
        pset
            A set holding the ``symptoms``, ``mechanism`` and ``network`` parameters.
        patients
            `ketasim.population.Patients`: covariates, condition, baseline distributions and random streams.
            Between-patient variability comes from ``patients.normals`` (zeros without variability).
        """
        condition = patients.condition
        if condition not in CONDITIONS:
            raise ParameterError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}")
        n = patients.count
        neglect = np.asarray(patients.childhood_neglect, dtype=float)
        individual = individual_fields(
            pset,
            condition,
            patients.failed_treatments,
            patients.chronic_stress,
            neglect,
            {use: patients.normals(use) for use in INDIVIDUAL_USES},
        )
        fear_strength = 1.0 + pset["fear_strength_per_childhood_neglect"] * neglect

        baselines = draw_baselines(
            condition,
            dict(patients.baseline),
            patients.normals("symptoms_baseline_common")[:, 0],
            patients.normals("symptoms_baseline_scales", len(SCALES)),
            bool(patients.variability),
            pset,
        )
        rumination0, window0 = typical_baseline_drivers(pset, condition)
        ones = np.ones(n)
        scalars = {name: jnp.asarray(float(pset[key])) for name, key in _SCALARS.items()}
        return cls(
            **individual,
            fear_strength=jnp.asarray(fear_strength),
            trauma_load=jnp.asarray(ones * pset[f"{condition}_trauma_load"]),
            rumination_baseline=jnp.asarray(ones * rumination0),
            window_baseline=jnp.asarray(ones * window0),
            baseline_scores=jnp.asarray(baselines),
            scale_weights=jnp.asarray(latent_weights(pset)),
            scale_max=jnp.asarray([SCALE_RANGES[s][1] for s in SCALES]),
            learning_per_h=jnp.asarray([pset[f"learning_per_h_{t}"] for t in THERAPIES]),
            fear_update_per_h=jnp.asarray([pset[f"fear_update_per_h_{t}"] for t in THERAPIES]),
            **scalars,
        )

    def with_baseline_drivers(self, drivers: Drivers) -> SymptomParameters:
        """A copy whose untreated rumination and plasticity window are those of ``drivers`` (taken at time 0).

        Use it when the engine's baseline differs from the condition's typical one (e.g. per-patient severity),
        so an untreated patient stays exactly at baseline.
        """
        n = self.jump.shape[0]
        return _replace(
            self,
            rumination_baseline=jnp.broadcast_to(jnp.asarray(drivers.rumination, dtype=float), (n,)),
            window_baseline=jnp.broadcast_to(jnp.asarray(drivers.plasticity_window, dtype=float), (n,)),
        )

    def take(self, index: jax.Array) -> SymptomParameters:
        """The parameters of a subset of patients (``index`` into the patient axis)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in _PER_PATIENT:
            values[name] = jnp.asarray(values[name])[index]
        return SymptomParameters(**values)


_PER_PATIENT = frozenset(
    {
        "jump",
        "threshold",
        "steepness",
        "baseline_tilt",
        "ketamine_sensitivity",
        "ssri_sensitivity",
        "worry_sensitivity",
        "expectancy_ceiling",
        "fear_strength",
        "trauma_load",
        "rumination_baseline",
        "window_baseline",
        "baseline_scores",
    }
)


def _replace(p: SymptomParameters, **changes: jax.Array) -> SymptomParameters:
    values = {f.name: getattr(p, f.name) for f in fields(p)}
    values.update(changes)
    return SymptomParameters(**values)


def individual_fields(
    pset: ParameterSet,
    condition: str,
    failed_treatments: ArrayLike,
    chronic_stress: ArrayLike,
    childhood_neglect: ArrayLike,
    normals: Mapping[str, ArrayLike],
) -> dict[str, jax.Array]:
    """The per-patient fields of `SymptomParameters` that the individual normals set: the switch and sensitivities.

    In ``jax.numpy``, so it can be traced and differentiated in the normals (the forecast fits them); it accepts
    NumPy input too. The escape relief and the hysteresis are log-normal around their medians, shifted by the
    covariates and correlated with each other; the sensitivities to ketamine and to serotonergic drugs, worry
    sensitivity and the expectancy ceiling are log-normal around 1, the first, second and fourth lowered by
    failed treatments.

    Parameters
    ----------
    pset
        A set holding the ``symptoms`` parameters.
    condition
        The patients' condition (sets the trauma load).
    failed_treatments, chronic_stress, childhood_neglect
        Covariates, each of shape ``(n,)``.
    normals
        Standard normal deviates for each use of `INDIVIDUAL_USES` (others are ignored), each of shape
        ``(n, draws)``; the first draw is used.

    Returns
    -------
    dict
        ``jump``, ``threshold``, ``steepness``, ``baseline_tilt``, ``ketamine_sensitivity``, ``ssri_sensitivity``,
        ``worry_sensitivity`` and ``expectancy_ceiling``, each of shape ``(n,)``.
    """
    failed = jnp.asarray(failed_treatments, dtype=float)
    stress = jnp.asarray(chronic_stress, dtype=float)
    neglect = jnp.asarray(childhood_neglect, dtype=float)

    def normal(use: str) -> jax.Array:
        return jnp.asarray(normals[use], dtype=float)[:, 0]

    z_escape = normal("symptoms_escape")
    rho = pset["depression_escape_hysteresis_correlation"]
    z_hysteresis = rho * z_escape + np.sqrt(1.0 - rho**2) * normal("symptoms_hysteresis")
    escape = pset["depression_escape_relief_median"] * jnp.exp(
        pset["depression_escape_log_per_failed_treatment"] * failed
        + pset["depression_escape_log_per_chronic_stress"] * stress
        + pset["depression_escape_log_per_trauma_load"] * pset[f"{condition}_trauma_load"]
        + pset["depression_escape_log_sd"] * z_escape
    )
    hysteresis = pset["depression_hysteresis_median"] * jnp.exp(
        -pset["depression_hysteresis_log_per_childhood_neglect"] * neglect
        - pset["depression_hysteresis_log_per_chronic_stress"] * stress
        + pset["depression_hysteresis_log_sd"] * z_hysteresis
    )
    jump, threshold, steepness, tilt = switch_shape(escape, hysteresis, pset["depression_loop_gain"])

    def lognormal(use: str, sd: str, shift: jax.Array | float = 0.0) -> jax.Array:
        return jnp.exp(pset[sd] * normal(use) + shift)

    return {
        "jump": jump,
        "threshold": threshold,
        "steepness": steepness,
        "baseline_tilt": tilt,
        "ketamine_sensitivity": lognormal(
            "symptoms_ketamine_sensitivity",
            "ketamine_sensitivity_log_sd",
            -pset["ketamine_sensitivity_log_per_failed_treatment"] * failed,
        ),
        "ssri_sensitivity": lognormal(
            "symptoms_ssri_sensitivity",
            "ssri_sensitivity_log_sd",
            -pset["ssri_sensitivity_log_per_failed_treatment"] * failed,
        ),
        "worry_sensitivity": lognormal("symptoms_worry_sensitivity", "worry_sensitivity_log_sd"),
        "expectancy_ceiling": lognormal(
            "symptoms_expectancy_ceiling",
            "expectancy_ceiling_log_sd",
            -pset["expectancy_ceiling_log_per_failed_treatment"] * failed,
        ),
    }


def switch_shape(
    escape: ArrayLike, hysteresis: ArrayLike, loop_gain: float
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Jump a, threshold θ, steepness β and baseline tilt h₀ of the depression switch.

    From the relief that tips a patient out of the depressed state (``escape``) and how much of it may fade
    before the patient falls back (``hysteresis``), for the loop gain G = aβ/4 (3 by default, for which the
    bistable range is 0.434 a wide and starts 0.283 a below the threshold). Approximate for a steep switch;
    the model's own escape and hold reliefs are checked numerically in the tests. In ``jax.numpy`` (traceable
    in ``escape`` and ``hysteresis``; ``loop_gain`` is a number).
    """
    if loop_gain <= 1.0:
        raise ParameterError(f"depression_loop_gain must exceed 1 for two stable states, got {loop_gain}")
    escape = jnp.asarray(escape, dtype=float)
    hysteresis = jnp.maximum(jnp.asarray(hysteresis, dtype=float), 1e-6)
    escape_fold, hold_fold = fold_offsets(loop_gain)
    jump = hysteresis / (hold_fold - escape_fold)
    threshold = 1.0 - escape - (1.0 + escape_fold) * jump
    steepness = 4.0 * loop_gain / jump
    tilt = 1.0 - jump / (1.0 + jnp.exp(-steepness * (1.0 - threshold)))
    return jump, threshold, steepness, tilt


def fold_offsets(loop_gain: float) -> tuple[float, float]:
    """Where the folds of x = h + a·σ(β(x − θ)) lie, as (h − θ)/a, for the loop gain G = aβ/4.

    Returns (escape fold, hold fold): the depressed branch exists for h above θ + a·escape fold, the well branch
    for h below θ + a·hold fold (−0.717 and −0.283 at G = 3).
    """
    s = 0.5 * (1.0 + np.sqrt(1.0 - 1.0 / loop_gain))  # σ at the folds: σ(1 − σ) = 1/(4G)
    u = np.log(s / (1.0 - s))
    return float(u / (4.0 * loop_gain) - s), float(-u / (4.0 * loop_gain) - (1.0 - s))


def typical_baseline_drivers(pset: ParameterSet, condition: str) -> tuple[float, float]:
    """Untreated rumination index and plasticity window of the typical patient with ``condition``."""
    severity = pset[f"typical_severity_{condition}"]
    gain, control = network.controls(jnp.asarray(0.0), jnp.asarray(0.0), jnp.asarray(severity), pset)
    _, fc = network.fc_matrix(np.asarray(gain), np.asarray(control), pset)
    _, core = network.readouts(fc)
    rumination = float(network.rumination_index(core, pset))
    cascade = plasticity.CascadeParameters.from_parameter_set(pset, 1, condition)
    window = float(plasticity.plasticity_window(plasticity.initial_state(cascade, 1), cascade)[0])
    return rumination, window


def initial_state(p: SymptomParameters, n: int) -> jax.Array:
    """The untreated state of each patient, shape ``(n, len(STATE_NAMES))``: every load at its own baseline."""
    y = jnp.zeros((n, len(STATE_NAMES)))
    return y.at[:, _X].set(1.0).at[:, _W].set(1.0)


def _floor(value: jax.Array, softness: jax.Array) -> jax.Array:
    """Smooth max(value, 0) (softplus of width ``softness``)."""
    return softness * jax.nn.softplus(value / softness)


def _ramp(value: jax.Array, softness: jax.Array) -> jax.Array:
    """Smooth ramp, exactly 0 for value ≤ 0 and value − softness for large values (continuous slope)."""
    positive = jnp.maximum(value, 0.0)
    return positive * positive / (positive + softness)


def mechanism_relief(d: Drivers, p: SymptomParameters) -> jax.Array:
    """Relief from ketamine's mechanism (surge, rumination, plasticity window), saturating at its ceiling."""
    raw = (
        p.relief_glutamate * d.glutamate_change / 100.0
        + p.relief_rumination * (p.rumination_baseline - d.rumination)
        + p.relief_window * (d.plasticity_window / p.window_baseline - 1.0)
    )
    return p.ketamine_relief_max * jnp.tanh(p.ketamine_sensitivity * raw / p.ketamine_relief_max)


def fear_memory(y: jax.Array) -> jax.Array:
    """Trauma fear-memory strength relative to baseline (1 = untreated)."""
    return jnp.maximum(1.0 - y[..., _UL] - y[..., _UC], 0.0)


def derivative(y: jax.Array, d: Drivers, p: SymptomParameters) -> jax.Array:
    """dy/dt per hour, shape ``(n, len(STATE_NAMES))``; smooth in the states and drivers."""
    x, w = y[:, _X], y[:, _W]
    fear_l, fear_c, learned_l, learned_c = y[:, _UL], y[:, _UC], y[:, _LL], y[:, _LC]
    acute, conditioned, adaptation, slow_gain = y[:, _EA], y[:, _EC], y[:, _SA], y[:, _SP]
    sessions = d.signals[_SESSIONS]
    in_session = jnp.sum(sessions)
    visit, pill = d.signals[_VISIT], d.signals[_PILL]

    # comparators and expectancy
    sert = comparators.sert_occupancy(d.plasma_escitalopram_ng_per_ml, p.sert_half_ng_per_ml)
    sedation = comparators.midazolam_sedation(d.plasma_midazolam_ng_per_ml, p.sedation_half_ng_per_ml, p.sedation_hill)
    felt = comparators.felt_drug_effect(sedation, comparators.dissociation_cue(d.dissociation, p.cue_half_cadss))
    d_acute = comparators.expectancy_rate(
        acute,
        comparators.acute_contact(visit, in_session, felt, p.acute_weight_session, p.weight_cue),
        p.expectancy_ceiling,
        p.acute_build_per_h,
        p.tau_acute_h,
    )
    d_conditioned = comparators.expectancy_rate(
        conditioned,
        comparators.conditioning_contact(
            visit, pill, in_session, p.conditioned_weight_visit, p.conditioned_weight_session
        ),
        p.expectancy_ceiling,
        p.conditioned_build_per_h,
        p.tau_conditioned_h,
    )
    d_adaptation, d_slow_gain = comparators.ssri_rates(
        adaptation, slow_gain, sert, p.tau_ssri_adaptation_h, p.tau_ssri_plasticity_h
    )
    expectancy = p.relief_acute_expectancy * acute + p.relief_conditioned_expectancy * conditioned

    # learning: sessions and everyday life, gated by the window and by dissociation
    window = d.plasticity_window + p.ssri_window_gain * slow_gain
    engaged = therapy.engagement(window, d.dissociation, p.learning_window_exponent, p.gate_half_cadss, p.gate_hill)
    feeling_better = _ramp(1.0 - x, p.floor_softness)
    learning = therapy.session_rate(
        sessions, p.learning_per_h
    ) * engaged + p.everyday_learning_per_h * feeling_better * power(
        jnp.maximum(window, 0.0), p.learning_window_exponent
    )
    fear_update = (
        therapy.session_rate(sessions, p.fear_update_per_h) * engaged
        + p.everyday_fear_update_per_h * feeling_better * power(jnp.maximum(window, 0.0), p.learning_window_exponent)
    ) / p.fear_strength
    consolidation = therapy.consolidation_rate(window, p.consolidation_per_h, p.consolidation_window_exponent)
    d_learned_l, d_learned_c = therapy.trace_rates(
        learned_l, learned_c, learning, consolidation, p.tau_labile_h, p.tau_learned_h
    )
    d_fear_l, d_fear_c = therapy.trace_rates(
        fear_l, fear_c, fear_update, consolidation, p.tau_labile_h, p.tau_fear_update_h / p.fear_strength
    )

    # depression: two stable states tilted by the total relief
    learned = learned_l + learned_c
    fear_relief = p.trauma_load * (fear_l + fear_c)
    relief = (
        mechanism_relief(d, p)
        + expectancy
        + p.ssri_sensitivity * (p.relief_ssri_adaptation * adaptation + p.relief_ssri_plasticity * slow_gain)
        + p.relief_learned * learned
        + p.relief_fear * fear_relief
    )
    feedback = p.jump * jax.nn.sigmoid(p.steepness * (x - p.threshold))
    relief = p.total_relief_max * jnp.tanh(relief / p.total_relief_max)
    d_x = (_floor(p.baseline_tilt - relief + feedback, p.floor_softness) - x) / p.tau_depression_h

    # worry: fast, acute anxiolysis and days of relief through rumination
    worry_relief = (
        p.worry_rumination_max
        * jnp.tanh(
            p.worry_sensitivity * p.worry_rumination * (p.rumination_baseline - d.rumination) / p.worry_rumination_max
        )
        + p.worry_depression * (1.0 - x)
        + p.worry_expectancy * expectancy
        + p.worry_learned * learned
        + p.worry_ssri * p.ssri_sensitivity * adaptation
        + p.worry_sedation * sedation
        + p.worry_fear * fear_relief
    )
    d_w = (_floor(1.0 - worry_relief, p.floor_softness) - w) / p.tau_worry_h

    return jnp.stack(
        [d_x, d_w, d_fear_l, d_fear_c, d_learned_l, d_learned_c, d_acute, d_conditioned, d_adaptation, d_slow_gain],
        axis=-1,
    )


def decay_rates(p: SymptomParameters, n: int) -> jax.Array:
    """Stiff linear self-decay rates per hour, shape ``(n, len(STATE_NAMES))`` (the integrator treats them exactly)."""
    rates = (
        1.0 / p.tau_depression_h,
        1.0 / p.tau_worry_h,
        1.0 / p.tau_labile_h,
        p.fear_strength / p.tau_fear_update_h,
        1.0 / p.tau_labile_h,
        1.0 / p.tau_learned_h,
        1.0 / p.tau_acute_h,
        1.0 / p.tau_conditioned_h,
        1.0 / p.tau_ssri_adaptation_h,
        1.0 / p.tau_ssri_plasticity_h,
    )
    return jnp.stack([jnp.broadcast_to(jnp.asarray(r, dtype=float), (n,)) for r in rates], axis=-1)


def latent_loads(y: jax.Array) -> jax.Array:
    """(depression, worry, fear) loads relative to baseline, shape ``y.shape[:-1] + (3,)``."""
    return jnp.stack([y[..., _X], y[..., _W], fear_memory(y)], axis=-1)


def expected_scores(y: jax.Array, d: Drivers, p: SymptomParameters) -> dict[str, jax.Array]:
    """Noise-free expected score of every rating scale, each of shape ``y.shape[:-1]``.

    ``y`` is ``(n, m)`` or ``(n, t, m)``; ``d`` is accepted for a uniform signature (scores depend on states only).
    """
    del d
    baseline = p.baseline_scores if y.ndim == 2 else p.baseline_scores[:, None, :]
    loads = latent_loads(y) @ p.scale_weights.T
    scores = jnp.clip(baseline * loads, 0.0, p.scale_max)
    return {scale: scores[..., i] for i, scale in enumerate(SCALES)}
