"""The assembled PK model of every ketamine route: mass balance, agreement with a scipy solve of the same system, and
areas under the curve against the closed form dose / clearance, which shares no code with the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.linalg import block_diag

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.reference import reference_amounts
from ketasim.engine.run import LinearProblem, NoNonlinearPart, run
from ketasim.engine.schedule import build_schedule
from ketasim.errors import ParameterError
from ketasim.models.compartments import Block
from ketasim.models.pk import pk_blocks, readout_names
from ketasim.models.system import assemble
from ketasim.parameters import get_parameter_set
from ketasim.parameters.catalogue import default_catalogue
from ketasim.population import make_patients
from ketasim.protocol import arm_events, load_protocol
from ketasim.simulation.plan import dose_kind, drug_inputs
from ketasim.simulation.run import pk_values

ROUTES = ["iv", "im", "sc", "intranasal", "oral", "sublingual"]
PSET = get_parameter_set("default")
CATALOGUE = default_catalogue()


def protocol_for(drug: str, route: str, at: tuple[str, ...] = ("0 h", "30 h"), **population: Any) -> dict:
    dose = {"drug": drug, "route": route, "dose": "0.3 mg/kg", "at": list(at)}
    if route == "iv":
        dose["infusion"] = "40 min"
    return {
        "ketasim": 1,
        "name": f"{drug} {route}",
        "duration": "3 d",
        "population": {"size": 3, "condition": "trd", **population},
        "arms": [{"name": "a", "treatments": [dose]}],
        "observe": {"every": "20 min"},
    }


def assembled(data: dict, every_h: float = 1 / 3) -> tuple[list[Block], LinearProblem, Any, Any, Any]:
    """The blocks, linear problem, grid, schedule and patients of the protocol's one drug and route."""
    protocol = load_protocol(data)
    events = arm_events(protocol, 0)
    dose = events.doses[0]
    n = protocol.population.size
    patients = make_patients(protocol.population, 0, 0, n, protocol.seed)
    blocks = pk_blocks(CATALOGUE, {dose.drug: {dose.route}}, pk_values(PSET, patients), np.ones(n))
    kinds = [dose_kind(dose)]
    problem = assemble(blocks, kinds, readout_names(CATALOGUE), n)
    edges = np.array([t for d in events.doses for t in (d.time_h, d.time_h + d.infusion_h)])
    observed = np.arange(0, protocol.duration_h + 1e-9, every_h)
    grid = build_grid(protocol.duration_h, observed, edges, np.array([]), StepPolicy())
    schedule = build_schedule(drug_inputs(events.doses, kinds), len(kinds), grid)
    return blocks, problem, grid, schedule, patients


def amounts_problem(blocks: list[Block], problem: LinearProblem) -> LinearProblem:
    """The same problem read out as every compartment's amount (µmol)."""
    states = problem.kind_vectors.shape[-1]
    names = tuple(f"{i}:{n}" for i, b in enumerate(blocks) for n in b.state_names)
    identity = np.broadcast_to(np.eye(states), (problem.readout.shape[0], states, states))
    return LinearProblem(problem.system, problem.kind_vectors, names, identity)


@pytest.mark.parametrize("drug,route", [("ketamine", r) for r in ROUTES] + [("esketamine", "intranasal")])
def test_mass_balance(drug: str, route: str) -> None:
    """Every µmol given is in a compartment, eliminated or lost by first pass: dose = body + eliminated."""
    blocks, problem, grid, schedule, patients = assembled(protocol_for(drug, route))
    amounts = amounts_problem(blocks, problem)
    out = run(amounts, schedule, grid, NoNonlinearPart(3))
    mass = [name for name in amounts.readout_names if "effect" not in name]  # effect sites hold no mass
    total = sum(out[name] for name in mass)
    per_dose_umol = 0.3 * patients.weight_kg * 1000.0 / PSET["ketamine_molar_mass_g_per_mol"]
    times = grid.times_h[grid.observation_index]
    given_fraction = np.zeros_like(times)
    for start in (0.0, 30.0):
        infusion_h = 40 / 60 if route == "iv" else 0.0
        given_fraction += np.clip((times - start) / infusion_h, 0, 1) if infusion_h else (times >= start)
    np.testing.assert_allclose(total[:, 1:], per_dose_umol[:, None] * given_fraction[None, 1:], rtol=1e-9)


