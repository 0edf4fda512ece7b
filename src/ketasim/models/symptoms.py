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
      + n                                                                              natural course

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
plasticity gain P come from `ketasim.models.comparators`. Every weight is read by its registry name.

References
----------
van de Leemput IA et al. (2014) PNAS 111:87 (alternative stable states of mood).
Moda-Sava RN et al. (2019) Science 364:eaat8078, doi:10.1126/science.aat8078 (spines maintain, not induce).
Kishimoto T et al. (2016) Psychol Med 46:1459, doi:10.1017/S0033291716000064 (time course of one dose).
Glue P et al. (2017) J Psychopharmacol 31:1302, doi:10.1177/0269881117705089 (anxiolysis within 1 h, 7 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from jax.typing import ArrayLike

from ketasim.errors import ParameterError
from ketasim.models.math import Math, Value, array_library, soft_floor
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.registry import ParameterSet
from ketasim.vocabulary import CONDITIONS

STATES: tuple[Quantity, ...] = (
    Quantity("depression", "1", "depressive symptom load relative to the patient's untreated baseline"),
    Quantity("worry", "1", "worry and anxiety load relative to the patient's untreated baseline"),
)
RELIEFS: tuple[str, ...] = (
    "depression_time_constant_h",
    "latent_floor_softness",
    "relief_per_glutamate_fraction",
    "relief_per_rumination_unit",
    "relief_per_window_fraction",
    "ketamine_relief_max",
    "total_relief_max",
    "relief_per_acute_expectancy",
    "relief_per_conditioned_expectancy",
    "relief_per_learned_pattern",
    "relief_per_ssri_adaptation",
    "relief_per_ssri_plasticity",
    "relief_per_fear_reduction",
    "worry_time_constant_h",
    "worry_relief_per_rumination_unit",
    "worry_rumination_relief_max",
    "worry_relief_per_depression_relief",
    "worry_relief_per_expectancy",
    "worry_relief_per_learned_pattern",
    "worry_relief_per_ssri_adaptation",
    "worry_relief_per_sedation",
    "worry_relief_per_fear_reduction",
)
INDIVIDUAL: tuple[Quantity, ...] = (
    Quantity("jump", "1", "size of the self-sustaining depression loop (a)"),
    Quantity("threshold", "1", "load at which the loop switches (θ)"),
    Quantity("steepness", "1", "steepness of the switch (β)"),
    Quantity("baseline_tilt", "1", "tilt of the untreated patient (h₀)"),
    Quantity("ketamine_sensitivity", "1", "the patient's sensitivity to ketamine's mechanism"),
    Quantity("ssri_sensitivity", "1", "the patient's sensitivity to serotonergic drugs"),
    Quantity("worry_sensitivity", "1", "the patient's sensitivity of worry to rumination"),
    Quantity("expectancy_ceiling", "1", "the most expectancy the patient can build"),
    Quantity("trauma_load", "1", "share of the symptom load carried by trauma"),
)
# The named normals (`ketasim.population.Patients.normals`, one draw each) that `individual_fields` reads.
INDIVIDUAL_USES: tuple[str, ...] = (
    "symptoms_escape",
    "symptoms_hysteresis",
    "symptoms_ketamine_sensitivity",
    "symptoms_ssri_sensitivity",
    "symptoms_worry_sensitivity",
    "symptoms_expectancy_ceiling",
)


@dataclass(frozen=True)
class Symptoms(Stage):
    """Depression with two stable states and worry, tilted by the relief of every influence."""

    name = "symptoms"

    def states(self) -> tuple[Quantity, ...]:
        return STATES

    def quantities(self) -> tuple[Quantity, ...]:
        return (
            Quantity("expectancy_relief", "1", "relief from expectancy"),
            Quantity("mechanism_relief", "1", "relief from ketamine's mechanism (surge, rumination, window)"),
            Quantity("fear_relief", "1", "relief from a weakened trauma fear memory"),
            Quantity("relief", "1", "total relief, saturating"),
            Quantity("worry_relief", "1", "relief of worry"),
        )

    def registry_parameters(self) -> tuple[str, ...]:
        return RELIEFS

    def derived_parameters(self) -> tuple[Quantity, ...]:
        return (
            *INDIVIDUAL,
            Quantity("rumination_baseline", "1", "the patient's untreated rumination index"),
            Quantity("window_baseline", "1", "the patient's untreated plasticity window"),
        )

    def baselines(self) -> dict[str, str]:
        return {"rumination_baseline": "rumination", "window_baseline": "plasticity_window"}

    def individual(self, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
        condition = patients.condition
        if condition not in CONDITIONS:
            raise ParameterError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}")
        fields = individual_fields(
            pset,
            condition,
            patients.failed_treatments,
            patients.chronic_stress,
            np.asarray(patients.childhood_neglect, dtype=float),
            {use: patients.normals(use) for use in INDIVIDUAL_USES},
        )
        values = {name: np.asarray(value) for name, value in fields.items()}
        values["trauma_load"] = np.ones(patients.count) * pset[f"{condition}_trauma_load"]
        return values

    def initial(self, m: Math, v: Values) -> dict[str, Value]:
        one = 1.0 + 0.0 * v["jump"]
        return {"depression": one, "worry": one}

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        out: dict[str, Value] = {
            "expectancy_relief": v["relief_per_acute_expectancy"] * v["expectancy_acute"]
            + v["relief_per_conditioned_expectancy"] * v["expectancy_conditioned"],
        }
        raw = (
            v["relief_per_glutamate_fraction"] * v["glutamate_change"] / 100.0
            + v["relief_per_rumination_unit"] * (v["rumination_baseline"] - v["rumination"])
            + v["relief_per_window_fraction"] * (v["plasticity_window"] / v["window_baseline"] - 1.0)
        )
        ceiling = v["ketamine_relief_max"]
        out["mechanism_relief"] = ceiling * m.tanh(v["ketamine_sensitivity"] * raw / ceiling)
        out["fear_relief"] = v["trauma_load"] * v["fear_reduction"]
        expectancy, fear_relief = m.named(out, "expectancy_relief"), m.named(out, "fear_relief")
        relief = (
            m.named(out, "mechanism_relief")
            + expectancy
            + v["ssri_sensitivity"]
            * (
                v["relief_per_ssri_adaptation"] * v["ssri_adaptation"]
                + v["relief_per_ssri_plasticity"] * v["ssri_plasticity"]
            )
            + v["relief_per_learned_pattern"] * v["learned"]
            + v["relief_per_fear_reduction"] * fear_relief
            + v["natural_course"]
        )
        out["relief"] = v["total_relief_max"] * m.tanh(relief / v["total_relief_max"])
        worry_ceiling = v["worry_rumination_relief_max"]
        out["worry_relief"] = (
            worry_ceiling
            * m.tanh(
                v["worry_sensitivity"]
                * v["worry_relief_per_rumination_unit"]
                * (v["rumination_baseline"] - v["rumination"])
                / worry_ceiling
            )
            + v["worry_relief_per_depression_relief"] * (1.0 - v["depression"])
            + v["worry_relief_per_expectancy"] * expectancy
            + v["worry_relief_per_learned_pattern"] * v["learned"]
            + v["worry_relief_per_ssri_adaptation"] * v["ssri_sensitivity"] * v["ssri_adaptation"]
            + v["worry_relief_per_sedation"] * v["sedation"]
            + v["worry_relief_per_fear_reduction"] * fear_relief
            + v["natural_course"]
        )
        return out

    def rates(self, m: Math, v: Values) -> dict[str, Value]:
        x, softness = v["depression"], v["latent_floor_softness"]
        feedback = v["jump"] * m.sigmoid(v["steepness"] * (x - v["threshold"]))
        return {
            "depression": (soft_floor(m, v["baseline_tilt"] - v["relief"] + feedback, softness) - x)
            / v["depression_time_constant_h"],
            "worry": (soft_floor(m, 1.0 - v["worry_relief"], softness) - v["worry"]) / v["worry_time_constant_h"],
        }

    def decay(self, m: Math, v: Values) -> dict[str, Value]:
        return {"depression": 1.0 / v["depression_time_constant_h"], "worry": 1.0 / v["worry_time_constant_h"]}


def individual_fields(
    pset: ParameterSet,
    condition: str,
    failed_treatments: ArrayLike,
    chronic_stress: ArrayLike,
    childhood_neglect: ArrayLike,
    normals: Mapping[str, ArrayLike],
) -> dict[str, Any]:
    """The individual parameters of the symptom stage that the individual normals set: the switch and sensitivities.

    In NumPy for NumPy input (once per run, no compiled program) and in ``jax.numpy`` for JAX input, so it can be
    traced and differentiated in the normals (the forecast fits them). The escape relief and the hysteresis are
    log-normal around their medians, shifted by the covariates and correlated with each other; the sensitivities to
    ketamine and to serotonergic drugs, worry sensitivity and the expectancy ceiling are log-normal around 1, the
    first, second and fourth lowered by failed treatments.

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
    xp = array_library(failed_treatments, chronic_stress, childhood_neglect, *normals.values())
    failed = xp.asarray(failed_treatments, dtype=float)
    stress = xp.asarray(chronic_stress, dtype=float)
    neglect = xp.asarray(childhood_neglect, dtype=float)

    def normal(use: str) -> Any:
        return xp.asarray(normals[use], dtype=float)[:, 0]

    z_escape = normal("symptoms_escape")
    rho = pset["depression_escape_hysteresis_correlation"]
    z_hysteresis = rho * z_escape + np.sqrt(1.0 - rho**2) * normal("symptoms_hysteresis")
    escape = pset["depression_escape_relief_median"] * xp.exp(
        pset["depression_escape_log_per_failed_treatment"] * failed
        + pset["depression_escape_log_per_chronic_stress"] * stress
        + pset["depression_escape_log_per_trauma_load"] * pset[f"{condition}_trauma_load"]
        + pset["depression_escape_log_sd"] * z_escape
    )
    hysteresis = pset["depression_hysteresis_median"] * xp.exp(
        -pset["depression_hysteresis_log_per_childhood_neglect"] * neglect
        - pset["depression_hysteresis_log_per_chronic_stress"] * stress
        + pset["depression_hysteresis_log_sd"] * z_hysteresis
    )
    jump, threshold, steepness, tilt = switch_shape(escape, hysteresis, pset["depression_loop_gain"])

    def lognormal(use: str, sd: str, shift: Any = 0.0) -> Any:
        return xp.exp(pset[sd] * normal(use) + shift)

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


def switch_shape(escape: ArrayLike, hysteresis: ArrayLike, loop_gain: float) -> tuple[Any, Any, Any, Any]:
    """Jump a, threshold θ, steepness β and baseline tilt h₀ of the depression switch.

    From the relief that tips a patient out of the depressed state (``escape``) and how much of it may fade
    before the patient falls back (``hysteresis``), for the loop gain G = aβ/4 (3 by default, for which the
    bistable range is 0.434 a wide and starts 0.283 a below the threshold). Approximate for a steep switch;
    the model's own escape and hold reliefs are checked numerically in the tests. In NumPy or, for JAX input,
    ``jax.numpy`` (traceable in ``escape`` and ``hysteresis``; ``loop_gain`` is a number).
    """
    if loop_gain <= 1.0:
        raise ParameterError(f"depression_loop_gain must exceed 1 for two stable states, got {loop_gain}")
    xp = array_library(escape, hysteresis)
    escape = xp.asarray(escape, dtype=float)
    hysteresis = xp.maximum(xp.asarray(hysteresis, dtype=float), 1e-6)
    escape_fold, hold_fold = fold_offsets(loop_gain)
    jump = hysteresis / (hold_fold - escape_fold)
    threshold = 1.0 - escape - (1.0 + escape_fold) * jump
    steepness = 4.0 * loop_gain / jump
    tilt = 1.0 - jump / (1.0 + xp.exp(-steepness * (1.0 - threshold)))
    return jump, threshold, steepness, tilt


def fold_offsets(loop_gain: float) -> tuple[float, float]:
    """Where the folds of x = h + a·σ(β(x − θ)) lie, as (h − θ)/a, for the loop gain G = aβ/4.

    Returns (escape fold, hold fold): the depressed branch exists for h above θ + a·escape fold, the well branch
    for h below θ + a·hold fold (−0.717 and −0.283 at G = 3).
    """
    s = 0.5 * (1.0 + np.sqrt(1.0 - 1.0 / loop_gain))  # σ at the folds: σ(1 − σ) = 1/(4G)
    u = np.log(s / (1.0 - s))
    return float(u / (4.0 * loop_gain) - s), float(-u / (4.0 * loop_gain) - (1.0 - s))
