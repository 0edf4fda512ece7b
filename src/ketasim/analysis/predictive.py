"""Predictive intervals of a trial's estimates over posterior draws of the parameters: ``pi95`` of ``summary.json``.

The trial is simulated once per draw, every draw with the same patients (common random numbers), so the draws'
estimates differ through the parameters alone. The value the model predicts under a draw is known only up to the
sampling error of its virtual patients; the predictive distribution of the value is the mixture, over the draws,
of that uncertainty under each draw. Under each draw it is represented by replicates (`PREDICTIVE_REPLICATES`
shared evenly among the draws): for a fraction (response, remission) draws from its Jeffreys posterior
Beta(x + 1/2, n - x + 1/2) (Brown, Cai and DasGupta 2001; not degenerate at 0 or n responders), for every other
estimate its percentile bootstrap (patients resampled within each arm, as for the ``ci95`` of the medians).
``pi95`` is the 2.5 and 97.5 % percentiles of all the draws' replicates pooled. A difference of two arms takes,
replicate by replicate, the difference of the two arms' independent replicates. By the law of total variance its
spread is the spread of the draws' estimates (parameters) plus the mean sampling spread (patients); where the
draws agree it is about ``ci95`` (it may then come out a little narrower or wider: the methods differ).

A Kaplan-Meier median not reached in a replicate is unbounded, so an end of ``pi95`` past the follow-up is None.

References
----------
Brown LD, Cai TT, DasGupta A (2001). Interval estimation for a binomial proportion. Stat Sci 16:101-133.
doi:10.1214/ss/1009213286
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketasim.analysis.endpoints import BINARY_KINDS, MEAN_KINDS, TIME_KINDS, PatientValues
from ketasim.analysis.statistics import (
    FloatArray,
    Interval,
    bootstrap_interval,
    bootstrap_km_medians,
    bootstrap_means,
    bootstrap_medians,
)
from ketasim.protocol.schema import Protocol

PREDICTIVE_REPLICATES = 4000
"""Bootstrap replicates pooled over all draws (each draw gets an equal share, at least 10)."""

DrawValues = dict[str, dict[str, PatientValues]]
"""One draw's per-patient endpoint values, keyed by arm, then endpoint name."""


@dataclass(frozen=True)
class PredictiveIntervals:
    """The ``pi95`` of every estimate and comparison of a trial, from ``draws`` posterior draws.

    ``estimates`` is keyed by arm, then endpoint name; ``comparisons`` by (endpoint, first arm, second arm).
    """

    draws: int
    estimates: dict[str, dict[str, Interval]]
    comparisons: dict[tuple[str, str, str], Interval]


def draw_seed(seed: int, endpoint: str, arm: int, draw: int) -> np.random.Generator:
    """The generator of one draw's bootstrap of one endpoint in one arm."""
    return np.random.default_rng([int(seed), zlib.crc32(endpoint.encode()), arm, draw])


def bootstrap_estimates(values: PatientValues, rng: np.random.Generator, replicates: int) -> FloatArray:
    """Replicates of the endpoint's estimate from the arm's patients: Jeffreys posterior draws for a fraction,
    bootstrap resamples otherwise (NaN when no patient counts)."""
    kind = values.endpoint.kind
    x = values.counted()
    if x.size == 0:
        return np.full(replicates, np.nan)
    if kind in TIME_KINDS:
        events = values.events if values.events is not None else np.zeros(values.values.shape, dtype=bool)
        return bootstrap_km_medians(x, events[values.included], rng, replicates)
    if kind in BINARY_KINDS:
        successes = np.count_nonzero(x > 0.5)
        return rng.beta(successes + 0.5, x.size - successes + 0.5, size=replicates)
    if kind in MEAN_KINDS:
        return bootstrap_means(x, rng, replicates)
    return bootstrap_medians(x, rng, replicates)


def predictive_intervals(
    protocol: Protocol, arms: tuple[str, ...], draws: Sequence[DrawValues], seed: int
) -> PredictiveIntervals:
    """``pi95`` of every endpoint in every arm and of every comparison of two arms, from each draw's values.

    Parameters
    ----------
    protocol
        The protocol simulated (its endpoints).
    arms
        The arms in protocol order.
    draws
        Per draw, every patient's endpoint values (the same patients in every draw).
    seed
        The run's seed; each draw's bootstraps derive from it, the endpoint and the arm.
    """
    replicates = max(10, math.ceil(PREDICTIVE_REPLICATES / max(len(draws), 1)))
    estimates: dict[str, dict[str, Interval]] = {arm: {} for arm in arms}
    comparisons: dict[tuple[str, str, str], Interval] = {}
    for endpoint in protocol.endpoints:
        pooled = np.array(
            [
                [
                    bootstrap_estimates(values[arm][endpoint.name], draw_seed(seed, endpoint.name, i, d), replicates)
                    for i, arm in enumerate(arms)
                ]
                for d, values in enumerate(draws)
            ]
        )  # (draws, arms, replicates)
        for i, arm in enumerate(arms):
            estimates[arm][endpoint.name] = bootstrap_interval(pooled[:, i].ravel())
        with np.errstate(invalid="ignore"):
            for i, first in enumerate(arms):
                for j in range(i + 1, len(arms)):
                    spread = (pooled[:, i] - pooled[:, j]).ravel()
                    comparisons[(endpoint.name, first, arms[j])] = bootstrap_interval(spread)
    return PredictiveIntervals(draws=len(draws), estimates=estimates, comparisons=comparisons)
