"""Intramuscular, subcutaneous and intranasal racemic ketamine and arketamine; parenteral and sublingual esketamine.

Intranasal doses follow the structure of Perez-Ruixo 2021 for every product: a fraction is absorbed through
the nasal mucosa, the rest is swallowed and absorbed like an oral dose of that product. The totals
(bioavailability, first pass to norketamine) include the swallowed part; ``*_intranasal_swallowed_fraction``
says how much goes the oral way, so the nasal part is bioavailability − swallowed × oral bioavailability.
"""

from __future__ import annotations

from ketasim.parameters import chong2006, perez_ruixo2021
from ketasim.parameters.references import (
    CLEMENTS1982,
    KETASIM,
    PEREZ_RUIXO2021,
    PHARMACOTHERAPY2022,
    SIMONS2022,
    YANAGIHARA2003,
)
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

INTRAMUSCULAR_BIOAVAILABILITY = 0.93
INTRAMUSCULAR_ABSORPTION_RATE_PER_H = 3.0
SUBCUTANEOUS_ABSORPTION_RATE_PER_H = 2.0
ESKETAMINE_SUBLINGUAL_BIOAVAILABILITY = 0.26


def _parenteral(product: str, extra: str) -> list[Parameter]:
    return [
        Parameter(
            f"{product}_im_bioavailability",
            INTRAMUSCULAR_BIOAVAILABILITY,
            "1",
            "clements1982",
            "medium" if product == "ketamine" else "low",
            f"93 % for racemic intramuscular ketamine (Clements 1982, via reviews).{extra}",
        ),
        Parameter(
            f"{product}_im_absorption_rate_per_h",
            INTRAMUSCULAR_ABSORPTION_RATE_PER_H,
            "1/h",
            "ketasim",
            "low",
            "Judgement: peak plasma ketamine 5-15 min after an intramuscular dose (reviews); 3 /h gives a "
            f"model tmax of about 10 min.{extra}",
        ),
        Parameter(
            f"{product}_sc_bioavailability",
            INTRAMUSCULAR_BIOAVAILABILITY,
            "1",
            "ketasim",
            "low",
            "Judgement: no human subcutaneous ketamine bioavailability was found; taken equal to intramuscular "
            "(small lipophilic bases are nearly completely absorbed subcutaneously, e.g. midazolam 0.96, "
            f"PMC1874433).{extra}",
        ),
        Parameter(
            f"{product}_sc_absorption_rate_per_h",
            SUBCUTANEOUS_ABSORPTION_RATE_PER_H,
            "1/h",
            "ketasim",
            "low",
            "Judgement: somewhat slower than intramuscular (subcutaneous midazolam tmax 0.5 h, PMC1874433); "
            f"model tmax about 15 min.{extra}",
        ),
    ]


def _racemic_intranasal(product: str, extra: str) -> list[Parameter]:
    swallowed = perez_ruixo2021.SWALLOWED_FRACTION
    nasal = perez_ruixo2021.NASAL_FRACTION
    conflict = (
        "Racemic studies conflict: Yanagihara 2003 45 % (3 volunteers); Pharmacotherapy 2022 11-17 % by AUC "
        "(7-10 per dose), which its own peaks contradict (60.8 ng/mL 14 min after 30 mg imply about 45-50 % "
        "in this model, whose IV 10 mg AUC matches that study's 113 ng h/mL). The nasal absorption of the "
        "S-enantiomer measured in 820 subjects (Perez-Ruixo 2021) is used: the enantiomers share their "
        "physicochemistry."
    )
    return [
        Parameter(
            f"{product}_intranasal_bioavailability",
            nasal + swallowed * chong2006.ORAL_BIOAVAILABILITY,
            "1",
            "perez_ruixo2021",
            "low",
            f"Total parent bioavailability: nasal fraction {nasal:.2f} + swallowed {swallowed:.2f} x racemic oral "
            f"0.23. {conflict}{extra}",
        ),
        Parameter(
            f"{product}_intranasal_swallowed_fraction",
            swallowed,
            "1",
            "perez_ruixo2021",
            "low",
            f"As esketamine (Perez-Ruixo 2021, mean of 56 and 84 mg doses); absorbed with the oral parameters.{extra}",
        ),
        Parameter(
            f"{product}_intranasal_absorption_rate_per_h",
            perez_ruixo2021.NASAL_ABSORPTION_RATE_PER_H,
            "1/h",
            "perez_ruixo2021",
            "low",
            f"Nasal mucosa absorption as for esketamine (2.93 /h); tmax 14-23 min in Pharmacotherapy 2022.{extra}",
        ),
        Parameter(
            f"{product}_intranasal_first_pass_to_norketamine",
            swallowed * chong2006.ORAL_FIRST_PASS_TO_NORKETAMINE,
            "1",
            "perez_ruixo2021",
            "low",
            "Total first pass, all from the swallowed part: swallowed fraction x racemic oral first pass (0.50). "
            "Norketamine exceeds ketamine within an hour of a racemic spray (Pharmacotherapy 2022: peak ratio "
            f"1.1-1.35).{extra}",
        ),
    ]


def _esketamine_sublingual() -> list[Parameter]:
    return [
        Parameter(
            "esketamine_sublingual_bioavailability",
            ESKETAMINE_SUBLINGUAL_BIOAVAILABILITY,
            "1",
            "simons2022",
            "medium",
            "26 +/- 1 % from a sublingual or buccal S-ketamine film (20 volunteers).",
        ),
        Parameter(
            "esketamine_sublingual_absorption_rate_per_h",
            chong2006.SUBLINGUAL_ABSORPTION_RATE_PER_H,
            "1/h",
            "ketasim",
            "low",
            "Judgement, as racemic sublingual ketamine.",
        ),
        Parameter(
            "esketamine_sublingual_first_pass_to_norketamine",
            chong2006.SUBLINGUAL_SWALLOWED_FRACTION * perez_ruixo2021.ORAL_FIRST_PASS_TO_NORKETAMINE,
            "1",
            "ketasim",
            "low",
            "Judgement: 60 % of the dose swallowed x esketamine oral first pass (0.33). Simons 2022 reports that "
            "about 80 % of film S-ketamine became S-norketamine overall, so this may be low.",
        ),
    ]


_AS_RACEMIC = " Arketamine: the racemic value (no data on R-ketamine alone)."
_AS_RACEMIC_S = " Esketamine: the racemic value (no esketamine data found)."

PARAMETERS = [
    *_parenteral("ketamine", ""),
    *_racemic_intranasal("ketamine", ""),
    *_parenteral("arketamine", _AS_RACEMIC),
    *_racemic_intranasal("arketamine", _AS_RACEMIC),
    *_parenteral("esketamine", _AS_RACEMIC_S),
    *_esketamine_sublingual(),
]

ROUTES_SET: ParameterSet = make_set(
    "routes",
    "Intramuscular, subcutaneous and intranasal racemic ketamine and arketamine; esketamine IM, SC, sublingual",
    [CLEMENTS1982, KETASIM, PEREZ_RUIXO2021, PHARMACOTHERAPY2022, SIMONS2022, YANAGIHARA2003],
    PARAMETERS,
)
