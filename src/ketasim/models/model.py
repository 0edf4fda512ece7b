"""The model: the stages composed in order, and a batch of patients' parameters as arrays.

`compose` lists the stages for a drug catalogue; the `Composition` is the one source of the state layout, the
quantities, the outputs and the parameter list, read by the engine (through `Model`), the SBML export and the
forecast. `build_model` turns a parameter set and a batch of patients into a `Model`: the composition (static:
one compiled program per composition) and one array per parameter (data: new values never recompile);
`build_model_of_sets` does so for several sets at once, the same patients with each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ketasim.engine import programs
from ketasim.models.acute import Acute
from ketasim.models.cascade import Cascade
from ketasim.models.comparators import Comparators
from ketasim.models.math import ARRAYS, Math, Value
from ketasim.models.natural_course import NaturalCourse
from ketasim.models.network import Network
from ketasim.models.pk import readout_names
from ketasim.models.receptors import Receptors
from ketasim.models.scales import Scales
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.models.symptoms import Symptoms
from ketasim.models.therapy import SESSION_SIGNALS, Therapy
from ketasim.parameters.catalogue import Catalogue
from ketasim.parameters.registry import ParameterSet
from ketasim.vocabulary import OUTPUTS

SIGNALS: tuple[str, ...] = (*SESSION_SIGNALS, "clinic_visit", "pill")
"""Treatment events the model perceives: 1 while a session, a clinic visit or a pill is on (`signals`)."""


@dataclass(frozen=True)
class Composition:
    """The stages in order and the inputs they read (linear readouts and schedule signals)."""

    stages: tuple[Stage, ...]
    readouts: tuple[str, ...]
    signals: tuple[str, ...] = SIGNALS

    @property
    def states(self) -> tuple[Quantity, ...]:
        """Every state, stage by stage: the layout of the state vector."""
        return tuple(q for stage in self.stages for q in stage.states())

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the states in state-vector order."""
        return tuple(q.name for q in self.states)

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        """Every algebraic quantity, in the order the stages define them."""
        return tuple(q for stage in self.stages for q in stage.quantities())

    @property
    def output_names(self) -> tuple[str, ...]:
        """The quantities that are outputs of the vocabulary, in vocabulary order."""
        defined = {q.name for q in self.quantities}
        return tuple(name for name in OUTPUTS if name in defined)

    def parameter_names(self) -> tuple[str, ...]:
        """Every per-patient parameter the stages read, registry parameters first, each once."""
        names = [n for stage in self.stages for n in stage.registry_parameters()]
        names += [q.name for stage in self.stages for q in stage.derived_parameters()]
        return tuple(dict.fromkeys(names))

    def initial(self, m: Math, v: Values) -> dict[str, Value]:
        """The untreated state, by state name."""
        return {name: value for stage in self.stages for name, value in stage.initial(m, v).items()}

    def evaluate(self, m: Math, v: Values) -> dict[str, Value]:
        """Every quantity from the states, inputs and parameters in ``v``, stage by stage."""
        known = dict(v)
        for stage in self.stages:
            known.update(stage.values(m, known))
        return {q.name: known[q.name] for q in self.quantities}

    def rates(self, m: Math, v: Values) -> dict[str, Value]:
        """d(state)/dt per hour, by state name, given every value (quantities included) in ``v``."""
        return {name: value for stage in self.stages for name, value in stage.rates(m, v).items()}

    def decay(self, m: Math, v: Values) -> dict[str, Value]:
        """The stiff self-decay rate of every state, by state name."""
        return {name: value for stage in self.stages for name, value in stage.decay(m, v).items()}


SYMPTOM_STAGES: tuple[str, ...] = ("therapy", "comparators", "natural_course", "symptoms", "scales")
"""The stages downstream of the brain: what the forecast integrates for each patient's individual parameters."""


def symptom_part(composition: Composition) -> tuple[Composition, tuple[str, ...]]:
    """The symptom stages of ``composition`` alone, and the drivers they read from upstream.

    The drivers are the readouts and the quantities of the stages upstream of the symptoms; the returned
    composition takes them as inputs (its ``readouts``).
    """
    upstream = [stage for stage in composition.stages if stage.name not in SYMPTOM_STAGES]
    drivers = (*composition.readouts, *(q.name for stage in upstream for q in stage.quantities()))
    stages = tuple(stage for stage in composition.stages if stage.name in SYMPTOM_STAGES)
    return Composition(stages, drivers, composition.signals), drivers


def compose(catalogue: Catalogue) -> Composition:
    """The model for a drug catalogue: receptors, cascade, network, acute effects, therapy, comparators,
    symptoms and rating scales."""
    stages = (
        Receptors.of(catalogue),
        Cascade(),
        Network(),
        Acute.of(catalogue),
        Therapy(),
        Comparators.of(catalogue),
        NaturalCourse(),
        Symptoms(),
        Scales(),
    )
    return Composition(stages, readout_names(catalogue))


