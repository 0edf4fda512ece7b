"""Dense output for plots: the arm's own integration grid, thinned to what a plot needs, whatever `observe` says.

Reports draw drug levels and the mechanism from these times instead of the protocol's observations, so a peak
after every dose shows even when the protocol observes once a week. The times are points of the integration
grid (`ketasim.engine.grid`), so recording there leaves the simulation itself unchanged; after each dose of a
fast-acting drug they are at most `PLOT_SPACING` apart (5 min for 2 h, then 15 min, 1 h from 6 h), 2 h apart
otherwise,
and every dose start and infusion end is one of them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ketasim.engine.grid import TIME_RESOLUTION_H, StepPolicy
from ketasim.simulation.plan import ArmPlan, is_fast

PLOT_SPACING = StepPolicy(
    onset_h=5.0 / 60.0,
    onset_window_h=2.0,
    fine_h=0.25,
    fine_window_h=6.0,
    medium_h=1.0,
    medium_window_h=24.0,
    coarse_h=2.0,
)
"""Longest gap between plot times after a fast-acting dose (5 min to 2 h, 15 min to 6 h, 1 h to 24 h, then 2 h)."""


def plot_index(plan: ArmPlan) -> np.ndarray:
    """Indices of the arm's integration grid points that plots show (increasing, first and last included)."""
    times = plan.grid.times_h
    doses = plan.events.doses
    fast = np.sort([t for d in doses if is_fast(plan.catalogue, d.drug) for t in (d.time_h, d.time_h + d.infusion_h)])
    edges = np.array([t for d in doses for t in (d.time_h, d.time_h + d.infusion_h)])
    keep = [0]
    for i in range(1, times.size):
        t = float(times[i])
        latest = fast[fast <= t + TIME_RESOLUTION_H]
        since = t - latest[-1] if latest.size else np.inf
        is_edge = edges.size > 0 and bool(np.any(np.abs(edges - t) <= TIME_RESOLUTION_H))
        if is_edge or i == times.size - 1 or t - times[keep[-1]] >= PLOT_SPACING.max_step(since) - TIME_RESOLUTION_H:
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def plot_plan(plan: ArmPlan) -> ArmPlan:
    """The same plan recording its outputs at the plot times (`plot_index`) instead of the observations."""
    return replace(plan, grid=replace(plan.grid, observation_index=plot_index(plan)))
