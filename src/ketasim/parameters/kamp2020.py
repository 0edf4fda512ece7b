"""Disposition of the enantiomers of racemic ketamine, from the pooled analysis of Kamp 2020.

Volumes and flows are per 70 kg. S- and R-ketamine share distribution (Henthorn 2018 found shared S/R
distribution kinetics) and differ in clearance. Arketamine (R-ketamine given alone) uses the ``ketamine_r``
values: no population model of arketamine alone was found.
"""

from __future__ import annotations

from ketasim.parameters.references import DOMINO_OPENTIVA, HENTHORN2018, KAMP2020, PEREZ_RUIXO2021, WANG2019
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

# Kamp 2020 raw-data population model (14 data sets), typical values per 70 kg
RACEMIC_CLEARANCE_L_PER_H = 84.0
CENTRAL_VOLUME_L = 25.0
PERIPHERAL1_VOLUME_L = 56.0
PERIPHERAL2_VOLUME_L = 157.0
INTERCOMPARTMENTAL1_L_PER_H = 161.0
# Domino three-compartment model: Q3 = V1 k13 = 0.063 L/kg x 70 kg x 0.59 /min x 60 min/h
DOMINO_INTERCOMPARTMENTAL2_L_PER_H = 0.063 * 70.0 * 0.59 * 60.0
# Wang 2019: S 18.4 and R 15.8 mL/min/kg after racemic ketamine
S_TO_R_CLEARANCE_RATIO = 18.4 / 15.8
# Perez-Ruixo 2021: kmet / (kel + kmet) = 2.77 / (1.11 + 2.77)
FRACTION_TO_NORKETAMINE = 2.77 / (1.11 + 2.77)


def enantiomer_clearances(racemic_l_per_h: float, s_to_r_ratio: float) -> tuple[float, float]:
    """S and R clearances whose equal-dose AUCs sum to the racemic AUC: 2/CL = 1/CL_S + 1/CL_R."""
    s = racemic_l_per_h * (1.0 + s_to_r_ratio) / 2.0
    return s, s / s_to_r_ratio


S_CLEARANCE_L_PER_H, R_CLEARANCE_L_PER_H = enantiomer_clearances(RACEMIC_CLEARANCE_L_PER_H, S_TO_R_CLEARANCE_RATIO)

_SHARED = "Shared by S and R (Henthorn 2018: shared S/R distribution kinetics); arketamine uses it too."


def _enantiomer(prefix: str, clearance: float, which: str) -> list[Parameter]:
    return [
        Parameter(
            f"{prefix}_central_volume_l",
            CENTRAL_VOLUME_L,
            "L",
            "kamp2020",
            "medium",
            f"Central volume of the Kamp 2020 raw-data model (arterial central compartment). {_SHARED}",
        ),
        Parameter(
            f"{prefix}_peripheral1_volume_l",
            PERIPHERAL1_VOLUME_L,
            "L",
            "kamp2020",
            "medium",
            f"Rapid peripheral volume of the Kamp 2020 raw-data model. {_SHARED}",
        ),
        Parameter(
            f"{prefix}_peripheral2_volume_l",
            PERIPHERAL2_VOLUME_L,
            "L",
            "kamp2020",
            "medium",
            "Slow peripheral volume of the Kamp 2020 raw-data model; Vss 238 L per 70 kg, inside the "
            f"meta-analysis 95 % CI (252 L, 200-304). {_SHARED}",
        ),
        Parameter(
            f"{prefix}_intercompartmental1_l_per_h",
            INTERCOMPARTMENTAL1_L_PER_H,
            "L/h",
            "kamp2020",
            "medium",
            f"Flow to the rapid peripheral compartment, Kamp 2020 raw-data model. {_SHARED}",
        ),
        Parameter(
            f"{prefix}_intercompartmental2_l_per_h",
            DOMINO_INTERCOMPARTMENTAL2_L_PER_H,
            "L/h",
            "domino_opentiva",
            "low",
            "Flow to the slow peripheral compartment from the venous-sampled Domino model (V1 k13 = 156 L/h "
            "per 70 kg; its slow volume, 178 L, matches Kamp's 157 L) instead of Kamp's 79 L/h: Kamp's "
            "central compartment is arterial and its venous delay compartments are not part of the ketasim "
            "structure; with 79 L/h venous concentrations at the end of a 40 min infusion are over-predicted "
            f"by about 40 % (258 vs 185 ng/mL, Zarate 2006 via Zanos 2018). {_SHARED}",
        ),
        Parameter(
            f"{prefix}_clearance_l_per_h",
            clearance,
            "L/h",
            "kamp2020",
            "medium",
            f"{which} clearance: racemic clearance of the Kamp 2020 raw-data model (84 L/h per 70 kg; "
            "meta-analysis 79, 95 % CI 69-90) split by the S/R ratio 18.4/15.8 of Wang 2019 so that "
            "2/CL = 1/CL_S + 1/CL_R (Henthorn 2018 found the same direction: S 1.23 L/min vs R about 1.0).",
        ),
        Parameter(
            f"{prefix}_fraction_to_norketamine",
            FRACTION_TO_NORKETAMINE,
            "1",
            "perez_ruixo2021",
            "medium",
            "Fraction of clearance that forms norketamine: kmet/(kel+kmet) = 2.77/3.88 of Perez-Ruixo 2021 "
            "(S-ketamine, 820 subjects); Simons 2022 reports about 80 % for S-ketamine. Assumed equal for "
            "R-ketamine (no separate estimate found).",
        ),
    ]


PARAMETERS = [
    *_enantiomer("ketamine_s", S_CLEARANCE_L_PER_H, "S-ketamine"),
    *_enantiomer("ketamine_r", R_CLEARANCE_L_PER_H, "R-ketamine"),
]

KAMP2020_SET: ParameterSet = make_set(
    "kamp2020",
    "Racemic ketamine: S- and R-ketamine disposition (Kamp 2020 pooled analysis)",
    [KAMP2020, DOMINO_OPENTIVA, WANG2019, HENTHORN2018, PEREZ_RUIXO2021],
    PARAMETERS,
)
