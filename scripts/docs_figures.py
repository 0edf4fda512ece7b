"""mkdocs hook (``mkdocs.yml``: ``hooks``): figures simulated from the example protocols while the site builds.

A page asks for a figure with an HTML comment on a line of its own::

    <!-- ketasim-figure: single-infusion.yaml plasma_ketamine nmda_occupancy patients=40 -->

The hook simulates ``examples/<file>`` (``patients`` per arm, 40 unless given), draws one labelled panel per output
named (median, 25-75 % and 5-95 % of patients per arm, as in the trial report) and puts the figure in its place.
plotly.js is written once into the site (``assets/``), so the built site needs no network. A marker that names an
unknown file or output fails the build.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

from ketasim.protocol import load_protocol
from ketasim.report.page import figure_html, plotly_file_name, write_plotly
from ketasim.report.trial_report import band_figure
from ketasim.simulation.run import simulate
from ketasim.vocabulary import OUTPUTS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MARKER = re.compile(r"<!--\s*ketasim-figure:\s*(?P<spec>[^>]*?)\s*-->")
ASSETS = "assets"
DEFAULT_PATIENTS = 40


@cache
def _figure(spec: str) -> str:
    """The HTML of the figure a marker asks for (each marker simulated once per build)."""
    words = spec.split()
    if not words:
        raise PluginError("ketasim-figure: name an example file and outputs")
    options = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    names = [word for word in words[1:] if "=" not in word]
    path = EXAMPLES / words[0]
    if not path.is_file():
        raise PluginError(f"ketasim-figure: no example {words[0]!r} in {EXAMPLES}")
    unknown = [name for name in names if name not in OUTPUTS]
    if unknown or not names:
        raise PluginError(f"ketasim-figure {spec!r}: name outputs of the vocabulary (not {unknown})")
    protocol = load_protocol(path)
    dataset = simulate(protocol, patients=int(options.get("patients", DEFAULT_PATIENTS)))
    figure = band_figure(dataset, names, labelled=True)
    figure.update_layout(title=f"{protocol.name} ({dataset.sizes['patient']} virtual patients per arm)")
    return figure_html(figure)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Put the simulated figures in place of their markers, and load plotly.js on pages that have one."""
    if not MARKER.search(html):
        return html
    figures = MARKER.sub(lambda match: f'<div class="ketasim-figure">{_figure(match.group("spec"))}</div>', html)
    script = get_relative_url(f"{ASSETS}/{plotly_file_name()}", page.url)
    return f'<script src="{script}"></script>\n{figures}'


def on_post_build(config: Any) -> None:
    """Write plotly.js once into the built site."""
    folder = Path(config["site_dir"]) / ASSETS
    folder.mkdir(parents=True, exist_ok=True)
    write_plotly(folder)
