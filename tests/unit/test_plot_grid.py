"""The dense plot grid: points of the arm's own integration grid, close after every fast dose, whatever `observe` says."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ketasim
from ketasim.engine.grid import StepPolicy
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.plot_grid import PLOT_SPACING, plot_index, plot_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ketamine-vs-escitalopram.yaml"


def test_plot_times_follow_every_infusion_closely() -> None:
    protocol = ketasim.load_protocol(EXAMPLE)
    plan = plan_arm(protocol, 0, StepPolicy())
    index = plot_index(plan)
    times = plan.grid.times_h[index]
    assert index[0] == 0 and index[-1] == plan.grid.times_h.size - 1 and np.all(np.diff(index) > 0)
    doses = plan.events.doses
    assert len(doses) == 12
    for dose in doses:
        for edge in (dose.time_h, dose.time_h + dose.infusion_h):
            assert np.min(np.abs(times - edge)) < 1e-9  # every dose start and infusion end is drawn
        first_hours = times[(times >= dose.time_h) & (times <= dose.time_h + 2.0)]
        assert np.max(np.diff(first_hours)) <= PLOT_SPACING.onset_h + 1e-9
    assert np.max(np.diff(times)) <= PLOT_SPACING.coarse_h + 0.5  # at most one integration step more
    assert times.size < 0.3 * plan.grid.times_h.size  # thinned: the report stays small


def test_the_plot_plan_only_records_elsewhere() -> None:
    protocol = ketasim.load_protocol(EXAMPLE)
    plan = plan_arm(protocol, 0, StepPolicy())
    dense = plot_plan(plan)
    assert np.array_equal(dense.grid.times_h, plan.grid.times_h)  # the same integration: the same numbers
    assert np.array_equal(dense.schedule.boluses, plan.schedule.boluses)
    assert dense.grid.observation_index.size > 20 * plan.grid.observation_index.size
