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
each choice. Every rate and gain is read by its registry name.

References
----------
Milak MS et al. (2016) Mol Psychiatry 21:320, doi:10.1038/mp.2015.83 (Glx surge).
Li N et al. (2010) Science 329:959, doi:10.1126/science.1190287 (mTORC1, synaptic proteins, spines).
Moda-Sava RN et al. (2019) Science 364:eaat8078, doi:10.1126/science.aat8078 (spine formation at 12-24 h).
Nardou R et al. (2023) Nature 618:790, doi:10.1038/s41586-023-06204-3 (48 h window after ketamine, mice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ketasim.errors import ParameterError
from ketasim.models.math import Math, Value
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.registry import ParameterSet
from ketasim.vocabulary import CONDITIONS

STATES: tuple[Quantity, ...] = (
    Quantity("glutamate", "1", "prefrontal glutamate surge, fraction of baseline"),
    Quantity("glutamate_adaptation", "1", "adaptation that ends the surge, 0-1"),
    Quantity("bdnf", "1", "BDNF signalling, 1 = healthy"),
    Quantity("mtorc1", "1", "mTORC1 activity, 1 = healthy"),
    Quantity("synaptic_protein", "1", "synaptic protein synthesis, 1 = healthy"),
    Quantity("spine_formation", "1", "spine formation drive, 1 = healthy"),
    Quantity("spines", "1", "prefrontal dendritic spine density, 1 = healthy"),
)
RATES: tuple[str, ...] = (
    "glutamate_surge_max_fraction",
    "glutamate_half_max_occupancy",
    "glutamate_hill_coefficient",
    "glutamate_time_constant_h",
    "glutamate_adaptation_time_constant_h",
    "glutamate_adaptation_half_drive_fraction",
    "bdnf_release_max_fraction",
    "bdnf_glutamate_scale_fraction",
    "bdnf_time_constant_h",
    "mtorc1_time_constant_h",
    "synaptic_protein_gain",
    "synaptic_protein_threshold_fraction",
    "synaptic_protein_hill_coefficient",
    "synaptic_protein_time_constant_h",
    "spine_formation_time_constant_h",
    "spine_formation_gain",
    "spine_time_constant_h",
    "window_spine_exponent",
    "window_formation_exponent",
)
TIME_CONSTANTS: dict[str, str] = {
    "glutamate": "glutamate_time_constant_h",
    "glutamate_adaptation": "glutamate_adaptation_time_constant_h",
    "bdnf": "bdnf_time_constant_h",
    "mtorc1": "mtorc1_time_constant_h",
    "synaptic_protein": "synaptic_protein_time_constant_h",
    "spine_formation": "spine_formation_time_constant_h",
    "spines": "spine_time_constant_h",
}


def severity_levels(pset: ParameterSet, n: int, condition: str, severity: Any = None) -> np.ndarray:
    """Per-patient severity 0-1: the given values, or the condition's typical severity (healthy is always 0).

    Raises
    ------
    ParameterError
        For an unknown condition, a wrong shape or values outside 0-1.
    """
    if condition not in CONDITIONS:
        raise ParameterError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}")
    ones = np.ones(n)
    if severity is None or condition == "healthy":
        return ones * pset[f"typical_severity_{condition}"]
    level = np.asarray(severity, dtype=float)
    if level.shape != (n,):
        raise ParameterError(f"severity has shape {level.shape}; expected ({n},), one value per patient")
    if bool(np.any((level < 0.0) | (level > 1.0))):
        raise ParameterError("severity must lie between 0 and 1")
    return level


def baseline_levels(pset: ParameterSet, severity: np.ndarray) -> dict[str, np.ndarray]:
    """The untreated BDNF (B₀) and spine (S₀) levels of patients of the given severity, 1 = healthy."""
    return {
        "bdnf_baseline": 1.0 - pset["bdnf_deficit_at_max_severity_fraction"] * severity,
        "spine_baseline": 1.0 - pset["spine_deficit_at_max_severity_fraction"] * severity,
    }


def disinhibition(m: Math, occupancy: Value, v: Values) -> Value:
    """Disinhibition drive D(O): the glutamate rise blockade would cause without adaptation (fraction)."""
    hill = v["glutamate_hill_coefficient"]
    blocked = m.power(m.maximum(occupancy, 0.0), hill)
    return v["glutamate_surge_max_fraction"] * blocked / (blocked + m.power(v["glutamate_half_max_occupancy"], hill))


