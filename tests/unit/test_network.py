"""Unit tests of the DMN network: controls, directions, calibration, surrogate lookup, FC matrices, heatmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ketasim.errors import ParameterError
from ketasim.models import network
from ketasim.models.math import ARRAYS
from ketasim.parameters import parameter_set
from ketasim.parameters.mechanism import mechanism_set
from ketasim.parameters.network_params import NETWORK
from ketasim.parameters.registry import merge
from model_values import parameters, patients

P = merge("network-test", "network and mechanism parameters", NETWORK, mechanism_set())
TRD = P["typical_severity_trd"]


@pytest.fixture(scope="module")
def table() -> network.NetworkTable:
    return network.tabulate(P, points=(63, 61))


def pcc_mpfc_z(occupancy: float, spines_pct: float, severity: float) -> float:
    """Exact PCC-mPFC Fisher z for one person's mechanism state."""
    gain, control = network.controls(ARRAYS, jnp.array([occupancy]), jnp.array([spines_pct]), jnp.array([severity]), P)
    _, fc = network.fc_matrix(np.asarray(gain), np.asarray(control), P)
    return float(network.readouts(fc)[0][0])


def test_controls_are_vectorised_and_healthy_at_rest() -> None:
    n = 5
    gain, control = network.controls(ARRAYS, jnp.zeros(n), jnp.zeros(n), jnp.zeros(n), P)
    assert gain.shape == control.shape == (n,)
    np.testing.assert_allclose(gain, P["dmn_gain_healthy"], rtol=1e-6)
    np.testing.assert_allclose(control, P["prefrontal_control_healthy"], rtol=1e-6)


def test_controls_move_the_right_way_and_are_smooth() -> None:
    base = (jnp.array([0.2]), jnp.array([5.0]), jnp.array([TRD]))
    for argument, gain_sign, control_sign in ((0, -1, 0), (1, 0, 1), (2, 1, -1)):
        gain_slope = jax.grad(lambda x, a=argument: network.controls(ARRAYS, *_replace(base, a, x), P)[0].sum())(
            base[argument]
        )
        control_slope = jax.grad(lambda x, a=argument: network.controls(ARRAYS, *_replace(base, a, x), P)[1].sum())(
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
    gain, control = network.controls(ARRAYS, jnp.zeros(2), jnp.zeros(2), jnp.array([0.0, TRD]), P)
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


def test_surrogate_is_a_closed_form_without_table_reads(table: network.NetworkTable) -> None:
    """No gather or dynamic indexing, with its parameters as inputs: the surrogate is arithmetic, so it traces into
    SBML and new parameter values never recompile."""
    jaxpr = jax.make_jaxpr(lambda g, c, v: network.surrogate(ARRAYS, g, c, v))(
        jnp.array([0.8]), jnp.array([0.2]), {k: jnp.asarray(x) for k, x in network.table_parameters(table).items()}
    )
    primitives = {equation.primitive.name for equation in jaxpr.jaxpr.eqns}
    assert not primitives & {"gather", "dynamic_slice", "scatter", "while", "cond"}


def test_jitted_surrogate_matches_the_exact_lyapunov_solve_across_the_controls(table: network.NetworkTable) -> None:
    """Off the grid, all over the rectangle of both controls: the surrogate against the exact solve, point by point."""
    rng = np.random.default_rng(5)
    gains = rng.uniform(float(table.dmn_gain[0]), float(table.dmn_gain[-1]), 1000)
    controls = rng.uniform(float(table.prefrontal_control[0]), float(table.prefrontal_control[-1]), 1000)
    surrogate = jax.jit(lambda g, c, v: network.surrogate(ARRAYS, g, c, v))
    values = surrogate(jnp.asarray(gains), jnp.asarray(controls), network.table_parameters(table))
    _, fc = network.fc_matrix(gains, controls, P)
    exact_z, core = network.readouts(fc)
    np.testing.assert_allclose(np.asarray(values["dmn_connectivity"]), exact_z, atol=5e-5)
    np.testing.assert_allclose(np.asarray(values["rumination"]), network.rumination_index(core, P), atol=5e-4)
    assert np.ptp(exact_z) > 0.5  # the points span a wide range of connectivity


# (occupancy, spine density change %, severity): rest, typical TRD, during an infusion, day 1, and mixtures
MECHANISM_STATES = [
    (0.0, 0.0, 0.0),
    (0.0, 0.0, TRD),
    (0.41, 0.0, TRD),
    (0.0, 15.0, TRD),
    (0.2, 30.0, 0.6),
    (0.9, -5.0, 1.0),
    (0.05, 40.0, 0.0),
    (0.6, 20.0, 0.4),
]


def test_network_stage_matches_the_exact_lyapunov_solve_at_its_documented_controls() -> None:
    """The stage as the model evaluates it (controls, then the surrogate from its table parameters) against the
    documented controls and an exact Lyapunov solve at them, at states across the range of each control."""
    pset = parameter_set("default")
    occupancy, spines, severity = (np.array(column) for column in zip(*MECHANISM_STATES, strict=True))
    n = len(MECHANISM_STATES)
    values = {**parameters(patients(n, "trd")), "nmda_occupancy": occupancy, "spine_density_change": spines}
    values["severity"] = severity
    out = network.Network().values(ARRAYS, values)
    gain = (
        pset["dmn_gain_healthy"]
        * np.exp(pset["dmn_gain_log_increase_per_severity"] * severity)
        * (1.0 - pset["dmn_gain_reduction_per_occupancy"] * occupancy)
    )
    control = pset["prefrontal_control_healthy"] * np.exp(
        -pset["prefrontal_control_log_decrease_per_severity"] * severity
        + pset["prefrontal_control_log_increase_per_spine_pct"] * spines
    )
    np.testing.assert_allclose(np.asarray(out["dmn_gain"]), gain, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(out["prefrontal_control"]), control, rtol=1e-12)
    _, fc = network.fc_matrix(gain, control, pset)
    exact_z, core = network.readouts(fc)
    np.testing.assert_allclose(np.asarray(out["dmn_connectivity"]), exact_z, atol=5e-5)
    np.testing.assert_allclose(np.asarray(out["rumination"]), network.rumination_index(core, pset), atol=5e-4)
    baseline = values["baseline_dmn_connectivity"]
    np.testing.assert_allclose(np.asarray(out["dmn_connectivity_change"]), exact_z - baseline, atol=5e-5)
    # the patients' baseline is the exact untreated connectivity of their (typical TRD) severity
    untreated = network.readouts(network.fc_matrix(*network.controls(ARRAYS, 0.0, 0.0, TRD, pset), pset)[1])[0]
    np.testing.assert_allclose(baseline, float(untreated), atol=5e-5)


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
