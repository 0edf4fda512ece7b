"""Covariate presets of each condition: who is typically treated in the trials the model reproduces."""

from __future__ import annotations

from ketasim.parameters.references import (
    FEDER2021,
    FRYAR2021,
    KETASIM,
    MURROUGH2013,
    NELSON2017,
    STOLTENBORGH2015,
    TRIVEDI2006,
    ZANGER2013,
)
from ketasim.parameters.registry import Parameter, make_set
from ketasim.vocabulary import CONDITIONS

REFERENCES = [
    FRYAR2021,
    TRIVEDI2006,
    MURROUGH2013,
    FEDER2021,
    ZANGER2013,
    STOLTENBORGH2015,
    NELSON2017,
    KETASIM,
]


_AGE = {
    "trd": (46, "murrough2013"),
    "mdd": (41, "trivedi2006"),
    "ptsd": (40, "feder2021"),
    "gad": (40, "ketasim"),
    "sad": (35, "ketasim"),
    "healthy": (35, "ketasim"),
}
_FEMALE = {
    "trd": (0.5, "murrough2013"),
    "mdd": (0.64, "trivedi2006"),
    "ptsd": (0.6, "feder2021"),
    "gad": (0.65, "ketasim"),
    "sad": (0.5, "ketasim"),
    "healthy": (0.5, "ketasim"),
}
_NEGLECT = {
    "trd": (0.45, "nelson2017"),
    "mdd": (0.4, "nelson2017"),
    "ptsd": (0.5, "ketasim"),
    "gad": (0.35, "ketasim"),
    "sad": (0.35, "ketasim"),
    "healthy": (0.18, "stoltenborgh2015"),
}
_FAILED = {"trd": 3.0, "mdd": 0.0, "ptsd": 1.0, "gad": 1.0, "sad": 1.0, "healthy": 0.0}
_STRESS = {"trd": 0.6, "mdd": 0.5, "ptsd": 0.7, "gad": 0.5, "sad": 0.4, "healthy": 0.2}


def _parameters() -> list[Parameter]:
    items = [
        Parameter(
            "population_weight_mean_kg",
            83.0,
            "kg",
            "fryar2021",
            "medium",
            "adult mean of men and women in the US, 2015-2018, weighted about 55 % women",
        ),
        Parameter("population_weight_sd_kg", 20.0, "kg", "fryar2021", "medium", "spread of adult weight"),
        Parameter("population_age_sd_years", 12.0, "years", "ketasim", "low", "typical spread in trials"),
        Parameter(
            "population_cyp2b6_slow_fraction",
            0.08,
            "1",
            "zanger2013",
            "low",
            "homozygous CYP2B6*6 frequency for an allele frequency of about 0.28 (European ancestry)",
        ),
    ]
    for c in CONDITIONS:
        age, age_source = _AGE[c]
        female, female_source = _FEMALE[c]
        neglect, neglect_source = _NEGLECT[c]
        items += [
            Parameter(f"{c}_age_mean_years", age, "years", age_source, "medium" if age_source != "ketasim" else "low"),
            Parameter(
                f"{c}_female_fraction", female, "1", female_source, "medium" if female_source != "ketasim" else "low"
            ),
            Parameter(
                f"{c}_childhood_neglect_fraction",
                neglect,
                "1",
                neglect_source,
                "low",
                "history of childhood emotional neglect or maltreatment",
            ),
            Parameter(
                f"{c}_failed_treatments_mean",
                _FAILED[c],
                "1",
                "ketasim",
                "low",
                "adequate antidepressant trials failed in this episode (TRD: at least 2 by definition)",
            ),
            Parameter(f"{c}_chronic_stress", _STRESS[c], "1", "ketasim", "low", "chronic stress load on a 0-1 scale"),
        ]
    return items


POPULATION = make_set("population", "Covariate presets of each condition", REFERENCES, _parameters())
