"""A trial's ``summary.json`` (``spec/cli.md``) as rows of text: the endpoint and comparison tables of the report
page, the explorer and the terminal, written once.

Rates are shown in percent and their differences in percentage points (``pp``); times to an event in days; see
`ketasim.report.numbers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketasim.analysis.endpoints import TIME_KINDS
from ketasim.report.numbers import difference_shown, endpoint_shown

ENDPOINT_HEADER = ("arm", "endpoint", "kind", "value", "95 % interval", "patients")
COMPARISON_HEADER = ("endpoint", "arms", "difference", "95 % interval", "Hedges g")
PREDICTIVE = "95 % predictive"
"""The column of ``pi95`` (parameters and patients), right after the sampling interval, in a summary that has it."""
Kinds = Mapping[str, tuple[str, str]]
"""Endpoint name -> (kind, measured scale or output)."""


def summary_kinds(summary: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Kind and measured scale or output of every endpoint of a summary."""
    kinds: dict[str, tuple[str, str]] = {}
    for content in summary["arms"].values():
        for name, entry in content["endpoints"].items():
            kinds.setdefault(name, (entry["kind"], entry.get("scale") or entry.get("output") or ""))
    return kinds


def predictive(summary: Mapping[str, Any]) -> bool:
    """Whether the summary carries predictive intervals (``pi95``, a run with ``--uncertainty``)."""
    return "uncertainty" in summary


def endpoint_header(summary: Mapping[str, Any]) -> tuple[str, ...]:
    """`ENDPOINT_HEADER`, with the `PREDICTIVE` column when the summary has predictive intervals."""
    return _with_predictive(ENDPOINT_HEADER, summary)


def comparison_header(summary: Mapping[str, Any]) -> tuple[str, ...]:
    """`COMPARISON_HEADER`, with the `PREDICTIVE` column when the summary has predictive intervals."""
    return _with_predictive(COMPARISON_HEADER, summary)


def _with_predictive(header: tuple[str, ...], summary: Mapping[str, Any]) -> tuple[str, ...]:
    if not predictive(summary):
        return header
    at = header.index("95 % interval") + 1
    return (*header[:at], PREDICTIVE, *header[at:])


def endpoint_rows(summary: Mapping[str, Any], units: Mapping[str, str] | None = None) -> list[list[str]]:
    """One row per arm and endpoint: `endpoint_header`.

    Parameters
    ----------
    summary
        A trial summary.
    units
        Unit of an output as simulated (``value`` endpoints), where it differs from the output vocabulary.
    """
    rows = []
    for arm, content in summary["arms"].items():
        for name, entry in content["endpoints"].items():
            kind = entry["kind"]
            measured = entry.get("scale") or entry.get("output") or ""
            shown = endpoint_shown(kind, measured, (units or {}).get(measured))
            open_end = "not reached" if kind in TIME_KINDS else "n/a"
            intervals = [shown.interval(entry[key], open_end=open_end) for key in _interval_keys(summary)]
            if kind in TIME_KINDS:
                value = shown.value(entry["value_days"]) if entry["value_days"] is not None else "not reached"
                count = f"{entry['n_at_risk']} ({entry['events']} events)"
            else:
                value, count = shown.value(entry["value"]), str(entry["n"])
            rows.append([arm, name, f"{kind} ({measured})", value, *intervals, count])
    return rows


def _interval_keys(summary: Mapping[str, Any]) -> tuple[str, ...]:
    return ("ci95", "pi95") if predictive(summary) else ("ci95",)


def comparison_rows(
    summary: Mapping[str, Any], kinds: Kinds, units: Mapping[str, str] | None = None
) -> list[list[str]]:
    """One row per comparison of two arms: `comparison_header`; rate differences in percentage points."""
    rows = []
    for comparison in summary["comparisons"]:
        kind, measured = kinds[comparison["endpoint"]]
        shown = difference_shown(kind, measured, (units or {}).get(measured))
        g = comparison["effect_size_g"]
        rows.append(
            [
                comparison["endpoint"],
                f"{comparison['arms'][0]} - {comparison['arms'][1]}",
                shown.value(comparison["difference"]),
                *(shown.interval(comparison[key]) for key in _interval_keys(summary)),
                "n/a" if g is None else f"{g:.2f}",
            ]
        )
    return rows
