"""Parameters of the mechanism: NMDA receptor binding, the plasticity cascade and acute effects.

Every number has a value, a unit, a source and a confidence. Where a value is a modelling judgement calibrated to
a target of ``data/calibration-targets.yaml`` the note names the target and the confidence is "low".
The equations that use these numbers are in `ketasim.models.receptors`, `ketasim.models.cascade` and
`ketasim.models.acute`; docs/model.md explains them for a clinician.
"""

from __future__ import annotations

from ketasim.parameters.registry import Confidence, Parameter, ParameterSet, Reference, make_set

REFERENCES = [
    Reference(
        "ebert1997",
        "Ebert B, Mikkelsen S, Thorkildsen C, Borgbjerg FM. Norketamine, the main metabolite of ketamine, is a "
        "non-competitive NMDA receptor antagonist in the rat cortex and spinal cord. Eur J Pharmacol "
        "1997;333:99-104",
        "10.1016/S0014-2999(97)01116-3",
    ),
    Reference(
        "milak2016",
        "Milak MS, Proper CJ, Mulhern ST, et al. A pilot in vivo proton magnetic resonance spectroscopy study of "
        "amino acid neurotransmitter response to ketamine treatment of major depressive disorder. Mol Psychiatry "
        "2016;21:320-327",
        "10.1038/mp.2015.83",
    ),
    Reference(
        "pcc_mrs2021",
        "Ketamine and posterior cingulate metabolites measured by 3T sLASER 1H-MRS before and 193 +/- 4 min after "
        "ketamine in 12 healthy men: no glutamate change. Front Neurosci 2021 (authors not checked here)",
        "10.3389/fnins.2021.609485",
    ),
    Reference(
        "li2010",
        "Li N, Lee B, Liu RJ, et al. mTOR-dependent synapse formation underlies the rapid antidepressant effects "
        "of NMDA antagonists. Science 2010;329:959-964",
        "10.1126/science.1190287",
    ),
    Reference(
        "autry2011",
        "Autry AE, Adachi M, Nosyreva E, et al. NMDA receptor blockade at rest triggers rapid behavioural "
        "antidepressant responses. Nature 2011;475:91",
        "10.1038/nature10130",
    ),
    Reference(
        "moda_sava2019",
        "Moda-Sava RN, Murdock MH, Parekh PK, et al. Sustained rescue of prefrontal circuit dysfunction by "
        "antidepressant-induced spine formation. Science 2019;364:eaat8078",
        "10.1126/science.aat8078",
    ),
    Reference(
        "phoumthipphavong2016",
        "Phoumthipphavong V, Barthas F, Hassett S, Kwan AC. Longitudinal effects of ketamine on dendritic "
        "architecture in vivo in the mouse medial frontal cortex. eNeuro 2016",
        "10.1523/ENEURO.0133-15.2016",
    ),
    Reference(
        "nardou2023",
        "Nardou R, Sawyer E, Song YJ, et al. Psychedelics reopen the social reward learning critical period. "
        "Nature 2023;618:790-798",
        "10.1038/s41586-023-06204-3",
    ),
    Reference(
        "kishimoto2016",
        "Kishimoto T, Chawla JM, Hagi K, et al. Single-dose infusion ketamine and non-ketamine NMDA receptor "
        "antagonists for unipolar and bipolar depression: a meta-analysis of efficacy, safety and time "
        "trajectories. Psychol Med 2016;46:1459-1472",
        "10.1017/S0033291716000064",
    ),
    Reference(
        "evans2018",
        "Evans JW, Szczepanik J, Brutsche N, Park LT, Nugent AC, Zarate CA Jr. Default mode connectivity in major "
        "depressive disorder measured up to 10 days after ketamine administration. Biol Psychiatry 2018;84:582-590",
        "10.1016/j.biopsych.2018.01.027",
    ),
    Reference(
        "fava2020",
        "Fava M, Freeman MP, Flynn M, et al. Double-blind, placebo-controlled, dose-ranging trial of intravenous "
        "ketamine as adjunctive therapy in treatment-resistant depression (TRD). Mol Psychiatry 2020;25:1592-1603",
        "10.1038/s41380-018-0256-5",
    ),
    Reference(
        "holmes2019",
        "Holmes SE, Scheinost D, Finnema SJ, et al. Lower synaptic density is associated with depression severity "
        "and network alterations. Nat Commun 2019;10:1529",
        "10.1038/s41467-019-09562-7",
    ),
    Reference(
        "brunoni2008",
        "Brunoni AR, Lopes M, Fregni F. A systematic review and meta-analysis of clinical studies on major "
        "depression and BDNF levels: implications for the role of neuroplasticity in depression. "
        "Int J Neuropsychopharmacol 2008;11:1169-1180",
        "10.1017/S1461145708009309",
    ),
    Reference(
        "peltoniemi2016",
        "Peltoniemi MA, Hagelberg NM, Olkkola KT, Saari TI. Ketamine: a review of clinical pharmacokinetics and "
        "pharmacodynamics in anesthesia and pain therapy. Clin Pharmacokinet 2016;55:1059-1077",
        "10.1007/s40262-016-0383-6",
    ),
    Reference(
        "olofsen2012",
        "Olofsen E, Noppers I, Niesters M, et al. Estimation of the contribution of norketamine to "
        "ketamine-induced acute pain relief and neurocognitive impairment in healthy volunteers. Anesthesiology "
        "2012;117:353 (DOI not checked here)",
    ),
    Reference(
        "bowdle1998",
        "Bowdle TA, Radant AD, Cowley DS, et al. Psychedelic effects of ketamine in healthy volunteers: "
        "relationship to steady-state plasma concentrations. Anesthesiology 1998;88:82-88",
        "10.1097/00000542-199801000-00015",
    ),
    Reference(
        "luckenbaugh2014",
        "Luckenbaugh DA, Niciu MJ, Ionescu DF, et al. Do the dissociative side effects of ketamine mediate its "
        "antidepressant effects? J Affect Disord 2014;159:56-61",
        "10.1016/j.jad.2014.02.017",
    ),
    Reference(
        "zheng2019",
        "Zheng W et al. Cardiovascular effects of repeated subanaesthetic ketamine infusion in depression "
        "(135 patients, 741 infusions of 0.5 mg/kg over 40 min; largest mean SBP rise 7.4 mmHg at 30-40 min) "
        "(journal and DOI not checked here)",
    ),
    Reference(
        "riva_posse2018",
        "Riva-Posse P, Reiff CM, Edwards JA, et al. Blood pressure safety of subanesthetic ketamine for "
        "depression: a report on 684 infusions. J Affect Disord 2018",
        "10.1016/j.jad.2018.02.025",
    ),
    Reference(
        "szarmach2020",
        "Szarmach J, Cubala WJ, Wlodarczyk A, Galuszko-Wegielnik M. Metabolic risk factors and cardiovascular "
        "safety in ketamine use for treatment resistant depression. Neuropsychiatr Dis Treat 2020;16:2539-2551",
        "10.2147/NDT.S273287",
    ),
    Reference(
        "spravato_label",
        "SPRAVATO (esketamine) nasal spray, US prescribing information, Janssen Pharmaceuticals (section 2: "
        "observe for at least 2 hours until the patient is clinically stable and ready to leave)",
    ),
    Reference(
        "judgement",
        "Modelling judgement of the ketasim developers, recorded with its reasoning in docs/model.md",
    ),
]


def _p(name: str, value: float, unit: str, source: str, confidence: Confidence, note: str) -> Parameter:
    return Parameter(name, value, unit, source, confidence, note)


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
        ),
        _p(
            "synaptic_protein_threshold_fraction",
            0.25,
            "1",
            "fava2020",
            "low",
            "mTORC1 activation (fraction above the patient's basal) giving half the largest synthesis. A threshold "
            "makes 0.1 mg/kg weak and, with the saturation, 0.5 and 1.0 mg/kg alike (Fava 2020 dose finding).",
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
        ),
        _p(
            "spine_time_constant_h",
            84.0,
            "h",
            "kishimoto2016",
            "low",
            "Decay of the extra spines back to the patient's baseline (3.5 days). Chosen so a single dose's spine "
            "gain is mostly gone by day 10-12, when the antidepressant effect of one infusion is lost "
            "(Kishimoto 2016) and DMN connectivity is back at baseline (Evans 2018, target bio-dmn-day10). Mouse "
            "imaging shows gains lasting up to 2 weeks (Phoumthipphavong 2016): a known disagreement.",
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
