"""Noresketamine, and esketamine's intranasal and oral routes, from the population model of Perez-Ruixo 2021
(820 subjects, 13 studies). Esketamine's own disposition comes from intravenous data (`ketasim.parameters.fanta2015`).

The published model has a hepato-portal compartment (well-stirred liver) between the gut and the central
compartment; ketasim's structure has elimination from the central compartment and a first-pass split of each
extravascular dose instead. The reduction used here:

* clearance = hepatic blood flow × extraction, E = CLint / (Qh + CLint), CLint = Vh (kel + kmet);
* fraction of clearance forming noresketamine = kmet / (kel + kmet);
* a swallowed dose reaches the blood as parent with Fgut (1 − E) and as noresketamine with Fgut E fm;
* the liver compartment's own volume (about 28 L effective, 4 % of Vss) is left out.

Typical values hold for the study's median weight (74 kg) and are expressed per 70 kg with the registry's
allometric exponents (the study found no weight effect; ketasim scales every patient the same way).
The noresketamine volumes and clearances are apparent values (their ratios are the rate constants); they are
also used for racemic S- and R-norketamine, for which no comparable model was found.
"""

from __future__ import annotations

from ketasim.parameters.covariates import to_reference_clearance, to_reference_volume
from ketasim.parameters.molar_masses import KETAMINE_G_PER_MOL, NORKETAMINE_G_PER_MOL
from ketasim.parameters.references import FANTA2015, PEREZ_RUIXO2021, SIMONS2022
from ketasim.parameters.registry import Confidence, Parameter, ParameterSet, make_set

STUDY_MEDIAN_WEIGHT_KG = 74.0

# Table 3 of Perez-Ruixo 2021 (typical values, non-Asian, age <= 60)
HEPATIC_BLOOD_FLOW_L_PER_H, HEPATIC_VOLUME_L = 151.0, 101.0
KEL_PER_H, KMET_PER_H = 1.11, 2.77
NOR_VC_L, NOR_VP_L, NOR_CL_L_PER_H, NOR_Q_L_PER_H = 70.0, 115.0, 38.0, 26.1
NASAL_FRACTION_PER_SPRAY, LATER_SPRAY_FACTOR = 0.54, 0.62
NASAL_ABSORPTION_RATE_PER_H = 2.93
SWALLOWED_LAG_H, SWALLOWED_ABSORPTION_RATE_PER_H_PUBLISHED = 0.53, 1.45
GUT_FRACTION = 0.64

INTRINSIC_CLEARANCE_L_PER_H = HEPATIC_VOLUME_L * (KEL_PER_H + KMET_PER_H)
HEPATIC_EXTRACTION = INTRINSIC_CLEARANCE_L_PER_H / (HEPATIC_BLOOD_FLOW_L_PER_H + INTRINSIC_CLEARANCE_L_PER_H)
FRACTION_TO_NORKETAMINE = KMET_PER_H / (KEL_PER_H + KMET_PER_H)
ORAL_BIOAVAILABILITY = GUT_FRACTION * (1.0 - HEPATIC_EXTRACTION)
ORAL_FIRST_PASS_TO_NORKETAMINE = GUT_FRACTION * HEPATIC_EXTRACTION * FRACTION_TO_NORKETAMINE
# one first-order rate with the same mean absorption time as the published zero-order (0.53 h) then
# first-order (1.45 /h) absorption of swallowed spray: 1 / (0.53/2 + 1/1.45)
SWALLOWED_ABSORPTION_RATE_PER_H = 1.0 / (SWALLOWED_LAG_H / 2.0 + 1.0 / SWALLOWED_ABSORPTION_RATE_PER_H_PUBLISHED)
# the apparent metabolite parameters carry mass in parent-equivalents; ketasim forms metabolite in µmol
MOLAR_MASS_RATIO = NORKETAMINE_G_PER_MOL / KETAMINE_G_PER_MOL


def nasal_fraction(sprays: int) -> float:
    """Fraction of a dose of ``sprays`` 28 mg devices absorbed through the nasal mucosa (later devices × 0.62)."""
    return NASAL_FRACTION_PER_SPRAY * (1.0 + (sprays - 1) * LATER_SPRAY_FACTOR) / sprays


# the clinical doses, 56 mg (2 devices) and 84 mg (3 devices), weighted equally
NASAL_FRACTION = (nasal_fraction(2) + nasal_fraction(3)) / 2.0
SWALLOWED_FRACTION = 1.0 - NASAL_FRACTION
INTRANASAL_BIOAVAILABILITY = NASAL_FRACTION + SWALLOWED_FRACTION * ORAL_BIOAVAILABILITY
INTRANASAL_FIRST_PASS_TO_NORKETAMINE = SWALLOWED_FRACTION * ORAL_FIRST_PASS_TO_NORKETAMINE


def _v(volume_l: float) -> float:
    return to_reference_volume(volume_l, STUDY_MEDIAN_WEIGHT_KG)


def _cl(clearance_l_per_h: float) -> float:
    return to_reference_clearance(clearance_l_per_h, STUDY_MEDIAN_WEIGHT_KG)


def _esketamine() -> list[Parameter]:
    return [
        Parameter(
            "esketamine_fraction_to_norketamine",
            FRACTION_TO_NORKETAMINE,
            "1",
            "perez_ruixo2021",
            "high",
            "kmet / (kel + kmet) = 2.77 / 3.88: the share of hepatic elimination forming noresketamine.",
        ),
    ]


