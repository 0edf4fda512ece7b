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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr, ndtr, ndtri

from ketasim.analysis.endpoints import (
    DEFAULT_RESPONSE_DROP_PERCENT,
    PTSD_RESPONSE_DROP_PERCENT,
    PTSD_SCALES,
    meets_response,
)
from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.engine.run import etd_coefficients, etd_rk4_apply, run
from ketasim.errors import ParameterError, SolverError, UnsupportedError
from ketasim.models import scales, symptoms
from ketasim.models.math import ARRAYS
from ketasim.models.model import Composition, Model, individual_parameters, symptom_part
from ketasim.models.scales import Scales, baseline_name
from ketasim.parameters.registry import ParameterSet
from ketasim.population import make_patients
from ketasim.protocol import Distribution, Protocol, arm_events, build_protocol
from ketasim.protocol.history import HistoryError, PatientFacts, PatientHistory, history_protocol, planned_treatments
from ketasim.protocol.schema import format_hours
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import linear_problem
from ketasim.version import __version__
from ketasim.vocabulary import SCALE_RANGES, SCALES

# The named normals of the symptom stages' individual parameters and how many draws each takes.
ETA_USES: tuple[tuple[str, int], ...] = (
    *((use, 1) for use in symptoms.INDIVIDUAL_USES),
    ("symptoms_baseline_common", 1),
    ("symptoms_baseline_scales", len(SCALES)),
)
ETA_NAMES: tuple[str, ...] = tuple(
    use.removeprefix("symptoms_") if draws == 1 else f"baseline_{scale}"
    for use, draws in ETA_USES
    for scale in (SCALES if draws > 1 else ("",))
)
COVARIATE_FIELDS = ("failed_treatments", "chronic_stress", "childhood_neglect")
# Steps of the symptom model: fine while a drug acts, coarse between doses. The symptom states relax exactly
# (ETDRK4) and read the drivers from a run at the engine's own steps; daily expected scores agree with the
# engine's within 0.01 points (tests/unit/test_forecast.py, docs/forecast.md).
SYMPTOM_POLICY = StepPolicy(
    fine_h=0.25, fine_window_h=3.0, medium_h=1.0, medium_window_h=12.0, coarse_h=6.0, onset_window_h=0.0
)
RELAPSE_PROBABILITY_LIMIT = 0.2  # spec/patient-history.md: keep the relapse probability under 20 %
FORECAST_STEP_H = 24.0
EDGE_Z = 40.0  # a standardised rating edge far enough to stand for an infinite one in the likelihood
PREDICTION_BATCH = 256  # posterior draws per vectorised prediction
CONTEXT_OF_USE = "Decision support for clinicians in research settings, not a prescription."


# ---------------------------------------------------------------- individual parameters


def patient_parameters(
    base: Mapping[str, jax.Array],
    pset: ParameterSet,
    condition: str,
    covariates: Mapping[str, Any],
    normals: Mapping[str, Any],
) -> dict[str, jax.Array]:
    """The symptom stages' parameters of patients with the given individual normals, differentiable in the normals.

    The switch and sensitivities come from `ketasim.models.symptoms.individual_fields` (shared with the
    symptom stage), the baseline scores from `baseline_scores`; ``base`` provides every parameter that does not
    depend on the normals.

    Parameters
    ----------
    base
        Parameters of the same patients (`ketasim.models.model.individual_parameters`), shape ``(n,)`` each.
    pset
        The merged parameter set.
    condition
        The patients' condition (sets the baseline score presets and the trauma load).
    covariates
        ``failed_treatments``, ``chronic_stress`` and ``childhood_neglect``, each of shape ``(n,)``.
    normals
        Standard normal deviates per use of `ETA_USES`, each of shape ``(n, draws)``.
    """
    individual = symptoms.individual_fields(
        pset,
        condition,
        covariates["failed_treatments"],
        covariates["chronic_stress"],
        covariates["childhood_neglect"],
        normals,
    )
    scores = baseline_scores(
        condition,
        pset,
        jnp.asarray(normals["symptoms_baseline_common"])[:, 0],
        jnp.asarray(normals["symptoms_baseline_scales"]),
    )
    baselines = {baseline_name(scale): scores[:, i] for i, scale in enumerate(SCALES)}
    return {**base, **individual, **baselines}


