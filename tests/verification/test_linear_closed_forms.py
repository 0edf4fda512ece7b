"""The exact linear engine against closed-form mammillary solutions, mass balance, edges and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.linear import diagonalise
from ketasim.engine.run import LinearProblem, NoNonlinearPart, Schedule, run
from ketasim.models.compartments import Block

RTOL = 1e-9
DOSE = 35.0  # µmol
INFUSION_H = 2.0 / 3.0


def mammillary(v1: float, k10: float, pairs: list[tuple[float, float]]) -> Block:
    """Central compartment with elimination k10 and peripheral compartments with (k1i, ki1)."""
    b = Block("mammillary")
    b.add("central", v1)
    b.flow("central", None, k10, "elimination")
    for i, (k1i, ki1) in enumerate(pairs):
        b.add(f"p{i}", None)
        b.flow("central", f"p{i}", k1i, "distribution")
        b.flow(f"p{i}", "central", ki1, "distribution")
    return b


def closed_form_coefficients(v1: float, k10: float, pairs: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Unit-bolus concentration C(t) = Σ Aᵢ exp(−λᵢ t): λ from the characteristic polynomial in closed form."""
    if not pairs:
        return np.array([1.0 / v1]), np.array([k10])
    if len(pairs) == 1:
        ((k12, k21),) = pairs
        s = k10 + k12 + k21
        root = np.sqrt(s * s - 4 * k10 * k21)
        lam = np.array([(s + root) / 2, (s - root) / 2])
        a = np.array([(k21 - lam[0]) / (lam[1] - lam[0]), (k21 - lam[1]) / (lam[0] - lam[1])]) / v1
        return a, lam
    (k12, k21), (k13, k31) = pairs
    # cubic λ³ − a2 λ² + a1 λ − a0 = 0 solved with the trigonometric formula
    a0 = k10 * k21 * k31
    a1 = k10 * k31 + k21 * k31 + k21 * k13 + k10 * k21 + k31 * k12
    a2 = k10 + k12 + k13 + k21 + k31
    p = a1 - a2 * a2 / 3
    q = 2 * a2**3 / 27 - a1 * a2 / 3 + a0
    r1 = np.sqrt(-p * p * p / 27)
    phi = np.arccos(-q / 2 / r1) / 3
    r2 = 2 * np.exp(np.log(r1) / 3)
    lam = np.array([-(np.cos(phi + k * 2 * np.pi / 3) * r2 - a2 / 3) for k in range(3)])
    lam = -np.sort(-lam)
    coeff = []
    for i in range(3):
        j, k = [m for m in range(3) if m != i]
        coeff.append((k21 - lam[i]) * (k31 - lam[i]) / ((lam[j] - lam[i]) * (lam[k] - lam[i])) / v1)
    return np.array(coeff), lam


MODELS = {
    "one": (20.0, 0.4, []),
    "two": (20.0, 0.4, [(1.1, 0.3)]),
    "three": (15.0, 0.55, [(2.2, 0.9), (0.6, 0.05)]),
}


def simulate_block(b: Block, v1: float, times: np.ndarray, infusion_h: float) -> np.ndarray:
    """Central concentration of the block after DOSE given as a bolus (0) or an infusion."""
    unit = np.eye(len(b.state_names))
    problem = LinearProblem(diagonalise(b.matrix(1)), unit[None, None, 1], ("central",), (unit[1] / v1)[None, None, :])
    edges = np.array([0.0, infusion_h]) if infusion_h else np.array([0.0])
    grid = build_grid(times[-1], times, edges, np.array([]), StepPolicy(0.5, 0, 0.5, 0, 0.5))
    steps = len(grid.times_h) - 1
    boluses = np.zeros((steps, 1))
    rates = np.zeros((steps, 1))
    if infusion_h:
        rates[: np.searchsorted(grid.times_h, infusion_h - 1e-12), 0] = DOSE / infusion_h
    else:
        boluses[0, 0] = DOSE
    out = run(problem, Schedule(boluses, rates, np.zeros((steps, 0))), grid, NoNonlinearPart(1))
    return out["central"][0]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("infusion_h", [0.0, INFUSION_H])
