"""The explorer's tables: endpoints and arm comparisons (as in the trial report) and monitoring time per dose."""

from __future__ import annotations

from typing import Any

import numpy as np

from ketasim.analysis.summary import TrialAnalysis
from ketasim.protocol import Protocol, arm_events
from ketasim.protocol.fields import format_hours
from ketasim.report.trial_report import comparison_table, endpoint_table
from ketasim.simulation.monitoring import monitored_doses


def endpoints_html(analysis: TrialAnalysis, summary: dict[str, Any], dataset: Any) -> str:
    """The endpoint table and, with two arms, the comparison table, as HTML (the trial report's tables)."""
    if not summary["arms"] or not any(content["endpoints"] for content in summary["arms"].values()):
        return "<p>No endpoints for this condition (healthy volunteers have no symptom scale to improve).</p>"
    first = analysis.arms[0]
    kinds = {name: (str(v.endpoint.kind), v.endpoint.measured) for name, v in analysis.values[first].items()}
    parts = [endpoint_table(summary, dataset)]
    if summary["comparisons"]:
        parts += ["<h4>Difference between arms</h4>", comparison_table(summary, kinds, dataset)]
    return "\n".join(parts)


def monitoring_rows(protocol: Protocol, dataset: Any) -> list[dict[str, str]] | None:
    """One row per arm and ketamine dose: when it is given and the hours until discharge criteria are met.

    Reads the dataset's ``monitoring_time`` (arm, patient, dose: one column per ketamine-product dose, in time
    order); None when the dataset has no monitoring times.
    """
    if "monitoring_time" not in dataset.data_vars:
        return None
    hours = dataset["monitoring_time"]
    rows = []
    for k, arm in enumerate(dataset["arm"].values):
        doses = monitored_doses(arm_events(protocol, k).doses, protocol.catalogue)
        values = hours.sel(arm=arm).transpose("patient", ...).values
        for j, dose in enumerate(doses):
            column = values[:, j]
            met = column[np.isfinite(column)]
            rows.append(
                {
                    "arm": str(arm),
                    "dose": f"{j + 1} ({format_hours(dose.time_h)})",
                    "median": f"{np.median(met):.1f} h" if met.size else "n/a",
                    "p90": f"{np.percentile(met, 90):.1f} h" if met.size else "n/a",
                    "not_met": f"{column.size - met.size} of {column.size}",
                }
            )
    return rows
