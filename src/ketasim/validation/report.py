"""The HTML page of a validation run: per role (calibration, then validation) a summary table and one plot per
target, offline and phone-readable.

Each plot shows the simulated course (median across patients, 5-95 % band with more than one patient) over the
target's window or around its ``at`` time, the expected value as a dashed line, its band shaded, and the
simulated value; endpoint targets show the simulated value against the band on one axis. A contrast is shown as
the difference it is (arm minus control), with both arms' values in its text. A run over posterior draws
(``validate --uncertainty``) adds each target's predicted interval and whether it covers the band.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from ketasim.report.numbers import format_interval, format_number
from ketasim.report.page import data_table, figure_html, write_page
from ketasim.report.timecourse_plot import COLOURS, CONCENTRATION_UNIT, add_log_switch, band_traces, time_axis
from ketasim.validation.runner import Course, TargetResult, ValidationRun
from ketasim.validation.targets import Target
from ketasim.vocabulary import OUTPUTS

EXPECTED_COLOUR = "#2e7d32"
SIMULATED_COLOUR = "#222222"
LEGEND = "Green dashed line: expected value; green shading: its band; black dot or dotted line: simulated value."


def write_report(run: ValidationRun, directory: str | Path) -> Path:
    """Write ``report.html`` for a validation run (and the shared plotly.js) into ``directory``; return its path."""
    name = run.targets_file.name if run.targets_file is not None else "targets"
    return write_page(Path(directory) / "report.html", f"ketasim validation: {name}", report_body(run))


def report_body(run: ValidationRun) -> str:
    """The body of the page of a validation run: the summary, then per role a table and one section per target."""
    summary = (
        f"<p>{_counts(run)} of {len(run.results)} targets "
        f"from <code>{html.escape(str(run.targets_file or ''))}</code>.</p>"
    )
    parts = [summary]
    for role in run.roles():
        part = run.of_role(role)
        parts.append(f'<h2 id="role-{role}">{role.capitalize()} targets</h2>')
        parts.append(f"<p>{ROLE_NOTES[role]} {_counts(part)}.</p>")
        parts.append(_table(part))
        parts.extend(_section(r) for r in part.results)
    return "\n".join(parts)


ROLE_NOTES = {
    "calibration": "Published numbers the model's parameters may be fitted to.",
    "validation": "Published numbers the model is never fitted to: its predictions for them check it out of sample.",
}


def _counts(run: ValidationRun) -> str:
    return (
        f"<strong>{run.passed}</strong> passed, <strong>{run.failed}</strong> failed, "
        f"<strong>{run.errors}</strong> could not run"
    )


def _badge(result: TargetResult) -> str:
    if result.error is not None:
        return '<span class="badge error">error</span>'
    return '<span class="badge pass">pass</span>' if result.passed else '<span class="badge fail">fail</span>'


def _number(value: float | None) -> str:
    return format_number(value, 4)


def _anchor(result: TargetResult) -> str:
    return f"target-{result.target.index}"


def _table(run: ValidationRun) -> str:
    rows = []
    for r in run.results:
        low, high = r.target.band
        rows.append(
            [
                f'<a href="#{_anchor(r)}">{html.escape(r.target.id)}</a>',
                html.escape(r.target.measure.describe()),
                _number(r.simulated),
                _number(r.target.expected),
                format_interval(low, high, digits=4),
                _badge(r),
                *([] if run.draws is None else _predicted_cells(r)),
            ]
        )
    header: tuple[str, ...] = ("target", "measure", "simulated", "expected", "band", "result")
    if run.draws is not None:
        header += (f"95 % predicted ({run.draws} draws)", "covers band")
    return data_table(header, rows, numeric=(2, 3, 4, 6) if run.draws is not None else (2, 3, 4))


def _predicted_cells(result: TargetResult) -> list[str]:
    """The predicted interval over the posterior draws and whether it reaches the band ("n/a" if not run)."""
    prediction = result.prediction
    if prediction is None or prediction.pi95 is None:
        return ["n/a", "n/a"]
    return [format_interval(*prediction.pi95, digits=4), "yes" if prediction.covered else "no"]


def _section(result: TargetResult) -> str:
    target = result.target
    doi = (
        f' <a href="https://doi.org/{html.escape(target.doi)}">doi:{html.escape(target.doi)}</a>' if target.doi else ""
    )
    lines = [
        f'<section id="{_anchor(result)}">',
        f"<h3>{html.escape(target.id)} {_badge(result)}</h3>",
        f"<p>{html.escape(target.title)}</p>",
        f'<p class="context">{html.escape(target.source)}{doi}; confidence {html.escape(target.confidence)}; '
        f"{html.escape(target.measure.describe())}.</p>",
    ]
    if result.error is not None:
        lines.append(f'<p class="error-text">{html.escape(result.error)}</p>')
    else:
        low, high = target.band
        lines.append(
            f"<p>simulated {_simulated_text(result)}, expected {_number(target.expected)} "
            f"(band {format_interval(low, high, digits=4)}), {result.seconds:.2f} s.{_predicted_text(result)}</p>"
        )
        lines.append(f'<div class="plot">{figure_html(target_figure(result))}</div>')
        lines.append(f'<p class="context">{LEGEND}</p>')
    lines.append("</section>")
    return "\n".join(lines)


def _predicted_text(result: TargetResult) -> str:
    """A sentence on the predicted interval over posterior draws, in a run with them."""
    prediction = result.prediction
    if prediction is None:
        return ""
    if prediction.pi95 is None:
        return " No predicted interval: the target did not run under every posterior draw."
    covers = "covers" if prediction.covered else "does not reach"
    return (
        f" Predicted over the posterior draws (95 %): {format_interval(*prediction.pi95, digits=4)}, {covers} the band."
    )


def _simulated_text(result: TargetResult) -> str:
    """The simulated value; for a contrast, the difference and the two arms' values it comes from."""
    value = f"<strong>{_number(result.simulated)}</strong>"
    measure = result.target.measure
    if result.arm_values is None or measure.control is None:
        return value
    treated, control = result.arm_values
    arm, other = html.escape(measure.arm), html.escape(measure.control)
    return f"difference {value} ({arm} {_number(treated)} minus {other} {_number(control)})"


