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
    acquisition         a = Σ_j session_j · rate_j · e + everyday rate · feeling better · W_eff^{n_a}   (per hour)
    consolidation       c = c₀ · W_eff^{n_c}
    labile trace        dT_l/dt = a · (1 − T_l − T_c) − T_l / τ_l − c · T_l
    consolidated trace  dT_c/dt = c · T_l − T_c / τ_c

W_eff is the plasticity window plus the serotonergic comparator's slow plasticity gain; "feeling better" is a
smooth ramp of the relief of depression (1 − x). The fear-memory update is slowed by the patient's fear strength
(stronger after childhood neglect).

References
----------
Nader K, Schafe GE, LeDoux JE (2000) Nature 406:722 (reconsolidation needs protein synthesis).
Shapiro F (2018) EMDR Therapy, 3rd ed., Guilford Press (standard protocol).
Wilkinson ST et al. (2021) Psychother Psychosom (CBT sustains the effect of ketamine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ketasim.models.math import Math, Value, total
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.registry import ParameterSet
from ketasim.vocabulary import THERAPIES

SESSION_SIGNALS: tuple[str, ...] = tuple(f"session_{therapy}" for therapy in THERAPIES)
STATES: tuple[Quantity, ...] = (
    Quantity("fear_update_labile", "1", "labile update of the trauma fear memory"),
    Quantity("fear_update_consolidated", "1", "consolidated update of the trauma fear memory"),
    Quantity("learned_labile", "1", "labile trace of learned adaptive patterns"),
    Quantity("learned_consolidated", "1", "consolidated learned adaptive patterns"),
)
RATES: tuple[str, ...] = (
    *(f"learning_per_h_{t}" for t in THERAPIES),
    *(f"fear_update_per_h_{t}" for t in THERAPIES),
    "learning_per_h_everyday",
    "fear_update_per_h_everyday",
    "learning_window_exponent",
    "labile_trace_time_constant_h",
    "consolidation_rate_per_h",
    "consolidation_window_exponent",
    "consolidated_learning_time_constant_h",
    "consolidated_fear_update_time_constant_h",
    "dissociation_gate_half_cadss",
    "dissociation_gate_hill",
    "ssri_window_gain",
    "latent_floor_softness",
)


def ramp(m: Math, value: Value, softness: Value) -> Value:
    """Smooth ramp, exactly 0 for value ≤ 0 and value − softness for large values (continuous slope)."""
    positive = m.maximum(value, 0.0)
    return positive * positive / (positive + softness)


def trace_rates(
    m: Math,
    labile: Value,
    consolidated: Value,
    acquisition: Value,
    consolidation: Value,
    tau_labile: Value,
    tau_consolidated: Value,
) -> tuple[Value, Value]:
    """d/dt of a labile and a consolidated trace (0-1 together; learning slows as they fill)."""
    room = m.maximum(1.0 - labile - consolidated, 0.0)
    d_labile = acquisition * room - labile / tau_labile - consolidation * labile
    d_consolidated = consolidation * labile - consolidated / tau_consolidated
    return d_labile, d_consolidated


@dataclass(frozen=True)
class Therapy(Stage):
    """Learning in sessions and in everyday life, gated by the plasticity window and by dissociation."""

    name = "therapy"

    def states(self) -> tuple[Quantity, ...]:
        return STATES

    def quantities(self) -> tuple[Quantity, ...]:
        return (
            Quantity("in_session", "1", "1 while any therapy session is in progress"),
            Quantity("effective_window", "1", "plasticity window with the serotonergic comparator's slow gain"),
            Quantity("engagement", "1", "what a session hour achieves relative to a healthy, undissociated brain"),
            Quantity("feeling_better", "1", "smooth ramp of the relief of depression"),
            Quantity("learning_rate", "1/h", "rate of laying down adaptive patterns"),
            Quantity("fear_update_rate", "1/h", "rate of updating the trauma fear memory"),
            Quantity("consolidation_rate", "1/h", "rate at which labile traces become durable"),
            Quantity("learned", "1", "learned adaptive patterns, labile and consolidated"),
            Quantity("fear_reduction", "1", "weakening of the trauma fear memory, labile and consolidated"),
        )

    def registry_parameters(self) -> tuple[str, ...]:
        return RATES

    def derived_parameters(self) -> tuple[Quantity, ...]:
        return (Quantity("fear_strength", "1", "strength of the trauma fear memory, 1 = typical"),)

    def individual(self, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
        neglect = np.asarray(patients.childhood_neglect, dtype=float)
        return {"fear_strength": 1.0 + pset["fear_strength_per_childhood_neglect"] * neglect}

    def initial(self, m: Math, v: Values) -> dict[str, Value]:
        zero = 0.0 * v["fear_strength"]
        return {state.name: zero for state in STATES}

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        exponent = v["learning_window_exponent"]
        out: dict[str, Value] = {
            "in_session": total([v[s] for s in SESSION_SIGNALS]),
            "effective_window": v["plasticity_window"] + v["ssri_window_gain"] * v["ssri_plasticity"],
        }
        window = m.maximum(m.named(out, "effective_window"), 0.0)
        cadss = m.maximum(v["dissociation"], 0.0)
        gate = 1.0 / (1.0 + m.power(cadss / v["dissociation_gate_half_cadss"], v["dissociation_gate_hill"]))
        out["engagement"] = m.power(window, exponent) * gate
        out["feeling_better"] = ramp(m, 1.0 - v["depression"], v["latent_floor_softness"])
        engaged, feeling_better = m.named(out, "engagement"), m.named(out, "feeling_better")
        open_window = m.power(window, exponent)
        learning = total([v[s] * v[f"learning_per_h_{t}"] for s, t in zip(SESSION_SIGNALS, THERAPIES, strict=True)])
        fear = total([v[s] * v[f"fear_update_per_h_{t}"] for s, t in zip(SESSION_SIGNALS, THERAPIES, strict=True)])
        out["learning_rate"] = learning * engaged + v["learning_per_h_everyday"] * feeling_better * open_window
        out["fear_update_rate"] = (fear * engaged + v["fear_update_per_h_everyday"] * feeling_better * open_window) / v[
            "fear_strength"
        ]
        out["consolidation_rate"] = v["consolidation_rate_per_h"] * m.power(window, v["consolidation_window_exponent"])
        out["learned"] = v["learned_labile"] + v["learned_consolidated"]
        out["fear_reduction"] = v["fear_update_labile"] + v["fear_update_consolidated"]
        return out

    def rates(self, m: Math, v: Values) -> dict[str, Value]:
        tau_labile = v["labile_trace_time_constant_h"]
        d_learned_l, d_learned_c = trace_rates(
            m,
            v["learned_labile"],
            v["learned_consolidated"],
            v["learning_rate"],
            v["consolidation_rate"],
            tau_labile,
            v["consolidated_learning_time_constant_h"],
        )
        d_fear_l, d_fear_c = trace_rates(
            m,
            v["fear_update_labile"],
            v["fear_update_consolidated"],
            v["fear_update_rate"],
            v["consolidation_rate"],
            tau_labile,
            v["consolidated_fear_update_time_constant_h"] / v["fear_strength"],
        )
        return {
            "fear_update_labile": d_fear_l,
            "fear_update_consolidated": d_fear_c,
            "learned_labile": d_learned_l,
            "learned_consolidated": d_learned_c,
        }

    def decay(self, m: Math, v: Values) -> dict[str, Value]:
        return {
            "fear_update_labile": 1.0 / v["labile_trace_time_constant_h"],
            "fear_update_consolidated": v["fear_strength"] / v["consolidated_fear_update_time_constant_h"],
            "learned_labile": 1.0 / v["labile_trace_time_constant_h"],
            "learned_consolidated": 1.0 / v["consolidated_learning_time_constant_h"],
        }
