"""The HTML report of a virtual trial (``report.html`` of ``ketasim trial``): self-contained, offline, phone-friendly.

Sections: the context of use; the trial at a glance; the endpoint table with 95 % intervals; the arm comparisons;
Kaplan-Meier curves of the time-to-event endpoints; time courses (median, 25-75 % and 5-95 % bands per arm) of every
rating scale at the observations, and of the drug levels and mechanism outputs on the dense plot grid (a peak after
every dose, whatever the protocol observes); and the references behind the parameters and definitions used.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from ketasim.analysis.courses import Band, band_over_patients
from ketasim.analysis.endpoints import TIME_KINDS
from ketasim.analysis.summary import TrialAnalysis
from ketasim.parameters.registry import Reference
from ketasim.report.page import data_table, figure_html, write_page
from ketasim.report.summary_rows import (
    comparison_header,
    comparison_rows,
    endpoint_header,
    endpoint_rows,
    predictive,
)
from ketasim.report.timecourse_plot import COLOURS, band_traces, rgba, stacked_figure, time_axis
from ketasim.vocabulary import DRUG_LEVEL_OUTPUTS, SCALE_RANGES

MECHANISM_OUTPUTS = (
    "nmda_occupancy",
    "glutamate_change",
    "bdnf_change",
    "spine_density_change",
    "plasticity_window",
    "dmn_connectivity",
)
BANNER = (
    "Context of use: research and education, not medical advice. These are simulated patients of a model; "
    "do not use them to choose a treatment for a person."
)
_BANNER_STYLE = "background:#fff4e5;border-left:4px solid #ef6c00;padding:0.5rem 0.75rem;margin:0.5rem 0;"
_PANEL_HEIGHT = 250
DRAWS_NOTE = (
    "Dotted: the 2.5-97.5 % range of each arm's median course over the posterior draws (the same patients in "
    "every draw: the spread the parameters give the median)."
)
DrawMedians = Mapping[str, Mapping[str, np.ndarray]]
"""Arm, then output: each posterior draw's median course across patients, shape (draws, time)."""


def _colour(k: int) -> str:
    return COLOURS[k % len(COLOURS)]


def _simulated_units(dataset: Any) -> dict[str, str]:
    """The unit attribute of every simulated output (the unit of ``value`` endpoints)."""
    return {str(n): str(dataset[n].attrs["units"]) for n in dataset.data_vars if "units" in dataset[n].attrs}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int]) -> str:
    return data_table(header, [[html.escape(cell) for cell in row] for row in rows], numeric)


def endpoint_table(summary: dict[str, Any], dataset: Any) -> str:
    """The endpoint table: one row per arm and endpoint, with value, 95 % interval (and predictive interval) and
    counts."""
    rows = endpoint_rows(summary, _simulated_units(dataset))
    if not rows:
        return "<p>The protocol defines no endpoints.</p>"
    header = endpoint_header(summary)
    return _table(header, rows, numeric=tuple(range(3, len(header))))


def comparison_table(summary: dict[str, Any], kinds: Mapping[str, tuple[str, str]], dataset: Any) -> str:
    """The comparisons: difference between two arms (rates in percentage points) with its 95 % interval and
    Hedges' g."""
    rows = comparison_rows(summary, kinds, _simulated_units(dataset))
    if not rows:
        return "<p>No comparisons (one arm, or no endpoints).</p>"
    header = comparison_header(summary)
    return _table(header, rows, numeric=tuple(range(2, len(header))))


def kaplan_meier_figure(analysis: TrialAnalysis, endpoint: str) -> go.Figure:
    """Kaplan-Meier curves of one time-to-event endpoint, one step line per arm."""
    figure = go.Figure()
    for k, arm in enumerate(analysis.arms):
        result = analysis.estimates[arm][endpoint]
        curve = result.curve
        if curve is None:
            continue
        followed = analysis.values[arm][endpoint].counted()
        end = max(float(followed.max()) if followed.size else 0.0, float(curve.times[-1]) if curve.times.size else 0.0)
        last = float(curve.survival[-1]) if curve.survival.size else 1.0
        x = np.concatenate(([0.0], curve.times, [end]))  # the curve starts at 1 and runs flat to the last follow-up
        y = np.concatenate(([1.0], curve.survival, [last]))
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line={"shape": "hv", "color": _colour(k), "width": 2},
                name=f"{arm} ({result.events} events / {result.n_at_risk})",
            )
        )
    kind = analysis.values[analysis.arms[0]][endpoint].endpoint.kind
    event = "response" if kind == "time_to_response" else "relapse"
    start = "first treatment" if kind == "time_to_response" else "the start of follow-up (responders)"
    figure.update_layout(
        title=f"{endpoint}: Kaplan-Meier",
        xaxis_title=f"days since {start}",
        yaxis={"title": f"fraction without {event}", "range": [0, 1.02]},
        height=360,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.25},
        template="plotly_white",
    )
    return figure


