"""Turn inputs given at times (boluses, infusions, on/off signals) into per-step inputs on the time grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ketasim.engine.grid import TIME_RESOLUTION_H, TimeGrid
from ketasim.engine.run import Schedule
from ketasim.errors import SolverError


@dataclass(frozen=True)
class Input:
    """``amount`` units of input ``kind`` (an index into the linear problem's input vectors) given at ``time_h``:
    at once, or spread evenly over ``duration_h`` hours."""

    time_h: float
    kind: int
    amount: float
    duration_h: float = 0.0


def _grid_index(grid: TimeGrid, time_h: float) -> int:
    index = int(np.searchsorted(grid.times_h, time_h - TIME_RESOLUTION_H))
    if index >= len(grid.times_h) or abs(grid.times_h[index] - time_h) > TIME_RESOLUTION_H:
        raise SolverError(f"time {time_h} h is not on the grid")
    return index


def build_schedule(
    inputs: Sequence[Input],
    kinds: int,
    grid: TimeGrid,
    signal_names: Sequence[str] = (),
    intervals: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> Schedule:
    """Per-step bolus amounts and infusion rates for each of ``kinds`` input kinds, and signals.

    A signal is 1 during the steps inside any of its (start, end) ``intervals``, which must lie on the grid
    (or end after it). An infusion may outlast the grid; the part after its end is not given.
    """
    steps = len(grid.times_h) - 1
    boluses = np.zeros((steps, kinds))
    rates = np.zeros((steps, kinds))
    for given in inputs:
        start = _grid_index(grid, given.time_h)
        if given.duration_h > 0:
            stop = given.time_h + given.duration_h
            end = steps if stop > grid.times_h[-1] else _grid_index(grid, stop)
            rates[start:end, given.kind] += given.amount / given.duration_h
        elif start < steps:
            boluses[start, given.kind] += given.amount
    signals = np.zeros((steps, len(signal_names)))
    for i, name in enumerate(signal_names):
        for start_h, end_h in (intervals or {}).get(name, ()):
            if start_h >= grid.times_h[-1]:
                continue
            end = steps if end_h > grid.times_h[-1] else _grid_index(grid, end_h)
            signals[_grid_index(grid, start_h) : end, i] = 1.0
    return Schedule(boluses, rates, signals)
