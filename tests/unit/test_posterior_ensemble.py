"""The posterior ensemble: on a toy model linear in log(value), calibrated at its least-squares optimum, the
finite-difference surrogate is exact and the NUTS draws recover the Bayesian linear regression's posterior; the
surrogate is centred at the optimum whatever its residuals there; a saved surrogate is sampled without simulating
and refused for another calibration; the file has the agreed keys; the command refuses bad input in one line."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.errors import InputError, TargetsError
from ketasim.inference.calibrate import CONFIDENCE_WEIGHTS, FreeParameter, calibrated_names
from ketasim.inference.posterior import make_posterior, posterior_document, write_posterior
from ketasim.inference.sensitivity import CONFIDENCE_SPREAD
from ketasim.inference.surrogate import Z95, LinearSurrogate
from ketasim.parameters import CALIBRATED_FILE, DEFAULT, get_parameter_set
from ketasim.parameters.registry import ParameterSet
from ketasim.validation import TargetsFile, parse_targets
from ketasim.validation.runner import Backend

ROOT = Path(__file__).resolve().parents[2]
POSTERIOR_FILE = CALIBRATED_FILE.with_name("posterior.yaml")
SURROGATE_FILE = Path("docs/posterior/surrogate.json")
NAMES = ["depression_time_constant_h", "ketamine_relief_max", "total_relief_max"]
SLOPES = np.array([[4.0, 0.0, 0.0], [1.0, 3.0, 0.0], [0.0, 1.0, 1.0], [2.0, -2.0, 0.0]])  # d simulated / d log(value)
EXPECTED = np.array([0.5, -0.2, 0.1, 0.3])
HALF_BAND = np.array([0.5, 0.25, 1.0, 0.5])
CONFIDENCE = ["high", "medium", "low", "high"]


def toy_entries(role: str = "calibration") -> dict[str, Any]:
    """Four targets of one fake protocol; target k reads endpoint ``e{k}``; the last has ``role``."""
    entries = [
        {
            "id": f"t{k}",
            "title": f"toy target {k}",
            "source": "this test",
            "confidence": CONFIDENCE[k],
            "role": role if k == 3 else "calibration",
            "protocol": {"name": "toy"},
            "measure": {"arm": "a", "endpoint": f"e{k}"},
            "expected": float(EXPECTED[k]),
            "band": [float(EXPECTED[k] - HALF_BAND[k]), float(EXPECTED[k] + HALF_BAND[k])],
        }
        for k in range(len(EXPECTED))
    ]
    return {"ketasim-targets": 1, "targets": entries}


def toy_targets(role: str = "calibration") -> TargetsFile:
    """The toy targets, parsed."""
    return parse_targets(toy_entries(role))


def toy_backend(prior: ParameterSet) -> tuple[Backend, list[int]]:
    """Endpoint k = SLOPES[k] · log(value / prior value): linear in calibrate's coordinates. Counts runner calls."""
    calls: list[int] = []

    def simulate_sets(protocol: Any, overrides: Any, patients: int) -> list[Any]:
        calls.append(len(overrides))
        logs = [np.array([math.log(o[n] / prior[n]) for n in NAMES]) for o in overrides]
        return [{"arm": SimpleNamespace(values=np.array(["a"])), "logs": x} for x in logs]

    def endpoint_value(protocol: Any, dataset: Any, arm: str, endpoint: str) -> float:
        return float(SLOPES[int(endpoint[1:])] @ dataset["logs"])

    def unused(*args: Any, **keys: Any) -> Any:
        raise AssertionError("not used by the toy")

    population = SimpleNamespace(size=8)
    backend = Backend(
        load_protocol=lambda *a, **k: SimpleNamespace(population=population, warnings=[]),
        simulate=unused,
        endpoint_value=endpoint_value,
        endpoint_statistic=unused,
        simulate_sets=simulate_sets,
    )
    return backend, calls


def shifted(prior: ParameterSet, factors: list[float]) -> ParameterSet:
    """The prior set with ``NAMES`` multiplied by ``factors``: the toy's calibrated optimum."""
    values = {name: prior[name] * f for name, f in zip(NAMES, factors, strict=True)}
    return replace(prior, name="default", parameters=prior.with_overrides(values).parameters)


