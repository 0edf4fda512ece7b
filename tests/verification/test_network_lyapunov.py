"""The Lyapunov FC of the DMN network against an Euler-Maruyama simulation, scipy, and the lookup table.

The simulation tolerance comes from the effective sample size of a correlation between autocorrelated series
(Bartlett's asymptotic variance, evaluated with the model's exact lagged correlations; see Afyouni, Smith and
Nichols 2019 NeuroImage 199:609, doi:10.1016/j.neuroimage.2019.05.011). The step is chosen so that the
Euler-Maruyama discretisation bias (computed exactly from the discrete Lyapunov equation) stays below half
a standard error.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from ketasim.models import network
from ketasim.models.math import ARRAYS
from ketasim.parameters.mechanism import mechanism_set
from ketasim.parameters.network_params import NETWORK
from ketasim.parameters.registry import merge

DT_S = 0.01
CHAINS = 800
STEPS = 12_000  # 120 s per chain, about 20 times the slowest correlation time
BLOCK = 1_000
MAX_SCORE = 5.0  # in standard errors, over 36 region pairs
P = merge("network-test", "network and mechanism parameters", NETWORK, mechanism_set())


def typical_trd_drift() -> tuple[np.ndarray, np.ndarray]:
    """Drift and noise matrices of the untreated typical TRD patient."""
    gain, control = network.controls(ARRAYS, jnp.zeros(1), jnp.zeros(1), jnp.full(1, P["typical_severity_trd"]), P)
    return network.drift_matrix(float(gain[0]), float(control[0]), P), network.noise_matrix(P)


def bartlett_variance(drift: np.ndarray, covariance: np.ndarray, dt: float, horizon_s: float) -> np.ndarray:
    """Asymptotic N·var(r) of every sample correlation r_ij from series sampled every ``dt`` (Bartlett 1946)."""
    lags = np.arange(int(horizon_s / dt) + 1) * dt
    eigenvalues, vectors = np.linalg.eig(drift)
    propagators = ((vectors * np.exp(eigenvalues * lags[:, None])[:, None, :]) @ np.linalg.inv(vectors)).real
    sd = np.sqrt(np.diag(covariance))
    lagged = propagators @ covariance / np.outer(sd, sd)
    # lagged[k, j, i] = corr(x_j(t + k dt), x_i(t))
    diagonal = np.diagonal(lagged, axis1=1, axis2=2)
    xx, yy = diagonal[:, :, None], diagonal[:, None, :]
    xy, yx = np.swapaxes(lagged, 1, 2), lagged  # corr(x_i(t), x_j(t+k)), corr(x_j(t), x_i(t+k))
    rho = lagged[0]

    def term(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return xx * yy + a * b - 2 * rho * (xx * a + yy * b) + rho**2 / 2 * (xx**2 + yy**2 + a**2 + b**2)

    positive, negative = term(xy, yx), term(yx, xy)  # lag -k swaps the two cross-correlations
    return positive[0] + positive[1:].sum(axis=0) + negative[1:].sum(axis=0)


def simulate_covariance(drift: np.ndarray, noise: np.ndarray, start: np.ndarray, seed: int) -> np.ndarray:
    """Pooled second moment of a seeded Euler-Maruyama run of many chains started from the stationary law."""
    rng = np.random.default_rng(seed)
    n = drift.shape[0]
    transition = (np.eye(n) + drift * DT_S).T
    noise_factor = np.linalg.cholesky(noise * DT_S).T
    x = rng.standard_normal((CHAINS, n)) @ np.linalg.cholesky(start).T
    moment = np.zeros((n, n))
    path = np.empty((BLOCK, CHAINS, n))
    for _ in range(STEPS // BLOCK):
        kicks = rng.standard_normal((BLOCK, CHAINS, n)) @ noise_factor
        for s in range(BLOCK):
            x = x @ transition + kicks[s]
            path[s] = x
        flat = path.reshape(-1, n)
        moment += flat.T @ flat
    return moment / (STEPS * CHAINS)


def test_lyapunov_fc_matches_euler_maruyama_within_sampling_error() -> None:
    drift, noise = typical_trd_drift()
    covariance = network.stationary_covariance(drift, noise)
    exact = network.correlation(covariance)
    samples = STEPS * CHAINS
    pairs = np.triu_indices(len(network.REGIONS), k=1)
    standard_error = np.sqrt(bartlett_variance(drift, covariance, DT_S, horizon_s=150.0)[pairs] / samples)

    discrete = scipy.linalg.solve_discrete_lyapunov(np.eye(len(noise)) + drift * DT_S, noise * DT_S)
    bias = np.abs(network.correlation(discrete) - exact)[pairs]
    assert np.all(bias < 0.5 * standard_error), "time step too coarse for this sample size"

    empirical = network.correlation(simulate_covariance(drift, noise, covariance, seed=20240601))
    scores = (empirical - exact)[pairs] / standard_error
    assert np.max(np.abs(scores)) < MAX_SCORE, f"worst pair off by {np.max(np.abs(scores)):.1f} standard errors"


def test_bartlett_variance_reduces_to_independent_samples() -> None:
    """With no autocorrelation (lags beyond zero vanish) N·var(r) is (1 - rho²)²."""
    drift = -np.eye(2) * 1e6
    covariance = np.array([[1.0, 0.6], [0.6, 1.0]])
    variance = bartlett_variance(drift, covariance, dt=1.0, horizon_s=5.0)
    assert variance[0, 1] == pytest.approx((1 - 0.36) ** 2, rel=1e-9)


def test_batched_solver_matches_scipy_bartels_stewart() -> None:
    rng = np.random.default_rng(7)
    gains = rng.uniform(0.3, 0.92, 12)
    controls = rng.uniform(0.0, 1.5, 12)
    drift = network.drift_matrix(gains, controls, P)
    noise = network.noise_matrix(P)
    batched = network.stationary_covariance(drift, noise)
    for a, s in zip(drift, batched, strict=True):
        reference = scipy.linalg.solve_continuous_lyapunov(a, -noise)
        np.testing.assert_allclose(s, reference, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a @ s + s @ a.T + noise, 0.0, atol=1e-10)


def test_a_nearly_defective_drift_is_solved_too() -> None:
    """Two regions with almost equal decay rates and a coupling make the eigenvectors nearly parallel (condition
    number far above 1e8), where the eigenvector formula loses its accuracy; the covariance still solves
    A S + S Aᵀ + D = 0 and is symmetric."""
    drift = np.array([[[-1.0, 1.0], [0.0, -1.0 - 1e-11]], [[-2.0, 0.3], [0.1, -1.5]]])
    noise = np.diag([2.0, 0.5])
    assert np.linalg.cond(np.linalg.eig(drift[0])[1]) > 1e8
    covariance = network.stationary_covariance(drift, noise)
    for a, s in zip(drift, covariance, strict=True):
        np.testing.assert_allclose(a @ s + s @ a.T + noise, 0.0, atol=1e-9)
        np.testing.assert_allclose(s, s.T)


def test_table_lookup_matches_exact_solve_off_grid() -> None:
    """Bilinear lookup on the default grid is within 1e-3 Fisher z and 0.02 rumination units of the exact solve."""
    table = network.tabulate(P)
    rng = np.random.default_rng(3)
    gains = rng.uniform(float(table.dmn_gain[0]), float(table.dmn_gain[-1]), 500)
    controls = rng.uniform(float(table.prefrontal_control[0]), float(table.prefrontal_control[-1]), 500)
    _, fc = network.fc_matrix(gains, controls, P)
    fc_z, core = network.readouts(fc)
    looked_up_z, looked_up_rumination = network.lookup(table, jnp.asarray(gains), jnp.asarray(controls))
    np.testing.assert_allclose(np.asarray(looked_up_z), fc_z, atol=1e-3)
    np.testing.assert_allclose(np.asarray(looked_up_rumination), network.rumination_index(core, P), atol=0.02)


def test_network_is_stable_across_the_whole_control_grid() -> None:
    table = network.tabulate(P, points=(32, 31))
    drift = network.drift_matrix(np.asarray(table.dmn_gain)[:, None], np.asarray(table.prefrontal_control), P)
    assert np.max(np.linalg.eigvals(drift).real) < 0.0
