"""A stage of the chain from dose to rating scale: what it holds, reads and defines, and its equations.

A stage declares its states, the quantities it defines (algebraic in states, inputs and parameters), the
per-patient parameters it reads (each with its unit) and the parameters that take the untreated value of a
quantity (``baselines``). Its equations are written once against a `ketasim.models.math.Math` namespace, so the
engine evaluates them on arrays and the SBML export writes them as formulas. `ketasim.models.model` composes the
stages into the model: the one source of the state layout, the output list and the parameter list.

Adding a stage means writing one such class and listing it in the composition; adding an output means defining
it as a quantity of a stage and naming it in the vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ketasim.models.math import Math, Value
from ketasim.parameters.registry import ParameterSet

Values = Mapping[str, Value]


@dataclass(frozen=True)
class Quantity:
    """A named quantity of the model with its unit (as the registry and vocabulary write units) and meaning."""

    name: str
    unit: str
    meaning: str = ""


@dataclass(frozen=True)
class Stage:
    """Base of every stage; subclasses are frozen dataclasses (hashable: the engine compiles once per structure)."""

    name: ClassVar[str] = "stage"

    def states(self) -> tuple[Quantity, ...]:
        """The states the stage holds (each relaxes at a stiff rate given by `decay`)."""
        return ()

    def quantities(self) -> tuple[Quantity, ...]:
        """The quantities the stage defines in `values`, in the order it defines them."""
        return ()

    def registry_parameters(self) -> tuple[str, ...]:
        """Registry parameters the equations read by their registry names (the same value for every patient)."""
        return ()

    def derived_parameters(self) -> tuple[Quantity, ...]:
        """Per-patient parameters derived from the registry and the patients (`individual`) or untreated
        values (`baselines`)."""
        return ()

    def baselines(self) -> dict[str, str]:
        """Derived parameters that take the untreated value of a quantity: parameter name -> quantity name."""
        return {}

    def individual(self, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
        """Per-patient values of the derived parameters but the `baselines`, each of shape ``(patients.count,)``."""
        return {}

    def initial(self, m: Math, v: Values) -> dict[str, Value]:
        """The untreated value of each state."""
        return {}

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        """The stage's quantities from the states, inputs, parameters and earlier stages' quantities in ``v``."""
        return {}

    def rates(self, m: Math, v: Values) -> dict[str, Value]:
        """d(state)/dt per hour of each state."""
        return {}

    def decay(self, m: Math, v: Values) -> dict[str, Value]:
        """The stiff linear self-decay rate of each state per hour (integrated exactly), from parameters only."""
        return {}
