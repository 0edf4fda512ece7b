"""The explorer's plots, drawn from a simulated dataset with the trial report's band figures.

Every time plot has the same x axis (hours, or days for courses over 72 h, as `time_axis` decides), so a zoom in
one can be applied to all. Therapy sessions are shaded in green on the cascade, network and symptom plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ketasim.models import network
from ketasim.protocol import Protocol, arm_events
from ketasim.report.timecourse_plot import time_axis
from ketasim.report.trial_report import band_figure
from ketasim.simulation.fc import typical_fc

CONCENTRATION = ("plasma_ketamine", "plasma_norketamine")
CASCADE = ("nmda_occupancy", "glutamate_change", "bdnf_change", "spine_density_change", "plasticity_window")
NETWORK = ("dmn_connectivity",)
ACUTE = ("dissociation", "systolic_bp_change")
PANEL_HEIGHT_PX = 190
TOP_MARGIN_PX = 56
BOTTOM_MARGIN_PX = 46
SESSION_COLOUR = "rgba(46,125,50,0.16)"
SESSION_LINE = "rgba(46,125,50,0.75)"
MARKER_COLOUR = "#37474f"
FONT = {"family": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', "size": 12, "color": "#1f2a33"}
UNIT_LABELS = {"1": "fraction", "ratio": "ratio (1 = healthy)", "points": "score (points)"}


def session_spans(protocol: Protocol) -> list[tuple[float, float]]:
    """Start and end (hours) of every therapy session of any arm, each span once."""
    spans = {
        (s.start_h, s.start_h + s.duration_h)
        for i in range(len(protocol.arms))
        for s in arm_events(protocol, i).sessions
    }
    return sorted(spans)


def present(dataset: Any, names: Sequence[str]) -> list[str]:
    """The names that the dataset holds, in the given order."""
    return [name for name in names if name in dataset.data_vars]


def x_axes(figure: go.Figure) -> list[str]:
    """The names of a figure's x axes (``xaxis``, ``xaxis2``, ...)."""
    return [str(key) for key in figure.layout.to_plotly_json() if str(key).startswith("xaxis")]


def _style(figure: go.Figure, dataset: Any, names: Sequence[str]) -> go.Figure:
    """Web layout for stacked panels: a `PANEL_HEIGHT_PX` slot per panel, legend on top, units on the y axes."""
    rows = len(names)
    figure.update_layout(
        title=None,
        height=TOP_MARGIN_PX + BOTTOM_MARGIN_PX + PANEL_HEIGHT_PX * rows,
        margin={"l": 64, "r": 12, "t": TOP_MARGIN_PX, "b": BOTTOM_MARGIN_PX},
        legend={"orientation": "h", "yref": "container", "y": 1.0, "yanchor": "top", "x": 0.0, "font": {"size": 11}},
        font=FONT,
        hovermode="x unified",
        uirevision="keep",
    )
    figure.update_annotations(font={"size": 12, "color": "#37474f"}, xanchor="left", x=0.0)
    for row, name in enumerate(names, start=1):
        unit = str(dataset[name].attrs.get("units", ""))
        figure.update_yaxes(title_text=UNIT_LABELS.get(unit, unit), title_font={"size": 11}, row=row, col=1)
    return figure


def mark_sessions(figure: go.Figure, spans: Sequence[tuple[float, float]], divisor: float) -> go.Figure:
    """Shade every therapy session on all panels of a figure (added after any shapes already there)."""
    shapes = []
    for axis in x_axes(figure):
        suffix = axis.removeprefix("xaxis")
        shapes += [
            {
                "type": "rect",
                "xref": f"x{suffix}",
                "yref": f"y{suffix} domain",
                "x0": start / divisor,
                "x1": end / divisor,
                "y0": 0.0,
                "y1": 1.0,
                "fillcolor": SESSION_COLOUR,
                "line": {"width": 1, "color": SESSION_LINE},
                "layer": "below",
            }
            for start, end in spans
        ]
    figure.update_layout(shapes=[*figure.layout.shapes, *shapes])
    return figure


def band_panels(
    dataset: Any, names: Sequence[str], missing: str, spans: Sequence[tuple[float, float]] = ()
) -> go.Figure:
    """Aligned panels (median, 25-75 % and 5-95 % of patients per arm) with therapy sessions shaded."""
    chosen = present(dataset, names)
    if not chosen:
        return empty_figure(missing)
    figure = _style(band_figure(dataset, chosen), dataset, chosen)
    _, _, divisor = time_axis(dataset["time"].values)
    return mark_sessions(figure, spans, divisor)


