"""Unit tests of the DMN network: controls, directions, calibration, surrogate lookup, FC matrices, heatmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models import network
from ketasim.parameters.mechanism import mechanism_set
from ketasim.parameters.network_params import NETWORK
from ketasim.parameters.registry import merge

P = merge("network-test", "network and mechanism parameters", NETWORK, mechanism_set())
TRD = P["typical_severity_trd"]


@pytest.fixture(scope="module")
def table() -> network.NetworkTable:
    return network.tabulate(P, points=(63, 61))


def pcc_mpfc_z(occupancy: float, spines_pct: float, severity: float) -> float:
    """Exact PCC-mPFC Fisher z for one person's mechanism state."""
    gain, control = network.controls(jnp.array([occupancy]), jnp.array([spines_pct]), jnp.array([severity]), P)
    _, fc = network.fc_matrix(np.asarray(gain), np.asarray(control), P)
    return float(network.readouts(fc)[0][0])


def test_controls_are_vectorised_and_healthy_at_rest() -> None:
    n = 5
    gain, control = network.controls(jnp.zeros(n), jnp.zeros(n), jnp.zeros(n), P)
    assert gain.shape == control.shape == (n,)
    np.testing.assert_allclose(gain, P["dmn_gain_healthy"], rtol=1e-6)
    np.testing.assert_allclose(control, P["prefrontal_control_healthy"], rtol=1e-6)


def test_controls_move_the_right_way_and_are_smooth() -> None:
    base = (jnp.array([0.2]), jnp.array([5.0]), jnp.array([TRD]))
    for argument, gain_sign, control_sign in ((0, -1, 0), (1, 0, 1), (2, 1, -1)):
        gain_slope = jax.grad(lambda x, a=argument: network.controls(*_replace(base, a, x), P)[0].sum())(base[argument])
        control_slope = jax.grad(lambda x, a=argument: network.controls(*_replace(base, a, x), P)[1].sum())(
            base[argument]
        )
        assert np.sign(float(gain_slope[0])) == gain_sign
        assert np.sign(float(control_slope[0])) == control_sign


def _replace(values: tuple[jax.Array, ...], index: int, new: jax.Array) -> tuple[jax.Array, ...]:
    return tuple(new if i == index else v for i, v in enumerate(values))


def test_pcc_mpfc_fc_rises_with_dmn_gain_and_falls_with_prefrontal_control(table: network.NetworkTable) -> None:
    assert np.all(np.diff(np.asarray(table.fc_z), axis=0) > 0)
    assert np.all(np.diff(np.asarray(table.fc_z), axis=1) < 0)
    assert np.all(np.diff(np.asarray(table.rumination), axis=0) > 0)
    assert np.all(np.diff(np.asarray(table.rumination), axis=1) < 0)


def test_depression_raises_baseline_fc_by_a_small_effect() -> None:
    excess = pcc_mpfc_z(0.0, 0.0, TRD) - pcc_mpfc_z(0.0, 0.0, 0.0)
    assert 0.05 < excess < 0.15


def test_rumination_index_is_zero_when_healthy_and_one_in_typical_trd(table: network.NetworkTable) -> None:
    gain, control = network.controls(jnp.zeros(2), jnp.zeros(2), jnp.array([0.0, TRD]), P)
    _, fc = network.fc_matrix(np.asarray(gain), np.asarray(control), P)
    exact = network.rumination_index(network.readouts(fc)[1], P)
    np.testing.assert_allclose(exact, [0.0, 1.0], atol=1e-9)
    _, looked_up = network.lookup(table, gain, control)
    np.testing.assert_allclose(np.asarray(looked_up), [0.0, 1.0], atol=5e-4)


def test_calibration_day_one_and_day_ten_after_a_single_infusion() -> None:
    """Typical TRD: about +15 % spines at 24 h give about -0.12 z; the spine remainder at day 10 gives under 0.04."""
    baseline = pcc_mpfc_z(0.0, 0.0, TRD)
    day_one = pcc_mpfc_z(0.0, 15.0, TRD) - baseline
    assert -0.30 < day_one < -0.03
    assert day_one == pytest.approx(-0.12, abs=0.03)
    for decay_days in (3.0, 5.0, 7.0):
        remainder = 15.0 * np.exp(-(10.0 - 1.0) / decay_days)
        assert abs(pcc_mpfc_z(0.0, remainder, TRD) - baseline) < 0.04


