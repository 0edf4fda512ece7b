"""models/math.py: the shared functions give their closed forms on JAX arrays (the engine) and on NumPy (the host)."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.models.math import ARRAYS, HOST, Math, clip, soft_floor

X = np.array([-3.0, -0.4, 0.0, 1.3, 2.5])


@pytest.mark.parametrize("m", [ARRAYS, HOST], ids=["jax", "numpy"])
def test_softplus_and_sigmoid_are_their_closed_forms(m: Math) -> None:
    np.testing.assert_allclose(np.asarray(m.softplus(X)), np.log(1.0 + np.exp(X)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(m.sigmoid(X)), 1.0 / (1.0 + np.exp(-X)), rtol=1e-12)


@pytest.mark.parametrize("m", [ARRAYS, HOST], ids=["jax", "numpy"])
def test_power_clip_and_soft_floor_away_from_their_corners(m: Math) -> None:
    base = np.array([0.0, 0.3, 1.0, 2.2])
    np.testing.assert_allclose(np.asarray(m.power(base, 1.7)), base**1.7, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(clip(m, X, -1.0, 2.0)), [-1.0, -0.4, 0.0, 1.3, 2.0])
    softness = 0.5
    np.testing.assert_allclose(
        np.asarray(soft_floor(m, X, softness)), softness * np.log(1.0 + np.exp(X / softness)), rtol=1e-12
    )
