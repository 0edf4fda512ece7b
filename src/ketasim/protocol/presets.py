"""Covariate distributions of each condition preset, built from the registry's population parameters."""

from __future__ import annotations

from functools import cache

from ketasim.parameters.population_params import POPULATION
from ketasim.protocol.distributions import Distribution, covariate_distribution
from ketasim.vocabulary import COVARIATES


@cache
def condition_covariates(condition: str) -> dict[str, Distribution]:
    """Distributions of every covariate for ``condition`` when the protocol does not give them."""
    p = POPULATION
    raw = {
        "weight": {"mean": f"{p['population_weight_mean_kg']} kg", "sd": f"{p['population_weight_sd_kg']} kg"},
        "age": {"mean": p[f"{condition}_age_mean_years"], "sd": p["population_age_sd_years"]},
        "female": {"fraction": p[f"{condition}_female_fraction"]},
        "cyp2b6_slow": {"fraction": p["population_cyp2b6_slow_fraction"]},
        "childhood_neglect": {"fraction": p[f"{condition}_childhood_neglect_fraction"]},
        "failed_treatments": p[f"{condition}_failed_treatments_mean"],
        "chronic_stress": p[f"{condition}_chronic_stress"],
    }
    return {name: covariate_distribution(name, raw[name]) for name in COVARIATES}