_APPARENT = (
    "Apparent value (no IV metabolite data): published value x 223.70/237.73 because the model carries metabolite "
    "mass in esketamine-mg and ketasim forms it in µmol; per 70 kg. Coded literally these parameters reproduce the "
    "published noresketamine Cmax but over-predict its AUC by 1.4-1.6x (nlmixr2lib errata)."
)


def _metabolite(prefix: str, extra: str, confidence: Confidence) -> list[Parameter]:
    return [
        Parameter(
            f"{prefix}_central_volume_l",
            _v(NOR_VC_L * MOLAR_MASS_RATIO),
            "L",
            "perez_ruixo2021",
            confidence,
            f"Vcn/F 70.0 L. {_APPARENT}{extra}",
        ),
        Parameter(
            f"{prefix}_peripheral_volume_l",
            _v(NOR_VP_L * MOLAR_MASS_RATIO),
            "L",
            "perez_ruixo2021",
            confidence,
            f"Vpn/F 115 L. {_APPARENT}{extra}",
        ),
        Parameter(
            f"{prefix}_clearance_l_per_h",
            _cl(NOR_CL_L_PER_H * MOLAR_MASS_RATIO),
            "L/h",
            "perez_ruixo2021",
            confidence,
            f"CLn/F 38.0 L/h. {_APPARENT}{extra}",
        ),
        Parameter(
            f"{prefix}_intercompartmental_l_per_h",
            _cl(NOR_Q_L_PER_H * MOLAR_MASS_RATIO),
            "L/h",
            "perez_ruixo2021",
            confidence,
            f"Q3/F 26.1 L/h. {_APPARENT}{extra}",
        ),
    ]


_RACEMIC = " Borrowed for racemic norketamine enantiomers (no comparable model of racemic norketamine was found)."


def _routes() -> list[Parameter]:
    return [
        Parameter(
            "esketamine_intranasal_bioavailability",
            INTRANASAL_BIOAVAILABILITY,
            "1",
            "perez_ruixo2021",
            "high",
            "Total parent bioavailability: nasal fraction + swallowed fraction x oral bioavailability = "
            "0.42 + 0.58 x 0.178 = 0.52 (model: 54 % at 56 mg, 51 % at 84 mg; label 48 %).",
        ),
        Parameter(
            "esketamine_intranasal_swallowed_fraction",
            SWALLOWED_FRACTION,
            "1",
            "perez_ruixo2021",
            "high",
            "Fraction of the dose swallowed and absorbed like an oral dose: 1 - nasal fraction, where 54 % of the "
            "first 28 mg device and 54 x 0.62 % of each later one is absorbed nasally; the mean over the clinical "
            "doses 56 mg (0.437) and 84 mg (0.403). A 28 mg dose (0.54) is under-predicted by about 15 %.",
        ),
        Parameter(
            "esketamine_intranasal_absorption_rate_per_h",
            NASAL_ABSORPTION_RATE_PER_H,
            "1/h",
            "perez_ruixo2021",
            "high",
            "First-order absorption through the nasal mucosa (ka,n 2.93 /h); the swallowed part is absorbed "
            "with the oral rate.",
        ),
        Parameter(
            "esketamine_intranasal_first_pass_to_norketamine",
            INTRANASAL_FIRST_PASS_TO_NORKETAMINE,
            "1",
            "perez_ruixo2021",
            "high",
            "Total first pass to noresketamine, all of it from the swallowed part: swallowed fraction x oral first "
            "pass (0.58 x 0.33).",
        ),
        Parameter(
            "esketamine_oral_bioavailability",
            ORAL_BIOAVAILABILITY,
            "1",
            "perez_ruixo2021",
            "high",
            "Fgut (1 - E) = 0.64 x 0.28 = 0.18 (84 mg oral solution). Fanta 2015 found 8 % in 11 volunteers; "
            "the larger study is preferred.",
        ),
        Parameter(
            "esketamine_oral_absorption_rate_per_h",
            SWALLOWED_ABSORPTION_RATE_PER_H,
            "1/h",
            "perez_ruixo2021",
            "medium",
            "One first-order rate with the mean absorption time (0.96 h) of the published swallowed-spray "
            "absorption (0.53 h zero-order, then 1.45 /h); the oral solution's (0.32 h, then 0.97 /h) is "
            "slower (1.2 h).",
        ),
        Parameter(
            "esketamine_oral_first_pass_to_norketamine",
            ORAL_FIRST_PASS_TO_NORKETAMINE,
            "1",
            "perez_ruixo2021",
            "high",
            "Fgut E fm = 0.64 x 0.72 x 0.71 = 0.33: the swallowed dose metabolised to noresketamine on its first "
            "pass through the liver (gut losses, 36 %, are not counted as noresketamine).",
        ),
    ]


PARAMETERS = [
    *_esketamine(),
    *_metabolite("noresketamine", "", "high"),
    *_metabolite("norketamine_s", _RACEMIC, "medium"),
    *_metabolite("norketamine_r", _RACEMIC + " Assumed equal to S.", "low"),
    *_routes(),
]

PEREZ_RUIXO2021_SET: ParameterSet = make_set(
    "perez_ruixo2021",
    "Esketamine, noresketamine (and racemic norketamine) disposition; esketamine intranasal and oral routes",
    [PEREZ_RUIXO2021, SIMONS2022, FANTA2015],
    PARAMETERS,
)
