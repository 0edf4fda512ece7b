"""Trial statistics: each arm's estimate of an endpoint with its 95 % interval, and differences between arms.

Intervals (95 %):

- fractions (response, remission): Wilson score interval; differences of fractions: Newcombe's hybrid score
  interval (his method 10), built from the two Wilson intervals;
- means (mean_change, percent_change): Student t interval; differences of means: Welch's t interval;
- medians of an output (value): the distribution-free order-statistic interval; differences: percentile bootstrap;
- Kaplan-Meier medians (time_to_*): Brookmeyer-Crowley inversion of the log-log Greenwood band
  (`ketasim.analysis.survival`); differences: percentile bootstrap of patients within each arm.

Bootstraps draw from a generator seeded by the caller, so the numbers are the same on every run.

Effect size ``effect_size_g`` is Hedges' g, the standardized mean difference of the per-patient values with the
small-sample correction J = 1 - 3 / (4 (n1 + n2) - 9). For response and remission the per-patient values are 1
(responder) and 0, so g is the difference of fractions over the pooled standard deviation of those indicators.
Time-to-event endpoints have no g (null): censored times have no standardized mean difference.

References
----------
Wilson EB (1927). Probable inference, the law of succession, and statistical inference. J Am Stat Assoc
22:209-212. doi:10.1080/01621459.1927.10502953
Newcombe RG (1998). Interval estimation for the difference between independent proportions: comparison of
eleven methods. Stat Med 17:873-890. doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I
Hedges LV (1981). Distribution theory for Glass's estimator of effect size and related estimators. J Educ Stat
6:107-128. doi:10.3102/10769986006002107
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom, t

from ketasim.analysis.endpoints import BINARY_KINDS, MEAN_KINDS, MEDIAN_KINDS, TIME_KINDS, PatientValues
from ketasim.analysis.survival import Z95, KaplanMeier, kaplan_meier, median_interval, median_time

FloatArray = NDArray[np.float64]
Interval = tuple[float | None, float | None]
NO_INTERVAL: Interval = (None, None)
BOOTSTRAP_REPLICATES = 1000
_BOOTSTRAP_BLOCK = 2_000_000  # resampled values held in memory at once


@dataclass(frozen=True)
class Estimate:
    """One arm's estimate of one endpoint.

    ``value`` is a fraction, a mean, a median or (time-to-event) a median in days; None when it cannot be
    estimated (no patients, or a median not reached). ``n`` counts the patients used; time-to-event estimates
    also give the patients at risk at the start, the events, and the Kaplan-Meier curve.
    """

    kind: str
    value: float | None
    ci95: Interval
    n: int
    n_at_risk: int | None = None
    events: int | None = None
    curve: KaplanMeier | None = None


@dataclass(frozen=True)
class Comparison:
    """The difference ``arms[0]`` minus ``arms[1]`` of one endpoint, its 95 % interval and Hedges' g."""

    endpoint: str
    arms: tuple[str, str]
    difference: float | None
    ci95: Interval
    effect_size_g: float | None


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a fraction ``successes / n``.

    Raises
    ------
    ValueError
        ``n`` is not positive or ``successes`` is outside 0 to ``n``.
    """
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for the difference of fractions x1/n1 - x2/n2."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    difference = p1 - p2
    lower = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(lower), float(upper)


def mean_interval(values: ArrayLike, level: float = 0.95) -> Interval:
    """The Student t interval of a mean; no interval for fewer than two values."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return NO_INTERVAL
    half = t.ppf(0.5 + level / 2, x.size - 1) * np.std(x, ddof=1) / np.sqrt(x.size)
    return float(x.mean() - half), float(x.mean() + half)


