"""Covariates of ketamine pharmacokinetics: body size (allometry), CYP2B6 slow metabolisers and sex, and the
between-patient variability that no covariate explains."""

from __future__ import annotations

from ketasim.parameters.references import ANDERSON_HOLFORD2008, PEREZ_RUIXO2021, RAO2016, SIGTERMANS2009
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

REFERENCE_WEIGHT_KG = 70.0
CLEARANCE_EXPONENT = 0.75
VOLUME_EXPONENT = 1.0


def to_reference_volume(volume_l: float, study_weight_kg: float) -> float:
    """A volume estimated for a typical patient of ``study_weight_kg``, expressed per reference weight."""
    return volume_l * (REFERENCE_WEIGHT_KG / study_weight_kg) ** VOLUME_EXPONENT


def to_reference_clearance(clearance_l_per_h: float, study_weight_kg: float) -> float:
    """A clearance estimated for a typical patient of ``study_weight_kg``, expressed per reference weight."""
    return clearance_l_per_h * (REFERENCE_WEIGHT_KG / study_weight_kg) ** CLEARANCE_EXPONENT


PARAMETERS = [
    Parameter(
        "reference_weight_kg",
        REFERENCE_WEIGHT_KG,
        "kg",
        "anderson_holford2008",
        "high",
        "Weight to which every volume and clearance in the registry refers (the usual allometric standard); "
        "the pooled ketamine analysis (Kamp 2020) also reports its values per 70 kg.",
    ),
    Parameter(
        "allometric_clearance_exponent",
        CLEARANCE_EXPONENT,
        "1",
        "anderson_holford2008",
        "medium",
        "Standard allometric exponent for clearances and inter-compartmental flows (theory-based 3/4 power).",
    ),
    Parameter(
        "allometric_volume_exponent",
        VOLUME_EXPONENT,
        "1",
        "anderson_holford2008",
        "medium",
        "Volumes proportional to body weight (standard allometric convention).",
    ),
    Parameter(
        "cyp2b6_slow_clearance_factor",
        0.8,
        "1",
        "rao2016",
        "low",
        "Multiplier on ketamine clearance for CYP2B6*6/*6 slow metabolisers. Sources conflict: Rao 2016 (30 "
        "volunteers, 10 per genotype, single oral dose) found no significant difference in clearance or "
        "N-demethylation; Li 2015 (chronic pain, subcutaneous infusions) reported lower steady-state "
        "clearance with a gene-dose effect; in vitro, *6/*6 liver microsomes have several-fold lower "
        "intrinsic N-demethylation. Judgement: a modest 20 % reduction, bounded by the larger controlled "
        "in vivo study (Rao 2016), which could not exclude an effect of this size.",
    ),
    Parameter(
        "female_clearance_factor",
        1.2,
        "1",
        "sigtermans2009",
        "medium",
        "Women had 20 % greater elimination clearance of S-ketamine and S-norketamine (10 men, 10 women, "
        "2-h S-ketamine infusion). Applied to S species only, as measured.",
    ),
    Parameter(
        "clearance_log_sd",
        0.229,
        "1",
        "perez_ruixo2021",
        "medium",
        "Between-patient log-normal SD of every clearance of a patient (one factor per patient): hepatic blood "
        "flow varied with CV 23.2 % among 820 subjects (Perez-Ruixo 2021 Table 3), sqrt(ln(1 + 0.232^2)). Fanta "
        "2015 found 13 % for S-ketamine clearance in 11 volunteers; the larger study is preferred. Applied to "
        "the other drugs of the catalogue as a judgement.",
    ),
    Parameter(
        "central_volume_log_sd",
        0.270,
        "1",
        "perez_ruixo2021",
        "medium",
        "Between-patient log-normal SD of every central volume of a patient: esketamine Vc varied with CV "
        "27.5 % (Perez-Ruixo 2021 Table 3), sqrt(ln(1 + 0.275^2)). Applied to the other drugs as a judgement.",
    ),
]

COVARIATES: ParameterSet = make_set(
    "covariates",
    "Covariate effects on ketamine pharmacokinetics: allometric weight scaling, CYP2B6*6/*6, sex, "
    "between-patient variability",
    [ANDERSON_HOLFORD2008, RAO2016, SIGTERMANS2009, PEREZ_RUIXO2021],
    PARAMETERS,
)