@partial(jax.tree_util.register_dataclass, data_fields=["parameters"], meta_fields=["composition", "observed"])
@dataclass(frozen=True)
class Model:
    """A composition with the parameters of a batch of patients (one array of shape (patients,) per parameter).

    Implements the engine's `ketasim.engine.run.NonlinearModel`. ``observed`` names the quantities `observe`
    returns (default: the composition's outputs).
    """

    composition: Composition
    parameters: dict[str, jax.Array]
    observed: tuple[str, ...] = ()

    @property
    def output_names(self) -> tuple[str, ...]:
        """The quantities `observe` returns."""
        return self.observed or self.composition.output_names

    def _values(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: Any) -> dict[str, Any]:
        v: dict[str, Any] = {**self.parameters, **readouts}
        v.update({name: signals[i] for i, name in enumerate(self.composition.signals)})
        v.update({name: state[i] for i, name in enumerate(self.composition.state_names)})
        v.update(self.composition.evaluate(ARRAYS, v))
        return v

    def initial_state(self) -> jax.Array:
        """The untreated state of every patient, shape (states, patients)."""
        initial = self.composition.initial(ARRAYS, self.parameters)
        return jnp.stack([jnp.asarray(initial[name]) for name in self.composition.state_names])

    def decay_rates(self) -> jax.Array:
        """Stiff self-decay rates per hour, shape (states, patients)."""
        decay = self.composition.decay(ARRAYS, self.parameters)
        return jnp.stack([jnp.asarray(decay[name]) for name in self.composition.state_names])

    def derivative(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array) -> jax.Array:
        """d(state)/dt per hour, shape (states, patients)."""
        rates = self.composition.rates(ARRAYS, self._values(state, readouts, signals))
        return jnp.stack([rates[name] for name in self.composition.state_names])

    def observe(self, state: jax.Array, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        """Every output (rating scales as noise-free expected scores), each of shape (patients,)."""
        values = self._values(state, readouts, jnp.zeros(len(self.composition.signals)))
        return {name: values[name] for name in self.output_names}


def individual_parameters(composition: Composition, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
    """Every parameter of ``composition`` for a batch of patients, baselines included, as float64 arrays."""
    return set_parameters(composition, [pset], patients)


def set_parameters(composition: Composition, psets: Sequence[ParameterSet], patients: Any) -> dict[str, np.ndarray]:
    """`individual_parameters` of the same patients with each of ``psets``, set after set: shape (sets x patients,).

    Each set's per-patient values are drawn on their own; the untreated state and the baselines, the costly part,
    are evaluated once for all sets together (elementwise, so every value is the one a set alone gives).
    """
    count = patients.count
    ones = np.ones(count)
    per_set: list[dict[str, np.ndarray]] = []
    for pset in psets:
        values: dict[str, np.ndarray] = {}
        for stage in composition.stages:
            values.update({name: ones * pset[name] for name in stage.registry_parameters()})
        for stage in composition.stages:
            values.update(
                {name: np.asarray(value, dtype=float) for name, value in stage.individual(pset, patients).items()}
            )
        per_set.append(values)
    joined = {name: np.concatenate([values[name] for values in per_set]) for name in per_set[0]}
    total = count * len(per_set)
    baselines = {p: q for stage in composition.stages for p, q in stage.baselines().items()}
    joined.update({name: np.zeros(total) for name in baselines})
    quantities = tuple(sorted(set(baselines.values())))
    untreated = programs.call(_untreated_values, (joined,), {"composition": composition, "quantities": quantities})
    joined.update({name: np.asarray(untreated[quantity], dtype=float) for name, quantity in baselines.items()})
    return joined


@partial(jax.jit, static_argnames=("composition", "quantities"))
def _untreated_values(
    parameters: dict[str, jax.Array], *, composition: Composition, quantities: tuple[str, ...]
) -> dict[str, jax.Array]:
    """The ``quantities`` in the untreated state (no drug, no signal), as one compiled program (kept in the program
    store like the engine's: tracing and lowering it cost a new process 0.1-0.15 s)."""
    state = composition.initial(ARRAYS, parameters)
    zeros = jnp.zeros_like(next(iter(parameters.values())))
    values = composition.evaluate(
        ARRAYS,
        {
            **parameters,
            **state,
            **{name: zeros for name in composition.readouts},
            **{name: 0.0 for name in composition.signals},
        },
    )
    return {name: values[name] for name in quantities}


def build_model(composition: Composition, pset: ParameterSet, patients: Any) -> Model:
    """The model of a batch of patients: the composition with every parameter as a JAX array."""
    return build_model_of_sets(composition, [pset], patients)


def build_model_of_sets(composition: Composition, psets: Sequence[ParameterSet], patients: Any) -> Model:
    """The model of a batch of patients with each of ``psets`` (`set_parameters`), every parameter a JAX array."""
    parameters = set_parameters(composition, psets, patients)
    return Model(composition, dict(zip(parameters, jax.device_put(list(parameters.values())), strict=True)))