def band_figure(
    dataset: Any, names: Sequence[str], *, labelled: bool = False, draw_medians: DrawMedians | None = None
) -> go.Figure:
    """One panel per output: per arm the median with 25-75 % and 5-95 % bands across patients.

    Times where none of an arm's patients has a value are left out of that arm's traces (on the dense plot grid
    each arm has its own times).

    ``labelled`` gives every panel its own time axis labels (the report page; see `stacked_figure`).
    ``draw_medians`` (arm, then output: each posterior draw's median course, shape (draws, time)) adds the
    2.5-97.5 % range of the median over the draws as dotted lines.
    """
    x_values, _, _ = time_axis(dataset["time"].values)

    def arm_traces(variable: Any, arm: str, colour: str, first: bool) -> list[go.Scatter]:
        courses = variable.sel(arm=arm).transpose("patient", "time").values
        recorded = np.isfinite(courses).any(axis=0)  # arms recorded at their own times (the dense plot grid)
        courses, x = courses[:, recorded], x_values[recorded]
        outer, inner = band_over_patients(courses, 5.0, 95.0), band_over_patients(courses, 25.0, 75.0)
        traces = band_traces(x, outer.median, outer.low, outer.high, name=arm, colour=colour, show_legend=first)
        if inner.low is not None and inner.high is not None:
            middle = band_traces(x, inner.median, inner.low, inner.high, name=arm, colour=colour)[0]
            middle.update(name=f"{arm} 25-75 %", fillcolor=rgba(colour, 0.35))
            traces.insert(1, middle)
        medians = (draw_medians or {}).get(arm, {}).get(str(variable.name))
        if medians is not None:
            traces.extend(_draw_range(x, band_over_patients(medians[:, recorded], 2.5, 97.5), arm, colour, first))
        return traces

    return stacked_figure(dataset, names, arm_traces, panel_px=_PANEL_HEIGHT, labelled=labelled)


def _draw_range(x: Any, over_draws: Band, arm: str, colour: str, first: bool) -> list[go.Scatter]:
    """The 2.5 and 97.5 % percentiles of the median course over posterior draws, as two dotted lines."""
    name = f"{arm} median, 95 % over posterior draws"
    return [
        go.Scatter(
            x=x,
            y=end,
            mode="lines",
            line={"color": colour, "width": 1.5, "dash": "dot"},
            name=name,
            legendgroup=name,
            showlegend=first and k == 0,
        )
        for k, end in enumerate((over_draws.low, over_draws.high))
        if end is not None
    ]


def references_html(references: Sequence[Reference]) -> str:
    """The references as an ordered list, DOIs as links."""
    if not references:
        return "<p>No references.</p>"
    items = []
    for reference in references:
        doi = ""
        if reference.doi:
            url = f"https://doi.org/{reference.doi}"
            doi = f' <a href="{html.escape(url)}">doi:{html.escape(reference.doi)}</a>'
        items.append(f"<li>[{html.escape(reference.key)}] {html.escape(reference.citation)}{doi}</li>")
    return f"<ol>{''.join(items)}</ol>"


def _overview(analysis: TrialAnalysis) -> str:
    failed = analysis.failed_count
    note = (
        f"{failed} patient(s) failed (non-finite outputs): flagged in patients.parquet and left out of the endpoints."
        if failed
        else "No patient failed."
    )
    return (
        f"<p>Arms: {html.escape(', '.join(analysis.arms))}; {analysis.patients_per_arm} virtual patients per arm; "
        f"seed {analysis.seed}. {html.escape(note)}</p>"
        "<p>Intervals: Wilson (fractions), t (means), order statistics (medians), Brookmeyer-Crowley "
        "(Kaplan-Meier medians); differences: Newcombe, Welch or percentile bootstrap; Hedges g from the "
        "per-patient values (1/0 for response and remission).</p>"
    )


