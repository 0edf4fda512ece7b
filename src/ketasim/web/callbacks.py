"""The explorer's callbacks: form behaviour, runs, linked time axes, the FC slider, download and upload.

Every input problem is a `KetasimError`; its one-line message (with the key path) is shown in the page's error
box and the views keep their last good state. Unexpected failures are logged on the server and reported in one
line, so the page never breaks.
"""

from __future__ import annotations

import base64
import logging
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask
import yaml
from dash import ALL, Dash, Input, Output, Patch, State, ctx, html, no_update

from ketasim.errors import InputError, KetasimError, ProtocolError
from ketasim.protocol import load_protocol
from ketasim.protocol.loading import parse_mapping
from ketasim.vocabulary import INFUSION_ROUTES, SCALES
from ketasim.web import figures, results, scenarios
from ketasim.web.chain import step_values
from ketasim.web.form import NO_THERAPY, FormValues, build_protocol, field_label, values_from_protocol
from ketasim.web.layout import SCHEDULE_PRESETS, WINDOW_HOURS, chain_boxes, route_options
from ketasim.web.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_VALUES, RUN_TIME_LIMIT_S, RunGuard
from ketasim.web.link import link_query, read_link
from ketasim.web.results import TIME_PLOTS

LOG = logging.getLogger("ketasim.web")
FIELDS = FormValues.names()
HIDDEN = " hidden"
ERROR_CLASS = "alert alert-error"
NOTICE_CLASS = "alert alert-warn"
INFO_CLASS = "alert alert-info"
_AXIS_RANGE = re.compile(r"^(xaxis\d*)\.range\[([01])\]$")
UPLOAD_FIX = "a protocol file is a few kB; run larger files with the `ketasim` command"
YAML_HEADER = (
    "# ketasim protocol written by the ketasim explorer (spec/protocol.md).\n"
    "# Run it with: ketasim trial THIS_FILE --out results/\n"
    "# Research and education only; not medical advice.\n"
)


def message_line(error: BaseException) -> str:
    """The one-line message of an error, as the CLI prints it."""
    return " ".join(str(error).split()) or type(error).__name__


def _alert(text: str, kind: str) -> tuple[str, str]:
    return (text, kind) if text else ("", kind + HIDDEN)


def guarded(action: Callable[[], Any], outputs: int) -> tuple[Any, ...]:
    """Run ``action`` for a callback whose last two of ``outputs`` are the error box's text and class.

    On failure: no update to the other outputs, and the error's one-line message in the box.
    """
    failures = outputs - 2
    try:
        return tuple(action())
    except KetasimError as error:
        label = field_label(error.key_path) if isinstance(error, InputError) else None
        where = f"\nCheck the field “{label}”." if label else ""
        return (*([no_update] * failures), *_alert(f"error: {message_line(error)}{where}", ERROR_CLASS))
    except Exception as error:  # the page must survive any failure; the server log keeps the traceback
        LOG.exception("explorer callback failed")
        text = f"internal error: {message_line(error)} (see the server log; please report it)"
        return (*([no_update] * failures), *_alert(text, ERROR_CLASS))


def window_range(window: Any, divisor: float, duration_h: float) -> list[float] | None:
    """The x range of a time window ('day', 'week') in axis units, or None for the whole course (also for anything
    that is not a window's name)."""
    hours = WINDOW_HOURS.get(window) if isinstance(window, str) else None
    if hours is None or hours >= duration_h:
        return None
    return [-0.02 * hours / divisor, hours / divisor]


def set_x_range(figure: Any, x_range: list[float] | None, axes: list[str]) -> Any:
    """Apply an x range (None: autorange) to the named x axes of a figure or a `Patch` of one."""
    for name in axes:
        if x_range is None:
            figure["layout"][name]["autorange"] = True
        else:
            figure["layout"][name]["range"] = x_range
            figure["layout"][name]["autorange"] = False
    return figure


def relayout_range(relayout: Any) -> tuple[bool, list[float] | None]:
    """From a plot's relayoutData: whether it changed the time axis, and the new range (None: autorange).

    Anything that is not a finite range of a time axis (from a browser, it may be anything) changes nothing.
    """
    if not isinstance(relayout, dict):
        return False, None
    bounds: dict[str, float] = {}
    for key, value in relayout.items():
        match = _AXIS_RANGE.match(str(key))
        if match:
            bounds[match.group(2)] = _finite(value)
        elif re.match(r"^xaxis\d*\.range$", str(key)) and isinstance(value, list) and len(value) == 2:
            bounds = {"0": _finite(value[0]), "1": _finite(value[1])}
        elif re.match(r"^xaxis\d*\.autorange$", str(key)) and value:
            return True, None
    if "0" in bounds and "1" in bounds and math.isfinite(bounds["0"] + bounds["1"]):
        return True, [bounds["0"], bounds["1"]]
    return False, None


