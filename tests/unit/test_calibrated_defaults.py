"""The default parameter set is the prior set with the values of the committed calibration (``make calibrate``)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ketasim.inference.calibrate import calibrated_names
from ketasim.parameters import CALIBRATED_FILE, get_parameter_set, parameter_set

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The committed calibration file."""
    loaded: dict[str, Any] = yaml.safe_load(CALIBRATED_FILE.read_text(encoding="utf-8"))
    return loaded


def test_default_equals_prior_with_the_committed_values(document: dict[str, Any]) -> None:
    prior, default = get_parameter_set("prior"), get_parameter_set("default")
    fitted = {name: entry["value"] for name, entry in document["values"].items()}
    assert set(default.parameters) == set(prior.parameters)
    for name, parameter in default.parameters.items():
        assert parameter.value == fitted.get(name, prior[name]), name
        assert parameter.unit == prior.parameter(name).unit


def test_every_calibrated_parameter_is_fitted_by_the_command(document: dict[str, Any]) -> None:
    assert document["based_on"] == "prior"
    assert sorted(document["values"]) == sorted(calibrated_names(get_parameter_set("prior")))
    for name, entry in document["values"].items():
        assert entry["previous"] == get_parameter_set("prior")[name], name
        assert entry["unit"] == get_parameter_set("prior").parameter(name).unit


def test_the_fit_was_made_on_todays_calibration_targets(document: dict[str, Any]) -> None:
    provenance = document["provenance"]
    targets = ROOT / provenance["targets_file"]
    assert hashlib.sha256(targets.read_bytes()).hexdigest() == provenance["targets_sha256"]
    assert provenance["objective_after"] <= provenance["objective_before"]
    assert "role: validation" not in targets.read_text(encoding="utf-8")


def test_fitted_values_cite_the_calibration_run() -> None:
    default = parameter_set("default")
    for name in calibrated_names(default):
        assert default.parameter(name).source == "KETASIM-CALIBRATE", name
    assert default.references["KETASIM-CALIBRATE"].citation.startswith("Fitted by ketasim calibrate")
