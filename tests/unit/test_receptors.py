"""NMDA occupancy: bounds, the single-site law and competition between species."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.errors import ParameterError
from ketasim.models.receptors import SPECIES, ki_from_parameter_set, nmda_occupancy
from ketasim.parameters.mechanism import mechanism_set

KI = ki_from_parameter_set(mechanism_set())


def test_ki_values_are_ebert_1997() -> None:
    assert KI == {"s_ketamine": 0.3, "r_ketamine": 1.4, "s_norketamine": 1.7, "r_norketamine": 13.0}


def test_no_drug_blocks_nothing() -> None:
    occupancy = nmda_occupancy({name: jnp.zeros(3) for name in SPECIES}, KI)
    np.testing.assert_array_equal(np.asarray(occupancy), np.zeros(3))


@pytest.mark.parametrize("species", SPECIES)
def test_concentration_equal_to_ki_blocks_half(species: str) -> None:
    occupancy = nmda_occupancy({species: jnp.array([KI[species]])}, KI)
    np.testing.assert_allclose(np.asarray(occupancy), [0.5], rtol=1e-6)


def test_competitors_add_their_loads() -> None:
    # Half of Ki of each of two species loads the site like one species at its Ki.
    mixture = nmda_occupancy({"s_ketamine": jnp.array([0.15]), "r_norketamine": jnp.array([6.5])}, KI)
    np.testing.assert_allclose(np.asarray(mixture), [0.5], rtol=1e-6)
    # Four species, each at its Ki: load 4, occupancy 4/5.
    everything = nmda_occupancy({name: jnp.array([KI[name]]) for name in SPECIES}, KI)
    np.testing.assert_allclose(np.asarray(everything), [0.8], rtol=1e-6)


def test_s_ketamine_is_the_most_potent() -> None:
    same = jnp.array([0.2])
    blocked = {name: float(nmda_occupancy({name: same}, KI)[0]) for name in SPECIES}
    assert max(blocked, key=lambda name: blocked[name]) == "s_ketamine"
    assert blocked["s_ketamine"] > blocked["r_ketamine"] > blocked["s_norketamine"] > blocked["r_norketamine"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=4, max_size=4))
def test_occupancy_stays_within_bounds_and_grows_with_any_species(values: list[float]) -> None:
    concentrations = {name: jnp.array([v]) for name, v in zip(SPECIES, values, strict=True)}
    occupancy = float(nmda_occupancy(concentrations, KI)[0])
    assert 0.0 <= occupancy < 1.0
    more = dict(concentrations, s_ketamine=concentrations["s_ketamine"] + 0.1)
    assert float(nmda_occupancy(more, KI)[0]) >= occupancy


def test_unknown_species_is_refused() -> None:
    with pytest.raises(ParameterError, match="hydroxynorketamine"):
        nmda_occupancy({"hydroxynorketamine": jnp.ones(1)}, KI)


def test_no_species_is_refused() -> None:
    with pytest.raises(ParameterError):
        nmda_occupancy({}, KI)