@pytest.mark.parametrize("route", ["iv", "oral", "intranasal"])
def test_agrees_with_a_scipy_solve_of_the_same_system(route: str) -> None:
    """DOP853 at tight tolerance on the same matrices and inputs agrees to 1e-6 relative (checks the exact
    propagation; the matrices themselves are checked against closed forms below)."""
    blocks, problem, grid, schedule, _ = assembled(protocol_for("ketamine", route))
    amounts = amounts_problem(blocks, problem)
    out = run(amounts, schedule, grid, NoNonlinearPart(3))
    for p in range(3):
        matrix = block_diag(*[b.matrix(3)[p] for b in blocks])
        reference = reference_amounts(matrix, problem.kind_vectors[:, p], schedule, grid)
        simulated = np.stack([out[name][p] for name in amounts.readout_names], axis=1)
        scale = np.abs(reference).max(axis=0) + 1e-30
        np.testing.assert_allclose(simulated / scale, reference / scale, atol=1e-6)


def area(times: np.ndarray, concentration: np.ndarray) -> float:
    """Area under a curve to infinity: trapezoids, then the log-linear tail from the last two hours."""
    trapezoids = float(np.sum(np.diff(times) * (concentration[1:] + concentration[:-1]) / 2))
    last = times >= times[-1] - 2.0
    slope = -np.polyfit(times[last], np.log(concentration[last]), 1)[0]
    return trapezoids + float(concentration[-1]) / slope


@pytest.mark.parametrize(
    ("drug", "components"),
    [
        # (dose fraction, parent clearance, fraction metabolised to norketamine, norketamine clearance)
        ("esketamine", [(1.0, "esketamine_clearance_l_per_h", "esketamine_fraction_to_norketamine",
                         "noresketamine_clearance_l_per_h")]),
        ("ketamine", [(0.5, "ketamine_s_clearance_l_per_h", "ketamine_s_fraction_to_norketamine",
                       "norketamine_s_clearance_l_per_h"),
                      (0.5, "ketamine_r_clearance_l_per_h", "ketamine_r_fraction_to_norketamine",
                       "norketamine_r_clearance_l_per_h")]),
    ],
)  # fmt: skip
def test_iv_area_under_the_curve_is_dose_over_clearance(drug: str, components: list[tuple]) -> None:
    """After an IV dose, AUC∞ of each enantiomer is its dose over its clearance, and that of its norketamine is the
    metabolised share of the dose over the norketamine clearance, whatever the volumes and distribution. A man of
    the reference weight with normal CYP2B6 has the typical clearances."""
    data = protocol_for(drug, "iv", at=("0 h",), variability=False)
    data["duration"] = "4 d"
    data["population"]["covariates"] = {"weight": f"{PSET['reference_weight_kg']} kg", "female": 0, "cyp2b6_slow": 0}
    _, problem, grid, schedule, patients = assembled(data, every_h=1 / 12)
    out = run(problem, schedule, grid, NoNonlinearPart(3))
    times = grid.times_h[grid.observation_index]
    dose_mg = 0.3 * PSET["reference_weight_kg"]
    ketamine_mass, norketamine_mass = PSET["ketamine_molar_mass_g_per_mol"], PSET["norketamine_molar_mass_g_per_mol"]
    parent = sum(1000.0 * share * dose_mg / PSET[clearance] for share, clearance, _, _ in components)
    metabolite = sum(
        1000.0 * share * dose_mg / ketamine_mass * PSET[formed] * norketamine_mass / PSET[cleared]
        for share, _, formed, cleared in components
    )
    assert area(times, out["plasma_ketamine"][0]) == pytest.approx(parent, rel=2e-3)  # ng·h/mL
    assert area(times, out["plasma_norketamine"][0]) == pytest.approx(metabolite, rel=2e-3)


def _oral_ketamine_values(parent: float, formed: float) -> dict[str, Any]:
    """The pharmacokinetic values of three patients given oral ketamine, with these shares of the dose."""
    protocol = load_protocol(protocol_for("ketamine", "oral"))
    values = pk_values(PSET, make_patients(protocol.population, 0, 0, 3, protocol.seed))
    return values | {"ketamine_oral_bioavailability": parent, "ketamine_oral_first_pass_to_norketamine": formed}


def test_a_route_whose_parent_and_first_pass_exceed_the_dose_is_refused() -> None:
    """The absorbed parent and the first-pass metabolite are shares of one dose: together at most all of it."""
    with pytest.raises(ParameterError, match="fractions adding to 1 or less"):
        pk_blocks(CATALOGUE, {"ketamine": {"oral"}}, _oral_ketamine_values(0.6, 0.5), np.ones(3))


@pytest.mark.parametrize(("parent", "formed"), [(0.5, 0.5), (0.2, 0.0)])
def test_a_route_whose_shares_fit_the_dose_is_accepted(parent: float, formed: float) -> None:
    blocks = pk_blocks(CATALOGUE, {"ketamine": {"oral"}}, _oral_ketamine_values(parent, formed), np.ones(3))
    assert blocks
