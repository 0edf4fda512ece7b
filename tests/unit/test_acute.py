"""Acute effects: potency weighting, concentration-effect curves and the discharge rule on synthetic curves."""

from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models.acute import (
    AcuteParameters,
    dissociation,
    monitoring_time_h,
    racemic_equivalent_ng_per_ml,
    systolic_bp_change,
)
from ketasim.parameters.mechanism import mechanism_set

P = AcuteParameters.from_parameter_set(mechanism_set())
TIMES = np.arange(0.0, 12.0 + 1e-9, 1.0 / 12.0)  # every 5 min


def test_racemate_counts_as_itself_and_esketamine_as_more() -> None:
    racemate = racemic_equivalent_ng_per_ml({"s_ketamine": jnp.array([50.0]), "r_ketamine": jnp.array([50.0])}, P)
    esketamine = racemic_equivalent_ng_per_ml({"s_ketamine": jnp.array([100.0])}, P)
    arketamine = racemic_equivalent_ng_per_ml({"r_ketamine": jnp.array([100.0])}, P)
    assert float(racemate[0]) == pytest.approx(100.0)
    assert float(esketamine[0]) > float(racemate[0]) > float(arketamine[0])


def test_norketamine_adds_no_dissociation() -> None:
    alone = racemic_equivalent_ng_per_ml({"s_ketamine": jnp.array([80.0])}, P)
    with_metabolite = racemic_equivalent_ng_per_ml(
        {"s_ketamine": jnp.array([80.0]), "s_norketamine": jnp.array([200.0]), "r_norketamine": jnp.array([200.0])}, P
    )
    assert float(with_metabolite[0]) == pytest.approx(float(alone[0]))


def test_unknown_species_is_refused() -> None:
    with pytest.raises(ParameterError, match="dehydronorketamine"):
        racemic_equivalent_ng_per_ml({"dehydronorketamine": jnp.ones(1)}, P)


def test_dissociation_curve() -> None:
    concentrations = jnp.array([0.0, 50.0, 150.0, P.cadss_half_max_ng_per_ml, 5000.0])
    cadss = np.asarray(dissociation(concentrations, P))
    assert cadss[0] == 0.0
    assert np.all(np.diff(cadss) > 0)
    assert cadss[3] == pytest.approx(P.cadss_max_points / 2)
    assert cadss[-1] <= 92.0  # the scale's maximum


def test_dissociation_resolves_at_the_concentrations_left_after_two_hours() -> None:
    # Effect-site racemic ketamine near 185 ng/mL at the end of 0.5 mg/kg over 40 min, about 45 ng/mL at 2.5 h.
    peak, later = np.asarray(dissociation(jnp.array([185.0, 45.0]), P))
    assert 5.0 < peak < 25.0
    assert later < 4.0


def test_blood_pressure_rises_linearly() -> None:
    change = np.asarray(systolic_bp_change(jnp.array([0.0, 100.0, 200.0]), P))
    assert change[0] == 0.0
    assert change[2] == pytest.approx(2 * change[1])
    assert 3.0 < float(systolic_bp_change(jnp.array(170.0), P)) < 15.0


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