def plasticity_window(m: Math, spines: Value, formation: Value, v: Values) -> Value:
    """Capacity for durable new learning, 1 = healthy baseline: spine density and spine formation combined."""
    return m.power(m.maximum(spines, 0.0), v["window_spine_exponent"]) * m.power(
        m.maximum(formation, 0.0), v["window_formation_exponent"]
    )


@dataclass(frozen=True)
class Cascade(Stage):
    """The plasticity cascade driven by NMDA occupancy."""

    name = "cascade"

    def states(self) -> tuple[Quantity, ...]:
        return STATES

    def quantities(self) -> tuple[Quantity, ...]:
        return (
            Quantity("glutamate_drive", "1", "disinhibition drive: the glutamate rise blockade would cause unadapted"),
            Quantity("glutamate_change", "%", "prefrontal glutamate (Glx) change from baseline"),
            Quantity("bdnf_change", "%", "BDNF signalling change from the patient's baseline"),
            Quantity(
                "spine_density_change", "%", "prefrontal dendritic spine density change from the patient's baseline"
            ),
            Quantity("plasticity_window", "1", "capacity for new learning, 1 = healthy baseline"),
        )

    def registry_parameters(self) -> tuple[str, ...]:
        return RATES

    def derived_parameters(self) -> tuple[Quantity, ...]:
        return (
            Quantity("severity", "1", "depression severity, 0 = healthy"),
            Quantity("bdnf_baseline", "1", "untreated BDNF level, 1 = healthy"),
            Quantity("spine_baseline", "1", "untreated spine density, 1 = healthy"),
        )

    def individual(self, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
        severity = severity_levels(pset, patients.count, patients.condition)
        return {"severity": severity, **baseline_levels(pset, severity)}

    def initial(self, m: Math, v: Values) -> dict[str, Value]:
        bdnf, spines = v["bdnf_baseline"], v["spine_baseline"]
        return {
            "glutamate": 0.0 * bdnf,
            "glutamate_adaptation": 0.0 * bdnf,
            "bdnf": bdnf,
            "mtorc1": bdnf,
            "synaptic_protein": bdnf,
            "spine_formation": bdnf,
            "spines": spines,
        }

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        return {
            "glutamate_drive": disinhibition(m, v["nmda_occupancy"], v),
            "glutamate_change": 100.0 * v["glutamate"],
            "bdnf_change": 100.0 * (v["bdnf"] / v["bdnf_baseline"] - 1.0),
            "spine_density_change": 100.0 * (v["spines"] / v["spine_baseline"] - 1.0),
            "plasticity_window": plasticity_window(m, v["spines"], v["spine_formation"], v),
        }

    def rates(self, m: Math, v: Values) -> dict[str, Value]:
        drive = v["glutamate_drive"]
        b0 = v["bdnf_baseline"]
        release = b0 * (
            1.0 + v["bdnf_release_max_fraction"] * m.tanh(v["glutamate"] / v["bdnf_glutamate_scale_fraction"])
        )
        hill = v["synaptic_protein_hill_coefficient"]
        activation = m.power(m.maximum(v["mtorc1"] / b0 - 1.0, 0.0), hill)
        synthesis = b0 * (
            1.0
            + v["synaptic_protein_gain"]
            * activation
            / (activation + m.power(v["synaptic_protein_threshold_fraction"], hill))
        )
        targets = {
            "glutamate": drive * (1.0 - v["glutamate_adaptation"]),
            "glutamate_adaptation": drive / (drive + v["glutamate_adaptation_half_drive_fraction"]),
            "bdnf": release,
            "mtorc1": v["bdnf"],
            "synaptic_protein": synthesis,
            "spine_formation": v["synaptic_protein"],
            "spines": v["spine_baseline"] * (1.0 + v["spine_formation_gain"] * (v["spine_formation"] / b0 - 1.0)),
        }
        return {state: (targets[state] - v[state]) / v[tau] for state, tau in TIME_CONSTANTS.items()}

    def decay(self, m: Math, v: Values) -> dict[str, Value]:
        return {state: 1.0 / v[tau] for state, tau in TIME_CONSTANTS.items()}
