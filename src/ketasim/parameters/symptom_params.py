"""Parameters of symptoms, psychotherapy, comparators and rating scales (set ``symptoms``).

Every number has a value, a unit, a source and a confidence. Most numbers of the symptom model are modelling
judgements calibrated so the virtual trials of ``data/calibration-targets.yaml`` come out right; their
notes say so and their confidence is "low". The equations that use them are in `ketasim.models.symptoms`,
`ketasim.models.therapy`, `ketasim.models.comparators` and `ketasim.models.scales`; docs/symptoms.md explains them
for a clinician.

Latent states are relative to the patient's own untreated baseline (1 = as at baseline), so "relief" values are
fractions of the baseline symptom load.
"""

from __future__ import annotations

from ketasim.parameters.escitalopram import ESCITALOPRAM
from ketasim.parameters.references import (
    BLEVINS2015,
    FEDER2021,
    FURUKAWA2016,
    GLUE2017,
    GLUE2018,
    GRUTZENDLER2002,
    HAMILTON1959,
    HAMILTON1960,
    HAN2016,
    JOHNSON2016,
    KISHIMOTO2016,
    KROENKE2001,
    LII2023,
    MEYER2004,
    MODA_SAVA2019,
    MONTGOMERY1979,
    MURROUGH2013,
    MURROUGH2013B,
    NADER2000,
    PHOUMTHIPPHAVONG2016,
    POPOVA2019,
    SHAPIRO_EMDR,
    SPITZER2006,
    SYMPTOMS_JUDGEMENT,
    TAYLOR2006,
    TRIVEDI2006,
    VAN_DE_LEEMPUT2014,
    WEATHERS2018,
    WHITEFORD2013,
    WILKINSON2019,
    WILKINSON2021,
)
from ketasim.parameters.registry import Confidence, Parameter, ParameterSet, make_set
from ketasim.vocabulary import LATENTS

REFERENCES = [
    SYMPTOMS_JUDGEMENT,
    VAN_DE_LEEMPUT2014,
    MODA_SAVA2019,
    KISHIMOTO2016,
    HAN2016,
    MURROUGH2013,
    WILKINSON2019,
    LII2023,
    FURUKAWA2016,
    TRIVEDI2006,
    TAYLOR2006,
    MEYER2004,
    POPOVA2019,
    FEDER2021,
    GLUE2017,
    MURROUGH2013B,
    WILKINSON2021,
    NADER2000,
    SHAPIRO_EMDR,
    MONTGOMERY1979,
    HAMILTON1960,
    HAMILTON1959,
    KROENKE2001,
    SPITZER2006,
    WEATHERS2018,
    BLEVINS2015,
    GLUE2018,
    WHITEFORD2013,
    GRUTZENDLER2002,
    PHOUMTHIPPHAVONG2016,
    JOHNSON2016,
]


def _p(
    name: str, value: float, unit: str, source: str, confidence: Confidence, note: str = "", calibrated: bool = False
) -> Parameter:
    return Parameter(name, float(value), unit, source, confidence, note, calibrated)


J = "symptoms_judgement"
CAL = "Calibrated to the trial targets of calibration-targets.yaml (see docs/symptoms.md); low confidence."


