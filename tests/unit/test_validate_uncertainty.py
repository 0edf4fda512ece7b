"""``ketasim validate --uncertainty``: each target's predicted interval over posterior draws and whether it covers
the band, beside the unchanged point result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.parameters.posterior import load_posterior
from ketasim.validation import TargetsFile, parse_targets, run_targets, with_predictions
from uncertainty_cases import ENSEMBLE, infusion_trial

runner = CliRunner()
PROTOCOL = infusion_trial(
    "one infusion",
    duration="1 d",
    size=4,
    observe={"every": "4 h", "outputs": ["madrs"]},
    endpoints=[{"name": "change_24h", "kind": "mean_change", "scale": "madrs", "at": "24 h"}],
)
MEASURE = {"arm": "ketamine", "endpoint": "change_24h"}
TARGETS: dict[str, Any] = {
    "ketasim-targets": 1,
    "targets": [
        {"id": "wide", "measure": MEASURE, "expected": -10.0, "band": [-100.0, 100.0]},
        {"id": "impossible", "measure": MEASURE, "expected": 55.0, "band": [50.0, 60.0]},
        {"id": "contrast", "measure": {"contrast": ["ketamine", "saline"], "endpoint": "change_24h"}}
        | {"expected": -5.0, "band": [-40.0, 10.0]},
    ],
}
for entry in TARGETS["targets"]:
    entry.update(title=entry["id"], source="this test", confidence="low", protocol=PROTOCOL)


def targets() -> TargetsFile:
    return parse_targets(TARGETS)


def test_identical_draws_predict_the_point_value_itself() -> None:
    run = run_targets(targets())
    predicted = with_predictions(run, targets(), [{}, {}])
    for plain, result in zip(run.results, predicted.results, strict=True):
        assert result.simulated == plain.simulated and result.passed == plain.passed
        assert result.prediction is not None and result.prediction.pi95 is not None
        assert result.prediction.pi95 == pytest.approx((plain.simulated, plain.simulated), rel=1e-9)


def test_draws_that_differ_spread_the_prediction_and_say_whether_it_reaches_the_band() -> None:
    run = run_targets(targets())
    predicted = with_predictions(run, targets(), load_posterior(ENSEMBLE).overrides(4))
    coverage = {r.target.id: r.prediction for r in predicted.results}
    assert all(p is not None and p.pi95 is not None for p in coverage.values())
    wide, impossible = coverage["wide"], coverage["impossible"]
    assert wide is not None and wide.pi95 is not None and impossible is not None
    assert wide.pi95[1] - wide.pi95[0] > 0.1  # the draws move the ketamine response
    assert wide.covered is True and impossible.covered is False
    document = predicted.to_json()
    assert document["uncertainty"] == {"draws": 4, "covered": predicted.covered}
    assert [r["covered"] for r in document["results"]][:2] == [True, False]
    assert document["results"][0]["pi95"] == list(wide.pi95)
    plain = run.to_json()
    assert "uncertainty" not in plain and all("pi95" not in r and "covered" not in r for r in plain["results"])


def test_validate_uncertainty_writes_the_coverage_column(tmp_path: Path) -> None:
    file = tmp_path / "targets.yaml"
    file.write_text(yaml.safe_dump(TARGETS), encoding="utf-8")
    out, report = tmp_path / "v.json", tmp_path / "report"
    arguments = ["validate", "--targets", str(file), "--json", str(out), "--report", str(report), "--quiet"]
    result = runner.invoke(app, [*arguments, "--uncertainty", "3", "--posterior", str(ENSEMBLE)])
    assert result.exit_code == 0, result.output
    assert "predicted intervals (3 draws) cover the band" in result.stdout
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["uncertainty"]["draws"] == 3
    assert [r["covered"] for r in document["results"]][:2] == [True, False]
    assert "95 % predicted (3 draws)" in (report / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--uncertainty", "1", "--posterior", str(ENSEMBLE)], "error: --uncertainty: 1 draw(s) give no interval"),
        (["--uncertainty", "20", "--posterior", str(ENSEMBLE)], "error: --uncertainty: 20 draws asked for"),
        (["--posterior", str(ENSEMBLE)], "error: --posterior: is only read with --uncertainty"),
    ],
)
def test_bad_uncertainty_options_are_one_error_line(tmp_path: Path, options: list[str], message: str) -> None:
    file = tmp_path / "targets.yaml"
    file.write_text(yaml.safe_dump(TARGETS), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--targets", str(file), "--json", str(tmp_path / "v.json"), *options])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not (tmp_path / "v.json").exists()
