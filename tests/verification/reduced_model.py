"""The cascade, comparators, therapy traces and symptom states written again from docs/model.md and docs/symptoms.md.

Nothing here imports `ketasim.models`: the equations are typed from the documentation (section numbers in the
comments), the parameter values are read from the registry by their documented names, and the system is
integrated by scipy's LSODA at tight tolerances between the edges of the treatment schedule. Upstream inputs the
docs do not define in closed form (NMDA occupancy from the pharmacokinetics, the rumination index from the network
surrogate, CADSS) are functions of time given by the caller; escitalopram's SERT occupancy is computed here from
its one-compartment oral model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from ketasim.parameters import ParameterSet

STATES = (
    "glutamate",
    "adaptation",
    "bdnf",
    "mtorc1",
    "protein",
    "formation",
    "spines",
    "expectancy_acute",
    "expectancy_conditioned",
    "ssri_adaptation",
    "ssri_plasticity",
    "learned_labile",
    "learned_consolidated",
    "fear_labile",
    "fear_consolidated",
    "depression",
    "worry",
    "natural_course",
)
Signal = Callable[[float], float]


@dataclass(frozen=True)
class Patient:
    """The covariates the symptom layer reads (docs/symptoms.md section 8), the condition and the weight."""

    condition: str
    weight_kg: float
    failed_treatments: float
    chronic_stress: float
    childhood_neglect: float


@dataclass(frozen=True)
class Treatments:
    """What the patient perceives and receives, as functions of time (hours).

    ``occupancy``, ``rumination`` and ``dissociation`` are upstream inputs (NMDA occupancy 0-1, rumination index,
    CADSS points); ``visits``, ``pills`` and ``sessions`` are (start, end) intervals, sessions with their therapy;
    ``escitalopram_mg`` lists (time, mg) of oral doses; ``edges`` are the times where an input has a kink or a jump.
    """

    occupancy: Signal
    rumination: Signal
    dissociation: Signal
    visits: Sequence[tuple[float, float]] = ()
    pills: Sequence[tuple[float, float]] = ()
    sessions: Sequence[tuple[float, float, str]] = ()
    escitalopram_mg: Sequence[tuple[float, float]] = ()
    edges: Sequence[float] = ()


def fold_offsets(loop_gain: float) -> tuple[float, float]:
    """(escape fold, hold fold): (h − θ)/a at the two folds of x = h + a σ(β (x − θ)) for aβ/4 = G, found
    numerically (a = 1, θ = 0).

    Along the equilibria h(x) = x − σ(4G x); the folds are its local extrema, where h'(x) = 0. The depressed
    (upper) branch ends at the fold above the threshold, the well (lower) branch at the one below it.
    """
    beta = 4.0 * loop_gain

    def sigma(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-beta * x))

    def slope(x: float) -> float:
        s = sigma(x)
        return 1.0 - beta * s * (1.0 - s)

    right = brentq(slope, 1e-9, 10.0 / beta, xtol=1e-15)
    left = brentq(slope, -10.0 / beta, -1e-9, xtol=1e-15)
    return right - sigma(right), left - sigma(left)


def individual(p: ParameterSet, patient: Patient) -> dict[str, float]:
    """The typical patient's own parameters (all between-patient deviates zero), from docs/symptoms.md 2, 5, 6, 8
    and docs/model.md 2 (severity)."""
    c = patient
    trauma = p[f"{c.condition}_trauma_load"]
    escape = p["depression_escape_relief_median"] * math.exp(
        p["depression_escape_log_per_failed_treatment"] * c.failed_treatments
        + p["depression_escape_log_per_chronic_stress"] * c.chronic_stress
        + p["depression_escape_log_per_trauma_load"] * trauma
    )
    hysteresis = p["depression_hysteresis_median"] * math.exp(
        -p["depression_hysteresis_log_per_childhood_neglect"] * c.childhood_neglect
        - p["depression_hysteresis_log_per_chronic_stress"] * c.chronic_stress
    )
    loop_gain = p["depression_loop_gain"]
    escape_fold, hold_fold = fold_offsets(loop_gain)
    jump = hysteresis / (hold_fold - escape_fold)  # a = hysteresis / 0.606 at G = 5
    threshold = 1.0 - escape - (1.0 + escape_fold) * jump  # θ = 1 − escape − 0.197 a
    steepness = 4.0 * loop_gain / jump
    severity = p[f"typical_severity_{c.condition}"]
    bdnf0 = 1.0 - p["bdnf_deficit_at_max_severity_fraction"] * severity
    spines0 = 1.0 - p["spine_deficit_at_max_severity_fraction"] * severity
    return {
        "jump": jump,
        "threshold": threshold,
        "steepness": steepness,
        "tilt": 1.0 - jump / (1.0 + math.exp(-steepness * (1.0 - threshold))),
        "trauma": trauma,
        "bdnf0": bdnf0,
        "spines0": spines0,
        "window0": spines0 ** p["window_spine_exponent"] * bdnf0 ** p["window_formation_exponent"],
        "ketamine_sensitivity": math.exp(-p["ketamine_sensitivity_log_per_failed_treatment"] * c.failed_treatments),
        "ssri_sensitivity": math.exp(-p["ssri_sensitivity_log_per_failed_treatment"] * c.failed_treatments),
        "expectancy_ceiling": math.exp(-p["expectancy_ceiling_log_per_failed_treatment"] * c.failed_treatments),
        "fear_strength": 1.0 + p["fear_strength_per_childhood_neglect"] * c.childhood_neglect,
        "natural_course_level": p["natural_course_relief_mean"],
    }


def escitalopram_plasma(p: ParameterSet, weight_kg: float, doses: Sequence[tuple[float, float]], t: float) -> float:
    """Plasma escitalopram (ng/mL): one compartment with first-order absorption, doses superposed; the volume and
    clearance per 70 kg scaled to the patient's weight with exponents 1 and 0.75 (docs/parameters.md)."""
    ratio = weight_kg / p["reference_weight_kg"]
    volume = p["escitalopram_volume_l"] * ratio ** p["allometric_volume_exponent"]
    k = p["escitalopram_clearance_l_per_h"] * ratio ** p["allometric_clearance_exponent"] / volume
    ka = p["escitalopram_oral_absorption_rate_per_h"]
    scale = p["escitalopram_oral_bioavailability"] * 1000.0 / volume * ka / (ka - k)
    return sum(mg * scale * (math.exp(-k * (t - at)) - math.exp(-ka * (t - at))) for at, mg in doses if t > at)


