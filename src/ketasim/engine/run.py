"""Advance all patients of a chunk together over a time grid.

Linear parts (pharmacokinetics, effect sites) are propagated exactly in modal coordinates;
the nonlinear part (cascade, network controls, symptoms) takes fourth-order exponential
time-differencing Runge-Kutta steps (ETDRK4): each state's stiff self-decay ``-rate * y`` is integrated
exactly and the rest by a fourth-order scheme that reads the exact linear solution at the start,
middle and end of each step.
Doses are grouped into *dose kinds* (one input vector per patient per kind), so a schedule of many
doses costs no more memory than one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import jax
import jax.numpy as jnp
import numpy as np

import ketasim.engine.precision  # noqa: F401  (float64)
from ketasim.engine.grid import TimeGrid
from ketasim.engine.linear import ModalSystem, propagate


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

    def decay_rates(self) -> jax.Array:
        """(patients, states) stiff linear self-decay rates per hour, integrated exactly (0 where none)."""
        ...

    def derivative(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array) -> jax.Array:
        """d(state)/dt per hour."""
        ...

    def observe(self, state: jax.Array, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        """Named outputs, each (patients,)."""
        ...


@partial(jax.tree_util.register_dataclass, data_fields=[], meta_fields=["patients", "output_names"])
@dataclass(frozen=True)
class NoNonlinearPart:
    """A model with no nonlinear states (pharmacokinetics only)."""

    patients: int
    output_names: tuple[str, ...] = ()

    def initial_state(self) -> jax.Array:
        """An empty state."""
        return jnp.zeros((self.patients, 0))

    def decay_rates(self) -> jax.Array:
        """No states, no rates."""
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

    A patient whose states become non-finite gets non-finite outputs; the trial layer flags such patients
    as failed rather than dropping them.
    """
    names = tuple(problem.readout_names) + tuple(model.output_names)
    chosen = names if outputs is None else tuple(n for n in outputs if n in names)
    states = bucket(problem.system.eigenvalues.shape[1], 8)
    kinds = bucket(problem.kind_vectors.shape[0])
    steps = bucket(len(grid.steps_h), 64)
    observations = len(grid.observation_index)
    modal_readout = _pad(np.einsum("prs,pst->prt", problem.readout, problem.system.from_modal), {2: states})
    kind_modal = _pad(np.einsum("pst,kpt->kps", problem.system.to_modal, problem.kind_vectors), {0: kinds, 2: states})
    record_at = np.full(len(grid.times_h), observations, dtype=np.int64)
    record_at[grid.observation_index] = np.arange(observations)
    result = _simulate(
        jnp.asarray(modal_readout),
        jnp.asarray(kind_modal),
        jnp.asarray(_pad(problem.system.eigenvalues, {1: states})),
        model,
        problem.readout_names,
        chosen,
        jnp.asarray(_pad(grid.steps_h, {0: steps})),
        jnp.asarray(_pad(schedule.boluses, {0: steps, 1: kinds})),
        jnp.asarray(_pad(schedule.infusion_rates, {0: steps, 1: kinds})),
        jnp.asarray(_pad(schedule.signals, {0: steps})),
        jnp.asarray(_pad(record_at[:-1], {0: steps}, fill=observations)),
        jnp.asarray(record_at[-1]),
        jnp.asarray(observations),
        bucket(observations + 1, 8),
    )
    return {name: np.asarray(result[:observations, i, :]).T for i, name in enumerate(chosen)}


def bucket(n: int, smallest: int = 1) -> int:
    """The next power of two at or above ``n`` (and ``smallest``).

    Array shapes are rounded up to these sizes (zero-length steps, inert states and dose kinds, spare
    output slots), so protocols of similar size share one compiled program.
    """
    return max(smallest, 1 << max(0, int(n) - 1).bit_length())


def _pad(array: np.ndarray, sizes: dict[int, int], fill: float = 0.0) -> np.ndarray:
    """``array`` padded at the end of the given axes to the given sizes with ``fill``."""
    widths = [(0, sizes.get(axis, length) - length) for axis, length in enumerate(array.shape)]
    return np.pad(array, widths, constant_values=fill)