def baseline_scores(condition: str, pset: ParameterSet, common: jax.Array, specific: jax.Array) -> jax.Array:
    """`ketasim.models.scales.draw_baselines` (condition presets, with variability) in ``jax.numpy``."""
    presets = scales.baseline_presets(condition, pset)
    rho = pset["baseline_scale_correlation"]
    z = rho * common[:, None] + np.sqrt(1.0 - rho**2) * specific
    u = jnp.clip(ndtr(z), 1e-12, 1.0 - 1e-12)
    return jnp.stack([_quantile(presets[s], u[:, i]) for i, s in enumerate(SCALES)], axis=1)


def _quantile(distribution: Distribution, u: jax.Array) -> jax.Array:
    """`Distribution.quantile` of a normal (truncated) or fixed baseline distribution, in ``jax.numpy``."""
    d = distribution
    if d.form == "fixed" or (d.form == "normal" and d.sd <= 0):
        value = d.value if d.form == "fixed" else d.mean
        return jnp.clip(jnp.full(u.shape, value), d.lower, d.upper)
    if d.form != "normal" or d.integer:
        raise UnsupportedError(f"forecasting needs normal baseline score presets, not {d.form}")
    below, above = ndtr((d.lower - d.mean) / d.sd), ndtr((d.upper - d.mean) / d.sd)
    return jnp.clip(d.mean + d.sd * ndtri(below + u * (above - below)), d.lower, d.upper)


def unpack_etas(eta: jax.Array) -> dict[str, jax.Array]:
    """Split a flat vector of `ETA_NAMES` (one patient) into the named normals, each of shape ``(1, draws)``."""
    out: dict[str, jax.Array] = {}
    start = 0
    for use, draws in ETA_USES:
        out[use] = eta[start : start + draws][None, :]
        start += draws
    return out


# ---------------------------------------------------------------- the course of one patient


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class CourseInputs:
    """What the symptom model of one patient reads along its grid: steps, drivers and signals, as arrays.

    ``start``, ``middle`` and ``end`` are the drivers (the symptom stages' inputs from upstream) at the start,
    middle and end of each step, shape ``(steps, drivers)``; ``signals`` is ``(steps, signals)``; ``base`` holds
    the symptom stages' parameters, each of shape ``(1,)``; ``covariates`` the patient's `COVARIATE_FIELDS`.
    """

    steps_h: jax.Array
    start: jax.Array
    middle: jax.Array
    end: jax.Array
    signals: jax.Array
    base: dict[str, jax.Array]
    covariates: dict[str, jax.Array]

    def head(self, steps: int) -> CourseInputs:
        """The inputs of the first ``steps`` steps."""
        return dataclasses.replace(
            self,
            steps_h=self.steps_h[:steps],
            start=self.start[:steps],
            middle=self.middle[:steps],
            end=self.end[:steps],
            signals=self.signals[:steps],
        )


@dataclass(frozen=True)
class PatientCourse:
    """The symptom model of one patient along a fixed schedule, ready to integrate for any individual normals.

    Attributes
    ----------
    protocol
        The one-arm protocol of the history (and plan).
    pset
        Its parameter set.
    symptoms
        The symptom stages of the model, reading the drivers.
    times_h
        Grid points of the symptom model, through every observation time.
    inputs
        Arrays the integration reads.
    plasticity_window
        The plasticity window at the grid points (it does not depend on the normals).
    """

    protocol: Protocol
    pset: ParameterSet
    symptoms: Composition
    times_h: np.ndarray
    inputs: CourseInputs
    plasticity_window: np.ndarray

    @property
    def condition(self) -> str:
        """The patient's condition."""
        return str(self.protocol.population.condition)

    def index(self, times_h: Sequence[float] | np.ndarray) -> np.ndarray:
        """Grid index of each time (times at or before 0 read the untreated baseline at 0)."""
        wanted = np.maximum(np.asarray(times_h, dtype=float), 0.0)
        index = np.searchsorted(self.times_h, wanted - 1e-6)
        if np.any(index >= len(self.times_h)) or np.any(
            np.abs(self.times_h[np.minimum(index, len(self.times_h) - 1)] - wanted) > 1e-6
        ):
            raise ParameterError("a requested time is not on the forecast grid")
        return index


