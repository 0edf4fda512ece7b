"""The assembled PK model of every ketamine route: mass balance and agreement with an independent scipy solve."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import block_diag

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.reference import reference_amounts
from ketasim.engine.run import LinearProblem, NoNonlinearPart, run
from ketasim.engine.schedule import build_schedule
from ketasim.models.pk import build_pk
from ketasim.models.system import assemble
from ketasim.parameters import get_parameter_set
from ketasim.population import make_patients
from ketasim.protocol import arm_events, load_protocol
from ketasim.simulation.plan import dose_kind, drug_inputs

ROUTES = ["iv", "im", "sc", "intranasal", "oral", "sublingual"]


def protocol_for(drug: str, route: str) -> dict:
    dose = {"drug": drug, "route": route, "dose": "0.3 mg/kg", "at": ["0 h", "30 h"]}
    if route == "iv":
        dose["infusion"] = "40 min"
    return {
        "ketasim": 1,
        "name": f"{drug} {route}",
        "duration": "3 d",
        "population": {"size": 3, "condition": "trd"},
        "arms": [{"name": "a", "treatments": [dose]}],
        "observe": {"every": "20 min"},
    }


def assembled(drug: str, route: str):
    protocol = load_protocol(protocol_for(drug, route))
    events = arm_events(protocol, 0)
    pset = get_parameter_set("default")
    patients = make_patients(protocol.population, 0, 0, 3, protocol.seed)
    pk = build_pk(pset, patients, {drug: {route}})
    kinds = [dose_kind(events.doses[0])]
    problem = assemble(pk, kinds, 3)
    edges = np.array([t for d in events.doses for t in (d.time_h, d.time_h + d.infusion_h)])
    grid = build_grid(protocol.duration_h, np.arange(0, 72.01, 1 / 3), edges, np.array([]), StepPolicy())
    schedule = build_schedule(drug_inputs(events.doses, kinds), len(kinds), grid)
    return pk, problem, grid, schedule, patients


def amounts_problem(pk, problem: LinearProblem) -> LinearProblem:
    """The same problem read out as every compartment's amount (µmol)."""
    states = problem.kind_vectors.shape[-1]
    names = tuple(f"{i}:{n}" for i, b in enumerate(pk.blocks) for n in b.names)
    identity = np.broadcast_to(np.eye(states), (problem.readout.shape[0], states, states))
    return LinearProblem(problem.system, problem.kind_vectors, names, identity)


@pytest.mark.parametrize("drug,route", [("ketamine", r) for r in ROUTES] + [("esketamine", "intranasal")])
def test_mass_balance(drug: str, route: str) -> None:
    """Every µmol given is in a compartment, eliminated or lost by first pass: dose = body + eliminated."""
    pk, problem, grid, schedule, patients = assembled(drug, route)
    amounts = amounts_problem(pk, problem)
    out = run(amounts, schedule, grid, NoNonlinearPart(3))
    mass = [name for name in amounts.readout_names if "effect" not in name]  # effect sites hold no mass
    total = sum(out[name] for name in mass)
    per_dose_umol = 0.3 * patients.weight_kg * 1000.0 / get_parameter_set("default")["ketamine_molar_mass_g_per_mol"]
    times = grid.times_h[grid.observation_index]
    given_fraction = np.zeros_like(times)
    for start in (0.0, 30.0):
        infusion_h = 40 / 60 if route == "iv" else 0.0
        given_fraction += np.clip((times - start) / infusion_h, 0, 1) if infusion_h else (times >= start)
    np.testing.assert_allclose(total[:, 1:], per_dose_umol[:, None] * given_fraction[None, 1:], rtol=1e-9)


@pytest.mark.parametrize("route", ["iv", "oral", "intranasal"])
def test_agrees_with_independent_scipy_solve(route: str) -> None:
    """DOP853 at tight tolerance on the same matrices and inputs agrees to 1e-6 relative."""
    pk, problem, grid, schedule, _ = assembled("ketamine", route)
    amounts = amounts_problem(pk, problem)
    out = run(amounts, schedule, grid, NoNonlinearPart(3))
    for p in range(3):
        matrix = block_diag(*[b.matrix()[p] for b in pk.blocks])
        reference = reference_amounts(matrix, problem.kind_vectors[:, p], schedule, grid)
        simulated = np.stack([out[name][p] for name in amounts.readout_names], axis=1)
        scale = np.abs(reference).max(axis=0) + 1e-30
        np.testing.assert_allclose(simulated / scale, reference / scale, atol=1e-6)
