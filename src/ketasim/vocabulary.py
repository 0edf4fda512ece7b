"""The words of protocol version 1, each defined once with one spelling: conditions, rating scales, therapies,
routes, covariates, endpoint kinds and the outputs (name, unit and meaning).

Drugs are data (`ketasim.parameters.drugs`); everything else a protocol may name is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

CONDITIONS: tuple[str, ...] = ("trd", "mdd", "ptsd", "gad", "sad", "healthy")
"""Treatment-resistant depression, major depression, PTSD, generalised and social anxiety, healthy volunteers."""

SCALE_RANGES: dict[str, tuple[float, float]] = {
    "madrs": (0.0, 60.0),
    "hamd17": (0.0, 52.0),
    "phq9": (0.0, 27.0),
    "ham_a": (0.0, 56.0),
    "gad7": (0.0, 21.0),
    "caps5": (0.0, 80.0),
    "pcl5": (0.0, 80.0),
}
"""Score range of each rating scale (instrument facts: MADRS 0-60, HAM-D17 0-52, PHQ-9 0-27, HAM-A 0-56, GAD-7
0-21, CAPS-5 0-80, PCL-5 0-80)."""

SCALES: tuple[str, ...] = tuple(SCALE_RANGES)

LATENTS: tuple[str, ...] = ("depression", "worry", "fear")
"""The latent symptom loads the rating scales measure."""

THERAPIES: tuple[str, ...] = ("emdr", "emdr-intensive", "integration", "cbt", "supportive")

ROUTES: tuple[str, ...] = ("iv", "im", "sc", "intranasal", "oral", "sublingual")
INFUSION_ROUTES: tuple[str, ...] = ("iv", "sc")
CLINIC_ROUTES: tuple[str, ...] = ("iv", "im", "sc", "intranasal", "sublingual")
"""Routes by which a dose is given in clinic (a visit); an oral dose is a pill taken at home."""

PLACEBO = "placebo"
"""The inert preparation: it takes any route and no dose."""

COVARIATES: tuple[str, ...] = (
    "weight",
    "age",
    "female",
    "cyp2b6_slow",
    "childhood_neglect",
    "failed_treatments",
    "chronic_stress",
)

ENDPOINT_KINDS: tuple[str, ...] = (
    "response",
    "remission",
    "mean_change",
    "percent_change",
    "time_to_response",
    "time_to_relapse",
    "value",
    "cmax",
    "tmax",
    "auc",
    "time_above",
)
PK_ENDPOINT_KINDS: tuple[str, ...] = ("cmax", "tmax", "auc", "time_above")
"""Endpoint kinds read off a drug concentration's exact course, whatever the protocol observes."""


@dataclass(frozen=True)
class OutputInfo:
    """Unit and plain meaning of one output, and the short title of a plot axis that shows it (with the unit)."""

    unit: str
    meaning: str
    axis: str


OUTPUTS: dict[str, OutputInfo] = {
    "plasma_ketamine": OutputInfo(
        "ng/mL", "plasma concentration of the ketamine given (all enantiomers given)", "plasma ketamine (ng/mL)"
    ),
    "plasma_norketamine": OutputInfo("ng/mL", "plasma norketamine (all enantiomers)", "plasma norketamine (ng/mL)"),
    "nmda_occupancy": OutputInfo(
        "1", "fraction of cortical NMDA receptors blocked", "NMDA receptors blocked (fraction)"
    ),
    "glutamate_change": OutputInfo("%", "prefrontal glutamate (Glx) change from baseline", "glutamate change (%)"),
    "bdnf_change": OutputInfo("%", "BDNF signalling change from the patient's baseline", "BDNF change (%)"),
    "spine_density_change": OutputInfo(
        "%", "prefrontal dendritic spine density change from the patient's baseline", "spine density change (%)"
    ),
    "plasticity_window": OutputInfo(
        "ratio", "capacity for new learning, 1 = healthy baseline", "plasticity window (1 = healthy)"
    ),
    "dmn_connectivity": OutputInfo("Fisher z", "PCC-mPFC functional connectivity", "DMN connectivity (Fisher z)"),
    "dmn_connectivity_change": OutputInfo(
        "Fisher z", "change of PCC-mPFC connectivity from the patient's baseline", "DMN connectivity change (Fisher z)"
    ),
    "rumination": OutputInfo(
        "1",
        "rumination index from within-DMN connectivity: 0 = healthy, 1 = untreated typical treatment-resistant depression",
        "rumination index (1 = untreated TRD)",
    ),
    "dissociation": OutputInfo("CADSS points", "CADSS total (0-92)", "dissociation (CADSS points)"),
    "systolic_bp_change": OutputInfo(
        "mmHg", "systolic blood pressure change from baseline", "systolic BP change (mmHg)"
    ),
    "madrs": OutputInfo("points", "MADRS as a rater would record it", "MADRS (points)"),
    "hamd17": OutputInfo("points", "HAM-D17 as a rater would record it", "HAM-D17 (points)"),
    "phq9": OutputInfo("points", "PHQ-9 as the patient would report it", "PHQ-9 (points)"),
    "ham_a": OutputInfo("points", "HAM-A as a rater would record it", "HAM-A (points)"),
    "gad7": OutputInfo("points", "GAD-7 as the patient would report it", "GAD-7 (points)"),
    "caps5": OutputInfo("points", "CAPS-5 as a rater would record it", "CAPS-5 (points)"),
    "pcl5": OutputInfo("points", "PCL-5 as the patient would report it", "PCL-5 (points)"),
}
"""The output vocabulary: every output a protocol may observe."""

DRUG_LEVEL_OUTPUTS: tuple[str, ...] = tuple(name for name, info in OUTPUTS.items() if info.unit == "ng/mL")
"""The plasma drug concentrations: the outputs of the linear pharmacokinetic stage that PK endpoints read."""

COVARIATE_VARIABLES: dict[str, OutputInfo] = {
    "weight_kg": OutputInfo("kg", "body weight (covariate weight)", "weight (kg)"),
    "age_years": OutputInfo("year", "age (covariate age)", "age (years)"),
    "female": OutputInfo("1", "1 = female, 0 = male; the fraction for a typical patient (covariate female)", "female"),
    "cyp2b6_slow": OutputInfo(
        "1", "1 = slow CYP2B6 metaboliser; the fraction for a typical patient (covariate cyp2b6_slow)", "CYP2B6 slow"
    ),
    "childhood_neglect": OutputInfo(
        "1",
        "1 = childhood emotional neglect; the fraction for a typical patient (covariate childhood_neglect)",
        "childhood neglect",
    ),
    "failed_treatments": OutputInfo(
        "1", "count of earlier treatments that failed (covariate failed_treatments)", "failed treatments"
    ),
    "chronic_stress": OutputInfo("1", "chronic stress, 0 to 1 (covariate chronic_stress)", "chronic stress (0-1)"),
}
"""The covariates as variables of a simulated dataset (one value per arm and patient): unit and meaning."""
