"""One run of the explorer: validate the form, simulate, analyse, and return everything the page shows.

Only public API is called: `ketasim.protocol.load_protocol`, `ketasim.simulation.run.simulate`,
`ketasim.analysis.summary.analyse` and `summary_dict`, and the figures of `ketasim.web.figures`. The server keeps
what a page needs after a run (`KeptRun`: the protocol, the network medians, the rating scales) under a random
key; the page holds only that key, so nothing a browser sends ever becomes a protocol, a path or a figure's data.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import plotly.graph_objects as go

from ketasim.engine.grid import StepPolicy
from ketasim.errors import InputError
from ketasim.protocol import Protocol, load_protocol
from ketasim.protocol.fields import choose
from ketasim.report.timecourse_plot import time_axis
from ketasim.simulation.plan import plan_arm
from ketasim.vocabulary import SCALES
from ketasim.web import figures
from ketasim.web.form import FormValues, build_protocol
from ketasim.web.grid import observe_entry
from ketasim.web.limits import RunGuard, check_course, check_patient_steps
from ketasim.web.scenarios import Scenario, add_overlays, scenario_of
from ketasim.web.tables import endpoints_html, monitoring_rows

SIMULATION_LOCK = threading.Lock()
"""One simulation at a time per server: runs use every core, so concurrent ones would only slow each other."""
LOCK_POLL_S = 1.0
DEFAULT_MARKER_H = 24.0
KEPT_RUNS = 64
"""Runs whose views the server keeps for their pages (the FC slider, linked axes)."""
KEPT_VIEWS = 3
"""Of those, the latest whose rating scales and drawn figures it keeps too (other scales, kept runs drawn over
them; large)."""
TIME_PLOTS = ("plot-concentration", "plot-cascade", "plot-dmn", "plot-symptoms", "plot-acute")
"""The plots over time, which share their time axis and show the kept scenarios."""
SCENARIO_OUTPUTS = (*figures.CONCENTRATION, *figures.ACUTE, *figures.CASCADE, *figures.NETWORK, *SCALES)
"""The outputs a scenario keeps: every one the time plots draw."""
_RUN_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class KeptRun:
    """What the server keeps of a run for its page: nothing of it ever comes back from the browser.

    The page holds only the run's key (`RunResult.state`), a random 128-bit name that a page learns only from
    the run it started.
    """

    protocol: Protocol
    times_h: list[float]
    medians: dict[str, dict[str, list[float]]]
    divisor: float
    axes: dict[str, list[str]]
    network: bool
    scales: Any | None
    scenario: Scenario
    panels: dict[str, list[str]]
    figures: dict[str, go.Figure] | None


_RUNS: OrderedDict[str, KeptRun] = OrderedDict()
_RUNS_LOCK = threading.Lock()


@dataclass(frozen=True)
class RunResult:
    """What one run shows: figures, tables, notes, the view settings, and the page's state (the run's key)."""

    protocol: Protocol
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
    divisor: float
    axes: dict[str, list[str]]
    marker_h: float
    state: dict[str, Any]


def simulated_protocol(protocol: Protocol, mapping: dict[str, Any]) -> Protocol:
    """The protocol with the explorer's observation grid (fine after each fast-acting dose)."""
    return load_protocol({**mapping, "observe": observe_entry(protocol)})


def marker_time(duration_h: float) -> float:
    """Where the FC slider starts: one day after the first dose, or the end of a shorter course."""
    return min(DEFAULT_MARKER_H, duration_h)


def checked_protocol(values: FormValues) -> Protocol:
    """The protocol a run of ``values`` simulates, checked against the explorer's limits (`ketasim.web.limits`).

    Raises
    ------
    ProtocolError
        The loader's first problem, or the first limit exceeded.
    """
    protocol, mapping = build_protocol(values)
    check_course(protocol)
    run_protocol = simulated_protocol(protocol, mapping)
    steps = [plan_arm(run_protocol, arm, StepPolicy()).grid.steps_h.size for arm in range(len(run_protocol.arms))]
    check_patient_steps(run_protocol.population.size, steps)
    return run_protocol


