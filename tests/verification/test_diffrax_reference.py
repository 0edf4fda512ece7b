"""The engine against an independent solver of the same equations: diffrax's implicit Kvaerno5 at tight tolerance,
each patient with its own adaptive steps (`ketasim.engine.reference.diffrax_solver`).

Three weeks of the KAP example's ketamine arm (six intramuscular doses, an integration session the day after each)
for a few varied patients: every output of the engine with its default steps is within 1e-3 of the output's range
of the reference. benchmarks/diffrax_anchor.py times both solvers over 12 weeks.
"""

from __future__ import annotations

from pathlib import Path

import diffrax
import numpy as np

from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.engine.reference import diffrax_solver
from ketasim.engine.run import run
from ketasim.models.model import build_model
from ketasim.population import make_patients
from ketasim.protocol import build_protocol, read_mapping
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import linear_problem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kap-clinic-course.yaml"
PATIENTS = 3


@configured
def test_every_output_within_1e_3_of_its_range_of_a_tight_tolerance_diffrax_solution() -> None:
    mapping = read_mapping(EXAMPLE)
    mapping.update(duration="3 w", observe={"every": "12 h"})
    mapping["population"] = {**mapping["population"], "variability": True}
    mapping["arms"] = mapping["arms"][:1]
    mapping.pop("endpoints", None)
    protocol = build_protocol(mapping)
    plan = plan_arm(protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, plan.index, 0, PATIENTS, protocol.seed)
    pset = resolve_parameter_set(protocol.population, protocol.catalogue)
    problem = linear_problem(plan, pset, cohort)
    model = build_model(plan.composition, pset, cohort)
    outputs = (*problem.readout_names, *model.output_names)

    engine = run(problem, plan.schedule, plan.grid, model, outputs, plan.derivative_dtype)
    solve = diffrax_solver(problem, plan.schedule, plan.grid, model, outputs, diffrax.Kvaerno5())
    reference = {name: np.asarray(values) for name, values in solve(1e-9, 1e-9).items()}

    errors = {
        name: float(np.max(np.abs(engine[name] - ref)) / np.ptp(ref))
        for name, ref in reference.items()
        if np.ptp(ref) > 0
    }
    assert len(errors) >= 20, sorted(errors)
    worst = max(errors, key=errors.__getitem__)
    assert errors[worst] < 1e-3, (worst, errors[worst])
