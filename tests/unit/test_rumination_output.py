"""The rumination index is an output: in the vocabulary, simulated with its unit, falling after ketamine and recovering.

Model values for the typical TRD patient after 0.5 mg/kg over 40 min (docs/network.md): 1 before treatment, about
-0.3 at 24 h (spines about +15 %), about 0.8 at day 10 and 0.94 at day 14 as the new spines decay.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from ketasim.models import network
from ketasim.models.math import ARRAYS
from ketasim.models.model import compose
from ketasim.models.network import Network, network_table
from ketasim.parameters.catalogue import default_catalogue
from ketasim.protocol import load_protocol
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.simulation.run import simulate
from ketasim.vocabulary import OUTPUTS

TIMES_H = (0.0, 0.5, 24.0, 48.0, 7 * 24.0, 10 * 24.0, 14 * 24.0, 21 * 24.0)
PROTOCOL = {
    "ketasim": 1,
    "name": "rumination after one infusion",
    "duration": "21 d",
    "population": {"size": 1, "condition": "trd", "variability": False},
    "arms": [
        {
            "name": "ketamine",
            "treatments": [
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
            ],
        },
        {"name": "placebo", "treatments": [{"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}]},
    ],
    "observe": {
        "every": [f"{t:g} h" for t in TIMES_H],
        "outputs": ["rumination", "nmda_occupancy", "spine_density_change", "madrs"],
    },
}


@pytest.fixture(scope="module")
def dataset() -> xr.Dataset:
    return simulate(load_protocol(PROTOCOL))


def at(dataset: xr.Dataset, arm: str, hours: float) -> float:
    """The rumination index of the arm's one patient at a time of the grid."""
    return float(dataset["rumination"].sel(arm=arm, time=hours).values[0])


def test_rumination_is_in_the_vocabulary_and_an_output_of_the_network_stage() -> None:
    assert OUTPUTS["rumination"].unit == "1"
    assert "healthy" in OUTPUTS["rumination"].meaning
    assert "rumination" in {q.name for q in Network().quantities()}
    assert "rumination" in compose(default_catalogue()).output_names


def test_simulate_returns_rumination_with_its_unit_and_meaning(dataset: xr.Dataset) -> None:
    variable = dataset["rumination"]
    assert variable.dims == ("arm", "patient", "time")
    assert variable.attrs["units"] == OUTPUTS["rumination"].unit
    assert variable.attrs["long_name"] == OUTPUTS["rumination"].meaning
    assert np.all(np.isfinite(variable.values))


def test_rumination_is_the_network_readout_at_the_simulated_controls(dataset: xr.Dataset) -> None:
    """The output is the network's second readout (not the connectivity, not a copy of the baseline)."""
    pset = resolve_parameter_set(load_protocol(PROTOCOL).population, default_catalogue())
    arm = dataset.sel(arm="ketamine")
    occupancy = jnp.asarray(arm["nmda_occupancy"].values[0])
    spines = jnp.asarray(arm["spine_density_change"].values[0])
    severity = jnp.full(occupancy.shape, pset["typical_severity_trd"])
    controls = network.controls(ARRAYS, occupancy, spines, severity, pset)
    _, expected = network.lookup(network_table(pset), *controls)
    np.testing.assert_allclose(arm["rumination"].values[0], np.asarray(expected), atol=1e-6)


def test_untreated_typical_trd_reads_one_throughout(dataset: xr.Dataset) -> None:
    """The index is normalised so the untreated typical TRD patient reads 1; placebo does not move it."""
    assert at(dataset, "ketamine", 0.0) == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(dataset["rumination"].sel(arm="placebo").values, 1.0, atol=1e-3)


def test_ketamine_lowers_rumination_at_24h_and_it_returns_by_day_14(dataset: xr.Dataset) -> None:
    baseline = at(dataset, "placebo", 24.0)
    day1 = at(dataset, "ketamine", 24.0)
    assert day1 < baseline - 0.5  # model: about -0.3 against 1
    assert at(dataset, "ketamine", 0.5) < baseline - 0.5  # during the infusion, through NMDA blockade
    drop = baseline - day1
    day10, day14, day21 = (at(dataset, "ketamine", 24.0 * d) for d in (10, 14, 21))
    assert baseline - day10 < 0.3 * drop  # model: about 14 % of the day-1 drop is left
    assert abs(day14 - baseline) < 0.15  # model: 0.94
    assert abs(day21 - baseline) < 0.05  # model: 0.99
    assert day10 < day14 < day21 <= baseline + 1e-3  # recovery is monotone from below


def test_rumination_falls_with_madrs(dataset: xr.Dataset) -> None:
    """At 24 h both rumination and MADRS are lower after ketamine than after placebo."""
    day1 = dataset.sel(time=24.0, patient=dataset["patient"].values[0])
    assert float(day1["rumination"].sel(arm="ketamine")) < float(day1["rumination"].sel(arm="placebo"))
    assert float(day1["madrs"].sel(arm="ketamine")) < float(day1["madrs"].sel(arm="placebo"))
