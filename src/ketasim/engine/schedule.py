"""Turn an arm's doses into per-step inputs on the time grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


def build_schedule(
    doses: Sequence[Dose],
    kinds: list[DoseKind],
    grid: TimeGrid,
    signal_names: Sequence[str] = (),
    intervals: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> Schedule:
    """Per-step bolus amounts and infusion rates for each dose kind (placebo doses carry no drug), and signals.

    A signal is 1 during the steps inside any of its (start, end) ``intervals``, which must lie on the grid
    (or end after it).
    """
    steps = len(grid.times_h) - 1
    boluses = np.zeros((steps, len(kinds)))
    rates = np.zeros((steps, len(kinds)))
    for dose in doses:
        if dose.drug == "placebo":
            continue
        k = kinds.index(dose_kind(dose))
        start = _grid_index(grid, dose.time_h)
        if dose.infusion_h > 0:
            stop = dose.time_h + dose.infusion_h  # an infusion may outlast the run
            end = steps if stop > grid.times_h[-1] else _grid_index(grid, stop)
            rates[start:end, k] += dose.amount / dose.infusion_h
        elif start < steps:
            boluses[start, k] += dose.amount
    signals = np.zeros((steps, len(signal_names)))
    for i, name in enumerate(signal_names):
        for start_h, end_h in (intervals or {}).get(name, ()):
            if start_h >= grid.times_h[-1]:
                continue
            end = steps if end_h > grid.times_h[-1] else _grid_index(grid, end_h)
            signals[_grid_index(grid, start_h) : end, i] = 1.0
    return Schedule(boluses, rates, signals)
