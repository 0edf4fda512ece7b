"""Rating scales: presets, weights and wiring, each latent moved on its own, correlated baseline draws and the rater's
noisy, rounded, clipped scores."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import ndtri

from ketasim.engine.grid import StepPolicy
from ketasim.engine.run import run
from ketasim.errors import ParameterError
from ketasim.models.math import ARRAYS
from ketasim.models.model import Model, individual_parameters
from ketasim.models.scales import Scales, baseline_name, baseline_presets, draw_baselines, rate, weight_name
from ketasim.population import make_patients
from ketasim.population.streams import uniforms
from ketasim.protocol import baseline_distribution, load_protocol
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import linear_problem
from ketasim.vocabulary import CONDITIONS, LATENTS, SCALE_RANGES, SCALES
from model_values import PSET, parameters, patients

STAGE = Scales()
WEIGHTS = {scale: {latent: PSET[weight_name(scale, latent)] for latent in LATENTS} for scale in SCALES}
FEAR_STATES = ("fear_update_labile", "fear_update_consolidated")


def test_every_scale_has_a_range_weights_and_noise() -> None:
    assert set(SCALES) == set(SCALE_RANGES)
    assert set(STAGE.registry_parameters()) == {weight_name(s, latent) for s in SCALES for latent in LATENTS}
    for scale in SCALES:
        assert all(w >= 0.0 for w in WEIGHTS[scale].values()) and sum(WEIGHTS[scale].values()) > 0.0
        assert PSET[f"{scale}_rater_noise_sd_points"] > 0


@pytest.mark.parametrize(
    ("scale", "measures"),
    [
        ("madrs", "depression"),
        ("hamd17", "depression"),
        ("phq9", "depression"),
        ("ham_a", "worry"),
        ("gad7", "worry"),
    ],
)
def test_each_scale_is_fed_by_the_latent_its_items_measure(scale: str, measures: str) -> None:
    """Item content: MADRS, HAM-D and PHQ-9 measure mostly depression, HAM-A and GAD-7 mostly worry; no depression
    or anxiety scale measures the trauma fear memory, and PHQ-9 and GAD-7 measure one latent each."""
    weights = WEIGHTS[scale]
    assert weights[measures] > 0.5 * sum(weights.values())
    assert weights["fear"] == 0.0
    if scale in ("phq9", "gad7"):
        assert weights[measures] == sum(weights.values())


@pytest.mark.parametrize("scale", ["caps5", "pcl5"])
def test_ptsd_scales_carry_the_fear_memory(scale: str) -> None:
    """CAPS-5 and PCL-5: 7 of 20 items are intrusion and avoidance (fear), 7 negative mood, 6 arousal."""
    weights = WEIGHTS[scale]
    assert weights["fear"] / sum(weights.values()) == pytest.approx(7 / 20, abs=0.05)
    assert weights["depression"] > 0.0 and weights["worry"] > 0.0


def latent_values(n: int, **latents: float) -> dict[str, jnp.ndarray]:
    """Inputs of the scales: depression, worry and the fear-memory update that leaves ``fear`` (default 1 each)."""
    fear = latents.get("fear", 1.0)
    return {
        "depression": jnp.full(n, latents.get("depression", 1.0)),
        "worry": jnp.full(n, latents.get("worry", 1.0)),
        # the update is split between its labile and consolidated parts: fear = 1 - labile - consolidated
        FEAR_STATES[0]: jnp.full(n, 0.4 * (1.0 - fear)),
        FEAR_STATES[1]: jnp.full(n, 0.6 * (1.0 - fear)),
    }


@pytest.mark.parametrize("condition", ["trd", "ptsd"])
def test_scales_read_their_baselines_when_every_latent_is_at_baseline(condition: str) -> None:
    p = parameters(patients(20, condition, variability=True, seed=2))
    scores = STAGE.values(ARRAYS, {**p, **latent_values(20)})
    assert float(np.min(scores["fear_memory"])) == float(np.max(scores["fear_memory"])) == 1.0
    for scale in SCALES:
        np.testing.assert_allclose(np.asarray(scores[scale]), p[baseline_name(scale)], rtol=1e-12)


@pytest.mark.parametrize("latent", LATENTS)
@pytest.mark.parametrize("level", [0.35, 0.8, 1.25])
def test_each_latent_moved_on_its_own_changes_each_scale_by_its_weight(latent: str, level: float) -> None:
    """expected_s = baseline_s · Σ ω_s,l · latent_l / Σ ω_s: moving one latent from 1 to ``level`` changes scale s
    by baseline_s · (ω_s,latent / Σ ω_s) · (level − 1), and leaves scales that do not measure it unchanged."""
    p = parameters(patients(5, "ptsd", variability=True, seed=7))
    at_baseline = STAGE.values(ARRAYS, {**p, **latent_values(5)})
    moved = STAGE.values(ARRAYS, {**p, **latent_values(5, **{latent: level})})
    if latent == "fear":
        np.testing.assert_allclose(np.asarray(moved["fear_memory"]), level, rtol=1e-12)
    for scale in SCALES:
        share = WEIGHTS[scale][latent] / sum(WEIGHTS[scale].values())
        baseline = p[baseline_name(scale)]
        low, high = SCALE_RANGES[scale]
        expected = np.clip(baseline * (1.0 + share * (level - 1.0)), low, high)
        np.testing.assert_allclose(np.asarray(moved[scale]), expected, rtol=1e-12, err_msg=scale)
        if share == 0.0:
            np.testing.assert_array_equal(np.asarray(moved[scale]), np.asarray(at_baseline[scale]), err_msg=scale)
        else:
            assert np.all(np.abs(np.asarray(moved[scale]) - baseline) > 0.1), scale


WIRING_PROTOCOL = {
    "ketasim": 1,
    "name": "wiring",
    "duration": "5 d",
    "population": {"size": 1, "condition": "ptsd", "variability": False},
    "arms": [
        {
            "name": "ketamine and EMDR",
            "treatments": [
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]},
                {"therapy": "emdr", "session": "90 min", "at": ["1 d", "3 d"]},
            ],
        }
    ],
    "observe": {"every": "6 h"},
}
LATENT_OUTPUTS = ("depression", "worry", "fear_memory")


@pytest.fixture(scope="module")
def engine_run() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The engine's course of the typical PTSD patient after ketamine and EMDR, observing the latents and every scale
    (latents and scales move apart); and the patient's parameters."""
    protocol = load_protocol(WIRING_PROTOCOL)
    plan = plan_arm(protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, 0, 0, 1, protocol.seed)
    values = individual_parameters(plan.composition, plan.pset, cohort)
    observed = (*LATENT_OUTPUTS, *SCALES)
    model = Model(plan.composition, {name: jnp.asarray(value) for name, value in values.items()}, observed)
    course = run(linear_problem(plan, plan.pset, cohort), plan.schedule, plan.grid, model, observed)
    return {name: course[name][0] for name in observed}, values