def _depression() -> list[Parameter]:
    return [
        _p(
            "depression_time_constant_h",
            3.0,
            "h",
            "kishimoto2016",
            "low",
            "Time the latent depression takes to follow a change in its tilt. Ketamine separates from placebo "
            "from 40 min and peaks at day 1 (Kishimoto 2016), so mood must move within hours.",
            calibrated=True,
        ),
        _p(
            "depression_loop_gain",
            5.0,
            "1",
            "van_de_leemput2014",
            "low",
            "Strength of the self-sustaining loop that makes two stable states (depressed, well): the largest "
            "slope of the feedback term. Above 1 there are two states; 5 gives a hysteresis about 61 % as wide "
            "as the jump between them. Structure from the tipping-point account of mood (van de Leemput 2014).",
        ),
        _p(
            "depression_escape_relief_median",
            0.105,
            "1",
            J,
            "low",
            "Relief (fraction of the baseline load) that tips a patient with no failed treatments out of the "
            "depressed state. " + CAL,
            calibrated=True,
        ),
        _p(
            "depression_escape_log_per_failed_treatment",
            0.15,
            "1/treatment",
            J,
            "low",
            "Each failed adequate treatment raises the escape relief by this log-factor (treatment resistance). " + CAL,
            calibrated=True,
        ),
        _p(
            "depression_escape_log_per_chronic_stress",
            0.3,
            "1",
            J,
            "low",
            "Chronic stress (0-1) raises the escape relief by this log-factor. Judgement.",
        ),
        _p(
            "depression_escape_log_per_trauma_load",
            1.7,
            "1",
            J,
            "low",
            "An unprocessed trauma memory (trauma load 1 in PTSD) raises the escape relief by this log-factor: "
            "trauma keeps mood low. " + CAL,
            calibrated=True,
        ),
        _p(
            "depression_escape_log_sd",
            1.28,
            "1",
            J,
            "low",
            "Between-patient log-normal spread of the escape relief. " + CAL,
            calibrated=True,
        ),
        _p(
            "depression_hysteresis_median",
            0.33,
            "1",
            J,
            "low",
            "Escape relief minus hold relief: how much relief may fade after a switch before the patient falls "
            "back. Also sets the size of the jump between states (jump = hysteresis / 0.606 at loop gain 5). " + CAL,
            calibrated=True,
        ),
        _p(
            "depression_hysteresis_log_per_childhood_neglect",
            0.1,
            "1",
            J,
            "low",
            "A history of childhood emotional neglect narrows the hysteresis by this log-factor (earlier relapse). "
            "Small by default: neglect acts mainly through the fear memory. " + CAL,
            calibrated=True,
        ),
        _p(
            "depression_hysteresis_log_per_chronic_stress",
            0.3,
            "1",
            J,
            "low",
            "Chronic stress (0-1) narrows the hysteresis by this log-factor (earlier relapse).",
        ),
        _p(
            "depression_hysteresis_log_sd",
            0.3,
            "1",
            J,
            "low",
            "Between-patient log-normal spread. " + CAL,
            calibrated=True,
        ),
        _p(
            "depression_escape_hysteresis_correlation",
            0.0,
            "1",
            J,
            "low",
            "Correlation of the escape and hysteresis deviates (none known).",
        ),
        _p(
            "latent_floor_softness",
            0.03,
            "1",
            J,
            "low",
            "Width of the smooth floor that keeps latent symptom loads non-negative (softplus).",
        ),
    ]


def _ketamine_relief() -> list[Parameter]:
    return [
        _p(
            "relief_per_glutamate_fraction",
            0.6,
            "1",
            "moda_sava2019",
            "low",
            "Relief per unit fractional Glx rise: the surge induces the switch before spines form (behaviour "
            "improves before new spines, Moda-Sava 2019). " + CAL,
            calibrated=True,
        ),
        _p(
            "relief_per_rumination_unit",
            0.07,
            "1",
            J,
            "low",
            "Relief per unit fall of the rumination index below the patient's baseline (DMN hyperconnectivity and "
            "rumination tilt mood towards depression). " + CAL,
            calibrated=True,
        ),
        _p(
            "relief_per_window_fraction",
            0.3,
            "1",
            "moda_sava2019",
            "low",
            "Relief per fractional rise of the plasticity window above the patient's baseline: restored synapses "
            "hold the improvement (deleting new spines removes its maintenance, Moda-Sava 2019). " + CAL,
            calibrated=True,
        ),
        _p(
            "ketamine_relief_max",
            0.16,
            "1",
            J,
            "low",
            "Ceiling of the mechanism relief (smooth saturation): serial courses cannot tilt mood without bound. "
            + CAL,
            calibrated=True,
        ),
        _p(
            "total_relief_max",
            0.6,
            "1",
            J,
            "low",
            "Ceiling of the total relief of mood from all influences together (smooth saturation): part of the "
            "symptom load does not yield, so even combined treatments leave residual symptoms. " + CAL,
            calibrated=True,
        ),
        _p(
            "ketamine_sensitivity_log_sd",
            0.7,
            "1",
            J,
            "low",
            "Between-patient log-normal spread of the mechanism relief (some patients barely respond). " + CAL,
            calibrated=True,
        ),
        _p(
            "ketamine_sensitivity_log_per_failed_treatment",
            0.0,
            "1/treatment",
            J,
            "low",
            "Failed treatments lower ketamine sensitivity by this log-factor (ketamine works in TRD; none by "
            "default, resistance acts through the escape relief and the plasticity window).",
        ),
    ]


