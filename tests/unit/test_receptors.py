"""NMDA occupancy: bounds, the single-site law away from its midpoint and competition between species."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.models.math import ARRAYS
from ketasim.models.pk import effect_site_readout
from ketasim.models.receptors import Receptors
from model_values import CATALOGUE, COMPOSITION, PSET, registry

STAGE = Receptors.of(CATALOGUE)
SPECIES = STAGE.species
KI = {s: PSET[ki] for s, ki in zip(SPECIES, STAGE.ki_parameters, strict=True)}


def occupancy(**concentrations: float) -> float:
    """Occupancy of one patient at the given unbound effect-site concentrations (µM; species not named: 0)."""
    v = {effect_site_readout(s): jnp.array([concentrations.get(s, 0.0)]) for s in SPECIES}
    return float(STAGE.values(ARRAYS, {**v, **registry(STAGE.registry_parameters())})["nmda_occupancy"][0])


def test_every_species_with_a_ki_binds_and_the_ki_values_are_ebert_1997() -> None:
    assert CATALOGUE.acting("nmda_ki") == SPECIES
    assert KI == {"s_ketamine": 0.3, "r_ketamine": 1.4, "s_norketamine": 1.7, "r_norketamine": 13.0}
    assert STAGE in COMPOSITION.stages


def test_no_drug_blocks_nothing() -> None:
    assert occupancy() == 0.0


@pytest.mark.parametrize("species", SPECIES)
@pytest.mark.parametrize(("load", "blocked"), [(3.0 / 7.0, 0.3), (1.0, 0.5), (4.0, 0.8), (19.0, 0.95)])
def test_one_species_follows_the_single_site_law(species: str, load: float, blocked: float) -> None:
    """C/Ki = 3/7 blocks 30 %, 1 blocks 50 %, 4 blocks 80 %: O = C/(C + Ki), a Hill exponent of exactly 1."""
    assert occupancy(**{species: load * KI[species]}) == pytest.approx(blocked, rel=1e-12)


def test_competitors_add_their_loads() -> None:
    # Half of Ki of each of two species loads the site like one species at its Ki.
    assert occupancy(s_ketamine=0.15, r_norketamine=6.5) == pytest.approx(0.5, rel=1e-12)
    # Loads 1 and 3 sum to 4: 80 % (independent sites would give 1 - 0.5 x 0.25 = 87.5 %, a sum of occupancies 125 %).
    assert occupancy(s_ketamine=KI["s_ketamine"], r_ketamine=3.0 * KI["r_ketamine"]) == pytest.approx(0.8, rel=1e-12)
    # Four species, each at its Ki: load 4, occupancy 4/5.
    assert occupancy(**KI) == pytest.approx(0.8, rel=1e-12)


def test_s_ketamine_is_the_most_potent() -> None:
    blocked = {s: occupancy(**{s: 0.2}) for s in SPECIES}
    assert blocked["s_ketamine"] > blocked["r_ketamine"] > blocked["s_norketamine"] > blocked["r_norketamine"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=4, max_size=4))
def test_occupancy_stays_within_bounds_and_grows_with_any_species(values: list[float]) -> None:
    concentrations = dict(zip(SPECIES, values, strict=True))
    blocked = occupancy(**concentrations)
    assert 0.0 <= blocked < 1.0
    load = sum(c / KI[s] for s, c in concentrations.items())
    assert blocked == pytest.approx(load / (1.0 + load), rel=1e-12, abs=1e-15)
    more = dict(concentrations, s_ketamine=concentrations["s_ketamine"] + 0.1)
    assert occupancy(**more) >= blocked


def test_a_new_species_with_a_ki_joins_the_competition() -> None:
    """Drugs are data: a species of a drug entry with an ``nmda_ki`` competes for the site with no code."""
    entry = {
        "drug": "blocker",
        "meaning": "a made-up NMDA blocker",
        "routes": ["iv"],
        "route_parameters": "blocker",
        "components": [{"species": "blocker", "compartments": {"central": "blocker_v"}, "clearance": "blocker_cl"}],
        "species": {"blocker": {"molar_mass": "blocker_mass", "nmda_ki": "blocker_ki"}},
    }
    stage = Receptors.of(CATALOGUE.with_drugs([entry]))
    assert stage.species == (*SPECIES, "blocker") and stage.ki_parameters[-1] == "blocker_ki"
    v = {effect_site_readout(s): jnp.array([KI.get(s, 2.0)]) for s in stage.species}
    v.update(registry(STAGE.registry_parameters()), blocker_ki=2.0)
    np.testing.assert_allclose(np.asarray(stage.values(ARRAYS, v)["nmda_occupancy"]), [5.0 / 6.0], rtol=1e-12)
