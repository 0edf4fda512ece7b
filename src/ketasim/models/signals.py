"""Which treatment events the symptom model perceives, as on/off signals with their time intervals.

A therapy session is ``session_<therapy>`` while it lasts. A dose given in clinic (intravenous,
intramuscular, subcutaneous, intranasal or sublingual, placebo included) is a ``clinic_visit`` from the
dose time for the infusion or at least ``VISIT_H``; an oral dose is a ``pill`` for ``PILL_H``.
"""

from __future__ import annotations

from ketasim.protocol import ArmEvents
from ketasim.vocabulary import CLINIC_ROUTES

VISIT_H = 1.0
PILL_H = 1.0


def signal_intervals(events: ArmEvents) -> dict[str, list[tuple[float, float]]]:
    """(start, end) hours of every signal of the arm, keyed by signal name."""
    intervals: dict[str, list[tuple[float, float]]] = {}
    for session in events.sessions:
        name = "session_" + session.therapy
        intervals.setdefault(name, []).append((session.start_h, session.start_h + session.duration_h))
    for dose in events.doses:
        if dose.route in CLINIC_ROUTES:
            intervals.setdefault("clinic_visit", []).append((dose.time_h, dose.time_h + max(dose.infusion_h, VISIT_H)))
        else:
            intervals.setdefault("pill", []).append((dose.time_h, dose.time_h + PILL_H))
    return intervals
