"""JAX settings the engine needs, applied on request rather than on import.

`configure` switches JAX to float64 (the pharmacokinetics and the states need it; the engine evaluates only the
nonlinear derivative in float32) and points JAX's persistent compile cache at ``$KETASIM_JAX_CACHE`` (default
``~/.cache/ketasim/jax``; empty switches the cache off), so later runs of the same program start at once.
Every program is cached however quickly it compiled: a run also compiles dozens of small programs (the
operations that build the model's arrays, each about 10 ms), which together cost more than reading them back.
Both are process-wide JAX settings: every public entry point of ketasim that runs the model calls `configure`
first (the decorator `configured`), and importing ketasim changes nothing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import jax

from ketasim.user_cache import user_cache

CACHE_VARIABLE = "KETASIM_JAX_CACHE"
P = ParamSpec("P")
R = TypeVar("R")


def configure() -> None:
    """Use float64 in JAX and the persistent compile cache (idempotent)."""
    if not jax.config.jax_enable_x64:  # type: ignore[attr-defined]
        jax.config.update("jax_enable_x64", True)
    cache = os.environ.get(CACHE_VARIABLE, str(user_cache("jax")))
    if cache and jax.config.jax_compilation_cache_dir != cache:  # type: ignore[attr-defined]
        jax.config.update("jax_compilation_cache_dir", cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def configured(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` with `configure` called before it runs (for the entry points that run the model)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        configure()
        return function(*args, **kwargs)

    return wrapper
