"""Exact solution of linear compartment systems by diagonalisation (sums of exponentials).

A linear system dx/dt = A x + B u with piecewise-constant input u is diagonalised once per
patient, A = V diag(λ) V⁻¹. In modal coordinates z = V⁻¹ x every mode evolves on its own:

    z(t + h) = exp(λ h) z(t) + h φ₁(λ h) V⁻¹ B u,      φ₁(x) = (exp(x) − 1) / x,

which is exact for any step h, so doses and infusion edges are stepped onto exactly.
Compartment matrices have real eigenvalues; each independent block (one drug species and its
metabolite) is diagonalised separately and the reconstruction error is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from ketasim.errors import SolverError

RECONSTRUCTION_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ModalSystem:
    """A batch of diagonalised linear systems, one per patient.

    Attributes
    ----------
    eigenvalues
        (patients, states) real eigenvalues λ, per hour.
    to_modal
        (patients, states, states) V⁻¹.
    from_modal
        (patients, states, states) V.
    """

    eigenvalues: np.ndarray
    to_modal: np.ndarray
    from_modal: np.ndarray


def diagonalise(matrix: np.ndarray) -> ModalSystem:
    """Diagonalise a batch of real matrices with real eigenvalues, checking the result.

    Parameters
    ----------
    matrix
        (patients, n, n) system matrices A.

    Raises
    ------
    SolverError
        If a matrix has complex eigenvalues or is too close to defective to diagonalise accurately.
    """
    values, vectors = np.linalg.eig(matrix)
    scale = np.maximum(np.abs(values).max(axis=-1, keepdims=True), 1e-300)
    if np.any(np.abs(values.imag) > 1e-10 * scale):
        raise SolverError("a compartment matrix has complex eigenvalues; check rate constants for sign errors")
    values = values.real
    vectors = vectors.real
    inverse = np.linalg.inv(vectors)
    rebuilt = np.einsum("pij,pj,pjk->pik", vectors, values, inverse)
    error = np.abs(rebuilt - matrix).max(axis=(-2, -1)) / np.maximum(np.abs(matrix).max(axis=(-2, -1)), 1e-300)
    if np.any(error > RECONSTRUCTION_TOLERANCE):
        worst = int(np.argmax(error))
        raise SolverError(
            f"patient {worst}: rate constants nearly coincide (relative reconstruction error {error[worst]:.1e}); "
            "perturb an absorption or transfer rate slightly"
        )
    return ModalSystem(values, inverse, vectors)


def block_diagonal(systems: list[ModalSystem]) -> ModalSystem:
    """Join independent diagonalised blocks into one system with block-diagonal V and V⁻¹."""
    patients = systems[0].eigenvalues.shape[0]
    sizes = [s.eigenvalues.shape[1] for s in systems]
    total = sum(sizes)
    to_modal = np.zeros((patients, total, total))
    from_modal = np.zeros((patients, total, total))
    start = 0
    for system, size in zip(systems, sizes, strict=True):
        block = slice(start, start + size)
        to_modal[:, block, block] = system.to_modal
        from_modal[:, block, block] = system.from_modal
        start += size
    eigenvalues = np.concatenate([s.eigenvalues for s in systems], axis=1)
    return ModalSystem(eigenvalues, to_modal, from_modal)


def phi1(x: jnp.ndarray) -> jnp.ndarray:
    """φ₁(x) = (eˣ − 1)/x, accurate near 0 (where it tends to 1)."""
    small = jnp.abs(x) < 1e-8
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 + x / 2.0, jnp.expm1(safe) / safe)


def propagator(eigenvalues: jnp.ndarray, step_h: float | jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Exact step of modal states: after ``step_h`` hours under a constant modal input rate ``u``,
    ``z ← decay * z + input_gain * u``. Returns ``(decay, input_gain)``."""
    x = eigenvalues * step_h
    return jnp.exp(x), step_h * phi1(x)
