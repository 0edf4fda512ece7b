"""JAX settings for the engine: float64 everywhere (pharmacokinetics need it) and a persistent compile cache.

Compiling the engine for a new model structure takes seconds; the cache keeps compiled programs on disk
(``$KETASIM_JAX_CACHE``, default ``~/.cache/ketasim/jax``) so later runs of the same kind start at once.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
_cache = os.environ.get("KETASIM_JAX_CACHE", str(Path.home() / ".cache" / "ketasim" / "jax"))
if _cache:
    jax.config.update("jax_compilation_cache_dir", _cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
