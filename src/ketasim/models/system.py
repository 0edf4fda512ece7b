"""Assemble the model of one arm for a chunk of patients: linear blocks, dose kinds and readouts."""

from __future__ import annotations

import numpy as np

from ketasim.engine.linear import block_diagonal, diagonalise
from ketasim.engine.run import LinearProblem
from ketasim.models.compartments import BlockBuilder
from ketasim.models.pk import PK_READOUTS, DoseKind, PKSystem


def assemble(pk: PKSystem, kinds: list[DoseKind], patients: int) -> LinearProblem:
    """Diagonalise every block and lay out dose-kind vectors and readouts on the joined state."""
    blocks = pk.blocks or [BlockBuilder(patients)]
    offsets = np.cumsum([0] + [len(b.names) for b in blocks])
    states = int(offsets[-1])
    system = block_diagonal([diagonalise(b.matrix()) for b in blocks])
    kind_vectors = np.zeros((len(kinds), patients, states))
    for k, kind in enumerate(kinds):
        for block, compartment, amount in pk.kind_entries[kind]:
            kind_vectors[k, :, offsets[block] + blocks[block].index(compartment)] += amount
    readout = np.zeros((patients, len(PK_READOUTS), states))
    for r, name in enumerate(PK_READOUTS):
        for block, compartment, weight in pk.readout_entries.get(name, []):
            readout[:, r, offsets[block] + blocks[block].index(compartment)] += weight
    return LinearProblem(system, kind_vectors, PK_READOUTS, readout)