def _other_relief() -> list[Parameter]:
    return [
        _p(
            "relief_per_acute_expectancy",
            0.36,
            "1",
            "wilkinson2019",
            "low",
            "Relief at full acute expectancy (hope after a treatment visit). Placebo and midazolam arms improve "
            "substantially, midazolam more than saline (Wilkinson 2019); masked ketamine and saline both improved "
            "(Lii 2023). " + CAL,
            calibrated=True,
        ),
        _p(
            "relief_per_conditioned_expectancy",
            0.4,
            "1",
            "furukawa2016",
            "low",
            "Relief at full conditioned expectancy (repeated treatment ritual): placebo response of 35-40 % in "
            "6-8 week pill trials (Furukawa 2016). " + CAL,
            calibrated=True,
        ),
        _p(
            "relief_per_learned_pattern",
            0.35,
            "1",
            "wilkinson2021",
            "low",
            "Relief at full learned adaptive patterns (therapy after ketamine sustained its effect, Wilkinson "
            "2021). Judgement.",
            calibrated=True,
        ),
        _p(
            "relief_per_ssri_adaptation",
            0.04,
            "1",
            "taylor2006",
            "low",
            "Relief at full serotonergic adaptation (autoreceptor desensitisation). Small: the drug-placebo "
            "difference of antidepressants is modest, and most of an SSRI arm's improvement comes from the "
            "conditioned expectancy of the daily pill in the model. " + CAL,
            calibrated=True,
        ),
        _p(
            "relief_per_ssri_plasticity",
            0.02,
            "1",
            "taylor2006",
            "low",
            "Relief at full slow serotonergic BDNF gain. " + CAL,
            calibrated=True,
        ),
        _p(
            "ssri_sensitivity_log_sd",
            0.5,
            "1",
            J,
            "low",
            "Between-patient log-normal spread of the serotonergic relief.",
        ),
        _p(
            "ssri_sensitivity_log_per_failed_treatment",
            0.0,
            "1/treatment",
            J,
            "low",
            "Each failed antidepressant trial would lower the serotonergic relief by this log-factor; none by "
            "default (a newly started antidepressant helped the TRD control arm of TRANSFORM-2). " + CAL,
        ),
        _p(
            "relief_per_fear_reduction",
            0.3,
            "1",
            J,
            "low",
            "Depression relief per unit weakening of the trauma fear memory, scaled by the trauma load of the "
            "condition (trauma keeps mood low).",
        ),
    ]


