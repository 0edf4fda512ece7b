"""Scenarios the explorer compares: a run's validated form and its plotted curves, kept under a random key.

A page keeps up to `MAX_KEPT` earlier runs ("Keep this run"); each is drawn over the current run's plots as a
dashed median line per arm (`add_overlays`) and written into the data download (`curves_csv`). The server holds
the scenarios (at most `MAX_STORED` over all pages, the least recently used dropped first); a page holds only
their keys, so a browser never sends curves, a protocol or a path.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from ketasim.analysis.courses import band_over_patients
from ketasim.web.form import FormValues, protocol_name

MAX_KEPT = 3
"""Earlier runs one page may keep: with the current run, four scenarios on each plot."""
MAX_STORED = 128
"""Kept scenarios the server holds over all pages."""
QUANTILES = ("p05", "p25", "median", "p75", "p95")
"""The columns of a curve: percentiles of patients at each time (as the plots' bands and line)."""
OVERLAY_COLOURS = ("#6a1b9a", "#ef6c00", "#00838f")
OVERLAY_DASHES = ("dash", "dot", "dashdot")
LETTERS = "ABC"
_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Scenario:
    """One run as the page compares it: its form, and per output and arm the percentiles over time.

    ``curves[output][arm]`` has shape (5, times): the rows of `QUANTILES`.
    """

    values: FormValues
    times_h: np.ndarray
    curves: dict[str, dict[str, np.ndarray]]
    units: dict[str, str]

    @property
    def label(self) -> str:
        """A short name: drug, dose, route, number of doses, therapy, comparator."""
        return protocol_name(self.values)


def scenario_of(values: FormValues, dataset: Any, outputs: Sequence[str]) -> Scenario:
    """The scenario of a run: the percentiles of ``outputs`` (those the dataset holds) per arm over time."""
    curves: dict[str, dict[str, np.ndarray]] = {}
    units: dict[str, str] = {}
    for name in outputs:
        if name not in dataset.data_vars:
            continue
        units[name] = str(dataset[name].attrs.get("units", ""))
        curves[name] = {}
        for arm in dataset["arm"].values:
            courses = dataset[name].sel(arm=arm).transpose("patient", "time").values
            outer, inner = band_over_patients(courses, 5.0, 95.0), band_over_patients(courses, 25.0, 75.0)
            rows = [outer.low, inner.low, outer.median, inner.high, outer.high]
            curves[name][str(arm)] = np.stack([outer.median if r is None else r for r in rows])
    return Scenario(values, np.asarray(dataset["time"].values, dtype=float), curves, units)


_STORED: OrderedDict[str, Scenario] = OrderedDict()
_STORED_LOCK = threading.Lock()


def store(scenario: Scenario) -> str:
    """Keep a scenario for the pages that keep it; its new random key."""
    key = uuid.uuid4().hex
    with _STORED_LOCK:
        _STORED[key] = scenario
        while len(_STORED) > MAX_STORED:
            _STORED.popitem(last=False)
    return key


def stored(key: Any) -> Scenario | None:
    """The scenario under ``key``, or None (not a key the server made, or no longer kept)."""
    if not isinstance(key, str) or not _KEY.match(key):
        return None
    with _STORED_LOCK:
        found = _STORED.get(key)
        if found is not None:
            _STORED.move_to_end(key)
        return found


def kept_keys(raw: Any) -> list[str]:
    """The keys of a page's kept list that name stored scenarios, in order, at most `MAX_KEPT`."""
    if not isinstance(raw, list):
        return []
    return [key for key in raw[:MAX_KEPT] if stored(key) is not None]


def kept_scenarios(raw: Any) -> list[Scenario]:
    """The stored scenarios of a page's kept list (`kept_keys`)."""
    return [found for found in (stored(key) for key in kept_keys(raw)) if found is not None]


def overlay_name(index: int, scenario: Scenario, arm: str) -> str:
    """The legend entry of a kept scenario's arm, e.g. ``kept A: ketamine 0.5 mg/kg iv, 6 doses · treatment``."""
    return f"kept {LETTERS[index]}: {scenario.label} · {arm}"


def add_overlays(
    figure: go.Figure,
    panels: Sequence[str],
    scenarios: Sequence[Scenario],
    divisor: float,
    whole_hours: bool = False,
) -> go.Figure:
    """Draw each kept scenario's median per arm on the panels of a stacked figure (one output per panel).

    Parameters
    ----------
    figure
        The current run's figure, panels stacked top to bottom in the order of ``panels``.
    panels
        The output of each panel.
    scenarios
        The kept scenarios, at most `MAX_KEPT`.
    divisor
        Hours per unit of the figure's time axis.
    whole_hours
        Only the whole hours of each scenario (as the symptom plot shows scores).
    """
    for index, scenario in enumerate(scenarios[:MAX_KEPT]):
        times = scenario.times_h
        chosen = np.isclose(times, np.round(times), atol=1e-6) if whole_hours else np.ones(times.size, dtype=bool)
        for row, output in enumerate(panels, start=1):
            suffix = "" if row == 1 else str(row)
            for arm, curve in scenario.curves.get(output, {}).items():
                name = overlay_name(index, scenario, arm)
                figure.add_trace(
                    go.Scatter(
                        x=times[chosen] / divisor,
                        y=curve[QUANTILES.index("median")][chosen],
                        name=name,
                        legendgroup=name,
                        showlegend=row == 1,
                        mode="lines",
                        line={"color": OVERLAY_COLOURS[index], "dash": OVERLAY_DASHES[index], "width": 1.8},
                        meta={"kept": LETTERS[index]},
                        xaxis=f"x{suffix}",
                        yaxis=f"y{suffix}",
                    )
                )
    return figure


def curves_csv(scenarios: Sequence[tuple[str, Scenario]]) -> str:
    """The curves of named scenarios as CSV text: one row per scenario, arm, output and time.

    Columns: ``scenario, arm, output, unit, time_h`` and the percentiles of `QUANTILES`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scenario", "arm", "output", "unit", "time_h", *QUANTILES])
    for label, scenario in scenarios:
        for output, arms in scenario.curves.items():
            for arm, curve in arms.items():
                for k, time in enumerate(scenario.times_h):
                    writer.writerow(
                        [label, arm, output, scenario.units[output], f"{time:.6g}", *(f"{v:.6g}" for v in curve[:, k])]
                    )
    return buffer.getvalue()