def test_engine_scores_follow_the_latents_the_scales_measure(
    engine_run: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
) -> None:
    """In a simulated course where depression, worry and the fear memory fall apart from each other, every scale the
    engine reports is its baseline times the weighted latents: PHQ-9 follows depression and GAD-7 worry, not each
    other, and CAPS-5 falls with the fear memory as well."""
    course, values = engine_run
    depression, worry, fear = (course[name] for name in LATENT_OUTPUTS)
    assert np.max(np.abs(depression - worry)) > 0.05
    assert np.max(np.abs(fear - depression)) > 0.05 and np.min(fear) < 0.9
    latents = {"depression": depression, "worry": worry, "fear": fear}
    for scale in SCALES:
        weights = WEIGHTS[scale]
        mean = sum(weights[latent] * latents[latent] for latent in LATENTS) / sum(weights.values())
        expected = values[baseline_name(scale)][0] * mean
        np.testing.assert_allclose(course[scale], expected, rtol=1e-9, err_msg=scale)
    phq9, gad7 = (course[s] / values[baseline_name(s)][0] for s in ("phq9", "gad7"))
    np.testing.assert_allclose(phq9, depression, rtol=1e-9)
    np.testing.assert_allclose(gad7, worry, rtol=1e-9)
    assert np.max(np.abs(gad7 - depression)) > 0.05 and np.max(np.abs(phq9 - worry)) > 0.05
    caps5 = course["caps5"] / values[baseline_name("caps5")][0]
    without_fear = (WEIGHTS["caps5"]["depression"] * depression + WEIGHTS["caps5"]["worry"] * worry) / sum(
        WEIGHTS["caps5"].values()
    )
    np.testing.assert_allclose(caps5 - without_fear, WEIGHTS["caps5"]["fear"] / sum(WEIGHTS["caps5"].values()) * fear)


def test_a_scale_is_a_weighted_mean_of_the_latents() -> None:
    """Only the weights' ratios count: a scale's weights scaled together (here so they no longer add to 1) leave its
    scores unchanged, off baseline too."""
    p = parameters(patients(5, "ptsd", variability=True, seed=7))
    moved = latent_values(5, depression=0.4, worry=0.7, fear=0.55)
    scaled = {weight_name(s, latent): 3.0 * WEIGHTS[s][latent] for s in SCALES for latent in LATENTS}
    scores = STAGE.values(ARRAYS, {**p, **moved})
    rescaled = STAGE.values(ARRAYS, {**p, **moved, **scaled})
    for scale in SCALES:
        np.testing.assert_allclose(np.asarray(rescaled[scale]), np.asarray(scores[scale]), rtol=1e-12, err_msg=scale)


def test_fear_memory_is_never_negative_and_scores_stay_in_range() -> None:
    p = parameters(patients(5, "ptsd", variability=True, seed=3))
    worse = STAGE.values(ARRAYS, {**p, **latent_values(5, depression=3.0, worry=3.0, fear=-0.5)})
    assert float(np.min(worse["fear_memory"])) == 0.0  # an update beyond the whole memory leaves nothing, not less
    for scale in SCALES:
        low, high = SCALE_RANGES[scale]
        assert float(jnp.min(worse[scale])) >= low and float(jnp.max(worse[scale])) <= high


@pytest.mark.parametrize("condition", CONDITIONS)
def test_presets_lie_within_each_scale_and_cite_a_source(condition: str) -> None:
    presets = baseline_presets(condition, PSET)
    for scale, distribution in presets.items():
        low, high = SCALE_RANGES[scale]
        assert low <= distribution.typical() <= high
        assert PSET.parameter(f"{condition}_baseline_{scale}_mean").source in PSET.references


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


def test_a_uniform_at_either_end_of_the_unit_interval_gives_a_finite_rating() -> None:
    """The rater's noise is cut where its normal quantile reaches 1e-12 and 1 - 1e-12 (about 7 SD), so a uniform of
    exactly 0 or 1 moves a rating by that much, not to the end of the scale."""
    bound = ndtri(1.0 - 1e-12) * PSET["madrs_rater_noise_sd_points"]
    assert 30.0 + bound < SCALE_RANGES["madrs"][1]
    scores = rate(np.full(2, 30.0), "madrs", np.array([0.0, 1.0]), PSET)
    assert scores.tolist() == [np.rint(30.0 - bound), np.rint(30.0 + bound)]