def patient_course(protocol: Protocol, policy: StepPolicy = SYMPTOM_POLICY) -> PatientCourse:
    """Simulate everything upstream of the symptoms once and lay it out along the symptom model's grid.

    The engine runs the full model at its own steps (`StepPolicy()`), observed at every grid point of the
    symptom model and at every step's midpoint, for the one patient of ``protocol`` (covariates fixed).
    """
    plan = plan_arm(protocol, 0, policy)
    points = plan.grid.times_h
    middles = 0.5 * (points[1:] + points[:-1])
    sampled = np.concatenate([points, middles])
    order = np.argsort(sampled, kind="stable")
    fine_protocol = protocol.model_copy(
        update={"observe": protocol.observe.model_copy(update={"every_h": tuple(float(t) for t in sampled[order])})}
    )
    fine = plan_arm(fine_protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, 0, 0, 1, protocol.seed)
    parameters = individual_parameters(fine.composition, fine.pset, cohort)
    symptom_model, drivers = symptom_part(fine.composition)
    quantities = tuple(name for name in drivers if name not in fine.composition.readouts)
    model = Model(fine.composition, {k: jnp.asarray(v) for k, v in parameters.items()}, quantities)
    values = run(linear_problem(fine, fine.pset, cohort), fine.schedule, fine.grid, model, drivers)
    table = np.stack([values[name][0] for name in drivers], axis=1)  # (sampled times, drivers)
    if table.shape[0] != len(sampled):
        raise ParameterError("the symptom grid is too fine for the engine's time resolution")
    if not np.isfinite(table).all():
        raise ParameterError("the simulated drivers of the symptom model became non-finite")
    position = np.empty(len(sampled), dtype=int)
    position[order] = np.arange(len(sampled))
    at_points, at_middles = table[position[: len(points)]], table[position[len(points) :]]
    inputs = CourseInputs(
        steps_h=jnp.asarray(plan.grid.steps_h),
        start=jnp.asarray(at_points[:-1]),
        middle=jnp.asarray(at_middles),
        end=jnp.asarray(at_points[1:]),
        signals=jnp.asarray(plan.schedule.signals),
        base={name: jnp.asarray(parameters[name]) for name in symptom_model.parameter_names()},
        covariates={name: jnp.asarray(getattr(cohort, name), dtype=float) for name in COVARIATE_FIELDS},
    )
    window = at_points[:, drivers.index("plasticity_window")]
    return PatientCourse(protocol, fine.pset, symptom_model, points, inputs, window)


def integrate(inputs: CourseInputs, params: Mapping[str, jax.Array], model: Composition) -> jax.Array:
    """The symptom stages' states of one patient at every grid point, shape ``(steps + 1, states)``."""
    names = model.state_names
    rates = jnp.stack([jnp.asarray(model.decay(ARRAYS, params)[n]) for n in names], axis=-1)
    initial = model.initial(ARRAYS, params)
    y0 = jnp.stack([jnp.asarray(initial[n]) for n in names], axis=-1)

    def drivers(values: jax.Array, signals: jax.Array) -> dict[str, jax.Array]:
        inputs = {name: values[i][None] for i, name in enumerate(model.readouts)}
        return {**inputs, **{name: signals[i] for i, name in enumerate(model.signals)}}

    def derivative(state: jax.Array, d: Mapping[str, jax.Array]) -> jax.Array:
        v = {**params, **d, **{name: state[..., i] for i, name in enumerate(names)}}
        v.update(model.evaluate(ARRAYS, v))
        values = model.rates(ARRAYS, v)
        return jnp.stack([values[n] for n in names], axis=-1)

    def step(y: jax.Array, x: tuple[jax.Array, ...]) -> tuple[jax.Array, jax.Array]:
        h, a, m, b, s = x
        y = etd_rk4_apply(etd_coefficients(rates, h), y, derivative, drivers(a, s), drivers(m, s), drivers(b, s))
        return y, y[0]

    scan: Callable = jax.lax.scan
    _, states = scan(step, y0, (inputs.steps_h, inputs.start, inputs.middle, inputs.end, inputs.signals))
    return jnp.concatenate([y0, states])