def _finite(value: Any) -> float:
    """A finite number, or NaN for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value) if math.isfinite(value) else math.nan


def _kept(state: Any) -> results.KeptRun:
    kept = results.kept_run(state)
    if kept is None:
        raise KetasimError("the server no longer keeps this run: press “Run simulation” to run it again")
    return kept


def _form_inputs(*values: Any) -> FormValues:
    return FormValues.from_inputs(dict(zip(FIELDS, values, strict=True)))


def _slider_marks(duration_h: float) -> tuple[float, dict[float, str]]:
    step = 24.0 if duration_h > 72 else 6.0
    every = max(1, round(duration_h / step / 8))
    marks = {}
    for k in range(0, int(duration_h // step) + 1, every):
        hours = k * step
        marks[hours] = f"day {k}" if step == 24.0 else f"{hours:g} h"
    return (1.0 if duration_h <= 72 else 3.0), marks


def register(app: Dash, run_time_limit_s: float = RUN_TIME_LIMIT_S) -> None:
    """Attach every callback of the explorer to ``app``; runs are stopped after ``run_time_limit_s``."""
    form_states = [State(name, "value") for name in FIELDS]

    @app.callback(
        Output("route", "options"),
        Output("route", "value"),
        Output("dose", "disabled"),
        Input("drug", "value"),
        State("route", "value"),
    )
    def drug_changed(drug: Any, route: Any) -> tuple[Any, ...]:
        options = route_options(drug if isinstance(drug, str) else "")
        allowed = [o["value"] for o in options]
        return options, (route if route in allowed else allowed[0] if allowed else None), drug == "placebo"

    @app.callback(Output("infusion", "disabled"), Input("route", "value"))
    def route_changed(route: str) -> bool:
        return route not in INFUSION_ROUTES

    @app.callback(
        Output("session", "disabled"),
        Output("delay", "disabled"),
        Input("therapy", "value"),
        Input("timing", "value"),
    )
    def therapy_changed(therapy: str, timing: str) -> tuple[bool, bool]:
        none = therapy == NO_THERAPY
        return none, none or timing == "during"

    @app.callback(
        Output("schedule", "value"),
        Input({"type": "preset", "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def preset_chosen(clicks: Any) -> Any:
        chosen = ctx.triggered_id
        index = chosen.get("index") if isinstance(chosen, dict) else None
        if not isinstance(index, int) or not 0 <= index < len(SCHEDULE_PRESETS) or not clicks:
            return no_update
        return SCHEDULE_PRESETS[index][1]

    run_outputs = [
        *[Output(name, "figure") for name in (*TIME_PLOTS, "plot-fc")],
        Output("endpoints-table", "children"),
        Output("monitoring-table", "children"),
        Output("state", "data"),
        Output("fc-time", "max"),
        Output("fc-time", "marks"),
        Output("fc-time", "step"),
        Output("fc-time", "value"),
        Output("run-status", "children"),
        Output("notice", "children"),
        Output("notice", "className"),
        Output("error", "children"),
        Output("error", "className"),
    ]

    @app.callback(
        *run_outputs,
        Input("run", "n_clicks"),
        *form_states,
        State("scale", "value"),
        State("time-window", "value"),
        State("kept", "data"),
        prevent_initial_call=True,
        running=[(Output("run", "disabled"), True, False), (Output("run", "children"), "Running…", "Run simulation")],
    )
    def run(clicks: int, *values: Any) -> tuple[Any, ...]:
        *form, scale, window, kept = values

        def action() -> tuple[Any, ...]:
            environ = flask.request.environ if flask.has_request_context() else None
            guard = RunGuard.for_request(environ, run_time_limit_s)
            earlier = scenarios.kept_scenarios(kept)
            outcome = results.run_form(_form_inputs(*form), scale if scale in SCALES else None, guard, earlier)
            duration = outcome.protocol.duration_h
            x_range = window_range(window, outcome.divisor, duration)
            drawn = (outcome.concentration, outcome.cascade, outcome.network, outcome.symptoms, outcome.acute)
            plots = [set_x_range(f, x_range, outcome.axes[name]) for name, f in zip(TIME_PLOTS, drawn, strict=True)]
            outcome.state["number"] = clicks if isinstance(clicks, int) else 0
            for figure in (*plots, outcome.fc):
                figure.update_layout(meta={"run": clicks})  # lets a test wait until a plot shows this run
            step, marks = _slider_marks(duration)
            patients = outcome.protocol.population.size
            arms = len(outcome.protocol.arms)
            status = f"Run {clicks}: {patients} patients per arm, {arms} arm{'s' if arms > 1 else ''}, {outcome.seconds:.1f} s."
            notice = "\n".join(f"warning: {w}" for w in outcome.warnings)
            return (
                *plots,
                outcome.fc,
                html.Div(_raw_html(outcome.endpoints)),
                _monitoring_table(outcome.monitoring),
                outcome.state,
                duration,
                marks,
                step,
                outcome.marker_h,
                status,
                *_alert(notice, NOTICE_CLASS),
                *_alert("", ERROR_CLASS),
            )

        return guarded(action, len(run_outputs))

    @app.callback(
        Output("plot-fc", "figure", allow_duplicate=True),
        Output("plot-dmn", "figure", allow_duplicate=True),
        Output("error", "children", allow_duplicate=True),
        Output("error", "className", allow_duplicate=True),
        Input("fc-time", "value"),
        State("state", "data"),
        prevent_initial_call=True,
    )
    def fc_time_changed(at_h: Any, state: Any) -> tuple[Any, ...]:
        if not state or at_h is None:
            return no_update, no_update, no_update, no_update

        def action() -> tuple[Any, ...]:
            kept = _kept(state)
            matrix = results.fc_figure_of(kept, at_h)
            marker: Any = no_update
            if kept.network:
                marker = Patch()
                x = float(at_h) / kept.divisor
                marker["layout"]["shapes"][0]["x0"] = x
                marker["layout"]["shapes"][0]["x1"] = x
            matrix.update_layout(meta={"run": state.get("number")})
            return matrix, marker, no_update, no_update

        return guarded(action, 4)

    @app.callback(
        Output("plot-symptoms", "figure", allow_duplicate=True),
        Input("scale", "value"),
        State("state", "data"),
        State("time-window", "value"),
        State("kept", "data"),
        prevent_initial_call=True,
    )
    def scale_changed(scale: Any, state: Any, window: Any, earlier: Any) -> Any:
        kept = results.kept_run(state)
        if kept is None or scale not in SCALES:
            return no_update
        figure = results.symptoms_figure_of(kept, scale, scenarios.kept_scenarios(earlier))
        if figure is None:
            return no_update
        x_range = window_range(window, kept.divisor, kept.times_h[-1])
        return set_x_range(figure, x_range, figures.x_axes(figure))

    @app.callback(
        *[Output(name, "figure", allow_duplicate=True) for name in TIME_PLOTS],
        Input("time-window", "value"),
        *[Input(name, "relayoutData") for name in TIME_PLOTS],
        State("state", "data"),
        prevent_initial_call=True,
    )
    def time_axes_linked(window: Any, *inputs: Any) -> tuple[Any, ...]:
        *relayouts, state = inputs
        kept = results.kept_run(state)
        if kept is None:
            return tuple(no_update for _ in TIME_PLOTS)
        trigger = ctx.triggered_id
        if trigger == "time-window":
            x_range = window_range(window, kept.divisor, kept.times_h[-1])
            return tuple(set_x_range(Patch(), x_range, kept.axes[name]) for name in TIME_PLOTS)
        source = TIME_PLOTS.index(str(trigger)) if trigger in TIME_PLOTS else -1
        changed, x_range = relayout_range(relayouts[source] if source >= 0 else None)
        if not changed:
            return tuple(no_update for _ in TIME_PLOTS)
        return tuple(
            no_update if k == source else set_x_range(Patch(), x_range, kept.axes[name])
            for k, name in enumerate(TIME_PLOTS)
        )

    @app.callback(
        Output("download", "data"),
        Output("error", "children", allow_duplicate=True),
        Output("error", "className", allow_duplicate=True),
        Input("download-protocol", "n_clicks"),
        *form_states,
        prevent_initial_call=True,
    )
    def download(clicks: int, *form: Any) -> tuple[Any, ...]:
        def action() -> tuple[Any, ...]:
            _, mapping = build_protocol(_form_inputs(*form))
            text = YAML_HEADER + yaml.safe_dump(mapping, sort_keys=False, default_flow_style=None, allow_unicode=True)
            return {"content": text, "filename": "ketasim-protocol.yaml", "type": "application/x-yaml"}, *_alert(
                "", ERROR_CLASS
            )

        return guarded(action, 3)

    @app.callback(
        Output("kept", "data"),
        Output("kept-list", "children"),
        *[Output(name, "figure", allow_duplicate=True) for name in TIME_PLOTS],
        Output("error", "children", allow_duplicate=True),
        Output("error", "className", allow_duplicate=True),
        Input("keep-run", "n_clicks"),
        Input({"type": "remove-kept", "index": ALL}, "n_clicks"),
        State("state", "data"),
        State("kept", "data"),
        State("scale", "value"),
        State("time-window", "value"),
        prevent_initial_call=True,
    )
    def kept_changed(keep: Any, removes: Any, state: Any, kept: Any, scale: Any, window: Any) -> tuple[Any, ...]:
        outputs = 4 + len(TIME_PLOTS)
        trigger = ctx.triggered_id
        clicked = ctx.triggered[0]["value"] if ctx.triggered else None
        if not clicked:
            return tuple(no_update for _ in range(outputs))

        def action() -> tuple[Any, ...]:
            run = _kept(state)
            keys = scenarios.kept_keys(kept)
            if trigger == "keep-run":
                if len(keys) >= scenarios.MAX_KEPT:
                    raise KetasimError(f"up to {scenarios.MAX_KEPT} runs can be kept: remove one first")
                keys.append(scenarios.store(run.scenario))
            elif isinstance(trigger, dict) and trigger.get("index") in range(len(keys)):
                keys.pop(trigger["index"])
            shown = scenarios.kept_scenarios(keys)
            drawn = results.overlaid(
                run, shown, scale if scale in SCALES else results.default_scale(run.scenario.values.condition)
            )
            plots: list[Any] = [no_update] * len(TIME_PLOTS)
            if drawn is not None:
                x_range = window_range(window, run.divisor, run.times_h[-1])
                plots = [set_x_range(drawn[name], x_range, run.axes[name]) for name in TIME_PLOTS]
            return keys, _kept_list(shown), *plots, *_alert("", ERROR_CLASS)

        return guarded(action, outputs)

    @app.callback(
        Output("share-link", "href"),
        Output("share-link", "className"),
        Output("chain", "children"),
        Input("state", "data"),
        Input("scale", "value"),
        prevent_initial_call=True,
    )
    def run_shown(state: Any, scale: Any) -> tuple[Any, ...]:
        run = results.kept_run(state)
        if run is None:
            return "", "share hidden", chain_boxes(step_values(None))
        chosen = scale if scale in SCALES else results.default_scale(run.scenario.values.condition)
        return link_query(run.scenario.values, chosen), "share", chain_boxes(step_values(run.scenario))

    @app.callback(
        *[Output(name, "value", allow_duplicate=True) for name in FIELDS],
        Output("scale", "value", allow_duplicate=True),
        Output("run", "n_clicks"),
        Output("error", "children", allow_duplicate=True),
        Output("error", "className", allow_duplicate=True),
        Input("url", "search"),
        State("run", "n_clicks"),
        prevent_initial_call="initial_duplicate",
    )
    def link_opened(search: Any, clicks: Any) -> tuple[Any, ...]:
        outputs = len(FIELDS) + 4
        if not isinstance(search, str) or not search.removeprefix("?"):
            return tuple(no_update for _ in range(outputs))

        def action() -> tuple[Any, ...]:
            values, scale = read_link(search)
            chosen = scale or results.default_scale(values.condition)
            number = clicks if isinstance(clicks, int) else 0
            return (*values.as_dict().values(), chosen, number + 1, *_alert("", ERROR_CLASS))

        return guarded(action, outputs)

    @app.callback(
        Output("data-file", "data"),
        Output("error", "children", allow_duplicate=True),
        Output("error", "className", allow_duplicate=True),
        Input("download-data", "n_clicks"),
        State("state", "data"),
        State("kept", "data"),
        prevent_initial_call=True,
    )
    def download_data(clicks: Any, state: Any, kept: Any) -> tuple[Any, ...]:
        def action() -> tuple[Any, ...]:
            run = _kept(state)
            named = [("current", run.scenario)] + [
                (f"kept {scenarios.LETTERS[k]}", s) for k, s in enumerate(scenarios.kept_scenarios(kept))
            ]
            text = scenarios.curves_csv(named)
            return {"content": text, "filename": "ketasim-time-courses.csv", "type": "text/csv"}, *_alert(
                "", ERROR_CLASS
            )

        return guarded(action, 3)

    @app.callback(
        *[Output(name, "value", allow_duplicate=True) for name in FIELDS],
        Output("notice", "children", allow_duplicate=True),
        Output("notice", "className", allow_duplicate=True),
        Output("error", "children", allow_duplicate=True),
        Output("error", "className", allow_duplicate=True),
        Input("upload-protocol", "contents"),
        State("upload-protocol", "filename"),
        prevent_initial_call=True,
    )
    def upload(contents: str | None, filename: str | None) -> tuple[Any, ...]:
        if not contents:
            return tuple(no_update for _ in range(len(FIELDS) + 4))

        def action() -> tuple[Any, ...]:
            protocol = load_protocol(read_uploaded(contents, filename))
            values, complete = values_from_protocol(protocol)
            note = f"Loaded {_display_name(filename)}: press “Run simulation” to run it."
            if not complete:
                note += (
                    " The form shows the parts it can edit (the first arm's first drug and therapy, one "
                    "comparator arm); the rest of the file is left out here. Run the whole file with "
                    "`ketasim trial`."
                )
            warnings = "".join(f"\nwarning: {w}" for w in protocol.warnings)
            kind = INFO_CLASS if complete and not warnings else NOTICE_CLASS
            return (*values.as_dict().values(), note + warnings, kind, *_alert("", ERROR_CLASS))

        return guarded(action, len(FIELDS) + 4)


def read_uploaded(contents: Any, filename: Any) -> dict[str, Any]:
    """The mapping of an uploaded protocol file (a ``data:`` URL), read as the CLI reads a file, in memory.

    Nothing is written to disk: the file name only tells the format and names the file in messages.

    Raises
    ------
    ProtocolError
        A file over `MAX_UPLOAD_BYTES`, an unknown suffix, text that is not UTF-8, malformed YAML/JSON/TOML,
        nesting or size beyond the loader's limits, or a top level that is not a mapping.
    """
    name = _display_name(filename)
    if not isinstance(contents, str):
        raise ProtocolError("", f"could not read the upload of {name}", "choose the file again")
    _, _, encoded = contents.partition(",")
    if len(encoded) > 4 * -(-MAX_UPLOAD_BYTES // 3):
        raise ProtocolError(
            "", f"{name} is larger than the explorer's limit of {MAX_UPLOAD_BYTES // 1000} kB", UPLOAD_FIX
        )
    try:
        text = base64.b64decode(encoded, validate=False).decode("utf-8")
    except ValueError:
        raise ProtocolError(
            "", f"could not read {name} as UTF-8 text", "save it as UTF-8 and choose it again"
        ) from None
    return parse_mapping(text, name, ProtocolError, MAX_UPLOAD_VALUES)


def _display_name(filename: Any) -> str:
    """The last part of an uploaded file's name, without control characters, at most 100 characters."""
    name = Path(str(filename or "protocol.yaml")).name
    printable = "".join(c for c in name if c.isprintable())
    return printable[-100:] or "protocol.yaml"


