"""Every test runs with JAX configured as ketasim's entry points configure it (float64, compile cache)."""

from __future__ import annotations

from ketasim.engine.jax_setup import configure

configure()