def expected_course(
    inputs: CourseInputs, pset: ParameterSet, condition: str, eta: jax.Array, model: Composition
) -> jax.Array:
    """Noise-free expected score of every scale (`SCALES` order) at every grid point, for one eta vector."""
    params = patient_parameters(inputs.base, pset, condition, inputs.covariates, unpack_etas(eta))
    states = integrate(inputs, params, model)
    values = {**params, **{name: states[:, i] for i, name in enumerate(model.state_names)}}
    scores = Scales().values(ARRAYS, values)
    return jnp.stack([scores[s] for s in SCALES], axis=-1)


# ---------------------------------------------------------------- likelihood


class Fixed:
    """What the jitted likelihood and prediction hold fixed: the parameter set (compared by identity: the
    individual parameters read its values as numbers) and the symptom stages."""

    def __init__(self, pset: ParameterSet, model: Composition) -> None:
        self.pset = pset
        self.model = model

    def __hash__(self) -> int:
        return hash((id(self.pset), self.model))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixed) and other.pset is self.pset and other.model == self.model


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Ratings:
    """Recorded scores as arrays: grid index, scale index, value, rater noise SD and the scale's range."""

    index: jax.Array
    scale: jax.Array
    value: jax.Array
    noise_sd: jax.Array
    low: jax.Array
    high: jax.Array


def log_normal_interval(lower: jax.Array, upper: jax.Array) -> jax.Array:
    """log(Φ(upper) − Φ(lower)) for lower < upper, accurate in both tails."""
    flip = lower > 0
    a = jnp.where(flip, -upper, lower)
    b = jnp.where(flip, -lower, upper)
    log_b, log_a = log_ndtr(b), log_ndtr(a)
    return log_b + jnp.log1p(-jnp.exp(log_a - log_b))


def rating_log_likelihood(expected: jax.Array, ratings: Ratings) -> jax.Array:
    """Log-probability that a rater records ``ratings.value`` when the expected scores are ``expected``.

    The rater model of `ketasim.models.scales.rate`: round(expected + N(0, sd²)) clipped to [low, high], so a
    score k is any noisy value within k ± 0.5, and the range ends take everything beyond them.
    """
    sd = ratings.noise_sd
    upper = jnp.where(ratings.value >= ratings.high, EDGE_Z, (ratings.value + 0.5 - expected) / sd)
    lower = jnp.where(ratings.value <= ratings.low, -EDGE_Z, (ratings.value - 0.5 - expected) / sd)
    return jnp.sum(log_normal_interval(lower, upper))


def _embed(active: Sequence[int], values: jax.Array) -> jax.Array:
    """A full eta vector with ``values`` at the ``active`` positions and 0 elsewhere."""
    return jnp.zeros(len(ETA_NAMES)).at[jnp.asarray(active)].set(values)


def _log_likelihood_one(
    inputs: CourseInputs,
    ratings: Ratings,
    values: jax.Array,
    static: Fixed,
    condition: str,
    active: tuple[int, ...],
) -> jax.Array:
    expected = expected_course(inputs, static.pset, condition, _embed(active, values), static.model)[
        ratings.index, ratings.scale
    ]
    return rating_log_likelihood(expected, ratings)


@partial(jax.jit, static_argnames=("static", "condition", "active"))
def _log_likelihood_batch(
    inputs: CourseInputs,
    ratings: Ratings,
    values: jax.Array,
    static: Fixed,
    condition: str,
    active: tuple[int, ...],
) -> jax.Array:
    one = partial(_log_likelihood_one, inputs, ratings, static=static, condition=condition, active=active)
    return jax.vmap(one)(values)


@partial(jax.jit, static_argnames=("static", "condition", "scale"))
def _predict(inputs: CourseInputs, etas: jax.Array, static: Fixed, condition: str, scale: int) -> jax.Array:
    return jax.vmap(lambda eta: expected_course(inputs, static.pset, condition, eta, static.model)[:, scale])(etas)


@configured
def predict_course(course: PatientCourse, etas: np.ndarray, scale: str) -> np.ndarray:
    """Expected scores of ``scale`` for each eta draw at every grid point, shape ``(draws, points)``."""
    static = Fixed(course.pset, course.symptoms)
    draws = len(etas)
    padded = np.concatenate([etas, np.zeros((-draws % PREDICTION_BATCH, etas.shape[1]))])
    parts = [
        np.asarray(
            _predict(
                course.inputs,
                jnp.asarray(padded[i : i + PREDICTION_BATCH]),
                static,
                course.condition,
                SCALES.index(scale),
            )
        )
        for i in range(0, len(padded), PREDICTION_BATCH)
    ]
    return np.concatenate(parts)[:draws]


