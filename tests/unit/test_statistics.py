"""Statistics of time courses against answers worked out by hand for linear and exponential courses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.analysis.courses import (
    across_patients,
    band_over_patients,
    cumulative_auc,
    per_patient,
    value_at,
    window_courses,
)
from ketasim.errors import KetasimError, TargetsError

GRID = np.arange(0.0, 11.0)  # 0, 1, ..., 10 h
RAMP = 2.0 * GRID  # v = 2 t: linear, so interpolation and trapezoids are exact


def test_value_between_grid_points_is_interpolated() -> None:
    assert value_at(GRID, RAMP, 2.5) == pytest.approx([5.0])


def test_value_on_the_last_grid_point() -> None:
    assert value_at(GRID, RAMP, 10.0) == pytest.approx([20.0])


def test_value_outside_the_grid_names_the_key() -> None:
    with pytest.raises(TargetsError, match="outside the simulated times") as info:
        value_at(GRID, RAMP, 10.5, key_path="targets[2].measure.at")
    assert info.value.key_path == "targets[2].measure.at"


def test_window_edges_are_added_by_interpolation() -> None:
    times, cut = window_courses(GRID, RAMP, (0.5, 3.5))
    assert times == pytest.approx([0.5, 1.0, 2.0, 3.0, 3.5])
    assert cut[0] == pytest.approx(2.0 * times)


def test_window_on_grid_points_has_no_duplicate_times() -> None:
    times, _ = window_courses(GRID, RAMP, (1.0, 3.0))
    assert times == pytest.approx([1.0, 2.0, 3.0])


def test_window_reaching_past_the_grid_is_an_error() -> None:
    with pytest.raises(TargetsError, match=r"window\[1\]"):
        per_patient("max", GRID, RAMP, window_h=(0.0, 12.0), key_path="targets[0].measure")


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("max", 7.0), ("min", 1.0), ("time_of_max", 3.5), ("auc", 3.5**2 - 0.5**2), ("mean", (3.5**2 - 0.5**2) / 3.0)],
)
def test_window_statistics_of_a_ramp(statistic: str, expected: float) -> None:
    assert per_patient(statistic, GRID, RAMP, window_h=(0.5, 3.5)) == pytest.approx([expected])


def test_each_patient_gets_its_own_number() -> None:
    slopes = np.array([1.0, 2.0, 3.0])
    courses = slopes[:, None] * GRID[None, :]
    assert per_patient("max", GRID, courses, window_h=(0.0, 4.0)) == pytest.approx(4.0 * slopes)


def test_time_of_max_of_a_peak_between_edges() -> None:
    course = -((GRID - 6.0) ** 2)
    assert per_patient("time_of_max", GRID, course, window_h=(2.0, 9.0)) == pytest.approx([6.0])


def test_time_of_max_takes_the_first_time_of_a_plateau() -> None:
    course = np.minimum(GRID, 4.0)
    assert per_patient("time_of_max", GRID, course, window_h=(0.0, 10.0)) == pytest.approx([4.0])


def test_auc_of_an_exponential_converges_to_the_integral() -> None:
    fine = np.linspace(0.0, 24.0, 24 * 60 + 1)
    course = 100.0 * np.exp(-0.3 * fine)
    exact = 100.0 / 0.3 * (1.0 - math.exp(-0.3 * 24.0))
    assert per_patient("auc", fine, course, window_h=(0.0, 24.0))[0] == pytest.approx(exact, rel=1e-5)


def test_failed_patient_is_not_dropped() -> None:
    courses = np.vstack((RAMP, RAMP * np.nan))
    numbers = per_patient("max", GRID, courses, window_h=(0.0, 5.0))
    with pytest.raises(KetasimError, match="1 of 2 patients"):
        across_patients(numbers)


def test_median_and_mean_across_patients() -> None:
    assert across_patients([1.0, 2.0, 10.0]) == pytest.approx(2.0)
    assert across_patients([1.0, 2.0, 10.0], "mean") == pytest.approx(13.0 / 3.0)


def test_cumulative_auc_ends_at_the_window_auc() -> None:
    times, cut = window_courses(GRID, RAMP, (0.5, 7.25))
    running = cumulative_auc(times, cut)
    assert running[0, 0] == 0.0
    assert running[0, -1] == pytest.approx(per_patient("auc", GRID, RAMP, window_h=(0.5, 7.25))[0])


def test_band_of_one_patient_has_no_spread() -> None:
    band = band_over_patients(RAMP)
    assert band.low is None and band.high is None
    assert band.median == pytest.approx(RAMP)


def test_band_of_many_patients_is_median_and_percentiles() -> None:
    rng = np.random.default_rng(3)
    courses = rng.normal(size=(200, GRID.size))
    band = band_over_patients(courses)
    assert band.median == pytest.approx(np.median(courses, axis=0))
    assert band.low is not None and band.high is not None
    assert band.low == pytest.approx(np.percentile(courses, 5, axis=0))
    assert band.high == pytest.approx(np.percentile(courses, 95, axis=0))


def test_band_leaves_failed_patients_out() -> None:
    rng = np.random.default_rng(4)
    courses = rng.normal(size=(50, GRID.size))
    failed = courses.copy()
    failed[7] = np.nan
    failed[9, 3] = np.inf
    band, kept = band_over_patients(failed), band_over_patients(np.delete(courses, 7, axis=0))
    assert band.median[3] == pytest.approx(np.median(np.delete(courses, [7, 9], axis=0)[:, 3]))
    assert np.delete(band.median, 3) == pytest.approx(np.delete(kept.median, 3))
    assert band.low is not None and kept.low is not None
    assert np.delete(band.low, 3) == pytest.approx(np.delete(kept.low, 3))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-50, 50), min_size=11, max_size=11),
    st.floats(0.0, 10.0),
    st.floats(0.0, 10.0),
    st.floats(0.0, 10.0),
)
def test_auc_adds_up_over_adjacent_windows(values: list[float], a: float, b: float, c: float) -> None:
    start, middle, end = sorted((a, b, c))
    if middle - start < 1e-6 or end - middle < 1e-6:
        return
    course = np.array(values)
    whole = per_patient("auc", GRID, course, window_h=(start, end))[0]
    parts = per_patient("auc", GRID, course, window_h=(start, middle))[0]
    parts += per_patient("auc", GRID, course, window_h=(middle, end))[0]
    assert whole == pytest.approx(parts, abs=1e-9 * (1 + abs(whole)) + 1e-9)
