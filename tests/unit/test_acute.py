"""Acute effects: potency weighting, concentration-effect curves away from their midpoint, and the discharge rule on
synthetic curves."""

from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models.acute import Acute, DischargeRule, monitoring_time_h
from ketasim.models.math import ARRAYS
from ketasim.models.pk import effect_site_readout
from model_values import CATALOGUE, PSET, registry

STAGE = Acute.of(CATALOGUE)
P = DischargeRule.from_parameter_set(PSET)
TIMES = np.arange(0.0, 12.0 + 1e-9, 1.0 / 12.0)  # every 5 min


def effects(**total_ng_per_ml: float | list[float]) -> dict[str, np.ndarray]:
    """The stage's quantities at total (bound and unbound) effect-site concentrations in ng/mL per species.

    The stage reads unbound effect-site concentrations in µM, as the pharmacokinetic blocks give them.
    """
    v: dict[str, object] = dict(registry(STAGE.registry_parameters()))
    size = max((np.size(c) for c in total_ng_per_ml.values()), default=1)
    for species, unbound, mass in zip(STAGE.species, STAGE.unbound, STAGE.molar_mass, strict=True):
        total = np.broadcast_to(np.asarray(total_ng_per_ml.get(species, 0.0), dtype=float), (size,))
        v[effect_site_readout(species)] = jnp.asarray(total * PSET[unbound] / PSET[mass])
    return {name: np.asarray(value) for name, value in STAGE.values(ARRAYS, v).items()}


def racemate(ng_per_ml: float | list[float]) -> dict[str, np.ndarray]:
    """Effects of racemic ketamine at a total effect-site concentration (half S-, half R-ketamine)."""
    half = np.asarray(ng_per_ml, dtype=float) / 2.0
    return effects(s_ketamine=list(half.ravel()), r_ketamine=list(half.ravel()))


def test_the_stage_weighs_every_species_with_a_potency() -> None:
    assert STAGE.species == ("s_ketamine", "r_ketamine", "s_norketamine", "r_norketamine")


def test_racemate_counts_as_itself_and_esketamine_as_more() -> None:
    racemic = racemate(100.0)["racemic_equivalent_ng_per_ml"][0]
    esketamine = effects(s_ketamine=100.0)["racemic_equivalent_ng_per_ml"][0]
    arketamine = effects(r_ketamine=100.0)["racemic_equivalent_ng_per_ml"][0]
    assert racemic == pytest.approx(100.0, rel=1e-12)
    assert esketamine == pytest.approx(PSET["dissociation_potency_s_ketamine"] * 100.0, rel=1e-12)
    assert esketamine > racemic > arketamine  # S-ketamine twice the racemate, four times R-ketamine
    assert esketamine == pytest.approx(4.0 * arketamine, rel=1e-12)


def test_norketamine_adds_no_dissociation() -> None:
    alone = effects(s_ketamine=80.0)["racemic_equivalent_ng_per_ml"][0]
    with_metabolite = effects(s_ketamine=80.0, s_norketamine=200.0, r_norketamine=200.0)
    assert with_metabolite["racemic_equivalent_ng_per_ml"][0] == pytest.approx(alone, rel=1e-12)


def test_dissociation_curve() -> None:
    half = PSET["cadss_half_max_ng_per_ml"]
    cadss = racemate([0.0, 50.0, 150.0, half, 5000.0])["dissociation"]
    assert cadss[0] == 0.0
    assert np.all(np.diff(cadss) > 0)
    assert cadss[3] == pytest.approx(PSET["cadss_max_points"] / 2)
    assert cadss[-1] <= 92.0  # the scale's maximum


@pytest.mark.parametrize(("fraction", "ratio"), [(0.3, 3.0 / 7.0), (0.8, 4.0)])
def test_dissociation_is_a_hill_curve_away_from_its_midpoint(fraction: float, ratio: float) -> None:
    """E_max rᵞ/(rᵞ + 1), r = C/EC₅₀: 30 % of E_max at rᵞ = 3/7 and 80 % at rᵞ = 4 (depends on γ, not only EC₅₀)."""
    concentration = PSET["cadss_half_max_ng_per_ml"] * ratio ** (1.0 / PSET["cadss_hill_coefficient"])
    cadss = racemate(concentration)["dissociation"][0]
    assert cadss == pytest.approx(fraction * PSET["cadss_max_points"], rel=1e-12)


def test_dissociation_resolves_at_the_concentrations_left_after_two_hours() -> None:
    # Effect-site racemic ketamine near 185 ng/mL at the end of 0.5 mg/kg over 40 min, about 45 ng/mL at 2.5 h.
    peak, later = racemate([185.0, 45.0])["dissociation"]
    assert 5.0 < peak < 25.0
    assert later < 4.0


