"""Parameters of the mechanism: NMDA receptor binding, the plasticity cascade and acute effects.

Every number has a value, a unit, a source and a confidence. Where a value is a modelling judgement calibrated to
a target of ``data/calibration-targets.yaml`` the note names the target and the confidence is "low".
The equations that use these numbers are in `ketasim.models.receptors`, `ketasim.models.cascade` and
`ketasim.models.acute`; docs/model.md explains them for a clinician.
"""

from __future__ import annotations

from ketasim.parameters.references import (
    AUTRY2011,
    BOWDLE1998,
    BRUNONI2008,
    EBERT1997,
    EVANS2018,
    FAVA2020,
    HOLMES2019,
    JUDGEMENT,
    KISHIMOTO2016,
    LI2010,
    LUCKENBAUGH2014,
    MILAK2016,
    MODA_SAVA2019,
    NARDOU2023,
    OLOFSEN2012,
    PCC_MRS2021,
    PELTONIEMI2016,
    PHOUMTHIPPHAVONG2016,
    RIVA_POSSE2018,
    SPRAVATO_LABEL,
    SZARMACH2020,
    ZHENG2019,
)
from ketasim.parameters.registry import Confidence, Parameter, ParameterSet, make_set

REFERENCES = [
    EBERT1997,
    MILAK2016,
    PCC_MRS2021,
    LI2010,
    AUTRY2011,
    MODA_SAVA2019,
    PHOUMTHIPPHAVONG2016,
    NARDOU2023,
    KISHIMOTO2016,
    EVANS2018,
    FAVA2020,
    HOLMES2019,
    BRUNONI2008,
    PELTONIEMI2016,
    OLOFSEN2012,
    BOWDLE1998,
    LUCKENBAUGH2014,
    ZHENG2019,
    RIVA_POSSE2018,
    SZARMACH2020,
    SPRAVATO_LABEL,
    JUDGEMENT,
]


def _p(
    name: str, value: float, unit: str, source: str, confidence: Confidence, note: str, calibrated: bool = False
) -> Parameter:
    return Parameter(name, value, unit, source, confidence, note, calibrated)


def _receptors() -> list[Parameter]:
    ki_note = "[3H]MK-801 displacement in rat cortical homogenate; human receptors assumed alike"
    return [
        _p("nmda_ki_s_ketamine_um", 0.3, "uM", "ebert1997", "medium", ki_note),
        _p("nmda_ki_r_ketamine_um", 1.4, "uM", "ebert1997", "medium", ki_note),
        _p("nmda_ki_s_norketamine_um", 1.7, "uM", "ebert1997", "medium", ki_note),
        _p("nmda_ki_r_norketamine_um", 13.0, "uM", "ebert1997", "medium", ki_note),
    ]


def _glutamate() -> list[Parameter]:
    return [
        _p(
            "glutamate_surge_max_fraction",
            1.3,
            "1",
            "milak2016",
            "low",
            "Largest disinhibition drive (fractional Glx rise before adaptation). Calibrated so that 0.5 mg/kg over "
            "40 min peaks at about +38 % (target bio-glx-peak, Milak 2016 37.8 +/- 7.5 %).",
            calibrated=True,
        ),
        _p(
            "glutamate_half_max_occupancy",
            0.25,
            "1",
            "judgement",
            "low",
            "NMDA occupancy giving half the largest disinhibition. Chosen so the drive saturates between the "
            "occupancies of 0.5 and 1.0 mg/kg IV (plateau of Fava 2020) and is small at 0.1 mg/kg.",
        ),
        _p(
            "glutamate_hill_coefficient",
            2.0,
            "1",
            "judgement",
            "low",
            "Steepness of disinhibition versus occupancy (interneurons must be blocked together to release "
            "pyramidal cells); with the half-maximum it sets the dose-response of the whole cascade (Fava 2020).",
        ),
        _p(
            "glutamate_time_constant_h",
            0.15,
            "h",
            "judgement",
            "low",
            "Time for Glx to follow the disinhibition drive (release and glutamate-glutamine cycling, about 9 min). "
            "With the adaptation time constant it places the Glx peak near 26 min (target bio-glx-peak-time).",
        ),
        _p(
            "glutamate_adaptation_time_constant_h",
            0.40,
            "h",
            "milak2016",
            "low",
            "Homeostatic adaptation that ends the surge while the drug is still on board. Calibrated to the Glx "
            "peak at about 26 min (target bio-glx-peak-time) and Glx back at baseline at 3.2 h "
            "(target bio-glx-transient, Front Neurosci 2021).",
            calibrated=True,
        ),
        _p(
            "glutamate_adaptation_half_drive_fraction",
            0.01,
            "1",
            "judgement",
            "low",
            "Disinhibition drive at which adaptation is half complete. Small, so the surge fades almost fully while "
            "norketamine keeps some receptors blocked for hours (target bio-glx-transient).",
        ),
    ]


