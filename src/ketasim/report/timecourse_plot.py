"""Plots of simulated time courses (median and 5-95 % band per arm) on self-contained, offline HTML pages.

`write_timecourse_plot` makes ``plot.html`` of ``ketasim simulate``: one panel per output, one colour per arm.
The page helpers here (`offline_page`, `figure_html`, `band_traces`, `time_axis`) are shared with the
validation report, so every page embeds plotly.js inline once and opens without a network.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.colors import hex_to_rgb
from plotly.colors import qualitative as palettes
from plotly.subplots import make_subplots

from ketasim.analysis.courses import band_over_patients
from ketasim.result_files import write_text
from ketasim.version import __version__

COLOURS: tuple[str, ...] = tuple(palettes.Plotly)
DAYS_FROM_H = 72.0  # time axes longer than this are drawn in days
CONTEXT = "Research and education tool: a model, not medical advice."
PLOT_CONFIG = {"responsive": True, "displaylogo": False}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; }
main { max-width: 980px; margin: 0 auto; padding: 0.75rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.context { color: #555; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.6rem; color: #fff; font-weight: 600;
         font-size: 0.8rem; }
.pass { background: #2e7d32; } .fail { background: #c62828; } .error { background: #6d4c41; }
.error-text { color: #6d4c41; white-space: pre-wrap; }
.plot { width: 100%; overflow: hidden; }
a { overflow-wrap: anywhere; }
@media (max-width: 600px) { main { padding: 0.4rem; } h1 { font-size: 1.2rem; } }
"""


def time_axis(time_h: ArrayLike) -> tuple[np.ndarray, str, float]:
    """Times for an axis: in hours, or in days when the span exceeds 72 h; returns times, title and divisor."""
    time = np.asarray(time_h, dtype=np.float64)
    span = float(time[-1] - time[0]) if time.size else 0.0
    divisor = 24.0 if span > DAYS_FROM_H else 1.0
    return time / divisor, ("time (d)" if divisor == 24.0 else "time (h)"), divisor


def rgba(colour: str, alpha: float) -> str:
    """A ``#rrggbb`` colour as a CSS ``rgba(...)`` string with the given opacity."""
    red, green, blue = hex_to_rgb(colour)
    return f"rgba({red},{green},{blue},{alpha})"


def band_traces(
    x: ArrayLike,
    median: ArrayLike,
    low: ArrayLike | None,
    high: ArrayLike | None,
    *,
    name: str,
    colour: str,
    show_legend: bool = True,
) -> list[go.Scatter]:
    """A shaded 5-95 % band (if given) and the median line, grouped under one legend entry."""
    xs = np.asarray(x, dtype=np.float64)
    traces: list[go.Scatter] = []
    if low is not None and high is not None:
        traces.append(
            go.Scatter(
                x=np.concatenate((xs, xs[::-1])),
                y=np.concatenate((np.asarray(high, dtype=np.float64), np.asarray(low, dtype=np.float64)[::-1])),
                fill="toself",
                fillcolor=rgba(colour, 0.2),
                line={"width": 0},
                hoverinfo="skip",
                name=f"{name} 5-95 %",
                legendgroup=name,
                showlegend=False,
            )
        )
    traces.append(
        go.Scatter(
            x=xs,
            y=np.asarray(median, dtype=np.float64),
            mode="lines",
            line={"color": colour, "width": 2},
            name=name if low is None else f"{name} (median, 5-95 % band)",
            legendgroup=name,
            showlegend=show_legend,
        )
    )
    return traces


def timecourse_figure(dataset: Any, title: str = "") -> go.Figure:
    """One panel per output variable of a simulated dataset (dims arm, patient, time), median and band per arm."""
    names = [str(n) for n in dataset.data_vars if set(dataset[n].dims) >= {"arm", "time"}]
    if not names:
        raise ValueError("the dataset has no output with dims arm and time")
    x, x_title, _ = time_axis(dataset["time"].values)
    rows = len(names)
    titles = [str(dataset[n].attrs.get("long_name", n)) for n in names]
    figure = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=min(0.08, 0.35 / rows)
    )
    arms = [str(a) for a in np.asarray(dataset["arm"].values).ravel()]
    for row, name in enumerate(names, start=1):
        variable = dataset[name]
        for k, arm in enumerate(arms):
            courses = variable.sel(arm=arm)
            values = courses.transpose("patient", "time").values if "patient" in courses.dims else courses.values
            band = band_over_patients(values)
            for trace in band_traces(
                x, band.median, band.low, band.high, name=arm, colour=COLOURS[k % len(COLOURS)], show_legend=row == 1
            ):
                figure.add_trace(trace, row=row, col=1)
        unit = str(variable.attrs.get("units", ""))
        figure.update_yaxes(title_text=f"{name} ({unit})" if unit else name, row=row, col=1)
    figure.update_xaxes(title_text=x_title, row=rows, col=1)
    figure.update_layout(
        title=title or None,
        height=120 + 260 * rows,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yref": "container", "y": 1, "yanchor": "top"},
        template="plotly_white",
    )
    return figure


def figure_html(figure: go.Figure) -> str:
    """A figure as an HTML fragment that uses the plotly.js embedded once in the page head."""
    return str(figure.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG))


def offline_page(title: str, body: str) -> str:
    """A complete HTML page with plotly.js inline, a phone-friendly viewport and the context-of-use note."""
    from plotly.offline import get_plotlyjs

    return "\n".join(
        (
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_CSS}</style>",
            f'<script type="text/javascript">{get_plotlyjs()}</script>',
            "</head>",
            "<body><main>",
            f"<h1>{html.escape(title)}</h1>",
            f'<p class="context">{html.escape(CONTEXT)} ketasim {html.escape(__version__)}.</p>',
            body,
            "</main></body>",
            "</html>",
        )
    )


def write_timecourse_plot(dataset: Any, path: str | Path, *, title: str = "") -> Path:
    """Write ``plot.html`` for a simulated dataset, completely or not at all, and return its path (folders
    created)."""
    heading = f"ketasim: {title}" if title else "ketasim time courses"
    body = _arm_note(dataset) + f'<div class="plot">{figure_html(timecourse_figure(dataset))}</div>'
    return write_text(path, offline_page(heading, body))


def _arm_note(dataset: Any) -> str:
    patients = int(dataset.sizes.get("patient", 1))
    arms: Sequence[str] = [str(a) for a in np.asarray(dataset["arm"].values).ravel()]
    spread = "median across patients and 5-95 % band" if patients > 1 else "one patient"
    return f"<p>Arms: {html.escape(', '.join(arms))}; {patients} patient(s) per arm ({spread}).</p>"
