"""Advance all patients of a chunk together over a time grid.

Linear parts (pharmacokinetics, effect sites) are propagated exactly in modal coordinates;
the nonlinear part (cascade, network controls, symptoms) takes fourth-order exponential
time-differencing Runge-Kutta steps (ETDRK4): each state's stiff self-decay ``-rate * y`` is integrated
exactly and the rest by a fourth-order scheme that reads the exact linear solution at the start,
middle and end of each step.
Doses are grouped into *dose kinds* (one input vector per patient per kind), so a schedule of many
doses costs no more memory than one.

Cost. The grid's steps come in runs of equal length (a dose's fine window, the hours between daily
observations); the exact propagators and ETDRK4 coefficients, the only transcendental functions of a step
outside the model, are computed once per run, not once per step.

Precision. The nonlinear derivative is evaluated in float32 by default (``StepPolicy.derivative_dtype``);
states, the linear part, the integrator's arithmetic and every output stay float64. A float32 derivative
is off by a few units of its last place (about 1e-7 relative), and an error of size e in the derivative
changes a state by at most e times the time it acts, damped by the state's own decay; it does not
accumulate as rounding of the states would. Over a 12-week KAP course the typical patient's outputs differ
from a float64 derivative by at most 2e-6 of their range (tests/verification/test_integrator_convergence.py);
among 512 varied patients the largest difference is 4e-5 of the MADRS range (a patient near the tipping
point of the depression model), against 1e-3 for the step error of the default steps. On CPU it makes a
12-week KAP step about 1.5x faster (940 vs 1450 ns per patient-step here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Protocol, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from ketasim.engine import programs
from ketasim.engine.grid import StepPolicy, TimeGrid
from ketasim.engine.linear import ModalSystem, propagator

T = TypeVar("T")


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
    """The nonlinear part: states driven by the linear readouts and the schedule's signals.

    States are laid out (states, patients): each state's values for the batch lie side by side in memory, so
    the derivative's per-state arithmetic reads and writes contiguous vectors (a KAP step is 1.3x faster than
    with (patients, states), where each state is a strided column; docs/performance.md).
    """

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the outputs `observe` returns."""
        ...

    def initial_state(self) -> jax.Array:
        """(states, patients) at the start."""
        ...

    def decay_rates(self) -> jax.Array:
        """(states, patients) stiff linear self-decay rates per hour, integrated exactly (0 where none)."""
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
        return jnp.zeros((0, self.patients))

    def decay_rates(self) -> jax.Array:
        """No states, no rates."""
        return jnp.zeros((0, self.patients))

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
    derivative_dtype: str = StepPolicy.derivative_dtype,
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
    derivative_dtype
        Precision in which the nonlinear derivative is evaluated (states, the linear part, the integrator's
        arithmetic and every output stay float64; see the module docstring).

    A patient whose states become non-finite gets non-finite outputs; the trial layer flags such patients
    as failed rather than dropping them.
    """
    names = tuple(problem.readout_names) + tuple(model.output_names)
    chosen = names if outputs is None else tuple(n for n in outputs if n in names)
    states = bucket(problem.system.eigenvalues.shape[1], 8)
    kinds = bucket(problem.kind_vectors.shape[0])
    steps = bucket(len(grid.steps_h), 64)
    first, count, length = runs_of_equal_steps(grid.steps_h)
    runs = bucket(len(first), 16)
    observations = len(grid.observation_index)
    modal_readout = _pad(np.einsum("prs,pst->prt", problem.readout, problem.system.from_modal), {2: states})
    kind_modal = _pad(np.einsum("pst,kpt->kps", problem.system.to_modal, problem.kind_vectors), {0: kinds, 2: states})
    record_at = np.full(len(grid.times_h), observations, dtype=np.int64)
    record_at[grid.observation_index] = np.arange(observations)
    arrays = (
        modal_readout,
        kind_modal,
        _pad(problem.system.eigenvalues, {1: states}),
        model,
        tuple(_pad(a, {0: runs}) for a in (first, count, length)),
        _pad(schedule.boluses, {0: steps, 1: kinds}),
        _pad(schedule.infusion_rates, {0: steps, 1: kinds}),
        _pad(schedule.signals, {0: steps}),
        _pad(record_at[:-1], {0: steps}, fill=observations),
        record_at[-1],
        np.asarray(observations),
    )
    static = {
        "readout_names": problem.readout_names,
        "chosen": chosen,
        "slots": bucket(observations + 1, 8),
        "derivative_dtype": derivative_dtype,
    }
    result = programs.call(_simulate, arrays, static)
    recorded = np.asarray(result)[:observations]
    return {name: recorded[:, i, :].T for i, name in enumerate(chosen)}


def bucket(n: int, smallest: int = 1) -> int:
    """The next power of two at or above ``n`` (and ``smallest``).

    Array shapes are rounded up to these sizes (unused steps and runs of steps, inert states and dose kinds,
    spare output slots), so protocols of similar size share one compiled program.
    """
    return max(smallest, 1 << max(0, int(n) - 1).bit_length())


def _pad(array: np.ndarray, sizes: dict[int, int], fill: float = 0.0) -> np.ndarray:
    """``array`` padded at the end of the given axes to the given sizes with ``fill``."""
    widths = [(0, sizes.get(axis, length) - length) for axis, length in enumerate(array.shape)]
    return np.pad(array, widths, constant_values=fill)


@partial(jax.jit, static_argnames=("readout_names", "chosen", "slots", "derivative_dtype"))
def _simulate(
    modal_readout: jax.Array,
    kind_modal: jax.Array,
    eigenvalues: jax.Array,
    model: NonlinearModel,
    segments: tuple[jax.Array, jax.Array, jax.Array],
    boluses: jax.Array,
    infusion_rates: jax.Array,
    signals: jax.Array,
    record_at: jax.Array,
    record_last: jax.Array,
    observations: jax.Array,
    *,
    readout_names: tuple[str, ...],
    chosen: tuple[str, ...],
    slots: int,
    derivative_dtype: str,
) -> jax.Array:
    patients, states = eigenvalues.shape
    rates = model.decay_rates()
    working = _cast_floats(model, derivative_dtype)

    def readouts(z: jax.Array) -> dict[str, jax.Array]:
        values = jnp.einsum("prs,ps->rp", modal_readout, z)
        return {name: values[i] for i, name in enumerate(readout_names)}

    def observe(z: jax.Array, y: jax.Array) -> jax.Array:
        linear = readouts(z)
        values = {**linear, **_observe(model, y, linear, model.output_names)}
        return jnp.stack([values[name] for name in chosen])

    def derivative(signal: jax.Array) -> Callable[[jax.Array, Mapping[str, jax.Array]], jax.Array]:
        def evaluate(state: jax.Array, r: Mapping[str, jax.Array]) -> jax.Array:
            inputs = _cast_floats((state, r, signal), derivative_dtype)
            return _derivative(working, *inputs).astype(state.dtype)

        return evaluate

    def step(pk: tuple[jax.Array, ...], etd: EtdCoefficients, i: jax.Array, carry: tuple[jax.Array, ...]):
        z, y, buffer = carry
        decay, gain, half_decay, half_gain = pk
        z = z + jnp.einsum("k,kps->ps", boluses[i], kind_modal)
        buffer = jax.lax.cond(
            record_at[i] < observations,
            lambda b: jax.lax.dynamic_update_index_in_dim(b, observe(z, y), record_at[i], axis=0),
            lambda b: b,
            buffer,
        )
        modal_rate = jnp.einsum("k,kps->ps", infusion_rates[i], kind_modal)
        z_mid = half_decay * z + half_gain * modal_rate
        z_end = decay * z + gain * modal_rate
        y = etd_rk4_apply(etd, y, derivative(signals[i]), readouts(z), readouts(z_mid), readouts(z_end))
        return z_end, y, buffer

    def segment(carry: tuple[jax.Array, ...], run_of_steps: tuple[jax.Array, jax.Array, jax.Array]):
        # a run of equal steps: the exact propagators and ETD coefficients are computed once for all of them
        first, count, h = run_of_steps
        pk = (*propagator(eigenvalues, h), *propagator(eigenvalues, h / 2))
        body = partial(step, pk, etd_coefficients(rates, h))
        return jax.lax.fori_loop(first, first + count, body, carry), None

    z0 = jnp.zeros((patients, states))
    buffer = jnp.zeros((slots, len(chosen), patients))
    scan: Callable = jax.lax.scan
    (z, y, buffer), _ = scan(segment, (z0, model.initial_state(), buffer), segments)
    buffer = jax.lax.cond(
        record_last < observations,
        lambda b: jax.lax.dynamic_update_index_in_dim(b, observe(z, y), record_last, axis=0),
        lambda b: b,
        buffer,
    )
    return buffer


@jax.jit
def _derivative(
    model: NonlinearModel, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array
) -> jax.Array:
    """``model.derivative``, traced once per program however often a step calls it (ETDRK4: four times)."""
    return model.derivative(state, readouts, signals)


@partial(jax.jit, static_argnames=("names",))
def _observe(
    model: NonlinearModel, state: jax.Array, readouts: Mapping[str, jax.Array], names: tuple[str, ...]
) -> dict[str, jax.Array]:
    """``model.observe``, traced once per program (it is called inside the loop and after it).

    ``names`` (the model's `output_names`) is part of the key under which the traced function is reused: the
    outputs follow the vocabulary, which is not part of the model's value.
    """
    values = model.observe(state, readouts)
    return {name: values[name] for name in names}


def _cast_floats(tree: T, dtype: str) -> T:
    """``tree`` with every floating-point leaf in ``dtype``."""

    def cast(leaf: jax.Array) -> jax.Array:
        leaf = jnp.asarray(leaf)
        return leaf.astype(dtype) if jnp.issubdtype(leaf.dtype, jnp.floating) else leaf

    return jax.tree.map(cast, tree)


def runs_of_equal_steps(steps_h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first step, number of steps, step length)`` of each run of consecutive equal steps."""
    steps_h = np.asarray(steps_h, dtype=float)
    first = np.flatnonzero(np.concatenate([[True], steps_h[1:] != steps_h[:-1]])) if steps_h.size else np.array([], int)
    count = np.diff(np.append(first, steps_h.size))
    return first.astype(np.int64), count.astype(np.int64), steps_h[first]


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


@partial(
    jax.tree_util.register_dataclass, data_fields=["rates", "decay", "half_decay", "half_gain", "gains"], meta_fields=[]
)
@dataclass(frozen=True)
class EtdCoefficients:
    """The coefficients of an ETDRK4 step of length h for given decay rates (each shaped like the state)."""

    rates: jax.Array
    decay: jax.Array
    half_decay: jax.Array
    half_gain: jax.Array
    gains: tuple[jax.Array, jax.Array, jax.Array]


def etd_coefficients(rates: jax.Array, h: jax.Array) -> EtdCoefficients:
    """Coefficients of an ETDRK4 step of length ``h`` for stiff decay ``rates`` (Cox and Matthews 2002, eq. 26)."""
    z = -rates * h
    phi1, phi2, phi3 = _phi123(z)
    return EtdCoefficients(
        rates,
        jnp.exp(z),
        jnp.exp(z / 2),
        h / 2 * _phi123(z / 2)[0],
        (h * (phi1 - 3 * phi2 + 4 * phi3), 2 * h * (phi2 - 2 * phi3), h * (4 * phi3 - phi2)),
    )


def etd_rk4_apply(
    c: EtdCoefficients,
    y: jax.Array,
    derivative: Callable[[jax.Array, Mapping[str, jax.Array]], jax.Array],
    r0: Mapping[str, jax.Array],
    r_mid: Mapping[str, jax.Array],
    r_end: Mapping[str, jax.Array],
) -> jax.Array:
    """One exponential time-differencing RK4 step (Cox and Matthews 2002) of dy/dt = -rates*y + N(y).

    N = f + rates*y is the part left after the stiff linear decay. The step is exact when N is constant
    (relaxation towards a fixed target, however stiff) and fourth-order accurate for smooth problems.
    ``c`` holds the coefficients for the step's length (`etd_coefficients`); ``r0``, ``r_mid``, ``r_end``
    are the exact linear readouts at t, t+h/2, t+h. With E = exp(-rates h/2) and Φ = `half_gain` the stages are

        N₀ = N(y, t),  a = E y + Φ N₀;  N₁ = N(a, t+h/2),  b = E y + Φ N₁;
        N₂ = N(b, t+h/2),  c = E a + Φ (2 N₂ − N₀);  N₃ = N(c, t+h),

    evaluated as one loop of four passes, so a compiled program holds the model's derivative once instead of four
    times (a third smaller, faster to load and to compile, and faster to run here).

    References
    ----------
    Cox SM, Matthews PC. Exponential time differencing for stiff systems. J Comput Phys 2002;176:430-455.
    doi:10.1006/jcph.2002.6995
    """

    def remainder(state: jax.Array, r: Mapping[str, jax.Array]) -> jax.Array:
        return derivative(state, r) + c.rates * state

    stage_readouts = jax.tree.map(lambda a, m, e: jnp.stack([a, m, m, e]), r0, r_mid, r_end)

    def stage(k: jax.Array, carry: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array, jax.Array]:
        """N at stage k's state, and the next stage's state (``a`` kept for the last one)."""
        state, a, n = carry
        nk = remainder(state, jax.tree.map(lambda r: r[k], stage_readouts))
        n = n.at[k].set(nk)
        third = k == 2
        following = c.half_decay * jnp.where(third, a, y) + c.half_gain * jnp.where(third, 2 * nk - n[0], nk)
        return following, jnp.where(k == 0, following, a), n

    _, _, n = jax.lax.fori_loop(0, 4, stage, (y, y, jnp.zeros((4, *y.shape), y.dtype)))
    g0, g_mid, g_end = c.gains
    return c.decay * y + g0 * n[0] + g_mid * (n[1] + n[2]) + g_end * n[3]
