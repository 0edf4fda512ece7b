"""The chain from dose to rating scales, as boxes that show what the current run reached at each step.

Every value is read from the run's kept scenario (`ketasim.web.scenarios.Scenario`): the median patient of the
first arm, its highest value over the course (the lowest for network coupling and the rating scale, which ketamine
lowers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketasim.web.form import PRIMARY_SCALE, split_times
from ketasim.web.scenarios import QUANTILES, Scenario


@dataclass(frozen=True)
class Step:
    """One box of the chain: its heading, the output it reads (None: the dose), and whether a drop is its effect."""

    heading: str
    output: str | None
    lowest: bool = False


SCALE_STEP = "primary scale"
STEPS = (
    Step("Dose", None),
    Step("PK: drug in the blood", "plasma_ketamine"),
    Step("NMDA receptors blocked", "nmda_occupancy"),
    Step("Glutamate surge", "glutamate_change"),
    Step("BDNF / mTOR signal", "bdnf_change"),
    Step("Synapses (spines)", "spine_density_change"),
    Step("DMN coupling", "dmn_connectivity", lowest=True),
    Step("Symptoms on the scale", SCALE_STEP),
)
"""The steps in order; the symptom step reads the condition's primary scale (MADRS for healthy volunteers): its
median at the start and its lowest."""


def _scale(scenario: Scenario) -> str:
    return PRIMARY_SCALE.get(scenario.values.condition) or "madrs"


def _number(value: float, unit: str) -> str:
    if unit == "1":
        return f"{100 * value:.0f} %"
    if unit == "%":
        return f"{value:+.3g} %"
    return f"{value:.3g} {unit}"


def step_values(scenario: Scenario | None) -> list[tuple[str, str]]:
    """(heading, what the run reached) for each step; the second is '' before a run or for an output not simulated."""
    if scenario is None:
        return [(step.heading, "") for step in STEPS]
    shown = []
    for step in STEPS:
        output = _scale(scenario) if step.output == SCALE_STEP else step.output
        if output is None:
            values = scenario.values
            count = len(split_times(values.schedule))
            shown.append((step.heading, f"{values.dose} {values.drug} {values.route}, {count} dose(s)"))
            continue
        arms = scenario.curves.get(output)
        if not arms:
            shown.append((step.heading, ""))
            continue
        median = next(iter(arms.values()))[QUANTILES.index("median")]
        unit = scenario.units[output]
        if step.output == SCALE_STEP:
            text = f"{output.upper()} {median[0]:.3g} → lowest {np.nanmin(median):.3g} {unit}"
        elif step.lowest:
            text = f"lowest {_number(float(np.nanmin(median)), unit)}"
        else:
            text = f"peak {_number(float(np.nanmax(median)), unit)}"
        shown.append((step.heading, text))
    return shown
