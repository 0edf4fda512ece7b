"""Statistics of simulated time courses: one number per patient, then one number across patients.

Courses are arrays of shape (patient, time) on a time grid in hours. Between grid points a course is taken as
linear, so values at times off the grid and the edges of a window are interpolated, maxima and minima are exact
for that piecewise-linear course, and areas are trapezoids.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ketasim.errors import KetasimError, TargetsError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Band:
    """Median course across patients and, with more than one patient, its 5-95 % band (None otherwise)."""

    median: FloatArray
    low: FloatArray | None
    high: FloatArray | None


def _as_grid(time_h: ArrayLike, values: ArrayLike) -> tuple[FloatArray, FloatArray]:
    time = np.asarray(time_h, dtype=np.float64)
    courses = np.asarray(values, dtype=np.float64)
    if courses.ndim == 1:
        courses = courses[np.newaxis, :]
    if time.ndim != 1 or time.size == 0 or courses.ndim != 2 or courses.shape[1] != time.size:
        raise ValueError(f"courses of shape {courses.shape} do not match a time grid of shape {time.shape}")
    if np.any(np.diff(time) <= 0):
        raise ValueError("the time grid must increase strictly")
    return time, courses


def _check_inside(time: FloatArray, t_h: float, key_path: str) -> float:
    tolerance = 1e-9 * max(1.0, abs(float(time[-1])))
    if t_h < time[0] - tolerance or t_h > time[-1] + tolerance:
        raise TargetsError(
            key_path,
            f"{t_h:g} h is outside the simulated times {time[0]:g} h to {time[-1]:g} h",
            "choose a time inside the protocol's duration and output grid",
        )
    return float(np.clip(t_h, time[0], time[-1]))


def _interpolate(time: FloatArray, courses: FloatArray, t_h: float) -> FloatArray:
    if time.size == 1:
        return courses[:, 0].copy()
    k = int(np.clip(np.searchsorted(time, t_h, side="right") - 1, 0, time.size - 2))
    weight = (t_h - time[k]) / (time[k + 1] - time[k])
    return courses[:, k] * (1.0 - weight) + courses[:, k + 1] * weight


def value_at(time_h: ArrayLike, values: ArrayLike, at_h: float, key_path: str = "at") -> FloatArray:
    """Each patient's value at ``at_h``, interpolated linearly on the time grid.

    Parameters
    ----------
    time_h
        Time grid in hours, strictly increasing.
    values
        Courses, shape (patient, time) or (time,).
    at_h
        Time in hours; it must lie on the grid's span.
    key_path
        Key path named in the error when ``at_h`` is outside the grid.

    Raises
    ------
    TargetsError
        ``at_h`` is outside the simulated times.
    """
    time, courses = _as_grid(time_h, values)
    return _interpolate(time, courses, _check_inside(time, at_h, key_path))


def window_courses(
    time_h: ArrayLike, values: ArrayLike, window_h: tuple[float, float], key_path: str = "window"
) -> tuple[FloatArray, FloatArray]:
    """The courses cut to a window, with both edges added by interpolation.

    Returns the times (hours) and the courses (patient, time) from ``window_h[0]`` to ``window_h[1]``.

    Raises
    ------
    TargetsError
        The window reaches outside the simulated times or is empty.
    """
    time, courses = _as_grid(time_h, values)
    start = _check_inside(time, window_h[0], f"{key_path}[0]")
    end = _check_inside(time, window_h[1], f"{key_path}[1]")
    if not start < end:
        raise TargetsError(key_path, "the window is empty", "write the earlier time first")
    inside = (time > start) & (time < end)
    times = np.concatenate(([start], time[inside], [end]))
    cut = np.column_stack((_interpolate(time, courses, start), courses[:, inside], _interpolate(time, courses, end)))
    return times, cut


def per_patient(
    statistic: str,
    time_h: ArrayLike,
    values: ArrayLike,
    *,
    at_h: float | None = None,
    window_h: tuple[float, float] | None = None,
    key_path: str = "",
) -> FloatArray:
    """One number per patient: ``value`` at ``at_h``, or ``max``, ``min``, ``time_of_max``, ``mean``, ``auc`` over ``window_h``.

    ``time_of_max`` is in hours (the first time the maximum is reached); ``auc`` is in the course's unit times hours.
    A patient whose course in the window is not finite gets NaN.
    """
    prefix = f"{key_path}." if key_path else ""
    if statistic == "value":
        if at_h is None:
            raise ValueError("statistic 'value' needs at_h")
        return value_at(time_h, values, at_h, f"{prefix}at")
    if window_h is None:
        raise ValueError(f"statistic {statistic!r} needs window_h")
    times, cut = window_courses(time_h, values, window_h, f"{prefix}window")
    finite = np.all(np.isfinite(cut), axis=1)
    if statistic == "max":
        result = cut.max(axis=1)
    elif statistic == "min":
        result = cut.min(axis=1)
    elif statistic == "time_of_max":
        result = times[np.argmax(np.where(np.isfinite(cut), cut, -np.inf), axis=1)]
    elif statistic in ("auc", "mean"):
        result = np.trapezoid(cut, times, axis=1)
        if statistic == "mean":
            result = result / (times[-1] - times[0])
    else:
        raise ValueError(f"unknown statistic {statistic!r}")
    return np.where(finite, result, np.nan)


def across_patients(values: ArrayLike, how: str = "median") -> float:
    """The median (default) or mean of per-patient numbers.

    Raises
    ------
    KetasimError
        Some patients have no finite value (failed patients are flagged, never dropped).
    """
    numbers = np.asarray(values, dtype=np.float64).ravel()
    if numbers.size == 0:
        raise KetasimError("the arm has no patients")
    failed = int(np.count_nonzero(~np.isfinite(numbers)))
    if failed:
        raise KetasimError(f"{failed} of {numbers.size} patients have no finite value (failed patients)")
    if how == "median":
        return float(np.median(numbers))
    if how == "mean":
        return float(np.mean(numbers))
    raise ValueError(f"unknown summary {how!r}; use 'median' or 'mean'")


def cumulative_auc(time_h: ArrayLike, values: ArrayLike) -> FloatArray:
    """Running trapezoid area under each course from the first time point, shape (patient, time)."""
    time, courses = _as_grid(time_h, values)
    steps = 0.5 * (courses[:, 1:] + courses[:, :-1]) * np.diff(time)
    return np.concatenate((np.zeros((courses.shape[0], 1)), np.cumsum(steps, axis=1)), axis=1)


def band_over_patients(values: ArrayLike, lower: float = 5.0, upper: float = 95.0) -> Band:
    """Median across patients (axis 0) per time point, and the ``lower``-``upper`` percentile band if >1 patient.

    Non-finite values (failed patients) are left out of this summary, which is meant for plots.
    """
    courses = np.asarray(values, dtype=np.float64)
    if courses.ndim == 1:
        courses = courses[np.newaxis, :]
    clean = np.where(np.isfinite(courses), courses, np.nan)
    if courses.shape[0] == 1:
        return Band(median=clean[0], low=None, high=None)
    if not np.isnan(clean).any():  # NumPy's nan-percentiles loop over time points in Python: 100x slower
        low, high = np.percentile(clean, [lower, upper], axis=0)
        return Band(median=np.median(clean, axis=0), low=low, high=high)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN time points give NaN, which plots as a gap
        median = np.nanmedian(clean, axis=0)
        low, high = np.nanpercentile(clean, [lower, upper], axis=0)
    return Band(median=median, low=low, high=high)
