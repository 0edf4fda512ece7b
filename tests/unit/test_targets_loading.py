"""Loading targets files: the good ones load, each bad one fails with the key path and a fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ketasim.analysis.summary import PER_PATIENT_KINDS
from ketasim.errors import InputError, TargetsError
from ketasim.protocol import load_protocol
from ketasim.validation.targets import load_targets, parse_targets, with_role

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION = ROOT / "data" / "calibration-targets.yaml"
VALIDATION = ROOT / "data" / "validation-targets.yaml"
PREDICTIONS = ROOT / "tests" / "data" / "validation-predictions.json"

PROTOCOL = {
    "ketasim": 1,
    "name": "single infusion",
    "duration": "2 d",
    "population": {"size": 1, "variability": False},
    "arms": [{"name": "ketamine", "treatments": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg"}]}],
}


def good() -> dict[str, Any]:
    """A valid targets mapping with one output target and one endpoint target."""
    return {
        "ketasim-targets": 1,
        "targets": [
            {
                "id": "cmax",
                "title": "peak plasma ketamine",
                "source": "a study",
                "confidence": "medium",
                "protocol": copy.deepcopy(PROTOCOL),
                "measure": {
                    "arm": "ketamine",
                    "output": "plasma_ketamine",
                    "statistic": "max",
                    "window": ["0 h", "4 h"],
                },
                "expected": 185,
                "band": [140, 240],
            },
            {
                "id": "response",
                "title": "response at 24 h",
                "source": "a trial",
                "doi": "10.1/x",
                "confidence": "high",
                "protocol_file": "single.yaml",
                "measure": {"arm": "ketamine", "endpoint": "response_24h"},
                "expected": 0.5,
                "band": [0.4, 0.6],
            },
        ],
    }


def test_a_good_mapping_loads_with_times_in_hours(tmp_path: Path) -> None:
    loaded = parse_targets(good(), base_dir=tmp_path)
    first, second = loaded.targets
    assert first.measure.window_h == (0.0, 4.0)
    assert first.measure.across_patients == "median"
    assert first.band == (140.0, 240.0)
    assert second.protocol_file == tmp_path / "single.yaml"
    assert second.measure.endpoint == "response_24h"
    assert second.doi == "10.1/x"


def test_value_statistic_reads_at_in_hours() -> None:
    data = good()
    data["targets"][0]["measure"] = {
        "arm": "ketamine",
        "output": "plasma_ketamine",
        "statistic": "value",
        "at": "40 min",
    }
    measure = parse_targets(data).targets[0].measure
    assert measure.at_h == pytest.approx(40 / 60)
    assert measure.window_h is None


def test_anchored_protocols_share_one_key(tmp_path: Path) -> None:
    text = """
ketasim-targets: 1
targets:
- id: a
  title: t
  source: s
  confidence: low
  protocol: &p {ketasim: 1, name: x, duration: 1 d}
  measure: {arm: k, output: plasma_ketamine, statistic: max, window: [0 h, 1 h]}
  expected: 1
  band: [0, 2]
- id: b
  title: t
  source: s
  confidence: low
  protocol: *p
  measure: {arm: k, output: plasma_ketamine, statistic: min, window: [0 h, 1 h]}
  expected: 1
  band: [0, 2]
