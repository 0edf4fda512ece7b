"""Covariate and baseline distributions: file notation, typical values and seeded sampling."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ketasim.errors import ProtocolError
from ketasim.protocol import baseline_distribution, covariate_distribution
from ketasim.protocol.distributions import COVARIATE_SPECS

N = 4000


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize(
    ("name", "raw", "typical"),
    [
        ("weight", "80 kg", 80.0),
        ("weight", "176.37 lb", 80.0),
        ("weight", {"mean": "80 kg", "sd": "15 kg"}, 80.0),
        ("weight", {"median": "75 kg", "gsd": 1.2}, 75.0),
        ("age", 45, 45.0),
        ("age", "45 yr", 45.0),
        ("age", {"min": 20, "max": 60}, 40.0),
        ("age", {"mean": "40 yr", "sd": "10 yr"}, 40.0),
        ("female", {"fraction": 0.6}, 0.6),
        ("female", 1, 1.0),
        ("cyp2b6_slow", {"values": [0, 1], "weights": [3, 1]}, 0.25),
        ("failed_treatments", {"values": [1, 2, 3]}, 2.0),
        ("chronic_stress", 0.4, 0.4),
    ],
)
def test_typical(name: str, raw: Any, typical: float) -> None:
    assert covariate_distribution(name, raw).typical() == pytest.approx(typical, rel=1e-4)


def test_fixed_value_samples_constant() -> None:
    draws = covariate_distribution("weight", "80 kg").sample(rng(), 5)
    np.testing.assert_array_equal(draws, np.full(5, 80.0))


def test_sampling_is_reproducible_from_the_generator() -> None:
    dist = covariate_distribution("weight", {"mean": "80 kg", "sd": "15 kg"})
    np.testing.assert_array_equal(dist.sample(rng(3), 10), dist.sample(rng(3), 10))
    assert not np.array_equal(dist.sample(rng(3), 10), dist.sample(rng(4), 10))


def test_normal_is_truncated_to_the_valid_range() -> None:
    dist = covariate_distribution("weight", {"mean": "35 kg", "sd": "20 kg"})
    draws = dist.sample(rng(), N)
    assert draws.min() >= COVARIATE_SPECS["weight"].lower
    assert draws.max() <= COVARIATE_SPECS["weight"].upper
    assert draws.mean() > 35.0  # the cut-off lower tail pushes the mean up


def test_normal_moments() -> None:
    draws = covariate_distribution("age", {"mean": 50, "sd": 5}).sample(rng(), N)
    assert draws.mean() == pytest.approx(50, abs=0.3)
    assert draws.std() == pytest.approx(5, rel=0.05)


def test_lognormal_median_and_spread() -> None:
    draws = covariate_distribution("weight", {"median": "75 kg", "gsd": 1.2}).sample(rng(), N)
    assert np.median(draws) == pytest.approx(75, rel=0.02)
    assert np.std(np.log(draws)) == pytest.approx(np.log(1.2), rel=0.05)


def test_uniform_bounds() -> None:
    draws = covariate_distribution("age", {"min": 20, "max": 30}).sample(rng(), N)
    assert draws.min() >= 20 and draws.max() <= 30
    assert draws.mean() == pytest.approx(25, abs=0.3)


def test_fraction_is_yes_or_no() -> None:
    draws = covariate_distribution("female", {"fraction": 0.3}).sample(rng(), N)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    assert draws.mean() == pytest.approx(0.3, abs=0.03)


def test_categorical_weights() -> None:
    draws = covariate_distribution("failed_treatments", {"values": [1, 4], "weights": [1, 3]}).sample(rng(), N)
    assert set(np.unique(draws)) <= {1.0, 4.0}
    assert np.mean(draws == 4.0) == pytest.approx(0.75, abs=0.03)


def test_count_covariate_is_rounded() -> None:
    draws = covariate_distribution("failed_treatments", {"mean": 3, "sd": 2}).sample(rng(), N)
    np.testing.assert_array_equal(draws, np.rint(draws))
    assert draws.min() >= 0 and draws.max() <= 20


def test_baseline_within_scale() -> None:
    dist = baseline_distribution("madrs", {"mean": 55, "sd": 10})
    draws = dist.sample(rng(), N)
    assert draws.max() <= 60 and draws.min() >= 0
    assert dist.typical() == 55


@pytest.mark.parametrize(
    ("name", "raw", "key_path", "expected"),
    [
        ("weight", {"mean": 80, "sd": 10}, "weight.mean", "bare number 80 has no unit"),
        ("weight", {"median": "80 kg", "gsd": 0.8}, "weight.gsd", "below 1"),
        ("age", {"min": 60, "max": 20}, "age.max", "below min"),
        ("age", {"mean": 40, "sd": -1}, "age.sd", "negative"),
        ("age", [40, 50], "age", "expected a value or a distribution"),
        ("age", {}, "age", "empty distribution"),
        ("female", {"values": [0, 2]}, "female.values", "values 0 and 1"),
        ("female", {"mean": 0.5, "sd": 0.1}, "female.mean", "yes/no covariate"),
        ("failed_treatments", {"values": [1, 2], "weights": [1]}, "failed_treatments.weights", "as long as values"),
        ("failed_treatments", {"values": [1, 2], "weights": [0, 0]}, "failed_treatments.weights", "not all 0"),
        ("chronic_stress", 1.5, "chronic_stress", "outside the valid range"),
        ("chronic_stress", "high", "chronic_stress", "expected a number"),
        ("sex", 1, "sex", "unknown covariate"),
    ],
)
def test_bad_covariates(name: str, raw: Any, key_path: str, expected: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        covariate_distribution(name, raw)
    assert caught.value.key_path == key_path
    assert expected in str(caught.value)


def test_bad_baseline() -> None:
    with pytest.raises(ProtocolError, match="takes no fraction"):
        baseline_distribution("madrs", {"fraction": 0.5})
    with pytest.raises(ProtocolError, match="unknown rating scale 'hamd'"):
        baseline_distribution("hamd", 20)
