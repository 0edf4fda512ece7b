"""Per-patient random numbers that do not depend on chunking or workers: a counter-based hash.

Each uniform is a pure function of (seed, arm, patient, stream, draw), computed with the SplitMix64
finaliser, so any chunk of patients gets exactly the numbers it would get in any other chunking.
"""

from __future__ import annotations

import numpy as np

MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray | np.uint64) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on 64-bit integers with good avalanche."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray(x ^ (x >> np.uint64(31)))


def uniforms(seed: int, arm: int, patients: np.ndarray, stream: int, draws: int = 1) -> np.ndarray:
    """Uniform numbers in (0, 1), shape (len(patients), draws), one independent stream per patient.

    Parameters
    ----------
    seed, arm
        The protocol's root seed and the arm index.
    patients
        Patient indices within the arm.
    stream
        Which use of randomness (covariates, variability, rater noise, ...), so uses never share numbers.
    draws
        How many numbers per patient.
    """
    with np.errstate(over="ignore"):
        key = _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * GOLDEN + np.uint64(arm))
        key = _mix(key ^ (np.uint64(stream) * GOLDEN))
        base = _mix(key ^ (np.asarray(patients, dtype=np.uint64) * GOLDEN))
        counters = base[:, None] + (np.arange(1, draws + 1, dtype=np.uint64) * GOLDEN)[None, :]
        bits = _mix(counters) >> np.uint64(11)
    return (bits.astype(np.float64) + 0.5) / 2.0**53
