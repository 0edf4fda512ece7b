"""PK statistics of a drug concentration, read off its exact dense course (`ketasim.simulation.drug_levels`).

The course is sampled at the start, middle and end of every step of a grid through each dose edge, so inside a
step it is smooth and the parabola through those three samples follows it to third order in the step. The
statistics are exact for that piecewise parabola: ``cmax`` its maximum (``tmax`` the first time it is reached),
``auc`` its area (Simpson's rule; the area after the last sample, to infinity, is exact from the linear system)
and ``time_above`` the time it spends above a concentration. A window's finite edges are samples of the grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ketasim.engine.grid import StepPolicy
from ketasim.protocol.schema import Protocol
from ketasim.simulation.drug_levels import DrugLevels, drug_levels_range
from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.simulation.run import batch_size
from ketasim.vocabulary import PK_ENDPOINT_KINDS

FloatArray = NDArray[np.float64]
_EDGE_TOLERANCE_H = 1e-7


def _step_range(time_h: FloatArray, window_h: tuple[float, float]) -> tuple[int, int]:
    """The steps (start index, end index) that make up a window whose finite edges are grid points."""
    steps = time_h[0::2]
    start, end = window_h
    first = int(np.searchsorted(steps, start - _EDGE_TOLERANCE_H))
    last = steps.size - 1 if np.isinf(end) else int(np.searchsorted(steps, end - _EDGE_TOLERANCE_H))
    for edge, index in ((start, first), (end, last)):
        if np.isfinite(edge) and (index >= steps.size or abs(steps[index] - edge) > _EDGE_TOLERANCE_H):
            raise ValueError(f"window edge {edge:g} h is not on the dense grid")
    return first, last


def _parabolas(time_h: FloatArray, courses: FloatArray, first: int, last: int) -> tuple[FloatArray, ...]:
    """Per step of the window: its start time and length, and ``p(s) = a + b s + c s^2`` on ``s`` in [0, 1]."""
    lo, mid, hi = (courses[:, 2 * first + k : 2 * last + k : 2] for k in (0, 1, 2))
    start = time_h[2 * first : 2 * last : 2]
    length = time_h[2 * first + 2 : 2 * last + 1 : 2] - start
    return start, length, lo, -3.0 * lo + 4.0 * mid - hi, 2.0 * lo - 4.0 * mid + 2.0 * hi


def _peaks(time_h: FloatArray, courses: FloatArray, first: int, last: int) -> tuple[FloatArray, FloatArray]:
    """Each patient's maximum over the window and the first time it is reached."""
    start, length, a, b, c = _parabolas(time_h, courses, first, last)
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = np.where(c < 0.0, -b / (2.0 * c), 0.0)
    vertex = np.where((vertex > 0.0) & (vertex < 1.0), vertex, 0.0)
    candidates = np.stack([np.zeros_like(a), vertex, np.ones_like(a)])  # (3, patients, steps)
    values = a + b * candidates + c * candidates**2
    best = np.argmax(values, axis=0)  # the earliest candidate within a step
    peak = np.take_along_axis(values, best[np.newaxis], 0)[0]
    where = np.take_along_axis(candidates, best[np.newaxis], 0)[0]
    step = np.argmax(peak, axis=1)  # the earliest step
    rows = np.arange(courses.shape[0])
    return peak[rows, step], start[step] + where[rows, step] * length[step]


def _area(time_h: FloatArray, courses: FloatArray, first: int, last: int) -> FloatArray:
    _, length, a, b, c = _parabolas(time_h, courses, first, last)
    return np.asarray(((a + b / 2.0 + c / 3.0) * length).sum(axis=1))