def _worry() -> list[Parameter]:
    return [
        _p(
            "worry_time_constant_h",
            0.5,
            "h",
            "glue2017",
            "low",
            "Worry follows its drivers within an hour (anxiety fell within 1 h of a ketamine dose, Glue 2017).",
        ),
        _p(
            "worry_relief_per_rumination_unit",
            0.25,
            "1",
            "glue2017",
            "low",
            "Worry relief per unit fall of the rumination index: acute (NMDA blockade) and lasting days (spines); "
            "anxiolysis persisted up to 7 days (Glue 2017). " + CAL,
            calibrated=True,
        ),
        _p(
            "worry_rumination_relief_max",
            0.5,
            "1",
            J,
            "low",
            "Ceiling of the worry relief from a fall of rumination (smooth saturation), as for mood. " + CAL,
            calibrated=True,
        ),
        _p(
            "worry_relief_per_depression_relief",
            0.3,
            "1",
            J,
            "low",
            "Worry relief per unit fall of latent depression (shared negative affect).",
        ),
        _p(
            "worry_relief_per_expectancy",
            0.1,
            "1",
            J,
            "low",
            "Worry relief per unit of mood relief from expectancy (placebo relieves worry as it relieves mood).",
        ),
        _p("worry_relief_per_learned_pattern", 0.35, "1", J, "low", "Worry relief at full learned patterns."),
        _p("worry_relief_per_ssri_adaptation", 0.25, "1", J, "low", "Worry relief at full serotonergic adaptation."),
        _p(
            "worry_relief_per_sedation",
            0.4,
            "1",
            J,
            "low",
            "Acute worry relief at full benzodiazepine sedation (midazolam is anxiolytic while it acts).",
        ),
        _p("worry_relief_per_fear_reduction", 0.3, "1", J, "low", "Worry relief per unit weakening of fear memory."),
        _p("worry_sensitivity_log_sd", 0.4, "1", J, "low", "Between-patient log-normal spread of worry relief."),
    ]


