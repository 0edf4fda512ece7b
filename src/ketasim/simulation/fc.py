"""Full functional-connectivity matrices of the region network at chosen times, from a simulation.

The network's two controls are set from the median patient of each arm at each time (median NMDA
occupancy and spine density change, the condition's typical severity), and the FC matrix is solved
exactly from the Lyapunov equation.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from ketasim.engine.jax_setup import configured
from ketasim.models import network
from ketasim.models.cascade import severity_levels
from ketasim.models.math import ARRAYS
from ketasim.protocol import Protocol
from ketasim.protocol.parameter_choice import resolve_parameter_set


@configured
def typical_fc(
    protocol: Protocol, occupancy: ArrayLike, spine_density_change: ArrayLike
) -> tuple[tuple[str, ...], np.ndarray]:
    """Exact FC matrices (regions, array of shape (..., 9, 9)) of the protocol's typical patient (the condition's
    typical severity) at the given NMDA occupancies and spine density changes (%), of any shape."""
    pset = resolve_parameter_set(protocol.population, protocol.catalogue)
    severity = float(severity_levels(pset, 1, protocol.population.condition)[0])
    occupancy = np.asarray(occupancy, dtype=float)
    gain, control = network.controls(
        ARRAYS,
        jnp.asarray(occupancy),
        jnp.asarray(spine_density_change, dtype=float),
        jnp.full(occupancy.shape, severity),
        pset,
    )
    return network.fc_matrix(np.asarray(gain), np.asarray(control), pset)


@configured
def fc_matrices(protocol: Protocol, dataset: xr.Dataset, times_h: Sequence[float]) -> xr.DataArray:
    """FC (correlation) matrices with dims (arm, time, region, region_to) for the median patient of each arm."""
    times = np.asarray(times_h, dtype=float)
    occupancy = dataset["nmda_occupancy"].median("patient").interp(time=times).values
    spines = dataset["spine_density_change"].median("patient").interp(time=times).values
    regions, matrices = typical_fc(protocol, occupancy, spines)
    return xr.DataArray(
        matrices,
        dims=("arm", "time", "region", "region_to"),
        coords={"arm": dataset["arm"].values, "time": times, "region": list(regions), "region_to": list(regions)},
        name="fc",
        attrs={"units": "correlation", "long_name": "functional connectivity of the median patient"},
    )
