"""The explorer's observation grid: fine after each fast-acting dose, coarse elsewhere, bounded in size.

Plots need minutes around an infusion and days over a course. The grid below gives every fast-acting dose
(ketamine products and midazolam) 10-minute samples for 4 hours and hourly ones to 12 hours, and samples the rest
of the course every 6 hours (12 or 24 hours on long courses). Only the first `FINE_DOSES` fast doses and the last
one get the 10-minute window; the others are sampled hourly for 4 hours. Usual courses give a few hundred time
points per output, and daily dosing over 12 weeks stays under 1,500, so a 5,000-patient request fits in memory.
"""

from __future__ import annotations

import numpy as np

from ketasim.protocol import Protocol, arm_events
from ketasim.simulation.plan import is_fast

FINE_STEP_H = 10.0 / 60.0
FINE_SPAN_H = 4.0
HOURLY_SPAN_H = 12.0
FINE_DOSES = 12
COARSE_STEPS_H = ((42 * 24.0, 6.0), (84 * 24.0, 12.0), (float("inf"), 24.0))
"""(longest duration, step): the background step for courses up to 6 weeks, 12 weeks, and longer."""


def fast_dose_times(protocol: Protocol) -> np.ndarray:
    """Sorted unique start times (hours) of the fast-acting doses of every arm."""
    doses = [d for i in range(len(protocol.arms)) for d in arm_events(protocol, i).doses]
    times = [d.time_h for d in doses if is_fast(protocol.catalogue, d.drug)]
    return np.unique(np.asarray(times, dtype=float))


def observation_hours(protocol: Protocol) -> np.ndarray:
    """The explorer's observation times in hours, sorted and unique, within [0, duration]."""
    duration = protocol.duration_h
    step = next(step for longest, step in COARSE_STEPS_H if duration <= longest)
    pieces = [np.arange(0.0, duration + 1e-9, step), np.array([duration])]
    doses = fast_dose_times(protocol)
    fine = set(doses[:FINE_DOSES].tolist()) | set(doses[-1:].tolist())
    for start in doses:
        if start in fine:
            pieces.append(start + np.arange(0.0, FINE_SPAN_H, FINE_STEP_H))
            pieces.append(start + np.arange(FINE_SPAN_H, HOURLY_SPAN_H + 1e-9, 1.0))
        else:
            pieces.append(start + np.arange(0.0, FINE_SPAN_H + 1e-9, 1.0))
    times = np.round(np.concatenate(pieces), 6)
    return np.unique(times[(times >= 0.0) & (times <= duration)])


def observe_entry(protocol: Protocol) -> dict[str, list[str]]:
    """The ``observe`` entry of a protocol mapping that asks for `observation_hours`."""
    return {"every": [f"{t:.6g} h" for t in observation_hours(protocol)]}