def welch_interval(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> Interval:
    """Welch's t interval of the difference of means mean(a) - mean(b); none with fewer than two per group."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.size < 2 or y.size < 2:
        return NO_INTERVAL
    vx, vy = np.var(x, ddof=1) / x.size, np.var(y, ddof=1) / y.size
    se = np.sqrt(vx + vy)
    difference = float(x.mean() - y.mean())
    if se == 0:
        return difference, difference
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = float(t.ppf(0.5 + level / 2, df) * se)
    return difference - half, difference + half


def median_order_interval(values: ArrayLike, level: float = 0.95) -> Interval:
    """The distribution-free interval of a median between two order statistics (binomial ranks).

    With sorted values x(1) <= ... <= x(n), the interval is [x(k), x(n - k + 1)] with k the largest rank such
    that P(Binomial(n, 1/2) < k) <= (1 - level) / 2, so its coverage is at least ``level``; with so few values
    that no such k >= 1 exists, the interval is the range.
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0:
        return NO_INTERVAL
    k = max(int(binom.ppf((1 - level) / 2, x.size, 0.5)), 1)
    return float(x[k - 1]), float(x[x.size - k])


def hedges_g(a: ArrayLike, b: ArrayLike) -> float | None:
    """Hedges' g of mean(a) - mean(b): Cohen's d with the pooled SD, times J = 1 - 3 / (4 (n1 + n2) - 9).

    None with fewer than two values per group or a pooled SD of zero.
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        return None
    pooled = np.sqrt(((n1 - 1) * np.var(x, ddof=1) + (n2 - 1) * np.var(y, ddof=1)) / (n1 + n2 - 2))
    if pooled == 0:
        return None
    correction = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
    return float(correction * (x.mean() - y.mean()) / pooled)


def bootstrap_interval(samples: FloatArray, level: float = 0.95) -> Interval:
    """The percentile interval of bootstrap replicates; an end that is not finite is None (not bounded)."""
    ordered = np.sort(np.asarray(samples, dtype=np.float64))  # NaN sorts last: treated as unbounded above
    if ordered.size == 0:
        return NO_INTERVAL
    low = ordered[int(np.floor((1 - level) / 2 * (ordered.size - 1)))]
    high = ordered[int(np.ceil((0.5 + level / 2) * (ordered.size - 1)))]
    return _finite(low), _finite(high)


def _resampled(n: int, rng: np.random.Generator, replicates: int) -> list[NDArray[np.int64]]:
    """Bootstrap index draws, shape (replicates, n), in blocks that keep memory bounded."""
    per_block = max(1, _BOOTSTRAP_BLOCK // max(n, 1))
    blocks = []
    for start in range(0, replicates, per_block):
        blocks.append(rng.integers(0, n, size=(min(per_block, replicates - start), n)))
    return blocks


def bootstrap_means(values: ArrayLike, rng: np.random.Generator, replicates: int = BOOTSTRAP_REPLICATES) -> FloatArray:
    """Means of ``replicates`` bootstrap resamples of ``values``."""
    x = np.asarray(values, dtype=np.float64)
    return np.concatenate([np.mean(x[idx], axis=1) for idx in _resampled(x.size, rng, replicates)])


def bootstrap_medians(
    values: ArrayLike, rng: np.random.Generator, replicates: int = BOOTSTRAP_REPLICATES
) -> FloatArray:
    """Medians of ``replicates`` bootstrap resamples of ``values``."""
    x = np.asarray(values, dtype=np.float64)
    return np.concatenate([np.median(x[idx], axis=1) for idx in _resampled(x.size, rng, replicates)])


def bootstrap_km_medians(
    times: ArrayLike, events: ArrayLike, rng: np.random.Generator, replicates: int = BOOTSTRAP_REPLICATES
) -> FloatArray:
    """Kaplan-Meier medians (inf if not reached) of bootstrap resamples of patients, all replicates at once."""
    time = np.asarray(times, dtype=np.float64)
    event = np.asarray(events, dtype=bool)
    distinct, inverse = np.unique(time, return_inverse=True)
    cells, n = distinct.size, time.size
    medians = []
    for idx in _resampled(n, rng, replicates):
        reps = idx.shape[0]
        cell = inverse[idx] + cells * np.arange(reps)[:, np.newaxis]
        deaths = np.bincount(cell[event[idx]], minlength=reps * cells).reshape(reps, cells)
        leaving = np.bincount(cell.ravel(), minlength=reps * cells).reshape(reps, cells)
        at_risk = n - (np.cumsum(leaving, axis=1) - leaving)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(at_risk > 0, 1.0 - deaths / np.maximum(at_risk, 1), 1.0)
        below = np.cumprod(factor, axis=1) <= 0.5 + 1e-12
        reached = below.any(axis=1)
        medians.append(np.where(reached, distinct[np.argmax(below, axis=1)], np.inf))
    return np.concatenate(medians)


def estimate(values: PatientValues) -> Estimate:
    """One arm's estimate of an endpoint from its per-patient values, with the 95 % interval of its kind."""
    kind = values.endpoint.kind
    x = values.counted()
    n = x.size
    if kind in TIME_KINDS:
        return _time_estimate(values)
    if n == 0:
        return Estimate(kind, None, NO_INTERVAL, 0)
    if kind in BINARY_KINDS:
        successes = int(np.count_nonzero(x > 0.5))
        return Estimate(kind, successes / n, wilson_interval(successes, n), n)
    if kind in MEAN_KINDS:
        return Estimate(kind, float(x.mean()), mean_interval(x), n)
    if kind in MEDIAN_KINDS:
        return Estimate(kind, float(np.median(x)), median_order_interval(x), n)
    raise ValueError(f"unknown endpoint kind {kind!r}")


def _time_estimate(values: PatientValues) -> Estimate:
    events = values.events if values.events is not None else np.zeros(values.values.shape, dtype=bool)
    times, happened = values.counted(), events[values.included]
    curve = kaplan_meier(times, happened)
    return Estimate(
        values.endpoint.kind,
        median_time(curve) if times.size else None,
        median_interval(curve) if times.size else NO_INTERVAL,
        times.size,
        n_at_risk=times.size,
        events=int(np.count_nonzero(happened)),
        curve=curve,
    )


def compare(first: PatientValues, second: PatientValues, arms: tuple[str, str], rng: np.random.Generator) -> Comparison:
    """The difference first minus second of one endpoint between two arms, its 95 % interval and Hedges' g.

    ``rng`` drives the bootstraps (medians); give a seeded generator for reproducible numbers.
    """
    endpoint = first.endpoint
    kind = endpoint.kind
    x, y = first.counted(), second.counted()
    if kind in TIME_KINDS:
        return _compare_times(first, second, arms, rng)
    if x.size == 0 or y.size == 0:
        return Comparison(endpoint.name, arms, None, NO_INTERVAL, None)
    g = hedges_g(x, y)
    if kind in BINARY_KINDS:
        s1, s2 = int(np.count_nonzero(x > 0.5)), int(np.count_nonzero(y > 0.5))
        difference = s1 / x.size - s2 / y.size
        return Comparison(endpoint.name, arms, difference, newcombe_interval(s1, x.size, s2, y.size), g)
    if kind in MEAN_KINDS:
        return Comparison(endpoint.name, arms, float(x.mean() - y.mean()), welch_interval(x, y), g)
    difference = float(np.median(x) - np.median(y))
    spread = bootstrap_medians(x, rng) - bootstrap_medians(y, rng)
    return Comparison(endpoint.name, arms, difference, bootstrap_interval(spread), g)


def _compare_times(
    first: PatientValues, second: PatientValues, arms: tuple[str, str], rng: np.random.Generator
) -> Comparison:
    name = first.endpoint.name
    samples = []
    for values in (first, second):
        if values.n == 0 or values.events is None:
            return Comparison(name, arms, None, NO_INTERVAL, None)
        samples.append((values.counted(), values.events[values.included]))
    medians = [median_time(kaplan_meier(times, events)) for times, events in samples]
    if medians[0] is None or medians[1] is None:
        return Comparison(name, arms, None, NO_INTERVAL, None)
    with np.errstate(invalid="ignore"):
        spread = bootstrap_km_medians(*samples[0], rng) - bootstrap_km_medians(*samples[1], rng)
    return Comparison(name, arms, medians[0] - medians[1], bootstrap_interval(spread), None)
