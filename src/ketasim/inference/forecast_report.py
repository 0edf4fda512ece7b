"""The report page of one patient's forecast (``ketasim forecast --report DIR``): offline, phone-friendly HTML.

Sections: the context of use; the forecast at a glance (suggested next dose, relapse probability, sampler
diagnostics, warnings); the scale over time (recorded scores, fitted course, forecast band with rater noise, the
relapse threshold, doses and sessions given and planned); the probability of relapse by date; the plasticity
window with the sessions placed in it; and how to read the page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from ketasim.inference.forecast import CONTEXT_OF_USE, RELAPSE_PROBABILITY_LIMIT, Forecast
from ketasim.protocol.fields import format_hours
from ketasim.report.numbers import format_quantity
from ketasim.report.page import data_table, figure_html, write_page
from ketasim.report.timecourse_plot import COLOURS, band_traces, rgba, time_axis
from ketasim.vocabulary import OUTPUTS, SCALE_RANGES

BANNER = (
    f"Context of use: {CONTEXT_OF_USE} This is a model's forecast from the scores recorded so far; it does not "
    "know what the scores do not show, and every suggestion needs a clinician's judgement."
)
_BANNER_STYLE = "background:#fff4e5;border-left:4px solid #ef6c00;padding:0.5rem 0.75rem;margin:0.5rem 0;"
_HEIGHT = 380
_FITTED, _FORECAST, _DOSE, _WINDOW, _SESSION = COLOURS[0], COLOURS[4], COLOURS[2], COLOURS[3], COLOURS[9]
_OBSERVED, _ALERT = "#222222", "#c62828"


def _layout(figure: go.Figure, x_title: str, y_title: str, *, y_range: Sequence[float] | None = None) -> None:
    figure.update_layout(
        height=_HEIGHT,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        template="plotly_white",
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    if y_range is not None:
        figure.update_yaxes(range=list(y_range))


def _treatment_marks(figure: go.Figure, forecast: Forecast, divisor: float, y: float) -> None:
    """Doses (triangles; open when planned) and sessions (diamonds) at height ``y``, and the end of the history."""
    for planned in (False, True):
        times = [d.time_h / divisor for d in forecast.doses if (d.time_h > forecast.end_h) == planned]
        if times:
            figure.add_trace(
                go.Scatter(
                    x=times,
                    y=[y] * len(times),
                    mode="markers",
                    marker={"symbol": "triangle-up-open" if planned else "triangle-up", "size": 10, "color": _DOSE},
                    name="planned doses" if planned else "doses",
                )
            )
    starts = [s.start_h / divisor for s in forecast.sessions]
    if starts:
        figure.add_trace(
            go.Scatter(
                x=starts,
                y=[y] * len(starts),
                mode="markers",
                marker={"symbol": "diamond", "size": 10, "color": _SESSION, "line": {"width": 1, "color": "#555"}},
                name="therapy sessions",
                text=[f"{s.therapy}, {format_hours(s.duration_h)}" for s in forecast.sessions],
            )
        )
    figure.add_vline(x=forecast.end_h / divisor, line={"color": "#555", "width": 2, "dash": "dot"})


def scale_figure(forecast: Forecast) -> go.Figure:
    """Recorded scores, the fitted course up to now, the forecast band after it, and the relapse threshold."""
    x, x_title, divisor = time_axis(forecast.course_times_h)
    past = forecast.course_times_h <= forecast.end_h + 1e-9
    figure = go.Figure()
    for trace in band_traces(
        x[past],
        forecast.course_median[past],
        forecast.course_low[past],
        forecast.course_high[past],
        name="fitted course",
        colour=_FITTED,
    ):
        figure.add_trace(trace)
    for trace in band_traces(
        forecast.band_times_h / divisor,
        forecast.band_median,
        forecast.band_low,
        forecast.band_high,
        name="forecast of recorded scores",
        colour=_FORECAST,
    ):
        figure.add_trace(trace)
    figure.add_trace(
        go.Scatter(
            x=forecast.observed_times_h / divisor,
            y=forecast.observed_values,
            mode="markers",
            marker={"color": _OBSERVED, "size": 8},
            name="recorded scores",
        )
    )
    figure.add_hline(
        y=forecast.relapse_threshold,
        line={"color": _ALERT, "width": 1, "dash": "dash"},
        annotation_text="relapse threshold",
        annotation_position="top left",
    )
    top = SCALE_RANGES[forecast.scale][1]
    _treatment_marks(figure, forecast, divisor, 0.02 * top)
    if forecast.suggested_next_dose_h is not None:
        figure.add_vline(x=forecast.suggested_next_dose_h / divisor, line={"color": _ALERT, "width": 2})
    _layout(figure, x_title, OUTPUTS[forecast.scale].axis, y_range=(0.0, top))
    return figure


def relapse_figure(forecast: Forecast) -> go.Figure:
    """The probability of relapse by each date, with the 20 % limit and the suggested next dose."""
    _, x_title, divisor = time_axis(forecast.course_times_h)
    figure = go.Figure(
        go.Scatter(
            x=forecast.band_times_h / divisor,
            y=forecast.relapse_probability,
            mode="lines",
            line={"color": _ALERT, "width": 2, "shape": "hv"},
            name="probability of relapse by date",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=forecast.band_times_h / divisor,
            y=forecast.out_of_response_probability,
            mode="lines",
            line={"color": _ALERT, "width": 1, "dash": "dot"},
            name="probability of being out of response on the date",
        )
    )
    figure.add_hline(y=RELAPSE_PROBABILITY_LIMIT, line={"color": "#555", "dash": "dash"}, annotation_text="20 %")
    if forecast.suggested_next_dose_h is not None:
        figure.add_vline(
            x=forecast.suggested_next_dose_h / divisor,
            line={"color": _ALERT, "width": 2},
            annotation_text="suggested next dose",
        )
    _layout(figure, x_title, "probability of relapse (0-1)", y_range=(0.0, 1.0))
    figure.update_xaxes(range=[0.0, forecast.until_h / divisor])
    return figure


def window_figure(forecast: Forecast) -> go.Figure:
    """The plasticity window (1 = healthy) with doses and therapy sessions, given and planned."""
    x, x_title, divisor = time_axis(forecast.course_times_h)
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=forecast.plasticity_window,
            mode="lines",
            line={"color": _WINDOW, "width": 2},
            fill="tozeroy",
            fillcolor=rgba(_WINDOW, 0.15),
            name="plasticity window",
        )
    )
    _treatment_marks(figure, forecast, divisor, 0.02 * float(np.max(forecast.plasticity_window)))
    _layout(figure, x_title, OUTPUTS["plasticity_window"].axis)
    return figure


def _glance(forecast: Forecast) -> str:
    d = forecast.diagnostics
    regimen = forecast.next_dose
    dose = " ".join(str(v) for v in (regimen["drug"], regimen["route"], regimen["dose"]) if v)
    if regimen.get("infusion"):
        dose += f" over {regimen['infusion']}"
    when = (
        "not needed before the end of the forecast"
        if forecast.suggested_next_dose_h is None
        else f"by day {forecast.suggested_next_dose_h / 24:.1f} ({format_hours(forecast.suggested_next_dose_h)})"
    )
    end = forecast.relapse_probability[-1] if forecast.relapse_probability.size else None
    rows = [
        ("patient (pseudonym)", forecast.patient),
        ("condition", forecast.condition),
        ("scale", forecast.scale),
        ("history up to", f"day {forecast.end_h / 24:.1f}"),
        ("forecast until", f"day {forecast.until_h / 24:.1f}"),
        (
            "relapse means",
            f"expected {forecast.scale} at or above {forecast.relapse_threshold:.1f} (less than a "
            f"{forecast.response_drop_percent:g} % drop from the baseline {forecast.baseline:.1f})",
        ),
        ("probability of relapse by the end", format_quantity(None if end is None else 100 * end, "%")),
        (f"suggested next dose ({dose})", when),
        (
            "sampler",
            f"{d.method}, {d.chains} chains, {d.draws} draws; largest r-hat {d.r_hat_max:.3f}; smallest ESS "
            f"{d.ess_min:.0f}; "
            + (f"{d.divergences} divergences; " if d.divergences is not None else "")
            + f"{d.seconds:.1f} s",
        ),
    ]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in forecast.warnings)
    notes = f"<h3>Warnings</h3><ul>{warnings}</ul>" if warnings else ""
    return f'<table class="facts">{body}</table>{notes}'


def _events_table(forecast: Forecast) -> str:
    rows: list[tuple[float, str, str]] = []
    for dose in forecast.doses:
        amount = "" if dose.drug == "placebo" else f"{dose.amount:g} {'mg/kg' if dose.per_kg else 'mg'}"
        infusion = f" over {format_hours(dose.infusion_h)}" if dose.infusion_h > 0 else ""
        rows.append((dose.time_h, "dose", f"{dose.drug} {dose.route} {amount}{infusion}"))
    for session in forecast.sessions:
        rows.append((session.start_h, "session", f"{session.therapy}, {format_hours(session.duration_h)}"))
    cells = [
        [f"{t / 24:.2f}", html.escape(kind), html.escape(what), "planned" if t > forecast.end_h else "given"]
        for t, kind, what in sorted(rows)
    ]
    return data_table(("day", "event", "what", "given or planned"), cells, numeric=(0,))


def forecast_report_body(forecast: Forecast) -> str:
    """The body of the report page of a forecast."""
    sections = [
        f'<p style="{_BANNER_STYLE}">{html.escape(BANNER)}</p>',
        "<h2>At a glance</h2>",
        _glance(forecast),
        f"<h2>{html.escape(forecast.scale.upper())} over time</h2>",
        "<p>Dots: recorded scores. Blue: the fitted course of the expected score (median and 5-95 % over the "
        "posterior). Orange: the scores a rater would record from here on (5-95 %, rater noise included). Dotted "
        "line: the end of the history; dashed red: the relapse threshold; triangles: doses (open: planned); "
        "diamonds: therapy sessions; solid red: the suggested next dose.</p>",
        f'<div class="plot">{figure_html(scale_figure(forecast))}</div>',
        "<h2>Probability of relapse by date</h2>",
        "<p>Solid: the posterior probability that the expected score has stopped meeting the response criterion "
        "by each date (without further treatment unless a plan was given); a patient not in response at the end "
        "of the history counts as relapsed from then on. Dotted: the probability of being out of response on "
        "the date itself (planned treatments can bring it down again). The suggested next dose is the latest "
        "time at which the probability of relapse is still under 20 %.</p>",
        f'<div class="plot">{figure_html(relapse_figure(forecast))}</div>',
        "<h2>Plasticity window and sessions</h2>",
        "<p>The model's capacity for durable new learning (1 = healthy brain): therapy sessions placed while it "
        "is raised build more lasting change.</p>",
        f'<div class="plot">{figure_html(window_figure(forecast))}</div>',
        "<h2>Doses and sessions</h2>",
        _events_table(forecast),
        "<h2>How this forecast is made</h2>",
        "<p>The patient's individual parameters (how readily they leave and fall back into the depressed state, "
        "their sensitivity to ketamine and other influences, their baseline scores) are fitted to their own "
        "recorded scores by Bayesian inference, with the population model as prior; see docs/forecast.md for "
        "the method and how often its 90 % band covered what happened in simulated patients.</p>",
    ]
    return "\n".join(sections)


def write_forecast_report(forecast: Forecast, out_dir: str | Path) -> Path:
    """Write ``DIR/report.html`` for a forecast (and the shared plotly.js beside it) and return its path."""
    page = Path(out_dir) / "report.html"
    return write_page(page, f"ketasim forecast: {forecast.patient}", forecast_report_body(forecast))