@partial(jax.jit, static_argnames=("readout_names", "chosen", "slots"))
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
    record_last: jax.Array,
    observations: jax.Array,
    slots: int,
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
        buffer = jax.lax.cond(
            slot < observations,
            lambda b: jax.lax.dynamic_update_index_in_dim(b, observe(z, y), slot, axis=0),
            lambda b: b,
            buffer,
        )
        modal_rate = jnp.einsum("k,kps->ps", rate, kind_modal)
        z_mid = propagate(z, eigenvalues, modal_rate, h / 2)
        z_end = propagate(z, eigenvalues, modal_rate, h)
        r0, r_mid, r_end = readouts(z), readouts(z_mid), readouts(z_end)
        y = etd_rk4_step(y, h, rates, lambda state, r: model.derivative(state, r, signal), r0, r_mid, r_end)
        return (z_end, y, buffer), None

    def step_or_skip(carry: tuple[jax.Array, jax.Array, jax.Array], inputs: tuple[jax.Array, ...]):
        # the zero-length steps that pad the grid to its bucket size cost nothing
        return jax.lax.cond(inputs[0] > 0, step, lambda c, _: (c, None), carry, inputs)

    z0 = jnp.zeros((patients, states))
    y0 = model.initial_state()
    rates = model.decay_rates()
    buffer = jnp.zeros((slots, len(chosen), patients))
    scan: Callable = jax.lax.scan
    (z, y, buffer), _ = scan(step_or_skip, (z0, y0, buffer), (steps_h, boluses, infusion_rates, signals, record_at))
    buffer = jax.lax.cond(
        record_last < observations,
        lambda b: jax.lax.dynamic_update_index_in_dim(b, observe(z, y), record_last, axis=0),
        lambda b: b,
        buffer,
    )
    return buffer


def _phi123(z: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """φ₁, φ₂, φ₃ of z (elementwise), by Taylor series near 0 where the closed forms cancel."""
    small = jnp.abs(z) < 0.2
    safe = jnp.where(small, 1.0, z)
    e = jnp.exp(safe)
    phi1 = jnp.where(small, 1 + z / 2 + z**2 / 6 + z**3 / 24 + z**4 / 120 + z**5 / 720, (e - 1) / safe)
    phi2 = jnp.where(small, 1 / 2 + z / 6 + z**2 / 24 + z**3 / 120 + z**4 / 720 + z**5 / 5040, (e - 1 - safe) / safe**2)
    phi3 = jnp.where(
        small,
        1 / 6 + z / 24 + z**2 / 120 + z**3 / 720 + z**4 / 5040 + z**5 / 40320,
        (e - 1 - safe - safe**2 / 2) / safe**3,
    )
    return phi1, phi2, phi3


def etd_rk4_step(
    y: jax.Array,
    h: jax.Array,
    rates: jax.Array,
    derivative: Callable[[jax.Array, Mapping[str, jax.Array]], jax.Array],
    r0: Mapping[str, jax.Array],
    r_mid: Mapping[str, jax.Array],
    r_end: Mapping[str, jax.Array],
) -> jax.Array:
    """One exponential time-differencing RK4 step (Cox and Matthews 2002) of dy/dt = -rates*y + N(y).

    N = f + rates*y is the part left after the stiff linear decay. The step is exact when N is constant
    (relaxation towards a fixed target, however stiff) and fourth-order accurate for smooth problems.
    ``r0``, ``r_mid``, ``r_end`` are the exact linear readouts at t, t+h/2, t+h.

    References
    ----------
    Cox SM, Matthews PC. Exponential time differencing for stiff systems. J Comput Phys 2002;176:430-455.
    doi:10.1006/jcph.2002.6995
    """

    def remainder(state: jax.Array, r: Mapping[str, jax.Array]) -> jax.Array:
        return derivative(state, r) + rates * state

    z = -rates * h
    half = jnp.exp(z / 2)
    half_phi1 = _phi123(z / 2)[0]
    phi1, phi2, phi3 = _phi123(z)
    n0 = remainder(y, r0)
    a = half * y + h / 2 * half_phi1 * n0
    na = remainder(a, r_mid)
    b = half * y + h / 2 * half_phi1 * na
    nb = remainder(b, r_mid)
    c = half * a + h / 2 * half_phi1 * (2 * nb - n0)
    nc = remainder(c, r_end)
    f1 = phi1 - 3 * phi2 + 4 * phi3
    f2 = phi2 - 2 * phi3
    f3 = 4 * phi3 - phi2
    return jnp.exp(z) * y + h * (f1 * n0 + 2 * f2 * (na + nb) + f3 * nc)
