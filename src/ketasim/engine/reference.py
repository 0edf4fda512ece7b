"""An independent reference solver: scipy's general-purpose integrators, one patient at a time.

Used by the verification tests and the benchmarks to check and time the exact engine; it is slow
by design and not used for simulation.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ketasim.engine.grid import TimeGrid
from ketasim.engine.run import Schedule


def reference_amounts(
    matrix: np.ndarray,
    kind_vectors: np.ndarray,
    schedule: Schedule,
    grid: TimeGrid,
    method: str = "DOP853",
    rtol: float = 1e-12,
    atol: float = 1e-15,
) -> np.ndarray:
    """Solve dx/dt = A x + inputs for one patient with scipy; states at the observation times.

    Parameters
    ----------
    matrix
        (n, n) system matrix of the patient.
    kind_vectors
        (kinds, n) state change of one unit of each dose kind for the patient.
    schedule, grid
        The same inputs and grid the engine uses; a bolus at a grid point counts from that point on.
    method, rtol, atol
        scipy `solve_ivp` settings.
    """
    times = grid.times_h
    x = np.zeros(matrix.shape[0])
    states = []
    for k in range(len(times) - 1):
        x = x + schedule.boluses[k] @ kind_vectors
        states.append(x)
        u = schedule.infusion_rates[k] @ kind_vectors
        solution = solve_ivp(
            lambda _t, y, u=u: matrix @ y + u, (times[k], times[k + 1]), x, method=method, rtol=rtol, atol=atol
        )
        x = solution.y[:, -1]
    states.append(x)
    return np.array(states)[grid.observation_index]
