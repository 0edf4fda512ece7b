"""Covariate presets of each condition: who is typically treated in the trials the model reproduces."""

from __future__ import annotations

from ketasim.parameters.registry import Parameter, Reference, make_set
from ketasim.vocabulary import CONDITIONS

REFERENCES = [
    Reference(
        "fryar2021",
        "Fryar CD, Carroll MD, Gu Q, Afful J, Ogden CL. Anthropometric reference data for children and adults: "
        "United States, 2015-2018. Vital Health Stat 3. 2021;(46):1-44 (adult mean weight: men 90.6 kg, women 77.5 kg)",
        "",
    ),
    Reference(
        "trivedi2006",
        "Trivedi MH et al. Evaluation of outcomes with citalopram for depression using measurement-based care in "
        "STAR*D. Am J Psychiatry 2006;163:28-40 (mean age 40.7 years, 63.7 % women)",
        "10.1176/appi.ajp.163.1.28",
    ),
    Reference(
        "murrough2013",
        "Murrough JW et al. Antidepressant efficacy of ketamine in treatment-resistant major depression: a two-site "
        "randomized controlled trial. Am J Psychiatry 2013;170:1134-1142 (mean age about 46 years, about half women)",
        "10.1176/appi.ajp.2013.13030392",
    ),
    Reference(
        "feder2021",
        "Feder A et al. A randomized controlled trial of repeated ketamine administration for chronic posttraumatic "
        "stress disorder. Am J Psychiatry 2021;178:193-202",
        "10.1176/appi.ajp.2020.20050596",
    ),
    Reference(
        "zanger2013",
        "Zanger UM, Klein K. Pharmacogenetics of cytochrome P450 2B6 (CYP2B6): advances on polymorphisms, mechanisms, "
        "and clinical relevance. Front Genet 2013;4:24 (CYP2B6*6 allele frequency about 15-60 % by ancestry)",
        "10.3389/fgene.2013.00024",
    ),
    Reference(
        "stoltenborgh2015",
        "Stoltenborgh M, Bakermans-Kranenburg MJ, Alink LRA, van IJzendoorn MH. The prevalence of child maltreatment "
        "across the globe: review of a series of meta-analyses. Child Abuse Rev 2015;24:37-50 (emotional neglect 18.4 %)",
        "10.1002/car.2353",
    ),
    Reference(
        "nelson2017",
        "Nelson J, Klumparendt A, Doebler P, Ehring T. Childhood maltreatment and characteristics of adult depression: "
        "meta-analysis. Br J Psychiatry 2017;210:96-104 (childhood maltreatment in 46 % of adults with depression)",
        "10.1192/bjp.bp.115.180752",
    ),
    Reference("ketasim", "ketasim modelling judgement, documented in docs/parameters.md", ""),
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
