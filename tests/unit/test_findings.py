"""scripts/make_findings.py: how a claim is labelled from the recorded validation run, and the 2x2 interaction."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("make_findings", ROOT / "scripts" / "make_findings.py")
assert SPEC is not None and SPEC.loader is not None
findings = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(findings)

RECORD = json.loads((ROOT / "tests" / "data" / "validation-record.json").read_text())["data/validation-targets.yaml"]


def _passed_ids() -> list[str]:
    ids = [t.id for t in findings.load_targets(findings.VALIDATION_TARGETS).targets]
    return [i for i in ids if i not in RECORD["missed"]]


def test_a_claim_whose_targets_all_pass_is_validated() -> None:
    assert findings.evidence(tuple(_passed_ids()[:2])).startswith("**Evidence: validated.**")


def test_one_missed_target_makes_the_claim_a_hypothesis() -> None:
    text = findings.evidence((_passed_ids()[0], RECORD["missed"][0]))
    assert text.startswith("**Evidence: hypothesis.**")
    assert f"`{RECORD['missed'][0]}`" in text and "missed" in text


def test_a_claim_no_trial_tests_is_a_hypothesis_with_its_reason() -> None:
    assert findings.evidence((), "No trial.") == "**Evidence: hypothesis.** No trial."


def test_an_unknown_target_id_is_refused() -> None:
    with pytest.raises(SystemExit, match="no-such-target"):
        findings.evidence(("no-such-target",))


def test_the_interaction_is_the_difference_of_differences_with_an_interval_around_it() -> None:
    rng = np.random.default_rng(0)
    means = {"ketamine_emdr": -20.0, "emdr_alone": -12.0, "ketamine_alone": -9.0, "neither": -3.0}
    values = {
        arm: {"change": SimpleNamespace(counted=lambda m=m: m + rng.normal(0, 1, 200))} for arm, m in means.items()
    }
    value, (low, high) = findings.interaction(values, "change", seed=1)
    assert value == pytest.approx(-2.0, abs=0.5)
    assert low < value < high and high - low < 2.0