def _learning() -> list[Parameter]:
    rate_note = "Learning per hour of session at a healthy plasticity window (W = 1) without dissociation."
    return [
        _p(
            "fear_update_per_h_emdr",
            0.14,
            "1/h",
            "shapiro_emdr",
            "low",
            rate_note + " A standard course of 8-12 reprocessing sessions weakens the memory by well over half. "
            "Judgement.",
        ),
        _p(
            "fear_update_per_h_emdr-intensive",
            0.14,
            "1/h",
            "shapiro_emdr",
            "low",
            rate_note + " Same per hour as standard EMDR; intensives pack 9 h into 3 days. Judgement.",
        ),
        _p("fear_update_per_h_integration", 0.02, "1/h", J, "low", rate_note + " Integration touches trauma little."),
        _p("fear_update_per_h_cbt", 0.05, "1/h", J, "low", rate_note + " Exposure elements of CBT."),
        _p("fear_update_per_h_supportive", 0.0, "1/h", J, "low", rate_note + " Supportive therapy does not reprocess."),
        _p("learning_per_h_emdr", 0.03, "1/h", J, "low", rate_note + " Adaptive patterns built in EMDR."),
        _p("learning_per_h_emdr-intensive", 0.03, "1/h", J, "low", rate_note),
        _p(
            "learning_per_h_integration",
            0.1,
            "1/h",
            J,
            "low",
            rate_note + " Integration sessions turn the insight of a dosing session into new patterns.",
        ),
        _p(
            "learning_per_h_cbt",
            0.12,
            "1/h",
            "wilkinson2021",
            "low",
            rate_note + " CBT builds adaptive cognitive patterns (Wilkinson 2021).",
        ),
        _p("learning_per_h_supportive", 0.02, "1/h", J, "low", rate_note + " Supportive therapy: little new learning."),
        _p(
            "learning_per_h_everyday",
            0.0001,
            "1/h",
            J,
            "low",
            "Everyday learning while feeling better (per hour, scaled by how far mood is below baseline and by the "
            "window): patients who feel well practise adaptive patterns. Judgement.",
            calibrated=True,
        ),
        _p(
            "fear_update_per_h_everyday",
            0.0002,
            "1/h",
            J,
            "low",
            "Everyday weakening of the fear memory while feeling better (re-engaging with life meets reminders "
            "safely; ketamine speeds fear extinction through mTORC1 in rodents). Per hour, scaled like everyday "
            "learning. Judgement.",
            calibrated=True,
        ),
        _p(
            "learning_window_exponent",
            1.0,
            "1",
            J,
            "low",
            "Acquisition in a session scales as W^exponent (engagement, capacity to form new associations).",
        ),
        _p(
            "labile_trace_time_constant_h",
            112.0,
            "h",
            "phoumthipphavong2016",
            "low",
            "A fresh trace not consolidated fades as new, unstabilised spines do: spines formed after ketamine in "
            "mouse frontal cortex outlast saline for up to 2 weeks (Phoumthipphavong 2016), so 14 d / 3. "
            "Consolidation and reconsolidation need protein synthesis (Nader 2000).",
        ),
        _p(
            "consolidation_rate_per_h",
            0.06,
            "1/h",
            "nader2000",
            "low",
            "Rate at which a labile trace becomes durable at W = 1 (protein-synthesis-dependent consolidation). "
            "Judgement.",
        ),
        _p(
            "consolidation_window_exponent",
            3.0,
            "1",
            J,
            "low",
            "Consolidation scales as W^exponent: the window is the capacity for durable learning, so its effect "
            "on durability is steeper than on acquisition. Judgement.",
        ),
        _p(
            "consolidated_learning_time_constant_h",
            24.0 * 570,
            "h",
            "grutzendler2002",
            "low",
            "Consolidated adaptive patterns last as stabilised spines do: adult cortical spines have a half-life "
            "of more than 13 months (Grutzendler 2002), so 13 x 30.4 d / ln 2 = 570 d. Mouse time scale taken as "
            "is (judgement).",
        ),
        _p(
            "consolidated_fear_update_time_constant_h",
            24.0 * 365,
            "h",
            J,
            "low",
            "A reprocessed (consolidated) fear memory returns only slowly (EMDR gains are durable). Judgement.",
        ),
        _p(
            "fear_strength_per_childhood_neglect",
            0.5,
            "1",
            J,
            "low",
            "Childhood emotional neglect strengthens the fear memory by this fraction: reprocessing is slower "
            "and the return of fear faster by the same factor. Judgement.",
        ),
        _p(
            "dissociation_gate_half_cadss",
            15.0,
            "CADSS points",
            J,
            "low",
            "Dissociation at which a session's learning is halved: heavy dissociation during a session blocks "
            "reprocessing, moderate dissociation reduces engagement. Judgement.",
        ),
        _p("dissociation_gate_hill", 2.0, "1", J, "low", "Steepness of the dissociation gate. Judgement."),
        _p(
            "ssri_window_gain",
            0.15,
            "1",
            J,
            "low",
            "Rise of the plasticity window available to learning at full serotonergic BDNF gain (chronic SSRIs "
            "reopen plasticity in animals). Judgement.",
        ),
    ]


