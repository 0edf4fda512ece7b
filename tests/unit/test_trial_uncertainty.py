"""``ketasim trial --uncertainty``: posterior draws on the parameter axis, ``pi95`` beside ``ci95``.

The engine is real and the trial small (16 patients, 3 days); the ensemble is the 12-draw test ensemble of
tests/data, whose draws move the ketamine response.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.parameters.posterior import load_posterior
from ketasim.protocol import load_protocol
from ketasim.trial.run import TrialResult, run_trial
from ketasim.trial.uncertainty import simulate_draws
from uncertainty_cases import ENSEMBLE, infusion_trial

runner = CliRunner()
PROTOCOL = infusion_trial(
    "small uncertain trial",
    duration="3 d",
    size=16,
    observe={"every": "1 d"},
    endpoints=[
        {"name": "response_24h", "kind": "response", "scale": "madrs", "at": "24 h"},
        {"name": "change_d3", "kind": "mean_change", "scale": "madrs", "at": "3 d"},
        {"name": "response_time", "kind": "time_to_response", "scale": "madrs"},
    ],
)
DRAWS = 4


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[TrialResult, TrialResult]:
    """The trial without and with four posterior draws."""
    protocol = load_protocol(PROTOCOL)
    folder = tmp_path_factory.mktemp("uncertainty")
    plain = run_trial(protocol, out_dir=folder / "plain")
    uncertain = run_trial(protocol, out_dir=folder / "draws", uncertainty=DRAWS, posterior=load_posterior(ENSEMBLE))
    return plain, uncertain


def width(interval: list[float | None]) -> float:
    low, high = interval
    assert low is not None and high is not None
    return high - low


def test_a_run_without_uncertainty_has_no_predictive_entries(runs: tuple[TrialResult, TrialResult]) -> None:
    plain, _ = runs
    text = plain.files["summary"].read_text(encoding="utf-8")
    assert "pi95" not in text and "uncertainty" not in json.loads(text)
    assert "95 % predictive" not in plain.files["report"].read_text(encoding="utf-8")


def test_value_and_ci95_stay_those_of_the_protocols_set(runs: tuple[TrialResult, TrialResult]) -> None:
    plain, uncertain = runs
    for arm, content in plain.summary["arms"].items():
        for name, entry in content["endpoints"].items():
            with_draws = dict(uncertain.summary["arms"][arm]["endpoints"][name])
            assert with_draws.pop("pi95") is not None
            assert with_draws == entry
    for alone, with_draws in zip(plain.summary["comparisons"], uncertain.summary["comparisons"], strict=True):
        assert {k: v for k, v in with_draws.items() if k != "pi95"} == alone
    assert uncertain.summary["uncertainty"]["draws"] == DRAWS
    assert uncertain.summary["uncertainty"]["based_on"] == "default"


def test_pi95_is_at_least_as_wide_as_ci95_where_the_draws_differ(runs: tuple[TrialResult, TrialResult]) -> None:
    _, uncertain = runs
    ketamine = uncertain.summary["arms"]["ketamine"]["endpoints"]
    for name in ("response_24h", "change_d3"):
        entry = ketamine[name]
        assert width(entry["pi95"]) >= width(entry["ci95"]), name
        assert entry["pi95"][0] <= entry["value"] <= entry["pi95"][1]
    (change,) = [c for c in uncertain.summary["comparisons"] if c["endpoint"] == "change_d3"]
    assert width(change["pi95"]) >= width(change["ci95"])
    report = uncertain.files["report"].read_text(encoding="utf-8")
    assert "95 % predictive" in report and f"over {DRAWS} posterior draws" in report
    assert "ketamine median, 95 % over posterior draws" in report  # the rating scales' plot


def test_a_draw_without_values_is_the_protocols_own_run(runs: tuple[TrialResult, TrialResult]) -> None:
    plain, _ = runs
    protocol = load_protocol(PROTOCOL)
    relief = load_posterior(ENSEMBLE).overrides(2)[1]
    run = simulate_draws(protocol, [{}, relief], patients=16, seed=protocol.seed)
    unchanged, moved = run.values
    for arm in ("ketamine", "saline"):
        for name, values in unchanged[arm].items():
            expected = plain.analysis.values[arm][name]
            np.testing.assert_allclose(values.values, expected.values, rtol=1e-9)
            np.testing.assert_array_equal(values.included, expected.included)
    assert not np.allclose(moved["ketamine"]["change_d3"].values, unchanged["ketamine"]["change_d3"].values)
    madrs = plain.dataset["madrs"].sel(arm="ketamine").median("patient").values
    np.testing.assert_allclose(run.medians["ketamine"]["madrs"][0], madrs, rtol=1e-9)
    assert run.medians["ketamine"]["madrs"].shape == (2, madrs.size)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--uncertainty", "1"], "error: --uncertainty: 1 draw(s) give no interval (ask for 2 to 12)"),
        (["--uncertainty", "13"], "error: --uncertainty: 13 draws asked for, but the posterior ensemble has 12"),
        (["--posterior", str(ENSEMBLE)], "error: --posterior: is only read with --uncertainty"),
    ],
)
def test_bad_draw_counts_are_one_error_line(tmp_path: Path, options: list[str], message: str) -> None:
    protocol = tmp_path / "p.yaml"
    protocol.write_text(yaml.safe_dump(PROTOCOL), encoding="utf-8")
    ensemble = [] if "--posterior" in options else ["--posterior", str(ENSEMBLE)]
    result = runner.invoke(app, ["trial", str(protocol), "--out", str(tmp_path / "o"), *options, *ensemble])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_an_unreadable_ensemble_is_one_error_line(tmp_path: Path) -> None:
    protocol = tmp_path / "p.yaml"
    protocol.write_text(yaml.safe_dump(PROTOCOL), encoding="utf-8")
    ensemble = tmp_path / "posterior.yaml"
    ensemble.write_text("ketasim-posterior: 1\nbased_on: default\nmethod: m\nparameters: []\n", encoding="utf-8")
    result = runner.invoke(
        app, ["trial", str(protocol), "--out", str(tmp_path / "o"), "--uncertainty", "4", "--posterior", str(ensemble)]
    )
    assert result.exit_code == 2
    assert result.stderr == "error: parameters: must be a non-empty list of {name, unit}\n"
