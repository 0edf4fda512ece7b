"""engine/schedule.py: inputs given at times become per-step inputs on the grid."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.schedule import Input, build_schedule

GRID = build_grid(10.0, np.array([0.0, 10.0]), np.array([4.0]), np.array([]), StepPolicy())
START = int(np.searchsorted(GRID.times_h, 4.0))


def test_a_signal_that_outlasts_the_grid_is_on_from_its_start_to_the_end() -> None:
    signals = build_schedule([], 1, GRID, ["session"], {"session": [(4.0, 20.0)]}).signals[:, 0]
    assert signals[:START].sum() == 0.0 and np.all(signals[START:] == 1.0)


def test_an_infusion_that_outlasts_the_grid_gives_its_rate_to_the_end_and_no_more() -> None:
    rates = build_schedule([Input(time_h=4.0, kind=0, amount=12.0, duration_h=12.0)], 1, GRID).infusion_rates[:, 0]
    assert rates[:START].sum() == 0.0 and np.all(rates[START:] == pytest.approx(1.0))
    # the part given inside the grid: 6 of the 12 hours
    assert float(rates @ np.diff(GRID.times_h)) == pytest.approx(6.0)
