"""Turn an arm's doses into per-step inputs on the time grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ketasim.engine.grid import TIME_RESOLUTION_H, TimeGrid
from ketasim.engine.run import Schedule
from ketasim.errors import SolverError
from ketasim.models.pk import DoseKind
from ketasim.protocol import Dose


def dose_kind(dose: Dose) -> DoseKind:
    """The kind of a dose: where one unit of it goes."""
    return DoseKind(dose.drug, dose.route, dose.per_kg)


def _grid_index(grid: TimeGrid, time_h: float) -> int:
    index = int(np.searchsorted(grid.times_h, time_h - TIME_RESOLUTION_H))
    if index >= len(grid.times_h) or abs(grid.times_h[index] - time_h) > TIME_RESOLUTION_H:
        raise SolverError(f"time {time_h} h is not on the grid")
    return index


def build_schedule(doses: Sequence[Dose], kinds: list[DoseKind], grid: TimeGrid, signals: int = 0) -> Schedule:
    """Per-step bolus amounts and infusion rates for each dose kind (placebo doses carry no drug)."""
    steps = len(grid.times_h) - 1
    boluses = np.zeros((steps, len(kinds)))
    rates = np.zeros((steps, len(kinds)))
    for dose in doses:
        if dose.drug == "placebo":
            continue
        k = kinds.index(dose_kind(dose))
        start = _grid_index(grid, dose.time_h)
        if dose.infusion_h > 0:
            stop = dose.time_h + dose.infusion_h
            end = steps if stop > grid.times_h[-1] else _grid_index(grid, stop)  # an infusion may outlast the run
            rates[start:end, k] += dose.amount / dose.infusion_h
        elif start < steps:
            boluses[start, k] += dose.amount
    return Schedule(boluses, rates, np.zeros((steps, signals)))
