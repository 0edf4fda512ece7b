"""Independent reference solvers: scipy's general-purpose integrators for the linear part, one patient at a time,
and diffrax's adaptive solvers for the whole model, each patient with its own steps.

Used by the verification tests and the benchmarks to check and time the engine; they are slow by design and not
used for simulation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

from ketasim.engine.grid import TimeGrid
from ketasim.engine.run import LinearProblem, NonlinearModel, Schedule


def reference_amounts(
    matrix: np.ndarray,
    kind_vectors: np.ndarray,
    schedule: Schedule,
    grid: TimeGrid,
    method: str = "DOP853",
    rtol: float = 1e-12,
    atol: float = 1e-15,
) -> np.ndarray:
    """Solve dx/dt = A x + inputs for one patient with scipy; states at the observation times.

    Parameters
    ----------
    matrix
        (n, n) system matrix of the patient.
    kind_vectors
        (kinds, n) state change of one unit of each dose kind for the patient.
    schedule, grid
        The same inputs and grid the engine uses; a bolus at a grid point counts from that point on.
    method, rtol, atol
        scipy `solve_ivp` settings.
    """
    times = grid.times_h
    x = np.zeros(matrix.shape[0])
    states = []
    for k in range(len(times) - 1):
        x = x + schedule.boluses[k] @ kind_vectors
        states.append(x)
        u = schedule.infusion_rates[k] @ kind_vectors
        solution = solve_ivp(
            lambda _t, y, u=u: matrix @ y + u, (times[k], times[k + 1]), x, method=method, rtol=rtol, atol=atol
        )
        x = solution.y[:, -1]
    states.append(x)
    return np.array(states)[grid.observation_index]


def diffrax_solver(
    problem: LinearProblem,
    schedule: Schedule,
    grid: TimeGrid,
    model: NonlinearModel,
    outputs: tuple[str, ...],
    solver: diffrax.AbstractAdaptiveSolver,
) -> Callable[[float, float], dict[str, jax.Array]]:
    """A compiled function of ``(rtol, atol)`` that solves every patient with diffrax's adaptive ``solver``.

    The same equations as the engine: the linear part in modal coordinates, the model's nonlinear derivative,
    doses as jumps of the modal states at the start of each segment between doses, and the schedule's signals as
    piecewise-constant inputs (the step-size controller restarts at each of their edges). Patients are solved one
    by one under `jax.vmap`, each with its own steps; every leaf of ``model`` has the patients on its first axis.
    Returns each of ``outputs`` (linear readouts or model outputs) as (patients, observations).
    """
    times = grid.times_h
    observed = times[grid.observation_index]
    dose_steps = np.flatnonzero(schedule.boluses.any(axis=1))
    edges = times[np.flatnonzero(np.diff(schedule.signals, axis=0).any(axis=1)) + 1]
    starts = [0, *[int(k) for k in dose_steps if k > 0], len(times) - 1]
    modal_readout = jnp.asarray(np.einsum("prs,pst->prt", problem.readout, problem.system.from_modal))
    kind_modal = jnp.asarray(np.einsum("pst,kpt->pks", problem.system.to_modal, problem.kind_vectors))
    step_starts = jnp.asarray(times[:-1])
    signals = jnp.asarray(schedule.signals)
    boluses = jnp.asarray(schedule.boluses)
    names = problem.readout_names

    def one_patient(
        rtol: float, atol: float, rates: jax.Array, readout: jax.Array, kinds: jax.Array, patient: NonlinearModel
    ) -> jax.Array:
        def readouts(z: jax.Array) -> dict[str, jax.Array]:
            values = readout @ z
            return {name: values[i] for i, name in enumerate(names)}

        def field(t: Any, state: tuple[jax.Array, jax.Array], _: Any) -> tuple[jax.Array, jax.Array]:
            z, y = state
            k = jnp.clip(jnp.searchsorted(step_starts, t, side="right") - 1, 0, step_starts.shape[0] - 1)
            return rates * z, patient.derivative(y, readouts(z), signals[k])

        def observe(z: jax.Array, y: jax.Array) -> jax.Array:
            linear = readouts(z)
            values = {**linear, **patient.observe(y, linear)}
            return jnp.stack([values[name] for name in outputs])

        z, y = jnp.zeros_like(rates), patient.initial_state()
        pieces = []
        for first, last in zip(starts[:-1], starts[1:], strict=True):
            z = z + boluses[first] @ kinds
            t0, t1 = times[first], times[last]
            final = last == len(times) - 1
            inside = observed[(observed >= t0) & ((observed < t1) | final)]
            jumps = [float(t) for t in edges if t0 < t < t1]
            solution = diffrax.diffeqsolve(
                diffrax.ODETerm(field),
                solver,
                float(t0),
                float(t1),
                None,
                (z, y),
                saveat=diffrax.SaveAt(ts=jnp.asarray(inside), t1=True),
                stepsize_controller=diffrax.ClipStepSizeController(
                    diffrax.PIDController(rtol=rtol, atol=atol), jump_ts=jumps or None
                ),
                max_steps=1_000_000,
            )
            zs, ys = solution.ys
            pieces.append(jax.vmap(observe)(zs[:-1], ys[:-1]))
            z, y = zs[-1], ys[-1]
        return jnp.concatenate(pieces)

    @jax.jit
    def solve(rtol: float, atol: float) -> dict[str, jax.Array]:
        result = jax.vmap(one_patient, in_axes=(None, None, 0, 0, 0, 0))(
            rtol, atol, jnp.asarray(problem.system.eigenvalues), modal_readout, kind_modal, model
        )
        return {name: result[:, :, i] for i, name in enumerate(outputs)}

    return solve