def _cascade() -> list[Parameter]:
    return [
        _p(
            "bdnf_release_max_fraction",
            0.8,
            "1",
            "judgement",
            "low",
            "Largest fractional rise of BDNF release driven by the glutamate surge (AMPA activation; Li 2010, "
            "Autry 2011). The saturation (tanh) is one source of the dose plateau between 0.5 and 1 mg/kg.",
        ),
        _p(
            "bdnf_glutamate_scale_fraction",
            0.30,
            "1",
            "judgement",
            "low",
            "Glutamate change (fraction) at which BDNF release reaches 76 % (tanh 1) of its largest rise.",
        ),
        _p(
            "bdnf_time_constant_h",
            0.25,
            "h",
            "li2010",
            "low",
            "BDNF release and TrkB signalling follow the surge within minutes (Li 2010: mTOR pathway active within "
            "the first hour).",
        ),
        _p(
            "mtorc1_time_constant_h",
            0.15,
            "h",
            "li2010",
            "low",
            "mTORC1 phosphorylation follows TrkB within minutes and is back by about 2 h after its peak "
            "(Li 2010, rat prefrontal cortex).",
        ),
        _p(
            "synaptic_protein_gain",
            8.0,
            "1",
            "li2010",
            "low",
            "Largest fractional rise of synaptic protein synthesis (PSD-95, GluA1, synapsin; Li 2010) when mTORC1 "
            "is fully activated. Calibrated so spine density is about +15 % at 24 h after 0.5 mg/kg "
            "(target bio-spines-day1).",
            calibrated=True,
        ),
        _p(
            "synaptic_protein_threshold_fraction",
            0.25,
            "1",
            "fava2020",
            "low",
            "mTORC1 activation (fraction above the patient's basal) giving half the largest synthesis. A threshold "
            "makes 0.1 mg/kg weak and, with the saturation, 0.5 and 1.0 mg/kg alike (Fava 2020 dose finding).",
            calibrated=True,
        ),
        _p(
            "synaptic_protein_hill_coefficient",
            3.0,
            "1",
            "judgement",
            "low",
            "Steepness of the synthesis threshold (see synaptic_protein_threshold_fraction).",
        ),
        _p(
            "synaptic_protein_time_constant_h",
            12.0,
            "h",
            "nardou2023",
            "low",
            "Turnover of the induced synaptic proteins; with it the molecular part of the plasticity window lasts "
            "about two days after a dose, as ketamine's reopening of a critical period did in mice (48 h, "
            "Nardou 2023).",
        ),
        _p(
            "spine_formation_time_constant_h",
            10.0,
            "h",
            "moda_sava2019",
            "low",
            "Lag between synaptic proteins and new spines (growth and stabilisation). Calibrated so spine formation "
            "is raised at 12-24 h but not at 3-6 h (Moda-Sava 2019; targets bio-spines-not-yet, bio-spines-day1).",
            calibrated=True,
        ),
        _p(
            "spine_formation_gain",
            2.6,
            "1",
            "moda_sava2019",
            "low",
            "Fractional rise of spine formation per fractional rise of synaptic proteins (formation rate roughly "
            "doubles to triples at 12-24 h in Moda-Sava 2019). Calibrated with synaptic_protein_gain to about +15 % "
            "spines at 24 h (target bio-spines-day1).",
            calibrated=True,
        ),
        _p(
            "spine_time_constant_h",
            112.0,
            "h",
            "phoumthipphavong2016",
            "low",
            "Decay of the extra spines back to the patient's baseline (4.7 days). In vivo imaging of mouse medial "
            "frontal cortex after one dose: spine density stays above saline for up to 2 weeks, through raised "
            "formation (Phoumthipphavong 2016), so about 5 % of the gain is left at 14 days: 14 d / 3. No human "
            "measure exists; mouse time scale taken as is (judgement). Not set from the clinical duration of one "
            "infusion (Kishimoto 2016), which the model predicts.",
        ),
        _p(
            "window_spine_exponent",
            1.0,
            "1",
            "judgement",
            "low",
            "Weight of spine density (structural capacity) in the plasticity window.",
        ),
        _p(
            "window_formation_exponent",
            0.5,
            "1",
            "judgement",
            "low",
            "Weight of spine formation (the capacity to make new connections) in the plasticity window.",
        ),
    ]