def test_nmda_blockade_lowers_fc_acutely() -> None:
    assert pcc_mpfc_z(0.5, 0.0, TRD) < pcc_mpfc_z(0.0, 0.0, TRD) - 0.05


def test_lookup_matches_the_exact_grid_within_surrogate_accuracy_and_clamps_outside(
    table: network.NetworkTable,
) -> None:
    """The surrogate is within 5e-5 Fisher z and 5e-4 rumination units of the exact solve at every grid point."""
    gains, controls = jnp.meshgrid(table.dmn_gain, table.prefrontal_control, indexing="ij")
    z, r = network.lookup(table, gains, controls)
    np.testing.assert_allclose(np.asarray(z), np.asarray(table.fc_z), atol=5e-5)
    np.testing.assert_allclose(np.asarray(r), np.asarray(table.rumination), atol=5e-4)
    below, _ = network.lookup(table, table.dmn_gain[0] - 1.0, table.prefrontal_control[-1] + 5.0)
    assert float(below) == pytest.approx(float(table.fc_z[0, -1]), abs=5e-5)
    edge, _ = network.lookup(table, table.dmn_gain[0], table.prefrontal_control[-1])
    assert float(below) == float(edge)


def test_lookup_is_a_closed_form_without_table_reads(table: network.NetworkTable) -> None:
    """No gather or dynamic indexing: the surrogate is arithmetic, so it traces into SBML."""
    jaxpr = jax.make_jaxpr(network.lookup)(table, jnp.array([0.8]), jnp.array([0.2]))
    primitives = {equation.primitive.name for equation in jaxpr.jaxpr.eqns}
    assert not primitives & {"gather", "dynamic_slice", "scatter", "while", "cond"}


def test_lookup_is_jittable_over_patients(table: network.NetworkTable) -> None:
    gains = jnp.linspace(0.4, 0.9, 1000)
    controls = jnp.linspace(1.0, 0.1, 1000)
    z, r = jax.jit(network.lookup)(table, gains, controls)
    assert z.shape == r.shape == (1000,)
    assert bool(jnp.all(jnp.isfinite(z)))


def test_fc_matrix_is_a_correlation_matrix_with_anticorrelated_control() -> None:
    regions, fc = network.fc_matrix(np.array([0.6, 0.85]), np.array([0.3, 0.1]), P)
    assert regions == network.REGIONS and fc.shape == (2, 9, 9)
    np.testing.assert_allclose(fc, np.swapaxes(fc, -1, -2), atol=1e-12)
    np.testing.assert_allclose(np.diagonal(fc, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(fc) > 0)
    assert np.all(fc[:, regions.index("PCC"), regions.index("dlPFC")] < 0)


def test_fc_does_not_depend_on_the_time_constant() -> None:
    slow = P.with_overrides({"network_time_constant_s": 7.0})
    _, fast_fc = network.fc_matrix(0.8, 0.2, P)
    _, slow_fc = network.fc_matrix(0.8, 0.2, slow)
    np.testing.assert_allclose(slow_fc, fast_fc, atol=1e-10)


def test_unstable_controls_are_refused() -> None:
    with pytest.raises(ParameterError, match="unstable"):
        network.fc_matrix(1.5, 0.0, P)


def test_heatmap_labels_and_fixed_colour_range() -> None:
    regions, fc = network.fc_matrix(0.8, 0.2, P)
    figure = network.fc_heatmap(fc, regions, "typical TRD at baseline")
    heatmap = figure.data[0]
    assert list(heatmap.x) == list(regions) and (heatmap.zmin, heatmap.zmax) == (-1.0, 1.0)
    assert figure.layout.title.text == "typical TRD at baseline"


def test_parameter_set_is_named_and_fully_cited() -> None:
    assert NETWORK.name == "network"
    assert len(NETWORK.cited()) >= 1
    assert all(p.confidence in ("high", "medium", "low") and p.note for p in NETWORK.parameters.values())