def target_sd() -> np.ndarray:
    """Each toy target's standard deviation: its band as a 95 % interval, widened by its confidence weight."""
    return HALF_BAND / (Z95 * np.sqrt([CONFIDENCE_WEIGHTS[c] for c in CONFIDENCE]))


def least_squares_factors() -> list[float]:
    """exp of the toy's least-squares optimum in log(value / prior value): where calibrate would stop."""
    weights = 1.0 / target_sd()
    return np.exp(np.linalg.lstsq(SLOPES * weights[:, None], EXPECTED * weights, rcond=None)[0]).tolist()


def regression_posterior(prior: ParameterSet) -> tuple[np.ndarray, np.ndarray]:
    """The exact posterior of log(value / prior value), computed here from the toy's definition."""
    sd_targets = target_sd()
    sd_prior = np.array([math.log(CONFIDENCE_SPREAD[prior.parameter(n).confidence]) / Z95 for n in NAMES])
    precision = SLOPES.T @ np.diag(sd_targets**-2) @ SLOPES + np.diag(sd_prior**-2)
    covariance = np.linalg.inv(precision)
    return covariance @ (SLOPES.T @ (EXPECTED / sd_targets**2)), covariance


def test_nuts_on_the_measured_surrogate_recovers_the_exact_posterior_of_a_linear_model() -> None:
    prior = get_parameter_set("prior")
    backend, calls = toy_backend(prior)
    optimum = shifted(prior, least_squares_factors())  # the slope there is zero, so Laplace's centring is exact
    result = make_posterior(toy_targets(), prior, optimum, NAMES, draws=1024, check=8, seed=3, backend=backend)
    assert calls == [2 * len(NAMES) + 1, 8]  # the optimum and every difference point in one call; then the check
    surrogate = result.measured.surrogate
    x0 = np.log([optimum[n] for n in NAMES])
    np.testing.assert_allclose(surrogate.x0, x0)
    weights = np.sqrt([CONFIDENCE_WEIGHTS[c] for c in CONFIDENCE])
    np.testing.assert_allclose(surrogate.jacobian, weights[:, None] * SLOPES / HALF_BAND[:, None], rtol=1e-9)
    mean, covariance = regression_posterior(prior)
    shift = np.log([prior[n] for n in NAMES])
    closed_mean, closed_covariance = surrogate.gaussian_posterior()
    np.testing.assert_allclose(closed_mean - shift, mean, atol=1e-9)
    np.testing.assert_allclose(closed_covariance, covariance, atol=1e-12)
    draws = result.ensemble.draws - shift
    sd = np.sqrt(np.diag(covariance))
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 4 * sd / np.sqrt(result.ensemble.ess))
    np.testing.assert_allclose(np.cov(draws.T), covariance, rtol=0.25, atol=0.05 * sd.max() ** 2)
    assert result.ensemble.ess.min() > 200 and result.ensemble.r_hat.max() < 1.05
    # the toy is linear and x0 its least-squares optimum, so the surrogate predicts residuals and objective exactly
    check = result.check
    assert check is not None
    np.testing.assert_allclose(check.real, check.predicted, atol=1e-9)
    np.testing.assert_allclose(check.predicted_objective, np.sum(check.real**2, axis=1), rtol=1e-9)
    assert check.predicted_objective.min() > float(surrogate.r0 @ surrogate.r0)
    np.testing.assert_array_equal(check.indices, np.linspace(0, 1023, 8).round())


def test_the_file_has_the_agreed_keys_and_values_in_registry_units(tmp_path: Path) -> None:
    prior = get_parameter_set("prior")
    backend, _ = toy_backend(prior)
    optimum = shifted(prior, [1.0, 1.0, 1.0])
    result = make_posterior(toy_targets(), prior, optimum, NAMES, draws=16, check=2, backend=backend)
    written = write_posterior(posterior_document(result, optimum, toy_targets()), tmp_path / "posterior.yaml")
    document = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert list(document)[:6] == ["ketasim-posterior", "based_on", "method", "parameters", "draws", "diagnostics"]
    assert document["ketasim-posterior"] == 1 and document["based_on"] == "default"
    assert document["parameters"] == [{"name": n, "unit": prior.parameter(n).unit} for n in NAMES]
    draws = np.array(document["draws"])
    assert draws.shape == (16, 3)
    np.testing.assert_allclose(draws, np.exp(result.ensemble.draws), rtol=1e-5)
    assert set(document["diagnostics"]["ess"]) == set(document["diagnostics"]["r_hat"]) == set(NAMES)
    assert len(document["diagnostics"]["surrogate_check"]["real_objective"]) == 2
    assert {"ketasim", "date", "targets_sha256", "patients_per_arm"} <= set(document["provenance"])


