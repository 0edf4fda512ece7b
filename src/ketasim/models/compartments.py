"""Linear compartment blocks: compartments, first-order flows, followers, doses and readouts.

A block is written once, with values that are either numbers (arrays over patients: the engine assembles the
system matrix and propagates it exactly) or formulas (`ketasim.models.math.Expr`: the SBML export writes
compartments, species and reactions from the same block).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Value = Any  # a number, an array over patients or an `Expr`


@dataclass(frozen=True)
class Flow:
    """Amount moving from ``source`` to ``target`` (None: out of the body) at ``rate_per_h`` × amount."""

    source: str
    target: str | None
    rate_per_h: Value
    kind: str  # "distribution", "elimination", "metabolism", "absorption", "first_pass" or "loss"


@dataclass(frozen=True)
class Follower:
    """A concentration-like state that relaxes towards ``gain`` × amount of ``source`` at ``rate_per_h``, taking
    no mass from it (a brain effect site)."""

    name: str
    source: str
    gain: Value
    rate_per_h: Value


@dataclass
class Block:
    """One independent linear block of a drug component: what the engine propagates exactly.

    ``compartments`` maps each amount compartment (µmol) to its volume (L; None for an absorption depot);
    ``doses`` lists (dose kind, compartment, µmol per unit of dose) and ``readouts`` (readout name, compartment or
    follower, weight), a readout being the weighted sum of amounts.
    """

    name: str
    compartments: dict[str, Value | None] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    followers: list[Follower] = field(default_factory=list)
    doses: list[tuple[Any, str, Value]] = field(default_factory=list)
    readouts: list[tuple[str, str, Value]] = field(default_factory=list)

    @property
    def state_names(self) -> list[str]:
        """Every state of the block: the sink ``eliminated`` (for mass balance), compartments, followers."""
        return ["eliminated", *self.compartments, *(f.name for f in self.followers)]

    def add(self, name: str, volume: Value | None) -> str:
        """Add an amount compartment; return its name."""
        if name in self.compartments:
            raise ValueError(f"compartment {name!r} added twice")
        self.compartments[name] = volume
        return name

    def flow(self, source: str, target: str | None, rate_per_h: Value, kind: str) -> None:
        """Move amount from ``source`` to ``target`` at ``rate_per_h`` × amount."""
        self.flows.append(Flow(source, target, rate_per_h, kind))

    def follow(self, name: str, source: str, gain: Value, rate_per_h: Value) -> None:
        """Make ``name`` relax towards ``gain`` × amount of ``source`` at ``rate_per_h`` without moving mass."""
        self.followers.append(Follower(name, source, gain, rate_per_h))

    def matrix(self, patients: int) -> np.ndarray:
        """The (patients, n, n) system matrix of a block built with numbers."""
        names = self.state_names
        index = {name: i for i, name in enumerate(names)}
        a = np.zeros((patients, len(names), len(names)))

        def per_patient(value: Value) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=float), (patients,))

        for flow in self.flows:
            s, rate = index[flow.source], per_patient(flow.rate_per_h)
            t = index[flow.target] if flow.target is not None else 0
            a[:, s, s] -= rate
            a[:, t, s] += rate
        for follower in self.followers:
            t, rate = index[follower.name], per_patient(follower.rate_per_h)
            a[:, t, t] -= rate
            a[:, t, index[follower.source]] += rate * per_patient(follower.gain)
        return a
