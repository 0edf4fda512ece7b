"""Exact plasma drug concentrations on a dense grid of their own, whatever the protocol observes (PK endpoints).

Plasma concentrations are readouts of the linear stage, which the engine propagates exactly over any step, so
they are computed without stepping the nonlinear model (as `ketasim.simulation.monitoring` does). The grid runs
through every dose start and infusion end and every endpoint window edge, with steps of at most `PK_SPACING`
after each dose edge, and every step is split at its midpoint: samples ``2j``, ``2j + 1`` and ``2j + 2`` are the
start, middle and end of step ``j``, inside which a concentration is smooth (`ketasim.analysis.drug_levels` reads
maxima, areas and threshold crossings off the parabola through them).

The area under a concentration from 0 h to infinity is exact as well: for a linear system a unit of dose kind
``k`` gives the area ``sum_m r_m v_km / -lambda_m`` (readout weights r, modal input v, eigenvalues lambda), and
the area of a regimen is the sum over the amounts given (an infusion running past the duration counts with the
part given by then).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.jax_setup import configured
from ketasim.engine.run import LinearProblem, NoNonlinearPart, run
from ketasim.engine.schedule import Input, build_schedule
from ketasim.population import make_patients
from ketasim.protocol import Protocol
from ketasim.simulation.monitoring import EXACT_ONLY
from ketasim.simulation.plan import ArmPlan, drug_inputs
from ketasim.simulation.run import linear_problem

PK_SPACING = StepPolicy(
    onset_h=1.0 / 60.0, onset_window_h=1.0, fine_h=1.0 / 6.0, fine_window_h=6.0, medium_h=0.5, medium_window_h=24.0
)
"""Longest step of the dense grid after each dose edge: 1 min for an hour, 10 min to 6 h, 30 min to 24 h, then 1 h
(the midpoints halve each)."""


@dataclass(frozen=True)
class DrugLevels:
    """Plasma concentrations of a range of an arm's patients on the dense grid.

    Attributes
    ----------
    time_h
        (samples,) an odd number of times from 0 h to the duration; samples ``2j + 1`` are midpoints of steps.
    values
        Output name -> (patients, samples), in ng/mL.
    total_area
        Output name -> (patients,) area under the concentration from 0 h to infinity, in ng/mL x h.
    """

    time_h: np.ndarray
    values: dict[str, np.ndarray]
    total_area: dict[str, np.ndarray]


def dose_edges(plan: ArmPlan, duration_h: float) -> np.ndarray:
    """Every dose start and infusion end of the arm up to ``duration_h`` (hours)."""
    doses = plan.events.doses
    edges = [t for d in doses for t in (d.time_h, d.time_h + d.infusion_h)]
    return np.array([t for t in edges if t <= duration_h])


def sample_times(plan: ArmPlan, duration_h: float, anchors_h: np.ndarray) -> np.ndarray:
    """The dense grid: through the dose edges and ``anchors_h`` (window edges), steps split at their midpoints."""
    edges = dose_edges(plan, duration_h)
    grid = build_grid(duration_h, np.asarray(anchors_h, dtype=float), edges, edges, PK_SPACING)
    times = np.empty(2 * grid.times_h.size - 1)
    times[0::2] = grid.times_h
    times[1::2] = 0.5 * (grid.times_h[:-1] + grid.times_h[1:])
    return times


def unit_areas(problem: LinearProblem, output: str) -> np.ndarray:
    """(kinds, patients) area under ``output`` from one unit of each dose kind, 0 h to infinity.

    Infinite where the output keeps a mode that does not decay.
    """
    readout = problem.readout[:, problem.readout_names.index(output), :]
    weights = np.einsum("ps,pst->pt", readout, problem.system.from_modal)
    modal_inputs = np.einsum("pst,kpt->kps", problem.system.to_modal, problem.kind_vectors)
    per_mode = weights[np.newaxis] * modal_inputs
    decay = -problem.system.eigenvalues[np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        area = np.where(per_mode == 0.0, 0.0, np.where(decay > 0.0, per_mode / decay, np.inf))
    return np.asarray(area.sum(axis=2))


def given_units(inputs: list[Input], kinds: int, duration_h: float) -> np.ndarray:
    """(kinds,) units of each dose kind given by ``duration_h`` (the part of an infusion given by then)."""
    given = np.zeros(kinds)
    for item in inputs:
        share = 1.0 if item.duration_h <= 0 else float(np.clip((duration_h - item.time_h) / item.duration_h, 0, 1))
        given[item.kind] += item.amount * share
    return given


def drug_levels(
    problem: LinearProblem, plan: ArmPlan, outputs: tuple[str, ...], times_h: np.ndarray
) -> dict[str, np.ndarray]:
    """(patients, samples) exact values of the linear ``outputs`` at ``times_h`` (from 0 h, increasing)."""
    duration = float(times_h[-1])
    grid = build_grid(duration, times_h, dose_edges(plan, duration), np.array([]), EXACT_ONLY)
    schedule = build_schedule(drug_inputs(plan.events.doses, plan.kinds), len(plan.kinds), grid)
    return run(problem, schedule, grid, NoNonlinearPart(problem.readout.shape[0]), outputs)


@configured
def drug_levels_range(
    protocol: Protocol,
    plan: ArmPlan,
    first: int,
    count: int,
    batch: int,
    seed: int,
    outputs: tuple[str, ...],
    anchors_h: np.ndarray,
) -> DrugLevels:
    """Dense exact concentrations of patients ``first`` .. ``first + count - 1`` of the planned arm.

    The patients are those `ketasim.simulation.run.simulate_range` simulates (same population streams), made in
    batches of ``batch``; ``anchors_h`` are times the grid must pass through (endpoint window edges).
    """
    times = sample_times(plan, protocol.duration_h, anchors_h)
    inputs = drug_inputs(plan.events.doses, plan.kinds)
    given = given_units(inputs, len(plan.kinds), protocol.duration_h)
    values: dict[str, list[np.ndarray]] = {name: [] for name in outputs}
    areas: dict[str, list[np.ndarray]] = {name: [] for name in outputs}
    for start in range(first, first + count, batch):
        keep = min(batch, first + count - start)
        cohort = make_patients(protocol.population, plan.index, start, batch, seed)
        problem = linear_problem(plan, plan.pset, cohort)
        levels = drug_levels(problem, plan, outputs, times)
        for name in outputs:
            values[name].append(levels[name][:keep])
            areas[name].append((given @ unit_areas(problem, name))[:keep])
    return DrugLevels(
        times,
        {name: np.concatenate(parts) for name, parts in values.items()},
        {name: np.concatenate(parts) for name, parts in areas.items()},
    )
