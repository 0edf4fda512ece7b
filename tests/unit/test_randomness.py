"""Randomness: seeds, arms and uses give independent draws, draws follow their distributions, no seed is ignored.

Each uniform is a pure function of (seed, arm, patient, stream, draw) (`ketasim.population.streams`). Each arm of
a protocol draws its own patients, as a parallel-group trial randomises different people to each arm; the trial
statistics treat arms as independent samples (Newcombe and Welch intervals, `ketasim.analysis.statistics`).
Statistical checks are seeded, so they are deterministic; their significance level is ALPHA = 0.001 (a correct
generator fails one in a thousand seeds), and correlations are bounded by five standard errors (1/√n each).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import ketasim
from ketasim.parameters import get_parameter_set
from ketasim.population import make_patients
from ketasim.population.streams import GOLDEN, _mix, uniforms
from ketasim.protocol import load_protocol

ALPHA = 1e-3
N = 4000
BOUND = 5.0 / np.sqrt(N)  # five standard errors of a correlation between independent draws


def population(condition: str = "trd", **covariates: object) -> object:
    """The population section of a loaded protocol."""
    return load_protocol(
        {
            "ketasim": 1,
            "name": "population",
            "duration": "1 d",
            "population": {"size": N, "condition": condition, "covariates": covariates},
            "arms": [{"name": "a", "treatments": []}, {"name": "b", "treatments": []}],
        }
    ).population


def test_the_finaliser_is_splitmix64() -> None:
    """The first outputs of Vigna's reference SplitMix64 from state 0 (the finaliser of states k x 0x9E3779B97F4A7C15),
    written out here: a changed shift or constant gives other numbers even where the draws still look random."""
    with np.errstate(over="ignore"):
        got = [int(_mix(np.uint64(k) * GOLDEN)) for k in (1, 2, 3)]
    assert got == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def reference_uniform(seed: int, arm: int, patient: int, stream: int, draw: int) -> float:
    """One uniform keyed as `ketasim.population.streams` documents it, in Python integers (no numpy)."""
    golden, mask = 0x9E3779B97F4A7C15, 2**64 - 1

    def mix(x: int) -> int:
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        return x ^ (x >> 31)

    key = mix((seed * golden + arm) & mask)
    key = mix(key ^ ((stream * golden) & mask))
    base = mix(key ^ ((patient * golden) & mask))
    return ((mix((base + draw * golden) & mask) >> 11) + 0.5) / 2.0**53


@pytest.mark.parametrize(("seed", "arm"), [(0, 0), (12345, 1)])
def test_uniforms_are_the_keyed_splitmix64_stream(seed: int, arm: int) -> None:
    """Every uniform equals its independent computation exactly: a changed key, counter or offset changes the
    numbers of every published seed even where they still look random."""
    patients, stream = np.array([0, 3, 7]), 5
    expected = [[reference_uniform(seed, arm, int(i), stream, d) for d in (1, 2)] for i in patients]
    np.testing.assert_array_equal(uniforms(seed, arm, patients, stream, 2), expected)


def test_a_patient_gets_the_same_deviates_in_any_chunk() -> None:
    """Patients 5..9 drawn as their own chunk get the deviates they get inside a chunk of patients 0..9."""
    varied = load_protocol(
        {
            "ketasim": 1,
            "name": "varied",
            "duration": "1 d",
            "population": {"size": 10, "condition": "trd"},
            "arms": [{"name": "a", "treatments": []}],
        }
    ).population
    whole, tail = make_patients(varied, 0, 0, 10, 9), make_patients(varied, 0, 5, 5, 9)
    for use in ("pk_clearance", "natural_course"):
        np.testing.assert_array_equal(tail.normals(use, 2), whole.normals(use, 2)[5:])
    np.testing.assert_array_equal(tail.weight_kg, whole.weight_kg[5:])


def test_the_protocols_baseline_scores_reach_the_patients() -> None:
    given = load_protocol(
        {
            "ketasim": 1,
            "name": "given baselines",
            "duration": "1 d",
            "population": {"size": 4, "condition": "trd", "baseline": {"madrs": {"mean": 37, "sd": 5.6}}},
            "arms": [{"name": "a", "treatments": []}],
        }
    ).population
    drawn = make_patients(given, 0, 0, 4, 1)
    assert set(drawn.baseline) == {"madrs"}
    assert drawn.baseline["madrs"] == given.baseline["madrs"]


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def test_uniforms_are_uniform_and_independent_across_every_key() -> None:
    """The same numbers for the same key and a chunk of it; uniform on (0, 1); uncorrelated across seed, arm,
    stream, draw and neighbouring patients."""
    patients = np.arange(N)
    u = uniforms(7, 0, patients, 3, 2)
    np.testing.assert_array_equal(uniforms(7, 0, patients[100:200], 3, 2), u[100:200])
    assert np.all((u > 0.0) & (u < 1.0))
    assert stats.kstest(u.ravel(), "uniform").pvalue > ALPHA
    for other in (uniforms(8, 0, patients, 3, 2), uniforms(7, 1, patients, 3, 2), uniforms(7, 0, patients, 4, 2)):
        assert abs(correlation(u, other)) < BOUND
        assert np.mean(u == other) < 1e-3
    assert abs(correlation(u[:, 0], u[:, 1])) < BOUND
    assert abs(correlation(u[:-1, 0], u[1:, 0])) < BOUND


def test_different_seeds_give_different_patients() -> None:
    """Every covariate that varies, and every between-patient deviate, differs for (nearly) every patient."""
    pop = population()
    first, second, again = (make_patients(pop, 0, 0, N, seed) for seed in (1, 2, 1))
    for name in ("weight_kg", "age_years"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
        assert np.mean(getattr(first, name) == getattr(second, name)) < 1e-3
        assert abs(correlation(getattr(first, name), getattr(second, name))) < BOUND
    np.testing.assert_array_equal(first.normals("symptoms_escape"), again.normals("symptoms_escape"))
    assert abs(correlation(first.normals("symptoms_escape"), second.normals("symptoms_escape"))) < BOUND


def test_each_arm_draws_its_own_patients() -> None:
    """Patient i of arm 0 and patient i of arm 1 are independent draws of the same population (covariates,
    between-patient deviates); so are different uses of randomness within one patient."""
    pop = population()
    arm0, arm1 = make_patients(pop, 0, 0, N, 5), make_patients(pop, 1, 0, N, 5)
    assert abs(correlation(arm0.weight_kg, arm1.weight_kg)) < BOUND
    assert abs(correlation(arm0.normals("symptoms_escape"), arm1.normals("symptoms_escape"))) < BOUND
    assert stats.ks_2samp(arm0.weight_kg, arm1.weight_kg).pvalue > ALPHA
    uses = ("symptoms_escape", "symptoms_hysteresis", "symptoms_ketamine_sensitivity", "symptoms_baseline_common")
    draws = np.stack([arm0.normals(use)[:, 0] for use in uses])
    off_diagonal = np.corrcoef(draws)[~np.eye(len(uses), dtype=bool)]
    assert np.all(np.abs(off_diagonal) < BOUND)
    assert abs(correlation(arm0.weight_kg, arm0.age_years)) < BOUND


@pytest.mark.parametrize("condition", ["trd", "mdd", "ptsd"])
def test_covariates_follow_their_preset_distributions(condition: str) -> None:
    """Kolmogorov-Smirnov against the presets (normal truncated to the valid range; yes/no covariates binomial)."""
    p = get_parameter_set("default")
    drawn = make_patients(population(condition), 0, 0, N, 11)
    mean, sd = p["population_weight_mean_kg"], p["population_weight_sd_kg"]
    weight = stats.truncnorm((30.0 - mean) / sd, (250.0 - mean) / sd, loc=mean, scale=sd)
    assert stats.kstest(drawn.weight_kg, weight.cdf).pvalue > ALPHA
    mean, sd = p[f"{condition}_age_mean_years"], p["population_age_sd_years"]
    age = stats.truncnorm((18.0 - mean) / sd, (100.0 - mean) / sd, loc=mean, scale=sd)
    assert stats.kstest(drawn.age_years, age.cdf).pvalue > ALPHA
    for name, fraction in (
        ("female", p[f"{condition}_female_fraction"]),
        ("cyp2b6_slow", p["population_cyp2b6_slow_fraction"]),
        ("childhood_neglect", p[f"{condition}_childhood_neglect_fraction"]),
    ):
        values = getattr(drawn, name)
        assert set(np.unique(values)) <= {0.0, 1.0}
        assert stats.binomtest(int(values.sum()), N, fraction).pvalue > ALPHA, name


def test_protocol_distributions_are_followed() -> None:
    """A protocol's own covariate distributions replace the presets: log-normal weight, uniform stress."""
    drawn = make_patients(
        population(weight={"median": "75 kg", "gsd": 1.2}, chronic_stress={"min": 0.2, "max": 0.8}), 0, 0, N, 3
    )
    assert stats.kstest(np.log(drawn.weight_kg), stats.norm(np.log(75.0), np.log(1.2)).cdf).pvalue > ALPHA
    assert stats.kstest(drawn.chronic_stress, stats.uniform(0.2, 0.6).cdf).pvalue > ALPHA