def _raw_html(text: str) -> Any:
    from dash import dcc

    return dcc.Markdown(text, dangerously_allow_html=True)


def _kept_list(shown: list[scenarios.Scenario]) -> list[Any]:
    """The kept runs, each with its letter, its name and a button that removes it."""
    return [
        html.Div(
            [
                html.Span(f"kept {scenarios.LETTERS[k]}: {scenario.label}"),
                html.Button("remove", id={"type": "remove-kept", "index": k}, className="chip", n_clicks=0),
            ],
            className="kept-run",
        )
        for k, scenario in enumerate(shown)
    ]


def _monitoring_table(rows: list[dict[str, str]] | None) -> Any:
    if rows is None:
        return html.P("This version of the simulator does not report monitoring times.")
    if not rows:
        return html.P("No ketamine doses to monitor in this protocol.")
    header = html.Tr([html.Th(h) for h in ("arm", "dose (time)", "median", "90th percentile", "criteria not met")])
    body = [
        html.Tr(
            [
                html.Td(row["arm"]),
                html.Td(row["dose"]),
                html.Td(row["median"], className="num"),
                html.Td(row["p90"], className="num"),
                html.Td(row["not_met"], className="num"),
            ]
        )
        for row in rows
    ]
    return html.Div(html.Table([html.Thead(header), html.Tbody(body)]), className="scroll")
