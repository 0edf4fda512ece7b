"""Forecast one patient: fit their individual symptom parameters to their own scores, then look ahead.

The individual parameters are the standard normal deviates ("etas") that make a virtual patient differ from the
typical patient of the population model (`ketasim.population.Patients.normals`: depression escape and
hysteresis, sensitivities to ketamine and to serotonergic drugs, worry sensitivity, expectancy ceiling and the
baseline scores); the population distribution N(0, 1) is their prior. Everything upstream of the symptom model
(pharmacokinetics, receptors, cascade, network, acute effects) depends on the patient's covariates and treatments
only, so it is simulated once with the engine (`patient_course`); the symptom model is then integrated alone
along the same schedule, by the engine's ETDRK4 step, as a differentiable JAX function of the etas. Its
expected scores meet the recorded scores through the rater model of `ketasim.models.scales.rate` (Gaussian rater
noise of ``<scale>_rater_noise_sd_points``, rounded to whole points, clipped to the scale's range), whose exact
likelihood is a difference of normal CDFs.

The posterior of the etas is sampled by adaptive tempered sequential Monte Carlo (`tempered_smc`): several
independent populations of particles, each evaluated in one vectorised call, so the r-hat across populations
measures agreement. numpyro's NUTS runs through the gradient of the same function (``SamplerSettings(method=
"nuts")``), but the switch between the depressed and the well state makes the posterior rugged (the predicted
score at a visit jumps as a relapse moves past it), so NUTS needs tiny steps and deep trees and takes minutes;
see docs/forecast.md. Each draw's course over the horizon, with fresh rater noise, gives the 5-95 % band of the
scores a rater would record; the noise-free course gives the probability of relapse by each date (the expected
score no longer meets the response criterion of `ketasim.analysis.endpoints` against the recorded baseline) and
the suggested time of the next dose (the latest time at which that probability is still under 20 %).
Diagnostics (largest r-hat, smallest effective sample size, seconds) come with every forecast.

References
----------
Del Moral P, Doucet A, Jasra A (2006) J R Stat Soc B 68:411, doi:10.1111/j.1467-9868.2006.00553.x (SMC samplers).
Hoffman MD, Gelman A (2014) J Mach Learn Res 15:1593 (the No-U-Turn Sampler).
Phan D, Pradhan N, Jankowiak M (2019) arXiv:1912.11554 (NumPyro).
Vehtari A et al. (2021) Bayesian Anal 16:667, doi:10.1214/20-BA1221 (rank-normalised r-hat and ESS).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np

from ketasim.analysis.endpoints import (
    DEFAULT_RESPONSE_DROP_PERCENT,
    PTSD_RESPONSE_DROP_PERCENT,
    PTSD_SCALES,
    meets_response,
)
from ketasim.engine.jax_setup import configured
from ketasim.inference.course import PatientCourse, active_etas, patient_course, predict_course
from ketasim.inference.likelihood import Ratings
from ketasim.inference.samplers import DEFAULT_SETTINGS, Diagnostics, SamplerSettings, sample_etas
from ketasim.models import scales
from ketasim.protocol import Protocol, arm_events, build_protocol
from ketasim.protocol.fields import format_hours
from ketasim.protocol.history import HistoryError, PatientFacts, PatientHistory, history_protocol, planned_treatments
from ketasim.version import __version__
from ketasim.vocabulary import SCALE_RANGES, SCALES

RELAPSE_PROBABILITY_LIMIT = 0.2  # spec/patient-history.md: keep the relapse probability under 20 %
FORECAST_STEP_H = 24.0
CONTEXT_OF_USE = "Decision support for clinicians in research settings, not a prescription."


# ---------------------------------------------------------------- the forecast


@dataclass(frozen=True)
class Forecast:
    """One patient's forecast: the fitted course, the band of future scores, relapse and the next dose.

    Times are hours from the first treatment. ``course_*`` are noise-free expected scores (posterior median and
    5-95 % interval) at every grid point; ``band_*`` are the scores a rater would record (with rater noise) at
    each forecast time after the history; ``relapse_probability`` is the posterior probability that the expected
    score has stopped meeting the response criterion (a drop of ``response_drop_percent`` from ``baseline``) by
    each forecast time (from the end of the history on), ``out_of_response_probability`` the probability that it
    does not meet it at that time (planned treatments can bring it down again).
    """

    patient: str
    scale: str
    condition: str
    end_h: float
    until_h: float
    observed_times_h: np.ndarray
    observed_values: np.ndarray
    baseline: float
    response_drop_percent: float
    course_times_h: np.ndarray
    course_median: np.ndarray
    course_low: np.ndarray
    course_high: np.ndarray
    plasticity_window: np.ndarray
    band_times_h: np.ndarray
    band_median: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    relapse_probability: np.ndarray
    out_of_response_probability: np.ndarray
    suggested_next_dose_h: float | None
    next_dose: dict[str, Any]
    doses: tuple[Any, ...]
    sessions: tuple[Any, ...]
    diagnostics: Diagnostics
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def relapse_threshold(self) -> float:
        """The score at or above which the patient no longer meets the response criterion."""
        return self.baseline * (1.0 - self.response_drop_percent / 100.0)

    def to_json(self) -> dict[str, Any]:
        """The forecast as the JSON mapping of ``spec/patient-history.md`` (with a few explanatory extras)."""
        return {
            "ketasim": __version__,
            "patient": self.patient,
            "scale": self.scale,
            "condition": self.condition,
            "context_of_use": CONTEXT_OF_USE,
            "history_end_h": _round(self.end_h, 2),
            "forecast": [
                {"time_h": _round(t, 2), "median": _round(m, 1), "p05": _round(lo, 1), "p95": _round(hi, 1)}
                for t, m, lo, hi in zip(self.band_times_h, self.band_median, self.band_low, self.band_high, strict=True)
            ],
            "relapse_probability": [
                {"by_time_h": _round(t, 2), "probability": _round(p, 3)}
                for t, p in zip(self.band_times_h, self.relapse_probability, strict=True)
            ],
            "out_of_response_probability": [
                {"time_h": _round(t, 2), "probability": _round(p, 3)}
                for t, p in zip(self.band_times_h, self.out_of_response_probability, strict=True)
            ],
            "relapse_definition": {
                "baseline": _round(self.baseline, 2),
                "response_drop_percent": self.response_drop_percent,
                "threshold_score": _round(self.relapse_threshold, 2),
            },
            "suggested_next_dose_h": None
            if self.suggested_next_dose_h is None
            else _round(self.suggested_next_dose_h, 1),
            "next_dose": self.next_dose,
            "diagnostics": self.diagnostics.to_json(),
            "warnings": list(self.warnings),
        }


def _round(value: float, digits: int) -> float:
    return round(float(value), digits)


def _ratings(course: PatientCourse, history: PatientHistory) -> Ratings:
    scores = history.scores
    low = [SCALE_RANGES[s.scale][0] for s in scores]
    high = [SCALE_RANGES[s.scale][1] for s in scores]
    return Ratings(
        index=jnp.asarray(course.index([s.time_h for s in scores])),
        scale=jnp.asarray([SCALES.index(s.scale) for s in scores]),
        value=jnp.asarray([s.value for s in scores], dtype=float),
        noise_sd=jnp.asarray([course.pset[f"{s.scale}_rater_noise_sd_points"] for s in scores]),
        low=jnp.asarray(low, dtype=float),
        high=jnp.asarray(high, dtype=float),
    )


def forecast_times(history: PatientHistory, until_h: float) -> np.ndarray:
    """Every time the forecast reads: each day from 0 to ``until_h``, every score time, the end of the history."""
    days = np.arange(0.0, until_h + 1e-9, FORECAST_STEP_H)
    scored = [max(s.time_h, 0.0) for s in history.scores]
    times = np.unique(np.concatenate([days, scored, [history.end_h, until_h]]))
    keep = np.concatenate([np.diff(times) > 1e-6, [True]])
    return times[keep]


def relapse_times(
    expected: np.ndarray, times_h: np.ndarray, start: int, baseline: np.ndarray, percent: float
) -> np.ndarray:
    """Per draw, the first grid time from index ``start`` on when the expected score no longer meets response.

    ``expected`` is ``(draws, points)``; ``baseline`` is ``(draws,)``. Draws that keep meeting the criterion get
    infinity; draws not meeting it at ``start`` relapse at ``times_h[start]``.
    """
    lost = ~meets_response(baseline[:, None], expected[:, start:], percent)
    first = np.argmax(lost, axis=1)
    return np.where(lost.any(axis=1), times_h[start + first], np.inf)


def suggested_dose_time(relapse_h: np.ndarray, times_h: np.ndarray, now_h: float) -> float | None:
    """The latest grid time (not before ``now_h``) at which fewer than 20 % of draws have relapsed; None if never.

    A dose given then (a dose of ketamine acts within hours) keeps the probability of relapse under the limit.
    """
    ordered = np.sort(relapse_h)
    reached = ordered[int(np.ceil(RELAPSE_PROBABILITY_LIMIT * len(ordered))) - 1]
    if not np.isfinite(reached):
        return None
    before = times_h[times_h < reached - 1e-9]
    return float(max(now_h, before[-1] if before.size else now_h))


def _regimen(history: PatientHistory) -> dict[str, Any]:
    last = history.doses[-1]
    dose = None if last.drug == "placebo" else f"{last.amount:g} mg/kg" if last.per_kg else f"{last.amount:g} mg"
    infusion = format_hours(last.infusion_h) if last.infusion_h > 0 else None
    return {"drug": last.drug, "route": last.route, "dose": dose, "infusion": infusion}


@configured
def forecast(
    history: PatientHistory,
    facts: PatientFacts,
    until_h: float,
    *,
    plan: Protocol | None = None,
    scale: str | None = None,
    settings: SamplerSettings | None = None,
    on_start: Callable[[], None] | None = None,
) -> Forecast:
    """Fit the patient's individual parameters to their scores and forecast ``scale`` until ``until_h``.

    Parameters
    ----------
    history
        The validated history (`ketasim.protocol.history.read_history`).
    facts
        Condition and covariates.
    until_h
        Forecast horizon, hours from the first treatment (after the end of the history).
    plan
        Planned future treatments: a protocol with one arm, times from the history's first treatment.
    scale
        The scale to forecast (default: the one recorded most often).
    settings
        Sampler settings (default `SamplerSettings()`: tempered SMC).
    on_start
        Called once the history, the scale, the horizon and the plan have been checked, before the fit (a command
        shows its first progress line then, so refused input prints nothing but its error).

    Raises
    ------
    HistoryError
        For a scale that the history never records, a horizon before the end of the history, or a bad plan.
    """

    started = time.perf_counter()
    settings = settings or DEFAULT_SETTINGS
    if not history.scores:
        raise HistoryError("", "the history has no scores to fit", "add the rating scores recorded (event: score)")
    chosen = scale or history.scales[0]
    if chosen not in history.scales:
        raise HistoryError(
            "--scale", f"the history records no {chosen} scores", f"choose one of {', '.join(history.scales)}"
        )
    planned, warnings = planned_treatments(plan, history, until_h) if plan is not None else ([], [])
    protocol = build_protocol(history_protocol(history, facts, until_h, planned))
    warnings = [*warnings, *protocol.warnings]
    times = forecast_times(history, until_h)
    protocol = protocol.model_copy(update={"observe": protocol.observe.model_copy(update={"every_h": tuple(times)})})
    if on_start is not None:
        on_start()
    course = patient_course(protocol)
    ratings = _ratings(course, history)
    active = active_etas(protocol, sorted({*history.scales, chosen}))
    etas, diagnostics = sample_etas(course, ratings, max(int(ratings.index.max()), 1), active, settings)
    expected = predict_course(course, etas, chosen)

    observed_t, observed_v = history.scores_of(chosen)
    recorded = observed_v[observed_t <= 0]
    baseline = np.full(len(etas), recorded.mean()) if recorded.size else expected[:, 0]
    percent = PTSD_RESPONSE_DROP_PERCENT if chosen in PTSD_SCALES else DEFAULT_RESPONSE_DROP_PERCENT
    now = int(course.index([history.end_h])[0])
    relapse_h = relapse_times(expected, course.times_h, now, baseline, percent)

    band_times = times[times > history.end_h + 1e-6]
    at_band = expected[:, course.index(band_times)]
    rng = np.random.default_rng(settings.seed)
    recorded_scores = scales.rate(at_band, chosen, rng.random(at_band.shape), course.pset)
    band_low, band_median, band_high = np.percentile(recorded_scores, [5.0, 50.0, 95.0], axis=0)
    course_low, course_median, course_high = np.percentile(expected, [5.0, 50.0, 95.0], axis=0)
    if diagnostics.r_hat_max > 1.05:
        warnings.append(f"the sampler has not converged (r-hat {diagnostics.r_hat_max:.3f} > 1.05): run more samples")
    if diagnostics.divergences:
        warnings.append(f"{diagnostics.divergences} divergent transitions: treat the band with caution")
    events = _arm_events(protocol)
    return Forecast(
        patient=history.patient,
        scale=chosen,
        condition=facts.condition,
        end_h=history.end_h,
        until_h=until_h,
        observed_times_h=observed_t,
        observed_values=observed_v,
        baseline=float(np.median(baseline)),
        response_drop_percent=percent,
        course_times_h=course.times_h,
        course_median=course_median,
        course_low=course_low,
        course_high=course_high,
        plasticity_window=course.plasticity_window,
        band_times_h=band_times,
        band_median=band_median,
        band_low=band_low,
        band_high=band_high,
        relapse_probability=np.array([np.mean(relapse_h <= t + 1e-9) for t in band_times]),
        out_of_response_probability=1.0 - meets_response(baseline[:, None], at_band, percent).mean(axis=0),
        suggested_next_dose_h=suggested_dose_time(relapse_h, course.times_h, history.end_h),
        next_dose=_regimen(history),
        doses=events.doses,
        sessions=events.sessions,
        diagnostics=dataclasses.replace(diagnostics, seconds=time.perf_counter() - started),
        warnings=tuple(warnings),
    )


def _arm_events(protocol: Protocol) -> Any:

    return arm_events(protocol, 0)
