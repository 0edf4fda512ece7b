"""Virtual patients of an arm: covariates drawn from the protocol's population, reproducibly per patient."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketasim.population.presets import COVARIATES, condition_covariates
from ketasim.population.streams import uniforms

STREAM_COVARIATES = 1


@dataclass(frozen=True)
class Patients:
    """Covariates of a batch of patients, one array entry per patient."""

    condition: str
    weight_kg: np.ndarray
    age_years: np.ndarray
    female: np.ndarray
    cyp2b6_slow: np.ndarray
    childhood_neglect: np.ndarray
    failed_treatments: np.ndarray
    chronic_stress: np.ndarray

    @property
    def count(self) -> int:
        """Number of patients."""
        return int(self.weight_kg.shape[0])


def make_patients(population, arm: int, first: int, count: int, seed: int) -> Patients:
    """Draw patients ``first`` .. ``first + count - 1`` of arm ``arm``.

    Parameters
    ----------
    population
        The protocol's `Population` (condition, variability, covariates).
    arm, first, count
        Which patients; the same patient gets the same covariates whatever the chunk.
    seed
        Root seed of the protocol.
    """
    distributions = {**condition_covariates(population.condition), **population.covariates}
    values: dict[str, np.ndarray] = {}
    for name in COVARIATES:
        dist = distributions[name]
        if not population.variability:
            values[name] = np.full(count, float(dist.typical()))
            continue
        u = uniforms(seed, arm, np.arange(first, first + count), STREAM_COVARIATES + COVARIATES.index(name))
        values[name] = dist.quantile(u[:, 0])
    return Patients(
        condition=population.condition,
        weight_kg=values["weight"],
        age_years=values["age"],
        female=values["female"],
        cyp2b6_slow=values["cyp2b6_slow"],
        childhood_neglect=values["childhood_neglect"],
        failed_treatments=values["failed_treatments"],
        chronic_stress=values["chronic_stress"],
    )