def _time_above(time_h: FloatArray, courses: FloatArray, first: int, last: int, level: float) -> FloatArray:
    """The time each course spends strictly above ``level`` in the window (hours)."""
    _, length, a, b, c = _parabolas(time_h, courses, first, last)
    a = a - level
    flat = np.abs(c) <= 1e-12 * (np.abs(a) + np.abs(b) + 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))
        first_root = np.where(flat, -a / b, (-b - root) / (2.0 * c))
        second_root = np.where(flat, first_root, (-b + root) / (2.0 * c))
    cuts = np.stack([np.zeros_like(a), first_root, second_root, np.ones_like(a)])
    cuts = np.sort(np.clip(np.nan_to_num(cuts, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0), axis=0)
    middle = 0.5 * (cuts[1:] + cuts[:-1])
    above = a + b * middle + c * middle**2 > 0.0
    return np.asarray(((np.diff(cuts, axis=0) * above).sum(axis=0) * length).sum(axis=1))


def pk_statistic(
    statistic: str,
    levels: DrugLevels,
    output: str,
    window_h: tuple[float, float] | None = None,
    above: float | None = None,
) -> FloatArray:
    """One number per patient: ``cmax`` (ng/mL), ``tmax`` (h), ``auc`` (ng/mL x h) or ``time_above`` (h).

    Parameters
    ----------
    statistic
        A PK endpoint kind (`ketasim.vocabulary.PK_ENDPOINT_KINDS`).
    levels
        Dense exact concentrations.
    output
        The concentration read.
    window_h
        From and to (hours; the end may be infinite for ``auc``); None: the whole run.
    above
        The concentration of ``time_above`` (ng/mL).

    A patient whose course is not finite gets NaN.
    """
    time, courses = levels.time_h, np.asarray(levels.values[output], dtype=np.float64)
    span = window_h if window_h is not None else (float(time[0]), float(time[-1]))
    if np.isinf(span[1]) and statistic != "auc":
        raise ValueError(f"statistic {statistic!r} needs a finite window")
    first, last = _step_range(time, span)
    finite = np.all(np.isfinite(courses), axis=1)
    clean = np.where(np.isfinite(courses), courses, 0.0)
    if statistic in ("cmax", "tmax"):
        peak, at = _peaks(time, clean, first, last)
        result = peak if statistic == "cmax" else at
    elif statistic == "auc":
        result = _area(time, clean, first, last)
        if np.isinf(span[1]):
            result = result + levels.total_area[output] - _area(time, clean, 0, time[0::2].size - 1)
    elif statistic == "time_above":
        if above is None:
            raise ValueError("statistic 'time_above' needs a concentration")
        result = _time_above(time, clean, first, last, above)
    else:
        raise ValueError(f"unknown PK statistic {statistic!r}")
    return np.where(finite, result, np.nan)


def endpoint_outputs(protocol: Protocol) -> tuple[str, ...]:
    """The concentrations the protocol's PK endpoints read, each once (none: no PK endpoint)."""
    return tuple(sorted({str(e.output) for e in protocol.endpoints if e.kind in PK_ENDPOINT_KINDS}))


def endpoint_window_edges(protocol: Protocol) -> np.ndarray:
    """The finite window edges of the protocol's PK endpoints (hours): times the dense grid passes through."""
    edges = [t for e in protocol.endpoints if e.kind in PK_ENDPOINT_KINDS for t in (e.window_h or ())]
    return np.array([t for t in edges if np.isfinite(t)], dtype=float)


def plan_levels(protocol: Protocol, plan: ArmPlan, first: int, count: int, batch: int, seed: int) -> DrugLevels | None:
    """The dense drug levels the protocol's PK endpoints read, for a range of the planned arm's patients."""
    outputs = endpoint_outputs(protocol)
    if not outputs:
        return None
    return drug_levels_range(protocol, plan, first, count, batch, seed, outputs, endpoint_window_edges(protocol))


def endpoint_levels(protocol: Protocol, dataset: Any, arm: str) -> DrugLevels | None:
    """The dense drug levels the protocol's PK endpoints read, for the patients of ``arm`` in a simulated dataset;
    None when the protocol has no PK endpoint."""
    outputs = endpoint_outputs(protocol)
    if not outputs:
        return None
    return dataset_levels(protocol, dataset, arm, outputs, endpoint_window_edges(protocol))


def dataset_levels(
    protocol: Protocol, dataset: Any, arm: str, outputs: tuple[str, ...], anchors_h: np.ndarray
) -> DrugLevels:
    """Dense exact drug levels of the patients of ``arm`` in a simulated dataset (the same patients: the dataset's
    seed and patient numbers), on a grid through ``anchors_h`` (window edges, hours)."""
    arms = [a.name for a in protocol.arms]
    patients = np.asarray(dataset["patient"].values)
    first, count = int(patients[0]), int(patients.size)
    seed = int(dataset.attrs.get("seed", protocol.seed))
    plan = plan_arm(protocol, arms.index(arm), StepPolicy())
    return drug_levels_range(protocol, plan, first, count, batch_size(count), seed, outputs, anchors_h)
