"""Rating scales: presets, weights, correlated baseline draws and the rater's noisy, rounded, clipped scores."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtri

from ketasim.errors import ParameterError
from ketasim.models.scales import baseline_presets, draw_baselines, latent_weights, rate
from ketasim.parameters.symptom_params import symptoms_set
from ketasim.population.streams import uniforms
from ketasim.protocol import baseline_distribution
from ketasim.vocabulary import CONDITIONS, SCALE_RANGES, SCALES

PSET = symptoms_set()


def test_every_scale_has_a_range_weights_and_noise() -> None:
    assert set(SCALES) == set(SCALE_RANGES)
    weights = latent_weights(PSET)
    assert weights.shape == (len(SCALES), 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert weights[SCALES.index("caps5"), 2] > 0  # CAPS-5 measures the fear memory
    assert weights[SCALES.index("madrs"), 2] == 0  # MADRS does not
    for scale in SCALES:
        assert PSET[f"{scale}_rater_noise_sd_points"] > 0


@pytest.mark.parametrize("condition", CONDITIONS)
def test_presets_lie_within_each_scale_and_cite_a_source(condition: str) -> None:
    presets = baseline_presets(condition, PSET)
    for scale, distribution in presets.items():
        low, high = SCALE_RANGES[scale]
        assert low <= distribution.typical() <= high
        assert PSET.get(f"{condition}_baseline_{scale}_mean").source in PSET.references


def test_presets_order_conditions_by_severity() -> None:
    madrs = {c: baseline_presets(c, PSET)["madrs"].typical() for c in CONDITIONS}
    assert madrs["trd"] > madrs["mdd"] > madrs["gad"] > madrs["healthy"]
    caps = {c: baseline_presets(c, PSET)["caps5"].typical() for c in CONDITIONS}
    assert caps["ptsd"] == max(caps.values())


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ParameterError):
        baseline_presets("flu", PSET)
    with pytest.raises(ParameterError):
        rate(np.zeros(2), "bdi", np.full(2, 0.5), PSET)
    with pytest.raises(ParameterError):
        rate(np.zeros(2), "madrs", np.full(3, 0.5), PSET)


def normals(n: int, stream: int, draws: int = 1) -> np.ndarray:
    return ndtri(uniforms(7, 0, np.arange(n), stream, draws))


def test_baselines_are_correlated_across_scales_and_within_range() -> None:
    n = 4000
    scores = draw_baselines("trd", {}, normals(n, 1)[:, 0], normals(n, 2, len(SCALES)), True, PSET)
    assert scores.shape == (n, len(SCALES))
    for i, scale in enumerate(SCALES):
        low, high = SCALE_RANGES[scale]
        assert scores[:, i].min() >= low and scores[:, i].max() <= high
    r = np.corrcoef(scores[:, SCALES.index("madrs")], scores[:, SCALES.index("hamd17")])[0, 1]
    assert r == pytest.approx(PSET["baseline_scale_correlation"] ** 2, abs=0.05)
    assert scores[:, 0].mean() == pytest.approx(PSET["trd_baseline_madrs_mean"], abs=0.5)


def test_given_baselines_replace_presets_and_typical_without_variability() -> None:
    given = {"hamd17": baseline_distribution("hamd17", {"mean": 30, "sd": 1})}
    n = 500
    scores = draw_baselines("mdd", given, normals(n, 1)[:, 0], normals(n, 2, len(SCALES)), True, PSET)
    assert scores[:, SCALES.index("hamd17")].mean() == pytest.approx(30, abs=0.2)
    typical = draw_baselines("mdd", given, np.zeros(3), np.zeros((3, len(SCALES))), False, PSET)
    assert typical[0, SCALES.index("hamd17")] == 30
    assert typical[0, SCALES.index("madrs")] == PSET["mdd_baseline_madrs_mean"]


def test_rating_rounds_clips_and_has_the_stated_noise() -> None:
    n = 20000
    u = uniforms(3, 0, np.arange(n), 40)[:, 0]
    expected = np.full(n, 20.3)
    scores = rate(expected, "madrs", u, PSET)
    np.testing.assert_array_equal(scores, np.round(scores))
    assert scores.mean() == pytest.approx(20.3, abs=0.1)
    assert scores.std() == pytest.approx(np.hypot(PSET["madrs_rater_noise_sd_points"], 1 / np.sqrt(12)), rel=0.05)
    low = rate(np.full(n, 0.5), "phq9", u, PSET)
    high = rate(np.full(n, 26.8), "phq9", u, PSET)
    assert low.min() == 0 and high.max() == 27
    assert rate(np.full(3, 12.0), "gad7", np.full(3, 0.5), PSET).tolist() == [12.0, 12.0, 12.0]
