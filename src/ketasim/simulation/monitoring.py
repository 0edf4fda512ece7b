"""Monitoring time after each ketamine dose: hours until the discharge rule of `ketasim.models.acute` holds.

Dissociation and blood pressure depend on the effect-site concentrations only, which the linear
engine gives exactly at any time, so they are sampled every `SAMPLE_H` for `WINDOW_H` after each dose
without stepping the nonlinear model.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.run import LinearProblem, NoNonlinearPart, run
from ketasim.engine.schedule import build_schedule
from ketasim.models import acute
from ketasim.models.brain import SPECIES, acute_effects
from ketasim.models.pk import KETAMINE_PRODUCTS, DoseKind
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol import Dose
from ketasim.simulation.plan import drug_inputs

SAMPLE_H = 5.0 / 60.0
WINDOW_H = 6.0
EXACT_ONLY = StepPolicy(
    fine_h=24.0, fine_window_h=0.0, medium_h=24.0, medium_window_h=0.0, coarse_h=24.0, onset_window_h=0.0
)


def monitored_doses(doses: Sequence[Dose]) -> list[Dose]:
    """The doses that need monitoring: every dose of a ketamine product."""
    return [d for d in doses if d.drug in KETAMINE_PRODUCTS]


def monitoring_times(
    problem: LinearProblem, doses: Sequence[Dose], kinds: list[DoseKind], duration_h: float, pset: ParameterSet
) -> np.ndarray:
    """(patients, monitored doses) hours from each ketamine dose until discharge; NaN if not met in the window."""
    watched = monitored_doses(doses)
    patients = problem.readout.shape[0]
    if not watched:
        return np.zeros((patients, 0))
    samples = np.unique(
        np.concatenate([np.arange(d.time_h, min(d.time_h + WINDOW_H, duration_h) + 1e-9, SAMPLE_H) for d in watched])
    )
    edges = np.array([t for d in doses for t in (d.time_h, d.time_h + d.infusion_h)])
    grid = build_grid(duration_h, samples, edges, np.array([]), EXACT_ONLY)
    names = tuple(f"ce_{s}_um" for s in SPECIES)
    readouts = run(
        problem,
        build_schedule(drug_inputs(doses, kinds), len(kinds), grid),
        grid,
        NoNonlinearPart(patients),
        names,
    )
    parameters = acute.AcuteParameters.from_parameter_set(pset)
    dissociation, sbp = acute_effects({k: jnp.asarray(v) for k, v in readouts.items()}, pset, parameters)
    return acute.monitoring_time_h(
        samples, np.asarray(dissociation), np.asarray(sbp), [d.time_h for d in watched], parameters
    )
