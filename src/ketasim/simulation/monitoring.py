"""Monitoring time after each dose of a monitored drug: hours until the discharge rule of `ketasim.models.acute`
holds.

Dissociation and blood pressure depend on the effect-site concentrations only, which the linear engine gives
exactly at any time, so they are sampled every `SAMPLE_H` for `WINDOW_H` after each dose without stepping the
nonlinear model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.run import LinearProblem, NoNonlinearPart, run
from ketasim.engine.schedule import build_schedule
from ketasim.models.acute import Acute, DischargeRule, monitoring_time_h
from ketasim.models.math import HOST
from ketasim.models.pk import effect_site_readout
from ketasim.parameters.catalogue import Catalogue
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol import Dose
from ketasim.simulation.plan import ArmPlan, drug_inputs

SAMPLE_H = 5.0 / 60.0
WINDOW_H = 6.0
EXACT_ONLY = StepPolicy(
    fine_h=24.0, fine_window_h=0.0, medium_h=24.0, medium_window_h=0.0, coarse_h=24.0, onset_window_h=0.0
)


def monitored_doses(doses: Sequence[Dose], catalogue: Catalogue) -> list[Dose]:
    """The doses that need monitoring: every dose of a drug the catalogue marks as monitored."""
    return [d for d in doses if d.drug in catalogue.drugs and catalogue.drugs[d.drug].monitored]


def monitoring_times(
    problem: LinearProblem, plan: ArmPlan, psets: Sequence[ParameterSet], duration_h: float
) -> list[np.ndarray]:
    """(patients, monitored doses) hours from each monitored dose until discharge, for each of ``psets``; NaN if not
    met in the window.

    ``problem`` holds the patients of every set, set after set (`ketasim.simulation.run.join_problems`): the
    effect sites of all of them come from one engine call.
    """
    doses = plan.events.doses
    watched = monitored_doses(doses, plan.catalogue)
    patients = problem.readout.shape[0] // len(psets)
    if not watched:
        return [np.zeros((patients, 0)) for _ in psets]
    samples = np.unique(
        np.concatenate([np.arange(d.time_h, min(d.time_h + WINDOW_H, duration_h) + 1e-9, SAMPLE_H) for d in watched])
    )
    edges = np.array([t for d in doses for t in (d.time_h, d.time_h + d.infusion_h)])
    grid = build_grid(duration_h, samples, edges, np.array([]), EXACT_ONLY)
    acute = Acute.of(plan.catalogue)
    names = tuple(effect_site_readout(s) for s in acute.species)
    schedule = build_schedule(drug_inputs(doses, plan.kinds), len(plan.kinds), grid)
    readouts = run(problem, schedule, grid, NoNonlinearPart(problem.readout.shape[0]), names)
    times = []
    for k, pset in enumerate(psets):
        parameters = {name: pset[name] for name in acute.registry_parameters()}
        own = {name: values[k * patients : (k + 1) * patients] for name, values in readouts.items()}
        effects = acute.values(HOST, {**parameters, **own})
        times.append(
            monitoring_time_h(
                samples,
                np.asarray(effects["dissociation"]),
                np.asarray(effects["systolic_bp_change"]),
                [d.time_h for d in watched],
                DischargeRule.from_parameter_set(pset),
            )
        )
    return times