def test_between_patient_deviates_are_standard_normal() -> None:
    drawn = make_patients(population(), 0, 0, N, 13)
    for use in ("symptoms_escape", "symptoms_expectancy_ceiling"):
        assert stats.kstest(drawn.normals(use)[:, 0], "norm").pvalue > ALPHA, use


@pytest.fixture(scope="module")
def untreated_courses() -> dict[int, object]:
    """Sixty-four untreated TRD patients rated daily for 40 days, with seeds 1 and 2 and the protocol's seed 1.

    Their natural course is switched off (no drift of the symptom load), so their expected scores stay at baseline.
    """
    still = {"natural_course_relief_mean": "0", "natural_course_relief_sd": "0"}
    protocol = ketasim.build_protocol(
        {
            "ketasim": 1,
            "name": "untreated, rated daily",
            "seed": 1,
            "duration": "40 d",
            "population": {"size": 64, "condition": "trd", "parameters": {"set": "default", "override": still}},
            "arms": [{"name": "none", "treatments": []}],
            "observe": {"every": "1 d", "outputs": ["madrs", "hamd17"]},
        }
    )
    return {
        "protocol": ketasim.simulate(protocol),
        1: ketasim.simulate(protocol, seed=1),
        2: ketasim.simulate(protocol, seed=2),
    }