def test_engine_matches_closed_form(name: str, infusion_h: float) -> None:
    v1, k10, pairs = MODELS[name]
    times = np.unique(np.concatenate([np.linspace(0, 48, 97), [INFUSION_H, 0.01, 0.3]]))
    simulated = simulate_block(mammillary(v1, k10, pairs), v1, times, infusion_h)
    coeff, lam = closed_form_coefficients(v1, k10, pairs)
    if infusion_h:
        rate = DOSE / infusion_h
        during = np.minimum(times, infusion_h)[:, None]
        after = np.maximum(times - infusion_h, 0)[:, None]
        expected = (coeff * rate / lam * (1 - np.exp(-lam * during)) * np.exp(-lam * after)).sum(axis=1)
    else:
        expected = (DOSE * coeff * np.exp(-lam * times[:, None])).sum(axis=1)
    np.testing.assert_allclose(simulated, expected, rtol=RTOL, atol=1e-12 * expected.max())


def test_mass_balance_and_scipy_agreement_with_first_pass_and_metabolite() -> None:
    """Depot with first pass, parent with two peripherals, metabolite: dose = body + eliminated; scipy agrees."""
    b = Block("depot, parent and metabolite")
    for name in ("depot", "central", "p1", "p2", "metabolite", "metabolite_p"):
        b.add(name, None)
    b.flow("depot", "central", 0.25 * 1.4, "absorption")
    b.flow("depot", "metabolite", 0.55 * 1.4, "first_pass")
    b.flow("depot", None, 0.20 * 1.4, "loss")
    b.flow("central", "p1", 3.1, "distribution")
    b.flow("p1", "central", 1.2, "distribution")
    b.flow("central", "p2", 0.8, "distribution")
    b.flow("p2", "central", 0.07, "distribution")
    b.flow("central", "metabolite", 0.8 * 0.6, "metabolism")
    b.flow("central", None, 0.2 * 0.6, "elimination")
    b.flow("metabolite", "metabolite_p", 0.4, "distribution")
    b.flow("metabolite_p", "metabolite", 0.2, "distribution")
    b.flow("metabolite", None, 0.5, "elimination")
    a = b.matrix(1)
    names = b.state_names
    n = len(names)
    unit = np.eye(n)
    times = np.linspace(0, 72, 145)
    problem = LinearProblem(diagonalise(a), unit[None, None, 1], tuple(names), unit[None])
    grid = build_grid(72.0, times, np.array([0.0]), np.array([]), StepPolicy(0.5, 0, 0.5, 0, 0.5))
    steps = len(grid.times_h) - 1
    boluses = np.zeros((steps, 1))
    boluses[0, 0] = DOSE
    out = run(problem, Schedule(boluses, np.zeros((steps, 1)), np.zeros((steps, 0))), grid, NoNonlinearPart(1))
    amounts = np.stack([out[name][0] for name in names])
    np.testing.assert_allclose(amounts.sum(axis=0), DOSE, rtol=1e-9)
    x0 = np.zeros(n)
    x0[names.index("depot")] = DOSE
    reference = solve_ivp(lambda t, x: a[0] @ x, (0, 72), x0, method="DOP853", t_eval=times, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(amounts[1:], reference.y[1:], rtol=1e-6, atol=1e-9 * DOSE)


def test_infusion_edges_are_exact() -> None:
    """At the end of an infusion the central amount equals the closed form exactly, with no smearing."""
    v1, k10, pairs = MODELS["three"]
    times = np.array([0.0, INFUSION_H, INFUSION_H + 1e-3, 1.0])
    simulated = simulate_block(mammillary(v1, k10, pairs), v1, times, INFUSION_H)
    coeff, lam = closed_form_coefficients(v1, k10, pairs)
    at_end = (coeff * DOSE / INFUSION_H / lam * (1 - np.exp(-lam * INFUSION_H))).sum()
    assert simulated[0] == 0.0
    np.testing.assert_allclose(simulated[1], at_end, rtol=1e-12)
    assert simulated[2] < simulated[1]
