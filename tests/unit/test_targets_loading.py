"""Loading targets files: the good ones load, each bad one fails with the key path and a fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ketasim.errors import TargetsError
from ketasim.validation.targets import load_targets, parse_targets

CALIBRATION = Path(__file__).resolve().parents[2] / "data" / "calibration-targets.yaml"

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
]


@pytest.mark.parametrize(("change", "value", "key_path", "words"), BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_bad_targets_name_the_key_and_the_fix(change: str, value: Any, key_path: str, words: str) -> None:
    data = good()
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