def test_the_seed_changes_every_random_output(untreated_courses: dict) -> None:
    """`ketasim.simulate` with two seeds: different covariates and different scores for every patient; the
    protocol's seed and the same seed given as an argument agree exactly."""
    one, two = untreated_courses[1], untreated_courses[2]
    for name in ("madrs", "hamd17", "weight_kg", "age_years"):
        np.testing.assert_array_equal(untreated_courses["protocol"][name].values, one[name].values)
    for name in ("madrs", "hamd17"):
        differs = (one[name].values != two[name].values).any(axis=-1)
        assert differs.all(), name
    assert (one.weight_kg.values != two.weight_kg.values).all()


def test_rater_noise_is_independent_with_its_documented_spread(untreated_courses: dict) -> None:
    """Untreated, every expected score stays at its baseline, so each patient's daily ratings spread only by
    rater noise: its standard deviation is the documented one (MADRS 3.0, HAM-D17 2.5 points; rounding adds
    1/12 to the variance), independent from day to day and between scales."""
    p = get_parameter_set("default")
    ds = untreated_courses[1]
    deviations = {}
    for scale in ("madrs", "hamd17"):
        scores = ds[scale].values[0]
        deviations[scale] = scores - scores.mean(axis=1, keepdims=True)
        days = scores.shape[1]
        pooled_sd = np.sqrt((deviations[scale] ** 2).sum() / (scores.size - scores.shape[0]))
        expected = np.sqrt(p[f"{scale}_rater_noise_sd_points"] ** 2 + 1.0 / 12.0)
        assert pooled_sd == pytest.approx(expected, rel=0.06), scale  # about 4 standard errors of an sd
        lag = correlation(deviations[scale][:, :-1], deviations[scale][:, 1:]) + 1.0 / (days - 1)
        assert abs(lag) < 5.0 / np.sqrt(scores.size)
    assert abs(correlation(deviations["madrs"], deviations["hamd17"])) < 5.0 / np.sqrt(deviations["madrs"].size)