def target_figure(result: TargetResult) -> go.Figure:
    """The plot of one target that ran: its course with expected value and band, or its endpoint on one axis."""
    if result.course is None:
        return _endpoint_figure(result)
    target, course = result.target, result.course
    x, x_title, divisor = time_axis(course.time_h)
    figure = go.Figure(
        band_traces(x, course.median, course.low, course.high, name=target.measure.arm, colour=COLOURS[0])
    )
    low, high = target.band
    simulated = float(result.simulated) if result.simulated is not None else float("nan")
    if target.measure.statistic == "time_of_max":
        figure.add_vrect(x0=low / divisor, x1=high / divisor, fillcolor=EXPECTED_COLOUR, opacity=0.15, line_width=0)
        figure.add_vline(x=target.expected / divisor, line_dash="dash", line_color=EXPECTED_COLOUR)
        figure.add_vline(x=simulated / divisor, line_dash="dot", line_color=SIMULATED_COLOUR)
    else:
        figure.add_hrect(y0=low, y1=high, fillcolor=EXPECTED_COLOUR, opacity=0.15, line_width=0)
        figure.add_hline(y=target.expected, line_dash="dash", line_color=EXPECTED_COLOUR)
        if target.measure.at_h is not None:
            figure.add_vline(x=target.measure.at_h / divisor, line_color="#999999", line_width=1)
            figure.add_trace(_simulated_marker(target.measure.at_h / divisor, simulated))
        else:
            figure.add_hline(y=simulated, line_dash="dot", line_color=SIMULATED_COLOUR)
    figure.update_layout(
        height=340,
        margin={"l": 70, "r": 20, "t": 30, "b": 50},
        xaxis_title=x_title,
        yaxis_title=_y_title(result.target, course),
        legend={"orientation": "h", "y": -0.3},
        template="plotly_white",
    )
    if course.unit == CONCENTRATION_UNIT:
        add_log_switch(figure, [1])
    return figure


def _y_title(target: Target, course: Course) -> str:
    """The output's axis title from the vocabulary; for areas, what the area is of, with its unit."""
    output = target.measure.output or ""
    if output in OUTPUTS and target.measure.statistic != "auc":
        return OUTPUTS[output].axis
    return f"{course.label} ({course.unit})" if course.unit else course.label


def _simulated_marker(x: float, y: float) -> go.Scatter:
    return go.Scatter(
        x=[x], y=[y], mode="markers", marker={"color": SIMULATED_COLOUR, "size": 9}, name="simulated value"
    )


def _endpoint_figure(result: TargetResult) -> go.Figure:
    target = result.target
    low, high = target.band
    simulated = float(result.simulated) if result.simulated is not None else float("nan")
    figure = go.Figure(_simulated_marker(simulated, 0.0))
    figure.add_vrect(x0=low, x1=high, fillcolor=EXPECTED_COLOUR, opacity=0.15, line_width=0)
    figure.add_vline(x=target.expected, line_dash="dash", line_color=EXPECTED_COLOUR)
    values = [low, high, simulated]
    pad = 0.1 * (max(values) - min(values) or 1.0)
    figure.update_layout(
        height=170,
        margin={"l": 20, "r": 20, "t": 20, "b": 50},
        xaxis={"title": target.measure.describe(), "range": [min(values) - pad, max(values) + pad]},
        yaxis={"visible": False, "range": [-1, 1]},
        showlegend=False,
        template="plotly_white",
    )
    return figure
