"""Comparators: SERT occupancy, serotonergic adaptation, midazolam sedation cue and expectancy."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.models.comparators import (
    acute_contact,
    conditioning_contact,
    dissociation_cue,
    expectancy_rate,
    felt_drug_effect,
    midazolam_sedation,
    sert_occupancy,
    ssri_rates,
)
from ketasim.parameters.escitalopram import ESCITALOPRAM
from ketasim.parameters.symptom_params import symptoms_set

PSET = symptoms_set()


def test_ten_mg_escitalopram_at_steady_state_occupies_80_percent_of_sert() -> None:
    daily_mg = 10.0
    mean_ng_per_ml = (
        daily_mg
        * ESCITALOPRAM["escitalopram_oral_bioavailability"]
        * 1000
        / 24
        / ESCITALOPRAM["escitalopram_clearance_l_per_h"]
    )
    occupancy = sert_occupancy(jnp.asarray(mean_ng_per_ml), PSET["sert_half_occupancy_ng_per_ml"])
    assert float(occupancy) == pytest.approx(0.8, abs=1e-6)
    doubled = sert_occupancy(jnp.asarray(2 * mean_ng_per_ml), PSET["sert_half_occupancy_ng_per_ml"])
    assert 0.85 < float(doubled) < 0.9  # a plateau at higher doses (Meyer 2004)


def test_occupancy_and_sedation_are_zero_without_drug_and_monotone() -> None:
    c = jnp.linspace(0.0, 200.0, 50)
    for values in (sert_occupancy(c, 3.0), midazolam_sedation(c, 50.0, 2.0)):
        assert float(values[0]) == 0.0
        assert bool(jnp.all(jnp.diff(values) > 0))
        assert float(values[-1]) < 1.0
    assert float(midazolam_sedation(jnp.asarray(50.0), 50.0, 2.0)) == pytest.approx(0.5)
    assert float(sert_occupancy(jnp.asarray(-1.0), 3.0)) == 0.0


def test_serotonergic_adaptation_follows_occupancy_over_weeks() -> None:
    tau_a, tau_p, h = 24.0 * 12, 24.0 * 21, 1.0
    adaptation, slow = 0.0, 0.0
    trace = []
    for _ in range(int(24 * 7 * 8 / h)):
        d_a, d_p = ssri_rates(jnp.asarray(adaptation), jnp.asarray(slow), jnp.asarray(0.8), tau_a, tau_p)
        adaptation, slow = adaptation + h * float(d_a), slow + h * float(d_p)
        trace.append((adaptation, slow))
    week = lambda w: trace[int(24 * 7 * w / h) - 1]  # noqa: E731
    assert week(12 / 7)[0] == pytest.approx(0.8 * (1 - np.exp(-1)), rel=0.01)
    assert week(1)[0] < 0.5 * week(6)[0]
    assert week(2)[1] < week(2)[0]  # the slow gain lags the adaptation
    assert week(8)[1] > 0.8 * week(8)[0]


def test_cues_and_contact() -> None:
    assert float(dissociation_cue(jnp.asarray(8.0), 8.0)) == pytest.approx(0.5)
    assert float(felt_drug_effect(jnp.asarray(0.0), jnp.asarray(0.0))) == 0.0
    assert float(felt_drug_effect(jnp.asarray(0.5), jnp.asarray(0.5))) == pytest.approx(0.75)
    assert float(acute_contact(1.0, 0.0, 0.0, 0.3, 1.5)) == 1.0
    assert float(acute_contact(1.0, 0.0, 1.0, 0.3, 1.5)) == 2.5
    assert float(conditioning_contact(0.0, 1.0, 0.0, 0.3, 0.5)) == 1.0
    assert float(conditioning_contact(1.0, 0.0, 1.0, 0.3, 0.5)) == pytest.approx(0.8)


def test_expectancy_builds_with_contact_and_fades_without() -> None:
    e = 0.0
    for _ in range(60):  # one hour of a visit with a felt drug effect, in minutes
        e += float(expectancy_rate(jnp.asarray(e), jnp.asarray(2.5), jnp.asarray(1.0), 0.35, 168.0)) / 60
    with_cue = e
    e = 0.0
    for _ in range(60):
        e += float(expectancy_rate(jnp.asarray(e), jnp.asarray(1.0), jnp.asarray(1.0), 0.35, 168.0)) / 60
    assert with_cue > 1.8 * e > 0
    decay = float(expectancy_rate(jnp.asarray(0.5), jnp.asarray(0.0), jnp.asarray(1.0), 0.35, 168.0))
    assert decay == pytest.approx(-0.5 / 168.0)
