"""Virtual trials: endpoints per patient, estimates with 95 % intervals, arm comparisons, summaries and files.

`run_trial` simulates a protocol and writes ``summary.json``, ``patients.parquet`` and ``report.html``;
`analyse` computes the same numbers from a dataset already simulated.
"""

from ketasim.trial.endpoints import REMISSION_CUTOFFS, PatientValues, arm_values, endpoint_values, failed_patients
from ketasim.trial.kaplan_meier import KaplanMeier, kaplan_meier, median_interval, median_time
from ketasim.trial.run import TrialResult, run_trial
from ketasim.trial.statistics import Comparison, Estimate, compare, estimate, hedges_g, wilson_interval
from ketasim.trial.summary import TrialAnalysis, analyse, endpoint_value, patient_table, summary_dict

__all__ = [
    "REMISSION_CUTOFFS",
    "Comparison",
    "Estimate",
    "KaplanMeier",
    "PatientValues",
    "TrialAnalysis",
    "TrialResult",
    "analyse",
    "arm_values",
    "compare",
    "endpoint_value",
    "endpoint_values",
    "estimate",
    "failed_patients",
    "hedges_g",
    "kaplan_meier",
    "median_interval",
    "median_time",
    "patient_table",
    "run_trial",
    "summary_dict",
    "wilson_interval",
]