def concentration_figure(dataset: Any) -> go.Figure:
    """Plasma ketamine and norketamine, median and bands per arm."""
    return band_panels(dataset, CONCENTRATION, "Concentrations were not simulated.")


def acute_figure(dataset: Any) -> go.Figure:
    """Dissociation (CADSS) and systolic blood pressure change, median and bands per arm."""
    return band_panels(dataset, ACUTE, "Acute effects were not simulated.")


def cascade_figure(dataset: Any, spans: Sequence[tuple[float, float]]) -> go.Figure:
    """NMDA occupancy, glutamate, BDNF, spines and the plasticity window as aligned panels, sessions shaded."""
    return band_panels(dataset, CASCADE, "The cascade was not simulated.", spans)


def network_figure(dataset: Any, spans: Sequence[tuple[float, float]], marker_h: float) -> go.Figure:
    """PCC-mPFC connectivity over time with sessions shaded and, as the layout's first shape, a dashed line at the
    time the FC matrix shows."""
    chosen = present(dataset, NETWORK)
    if not chosen:
        return empty_figure("Network connectivity was not simulated.")
    figure = _style(band_figure(dataset, chosen), dataset, chosen)
    _, _, divisor = time_axis(dataset["time"].values)
    figure.add_vline(x=marker_h / divisor, line={"color": MARKER_COLOUR, "width": 1.5, "dash": "dash"})
    return mark_sessions(figure, spans, divisor)


def symptom_figure(dataset: Any, scale: str, spans: Sequence[tuple[float, float]]) -> go.Figure:
    """One rating scale at whole hours (as a rater might score it, not every 10 minutes): median with 25-75 % and
    5-95 % bands of patients per arm, sessions shaded."""
    hours = np.asarray(dataset["time"].values, dtype=float)
    whole = np.isclose(hours, np.round(hours), atol=1e-6)
    return band_panels(dataset.isel(time=np.flatnonzero(whole)), (scale,), f"{scale} was not simulated.", spans)


def empty_figure(message: str) -> go.Figure:
    """A blank figure carrying a short message, for views with nothing to show yet."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#607d8b"}, x=0.5, y=0.5)
    figure.update_layout(
        height=160,
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        template="plotly_white",
        font=FONT,
    )
    return figure


def network_medians(dataset: Any) -> dict[str, dict[str, list[float]]]:
    """Per arm, the median NMDA occupancy and spine density change over time (the inputs of the FC matrix)."""
    medians: dict[str, dict[str, list[float]]] = {}
    for arm in dataset["arm"].values:
        per_arm = {}
        for name in ("nmda_occupancy", "spine_density_change"):
            values = dataset[name].sel(arm=arm).transpose("patient", "time").values
            per_arm[name] = np.nanmedian(values, axis=0).tolist()
        medians[str(arm)] = per_arm
    return medians


def fc_figure(
    protocol: Protocol, times_h: Sequence[float], medians: dict[str, dict[str, list[float]]], at_h: float
) -> go.Figure:
    """FC matrices of the typical patient of each arm at ``at_h`` (median occupancy and spines, typical severity)."""
    arms = list(medians)
    titles = [f"{arm}, {_when(at_h)}" for arm in arms]
    figure = make_subplots(rows=1, cols=len(arms), subplot_titles=titles, horizontal_spacing=0.1)
    for k, arm in enumerate(arms, start=1):
        occupancy = np.interp(at_h, times_h, medians[arm]["nmda_occupancy"])
        spines = np.interp(at_h, times_h, medians[arm]["spine_density_change"])
        regions, matrix = typical_fc(protocol, occupancy, spines)
        heatmap = network.fc_heatmap(matrix, [r.replace("angular_gyrus_", "AG ") for r in regions], "").data[0]
        heatmap.update(showscale=k == len(arms))
        figure.add_trace(heatmap, row=1, col=k)
        figure.update_yaxes(autorange="reversed", row=1, col=k, showticklabels=k == 1)
    if len(arms) == 1:  # one matrix: keep it square rather than stretched over the page
        figure.update_xaxes(domain=[0.0, 0.5])
        figure.update_traces(colorbar={"x": 0.53})
        figure.update_annotations(x=0.25)
    figure.update_layout(
        height=400,
        margin={"l": 90, "r": 12, "t": 40, "b": 90},
        font=FONT,
        template="plotly_white",
    )
    figure.update_annotations(font={"size": 13})
    return figure


def _when(hours: float) -> str:
    return f"day {hours / 24:.3g}" if hours >= 48 else f"{hours:.3g} h after the first dose"
