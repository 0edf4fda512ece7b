"""engine/jax_setup.py: float64 and the persistent compile cache, which keeps every program however fast it compiled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jax
import pytest

from ketasim.engine.jax_setup import CACHE_VARIABLE, configure

SETTINGS = ("jax_enable_x64", "jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")


@pytest.fixture
def restored_settings() -> Iterator[None]:
    before = {name: getattr(jax.config, name) for name in SETTINGS}
    yield
    for name, value in before.items():
        jax.config.update(name, value)


def test_the_cache_folder_comes_from_the_environment_and_keeps_every_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restored_settings: None
) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    configure()
    assert jax.config.jax_enable_x64
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "cache")
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0.0
