"""One patient's forecast: the differentiable course, the rater likelihood, the sampler, and `ketasim forecast`.

Fast: small particle populations. The statistical check over 200 simulated patients is in
tests/validation/test_forecast_calibration.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.engine.grid import StepPolicy
from ketasim.engine.run import run
from ketasim.inference import course as courses
from ketasim.inference import forecast as fc
from ketasim.inference import likelihood, samplers
from ketasim.models import scales
from ketasim.models.model import build_model, individual_parameters
from ketasim.population import make_patients
from ketasim.protocol import load_protocol
from ketasim.protocol.history import read_facts, read_history
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import linear_problem
from ketasim.vocabulary import SCALE_RANGES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patient-history"
FAST = samplers.SamplerSettings(populations=2, particles=64, moves=2, final_moves=3, max_final_moves=6, seed=3)
COVARIATES = {
    "weight": "75 kg",
    "age": 40,
    "female": 1,
    "cyp2b6_slow": 0,
    "childhood_neglect": 1,
    "failed_treatments": 3,
    "chronic_stress": 0.4,
}


def short_protocol(size: int, drug: dict[str, Any] | None = None) -> Any:
    """Ten days: two infusions and an integration session, daily observations, fixed covariates."""
    treatments: list[dict[str, Any]] = [
        {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 d", "3 d"]},
        {"therapy": "integration", "session": "60 min", "at": ["1 d"]},
    ]
    if drug is not None:
        treatments.append(drug)
    return load_protocol(
        {
            "ketasim": 1,
            "name": "short",
            "duration": "10 d",
            "seed": 5,
            "population": {"size": size, "condition": "trd", "variability": True, "covariates": COVARIATES},
            "arms": [{"name": "a", "treatments": treatments}],
            "observe": {"every": "1 d", "outputs": ["madrs", "phq9", "gad7"]},
        }
    )


def test_patient_parameters_match_the_population_model() -> None:
    """The forecast's parameters for given normals are the population model's (switch, sensitivities, baselines)."""
    protocol = short_protocol(4)
    patients = make_patients(protocol.population, 0, 0, 4, 7)
    plan = plan_arm(protocol, 0, StepPolicy())
    expected = individual_parameters(plan.composition, plan.pset, patients)
    base = individual_parameters(plan.composition, plan.pset, dataclasses.replace(patients, variability=False))
    normals = {use: patients.normals(use, draws) for use, draws in courses.ETA_USES}
    covariates = {name: getattr(patients, name) for name in courses.COVARIATE_FIELDS}
    individual = courses.patient_parameters(base, plan.pset, "trd", covariates, normals)
    assert set(individual) == set(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(np.asarray(individual[name]), values, rtol=1e-10, err_msg=name)
    for name in ("jump", "ketamine_sensitivity", "baseline_madrs"):  # the normals matter
        assert not np.allclose(base[name], expected[name]), name


def test_course_matches_engine() -> None:
    """The symptom model alone, on its own grid, reproduces the engine's expected scores of the same patients
    (with the typical pharmacokinetics for their covariates, as the forecast assumes)."""
    protocol = short_protocol(3)
    plan = plan_arm(protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, 0, 0, 3, protocol.seed)
    problem = linear_problem(plan, plan.pset, dataclasses.replace(cohort, variability=False))
    model = build_model(plan.composition, plan.pset, cohort)
    engine = run(problem, plan.schedule, plan.grid, model, ("madrs", "phq9", "gad7"))
    course = courses.patient_course(
        protocol.model_copy(update={"population": protocol.population.model_copy(update={"size": 1})})
    )
    etas = np.concatenate([cohort.normals(use, draws) for use, draws in courses.ETA_USES], axis=1)
    index = course.index(plan.grid.times_h[plan.grid.observation_index])
    for scale in ("madrs", "phq9", "gad7"):
        predicted = courses.predict_course(course, etas, scale)[:, index]
        np.testing.assert_allclose(predicted, engine[scale], atol=0.02)
        assert np.ptp(predicted[:, -1]) > 1.0  # the patients differ


@pytest.mark.parametrize("expected", [-2.0, 0.3, 12.6, 59.7, 63.0])
def test_rating_likelihood_is_the_rater_model(expected: float) -> None:
    pset = plan_arm(short_protocol(1), 0, StepPolicy()).pset
    low, high = SCALE_RANGES["madrs"]
    values = np.arange(low, high + 1)
    sd = pset["madrs_rater_noise_sd_points"]
    probabilities = np.array(
        [
            np.exp(
                float(
                    likelihood.rating_log_likelihood(
                        jnp.asarray([expected]),
                        likelihood.Ratings(
                            jnp.asarray([0]),
                            jnp.asarray([0]),
                            jnp.asarray([v]),
                            jnp.asarray([sd]),
                            jnp.asarray([low]),
                            jnp.asarray([high]),
                        ),
                    )
                )
            )
            for v in values
        ]
    )
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
    u = np.random.default_rng(1).random(200_000)
    recorded = scales.rate(np.full(u.shape, expected), "madrs", u, pset)
    frequencies = np.array([np.mean(recorded == v) for v in values])
    np.testing.assert_allclose(probabilities, frequencies, atol=0.005)


def test_log_normal_interval_is_accurate_in_the_tails() -> None:
    lower = jnp.asarray([-9.0, 8.0, -0.5, -40.0, 3.0])
    upper = jnp.asarray([-8.0, 9.0, 0.5, -39.0, 40.0])
    got = np.asarray(likelihood.log_normal_interval(lower, upper))
    want = [
        np.log(norm.cdf(-8.0) - norm.cdf(-9.0)),
        np.log(norm.sf(8.0) - norm.sf(9.0)),
        np.log(norm.cdf(0.5) - norm.cdf(-0.5)),
        norm.logcdf(-39.0),  # the lower edge takes nothing away
        norm.logsf(3.0),  # nor does the upper one
    ]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_tempered_smc_recovers_a_gaussian_posterior() -> None:
    """Prior N(0, 1) per dimension and Gaussian data: the posterior is Gaussian with a known mean and spread."""
    data, sd = np.array([1.5, -0.7, 0.2]), np.array([0.3, 1.0, 3.0])

    def log_likelihood(points: np.ndarray) -> np.ndarray:
        return -0.5 * np.sum(((points - data) / sd) ** 2, axis=1)

    settings = samplers.SamplerSettings(populations=4, particles=500, moves=4, final_moves=8, seed=2)
    result = samplers.tempered_smc(log_likelihood, 3, settings, np.random.default_rng(2))
    draws = result.particles.reshape(-1, 3)
    np.testing.assert_allclose(draws.mean(axis=0), data / (1 + sd**2), atol=0.08)
    np.testing.assert_allclose(draws.std(axis=0), sd / np.sqrt(1 + sd**2), rtol=0.12)
    assert result.stages >= 2
    r_hat, ess = samplers.chain_diagnostics(result.particles)
    assert r_hat < 1.05 and ess > 100


def test_relapse_times_and_suggested_dose() -> None:
    times = np.arange(0.0, 10.0)
    baseline = np.full(5, 30.0)
    expected = np.full((5, 10), 10.0)  # in response (at or under 15)
    expected[0, 6:] = 20.0  # relapses at 6 h
    expected[1, 3:] = 16.0  # relapses at 3 h
    expected[2, :] = 18.0  # never in response from the start
    relapse = fc.relapse_times(expected, times, 2, baseline, 50.0)
    np.testing.assert_array_equal(relapse, [6.0, 3.0, 2.0, np.inf, np.inf])
    assert fc.suggested_dose_time(relapse, times, 2.0) == 2.0  # 20 % (one draw) already out of response
    assert fc.suggested_dose_time(np.array([6.0, np.inf, np.inf, np.inf, np.inf]), times, 2.0) == 5.0
    assert fc.suggested_dose_time(np.full(5, np.inf), times, 2.0) is None


def test_active_etas_leave_out_what_cannot_matter() -> None:
    plain = courses.active_etas(short_protocol(1), ["madrs"])
    names = {courses.ETA_NAMES[i] for i in plain}
    assert "ssri_sensitivity" not in names and "baseline_phq9" not in names
    assert {"escape", "hysteresis", "ketamine_sensitivity", "baseline_common", "baseline_madrs"} <= names
    pill = {"drug": "escitalopram", "route": "oral", "dose": "10 mg", "every": "1 d", "count": 5}
    with_ssri = {courses.ETA_NAMES[i] for i in courses.active_etas(short_protocol(1, pill), ["madrs", "phq9"])}
    assert {"ssri_sensitivity", "baseline_phq9"} <= with_ssri


runner = CliRunner()


@pytest.fixture(scope="module")
def cli_forecast(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """`ketasim forecast` of the example patient with a small sampler: the JSON and the report folder."""
    out = tmp_path_factory.mktemp("forecast")
    saved = samplers.DEFAULT_SETTINGS
    samplers.DEFAULT_SETTINGS = FAST
    try:
        result = runner.invoke(
            app,
            [
                "forecast",
                str(EXAMPLES / "p017.csv"),
                "--patient",
                str(EXAMPLES / "p017.yaml"),
                "--patient",
                "weight=74 kg",
                "--until",
                "10 w",
                "--json",
                str(out / "p017.json"),
                "--report",
                str(out / "report"),
                "--seed",
                "3",
            ],
        )
    finally:
        samplers.DEFAULT_SETTINGS = saved
    assert result.exit_code == 0, result.output
    return json.loads((out / "p017.json").read_text()), out / "report"


def test_cli_forecast_json_follows_the_spec(cli_forecast: tuple[dict[str, Any], Path]) -> None:
    data, _ = cli_forecast
    assert data["patient"] == "p017" and data["scale"] == "madrs"
    assert {"ketasim", "forecast", "relapse_probability", "suggested_next_dose_h", "diagnostics"} <= set(data)
    band = data["forecast"]
    times = [row["time_h"] for row in band]
    assert times[0] > 28 * 24 and times[-1] == pytest.approx(70 * 24)
    assert all(row["p05"] <= row["median"] <= row["p95"] for row in band)
    assert all(row["p05"] >= 0 and row["p95"] <= 60 for row in band)
    assert max(row["p95"] - row["p05"] for row in band) >= 6  # rater noise alone spreads a band that wide
    probabilities = [row["probability"] for row in data["relapse_probability"]]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert probabilities == sorted(probabilities)
    suggested = data["suggested_next_dose_h"]
    assert suggested is None or 28 * 24 <= suggested <= 70 * 24
    diagnostics = data["diagnostics"]
    assert diagnostics["method"] == "SMC" and diagnostics["draws"] == 128
    assert diagnostics["r_hat_max"] >= 0.99 and diagnostics["ess_min"] > 0 and diagnostics["seconds"] > 0
    assert data["next_dose"] == {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min"}


def test_cli_forecast_report_page(cli_forecast: tuple[dict[str, Any], Path], assert_offline_page: Any) -> None:
    _, folder = cli_forecast
    page = assert_offline_page(folder / "report.html")
    for text in ("not a prescription", "Probability of relapse", "Plasticity window", "integration", "p017"):
        assert text in page


def test_planned_boosters_lower_the_forecast() -> None:
    history = read_history(EXAMPLES / "p017.csv")
    facts = read_facts(EXAMPLES / "p017.yaml")
    plan = load_protocol(EXAMPLES / "booster-plan.yaml")
    without = fc.forecast(history, facts, 56 * 24.0, settings=FAST)
    planned = fc.forecast(history, facts, 56 * 24.0, plan=plan, settings=FAST)
    day = int(np.argmin(np.abs(without.band_times_h - 36 * 24.0)))
    assert planned.band_median[day] < without.band_median[day] - 2.0
    assert [d.time_h for d in planned.doses][-2:] == [35 * 24.0, 49 * 24.0]
    assert np.all(np.diff(planned.relapse_probability) >= 0)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--until", "2 d"], "--until"),
        (["--until", "12 w", "--scale", "phq9"], "no phq9 scores"),
        (["--until", "12"], "no unit"),
        (["--until", "12 w", "--sampler", "mh"], "unknown sampler"),
    ],
    ids=["until_too_early", "scale_not_recorded", "until_without_unit", "sampler"],
)
def test_cli_forecast_errors_are_one_line(tmp_path: Path, arguments: list[str], words: str) -> None:
    result = runner.invoke(
        app,
        [
            "forecast",
            str(EXAMPLES / "p017.csv"),
            "--patient",
            str(EXAMPLES / "p017.yaml"),
            "--json",
            str(tmp_path / "out.json"),
            *arguments,
        ],
    )
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()  # the error alone: refused before any progress line
    assert line.startswith("error: ") and words in line, result.output
    assert not (tmp_path / "out.json").exists()


def test_cli_forecast_refuses_its_output_places_before_the_fit(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("a person's notes")
    (tmp_path / "taken").write_text("a file where a folder should be")
    history = [str(EXAMPLES / "p017.csv"), "--patient", str(EXAMPLES / "p017.yaml"), "--until", "12 w"]
    report = runner.invoke(app, ["forecast", *history, "--json", str(tmp_path / "out.json"), "--report", str(notes)])
    assert report.exit_code == 2
    assert report.stderr.strip().splitlines() == [
        f"error: --report: {notes} already holds files that ketasim did not write "
        "(choose another --report, or add --force to replace it)"
    ]
    assert not (tmp_path / "out.json").exists() and (notes / "mine.txt").exists()
    under_a_file = tmp_path / "taken" / "out.json"
    json_out = runner.invoke(app, ["forecast", *history, "--json", str(under_a_file)])
    assert json_out.exit_code == 2
    assert json_out.stderr.strip().splitlines() == [
        f"error: cannot write {under_a_file}: File exists (a file stands where a folder is needed: choose another path)"
    ]


def test_cli_forecast_refuses_identifying_history(tmp_path: Path) -> None:
    text = (EXAMPLES / "p017.csv").read_text().splitlines()
    rows = [text[0] + ",email"] + [line + ",x@example.org" for line in text[1:]]
    path = tmp_path / "p099.csv"
    path.write_text("\n".join(rows) + "\n")
    result = runner.invoke(
        app,
        ["forecast", str(path), "--patient", "condition=trd", "--until", "12 w", "--json", str(tmp_path / "o.json")],
    )
    assert result.exit_code == 2
    assert "column email" in result.output and "identifies a person" in result.output
    assert not (tmp_path / "o.json").exists()


@pytest.mark.slow
def test_nuts_runs_through_the_gradient_of_the_course() -> None:
    """The NUTS path (``--sampler nuts``) samples and reports its diagnostics (slow: compiles the gradient)."""
    protocol = short_protocol(1)
    course = courses.patient_course(protocol)
    index = course.index([0.0, 24.0, 96.0])
    ratings = likelihood.Ratings(
        jnp.asarray(index),
        jnp.zeros(3, dtype=int),
        jnp.asarray([33.0, 20.0, 14.0]),
        jnp.full(3, course.pset["madrs_rater_noise_sd_points"]),
        jnp.zeros(3),
        jnp.full(3, 60.0),
    )
    settings = samplers.SamplerSettings(method="nuts", chains=2, warmup=30, samples=30, max_tree_depth=4, seed=1)
    active = courses.active_etas(protocol, ["madrs"])
    etas, diagnostics = samplers.sample_etas(course, ratings, int(index[-1]), active, settings)
    assert etas.shape == (60, len(courses.ETA_NAMES))
    assert diagnostics.method == "NUTS" and diagnostics.divergences is not None
    assert np.isfinite(diagnostics.r_hat_max) and diagnostics.ess_min > 0
