"""Assemble linear compartment matrices from named compartments and flows, for a batch of patients."""

from __future__ import annotations

import numpy as np


class BlockBuilder:
    """Collect compartments and first-order flows of one independent linear block.

    Amounts flow between compartments (``flow``); concentration-like states such as an effect site
    follow a source without taking mass from it (``follow``). Mass leaving the body goes to a sink
    compartment named ``eliminated`` so that mass balance can be checked.
    """

    def __init__(self, patients: int) -> None:
        self.patients = patients
        self.names: list[str] = ["eliminated"]
        self._entries: list[tuple[int, int, np.ndarray]] = []

    def add(self, name: str) -> int:
        """Add a compartment; return its index."""
        if name in self.names:
            raise ValueError(f"compartment {name!r} added twice")
        self.names.append(name)
        return len(self.names) - 1

    def index(self, name: str) -> int:
        """Index of an existing compartment."""
        return self.names.index(name)

    def flow(self, source: str, target: str | None, rate_per_h: np.ndarray | float) -> None:
        """Move amount from ``source`` to ``target`` (None: out of the body) at ``rate_per_h`` × amount."""
        rate = np.broadcast_to(np.asarray(rate_per_h, dtype=float), (self.patients,))
        s = self.index(source)
        t = self.index(target) if target is not None else 0
        self._entries.append((s, s, -rate))
        self._entries.append((t, s, rate))

    def follow(self, target: str, source: str, gain: np.ndarray | float, rate_per_h: np.ndarray | float) -> None:
        """Make ``target`` relax towards ``gain`` × ``source`` at ``rate_per_h`` without moving mass."""
        rate = np.broadcast_to(np.asarray(rate_per_h, dtype=float), (self.patients,))
        gain = np.broadcast_to(np.asarray(gain, dtype=float), (self.patients,))
        t = self.index(target)
        self._entries.append((t, t, -rate))
        self._entries.append((t, self.index(source), rate * gain))

    def matrix(self) -> np.ndarray:
        """The (patients, n, n) system matrix."""
        n = len(self.names)
        a = np.zeros((self.patients, n, n))
        for row, col, values in self._entries:
            a[:, row, col] += values
        return a
