"""Virtual patients: covariates and between-patient variability."""

from ketasim.population.patients import Patients, make_patients

__all__ = ["Patients", "make_patients"]
