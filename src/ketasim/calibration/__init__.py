"""Calibration: single-patient forecasting from a patient's own history (``spec/patient-history.md``)."""

from ketasim.calibration.history import (
    HistoryError,
    IdentifyingDataError,
    PatientFacts,
    PatientHistory,
    Score,
    build_history,
    history_protocol,
    parse_facts,
    read_facts,
    read_history,
)

__all__ = [
    "HistoryError",
    "IdentifyingDataError",
    "PatientFacts",
    "PatientHistory",
    "Score",
    "build_history",
    "history_protocol",
    "parse_facts",
    "read_facts",
    "read_history",
]
