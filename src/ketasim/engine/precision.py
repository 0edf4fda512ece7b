"""JAX numerical precision: float64 everywhere in the engine (pharmacokinetics need it)."""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)
