"""Trial statistics against published and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ketasim.analysis.statistics import (
    bootstrap_interval,
    bootstrap_km_medians,
    hedges_g,
    mean_interval,
    median_order_interval,
    newcombe_interval,
    welch_interval,
    wilson_interval,
)
from ketasim.analysis.survival import median_from_sample


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [  # Newcombe 1998, Stat Med 17:873, Table I (Wilson score interval, method 3)
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_wilson_interval_published_values(successes: int, n: int, expected: tuple[float, float]) -> None:
    np.testing.assert_allclose(wilson_interval(successes, n), expected, atol=5e-5)


def test_wilson_interval_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_newcombe_difference_published_example() -> None:
    # Newcombe 1998, Table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    np.testing.assert_allclose(newcombe_interval(56, 70, 48, 80), (0.0524, 0.3339), atol=5e-5)


def test_hedges_g_hand_computed() -> None:
    # means 3 and 5, both SDs sqrt(2.5): d = -2 / sqrt(2.5); J = 1 - 3 / (4 * 10 - 9)
    expected = (1 - 3 / 31) * (-2 / np.sqrt(2.5))
    assert hedges_g([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]) == pytest.approx(expected)
    assert hedges_g([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]) == pytest.approx(-1.1425, abs=5e-5)
    assert hedges_g([1, 1], [1, 1]) is None  # no spread
    assert hedges_g([1], [2, 3]) is None


def test_hedges_g_of_binary_indicators() -> None:
    # 60 % vs 30 % responders of 10: pooled SD of the 0/1 values, same formula
    first, second = np.r_[np.ones(6), np.zeros(4)], np.r_[np.ones(3), np.zeros(7)]
    pooled = np.sqrt((9 * np.var(first, ddof=1) + 9 * np.var(second, ddof=1)) / 18)
    assert hedges_g(first, second) == pytest.approx((1 - 3 / 71) * 0.3 / pooled)


def test_t_intervals_match_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(-10, 4, 30), rng.normal(-4, 7, 25)
    expected = stats.t.interval(0.95, a.size - 1, loc=a.mean(), scale=stats.sem(a))
    np.testing.assert_allclose(mean_interval(a), expected)
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    np.testing.assert_allclose(welch_interval(a, b), (welch.low, welch.high))
    assert mean_interval([1.0]) == (None, None)


def test_median_interval_uses_binomial_order_statistics() -> None:
    values = np.arange(1.0, 101.0)  # x(k) = k
    assert median_order_interval(values) == (40.0, 61.0)  # the textbook ranks for n = 100
    coverage = 1 - 2 * stats.binom.cdf(39, 100, 0.5)
    assert coverage >= 0.95
    assert median_order_interval([2.0, 1.0, 3.0]) == (1.0, 3.0)


def test_bootstrap_interval_marks_unbounded_ends() -> None:
    assert bootstrap_interval(np.arange(1001.0)) == (25.0, 975.0)
    spread = np.r_[np.arange(971.0), np.full(30, np.inf)]  # more than 2.5 % of resamples never reach it
    assert bootstrap_interval(spread) == (25.0, None)


def test_vectorised_km_bootstrap_equals_one_curve_per_resample() -> None:
    rng = np.random.default_rng(5)
    times = rng.integers(1, 15, 60).astype(float)
    events = rng.random(60) < 0.7
    fast = bootstrap_km_medians(times, events, np.random.default_rng(9), replicates=50)
    draws = np.random.default_rng(9).integers(0, 60, size=(50, 60))
    slow = [median_from_sample(times[idx], events[idx]) for idx in draws]
    np.testing.assert_array_equal(fast, slow)
