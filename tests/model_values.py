"""The model's stages evaluated as the model evaluates them, for the tests: patients, parameters, untreated values,
and a fixed-step integration of a composition with given inputs.

Parameters come from `ketasim.models.model.individual_parameters` of the composed model (``compose`` of the
shipped drug catalogue) and the ``default`` parameter set; every equation is evaluated on arrays
(`ketasim.models.math.ARRAYS`), so a test sees exactly what the engine computes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ketasim.models.math import ARRAYS
from ketasim.models.model import Composition, compose, individual_parameters
from ketasim.parameters import parameter_set
from ketasim.parameters.catalogue import default_catalogue
from ketasim.parameters.registry import ParameterSet
from ketasim.population import Patients

CATALOGUE = default_catalogue()
COMPOSITION = compose(CATALOGUE)
PSET = parameter_set("default")

Inputs = Callable[[jax.Array], Mapping[str, Any]]


def patients(
    n: int = 1,
    condition: str = "trd",
    *,
    variability: bool = False,
    seed: int = 0,
    failed: float = 3.0,
    neglect: float = 0.0,
    stress: float = 0.6,
    baseline: dict | None = None,
) -> Patients:
    """A batch of ``n`` patients with the same covariates (80 kg, 40 years, male, normal CYP2B6)."""
    ones = np.ones(n)
    return Patients(
        condition=condition,
        weight_kg=80.0 * ones,
        age_years=40.0 * ones,
        female=0.0 * ones,
        cyp2b6_slow=0.0 * ones,
        childhood_neglect=neglect * ones,
        failed_treatments=failed * ones,
        chronic_stress=stress * ones,
        seed=seed,
        variability=variability,
        baseline=baseline or {},
    )


def parameters(batch: Patients, pset: ParameterSet = PSET) -> dict[str, np.ndarray]:
    """Every parameter of the composed model for ``batch``, as the engine gets them."""
    return individual_parameters(COMPOSITION, pset, batch)


def registry(names: tuple[str, ...], pset: ParameterSet = PSET) -> dict[str, float]:
    """The registry values of ``names`` (a stage's ``registry_parameters()``)."""
    return {name: pset[name] for name in names}


def untreated(values: Mapping[str, Any], composition: Composition = COMPOSITION) -> dict[str, Any]:
    """Every value of untreated patients: ``values`` (parameters), the untreated states, zero readouts and signals,
    and every quantity of the composition."""
    count = np.shape(next(iter(values.values())))[0]
    known: dict[str, Any] = {**values, **composition.initial(ARRAYS, values)}
    known.update({name: jnp.zeros(count) for name in composition.readouts if name not in values})
    known.update({name: 0.0 for name in composition.signals if name not in values})
    known.update(composition.evaluate(ARRAYS, known))
    return known


def state_rates(composition: Composition, values: Mapping[str, Any]) -> dict[str, Any]:
    """d(state)/dt per hour of every state, given states, inputs and parameters (quantities are evaluated first)."""
    known = dict(values)
    known.update(composition.evaluate(ARRAYS, known))
    return composition.rates(ARRAYS, known)


def trajectory(
    composition: Composition,
    fixed: Mapping[str, Any],
    hours: float,
    step: float,
    inputs: Inputs | None = None,
    start: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """Classical RK4 at a fixed step: every state and quantity at every step, each of shape (steps + 1, patients).

    ``fixed`` holds the parameters and any input held constant, ``inputs(t)`` the inputs that change with the time
    ``t`` in hours; the states start from ``start`` (default: the composition's untreated state). The result also
    holds ``time`` (steps + 1,). Compiled once per composition, steps and ``inputs``.
    """
    first = start if start is not None else composition.initial(ARRAYS, fixed)
    count = np.shape(next(iter(fixed.values())))[0]
    y0 = jnp.stack(
        [jnp.broadcast_to(jnp.asarray(first[name], dtype=float), (count,)) for name in composition.state_names], axis=-1
    )
    constant = {name: jnp.asarray(value, dtype=float) for name, value in fixed.items()}
    times, out = _runner(composition, int(round(hours / step)), step, inputs)(constant, y0)
    return {"time": np.asarray(times), **{name: np.asarray(value) for name, value in out.items()}}


@cache
def _runner(composition: Composition, steps: int, step: float, inputs: Inputs | None) -> Callable:
    """The jitted RK4 integration of `trajectory`, taking the fixed values and the start."""
    names = composition.state_names
    wanted = (*names, *(q.name for q in composition.quantities))
    given = inputs or (lambda t: {})

    def values(fixed: Mapping[str, Any], y: jax.Array, t: jax.Array) -> dict[str, Any]:
        known = {**fixed, **given(t), **{name: y[..., i] for i, name in enumerate(names)}}
        known.update(composition.evaluate(ARRAYS, known))
        return known

    def derivative(fixed: Mapping[str, Any], y: jax.Array, t: jax.Array) -> jax.Array:
        rates = composition.rates(ARRAYS, values(fixed, y, t))
        return jnp.stack([jnp.broadcast_to(rates[name], y.shape[:-1]) for name in names], axis=-1)

    @jax.jit
    def run(fixed: Mapping[str, Any], y0: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
        def one(y: jax.Array, t: jax.Array) -> tuple[jax.Array, jax.Array]:
            k1 = derivative(fixed, y, t)
            k2 = derivative(fixed, y + step / 2 * k1, t + step / 2)
            k3 = derivative(fixed, y + step / 2 * k2, t + step / 2)
            k4 = derivative(fixed, y + step * k3, t + step)
            y = y + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            return y, y

        def observed(y: jax.Array, t: jax.Array) -> dict[str, jax.Array]:
            known = values(fixed, y, t)
            return {name: jnp.broadcast_to(known[name], y.shape[:-1]) for name in wanted}

        _, ys = jax.lax.scan(one, y0, jnp.arange(steps) * step)
        times = jnp.arange(steps + 1) * step
        return times, jax.vmap(observed)(jnp.concatenate([y0[None], ys]), times)

    return run
