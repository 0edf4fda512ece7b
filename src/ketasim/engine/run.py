"""Advance all patients of a chunk together over a time grid.

Linear parts (pharmacokinetics, effect sites) are propagated exactly in modal coordinates;
the nonlinear part (cascade, network controls, symptoms) takes classical fourth-order
Runge-Kutta steps that read the exact linear solution at the start, middle and end of each step.
Doses are grouped into *dose kinds* (one input vector per patient per kind), so a schedule of many
doses costs no more memory than one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import jax
import jax.numpy as jnp
import numpy as np

import ketasim.engine.precision  # noqa: F401  (float64)
from ketasim.engine.grid import TimeGrid
from ketasim.engine.linear import ModalSystem, propagate
from ketasim.errors import SolverError


@dataclass(frozen=True)
class LinearProblem:
    """The linear part of the model for one chunk of patients.

    Attributes
    ----------
    system
        Diagonalised system matrices.
    kind_vectors
        (kinds, patients, states): the state change of one unit of each dose kind (µmol per compartment).
    readout_names
        Names of the linear readouts, e.g. ``plasma_ketamine``.
    readout
        (patients, readouts, states): readouts y = R x.
    """

    system: ModalSystem
    kind_vectors: np.ndarray
    readout_names: tuple[str, ...]
    readout: np.ndarray


@dataclass(frozen=True)
class Schedule:
    """Per-step inputs shared by every patient of an arm.

    Attributes
    ----------
    boluses
        (steps, kinds): units of each dose kind given at the start of each step.
    infusion_rates
        (steps, kinds): units per hour of each dose kind infused during each step.
    signals
        (steps, signals): other inputs constant over each step (e.g. a therapy session in progress).
    """

    boluses: np.ndarray
    infusion_rates: np.ndarray
    signals: np.ndarray


class NonlinearModel(Protocol):
    """The nonlinear part: states driven by the linear readouts and the schedule's signals."""

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the outputs `observe` returns."""
        ...

    def initial_state(self) -> jax.Array:
        """(patients, states) at the start."""
        ...

    def derivative(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array) -> jax.Array:
        """d(state)/dt per hour."""
        ...

    def observe(self, state: jax.Array, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        """Named outputs, each (patients,)."""
        ...


@dataclass(frozen=True)
class NoNonlinearPart:
    """A model with no nonlinear states (pharmacokinetics only)."""

    patients: int
    output_names: tuple[str, ...] = ()

    def initial_state(self) -> jax.Array:
        """An empty state."""
        return jnp.zeros((self.patients, 0))

    def derivative(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array) -> jax.Array:
        """Nothing changes."""
        return state

    def observe(self, state: jax.Array, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        """No outputs."""
        return {}


def run(
    problem: LinearProblem,
    schedule: Schedule,
    grid: TimeGrid,
    model: NonlinearModel,
    outputs: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate one chunk of patients and return each output as a (patients, observations) array.

    Parameters
    ----------
    problem
        The linear part.
    schedule
        Dose and signal inputs per grid step.
    grid
        Grid points and observation indices.
    model
        The nonlinear part.
    outputs
        Which readouts and nonlinear outputs to return (default: all).

    Raises
    ------
    SolverError
        If any state became non-finite; the message names the first patient affected.
    """
    names = tuple(problem.readout_names) + tuple(model.output_names)
    chosen = names if outputs is None else tuple(n for n in outputs if n in names)
    modal_readout = jnp.asarray(np.einsum("prs,pst->prt", problem.readout, problem.system.from_modal))
    kind_modal = jnp.asarray(np.einsum("pst,kpt->kps", problem.system.to_modal, problem.kind_vectors))
    eigenvalues = jnp.asarray(problem.system.eigenvalues)
    observations = len(grid.observation_index)
    record_at = np.full(len(grid.times_h), observations, dtype=np.int64)
    record_at[grid.observation_index] = np.arange(observations)
    result = _simulate(
        modal_readout,
        kind_modal,
        eigenvalues,
        model,
        problem.readout_names,
        chosen,
        jnp.asarray(grid.steps_h),
        jnp.asarray(schedule.boluses),
        jnp.asarray(schedule.infusion_rates),
        jnp.asarray(schedule.signals),
        jnp.asarray(record_at[:-1]),
        int(record_at[-1]),
        observations,
    )
    arrays = {name: np.asarray(result[:, i, :]).T for i, name in enumerate(chosen)}
    for name, values in arrays.items():
        bad = ~np.isfinite(values).all(axis=1)
        if bad.any():
            raise SolverError(f"output {name!r} became non-finite for patient {int(np.argmax(bad))}")
    return arrays


def _simulate(
    modal_readout: jax.Array,
    kind_modal: jax.Array,
    eigenvalues: jax.Array,
    model: NonlinearModel,
    readout_names: tuple[str, ...],
    chosen: tuple[str, ...],
    steps_h: jax.Array,
    boluses: jax.Array,
    infusion_rates: jax.Array,
    signals: jax.Array,
    record_at: jax.Array,
    record_last: int,
    observations: int,
) -> jax.Array:
    patients, states = eigenvalues.shape

    def readouts(z: jax.Array) -> dict[str, jax.Array]:
        values = jnp.einsum("prs,ps->rp", modal_readout, z)
        return {name: values[i] for i, name in enumerate(readout_names)}

    def observe(z: jax.Array, y: jax.Array) -> jax.Array:
        linear = readouts(z)
        values = {**linear, **model.observe(y, linear)}
        return jnp.stack([values[name] for name in chosen])

    def step(carry: tuple[jax.Array, jax.Array, jax.Array], inputs: tuple[jax.Array, ...]):
        z, y, buffer = carry
        h, bolus, rate, signal, slot = inputs
        z = z + jnp.einsum("k,kps->ps", bolus, kind_modal)
        buffer = jax.lax.dynamic_update_index_in_dim(buffer, observe(z, y), slot, axis=0)
        modal_rate = jnp.einsum("k,kps->ps", rate, kind_modal)
        z_mid = propagate(z, eigenvalues, modal_rate, h / 2)
        z_end = propagate(z, eigenvalues, modal_rate, h)
        r0, r_mid, r_end = readouts(z), readouts(z_mid), readouts(z_end)
        k1 = model.derivative(y, r0, signal)
        k2 = model.derivative(y + h / 2 * k1, r_mid, signal)
        k3 = model.derivative(y + h / 2 * k2, r_mid, signal)
        k4 = model.derivative(y + h * k3, r_end, signal)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return (z_end, y, buffer), None

    z0 = jnp.zeros((patients, states))
    y0 = model.initial_state()
    buffer = jnp.zeros((observations + 1, len(chosen), patients))
    scan: Callable = jax.lax.scan
    (z, y, buffer), _ = scan(step, (z0, y0, buffer), (steps_h, boluses, infusion_rates, signals, record_at))
    buffer = jax.lax.dynamic_update_index_in_dim(buffer, observe(z, y), record_last, axis=0)
    return buffer[:observations]