def _expectancy() -> list[Parameter]:
    return [
        _p(
            "expectancy_acute_build_rate_per_h",
            0.15,
            "1/h",
            "wilkinson2019",
            "low",
            "Rate at which acute expectancy approaches its ceiling during a clinic visit (contact weight 1). " + CAL,
            calibrated=True,
        ),
        _p("expectancy_acute_weight_session", 0.3, "1", J, "low", "Acute-contact weight of a therapy session."),
        _p(
            "expectancy_weight_cue",
            5.0,
            "1",
            "wilkinson2019",
            "low",
            "Extra acute-contact weight of a noticeable drug effect (sedation, dissociation): patients who feel "
            "something expect more, which is why midazolam arms respond more than saline arms (Wilkinson 2019). " + CAL,
            calibrated=True,
        ),
        _p(
            "expectancy_acute_time_constant_h",
            120.0,
            "h",
            "kishimoto2016",
            "low",
            "Acute expectancy fades over about 5 days (the effect of a single infusion fades within 7-12 days in "
            "both arms, Kishimoto 2016). " + CAL,
            calibrated=True,
        ),
        _p(
            "expectancy_conditioned_build_rate_per_h",
            0.019,
            "1/h",
            "furukawa2016",
            "low",
            "Rate at which conditioned expectancy approaches its ceiling while a pill is taken (contact weight 1). "
            + CAL,
            calibrated=True,
        ),
        _p(
            "expectancy_conditioned_weight_visit",
            4.4,
            "1",
            "furukawa2016",
            "low",
            "Conditioning weight of a clinic visit relative to taking a daily pill for an hour. " + CAL,
            calibrated=True,
        ),
        _p("expectancy_conditioned_weight_session", 0.5, "1", J, "low", "Conditioning weight of a therapy session."),
        _p(
            "expectancy_conditioned_time_constant_h",
            24.0 * 60,
            "h",
            "furukawa2016",
            "low",
            "Conditioned expectancy is built and lost over weeks (placebo response rises by about 3 % per extra "
            "week of a trial, Furukawa 2016). " + CAL,
            calibrated=True,
        ),
        _p("expectancy_ceiling_log_sd", 0.5, "1", J, "low", "Between-patient log-normal spread of the ceiling."),
        _p(
            "expectancy_ceiling_log_per_failed_treatment",
            0.08,
            "1/treatment",
            J,
            "low",
            "Each failed treatment lowers the expectancy ceiling by this log-factor (demoralisation).",
        ),
        _p(
            "dissociation_cue_half_cadss",
            6.0,
            "CADSS points",
            J,
            "low",
            "Dissociation at which ketamine's noticeable effect gives half the full cue. Judgement.",
        ),
    ]


def _comparators() -> list[Parameter]:
    bioavailability = ESCITALOPRAM["escitalopram_oral_bioavailability"]
    clearance = ESCITALOPRAM["escitalopram_clearance_l_per_h"]
    escitalopram_css_10mg = 10.0 * bioavailability * 1000.0 / 24.0 / clearance  # ng/mL, mean steady state
    return [
        _p(
            "midazolam_sedation_half_ng_per_ml",
            50.0,
            "ng/mL",
            J,
            "low",
            "Plasma midazolam at half the full sedation cue. Judgement: 0.045 mg/kg over 40 min reaches tens of "
            "ng/mL, felt as clear sedation.",
        ),
        _p("midazolam_sedation_hill", 2.0, "1", J, "low", "Steepness of the sedation curve. Judgement."),
        _p(
            "sert_half_occupancy_ng_per_ml",
            escitalopram_css_10mg * 0.2 / 0.8,
            "ng/mL",
            "meyer2004",
            "medium",
            "Plasma escitalopram at half SERT occupancy, derived so that the mean steady-state concentration of "
            f"10 mg daily ({escitalopram_css_10mg:.1f} ng/mL with the escitalopram PK set) occupies 80 % "
            "(minimum therapeutic doses occupy about 80 %, Meyer 2004).",
        ),
        _p(
            "ssri_adaptation_time_constant_h",
            24.0 * 12,
            "h",
            "taylor2006",
            "low",
            "Serotonergic adaptation (autoreceptor desensitisation) follows SERT occupancy over weeks; about a "
            "third of the 6-week drug effect is present in week 1 (Taylor 2006). " + CAL,
        ),
        _p(
            "ssri_plasticity_time_constant_h",
            24.0 * 21,
            "h",
            J,
            "low",
            "Slow BDNF gain follows the adaptation with a further delay of weeks (most need 8 or more weeks to "
            "remit, Trivedi 2006). " + CAL,
        ),
    ]


