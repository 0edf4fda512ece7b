"""Every test runs with JAX configured as ketasim's entry points configure it (float64, compile cache); shared
fixtures."""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import jax
import pytest

from ketasim.engine import programs
from ketasim.engine.jax_setup import configure
from ketasim.models import network

configure()


@pytest.fixture(autouse=True, scope="module")
def fresh_compiled_programs() -> Iterator[None]:
    """Drop the compiled programs after each test module (later modules read them back from the persistent cache).

    Every program loaded by XLA holds a few memory mappings; a whole run keeps thousands of programs alive and
    passes the kernel's limit of 65,530 mappings per process (``vm.max_map_count``), where XLA aborts or crashes
    while loading the next one.
    """
    yield
    jax.clear_caches()
    gc.collect()


@pytest.fixture(autouse=True)
def trace_again_in_mutmut_coverage_run() -> None:
    """In mutmut's coverage run, make each test trace the model anew.

    mutmut records which tests call each function; a jitted function runs only while JAX traces it, and the network
    table is computed once per parameter set, so a program or table made by an earlier test would hide the model's
    functions from every later test, and mutmut would run too few tests on their mutants.
    """
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        jax.clear_caches()
        network.clear_tables()


@pytest.fixture(autouse=True)
def no_program_store_under_mutmut(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under mutmut, run without the program store: mutmut switches mutants inside unchanged files, which the
    store's keys (a digest of the package's files) cannot see, so a stored program would hide the mutant."""
    if "MUTANT_UNDER_TEST" in os.environ:
        monkeypatch.setenv(programs.STORE_VARIABLE, "")


@pytest.fixture
def assert_offline_page() -> Callable[[Path], str]:
    """A check that a report page loads plotly.js from the shared file beside it (and nothing from a network),
    returning the page's text."""
    from plotly.offline import get_plotlyjs

    from ketasim.report.page import plotly_file_name

    def check(page: Path) -> str:
        text = page.read_text(encoding="utf-8")
        sources = re.findall(r'<script src="([^"]+)"', text)
        assert sources == [plotly_file_name()], sources
        assert (page.parent / sources[0]).read_text(encoding="utf-8") == get_plotlyjs()
        assert get_plotlyjs()[:400] not in text  # not inlined any more
        assert '<meta name="viewport"' in text
        return text

    return check