def test_the_surrogate_is_centred_at_the_optimum_whatever_the_residuals_there() -> None:
    free = tuple(FreeParameter(n, 0.5, 2.0) for n in ("a", "b"))
    jacobian = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
    x0, wide = np.array([0.3, -0.2]), np.full(2, 1e6)  # a prior too wide to matter

    def surrogate(r0: list[float]) -> LinearSurrogate:
        return LinearSurrogate(free, ("r1", "r2", "r3"), x0, np.array(r0), jacobian, np.zeros(2), wide)

    mean, covariance = surrogate([1.0, -2.0, 0.5]).gaussian_posterior()  # J^T r0 = (0, -0.5): a slope at x0
    np.testing.assert_allclose(mean, x0, atol=1e-9)
    np.testing.assert_allclose(covariance, np.linalg.inv(Z95**2 * jacobian.T @ jacobian), rtol=1e-6)
    np.testing.assert_allclose(surrogate([0.0, 0.0, 0.0]).gaussian_posterior()[0], mean, atol=1e-9)
    objective = surrogate([1.0, -2.0, 0.5]).objective(np.array([x0, x0 + [0.1, 0.0]]))
    np.testing.assert_allclose(objective, [5.25, 5.25 + 0.04 + 0.01])


def test_a_saved_surrogate_is_sampled_without_simulating_and_refused_for_another_calibration(tmp_path: Path) -> None:
    prior = get_parameter_set("prior")
    backend, calls = toy_backend(prior)
    optimum = shifted(prior, [1.1, 0.9, 1.05])
    measured = make_posterior(toy_targets(), prior, optimum, NAMES, draws=16, check=0, seed=1, backend=backend)
    saved = tmp_path / "surrogate.json"
    saved.write_text(json.dumps(measured.measured.to_json()), encoding="utf-8")
    calls.clear()
    read = make_posterior(
        toy_targets(), prior, optimum, NAMES, draws=16, check=0, seed=1, surrogate_file=saved, backend=backend
    )
    assert calls == []
    np.testing.assert_array_equal(read.ensemble.draws, measured.ensemble.draws)
    assert read.measured.to_json() == measured.measured.to_json()
    document = posterior_document(read, optimum, toy_targets())
    assert document["provenance"]["jacobian"]["file"] == str(saved)
    assert document["provenance"]["jacobian"]["sets"] == 2 * len(NAMES) + 1
    other_targets = parse_targets({**toy_entries(), "targets": toy_entries()["targets"][:3]})
    refused = {
        "values than the calibrated set": (toy_targets(), shifted(prior, [1.0, 0.9, 1.05]), NAMES),
        "parameters (or bounds) than the calibrated set": (toy_targets(), optimum, NAMES[:2]),
        "targets than the targets file": (other_targets, optimum, NAMES),
    }
    for problem, (targets, calibrated, names) in refused.items():
        with pytest.raises(InputError, match=f"^--from-surrogate: .* was measured for other {re.escape(problem)}"):
            make_posterior(targets, prior, calibrated, names, draws=16, check=0, surrogate_file=saved, backend=backend)
    (tmp_path / "broken.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="is not a surrogate file"):
        make_posterior(toy_targets(), prior, optimum, NAMES, surrogate_file=tmp_path / "broken.json", backend=backend)
    assert calls == []


def test_profile_and_combinations_of_a_surrogate_follow_from_its_jacobian() -> None:
    free = tuple(FreeParameter(n, 0.5, 2.0) for n in ("a", "b", "c"))
    jacobian = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # a and b enter only as a + b
    surrogate = LinearSurrogate(
        free, ("r1", "r2"), np.zeros(3), np.array([0.5, -1.0]), jacobian, np.zeros(3), np.ones(3)
    )
    assert surrogate.profile_half_width(0) == math.inf  # b makes up for a
    assert surrogate.profile_half_width(2) == pytest.approx(0.5)  # the objective rises by 1 at c ± 1/2
    # |r0|² = 1.25 at x0; a step in c moves the second residual by 2 c whatever a and b are
    np.testing.assert_allclose(surrogate.profile(2, np.array([0.0, 0.5, 1.0])), [1.25, 2.25, 5.25], atol=1e-12)
    np.testing.assert_allclose(surrogate.profile(0, np.array([-1.0, 2.0])), [1.25, 1.25], atol=1e-12)
    best, middle, worst = surrogate.combinations()
    assert best.singular_value == pytest.approx(2 * Z95)
    assert abs(best.loadings[2]) == pytest.approx(1.0)
    np.testing.assert_allclose(np.abs(middle.loadings), [2**-0.5, 2**-0.5, 0.0], atol=1e-12)
    assert worst.singular_value == 0.0 and worst.shrinkage == 1.0
    np.testing.assert_allclose(np.abs(worst.loadings), [2**-0.5, 2**-0.5, 0.0], atol=1e-12)
    assert LinearSurrogate.from_json(surrogate.to_json()).to_json() == surrogate.to_json()


def test_bad_requests_are_refused_before_anything_runs() -> None:
    prior = get_parameter_set("prior")
    backend, calls = toy_backend(prior)
    with pytest.raises(TargetsError, match="may not be fitted"):
        make_posterior(toy_targets("validation"), prior, prior, NAMES, backend=backend)
    with pytest.raises(InputError, match="--draws"):
        make_posterior(toy_targets(), prior, prior, NAMES, draws=10, backend=backend)
    with pytest.raises(InputError, match="--check"):
        make_posterior(toy_targets(), prior, prior, NAMES, draws=16, check=17, backend=backend)
    assert calls == []


def test_the_command_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    def written(name: str, role: str) -> str:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(toy_entries(role)), encoding="utf-8")
        return str(path)

    good, held_out = written("good.yaml", "calibration"), written("held-out.yaml", "validation")
    out = str(tmp_path / "posterior.yaml")
    cases = {
        (good, "--out", str(tmp_path / "posterior.txt")): "error: --out: ",
        (good, "--out", out, "--draws", "6"): "error: --draws: 6 draws do not split into 4 chains of at least 4",
        (good, "--out", out, "--draws", "16", "--check", "17"): "error: --check: 17 checked draws of 16",
        (held_out, "--out", out): "error: targets[3].role: validation target 't3' may not be fitted",
        (good, "--out", out, "--from-surrogate", str(ROOT / SURROGATE_FILE)): "error: --from-surrogate: ",
    }
    for (targets, *options), message in cases.items():
        result = CliRunner().invoke(app, ["posterior", "--targets", targets, *options])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not Path(out).exists()


def test_the_committed_ensemble_sits_on_the_committed_calibration() -> None:
    document = yaml.safe_load(POSTERIOR_FILE.read_text(encoding="utf-8"))
    based_on = get_parameter_set(document["based_on"])
    assert document["based_on"] == DEFAULT
    names = calibrated_names(based_on)
    assert [p["name"] for p in document["parameters"]] == names
    assert [p["unit"] for p in document["parameters"]] == [based_on.parameter(n).unit for n in names]
    provenance = document["provenance"]
    assert provenance["calibrated_sha256"] == hashlib.sha256(CALIBRATED_FILE.read_bytes()).hexdigest()
    targets = ROOT / provenance["targets_file"]
    assert provenance["targets_sha256"] == hashlib.sha256(targets.read_bytes()).hexdigest()
    draws = np.array(document["draws"], dtype=float)
    assert draws.shape == (256, len(names)) and np.isfinite(draws).all()
    assert set(document["diagnostics"]["ess"]) == set(names)
    surrogate = provenance["jacobian"]
    assert surrogate["file"] == str(SURROGATE_FILE)  # make posterior samples the committed surrogate
    assert surrogate["file_sha256"] == hashlib.sha256((ROOT / SURROGATE_FILE).read_bytes()).hexdigest()