def test_blood_pressure_rises_linearly() -> None:
    change = racemate([0.0, 100.0, 200.0])["systolic_bp_change"]
    assert change[0] == 0.0
    assert change[2] == pytest.approx(2 * change[1])
    assert change[1] == pytest.approx(100.0 * PSET["sbp_change_mmhg_per_ng_per_ml"], rel=1e-12)
    assert 3.0 < float(racemate(170.0)["systolic_bp_change"][0]) < 15.0
    # esketamine raises it as its racemic equivalent does
    assert effects(s_ketamine=100.0)["systolic_bp_change"][0] == pytest.approx(
        160.0 * PSET["sbp_change_mmhg_per_ng_per_ml"]
    )


def ramp_down(start_value: float, zero_at_h: float) -> np.ndarray:
    """A curve falling linearly from ``start_value`` at 0 h to 0 at ``zero_at_h``, then 0."""
    return np.clip(start_value * (1.0 - TIMES / zero_at_h), 0.0, None)


def test_quiet_curves_are_discharged_after_the_minimum_observation() -> None:
    quiet = np.zeros((2, TIMES.size))
    result = monitoring_time_h(TIMES, quiet, quiet, [0.0], P)
    assert result.shape == (2, 1)
    np.testing.assert_allclose(result, P.minimum_observation_h)


def test_late_dissociation_delays_discharge_to_its_crossing() -> None:
    # CADSS 20 at 0 h falls to 0 at 4 h: it crosses the threshold 4 at 3.2 h exactly.
    cadss = ramp_down(20.0, 4.0)[None]
    result = monitoring_time_h(TIMES, cadss, np.zeros_like(cadss), [0.0], P)
    expected = 4.0 * (1.0 - P.discharge_cadss_max_points / 20.0)
    assert result[0, 0] == pytest.approx(expected, abs=1e-9)


def test_high_blood_pressure_delays_discharge() -> None:
    sbp = ramp_down(30.0, 4.5)[None]  # crosses +10 mmHg at 3.0 h
    result = monitoring_time_h(TIMES, np.zeros_like(sbp), sbp, [0.0], P)
    assert result[0, 0] == pytest.approx(3.0, abs=1e-9)


def test_the_later_of_the_two_criteria_counts() -> None:
    cadss = ramp_down(20.0, 4.0)[None]  # resolved at 3.2 h
    sbp = ramp_down(30.0, 4.5)[None]  # resolved at 3.0 h
    assert monitoring_time_h(TIMES, cadss, sbp, [0.0], P)[0, 0] == pytest.approx(3.2, abs=1e-9)


def test_a_second_rise_resets_the_clock() -> None:
    cadss = np.zeros(TIMES.size)
    cadss[(TIMES > 2.5) & (TIMES < 3.5)] = 10.0  # dissociation returns between 2.5 and 3.5 h
    result = monitoring_time_h(TIMES, cadss[None], np.zeros((1, TIMES.size)), [0.0], P)
    assert 3.4 < result[0, 0] <= 3.5


def test_unresolved_before_the_next_dose_is_nan_and_each_dose_is_timed_from_its_start() -> None:
    cadss = np.where(TIMES < 6.0, 10.0, 0.0)  # never resolves before the dose at 6 h
    result = monitoring_time_h(TIMES, cadss[None], np.zeros((1, TIMES.size)), [6.0, 0.0], P)
    assert result[0, 0] == pytest.approx(P.minimum_observation_h)  # columns keep the order of dose_times_h
    assert np.isnan(result[0, 1])


def test_record_ending_before_the_minimum_observation_is_nan() -> None:
    short = TIMES[TIMES <= 1.0]
    result = monitoring_time_h(short, np.zeros((1, short.size)), np.zeros((1, short.size)), [0.0], P)
    assert np.isnan(result[0, 0])


def test_a_stricter_threshold_lengthens_monitoring() -> None:
    cadss = ramp_down(20.0, 4.0)[None]
    strict = replace(P, discharge_cadss_max_points=1.0)
    loose = monitoring_time_h(TIMES, cadss, np.zeros_like(cadss), [0.0], P)[0, 0]
    assert monitoring_time_h(TIMES, cadss, np.zeros_like(cadss), [0.0], strict)[0, 0] > loose


def test_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ParameterError, match="shape"):
        monitoring_time_h(TIMES, np.zeros((1, 5)), np.zeros((1, 5)), [0.0], P)
