"""The explorer's page: the protocol form on the left, the linked views on the right.

Controls and views carry ``data-testid`` hooks for the browser tests (``drug``, ``route``, ``dose``, ``schedule``,
``therapy``, ``run``, ``plot-concentration``, ``plot-cascade``, ``plot-dmn``, ``plot-symptoms``, ``endpoints-table``,
``download-protocol``, and a few more); Dash core components cannot carry them, so a wrapper ``div`` does.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from ketasim.parameters.catalogue import default_catalogue
from ketasim.version import __version__
from ketasim.vocabulary import CONDITIONS, SCALE_RANGES, THERAPIES
from ketasim.web import explain
from ketasim.web.chain import step_values
from ketasim.web.figures import empty_figure
from ketasim.web.form import COMPARATORS, NO_THERAPY, FormValues
from ketasim.web.limits import MAX_PATIENTS_PER_RUN, MAX_UPLOAD_BYTES
from ketasim.web.results import default_scale
from ketasim.web.scenarios import MAX_KEPT

CONDITION_LABELS = {
    "trd": "Treatment-resistant depression",
    "mdd": "Major depression",
    "ptsd": "PTSD",
    "gad": "Generalised anxiety",
    "sad": "Social anxiety",
    "healthy": "Healthy volunteer",
}
DRUG_LABELS = {
    "ketamine": "Ketamine (racemic)",
    "esketamine": "Esketamine",
    "arketamine": "Arketamine",
    "midazolam": "Midazolam",
    "escitalopram": "Escitalopram",
    "placebo": "Placebo",
}
ROUTE_LABELS = {"iv": "IV", "im": "IM", "sc": "SC", "intranasal": "Nasal", "oral": "Oral", "sublingual": "Sublingual"}
THERAPY_LABELS = {
    NO_THERAPY: "No therapy sessions",
    "emdr": "EMDR",
    "emdr-intensive": "EMDR intensive (3 days)",
    "integration": "Integration session",
    "cbt": "CBT",
    "supportive": "Supportive therapy",
}
SCALE_LABELS = {
    "madrs": "MADRS (depression)",
    "hamd17": "HAM-D17 (depression)",
    "phq9": "PHQ-9 (depression, self-report)",
    "ham_a": "HAM-A (anxiety)",
    "gad7": "GAD-7 (anxiety, self-report)",
    "caps5": "CAPS-5 (PTSD)",
    "pcl5": "PCL-5 (PTSD, self-report)",
}
SCHEDULE_PRESETS = (
    ("single dose", "0 d"),
    ("6 over 2 weeks", "0 d, 2 d, 4 d, 7 d, 9 d, 11 d"),
    ("twice weekly x 4", "0 d, 3 d, 7 d, 10 d, 14 d, 17 d, 21 d, 24 d"),
    ("weekly x 4", "0 d, 7 d, 14 d, 21 d"),
)
TIME_WINDOWS = {"all": "Whole course", "day": "First 24 h", "week": "First week"}
WINDOW_HOURS = {"day": 24.0, "week": 168.0}


def hook(name: str) -> dict[str, Any]:
    """The keyword arguments that give an html component the test hook ``data-testid=name``."""
    return {"data-testid": name}


def testid(name: str, child: Any, class_name: str = "") -> html.Div:
    """Wrap a component in a ``div`` carrying ``data-testid``."""
    return html.Div(child, className=class_name, **hook(name))


def field(label: str, control: Any, hint: str = "", for_id: str | None = None) -> html.Div:
    """A labelled form field with an optional hint under it."""
    parts: list[Any] = [html.Label(label, htmlFor=for_id) if for_id else html.Div(label, className="label"), control]
    if hint:
        parts.append(html.Div(hint, className="hint"))
    return html.Div(parts, className="field")


def text_input(name: str, value: str, placeholder: str = "") -> dcc.Input:
    """A text box that reports its value when it loses focus or Enter is pressed."""
    return dcc.Input(id=name, type="text", value=value, placeholder=placeholder, debounce=True)


def radios(name: str, labels: dict[str, str], value: str) -> html.Div:
    """Inline radio buttons (value → label) with the test hook ``name``."""
    return testid(
        name, dcc.RadioItems(id=name, options=_options(labels, list(labels)), value=value, inline=True), "radios"
    )


def _options(labels: dict[str, str], values: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    return [{"label": labels.get(v, v), "value": v} for v in values]


def route_options(drug: str) -> list[dict[str, str]]:
    """The routes the drug allows, as radio options."""
    return _options(ROUTE_LABELS, default_catalogue().drug_routes.get(drug, ()))


def _patients_card(v: FormValues) -> html.Section:
    return html.Section(
        [
            html.H2("Patients"),
            field(
                "Condition",
                testid(
                    "condition",
                    dcc.Dropdown(
                        id="condition",
                        options=_options(CONDITION_LABELS, CONDITIONS),
                        value=v.condition,
                        clearable=False,
                    ),
                ),
            ),
            html.Div(
                [
                    field(
                        "Patients per arm",
                        testid("patients", dcc.Input(id="patients", type="number", value=v.patients, debounce=True)),
                        for_id="patients",
                    ),
                    field("Seed", dcc.Input(id="seed", type="number", value=v.seed, debounce=True), for_id="seed"),
                ],
                className="row2",
            ),
            html.Div(
                f"Up to {MAX_PATIENTS_PER_RUN:,} patients per run in all arms. The first run with a new drug or route "
                "also prepares the model and takes longer.",
                className="hint",
            ),
            field(
                "Course length",
                testid("duration", text_input("duration", v.duration, "28 d")),
                "Simulated time from the first dose, e.g. 28 d or 12 w.",
                for_id="duration",
            ),
            field(
                "Rating scores",
                radios("rater_noise", {"on": "as a rater records them", "off": "without rater noise"}, v.rater_noise),
                "Without rater noise, the median follows the patients' true state instead of jittering by a few "
                "points (every scale's rater noise set to 0).",
            ),
        ],
        className="card",
    )


def _drug_card(v: FormValues) -> html.Section:
    presets = [
        html.Button(label, id={"type": "preset", "index": k}, className="chip", n_clicks=0, title=times)
        for k, (label, times) in enumerate(SCHEDULE_PRESETS)
    ]
    return html.Section(
        [
            html.H2("Drug"),
            field(
                "Drug",
                testid(
                    "drug",
                    dcc.Dropdown(
                        id="drug",
                        options=_options(DRUG_LABELS, tuple(default_catalogue().drug_routes)),
                        value=v.drug,
                        clearable=False,
                    ),
                ),
            ),
            field(
                "Route",
                testid(
                    "route",
                    dcc.RadioItems(id="route", options=route_options(v.drug), value=v.route, inline=True),
                    "radios",
                ),
            ),
            html.Div(
                [
                    field("Dose", testid("dose", text_input("dose", v.dose, "0.5 mg/kg")), "mg/kg or mg", "dose"),
                    field(
                        "Infusion over",
                        testid("infusion", text_input("infusion", v.infusion, "40 min")),
                        "IV/SC; empty: bolus",
                        "infusion",
                    ),
                ],
                className="row2",
            ),
            field(
                "Dose times",
                html.Div(
                    [
                        testid("schedule", text_input("schedule", v.schedule, "0 d, 2 d, 4 d")),
                        html.Div(presets, className="presets"),
                    ]
                ),
                "From the first dose, separated by commas, e.g. 0 d, 3 d, 7 d.",
                "schedule",
            ),
        ],
        className="card",
    )


def _therapy_card(v: FormValues) -> html.Section:
    therapies = (NO_THERAPY, *THERAPIES)
    return html.Section(
        [
            html.H2("Psychotherapy"),
            field(
                "Therapy",
                testid(
                    "therapy",
                    dcc.Dropdown(
                        id="therapy", options=_options(THERAPY_LABELS, therapies), value=v.therapy, clearable=False
                    ),
                ),
            ),
            html.Div(
                [
                    field(
                        "Session length",
                        testid("session", text_input("session", v.session, "90 min")),
                        for_id="session",
                    ),
                    field("Delay after dose", testid("delay", text_input("delay", v.delay, "24 h")), for_id="delay"),
                ],
                className="row2",
            ),
            field(
                "Timing",
                radios("timing", {"after": "after each dose", "during": "during each dose"}, v.timing),
            ),
        ],
        className="card",
    )


def _comparator_card(v: FormValues) -> html.Section:
    options = [{"label": "No comparator arm", "value": "none"}] + [
        {"label": c.label, "value": name} for name, c in COMPARATORS.items() if c is not None
    ]
    return html.Section(
        [
            html.H2("Comparator arm"),
            testid("comparator", dcc.Dropdown(id="comparator", options=options, value=v.comparator, clearable=False)),
            html.Div("Gets the same therapy sessions as the treatment arm.", className="hint"),
        ],
        className="card",
    )


def _actions() -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.Button("Run simulation", id="run", n_clicks=0, className="btn btn-primary", **hook("run")),
                    html.Button(
                        "Download protocol",
                        id="download-protocol",
                        n_clicks=0,
                        className="btn",
                        title="Save the protocol as a YAML file for `ketasim trial`",
                        **hook("download-protocol"),
                    ),
                    html.Button(
                        "Download data (CSV)",
                        id="download-data",
                        n_clicks=0,
                        className="btn",
                        title="The plotted time courses (median and bands per arm) of this run and the kept runs",
                        **hook("download-data"),
                    ),
                    html.Button(
                        "Keep this run",
                        id="keep-run",
                        n_clicks=0,
                        className="btn",
                        title=f"Draw this run over the next runs' plots (up to {MAX_KEPT})",
                        **hook("keep-run"),
                    ),
                    testid(
                        "upload-protocol",
                        dcc.Upload(
                            id="upload-protocol",
                            children=html.Div("Load protocol"),
                            className="upload",
                            accept=".yaml,.yml,.json,.toml",
                            max_size=4 * MAX_UPLOAD_BYTES,  # the server says why a file over its limit is refused
                        ),
                    ),
                ],
                className="actions",
            ),
            html.A(
                "Link to this run",
                id="share-link",
                href="",
                className="share hidden",
                title="Opens the same scenario for anyone who has this explorer running",
                **hook("share-link"),
            ),
            html.Div(id="kept-list", className="kept", **hook("kept-list")),
            dcc.Download(id="download"),
            dcc.Download(id="data-file"),
        ],
        className="card actions-card",
    )


def _graph(name: str, message: str) -> Any:
    return testid(
        name,
        dcc.Loading(
            dcc.Graph(id=name, figure=empty_figure(message), config={"displaylogo": False, "responsive": True}),
            type="dot",
            delay_show=300,
        ),
    )


def _cascade_notes() -> html.Div:
    return html.Div(
        [html.Div([html.H3(heading), html.P(text)], className="note") for _, heading, text in explain.STAGES],
        className="notes",
    )


def chain_boxes(steps: list[tuple[str, str]]) -> list[html.Div]:
    """The boxes of the chain from dose to rating scales, each with what the run reached (lit after a run)."""
    boxes = []
    for k, (heading, reached) in enumerate(steps):
        if k:
            boxes.append(html.Div("→", className="arrow"))
        boxes.append(
            html.Div(
                [html.Div(heading, className="step-name"), html.Div(reached or "–", className="step-value")],
                className="step lit" if reached else "step",
            )
        )
    return boxes


def _chain_and_glossary() -> html.Section:
    glossary = html.Details(
        [
            html.Summary("Glossary"),
            html.Dl([part for term, text in explain.GLOSSARY for part in (html.Dt(term), html.Dd(text))]),
        ],
        **hook("glossary"),
    )
    return _section(
        "From dose to symptoms",
        explain.CHAIN,
        html.Div(chain_boxes(step_values(None)), id="chain", className="chain", **hook("chain")),
        glossary,
    )


def _section(title: str, lead: str, *children: Any) -> html.Section:
    return html.Section([html.H2(title), html.P(lead, className="lead"), *children], className="panel")


def _status_bar() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span("No run yet.", id="run-status", className="status", **hook("run-status")),
                    testid(
                        "time-window",
                        dcc.RadioItems(
                            id="time-window",
                            options=[{"label": label, "value": value} for value, label in TIME_WINDOWS.items()],
                            value="all",
                            inline=True,
                        ),
                        "window radios",
                    ),
                ],
                className="statusline",
            ),
            html.Div(id="error", className="alert alert-error hidden", role="alert", **hook("error")),
            html.Div(id="notice", className="alert alert-warn hidden", **hook("notice")),
        ],
        className="statusbar",
    )


def _views() -> html.Main:
    press = "Press “Run simulation” to see this view."
    slider = dcc.Slider(id="fc-time", min=0, max=24, step=1, value=24, marks=None, allow_direct_input=False)
    scale = dcc.Dropdown(
        id="scale",
        options=_options(SCALE_LABELS, list(SCALE_RANGES)),
        value=default_scale(FormValues().condition),
        clearable=False,
    )
    return html.Main(
        [
            _status_bar(),
            _chain_and_glossary(),
            _section("Drug in the blood", explain.CONCENTRATION, _graph("plot-concentration", press)),
            _section(
                "Safety: acute effects and monitoring",
                explain.ACUTE,
                _graph("plot-acute", press),
                html.H3("Monitoring time after each dose", className="subhead"),
                html.P(explain.MONITORING, className="lead"),
                html.Div(html.P(press), id="monitoring-table", className="tables", **hook("monitoring-table")),
            ),
            _section(
                "How ketamine works",
                "From the blocked receptor to new connections, one panel per step, with what each shows beside it. "
                "Green bands mark therapy sessions.",
                html.Div([_graph("plot-cascade", press), _cascade_notes()], className="with-notes"),
            ),
            _section(
                "Brain network",
                explain.NETWORK,
                _graph("plot-dmn", press),
                html.Div(
                    [html.Span("Connectivity matrix at", className="label"), testid("fc-time", slider)],
                    className="slider-row",
                ),
                _graph("plot-fc", press),
            ),
            _section(
                "Symptoms",
                explain.SYMPTOMS,
                html.Div(field("Rating scale", testid("scale", scale)), className="narrow"),
                _graph("plot-symptoms", press),
            ),
            _section(
                "Endpoints",
                "Response: at least a 50 % drop from baseline (30 % on PTSD scales); remission: at or under the "
                "scale's cut-off; change in points. Values with 95 % intervals; differences between arms with "
                "Hedges' g.",
                html.Div(html.P(press), id="endpoints-table", className="tables", **hook("endpoints-table")),
            ),
            html.Div(f"ketasim {__version__}. {explain.CONTEXT}", className="footer"),
        ],
        className="main",
    )


def page() -> html.Div:
    """The whole page, with the form at its default values."""
    values = FormValues()
    return html.Div(
        [
            html.Header(
                [
                    html.H1("ketasim explorer"),
                    html.Span("Ketamine treatment from dose to symptoms, simulated", className="sub"),
                    html.Span(f"version {__version__}", className="version"),
                ],
                className="topbar",
            ),
            html.Div(explain.CONTEXT, className="context", role="note"),
            html.Div(
                [
                    html.Aside(
                        [
                            _patients_card(values),
                            _drug_card(values),
                            _therapy_card(values),
                            _comparator_card(values),
                            _actions(),
                        ],
                        className="sidebar",
                    ),
                    _views(),
                ],
                className="shell",
            ),
            dcc.Store(id="state"),
            dcc.Store(id="kept", data=[]),
            dcc.Location(id="url", refresh=False),
        ]
    )
