"""Powers for the model's saturating and window curves, fast in the engine's single-precision derivative."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def power(base: jax.Array | float, exponent: jax.Array | float) -> jax.Array:
    """``base ** exponent`` for ``base >= 0`` (0 ** 0 is 1).

    In float32, the precision the engine evaluates derivatives in, as exp(exponent · log base): on CPU about
    2.7x faster than XLA's general ``pow`` and accurate to a few float32 ulps times |exponent · log base|.
    In float64 (outputs, the SBML export, forecasts and their gradients) it is `jax.numpy.power`.
    """
    if jnp.result_type(base, exponent) != jnp.float32:
        return jnp.power(base, exponent)
    base = jnp.asarray(base)
    positive = base > 0
    logarithm = jnp.log(jnp.where(positive, base, 1.0))
    return jnp.where(positive, jnp.exp(exponent * logarithm), jnp.where(jnp.asarray(exponent) == 0, 1.0, 0.0))
