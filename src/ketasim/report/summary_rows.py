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
Kinds = Mapping[str, tuple[str, str]]
"""Endpoint name -> (kind, measured scale or output)."""


def summary_kinds(summary: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Kind and measured scale or output of every endpoint of a summary."""
    kinds: dict[str, tuple[str, str]] = {}
    for content in summary["arms"].values():
        for name, entry in content["endpoints"].items():
            kinds.setdefault(name, (entry["kind"], entry.get("scale") or entry.get("output") or ""))
    return kinds


def endpoint_rows(summary: Mapping[str, Any], units: Mapping[str, str] | None = None) -> list[list[str]]:
    """One row per arm and endpoint: `ENDPOINT_HEADER`.

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
            if kind in TIME_KINDS:
                value = shown.value(entry["value_days"]) if entry["value_days"] is not None else "not reached"
                interval = shown.interval(entry["ci95"], open_end="not reached")
                count = f"{entry['n_at_risk']} ({entry['events']} events)"
            else:
                value, interval, count = shown.value(entry["value"]), shown.interval(entry["ci95"]), str(entry["n"])
            rows.append([arm, name, f"{kind} ({measured})", value, interval, count])
    return rows


def comparison_rows(
    summary: Mapping[str, Any], kinds: Kinds, units: Mapping[str, str] | None = None
) -> list[list[str]]:
    """One row per comparison of two arms: `COMPARISON_HEADER`; rate differences in percentage points."""
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
                shown.interval(comparison["ci95"]),
                "n/a" if g is None else f"{g:.2f}",
            ]
        )
    return rows
