"""One run of the explorer: validate the form, simulate, analyse, and return everything the page shows.

Only public API is called: `ketasim.protocol.load_protocol`, `ketasim.simulation.run.simulate`,
`ketasim.analysis.summary.analyse` and `summary_dict`, and the figures of `ketasim.web.figures`.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import plotly.graph_objects as go

from ketasim.protocol import Protocol, load_protocol
from ketasim.report.timecourse_plot import time_axis
from ketasim.vocabulary import SCALES
from ketasim.web import figures
from ketasim.web.form import FormValues, build_protocol
from ketasim.web.grid import observe_entry
from ketasim.web.tables import endpoints_html, monitoring_rows

SIMULATION_LOCK = threading.Lock()
"""One simulation at a time per server: runs use every core, so concurrent ones would only slow each other."""
DEFAULT_MARKER_H = 24.0
KEPT_RUNS = 3
_DATASETS: OrderedDict[str, tuple[Any, Protocol]] = OrderedDict()
_DATASETS_LOCK = threading.Lock()


@dataclass(frozen=True)
class RunResult:
    """What one run shows: figures, tables, notes, and the small state the FC slider needs."""

    protocol: Protocol
    mapping: dict[str, Any]
    concentration: go.Figure
    acute: go.Figure
    cascade: go.Figure
    network: go.Figure
    fc: go.Figure
    symptoms: go.Figure
    endpoints: str
    monitoring: list[dict[str, str]] | None
    warnings: list[str]
    seconds: float
    state: dict[str, Any]


def simulated_protocol(protocol: Protocol, mapping: dict[str, Any]) -> Protocol:
    """The protocol with the explorer's observation grid (fine after each fast-acting dose)."""
    return load_protocol({**mapping, "observe": observe_entry(protocol)})


def marker_time(duration_h: float) -> float:
    """Where the FC slider starts: one day after the first dose, or the end of a shorter course."""
    return min(DEFAULT_MARKER_H, duration_h)


def run_form(values: FormValues, scale: str | None = None) -> RunResult:
    """Validate ``values``, simulate their protocol and build every view.

    Parameters
    ----------
    values
        The form.
    scale
        The rating scale of the symptom plot (default: the condition's primary scale, else MADRS).

    Raises
    ------
    KetasimError
        Any input problem (one line with its key path) or model failure.
    """
    from ketasim.analysis.summary import analyse, summary_dict
    from ketasim.simulation.run import simulate

    start = perf_counter()
    protocol, mapping = build_protocol(values)
    run_protocol = simulated_protocol(protocol, mapping)
    with SIMULATION_LOCK:
        dataset = simulate(run_protocol)
    analysis = analyse(run_protocol, dataset)
    summary = summary_dict(analysis, perf_counter() - start)
    spans = figures.session_spans(run_protocol)
    marker = marker_time(run_protocol.duration_h)
    times = [float(t) for t in dataset["time"].values]
    medians = figures.network_medians(dataset)
    _, _, divisor = time_axis(dataset["time"].values)
    concentration = figures.concentration_figure(dataset)
    acute = figures.acute_figure(dataset)
    cascade = figures.cascade_figure(dataset, spans)
    network = figures.network_figure(dataset, spans, marker)
    symptoms = figures.symptom_figure(dataset, scale or default_scale(values.condition), spans)
    views = {
        "plot-concentration": concentration,
        "plot-cascade": cascade,
        "plot-dmn": network,
        "plot-symptoms": symptoms,
        "plot-acute": acute,
    }
    return RunResult(
        protocol=run_protocol,
        mapping=mapping,
        concentration=concentration,
        acute=acute,
        cascade=cascade,
        network=network,
        fc=figures.fc_figure(run_protocol, times, medians, marker),
        symptoms=symptoms,
        endpoints=endpoints_html(analysis, summary, dataset),
        monitoring=monitoring_rows(run_protocol, dataset),
        warnings=list(run_protocol.warnings),
        seconds=perf_counter() - start,
        state={
            "run": remember(dataset, run_protocol),
            "mapping": mapping,
            "times_h": times,
            "medians": medians,
            "divisor": divisor,
            "marker_h": marker,
            "axes": {name: figures.x_axes(figure) for name, figure in views.items()},
            "network": bool(figures.present(dataset, figures.NETWORK)),
        },
    )


def remember(dataset: Any, protocol: Protocol) -> str:
    """Keep a run's rating scales in memory for the symptom view (the last `KEPT_RUNS` runs); return its key."""
    key = uuid.uuid4().hex
    scales = dataset[figures.present(dataset, SCALES)]
    with _DATASETS_LOCK:
        _DATASETS[key] = (scales, protocol)
        while len(_DATASETS) > KEPT_RUNS:
            _DATASETS.popitem(last=False)
    return key


def symptoms_from_state(state: dict[str, Any], scale: str) -> go.Figure | None:
    """The symptom figure of another scale for a kept run, or None when the run is no longer kept."""
    with _DATASETS_LOCK:
        kept = _DATASETS.get(str(state.get("run")))
    if kept is None:
        return None
    dataset, protocol = kept
    return figures.symptom_figure(dataset, scale, figures.session_spans(protocol))


def default_scale(condition: str) -> str:
    """The symptom plot's scale for a condition: its primary scale, MADRS for healthy volunteers."""
    from ketasim.web.form import PRIMARY_SCALE

    return PRIMARY_SCALE.get(condition) or "madrs"


def fc_from_state(state: dict[str, Any], at_h: float) -> go.Figure:
    """The FC figure at ``at_h`` from the state a run left (no new simulation)."""
    protocol = load_protocol(state["mapping"])
    return figures.fc_figure(protocol, state["times_h"], state["medians"], at_h)
