"""Midazolam, the active placebo of ketamine trials: two-compartment disposition and its routes.

Albrecht 1999 fitted three compartments (young adults: V1 7.9 L, CL 0.399 L/min, k12 0.19, k13 0.065,
k21 0.06, k31 0.0083 /min). ketasim's midazolam block has two: the rapid peripheral compartment
(equilibration half-time about 12 min) is lumped into the central one, which keeps concentrations right
over the 40 min infusions of the trials and after, at the cost of the first minutes after a bolus.
"""

from __future__ import annotations

import math

from ketasim.parameters.references import ALBRECHT1999, ALLONEN1981, HEIZMANN1983, KETASIM, WERMELING2006
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

V1_L = 7.9
CLEARANCE_L_PER_MIN = 0.399
K12, K13, K21, K31 = 0.19, 0.065, 0.06, 0.0083  # per min
RAPID_PERIPHERAL_L = V1_L * K12 / K21
SLOW_PERIPHERAL_L = V1_L * K13 / K31
SLOW_FLOW_L_PER_H = V1_L * K13 * 60.0

_ALBRECHT = "Albrecht 1999, age < 65, taken as per 70 kg."

PARAMETERS = [
    Parameter(
        "midazolam_central_volume_l",
        V1_L + RAPID_PERIPHERAL_L,
        "L",
        "albrecht1999",
        "medium",
        f"V1 + rapid peripheral volume (7.9 + 25.0 L) lumped. {_ALBRECHT}",
    ),
    Parameter(
        "midazolam_peripheral_volume_l",
        SLOW_PERIPHERAL_L,
        "L",
        "albrecht1999",
        "medium",
        f"Slow peripheral volume V1 k13/k31; Vss 95 L (1.1-1.4 L/kg in other volunteer studies). {_ALBRECHT}",
    ),
    Parameter(
        "midazolam_clearance_l_per_h",
        CLEARANCE_L_PER_MIN * 60.0,
        "L/h",
        "albrecht1999",
        "medium",
        f"0.399 L/min; Heizmann 1983 19 L/h, a 2.5 mg IV dose with AUC 94 ng h/mL implies 27 L/h. {_ALBRECHT}",
    ),
    Parameter(
        "midazolam_intercompartmental_l_per_h",
        SLOW_FLOW_L_PER_H,
        "L/h",
        "albrecht1999",
        "medium",
        f"Flow to the slow peripheral compartment, V1 k13. {_ALBRECHT}",
    ),
    Parameter(
        "midazolam_im_bioavailability",
        0.934,
        "1",
        "wermeling2006",
        "medium",
        "93.4 % (12 volunteers, 5 mg).",
    ),
    Parameter(
        "midazolam_im_absorption_rate_per_h",
        3.0,
        "1/h",
        "ketasim",
        "low",
        "Judgement: rapid, complete intramuscular absorption (Heizmann 1983); model tmax about 30 min.",
    ),
    Parameter(
        "midazolam_oral_bioavailability",
        0.44,
        "1",
        "allonen1981",
        "medium",
        "44 % (6 volunteers); other small studies 36 % and 31-72 % (Heizmann 1983). Taken with its absorption "
        "rate from the same study.",
    ),
    Parameter(
        "midazolam_oral_absorption_rate_per_h",
        math.log(2.0) / 0.23,
        "1/h",
        "allonen1981",
        "medium",
        "Absorption half-life 0.23 h.",
    ),
    Parameter(
        "midazolam_intranasal_bioavailability",
        0.725,
        "1",
        "wermeling2006",
        "medium",
        "72.5 % (12 volunteers, 5 mg spray); other sprays 68-83 %.",
    ),
    Parameter(
        "midazolam_intranasal_absorption_rate_per_h",
        10.0,
        "1/h",
        "ketasim",
        "low",
        "Judgement from the median tmax of 10 min (Wermeling 2006); model tmax about 13 min.",
    ),
]

MIDAZOLAM: ParameterSet = make_set(
    "midazolam",
    "Midazolam (active placebo): disposition and routes",
    [ALBRECHT1999, ALLONEN1981, HEIZMANN1983, WERMELING2006, KETASIM],
    PARAMETERS,
)
