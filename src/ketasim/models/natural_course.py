"""The natural course of symptoms: what happens to a patient's symptoms over weeks without any treatment.

Depression waxes and wanes: without treatment some patients improve over weeks and months and some worsen
(untreated major depression remits in about a quarter of patients within three months, Whiteford 2013), and in
trials the scores of any arm regress towards the mean after selection at their worst. Each patient drifts
towards their own level n*, drawn once per patient,

    dn/dt = (n* − n) / τ,   n* = μ + σ · z,   z ~ N(0, 1),

and n is a relief of the symptom load (`ketasim.models.symptoms`: positive improves, negative worsens), the same
whatever the treatment. It carries the spread of outcomes that no treatment explains, and part of every arm's
improvement.

References
----------
Whiteford HA et al. (2013) Psychol Med 43:1569, doi:10.1017/S0033291712001717 (remission of untreated depression).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ketasim.models.math import Math, Value
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.registry import ParameterSet

USE = "natural_course"
"""The name of the patient's normal deviate that sets their untreated course (`Patients.normals`)."""


def natural_course_level(pset: ParameterSet, z: Any) -> Any:
    """The relief n* = μ + σ · z that the untreated course of patients with normal deviates ``z`` tends to."""
    return pset["natural_course_relief_mean"] + pset["natural_course_relief_sd"] * z


@dataclass(frozen=True)
class NaturalCourse(Stage):
    """Each patient's untreated drift of the symptom load."""

    name = "natural_course"

    def states(self) -> tuple[Quantity, ...]:
        return (Quantity("natural_course", "1", "relief of the symptom load by the untreated course so far"),)

    def registry_parameters(self) -> tuple[str, ...]:
        return ("natural_course_time_constant_h",)

    def derived_parameters(self) -> tuple[Quantity, ...]:
        return (Quantity("natural_course_level", "1", "the relief the patient's untreated course tends to"),)

    def individual(self, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
        return {"natural_course_level": natural_course_level(pset, patients.normals(USE)[:, 0])}

    def initial(self, m: Math, v: Values) -> dict[str, Value]:
        return {"natural_course": 0.0 * v["natural_course_level"]}

    def rates(self, m: Math, v: Values) -> dict[str, Value]:
        tau = v["natural_course_time_constant_h"]
        return {"natural_course": (v["natural_course_level"] - v["natural_course"]) / tau}

    def decay(self, m: Math, v: Values) -> dict[str, Value]:
        return {"natural_course": 1.0 / v["natural_course_time_constant_h"]}
