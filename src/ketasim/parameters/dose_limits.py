"""Dose limits for protocol checks, as systemic doses (dose in mg/kg × bioavailability of the route).

Above ``{drug}_studied_max_systemic_mg_per_kg`` a protocol gets a warning (outside the studied range);
above ``{drug}_unsafe_systemic_mg_per_kg`` it is refused. The bioavailabilities are the route parameters of
each drug (``{drug}_{route}_bioavailability``; intravenous is 1).
"""

from __future__ import annotations

from ketasim.parameters import perez_ruixo2021
from ketasim.parameters.covariates import REFERENCE_WEIGHT_KG
from ketasim.parameters.references import (
    FAVA2020,
    HEIZMANN1983,
    KETASIM,
    LEXAPRO_LABEL,
    PELTONIEMI2016,
    PEREZ_RUIXO2021,
    ZANOS2018,
)
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

UNIT = "mg/kg"
RACEMIC_UNSAFE_MG_PER_KG = 2.0
ESKETAMINE_LARGEST_STUDIED_SPRAY_MG = 112.0

PARAMETERS = [
    Parameter(
        "ketamine_studied_max_systemic_mg_per_kg",
        1.0,
        UNIT,
        "fava2020",
        "high",
        "Largest intravenous dose in depression trials: 1.0 mg/kg over 40 min (dose-finding trial, 0.1-1.0 mg/kg).",
    ),
    Parameter(
        "ketamine_unsafe_systemic_mg_per_kg",
        RACEMIC_UNSAFE_MG_PER_KG,
        UNIT,
        "zanos2018",
        "medium",
        "Anaesthetic range: general anaesthesia with 1-2 mg/kg IV (plasma 1200-2400 ng/mL). Refused from the "
        "upper end, 2 mg/kg, so that doses between the largest psychiatric dose and a full induction dose only "
        "warn.",
    ),
    Parameter(
        "esketamine_studied_max_systemic_mg_per_kg",
        ESKETAMINE_LARGEST_STUDIED_SPRAY_MG * perez_ruixo2021.INTRANASAL_BIOAVAILABILITY / REFERENCE_WEIGHT_KG,
        UNIT,
        "perez_ruixo2021",
        "medium",
        "Largest studied nasal dose, 112 mg (14-112 mg in 13 studies), x intranasal bioavailability 0.52, at 70 kg.",
    ),
    Parameter(
        "esketamine_unsafe_systemic_mg_per_kg",
        RACEMIC_UNSAFE_MG_PER_KG / 2.0,
        UNIT,
        "peltoniemi2016",
        "low",
        "Half the racemic limit: S-ketamine is about twice as potent an anaesthetic as the racemate.",
    ),
    Parameter(
        "arketamine_studied_max_systemic_mg_per_kg",
        1.0,
        UNIT,
        "ketasim",
        "low",
        "Judgement: no dose-finding data for R-ketamine in people; the racemic studied maximum is used.",
    ),
    Parameter(
        "arketamine_unsafe_systemic_mg_per_kg",
        2.0 * RACEMIC_UNSAFE_MG_PER_KG,
        UNIT,
        "peltoniemi2016",
        "low",
        "Twice the racemic limit: R-ketamine is about four times less potent an anaesthetic than S-ketamine, "
        "so R alone needs a larger dose than the racemate for the same depth (conservative factor 2).",
    ),
    Parameter(
        "midazolam_studied_max_systemic_mg_per_kg",
        0.15,
        UNIT,
        "heizmann1983",
        "medium",
        "0.15 mg/kg IV given to healthy volunteers; ketamine trials use 0.02-0.045 mg/kg as an active placebo.",
    ),
    Parameter(
        "midazolam_unsafe_systemic_mg_per_kg",
        0.3,
        UNIT,
        "ketasim",
        "low",
        "Judgement: the range used to induce anaesthesia, where airway support is needed.",
    ),
    Parameter(
        "escitalopram_studied_max_systemic_mg_per_kg",
        0.3,
        UNIT,
        "lexapro_label",
        "medium",
        "The 20 mg/day maximum x 0.8 bioavailability for a light (53 kg) adult.",
    ),
    Parameter(
        "escitalopram_unsafe_systemic_mg_per_kg",
        1.0,
        UNIT,
        "ketasim",
        "low",
        "Judgement: several times the maximum daily dose in one dose (QT prolongation and overdose territory).",
    ),
]

DOSE_LIMITS: ParameterSet = make_set(
    "dose_limits",
    "Studied and unsafe systemic doses per drug, for protocol checks",
    [FAVA2020, ZANOS2018, PEREZ_RUIXO2021, PELTONIEMI2016, HEIZMANN1983, LEXAPRO_LABEL, KETASIM],
    PARAMETERS,
)