def _uncertainty_note(summary: dict[str, Any]) -> str:
    """What the predictive intervals are, in a run with ``--uncertainty``; nothing otherwise."""
    if not predictive(summary):
        return ""
    uncertainty = summary["uncertainty"]
    return (
        f"<p>95 % predictive: over {uncertainty['draws']} posterior draws of the calibrated parameters "
        f"({html.escape(str(uncertainty.get('method', '')))}), each with the same patients: parameter and patient "
        "uncertainty together (ketasim.analysis.predictive). The value and the 95 % interval are those of the "
        "protocol's parameter set (patient sampling only).</p>"
    )


def _plot_note(plotted: Any) -> str:
    patients = int(plotted.sizes["patient"])
    return (
        f"The first {patients} patient(s) of each arm, drawn every few minutes after each dose and every 2 h "
        "otherwise, whatever the protocol observes."
    )


def trial_report_body(
    analysis: TrialAnalysis,
    summary: dict[str, Any],
    dataset: Any,
    *,
    references: Sequence[Reference],
    plotted: Any | None = None,
    draw_medians: DrawMedians | None = None,
) -> str:
    """The body of the report page as HTML text (the page around it: `ketasim.report.page`).

    ``plotted`` holds the drug levels and mechanism outputs of the first patients of each arm on the dense plot
    grid; without it they are drawn from ``dataset`` (the observations). ``draw_medians`` (a run over posterior
    draws) adds to the rating scales the range of their median course over the draws (`band_figure`).
    """
    first = analysis.arms[0] if analysis.arms else ""
    kinds: dict[str, tuple[str, str]] = {
        name: (str(v.endpoint.kind), v.endpoint.measured) for name, v in analysis.values.get(first, {}).items()
    }
    parts = [
        f'<p style="{_BANNER_STYLE}"><strong>{html.escape(BANNER)}</strong></p>',
        _overview(analysis),
        _uncertainty_note(summary),
        "<h2>Endpoints</h2>",
        endpoint_table(summary, dataset),
        "<h2>Comparisons</h2>",
        comparison_table(summary, kinds, dataset),
    ]
    events = [name for name, (kind, _) in kinds.items() if kind in TIME_KINDS]
    if events:
        parts.append("<h2>Time to event (Kaplan-Meier)</h2>")
        parts.extend(f'<div class="plot">{figure_html(kaplan_meier_figure(analysis, name))}</div>' for name in events)
    dense = plotted if plotted is not None else dataset
    groups = (
        ("Rating scales", dataset, [s for s in SCALE_RANGES if s in dataset.data_vars]),
        ("Drug levels", dense, [d for d in DRUG_LEVEL_OUTPUTS if d in dense.data_vars]),
        ("Mechanism", dense, [m for m in MECHANISM_OUTPUTS if m in dense.data_vars]),
    )
    for heading, courses, names in groups:
        if names:
            parts.append(
                f'<h2 id="{heading.lower().replace(" ", "-")}">{heading}: median, 25-75 % and 5-95 % of patients</h2>'
            )
            if courses is plotted:
                parts.append(f"<p>{_plot_note(plotted)}</p>")
            over_draws = draw_medians if courses is dataset else None
            if over_draws:
                parts.append(f"<p>{DRAWS_NOTE}</p>")
            figure = band_figure(courses, names, labelled=True, draw_medians=over_draws)
            parts.append(f'<div class="plot">{figure_html(figure)}</div>')
    parts.extend(["<h2>References</h2>", references_html(references)])
    return "\n".join(parts)


def write_trial_report(
    analysis: TrialAnalysis,
    summary: dict[str, Any],
    dataset: Any,
    path: str | Path,
    *,
    title: str,
    references: Sequence[Reference] = (),
    plotted: Any | None = None,
    draw_medians: DrawMedians | None = None,
) -> Path:
    """Write ``report.html`` of a trial (and the shared plotly.js beside it), each completely or not at all, and
    return its path (folders created); ``plotted`` and ``draw_medians`` as in `trial_report_body`."""
    body = trial_report_body(
        analysis, summary, dataset, references=references, plotted=plotted, draw_medians=draw_medians
    )
    return write_page(path, title, body)
