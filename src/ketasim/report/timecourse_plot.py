"""Plots of simulated time courses (median and 5-95 % band per arm) for the report pages.

`write_timecourse_plot` makes ``plot.html`` of ``ketasim simulate``: one panel per output, one colour per arm.
`stacked_figure` builds such stacked panels for this page, the trial report and the explorer; `time_axis`,
`band_traces` and `add_log_switch` are shared with the validation and forecast reports.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.colors import hex_to_rgb
from plotly.colors import qualitative as palettes
from plotly.subplots import make_subplots

from ketasim.analysis.courses import band_over_patients
from ketasim.report.page import figure_html, write_page
from ketasim.vocabulary import OUTPUTS

COLOURS: tuple[str, ...] = tuple(palettes.Plotly)
DAYS_FROM_H = 72.0  # time axes longer than this are drawn in days
CONCENTRATION_UNIT = "ng/mL"  # panels in this unit get a linear/log switch
LABELLED_GAP_PX = 90  # between panels that each carry x tick labels, an x title and the next panel's title
MARGIN = {"l": 70, "r": 20, "t": 60, "b": 50}


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


def axis_title(name: str, variable: Any) -> str:
    """The y-axis title of an output: its short title with the unit from the vocabulary (``"plasma ketamine
    (ng/mL)"``), or the variable's long name and unit for anything else."""
    if name in OUTPUTS:
        return OUTPUTS[name].axis
    unit = str(variable.attrs.get("units", ""))
    label = str(variable.attrs.get("long_name", name))
    return f"{label} ({unit})" if unit else label


def _panel_title(name: str, variable: Any) -> str:
    text = OUTPUTS[name].meaning if name in OUTPUTS else str(variable.attrs.get("long_name", name))
    return text[:1].upper() + text[1:]


def add_log_switch(figure: go.Figure, rows: Sequence[int], top: float = 1.0) -> None:
    """Buttons above the panel whose top is at ``top`` (paper coordinates) that switch the y axes of ``rows``
    between a linear and a logarithmic scale (for concentrations, which span decades)."""
    axes = [_axis_name("y", row) for row in rows]
    figure.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "showactive": True,
                "active": 0,
                "x": 1.0,
                "xanchor": "right",
                "y": top,
                "yanchor": "bottom",
                "pad": {"b": 4},
                "font": {"size": 11},
                "buttons": [
                    {"label": "linear", "method": "relayout", "args": [{f"{a}.type": "linear" for a in axes}]},
                    {"label": "log", "method": "relayout", "args": [{f"{a}.type": "log" for a in axes}]},
                ],
            }
        ]
    )


ArmTraces = Callable[[Any, str, str, bool], list[go.Scatter]]
"""Traces of one arm on one panel: ``(variable, arm, colour, first panel) -> traces``."""


def stacked_figure(
    dataset: Any, names: Sequence[str], arm_traces: ArmTraces, *, panel_px: int, labelled: bool = False
) -> go.Figure:
    """One panel per output, stacked on a shared time axis, one colour per arm.

    Each panel has a title (the output's meaning) and a y-axis title with the unit. With ``labelled`` every panel
    also carries its own time tick labels and axis title (report pages), and concentration panels get a
    linear/log switch; otherwise only the bottom panel is labelled.
    """
    _, x_title, _ = time_axis(dataset["time"].values)
    rows = len(names)
    plot_px = panel_px * rows + (LABELLED_GAP_PX * (rows - 1) if labelled else 0)
    spacing = LABELLED_GAP_PX / plot_px if labelled and rows > 1 else min(0.08, 0.35 / rows)
    figure = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        subplot_titles=[_panel_title(n, dataset[n]) for n in names],
        vertical_spacing=spacing,
    )
    arms = [str(a) for a in np.asarray(dataset["arm"].values).ravel()]
    traces: list[go.Scatter] = []
    axes: dict[str, dict[str, Any]] = {}
    for row, name in enumerate(names, start=1):  # one update of the figure for all panels (each costs ~10 ms)
        variable = dataset[name]
        for k, arm in enumerate(arms):
            for trace in arm_traces(variable, arm, COLOURS[k % len(COLOURS)], row == 1):
                traces.append(trace.update(xaxis=_axis_id("x", row), yaxis=_axis_id("y", row)))
        axes[_axis_name("y", row)] = {"title": {"text": axis_title(name, variable), "font": {"size": 11}}}
        if labelled:
            axes[_axis_name("x", row)] = {"title": {"text": x_title}, "showticklabels": True}
        elif row == rows:
            axes[_axis_name("x", row)] = {"title": {"text": x_title}}
    figure.add_traces(traces)
    figure.update_layout(
        axes,
        height=MARGIN["t"] + MARGIN["b"] + 60 + plot_px,
        margin=MARGIN,
        legend={"orientation": "h", "yref": "container", "y": 1, "yanchor": "top"},
        template="plotly_white",
    )
    logged = [r for r, n in enumerate(names, start=1) if dataset[n].attrs.get("units") == CONCENTRATION_UNIT]
    if labelled and logged:
        add_log_switch(figure, logged, top=figure.layout[_axis_name("y", logged[0])].domain[1])
    return figure


def _axis_id(letter: str, row: int) -> str:
    """The id by which traces name the axis of a panel: ``x``, ``x2``, ..."""
    return letter if row == 1 else f"{letter}{row}"


def _axis_name(letter: str, row: int) -> str:
    """The layout key of a panel's axis: ``xaxis``, ``xaxis2``, ..."""
    return f"{letter}axis" if row == 1 else f"{letter}axis{row}"


def timecourse_figure(dataset: Any, title: str = "") -> go.Figure:
    """One labelled panel per output variable of a simulated dataset (dims arm, patient, time), median and 5-95 %
    band per arm."""
    names = [str(n) for n in dataset.data_vars if set(dataset[n].dims) >= {"arm", "time"}]
    if not names:
        raise ValueError("the dataset has no output with dims arm and time")
    x_values, _, _ = time_axis(dataset["time"].values)

    def arm_traces(variable: Any, arm: str, colour: str, first: bool) -> list[go.Scatter]:
        courses = variable.sel(arm=arm)
        values = courses.transpose("patient", "time").values if "patient" in courses.dims else courses.values
        band = band_over_patients(values)
        return band_traces(x_values, band.median, band.low, band.high, name=arm, colour=colour, show_legend=first)

    figure = stacked_figure(dataset, names, arm_traces, panel_px=260, labelled=True)
    figure.update_layout(title=title or None)
    return figure


def write_timecourse_plot(dataset: Any, path: str | Path, *, title: str = "") -> Path:
    """Write ``plot.html`` (and the shared plotly.js beside it) for a simulated dataset, each completely or not at
    all, and return its path (folders created)."""
    heading = f"ketasim: {title}" if title else "ketasim time courses"
    body = _arm_note(dataset) + f'<div class="plot">{figure_html(timecourse_figure(dataset))}</div>'
    return write_page(path, heading, body)


def _arm_note(dataset: Any) -> str:
    patients = int(dataset.sizes.get("patient", 1))
    arms: Sequence[str] = [str(a) for a in np.asarray(dataset["arm"].values).ravel()]
    spread = "median across patients and 5-95 % band" if patients > 1 else "one patient"
    return f"<p>Arms: {html.escape(', '.join(arms))}; {patients} patient(s) per arm ({spread}).</p>"