"""
    path = tmp_path / "t.yaml"
    path.write_text(text)
    a, b = load_targets(path).targets
    assert a.protocol_key() == b.protocol_key()


def test_the_calibration_file_loads() -> None:
    loaded = load_targets(CALIBRATION)
    ids = [t.id for t in loaded.targets]
    assert len(ids) == len(set(ids)) > 10
    keys = {t.protocol_key() for t in loaded.targets}
    assert len(keys) < len(ids)  # anchors: several targets share a protocol


CONTRAST = {"contrast": ["ketamine", "saline"], "endpoint": "change_24h"}
SD = {"arm": "ketamine", "endpoint": "change_d28", "statistic": "sd"}
WORSE = {"arm": "ketamine", "endpoint": "change_d7", "statistic": "fraction_above", "threshold": 0}


def test_roles_default_to_calibration_and_select() -> None:
    data = good()
    data["targets"][1]["role"] = "validation"
    loaded = parse_targets(data)
    assert [t.role for t in loaded.targets] == ["calibration", "validation"]
    assert [t.id for t in with_role(loaded, "validation").targets] == ["response"]
    assert with_role(loaded, "validation").targets[0].key_path == "targets[1]"  # its place in the file
    assert with_role(loaded, "all") is loaded
    data["targets"][1]["role"] = "calibration"
    with pytest.raises(InputError, match="has no validation targets") as info:
        with_role(parse_targets(data), "validation")
    assert info.value.key_path == "--role"
    with pytest.raises(InputError, match="did you mean 'validation'"):
        with_role(loaded, "validaton")


def test_contrasts_and_endpoint_statistics_load() -> None:
    data = good()
    data["targets"][1]["measure"] = copy.deepcopy(CONTRAST)
    data["targets"].append(dict(copy.deepcopy(data["targets"][1]), id="sd", measure=copy.deepcopy(SD)))
    data["targets"].append(dict(copy.deepcopy(data["targets"][1]), id="worse", measure=copy.deepcopy(WORSE)))
    contrast, sd, worse = (t.measure for t in parse_targets(data).targets[1:])
    assert (contrast.arm, contrast.control, contrast.endpoint, contrast.statistic) == (
        "ketamine",
        "saline",
        "change_24h",
        None,
    )
    assert contrast.describe() == "ketamine - saline: change_24h"
    assert (sd.statistic, sd.threshold, sd.control) == ("sd", None, None)
    assert sd.describe() == "ketamine: SD across patients of change_d28"
    assert (worse.statistic, worse.threshold) == ("fraction_above", 0.0)
    assert worse.describe() == "ketamine: fraction of patients with change_d7 above 0"


@pytest.mark.parametrize(("path", "role"), [(CALIBRATION, "calibration"), (VALIDATION, "validation")])
def test_the_project_targets_read_real_arms_and_endpoints(path: Path, role: str) -> None:
    """Each project target has its role and a source, and measures arms and endpoints its protocol has."""
    loaded = load_targets(path)
    for target in loaded.targets:
        assert target.role == role, target.id
        assert target.source.strip() and target.title.strip(), target.id
        measure = target.measure
        protocol = load_protocol(target.protocol if target.protocol is not None else target.protocol_file)
        arms = [arm.name for arm in protocol.arms]
        assert measure.arm in arms, target.id
        assert measure.control is None or measure.control in arms, target.id
        if measure.endpoint is not None:
            kinds = {e.name: e.kind for e in protocol.endpoints}
            assert measure.endpoint in kinds, target.id
            if measure.statistic is not None:
                assert kinds[measure.endpoint] in PER_PATIENT_KINDS, target.id


def test_calibration_and_validation_targets_are_separate_and_every_prediction_is_recorded() -> None:
    calibration = {t.id for t in load_targets(CALIBRATION).targets}
    validation = [t.id for t in load_targets(VALIDATION).targets]
    assert len(validation) >= 12
    assert not calibration & set(validation)
    recorded = json.loads(PREDICTIONS.read_text())
    assert list(recorded) == validation  # recorded before the model changed, for every validation target


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    """Set (or delete, with value ``...``) a dotted path such as ``targets.0.measure.statistic``."""
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value


BAD = [
    # (what to change, new value, key path in the error, words in the message)
    ("ketasim-targets", 2, "ketasim-targets", "unsupported version"),
    ("ketasim-targets", ..., "ketasim-targets", "required key is missing"),
    ("targets", [], "targets", "empty"),
    ("targets.0.statistc", "max", "targets[0].statistc", "unknown key"),
    ("targets.0.measure.statistc", "max", "targets[0].measure.statistc", "did you mean 'statistic'"),
    ("targets.0.measure.statistic", "maximum", "targets[0].measure.statistic", "unknown value 'maximum'"),
    ("targets.0.measure.output", "plasma_ketamin", "targets[0].measure.output", "did you mean 'plasma_ketamine'"),
    ("targets.0.measure.window", ["0 h"], "targets[0].measure.window", "needs two times"),
    ("targets.0.measure.window", ["4 h", "0 h"], "targets[0].measure.window", "ends before it starts"),
    ("targets.0.measure.window", [0, "4 h"], "targets[0].measure.window[0]", "bare number"),
    ("targets.0.measure.window", ..., "targets[0].measure.window", "needs a time window"),
    ("targets.0.measure.at", "1 h", "targets[0].measure.at", "does not apply"),
    ("targets.0.measure.across_patients", "mode", "targets[0].measure.across_patients", "unknown value"),
    ("targets.0.measure.endpoint", "response_24h", "targets[0].measure", "exactly one of `endpoint` and `output`"),
    ("targets.1.measure.window", ["0 h", "1 h"], "targets[1].measure.window", "does not apply to an endpoint"),
    ("targets.0.confidence", "certain", "targets[0].confidence", "unknown value 'certain'"),
    ("targets.0.expected", "185", "targets[0].expected", "expected a number"),
    ("targets.0.expected", 300, "targets[0].expected", "outside its band"),
    ("targets.0.band", [240, 140], "targets[0].band", "not an interval"),
    ("targets.0.band", [140], "targets[0].band", "needs two numbers"),
    ("targets.0.protocol_file", "other.yaml", "targets[0]", "exactly one of `protocol` and `protocol_file`"),
    ("targets.1.protocol_file", ..., "targets[1]", "exactly one of `protocol` and `protocol_file`"),
    ("targets.1.id", "cmax", "targets[1].id", "duplicate id 'cmax'"),
    ("targets.1.title", ..., "targets[1].title", "required key is missing"),
    ("targets.0.measure", "max of plasma", "targets[0].measure", "expected a mapping"),
    # roles
    ("targets.0.role", "test", "targets[0].role", "unknown value 'test'"),
    ("targets.0.role", "validaton", "targets[0].role", "did you mean 'validation'"),
    # an arm, or a contrast
    ("targets.1.measure.arm", ..., "targets[1].measure.arm", "(or `contrast: [arm, control]` with an endpoint)"),
    ("targets.1.measure.contrast", ["ketamine"], "targets[1].measure.arm", "does not apply to a contrast"),
    ("targets.1.measure", dict(CONTRAST, arm="ketamine"), "targets[1].measure.arm", "does not apply to a contrast"),
    ("targets.1.measure", {"contrast": ["ketamine"], "endpoint": "e"}, "targets[1].measure.contrast", "needs two arms"),
    ("targets.1.measure", {"contrast": ["a", "b", "c"], "endpoint": "e"}, "targets[1].measure.contrast", "got 3"),
    ("targets.1.measure", {"contrast": ["a", "a"], "endpoint": "e"}, "targets[1].measure.contrast", "with itself"),
    ("targets.1.measure", {"contrast": ["a", " "], "endpoint": "e"}, "targets[1].measure.contrast[1]", "is empty"),
    ("targets.1.measure", {"contrast": ["a", 2], "endpoint": "e"}, "targets[1].measure.contrast[1]", "expected text"),
    ("targets.1.measure", {"contrast": "a - b", "endpoint": "e"}, "targets[1].measure.contrast", "expected a list"),
    ("targets.1.measure", {"contrast": ["a", "b"]}, "targets[1].measure.endpoint", "a contrast needs an endpoint"),
    (
        "targets.1.measure",
        dict(CONTRAST, statistic="sd"),
        "targets[1].measure.statistic",
        "does not apply to a contrast",
    ),
    ("targets.1.measure", dict(CONTRAST, threshold=0), "targets[1].measure.threshold", "does not apply to a contrast"),
    (
        "targets.1.measure",
        {"contrast": ["a", "b"], "output": "plasma_ketamine", "statistic": "max", "window": ["0 h", "1 h"]},
        "targets[1].measure.output",
        "does not apply to a contrast",
    ),
    # statistics across patients of an endpoint
    ("targets.1.measure", dict(SD, statistic="spread"), "targets[1].measure.statistic", "unknown value 'spread'"),
    ("targets.1.measure", dict(SD, statistic="max"), "targets[1].measure.statistic", "reads an output's time course"),
    ("targets.1.measure", dict(SD, threshold=0), "targets[1].measure.threshold", "does not apply to statistic `sd`"),
    ("targets.1.measure", dict(WORSE, threshold=...), "targets[1].measure.threshold", "needs a threshold"),
    ("targets.1.measure", dict(WORSE, threshold="0"), "targets[1].measure.threshold", "expected a number"),
    ("targets.1.measure", dict(WORSE, threshold=float("nan")), "targets[1].measure.threshold", "finite"),
    (
        "targets.1.measure",
        dict(WORSE, statistic=...),
        "targets[1].measure.threshold",
        "needs statistic `fraction_below`",
    ),
    (
        "targets.1.measure",
        dict(WORSE, window=["0 h", "1 h"]),
        "targets[1].measure.window",
        "does not apply to an endpoint",
    ),
    ("targets.0.measure.statistic", "sd", "targets[0].measure.statistic", "name an `endpoint`"),
    ("targets.0.measure.threshold", 0, "targets[0].measure.threshold", "does not apply to statistic `max`"),
]


@pytest.mark.parametrize(("change", "value", "key_path", "words"), BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_bad_targets_name_the_key_and_the_fix(change: str, value: Any, key_path: str, words: str) -> None:
    data = good()
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not ...}
    _set(data, change, value)
    with pytest.raises(TargetsError) as info:
        parse_targets(data)
    assert info.value.key_path == key_path
    assert words in str(info.value)
    assert info.value.fix  # every error says what to do


def test_a_file_that_is_not_a_mapping() -> None:
    with pytest.raises(TargetsError, match="must be a mapping"):
        parse_targets(["not", "a", "mapping"])


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TargetsError, match="cannot read targets file"):
        load_targets(tmp_path / "nope.yaml")


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("ketasim-targets: 1\ntargets:\n  - id: [unclosed\n")
    with pytest.raises(TargetsError, match="line"):
        load_targets(path)


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    data = good()
    text = yaml.safe_dump(data, sort_keys=False).replace("expected: 185\n", "expected: 185\n  expected: 190\n")
    path = tmp_path / "twice.yaml"
    path.write_text(text)
    with pytest.raises(TargetsError, match="written twice"):
        load_targets(path)
