"""Oral and sublingual racemic ketamine (Chong 2006; Rolan 2014), also used for arketamine.

Most of an oral dose reaches the blood as norketamine after first-pass metabolism: the first-pass fraction
is set to reproduce Chong 2006's norketamine peak within the mass-balance bound fm (1 - F).
"""

from __future__ import annotations

from ketasim.parameters.kamp2020 import FRACTION_TO_NORKETAMINE
from ketasim.parameters.perez_ruixo2021 import SWALLOWED_ABSORPTION_RATE_PER_H
from ketasim.parameters.references import (
    CHONG2006,
    KETASIM,
    PEREZ_RUIXO2021,
    ROLAN2014,
    SIMONS2022,
    YANAGIHARA2003,
)
from ketasim.parameters.registry import Confidence, Parameter, ParameterSet, make_set

ORAL_BIOAVAILABILITY = 0.23
ORAL_FIRST_PASS_TO_NORKETAMINE = 0.50
SUBLINGUAL_BIOAVAILABILITY = 0.29
SUBLINGUAL_SWALLOWED_FRACTION = 0.6
SUBLINGUAL_ABSORPTION_RATE_PER_H = 2.0
SUBLINGUAL_FIRST_PASS_TO_NORKETAMINE = SUBLINGUAL_SWALLOWED_FRACTION * ORAL_FIRST_PASS_TO_NORKETAMINE

_AS_RACEMIC = " Arketamine: the racemic value (no data on R-ketamine alone)."


def _routes(product: str, extra: str, borrowed: bool) -> list[Parameter]:
    def conf(level: Confidence) -> Confidence:
        return "low" if borrowed else level

    return [
        Parameter(
            f"{product}_oral_bioavailability",
            ORAL_BIOAVAILABILITY,
            "1",
            "chong2006",
            conf("medium"),
            "23 +/- 9 % (6 patients, 25 mg vs 10 mg IV, AUC 0-8 h); reviews give 17-24 %, Yanagihara 2003 about "
            f"20 %.{extra}",
        ),
        Parameter(
            f"{product}_oral_absorption_rate_per_h",
            SWALLOWED_ABSORPTION_RATE_PER_H,
            "1/h",
            "perez_ruixo2021",
            "low",
            "Absorption of swallowed S-ketamine in Perez-Ruixo 2021 (820 subjects; one first-order rate of the "
            "same mean absorption time, 0.96 h), assumed for the racemate; Chong 2006 tmax 0.96 +/- 0.8 h."
            f"{extra}",
        ),
        Parameter(
            f"{product}_oral_first_pass_to_norketamine",
            ORAL_FIRST_PASS_TO_NORKETAMINE,
            "1",
            "chong2006",
            "low",
            "Set so that the norketamine peak after 25 mg oral is near Chong 2006's 82 ng/mL (model: 79); below "
            f"the mass-balance bound fm (1 - F) = {FRACTION_TO_NORKETAMINE:.2f} x 0.77 = "
            f"{FRACTION_TO_NORKETAMINE * (1 - ORAL_BIOAVAILABILITY):.2f}. Consistent with most of an oral dose "
            f"reaching the blood as norketamine (Chong 2006; Simons 2022).{extra}",
        ),
        Parameter(
            f"{product}_sublingual_bioavailability",
            SUBLINGUAL_BIOAVAILABILITY,
            "1",
            "rolan2014",
            conf("medium"),
            "29 % (90 % CI 27-31, 8 volunteers, wafer); Chong 2006 found 32 +/- 17 % in 6 patients; the larger, "
            f"newer and far less variable estimate is preferred.{extra}",
        ),
        Parameter(
            f"{product}_sublingual_absorption_rate_per_h",
            SUBLINGUAL_ABSORPTION_RATE_PER_H,
            "1/h",
            "ketasim",
            "low",
            "Judgement: faster than oral; first plasma ketamine within 5 min, median tmax 0.75 h (Rolan 2014); "
            f"local absorption from an S-ketamine film took about 13 min (Simons 2022).{extra}",
        ),
        Parameter(
            f"{product}_sublingual_first_pass_to_norketamine",
            SUBLINGUAL_FIRST_PASS_TO_NORKETAMINE,
            "1",
            "ketasim",
            "low",
            "Judgement: the swallowed part of a sublingual dose (about 60 %; most of a film is swallowed after "
            "10 min, Simons 2022) behaves like an oral dose: 0.6 x 0.50. Gives a norketamine peak of 68 ng/mL "
            f"after 25 mg (Chong 2006: 66).{extra}",
        ),
    ]


PARAMETERS = [*_routes("ketamine", "", False), *_routes("arketamine", _AS_RACEMIC, True)]

CHONG2006_SET: ParameterSet = make_set(
    "chong2006",
    "Oral and sublingual racemic ketamine (also used for arketamine)",
    [CHONG2006, ROLAN2014, PEREZ_RUIXO2021, SIMONS2022, YANAGIHARA2003, KETASIM],
    PARAMETERS,
)