def _scale_weights() -> list[Parameter]:
    # (depression, worry, fear) share of each scale's items
    table = {
        "madrs": ((0.9, 0.1, 0.0), "montgomery1979", "9 of 10 items depressive, 1 (inner tension) anxious"),
        "hamd17": ((0.8, 0.2, 0.0), "hamilton1960", "anxiety psychic, anxiety somatic and hypochondriasis items"),
        "phq9": ((1.0, 0.0, 0.0), "kroenke2001", "9 depressive items"),
        "ham_a": ((0.2, 0.8, 0.0), "hamilton1959", "depressed mood, insomnia and intellectual items of 14"),
        "gad7": ((0.0, 1.0, 0.0), "spitzer2006", "7 anxiety items"),
        "caps5": ((0.35, 0.3, 0.35), "weathers2018", "clusters B+C (7 items) fear, D (7) mood, E (6) arousal"),
        "pcl5": ((0.35, 0.3, 0.35), "blevins2015", "same 20 symptoms as CAPS-5"),
    }
    items = []
    for scale, (weights, source, note) in table.items():
        for latent, w in zip(LATENTS, weights, strict=True):
            items.append(
                _p(
                    f"{scale}_weight_{latent}",
                    w,
                    "1",
                    source,
                    "low",
                    f"Share of the {scale} score carried by latent {latent}, from item content ({note}).",
                )
            )
    return items


def _rater_noise() -> list[Parameter]:
    sd = {"hamd17": 2.5, "phq9": 2.0, "ham_a": 3.0, "gad7": 1.8, "caps5": 5.0, "pcl5": 6.0}
    judged = [
        _p(
            f"{scale}_rater_noise_sd_points",
            value,
            "points",
            J,
            "low",
            "Standard deviation of one rating around the patient's true state (rater disagreement and day-to-day "
            "fluctuation). Judgement: about a tenth of a typical baseline score.",
        )
        for scale, value in sd.items()
    ]
    madrs = _p(
        "madrs_rater_noise_sd_points",
        2.0,
        "points",
        "johnson2016",
        "medium",
        "Standard deviation of one rating around the patient's true state: the standard error of measurement "
        "SD x sqrt(1 - ICC) with test-retest ICC 0.91-0.96 over 24 h in two TRD trials (Johnson 2016) and score "
        "SDs of 6-8 points, so 1.2-2.4 points; 2.0 taken.",
    )
    return [madrs, *judged]


# Baseline score presets: (mean, sd) per condition and scale, with the source of the primary scale.
BASELINE_PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    "trd": {
        "madrs": (34.0, 6.0),
        "hamd17": (24.0, 5.0),
        "phq9": (19.0, 4.0),
        "ham_a": (20.0, 7.0),
        "gad7": (13.0, 5.0),
        "caps5": (20.0, 12.0),
        "pcl5": (28.0, 15.0),
    },
    "mdd": {
        "madrs": (30.0, 6.0),
        "hamd17": (21.8, 5.2),
        "phq9": (17.0, 5.0),
        "ham_a": (17.0, 6.0),
        "gad7": (11.0, 5.0),
        "caps5": (15.0, 10.0),
        "pcl5": (22.0, 14.0),
    },
    "ptsd": {
        "madrs": (27.0, 8.0),
        "hamd17": (20.0, 6.0),
        "phq9": (16.0, 5.0),
        "ham_a": (22.0, 7.0),
        "gad7": (14.0, 4.0),
        "caps5": (42.0, 8.0),
        "pcl5": (50.0, 12.0),
    },
    "gad": {
        "madrs": (18.0, 7.0),
        "hamd17": (14.0, 5.0),
        "phq9": (11.0, 5.0),
        "ham_a": (25.0, 5.0),
        "gad7": (15.0, 4.0),
        "caps5": (12.0, 10.0),
        "pcl5": (20.0, 12.0),
    },
    "sad": {
        "madrs": (15.0, 7.0),
        "hamd17": (11.0, 5.0),
        "phq9": (10.0, 5.0),
        "ham_a": (20.0, 6.0),
        "gad7": (12.0, 5.0),
        "caps5": (10.0, 8.0),
        "pcl5": (16.0, 12.0),
    },
    "healthy": {
        "madrs": (2.0, 2.0),
        "hamd17": (2.0, 2.0),
        "phq9": (2.0, 2.0),
        "ham_a": (2.0, 2.0),
        "gad7": (2.0, 2.0),
        "caps5": (2.0, 3.0),
        "pcl5": (4.0, 5.0),
    },
}
_BASELINE_SOURCES: dict[tuple[str, str], tuple[str, Confidence, str]] = {
    ("mdd", "hamd17"): ("trivedi2006", "medium", "STAR*D level 1 baseline HAM-D17 21.8 +/- 5.2."),
    ("trd", "madrs"): (
        "popova2019",
        "low",
        "Typical of TRD ketamine trials; judgement between about 32 and 37 (TRANSFORM-2 37 +/- 5.6, Popova 2019).",
    ),
    ("ptsd", "caps5"): ("feder2021", "low", "Severe chronic PTSD as in Feder 2021; value a judgement."),
    ("gad", "ham_a"): ("glue2017", "low", "Refractory GAD as in Glue 2017; value a judgement."),
}


