"""Every test runs with JAX configured as ketasim's entry points configure it (float64, compile cache); shared
fixtures."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ketasim.engine.jax_setup import configure

configure()


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
