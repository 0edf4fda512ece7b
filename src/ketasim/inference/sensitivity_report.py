"""The HTML page of a sensitivity analysis: a tornado chart of the Sobol indices and their table."""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from ketasim.inference.sensitivity import CONFIDENCE_SPREAD, SensitivityResult
from ketasim.report.page import data_table, figure_html, write_page
from ketasim.report.timecourse_plot import COLOURS


def sensitivity_figure(result: SensitivityResult) -> go.Figure:
    """Horizontal bars of each parameter's first- and total-order index with 95 % intervals, largest on top."""
    names = [index.parameter.name for index in reversed(result.indices)]
    figure = go.Figure()
    for label, colour, value, interval in (
        ("total order (ST)", COLOURS[0], "total", "total_ci95"),
        ("first order (S1)", COLOURS[1], "first", "first_ci95"),
    ):
        centres = [getattr(index, value) for index in reversed(result.indices)]
        intervals = [getattr(index, interval) for index in reversed(result.indices)]
        figure.add_trace(
            go.Bar(
                x=centres,
                y=names,
                orientation="h",
                name=label,
                marker_color=colour,
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [max(high - c, 0.0) for c, (_, high) in zip(centres, intervals, strict=True)],
                    "arrayminus": [max(c - low, 0.0) for c, (low, _) in zip(centres, intervals, strict=True)],
                },
            )
        )
    figure.update_layout(
        barmode="group",
        height=max(320, 28 * len(names) + 120),
        xaxis_title="Sobol index (share of the endpoint's variance)",
        legend={"orientation": "h", "y": -0.15},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
    )
    figure.update_yaxes(automargin=True)
    return figure


def _interval(low_high: tuple[float, float]) -> str:
    return f"{low_high[0]:.2f} to {low_high[1]:.2f}"


def sensitivity_report_body(result: SensitivityResult) -> str:
    """The page's body: what was varied and how, the chart, and the table of indices and ranges."""
    spreads = ", ".join(f"{factor:g} ({confidence})" for confidence, factor in CONFIDENCE_SPREAD.items())
    contrast = f" minus arm {result.control!r}" if result.control else ""
    intro = (
        f"<p>Endpoint <b>{html.escape(result.endpoint)}</b> in arm {html.escape(repr(result.arm))}"
        f"{html.escape(contrast)} of protocol {html.escape(repr(result.protocol))}: {len(result.indices)} parameters, "
        f"{result.samples} base samples ({result.values.size} points), {result.patients} patients per arm at each "
        f"point (the same patients at every point), {result.seconds / 60:.1f} min. Endpoint over the points: "
        f"mean {result.values.mean():.3g}, SD {result.values.std(ddof=1):.3g}.</p>"
        "<p>S1: the share of the endpoint's variance a parameter explains alone; ST: its share including its "
        "interactions with the others. Intervals: 95 % bootstrap percentiles. Ranges: the parameter's value "
        f"divided and multiplied by {spreads} by its confidence, uniform in log(value).</p>"
    )
    rows = [
        [
            html.escape(index.parameter.name),
            f"{index.total:.3f}",
            _interval(index.total_ci95),
            f"{index.first:.3f}",
            _interval(index.first_ci95),
            f"{index.value:.4g}",
            f"{index.parameter.lower:.4g} to {index.parameter.upper:.4g}",
            html.escape(index.confidence),
        ]
        for index in result.indices
    ]
    table = data_table(
        ["parameter", "ST", "ST 95 %", "S1", "S1 95 %", "value", "range", "confidence"], rows, numeric=(1, 2, 3, 4, 5)
    )
    return "\n".join((intro, figure_html(sensitivity_figure(result)), table))


def write_sensitivity_report(result: SensitivityResult, folder: str | Path) -> Path:
    """Write ``report.html`` (and the shared plotly.js) into ``folder`` (created) and return its path."""
    return write_page(
        Path(folder) / "report.html", f"Sensitivity of {result.endpoint}", sensitivity_report_body(result)
    )
