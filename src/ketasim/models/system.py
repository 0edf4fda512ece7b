"""Assemble the linear part of an arm for a batch of patients: diagonalised blocks, dose kinds and readouts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ketasim.engine.linear import block_diagonal, diagonalise
from ketasim.engine.run import LinearProblem
from ketasim.models.compartments import Block
from ketasim.models.pk import DoseKind


def assemble(
    blocks: Sequence[Block], kinds: Sequence[DoseKind], readouts: tuple[str, ...], patients: int
) -> LinearProblem:
    """Diagonalise every block (built with numbers) and lay out dose-kind vectors and readouts on the joined state."""
    blocks = list(blocks) or [Block("empty")]
    offsets = np.cumsum([0] + [len(b.state_names) for b in blocks])
    states = int(offsets[-1])
    system = block_diagonal([diagonalise(b.matrix(patients)) for b in blocks])
    kind_vectors = np.zeros((len(kinds), patients, states))
    readout = np.zeros((patients, len(readouts), states))
    for number, block in enumerate(blocks):
        index = {name: offsets[number] + i for i, name in enumerate(block.state_names)}
        for kind, compartment, amount in block.doses:
            if kind in kinds:
                kind_vectors[list(kinds).index(kind), :, index[compartment]] += amount
        for name, state, weight in block.readouts:
            readout[:, readouts.index(name), index[state]] += weight
    return LinearProblem(system, kind_vectors, readouts, readout)