def active_etas(protocol: Protocol, scales_used: Sequence[str]) -> tuple[int, ...]:
    """Positions in `ETA_NAMES` of the etas that can change the recorded or forecast scores.

    The serotonergic sensitivity acts only with escitalopram; the scale-specific baseline deviate of a scale
    that is neither recorded nor forecast changes nothing read. The others always count. Leaving the rest out
    of the sampler is exact: their posterior is their prior.
    """

    escitalopram = any(d.drug == "escitalopram" for d in arm_events(protocol, 0).doses)
    active = []
    for i, name in enumerate(ETA_NAMES):
        if name == "ssri_sensitivity" and not escitalopram:
            continue
        if (
            name.startswith("baseline_")
            and name != "baseline_common"
            and name.removeprefix("baseline_") not in scales_used
        ):
            continue
        active.append(i)
    return tuple(active)


# ---------------------------------------------------------------- samplers


@dataclass(frozen=True)
class SamplerSettings:
    """How the posterior of the etas is sampled.

    ``method`` is ``"smc"`` (default: adaptive tempered sequential Monte Carlo with random-walk Metropolis
    moves, ``populations`` independent populations of ``particles``, whose agreement gives r-hat) or ``"nuts"``
    (numpyro's No-U-Turn Sampler: ``chains`` × (``warmup`` + ``samples``), through the gradient of the course).
    """

    method: str = "smc"
    populations: int = 4
    particles: int = 256
    moves: int = 5
    final_moves: int = 10
    max_final_moves: int = 40
    target_r_hat: float = 1.03
    chains: int = 2
    warmup: int = 300
    samples: int = 300
    target_accept: float = 0.85
    max_tree_depth: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in ("smc", "nuts"):
            raise UnsupportedError(f"unknown sampler {self.method!r}: use smc or nuts")


DEFAULT_SETTINGS = SamplerSettings()


@dataclass(frozen=True)
class Diagnostics:
    """How well the sampler did: method, largest r-hat, smallest effective sample size, draws and seconds.

    ``r_hat_max`` compares the chains (NUTS) or the independent populations (SMC); ``ess_min`` is the smallest
    effective sample size over the sampled etas. SMC adds its tempering stages and mean acceptance rate of
    the moves; NUTS its divergent transitions.
    """

    method: str
    r_hat_max: float
    ess_min: float
    chains: int
    draws: int
    seconds: float
    divergences: int | None = None
    stages: int | None = None
    acceptance: float | None = None
    sampled: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The diagnostics as in ``spec/patient-history.md``, with the sampler's own extras."""
        out: dict[str, Any] = {
            "method": self.method,
            "r_hat_max": round(self.r_hat_max, 4),
            "ess_min": round(self.ess_min, 1),
            "seconds": round(self.seconds, 2),
            "chains": self.chains,
            "draws": self.draws,
            "sampled": list(self.sampled),
        }
        for name in ("divergences", "stages", "acceptance"):
            value = getattr(self, name)
            if value is not None:
                out[name] = round(value, 3) if isinstance(value, float) else value
        return out


def _chain_diagnostics(draws: np.ndarray) -> tuple[float, float]:
    """Largest r-hat and smallest ESS over the columns of ``draws`` (chains, draws, dims)."""
    from numpyro.diagnostics import effective_sample_size, gelman_rubin

    return float(np.nanmax(gelman_rubin(draws))), float(np.nanmin(effective_sample_size(draws)))


@dataclass(frozen=True)
class SMCResult:
    """Particles of each population ``(populations, particles, dims)`` at temperature 1, and run statistics."""

    particles: np.ndarray
    stages: int
    acceptance: float
    evaluations: int