def _conditions() -> list[Parameter]:
    severity_note = "Typical severity of the condition on the 0-1 scale that scales the deficits."
    return [
        _p(
            "bdnf_deficit_at_max_severity_fraction",
            0.25,
            "1",
            "brunoni2008",
            "low",
            "Fractional shortfall of basal BDNF at severity 1. Direction from meta-analyses of serum BDNF "
            "(healthy vs depressed SMD 0.91, Brunoni 2008); size a judgement.",
        ),
        _p(
            "spine_deficit_at_max_severity_fraction",
            0.25,
            "1",
            "holmes2019",
            "low",
            "Fractional shortfall of prefrontal spine (synapse) density at severity 1. Direction and link to "
            "severity from SV2A PET (Holmes 2019); size a judgement.",
        ),
        _p("typical_severity_trd", 0.8, "1", "judgement", "low", severity_note),
        _p("typical_severity_mdd", 0.6, "1", "judgement", "low", severity_note),
        _p("typical_severity_ptsd", 0.6, "1", "holmes2019", "low", severity_note + " PTSD shares the deficit."),
        _p("typical_severity_gad", 0.4, "1", "judgement", "low", severity_note),
        _p("typical_severity_sad", 0.4, "1", "judgement", "low", severity_note),
        _p("typical_severity_healthy", 0.0, "1", "judgement", "high", "Healthy people have no deficit."),
    ]


def _acute() -> list[Parameter]:
    return [
        _p(
            "dissociation_potency_s_ketamine",
            1.6,
            "1",
            "peltoniemi2016",
            "medium",
            "Dissociative potency relative to racemic ketamine: S-ketamine is about 4 times R and 2 times the "
            "racemate (Peltoniemi 2016), so S 1.6 and R 0.4 make the racemate 1.",
        ),
        _p(
            "dissociation_potency_r_ketamine",
            0.4,
            "1",
            "peltoniemi2016",
            "medium",
            "See dissociation_potency_s_ketamine.",
        ),
        _p(
            "dissociation_potency_s_norketamine",
            0.0,
            "1",
            "olofsen2012",
            "medium",
            "Norketamine did not contribute to ketamine's cognitive and psychotropic effects (Olofsen 2012).",
        ),
        _p(
            "dissociation_potency_r_norketamine",
            0.0,
            "1",
            "olofsen2012",
            "medium",
            "See dissociation_potency_s_norketamine.",
        ),
        _p(
            "cadss_max_points",
            60.0,
            "CADSS points",
            "judgement",
            "low",
            "Ceiling of the concentration-effect curve (the scale's maximum is 92; anaesthetic-range dissociation "
            "is not the validated range).",
        ),
        _p(
            "cadss_half_max_ng_per_ml",
            350.0,
            "ng/mL",
            "judgement",
            "low",
            "Racemic-equivalent effect-site ketamine giving half the ceiling. With the ceiling and Hill coefficient "
            "it gives about 16 points at the peak of 0.5 mg/kg IV (rated at 40 min, Luckenbaugh 2014) and about 1.4 "
            "points at 2.5 h (target acute-dissociation-resolved).",
        ),
        _p(
            "cadss_hill_coefficient",
            2.0,
            "1",
            "judgement",
            "low",
            "Steepness: CADSS stays near 0 at low concentrations (floor of the scale). Calibrated to target "
            "acute-dissociation-resolved; Bowdle 1998 found psychedelic effects rising steadily from 50 to "
            "200 ng/mL.",
            calibrated=True,
        ),
        _p(
            "sbp_change_mmhg_per_ng_per_ml",
            0.034,
            "mmHg per ng/mL",
            "zheng2019",
            "low",
            "Linear sympathomimetic rise of systolic pressure with racemic-equivalent effect-site ketamine. "
            "Calibrated to +7.4 mmHg at the peak of 0.5 mg/kg over 40 min (Zheng; target acute-sbp-peak); "
            "Riva-Posse 2018 found +3.3 mmHg, Szarmach 2020 back within 1.5 h.",
            calibrated=True,
        ),
        _p(
            "discharge_minimum_observation_h",
            2.0,
            "h",
            "spravato_label",
            "high",
            "Observe for at least 2 hours after each dose (esketamine label).",
        ),
        _p(
            "discharge_cadss_max_points",
            4.0,
            "CADSS points",
            "judgement",
            "low",
            "Dissociation counted as resolved at or under this CADSS total. No validated cut-off exists; a CADSS "
            "cut-off did not discriminate dissociation adverse events well in esketamine trials.",
        ),
        _p(
            "discharge_sbp_change_max_mmhg",
            10.0,
            "mmHg",
            "judgement",
            "low",
            "Blood pressure counted as back at a safe level when the rise from baseline is at most this.",
        ),
        _p(
            "discharge_sbp_change_min_mmhg",
            -20.0,
            "mmHg",
            "judgement",
            "low",
            "Lower end of the blood pressure range for discharge (a fall of more than this holds the patient).",
        ),
    ]


def mechanism_set() -> ParameterSet:
    """The parameter set named ``mechanism``: receptors, cascade, condition deficits and acute effects."""
    return make_set(
        "mechanism",
        "NMDA receptor binding, the plasticity cascade, condition deficits, dissociation, blood pressure and the "
        "discharge rule",
        REFERENCES,
        _receptors() + _glutamate() + _cascade() + _conditions() + _acute(),
    )
