"""Kaplan-Meier curve, Greenwood variance and median with its interval: hand-computed and published values."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.analysis.survival import Z95, kaplan_meier, median_from_sample, median_interval, median_time

# Freireich et al. 1963 leukaemia remission data (weeks), as tabulated by Gehan 1965 and in survival textbooks.
SIX_MP_TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENTS = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIMES = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_hand_computed_curve_with_a_tie_between_event_and_censoring() -> None:
    curve = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(curve.times, [1, 2, 3, 5])
    np.testing.assert_array_equal(curve.at_risk, [6, 5, 3, 1])  # the patient censored at 2 is at risk at 2
    np.testing.assert_array_equal(curve.events, [1, 1, 1, 1])
    np.testing.assert_allclose(curve.survival, [5 / 6, 4 / 6, 4 / 9, 0.0])
    # Greenwood: S^2 * sum d / (n (n - d))
    np.testing.assert_allclose(
        curve.variance[:3],
        [(5 / 6) ** 2 / 30, (4 / 6) ** 2 * (1 / 30 + 1 / 20), (4 / 9) ** 2 * (1 / 30 + 1 / 20 + 1 / 6)],
    )
    assert curve.variance[3] == 0.0
    assert median_time(curve) == 3.0
    assert curve.at(0.5) == 1.0 and curve.at(2.5) == pytest.approx(4 / 6)
    assert curve.subjects == 6 and curve.total_events == 4


def test_six_mp_arm_matches_the_published_table() -> None:
    curve = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENTS)
    np.testing.assert_allclose(curve.times, [6, 7, 10, 13, 16, 22, 23])
    np.testing.assert_array_equal(curve.at_risk, [21, 17, 15, 12, 11, 7, 6])
    np.testing.assert_allclose(curve.survival, [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448], atol=5e-4)
    np.testing.assert_allclose(np.sqrt(curve.variance), [0.076, 0.087, 0.096, 0.107, 0.114, 0.128, 0.135], atol=5e-4)
    assert median_time(curve) == 23.0


def test_median_intervals_match_r_survfit_on_the_gehan_data() -> None:
    # R: survfit(Surv(time, cens) ~ treat, data = MASS::gehan) (log transform): 6-MP 23 (16, NA); control 8 (4, 12).
    six_mp = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENTS)
    assert median_interval(six_mp, "log") == (16.0, None)
    control = kaplan_meier(PLACEBO_TIMES, np.ones(len(PLACEBO_TIMES)))
    assert median_time(control) == 8.0
    assert median_interval(control, "log") == (4.0, 12.0)


def test_log_log_interval_by_hand_and_median_inversion() -> None:
    curve = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENTS)
    lower, upper = curve.interval("loglog")
    s, se = curve.survival[3], np.sqrt(curve.variance[3])  # t = 13
    spread = Z95 * se / (s * abs(np.log(s)))
    assert lower[3] == pytest.approx(s ** np.exp(spread))
    assert upper[3] == pytest.approx(s ** np.exp(-spread))
    assert np.all((lower <= curve.survival) & (curve.survival <= upper))
    # lower end: first time the lower limit is at or below 0.5 (13 weeks here); the upper limit never gets there
    assert lower[2] > 0.5 >= lower[3]
    assert median_interval(curve) == (13.0, None)


def test_plain_interval_is_symmetric_and_clipped() -> None:
    curve = kaplan_meier([1, 2, 3], [1, 1, 1])
    lower, upper = curve.interval("plain")
    assert np.all(lower >= 0) and np.all(upper <= 1)
    with pytest.raises(ValueError):
        curve.interval("cubic")  # type: ignore[arg-type]


def test_median_not_reached_and_no_events() -> None:
    curve = kaplan_meier([5, 6, 7, 8], [1, 0, 0, 0])
    assert median_time(curve) is None
    assert median_from_sample(np.array([5.0, 6.0]), np.array([False, False])) == np.inf
    empty = kaplan_meier([3, 4], [0, 0])
    assert empty.times.size == 0 and median_interval(empty) == (None, None)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [1])
    with pytest.raises(ValueError):
        kaplan_meier([-1, 2], [1, 1])