def tempered_smc(
    log_likelihood: Callable[[np.ndarray], np.ndarray], dims: int, settings: SamplerSettings, rng: np.random.Generator
) -> SMCResult:
    """Sample the posterior of a standard normal prior times ``exp(log_likelihood)`` by tempered SMC.

    Each population starts from the prior and is tempered towards the posterior, the next temperature chosen so
    that the effective sample size of every population stays at half its particles; after each reweighting and
    systematic resampling, random-walk Metropolis moves (proposal covariance from the population, scale tuned
    towards 30 % acceptance) rejuvenate the particles. At temperature 1 the moves continue until the populations
    agree (r-hat under ``settings.target_r_hat``) or ``max_final_moves`` is reached.

    Parameters
    ----------
    log_likelihood
        Maps ``(n, dims)`` points to ``(n,)`` log-likelihoods (non-finite values count as impossible).
    dims
        Dimension of the parameter space.
    settings
        Populations, particles and moves.
    rng
        Random numbers.

    References
    ----------
    Del Moral P, Doucet A, Jasra A (2006) J R Stat Soc B 68:411, doi:10.1111/j.1467-9868.2006.00553.x.
    Jasra A et al. (2011) Scand J Stat 38:1, doi:10.1111/j.1467-9469.2010.00723.x (adaptive temperatures).
    """
    populations, n = settings.populations, settings.particles
    evaluations = 0

    def evaluate(points: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        evaluations += points.shape[0] * points.shape[1]
        values = np.asarray(log_likelihood(points.reshape(-1, dims)), dtype=float).reshape(points.shape[:2])
        return np.where(np.isfinite(values), values, -np.inf)

    x = rng.standard_normal((populations, n, dims))
    loglik = evaluate(x)
    if not np.isfinite(loglik).any(axis=1).all():
        raise SolverError("no prior draw could reproduce the recorded scores (the model failed for all of them)")
    beta, stages, scale = 0.0, 0, np.full(populations, 2.38 / np.sqrt(dims))
    accepted: list[float] = []
    while beta < 1.0:
        new = _next_temperature(loglik, beta)
        x, loglik = _resample(x, loglik, (new - beta) * loglik, rng)
        beta, stages = new, stages + 1
        moves = settings.final_moves if beta >= 1.0 else settings.moves
        done = 0
        while True:
            x, loglik, rate = _metropolis(x, loglik, beta, scale, evaluate, rng)
            scale = scale * np.exp(rate - 0.3)
            accepted.append(float(rate.mean()))
            done += 1
            if done < moves:
                continue
            if beta < 1.0 or done >= settings.max_final_moves:
                break
            if _chain_diagnostics(x)[0] < settings.target_r_hat:
                break
    return SMCResult(x, stages, float(np.mean(accepted)), evaluations)


def _next_temperature(loglik: np.ndarray, beta: float) -> float:
    """The largest temperature up to 1 keeping every population's effective sample size at half its size."""

    def worst_ess(b: float) -> float:
        log_w = (b - beta) * loglik
        log_w = log_w - log_w.max(axis=1, keepdims=True)
        w = np.exp(log_w)
        w = w / w.sum(axis=1, keepdims=True)
        return float((1.0 / (w**2).sum(axis=1)).min())

    target = 0.5 * loglik.shape[1]
    if worst_ess(1.0) >= target:
        return 1.0
    low, high = beta, 1.0
    for _ in range(50):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if worst_ess(middle) >= target else (low, middle)
    return max(low, beta + 1e-6)


def _resample(
    x: np.ndarray, loglik: np.ndarray, log_weights: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Systematic resampling within each population."""
    populations, n = log_weights.shape
    w = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
    cumulative = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    u = (rng.random((populations, 1)) + np.arange(n)) / n
    index = np.stack([np.minimum(np.searchsorted(cumulative[p], u[p]), n - 1) for p in range(populations)])
    return np.take_along_axis(x, index[..., None], axis=1), np.take_along_axis(loglik, index, axis=1)


def _metropolis(
    x: np.ndarray,
    loglik: np.ndarray,
    beta: float,
    scale: np.ndarray,
    evaluate: Callable[[np.ndarray], np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One random-walk Metropolis move of every particle; returns particles, log-likelihoods and acceptance rates."""
    dims = x.shape[2]
    covariance = np.einsum("pni,pnj->pij", x - x.mean(axis=1, keepdims=True), x - x.mean(axis=1, keepdims=True))
    covariance = covariance / max(x.shape[1] - 1, 1) + 1e-9 * np.eye(dims)
    root = np.linalg.cholesky(covariance)
    proposal = x + scale[:, None, None] * np.einsum("pij,pnj->pni", root, rng.standard_normal(x.shape))
    proposed = evaluate(proposal)
    log_ratio = beta * (proposed - loglik) - 0.5 * ((proposal**2).sum(-1) - (x**2).sum(-1))
    with np.errstate(invalid="ignore"):
        accept = np.log(rng.random(loglik.shape)) < log_ratio
    return np.where(accept[..., None], proposal, x), np.where(accept, proposed, loglik), accept.mean(axis=1)


def _shuffled(particles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Particles in random order within each population (they have no order; split diagnostics need one)."""
    order = np.argsort(rng.random(particles.shape[:2]), axis=1)
    return np.take_along_axis(particles, order[..., None], axis=1)


def sample_etas(
    course: PatientCourse, ratings: Ratings, steps: int, active: tuple[int, ...], settings: SamplerSettings
) -> tuple[np.ndarray, Diagnostics]:
    """Posterior draws of the etas, shape ``(draws, len(ETA_NAMES))``, and the sampler's diagnostics.

    Only the ``active`` etas are sampled (the others are drawn from their prior); only the first ``steps`` steps
    of the course (up to the last recorded score) are integrated.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    inputs = course.inputs.head(steps)
    static = Fixed(course.pset, course.symptoms)
    if settings.method == "nuts":
        values, diagnostics = _sample_nuts(inputs, ratings, static, course.condition, active, settings)
    else:
        batch = settings.populations * settings.particles

        def log_likelihood(points: np.ndarray) -> np.ndarray:
            padded = np.concatenate([points, np.zeros((-len(points) % batch, points.shape[1]))])
            parts = [
                np.asarray(
                    _log_likelihood_batch(
                        inputs, ratings, jnp.asarray(padded[i : i + batch]), static, course.condition, active
                    )
                )
                for i in range(0, len(padded), batch)
            ]
            return np.concatenate(parts)[: len(points)]

        result = tempered_smc(log_likelihood, len(active), settings, rng)
        r_hat, ess = _chain_diagnostics(_shuffled(result.particles, rng))
        values = result.particles.reshape(-1, len(active))
        diagnostics = Diagnostics(
            method="SMC",
            r_hat_max=r_hat,
            ess_min=ess,
            chains=settings.populations,
            draws=len(values),
            seconds=0.0,
            stages=result.stages,
            acceptance=result.acceptance,
        )
    etas = rng.standard_normal((len(values), len(ETA_NAMES)))
    etas[:, list(active)] = values
    sampled = tuple(ETA_NAMES[i] for i in active)
    return etas, dataclasses.replace(diagnostics, seconds=time.perf_counter() - started, sampled=sampled)


def _numpyro_model(
    inputs: CourseInputs, ratings: Ratings, static: Fixed, condition: str, active: tuple[int, ...]
) -> None:
    import numpyro
    import numpyro.distributions as dist

    values = numpyro.sample("eta", dist.Normal(0.0, 1.0).expand([len(active)]).to_event(1))
    numpyro.factor("ratings", _log_likelihood_one(inputs, ratings, values, static, condition, active))


def _sample_nuts(
    inputs: CourseInputs,
    ratings: Ratings,
    static: Fixed,
    condition: str,
    active: tuple[int, ...],
    settings: SamplerSettings,
) -> tuple[np.ndarray, Diagnostics]:
    from numpyro.infer import MCMC, NUTS

    model = partial(_numpyro_model, static=static, condition=condition, active=active)
    kernel = NUTS(model, target_accept_prob=settings.target_accept, max_tree_depth=settings.max_tree_depth)
    mcmc = MCMC(
        kernel,
        num_warmup=settings.warmup,
        num_samples=settings.samples,
        num_chains=settings.chains,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(settings.seed), inputs, ratings, extra_fields=("diverging",))
    grouped = np.asarray(mcmc.get_samples(group_by_chain=True)["eta"])
    r_hat, ess = _chain_diagnostics(grouped)
    diverging = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    values = grouped.reshape(-1, grouped.shape[-1])
    return values, Diagnostics("NUTS", r_hat, ess, settings.chains, len(values), 0.0, divergences=diverging)


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
