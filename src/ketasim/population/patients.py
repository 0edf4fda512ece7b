"""Virtual patients of an arm: covariates drawn from the protocol's population, reproducibly per patient."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from ketasim.population.streams import uniforms
from ketasim.protocol.presets import condition_covariates
from ketasim.vocabulary import COVARIATES

STREAM_COVARIATES = 1  # streams 1-7: one per covariate
STREAM_VARIABILITY = 100  # streams 100+: between-patient variability, one per named use (see `Patients.normals`)


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
    seed: int = 0
    arm: int = 0
    first: int = 0
    variability: bool = False
    baseline: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Number of patients."""
        return int(self.weight_kg.shape[0])

    @property
    def indices(self) -> np.ndarray:
        """Patient indices within the arm."""
        return np.arange(self.first, self.first + self.count)

    @property
    def clearance_deviate(self) -> np.ndarray:
        """Each patient's standard normal deviate of elimination clearance (0 without variability)."""
        return self.normals("pk_clearance")[:, 0]

    @property
    def central_volume_deviate(self) -> np.ndarray:
        """Each patient's standard normal deviate of central volume (0 without variability)."""
        return self.normals("pk_central_volume")[:, 0]

    def uniforms(self, stream: int, draws: int = 1) -> np.ndarray:
        """(patients, draws) uniforms of this patient batch's own stream ``stream`` (chunking-independent)."""
        return uniforms(self.seed, self.arm, self.indices, stream, draws)

    def normals(self, use: str, draws: int = 1) -> np.ndarray:
        """(patients, draws) standard normal deviates for the named ``use`` (e.g. ``"pk_clearance"``).

        All zeros when the population has no variability, so every patient is the typical patient.
        """
        if not self.variability:
            return np.zeros((self.count, draws))
        stream = STREAM_VARIABILITY + zlib.crc32(use.encode())
        return ndtri(self.uniforms(stream, draws))


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
        seed=seed,
        arm=arm,
        first=first,
        variability=population.variability,
        baseline=dict(population.baseline),
    )
