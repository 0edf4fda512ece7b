"""Comparators: SERT occupancy, serotonergic adaptation, midazolam sedation cue and expectancy."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.models.comparators import Comparators, expectancy_rate
from ketasim.models.math import ARRAYS
from ketasim.models.pk import plasma_readout
from ketasim.parameters.escitalopram import ESCITALOPRAM
from model_values import CATALOGUE, PSET, registry

STAGE = Comparators.of(CATALOGUE)
SERT_HALF = PSET["sert_half_occupancy_ng_per_ml"]
SEDATION_HALF, SEDATION_HILL = PSET["midazolam_sedation_half_ng_per_ml"], PSET["midazolam_sedation_hill"]


def comparator_values(**given: Any) -> dict[str, Any]:
    """The stage's inputs: no drug, no dissociation, no visit, states at 0, ceiling 1; ``given`` replaces some."""
    values: dict[str, Any] = {
        **registry(STAGE.registry_parameters()),
        plasma_readout("midazolam"): 0.0,
        plasma_readout("escitalopram"): 0.0,
        "dissociation": 0.0,
        "expectancy_acute": 0.0,
        "expectancy_conditioned": 0.0,
        "ssri_adaptation": 0.0,
        "ssri_plasticity": 0.0,
        "expectancy_ceiling": 1.0,
        "clinic_visit": 0.0,
        "pill": 0.0,
        "in_session": 0.0,
    }
    values.update({name: jnp.asarray(value, dtype=float) for name, value in given.items()})
    return values


def quantities(**given: Any) -> dict[str, np.ndarray]:
    return {name: np.asarray(value) for name, value in STAGE.values(ARRAYS, comparator_values(**given)).items()}


def rates(**given: Any) -> dict[str, np.ndarray]:
    values = comparator_values(**given)
    values.update(STAGE.values(ARRAYS, values))
    return {name: np.asarray(value) for name, value in STAGE.rates(ARRAYS, values).items()}


def test_the_stage_reads_the_sedating_and_sert_blocking_species() -> None:
    assert [s for s, *_ in STAGE.sedating] == ["midazolam"]
    assert [s for s, _ in STAGE.sert] == ["escitalopram"]


def test_ten_mg_escitalopram_at_steady_state_occupies_80_percent_of_sert() -> None:
    daily_mg = 10.0
    mean_ng_per_ml = (
        daily_mg
        * ESCITALOPRAM["escitalopram_oral_bioavailability"]
        * 1000
        / 24
        / ESCITALOPRAM["escitalopram_clearance_l_per_h"]
    )
    occupancy = quantities(plasma_escitalopram=[mean_ng_per_ml, 2 * mean_ng_per_ml])["sert_occupancy"]
    assert occupancy[0] == pytest.approx(0.8, abs=1e-6)
    assert 0.85 < occupancy[1] < 0.9  # a plateau at higher doses (Meyer 2004)


@pytest.mark.parametrize(("load", "fraction"), [(3.0 / 7.0, 0.3), (1.0, 0.5), (4.0, 0.8)])
def test_sert_occupancy_and_sedation_follow_their_one_site_laws(load: float, fraction: float) -> None:
    """SERT: C/C₅₀ = 3/7, 1, 4 block 30, 50, 80 %. Sedation (C/C₅₀)^m/(1 + (C/C₅₀)^m): the same fractions at
    (C/C₅₀)^m = 3/7, 1, 4, so they depend on the Hill coefficient m, not only C₅₀."""
    sert = quantities(plasma_escitalopram=load * SERT_HALF)["sert_occupancy"]
    sedation = quantities(plasma_midazolam=SEDATION_HALF * load ** (1.0 / SEDATION_HILL))["sedation"]
    assert float(sert) == pytest.approx(fraction, rel=1e-12)
    assert float(sedation) == pytest.approx(fraction, rel=1e-12)


def test_occupancy_and_sedation_are_zero_without_drug_and_monotone() -> None:
    c = np.linspace(0.0, 200.0, 50)
    values = quantities(plasma_escitalopram=c, plasma_midazolam=c)
    for name in ("sert_occupancy", "sedation"):
        assert values[name][0] == 0.0
        assert np.all(np.diff(values[name]) > 0)
        assert values[name][-1] < 1.0
    negative = quantities(plasma_escitalopram=-1.0, plasma_midazolam=-1.0)
    assert float(negative["sert_occupancy"]) == 0.0 and float(negative["sedation"]) == 0.0


