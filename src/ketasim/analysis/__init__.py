"""Analysis of simulated patients: endpoints per patient, estimates with intervals, comparisons, survival."""

from ketasim.analysis.endpoints import PatientValues, arm_values, endpoint_values, failed_patients
from ketasim.analysis.statistics import Comparison, Estimate, compare, estimate
from ketasim.analysis.summary import TrialAnalysis, analyse, endpoint_statistic, endpoint_value, summary_dict

__all__ = [
    "Comparison",
    "Estimate",
    "PatientValues",
    "TrialAnalysis",
    "analyse",
    "arm_values",
    "compare",
    "endpoint_statistic",
    "endpoint_value",
    "endpoint_values",
    "estimate",
    "failed_patients",
    "summary_dict",
]