def _baselines() -> list[Parameter]:
    items = []
    for condition, scales in BASELINE_PRESETS.items():
        for scale, (mean, sd) in scales.items():
            source, confidence, note = _BASELINE_SOURCES.get(
                (condition, scale),
                (J, "low", "Judgement: typical of patients with this condition in trials."),
            )
            items.append(_p(f"{condition}_baseline_{scale}_mean", mean, "points", source, confidence, note))
            items.append(_p(f"{condition}_baseline_{scale}_sd", sd, "points", source, confidence, note))
    items.append(
        _p(
            "baseline_scale_correlation",
            0.7,
            "1",
            J,
            "low",
            "Correlation of a patient's baseline scores across scales (one common severity factor). Judgement.",
        )
    )
    trauma = {"trd": 0.3, "mdd": 0.2, "ptsd": 1.0, "gad": 0.2, "sad": 0.2, "healthy": 0.0}
    for condition, load in trauma.items():
        items.append(
            _p(
                f"{condition}_trauma_load",
                load,
                "1",
                J,
                "low",
                "How much the trauma fear memory weighs on mood and worry in this condition (1 = PTSD).",
            )
        )
    return items


def _natural_course() -> list[Parameter]:
    return [
        _p(
            "natural_course_relief_mean",
            0.05,
            "1",
            "whiteford2013",
            "low",
            "Mean relief (fraction of the baseline load) the untreated course tends to over weeks. Untreated "
            "depression remits in 23 % of patients within 3 months (Whiteford 2013); trial arms also regress to the "
            "mean. Fitted by `ketasim calibrate`.",
            calibrated=True,
        ),
        _p(
            "natural_course_relief_sd",
            0.3,
            "1",
            "whiteford2013",
            "low",
            "Between-patient SD of that relief: some patients improve on their own, some worsen. Fitted by "
            "`ketasim calibrate` to the published SDs of change and fractions worse.",
            calibrated=True,
        ),
        _p(
            "natural_course_time_constant_h",
            504.0,
            "h",
            "whiteford2013",
            "low",
            "Time constant of the untreated drift: three weeks, so that a quarter of untreated patients can remit "
            "within three months (Whiteford 2013). Judgement from that time course.",
        ),
    ]


def symptoms_set() -> ParameterSet:
    """The ``symptoms`` parameter set: symptoms, therapy, comparators and rating scales."""
    parameters = (
        _depression()
        + _ketamine_relief()
        + _other_relief()
        + _worry()
        + _learning()
        + _expectancy()
        + _comparators()
        + _scale_weights()
        + _rater_noise()
        + _baselines()
        + _natural_course()
    )
    return make_set("symptoms", "Symptoms, psychotherapy, comparators and rating scales", REFERENCES, parameters)


SYMPTOMS: ParameterSet = symptoms_set()