def test_serotonergic_adaptation_follows_occupancy_over_weeks() -> None:
    tau_a = PSET["ssri_adaptation_time_constant_h"]
    h = 1.0
    adaptation, slow = 0.0, 0.0
    trace = []
    occupied = 4.0 * SERT_HALF  # 80 % of the transporters blocked
    for _ in range(int(24 * 7 * 8 / h)):
        d = rates(plasma_escitalopram=occupied, ssri_adaptation=adaptation, ssri_plasticity=slow)
        adaptation, slow = adaptation + h * float(d["ssri_adaptation"]), slow + h * float(d["ssri_plasticity"])
        trace.append((adaptation, slow))

    def week(w: float) -> tuple[float, float]:
        return trace[int(24 * 7 * w / h) - 1]

    assert week(tau_a / (24 * 7))[0] == pytest.approx(0.8 * (1 - np.exp(-1)), rel=0.01)
    assert week(1)[0] < 0.5 * week(6)[0]
    assert week(2)[1] < week(2)[0]  # the slow gain lags the adaptation
    assert week(8)[1] > 0.8 * week(8)[0]


def test_cues_and_felt_effect() -> None:
    half_cadss = PSET["dissociation_cue_half_cadss"]
    assert float(quantities(dissociation=half_cadss)["dissociation_cue"]) == pytest.approx(0.5)
    assert float(quantities(dissociation=4.0 * half_cadss)["dissociation_cue"]) == pytest.approx(0.8)
    assert float(quantities()["felt_drug_effect"]) == 0.0
    both = quantities(dissociation=half_cadss, plasma_midazolam=SEDATION_HALF)
    assert float(both["felt_drug_effect"]) == pytest.approx(0.75)  # 1 - (1 - 0.5)(1 - 0.5)


@pytest.mark.parametrize(
    ("visit", "session", "pill", "cadss"), [(1.0, 0.0, 0.0, 0.0), (1.0, 1.0, 0.0, 6.0), (0.0, 1.0, 1.0, 0.0)]
)
def test_contact_builds_each_expectancy_by_its_documented_weights(
    visit: float, session: float, pill: float, cadss: float
) -> None:
    """From 0 towards a ceiling of 1: dE/dt = r · contact, with acute contact = visit + w_s · session + w_cue · felt
    effect and conditioning contact = pill + w_v · visit + w_s' · session."""
    d = rates(clinic_visit=visit, in_session=session, pill=pill, dissociation=cadss)
    felt = cadss / (cadss + PSET["dissociation_cue_half_cadss"])
    acute = visit + PSET["expectancy_acute_weight_session"] * session + PSET["expectancy_weight_cue"] * felt
    conditioning = (
        pill
        + PSET["expectancy_conditioned_weight_visit"] * visit
        + PSET["expectancy_conditioned_weight_session"] * session
    )
    assert float(d["expectancy_acute"]) == pytest.approx(PSET["expectancy_acute_build_rate_per_h"] * acute, rel=1e-12)
    assert float(d["expectancy_conditioned"]) == pytest.approx(
        PSET["expectancy_conditioned_build_rate_per_h"] * conditioning, rel=1e-12
    )


def test_expectancy_builds_with_contact_and_fades_without() -> None:
    e = 0.0
    for _ in range(60):  # one hour of a visit with a felt drug effect, in minutes
        e += float(expectancy_rate(jnp.asarray(e), jnp.asarray(2.5), jnp.asarray(1.0), 0.35, 168.0)) / 60
    with_cue = e
    e = 0.0
    for _ in range(60):
        e += float(expectancy_rate(jnp.asarray(e), jnp.asarray(1.0), jnp.asarray(1.0), 0.35, 168.0)) / 60
    assert with_cue > 1.8 * e > 0
    faded = rates(expectancy_acute=0.5, expectancy_conditioned=0.5)
    assert float(faded["expectancy_acute"]) == pytest.approx(-0.5 / PSET["expectancy_acute_time_constant_h"])
    assert float(faded["expectancy_conditioned"]) == pytest.approx(
        -0.5 / PSET["expectancy_conditioned_time_constant_h"]
    )
    # the ceiling caps it: at the patient's ceiling, contact adds nothing
    capped = rates(expectancy_acute=0.7, expectancy_ceiling=0.7, clinic_visit=1.0)
    assert float(capped["expectancy_acute"]) == pytest.approx(-0.7 / PSET["expectancy_acute_time_constant_h"])
