"""Virtual trials: simulate a protocol chunk by chunk, analyse it, and write ``summary.json``,
``patients.parquet`` and ``report.html``."""

from ketasim.trial.run import TrialResult, run_trial

__all__ = ["TrialResult", "run_trial"]
