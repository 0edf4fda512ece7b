"""The diffrax reference reads each grid step's own therapy signals, from the first step on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.jax_setup import configured
from ketasim.engine.linear import diagonalise
from ketasim.engine.reference import diffrax_solver
from ketasim.engine.run import LinearProblem, run
from ketasim.engine.schedule import build_schedule

PATIENTS = 2


@partial(jax.tree_util.register_dataclass, data_fields=["start"], meta_fields=["output_names"])
@dataclass(frozen=True)
class SignalClock:
    """One state that counts the hours during which the first signal is on."""

    start: jax.Array
    output_names: tuple[str, ...] = ("hours_on",)

    def initial_state(self) -> jax.Array:
        return self.start

    def decay_rates(self) -> jax.Array:
        return jnp.zeros_like(self.start)

    def derivative(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array) -> jax.Array:
        return jnp.ones_like(state) * signals[0]

    def observe(self, state: jax.Array, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        return {"hours_on": state[..., 0]}


@configured
def test_a_signal_on_during_the_first_step_only_counts_in_engine_and_reference_alike() -> None:
    grid = build_grid(6.0, np.array([0.0, 6.0]), np.array([0.5]), np.array([]), StepPolicy())
    first_step = float(grid.times_h[1])
    schedule = build_schedule([], 1, grid, ["session"], {"session": [(0.0, first_step)]})
    matrix = np.broadcast_to(np.array([[-1.0]]), (PATIENTS, 1, 1))
    problem = LinearProblem(diagonalise(matrix), np.zeros((1, PATIENTS, 1)), ("amount",), np.ones((PATIENTS, 1, 1)))
    model = SignalClock(jnp.zeros((PATIENTS, 1)))

    engine = run(problem, schedule, grid, model, ("hours_on",))["hours_on"]
    reference = diffrax_solver(problem, schedule, grid, model, ("hours_on",), diffrax.Tsit5())(1e-9, 1e-9)
    np.testing.assert_allclose(engine[:, -1], first_step, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(reference["hours_on"])[:, -1], first_step, rtol=1e-6)
