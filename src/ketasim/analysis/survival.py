"""Kaplan-Meier estimates of time-to-event data: the survival curve, Greenwood variance and the median with its CI.

At a time where events and censorings tie, the events come first (a patient censored at ``t`` was at risk at
``t``). The median is the first time the curve falls to 0.5 or below (the convention of lifelines); its 95 %
interval is found by inverting pointwise intervals of the curve (Brookmeyer & Crowley 1982): the lower end is the
first time the curve's lower limit falls to 0.5 or below, the upper end the first time its upper limit does.

References
----------
Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations. J Am Stat Assoc 53:457-481.
doi:10.1080/01621459.1958.10501452
Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time. Biometrics 38:29-41.
doi:10.2307/2530286
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Transform = Literal["loglog", "log", "plain"]
Z95 = float(norm.ppf(0.975))


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve: one row per distinct event time.

    ``survival[k]`` is the estimate just after ``times[k]``; ``at_risk[k]`` and ``events[k]`` count the patients at
    risk at and having the event at ``times[k]``; ``variance[k]`` is Greenwood's variance of ``survival[k]``.
    ``subjects`` and ``total_events`` count everyone entered and every event.
    """

    times: FloatArray
    survival: FloatArray
    at_risk: IntArray
    events: IntArray
    variance: FloatArray
    subjects: int
    total_events: int

    def at(self, t: float) -> float:
        """The survival estimate at time ``t`` (1 before the first event time)."""
        index = int(np.searchsorted(self.times, t, side="right")) - 1
        return 1.0 if index < 0 else float(self.survival[index])

    def interval(self, transform: Transform = "loglog", z: float = Z95) -> tuple[FloatArray, FloatArray]:
        """Pointwise lower and upper limits of the curve at every event time.

        ``loglog`` transforms with log(-log S) (the "exponential Greenwood" interval, lifelines' default), which
        stays inside [0, 1]; ``log`` is S·exp(±z·SE/S) (R survfit's default), ``plain`` is S ± z·SE, both clipped
        to [0, 1]. Where S is 0 or 1 the limits equal S.
        """
        survival = self.survival
        se = np.sqrt(self.variance)
        if transform == "plain":
            return np.clip(survival - z * se, 0.0, 1.0), np.clip(survival + z * se, 0.0, 1.0)
        if transform == "log":
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.exp(z * se / survival)
            inside = survival > 0.0
            lower = np.where(inside, survival / factor, 0.0)
            return lower, np.where(inside, np.clip(survival * factor, 0.0, 1.0), 0.0)
        if transform != "loglog":
            raise ValueError(f"unknown transform {transform!r}; use 'loglog', 'log' or 'plain'")
        with np.errstate(divide="ignore", invalid="ignore"):
            log_s = np.log(survival)
            spread = z * np.sqrt(self.variance / survival**2) / np.abs(log_s)
            lower = survival ** np.exp(spread)
            upper = survival ** np.exp(-spread)
        inside = (survival > 0.0) & (survival < 1.0)
        return np.where(inside, lower, survival), np.where(inside, upper, survival)


def kaplan_meier(times: ArrayLike, events: ArrayLike) -> KaplanMeier:
    """The Kaplan-Meier curve of event or censoring ``times`` with ``events`` (True: event, False: censored).

    Raises
    ------
    ValueError
        Shapes differ, or a time is negative or not finite.
    """
    time = np.asarray(times, dtype=np.float64).ravel()
    event = np.asarray(events, dtype=bool).ravel()
    if time.shape != event.shape:
        raise ValueError(f"{time.size} times but {event.size} event flags")
    if np.any(~np.isfinite(time)) or np.any(time < 0):
        raise ValueError("times must be finite and not negative")
    distinct, inverse = np.unique(time, return_inverse=True)
    deaths = np.bincount(inverse, weights=event, minlength=distinct.size).astype(np.int64)
    leaving = np.bincount(inverse, minlength=distinct.size).astype(np.int64)
    at_risk = time.size - np.concatenate(([0], np.cumsum(leaving)[:-1]))
    keep = deaths > 0
    d, n = deaths[keep], at_risk[keep]
    survival = np.cumprod(1.0 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, d / (n * (n - d)), np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        variance = np.where(survival > 0, survival**2 * np.cumsum(terms), 0.0)
    return KaplanMeier(
        times=distinct[keep],
        survival=survival,
        at_risk=n,
        events=d,
        variance=variance,
        subjects=int(time.size),
        total_events=int(event.sum()),
    )


def _first_at_or_below(times: FloatArray, curve: FloatArray, level: float) -> float | None:
    below = np.flatnonzero(curve <= level + 1e-12)
    return float(times[below[0]]) if below.size else None


def median_time(curve: KaplanMeier) -> float | None:
    """The median time: the first event time at which the curve is 0.5 or below; None if never reached."""
    return _first_at_or_below(curve.times, curve.survival, 0.5)


def median_interval(
    curve: KaplanMeier, transform: Transform = "loglog", z: float = Z95
) -> tuple[float | None, float | None]:
    """The 95 % interval of the median by inverting the curve's pointwise interval (Brookmeyer & Crowley).

    An end that the data never reach (the limit stays above 0.5) is None, meaning "not reached".
    """
    lower, upper = curve.interval(transform, z)
    return _first_at_or_below(curve.times, lower, 0.5), _first_at_or_below(curve.times, upper, 0.5)


def median_from_sample(times: FloatArray, events: NDArray[np.bool_]) -> float:
    """The Kaplan-Meier median of one sample, or +inf when it is not reached (fast path for bootstrapping)."""
    value = median_time(kaplan_meier(times, events))
    return np.inf if value is None else value