def run_form(
    values: FormValues, scale: str | None = None, guard: RunGuard | None = None, kept: Sequence[Scenario] = ()
) -> RunResult:
    """Validate ``values``, simulate their protocol and build every view.

    Parameters
    ----------
    values
        The form.
    scale
        The rating scale of the symptom plot (default: the condition's primary scale, else MADRS).
    guard
        Stops the simulation between chunks (time limit, browser gone); default: a time limit only.
    kept
        Earlier runs to draw over the time plots (`ketasim.web.scenarios`).

    Raises
    ------
    KetasimError
        Any input problem (one line with its key path), a limit exceeded, a stopped run, or a model failure.
    """
    from ketasim.analysis.summary import analyse, summary_dict
    from ketasim.simulation.run import BATCH_SIZE, engine_threads, simulate

    start = perf_counter()
    run_protocol = checked_protocol(values)
    guard = guard or RunGuard(None)
    total = run_protocol.population.size * len(run_protocol.arms)
    while not SIMULATION_LOCK.acquire(timeout=LOCK_POLL_S):  # another run is going: wait while it is worth it
        guard.check(0, total)
    try:
        guard.check(0, total)
        progress = guard.progress_for(total)
        dataset = simulate(run_protocol, chunk_size=BATCH_SIZE * engine_threads(), progress=progress)
    finally:
        SIMULATION_LOCK.release()
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
    chosen_scale = scale or default_scale(values.condition)
    symptoms = figures.symptom_figure(dataset, chosen_scale, spans)
    views = {
        "plot-concentration": concentration,
        "plot-cascade": cascade,
        "plot-dmn": network,
        "plot-symptoms": symptoms,
        "plot-acute": acute,
    }
    axes = {name: figures.x_axes(figure) for name, figure in views.items()}
    panels = {
        "plot-concentration": figures.present(dataset, figures.CONCENTRATION),
        "plot-cascade": figures.present(dataset, figures.CASCADE),
        "plot-dmn": figures.present(dataset, figures.NETWORK),
        "plot-acute": figures.present(dataset, figures.ACUTE),
    }
    remembered = KeptRun(
        protocol=run_protocol,
        times_h=times,
        medians=medians,
        divisor=float(divisor),
        axes=axes,
        network=bool(figures.present(dataset, figures.NETWORK)),
        scales=dataset[figures.present(dataset, SCALES)],
        scenario=scenario_of(values, dataset, SCENARIO_OUTPUTS),
        panels=panels,
        figures={name: go.Figure(views[name]) for name in panels},
    )
    for name, panel_outputs in panels.items():
        add_overlays(views[name], panel_outputs, kept, float(divisor))
    add_overlays(symptoms, [chosen_scale], kept, float(divisor), whole_hours=True)
    return RunResult(
        protocol=run_protocol,
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
        divisor=float(divisor),
        axes=axes,
        marker_h=marker,
        state={"run": remember(remembered)},
    )


def remember(run: KeptRun) -> str:
    """Keep a run for its page (the last `KEPT_RUNS`, with rating scales and figures for the last `KEPT_VIEWS`); its
    key."""
    key = uuid.uuid4().hex
    with _RUNS_LOCK:
        _RUNS[key] = run
        while len(_RUNS) > KEPT_RUNS:
            _RUNS.popitem(last=False)
        for older in list(_RUNS.values())[:-KEPT_VIEWS]:
            older.scales = None
            older.figures = None
    return key


def kept_run(state: Any) -> KeptRun | None:
    """The kept run a page's state names, or None (no run yet, no longer kept, or a state the server did not
    make)."""
    key = state.get("run") if isinstance(state, dict) else None
    if not isinstance(key, str) or not _RUN_KEY.match(key):
        return None
    with _RUNS_LOCK:
        return _RUNS.get(key)


def symptoms_figure_of(run: KeptRun, scale: Any, kept: Sequence[Scenario] = ()) -> go.Figure | None:
    """The symptom figure of another scale for a kept run, with the ``kept`` scenarios drawn over it; None when
    its scales are no longer kept.

    Raises
    ------
    ProtocolError
        For a name that is not a rating scale.
    """
    chosen = choose(scale, SCALES, "rating scale", "scale")
    if run.scales is None:
        return None
    figure = figures.symptom_figure(run.scales, chosen, figures.session_spans(run.protocol))
    return add_overlays(figure, [chosen], kept, run.divisor, whole_hours=True)


def overlaid(run: KeptRun, kept: Sequence[Scenario], scale: Any) -> dict[str, go.Figure] | None:
    """The run's time plots with the ``kept`` scenarios drawn over them; None when its figures are no longer kept.

    Raises
    ------
    ProtocolError
        For a ``scale`` that is not a rating scale.
    """
    symptoms = symptoms_figure_of(run, scale, kept)
    if run.figures is None or symptoms is None:
        return None
    drawn = {
        name: add_overlays(go.Figure(figure), run.panels[name], kept, run.divisor)
        for name, figure in run.figures.items()
    }
    return {name: symptoms if name == "plot-symptoms" else drawn[name] for name in TIME_PLOTS}


def default_scale(condition: str) -> str:
    """The symptom plot's scale for a condition: its primary scale, MADRS for healthy volunteers."""
    from ketasim.web.form import PRIMARY_SCALE

    return PRIMARY_SCALE.get(condition) or "madrs"


def fc_figure_of(run: KeptRun, at_h: Any) -> go.Figure:
    """The FC figure of a kept run at ``at_h`` hours (no new simulation).

    Raises
    ------
    InputError
        At ``fc-time`` for a time that is not a number within the run.
    """
    end = run.times_h[-1]
    if isinstance(at_h, bool) or not isinstance(at_h, (int, float)) or not 0.0 <= float(at_h) <= end:
        raise InputError("fc-time", f"expected a time from 0 to {end:g} h, got {at_h!r}", "move the slider")
    return figures.fc_figure(run.protocol, run.times_h, run.medians, float(at_h))