def on(intervals: Sequence[tuple[float, float]], t: float) -> float:
    """1 inside any interval [start, end), else 0."""
    return float(any(start <= t < end for start, end in intervals))


def softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class ReducedModel:
    """The right-hand side d(state)/dt of `STATES` for one patient and one treatment plan."""

    def __init__(self, p: ParameterSet, patient: Patient, plan: Treatments, rumination0: float) -> None:
        self.p, self.plan, self.rumination0, self.weight_kg = p, plan, rumination0, patient.weight_kg
        self.i = individual(p, patient)

    def initial(self) -> np.ndarray:
        """Untreated: no surge or adaptation, every level at the patient's baseline, no expectancy or learning."""
        b0, s0 = self.i["bdnf0"], self.i["spines0"]
        values = {"bdnf": b0, "mtorc1": b0, "protein": b0, "formation": b0, "spines": s0, "depression": 1.0}
        values["worry"] = 1.0
        return np.array([values.get(name, 0.0) for name in STATES])

    def window(self, y: np.ndarray) -> float:
        """W = S^{w_S} · F^{w_F} (docs/model.md section 3)."""
        s = dict(zip(STATES, y, strict=True))
        return s["spines"] ** self.p["window_spine_exponent"] * s["formation"] ** self.p["window_formation_exponent"]

    def rates(self, t: float, y: np.ndarray, middle: float) -> np.ndarray:
        """d(state)/dt at time ``t``; the on/off signals are read at ``middle``, inside the piece being solved (they
        switch only at its ends)."""
        p, i, plan = self.p, self.i, self.plan
        s = dict(zip(STATES, y, strict=True))
        b0, s0 = i["bdnf0"], i["spines0"]
        # docs/model.md section 2: the cascade
        o = max(plan.occupancy(t), 0.0)
        n = p["glutamate_hill_coefficient"]
        drive = p["glutamate_surge_max_fraction"] * o**n / (o**n + p["glutamate_half_max_occupancy"] ** n)
        mtor = max(s["mtorc1"] / b0 - 1.0, 0.0) ** p["synaptic_protein_hill_coefficient"]
        threshold = p["synaptic_protein_threshold_fraction"] ** p["synaptic_protein_hill_coefficient"]
        d = {
            "glutamate": (drive * (1.0 - s["adaptation"]) - s["glutamate"]) / p["glutamate_time_constant_h"],
            "adaptation": (drive / (drive + p["glutamate_adaptation_half_drive_fraction"]) - s["adaptation"])
            / p["glutamate_adaptation_time_constant_h"],
            "bdnf": (
                b0
                * (
                    1.0
                    + p["bdnf_release_max_fraction"] * math.tanh(s["glutamate"] / p["bdnf_glutamate_scale_fraction"])
                )
                - s["bdnf"]
            )
            / p["bdnf_time_constant_h"],
            "mtorc1": (s["bdnf"] - s["mtorc1"]) / p["mtorc1_time_constant_h"],
            "protein": (b0 * (1.0 + p["synaptic_protein_gain"] * mtor / (mtor + threshold)) - s["protein"])
            / p["synaptic_protein_time_constant_h"],
            "formation": (s["protein"] - s["formation"]) / p["spine_formation_time_constant_h"],
            "spines": (s0 * (1.0 + p["spine_formation_gain"] * (s["formation"] / b0 - 1.0)) - s["spines"])
            / p["spine_time_constant_h"],
        }
        window = self.window(y)
        # docs/symptoms.md section 6: comparators
        plasma = escitalopram_plasma(p, self.weight_kg, plan.escitalopram_mg, t)
        sert = plasma / (plasma + p["sert_half_occupancy_ng_per_ml"])
        d["ssri_adaptation"] = (sert - s["ssri_adaptation"]) / p["ssri_adaptation_time_constant_h"]
        d["ssri_plasticity"] = (s["ssri_adaptation"] - s["ssri_plasticity"]) / p["ssri_plasticity_time_constant_h"]
        cadss = max(plan.dissociation(t), 0.0)
        felt = cadss / (cadss + p["dissociation_cue_half_cadss"])  # no sedating drug in these plans
        visit, pill = on(plan.visits, middle), on(plan.pills, middle)
        sessions = [(therapy, on([(a, b)], middle)) for a, b, therapy in plan.sessions]
        in_session = sum(active for _, active in sessions)
        ceiling = i["expectancy_ceiling"]
        acute_contact = visit + p["expectancy_acute_weight_session"] * in_session + p["expectancy_weight_cue"] * felt
        conditioning = (
            pill
            + p["expectancy_conditioned_weight_visit"] * visit
            + p["expectancy_conditioned_weight_session"] * in_session
        )
        d["expectancy_acute"] = (
            p["expectancy_acute_build_rate_per_h"] * acute_contact * (ceiling - s["expectancy_acute"])
            - s["expectancy_acute"] / p["expectancy_acute_time_constant_h"]
        )
        d["expectancy_conditioned"] = (
            p["expectancy_conditioned_build_rate_per_h"] * conditioning * (ceiling - s["expectancy_conditioned"])
            - s["expectancy_conditioned"] / p["expectancy_conditioned_time_constant_h"]
        )
        # docs/symptoms.md section 5: sessions as learning events
        effective = max(window + p["ssri_window_gain"] * s["ssri_plasticity"], 0.0)
        open_window = effective ** p["learning_window_exponent"]
        engagement = open_window / (1.0 + (cadss / p["dissociation_gate_half_cadss"]) ** p["dissociation_gate_hill"])
        relief_of_mood = max(1.0 - s["depression"], 0.0)
        softness = p["latent_floor_softness"]
        feeling_better = relief_of_mood**2 / (relief_of_mood + softness)
        learning = sum(active * p[f"learning_per_h_{therapy}"] for therapy, active in sessions) * engagement
        learning += p["learning_per_h_everyday"] * feeling_better * open_window
        fear = sum(active * p[f"fear_update_per_h_{therapy}"] for therapy, active in sessions) * engagement
        fear = (fear + p["fear_update_per_h_everyday"] * feeling_better * open_window) / i["fear_strength"]
        consolidation = p["consolidation_rate_per_h"] * effective ** p["consolidation_window_exponent"]
        for trace, acquisition, tau in (
            ("learned", learning, p["consolidated_learning_time_constant_h"]),
            ("fear", fear, p["consolidated_fear_update_time_constant_h"] / i["fear_strength"]),
        ):
            labile, consolidated = s[f"{trace}_labile"], s[f"{trace}_consolidated"]
            room = max(1.0 - labile - consolidated, 0.0)
            d[f"{trace}_labile"] = (
                acquisition * room - labile / p["labile_trace_time_constant_h"] - consolidation * labile
            )
            d[f"{trace}_consolidated"] = consolidation * labile - consolidated / tau
        learned = s["learned_labile"] + s["learned_consolidated"]
        fear_update = s["fear_labile"] + s["fear_consolidated"]
        # docs/symptoms.md section 3: the relief
        fall = self.rumination0 - plan.rumination(t)
        raw = (
            p["relief_per_glutamate_fraction"] * s["glutamate"]
            + p["relief_per_rumination_unit"] * fall
            + p["relief_per_window_fraction"] * (window / i["window0"] - 1.0)
        )
        rk = p["ketamine_relief_max"]
        expectancy = (
            p["relief_per_acute_expectancy"] * s["expectancy_acute"]
            + p["relief_per_conditioned_expectancy"] * s["expectancy_conditioned"]
        )
        total = (
            rk * math.tanh(i["ketamine_sensitivity"] * raw / rk)
            + expectancy
            + i["ssri_sensitivity"]
            * (
                p["relief_per_ssri_adaptation"] * s["ssri_adaptation"]
                + p["relief_per_ssri_plasticity"] * s["ssri_plasticity"]
            )
            + p["relief_per_learned_pattern"] * learned
            + p["relief_per_fear_reduction"] * i["trauma"] * fear_update
            + s["natural_course"]
        )
        relief = p["total_relief_max"] * math.tanh(total / p["total_relief_max"])
        # section 2: depression with two stable states
        x = s["depression"]
        target = i["tilt"] - relief + i["jump"] * sigmoid(i["steepness"] * (x - i["threshold"]))
        d["depression"] = (softness * softplus(target / softness) - x) / p["depression_time_constant_h"]
        # section 4: worry
        ceiling_w = p["worry_rumination_relief_max"]
        worry_relief = (
            ceiling_w * math.tanh(p["worry_relief_per_rumination_unit"] * fall / ceiling_w)
            + p["worry_relief_per_depression_relief"] * (1.0 - x)
            + p["worry_relief_per_expectancy"] * expectancy
            + p["worry_relief_per_learned_pattern"] * learned
            + p["worry_relief_per_ssri_adaptation"] * i["ssri_sensitivity"] * s["ssri_adaptation"]
            + p["worry_relief_per_fear_reduction"] * i["trauma"] * fear_update
            + s["natural_course"]
        )
        d["worry"] = (softness * softplus((1.0 - worry_relief) / softness) - s["worry"]) / p["worry_time_constant_h"]
        # section 3: the untreated course drifts to the patient's own level
        d["natural_course"] = (i["natural_course_level"] - s["natural_course"]) / p["natural_course_time_constant_h"]
        return np.array([d[name] for name in STATES])

    def solve(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Every state at ``times`` (hours from 0), integrated piece by piece between the plan's edges."""
        plan = self.plan
        edges = [t for start, end in (*plan.visits, *plan.pills) for t in (start, end)]
        edges += [t for start, end, _ in plan.sessions for t in (start, end)]
        edges += [at for at, _ in plan.escitalopram_mg] + list(plan.edges)
        cuts = np.unique([0.0, *(t for t in edges if 0.0 < t < times[-1]), float(times[-1])])
        y = self.initial()
        out = np.empty((len(times), len(STATES)))
        out[times == 0.0] = y
        for start, end in zip(cuts[:-1], cuts[1:], strict=True):
            inside = (times > start) & (times <= end)
            solution = solve_ivp(
                self.rates,
                (start, end),
                y,
                method="LSODA",
                t_eval=np.append(times[inside], end) if not np.any(times[inside] == end) else times[inside],
                rtol=1e-10,
                atol=1e-12,
                args=(0.5 * (start + end),),
            )
            assert solution.success, solution.message
            out[inside] = solution.y[:, : int(inside.sum())].T
            y = solution.y[:, -1]
        return dict(zip(STATES, out.T, strict=True))
