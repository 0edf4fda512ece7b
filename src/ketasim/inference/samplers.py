"""Samplers of the posterior of the etas: adaptive tempered sequential Monte Carlo and numpyro's NUTS, with
the diagnostics (r-hat, effective sample size) of every run."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ketasim.errors import SolverError, UnsupportedError
from ketasim.inference.course import ETA_NAMES, CourseInputs, Fixed, PatientCourse
from ketasim.inference.likelihood import Ratings, log_likelihood_batch, log_likelihood_one

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


def chain_diagnostics(draws: np.ndarray) -> tuple[float, float]:
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
            if chain_diagnostics(x)[0] < settings.target_r_hat:
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
                    log_likelihood_batch(
                        inputs, ratings, jnp.asarray(padded[i : i + batch]), static, course.condition, active
                    )
                )
                for i in range(0, len(padded), batch)
            ]
            return np.concatenate(parts)[: len(points)]

        result = tempered_smc(log_likelihood, len(active), settings, rng)
        r_hat, ess = chain_diagnostics(_shuffled(result.particles, rng))
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
    numpyro.factor("ratings", log_likelihood_one(inputs, ratings, values, static, condition, active))


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
    r_hat, ess = chain_diagnostics(grouped)
    diverging = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    values = grouped.reshape(-1, grouped.shape[-1])
    return values, Diagnostics("NUTS", r_hat, ess, settings.chains, len(values), 0.0, divergences=diverging)
