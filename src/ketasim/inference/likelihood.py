"""How likely the recorded scores are given an expected course: the rater model of
`ketasim.models.scales.rate` (Gaussian rater noise, rounded, clipped), as differences of normal CDFs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
from jax.scipy.special import log_ndtr

from ketasim.inference.course import ETA_NAMES, CourseInputs, Fixed, expected_course

EDGE_Z = 40.0  # a standardised rating edge far enough to stand for an infinite one in the likelihood


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


def embed(active: Sequence[int], values: jax.Array) -> jax.Array:
    """A full eta vector with ``values`` at the ``active`` positions and 0 elsewhere."""
    return jnp.zeros(len(ETA_NAMES)).at[jnp.asarray(active)].set(values)


def log_likelihood_one(
    inputs: CourseInputs,
    ratings: Ratings,
    values: jax.Array,
    static: Fixed,
    condition: str,
    active: tuple[int, ...],
) -> jax.Array:
    expected = expected_course(inputs, static.pset, condition, embed(active, values), static.model)[
        ratings.index, ratings.scale
    ]
    return rating_log_likelihood(expected, ratings)


@partial(jax.jit, static_argnames=("static", "condition", "active"))
def log_likelihood_batch(
    inputs: CourseInputs,
    ratings: Ratings,
    values: jax.Array,
    static: Fixed,
    condition: str,
    active: tuple[int, ...],
) -> jax.Array:
    one = partial(log_likelihood_one, inputs, ratings, static=static, condition=condition, active=active)
    return jax.vmap(one)(values)
