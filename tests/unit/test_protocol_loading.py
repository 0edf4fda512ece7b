"""Loading protocol files: YAML, JSON and TOML give the same protocol; bad files give one clear line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

from ketasim.errors import ProtocolError
from ketasim.protocol import Protocol, arm_events, format_key_path, load_protocol, observation_times

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

YAML_TEXT = """\
ketasim: 1
name: loading test
seed: 7
duration: 14 d
population:
  size: 20
  condition: ptsd
  variability: true
  covariates:
    weight: {mean: 80 kg, sd: 12 kg}
    age: {min: 20, max: 60}
    female: {fraction: 0.6}
  baseline:
    caps5: {mean: 40, sd: 8}
  parameters: {set: default, override: {ketamine_s_clearance_l_per_h: 70 L/h}}
arms:
  - name: ketamine
    treatments:
      - {drug: ketamine, route: iv, dose: 0.5 mg/kg, infusion: 40 min, at: [0 d, 2 d, 4 d]}
      - {therapy: emdr, session: 90 min, after_each_dose: 24 h}
  - name: midazolam
    treatments:
      - {drug: midazolam, route: iv, dose: 0.045 mg/kg, infusion: 40 min, every: 2 d, count: 3}
observe:
  every: 1 h
  outputs: [plasma_ketamine, caps5]
endpoints:
  - {name: response_w2, kind: response, scale: caps5, at: 14 d, threshold: 30}
"""

TOML_TEXT = """\
ketasim = 1
name = "loading test"
seed = 7
duration = "14 d"

[population]
size = 20
condition = "ptsd"
variability = true
covariates.weight = {mean = "80 kg", sd = "12 kg"}
covariates.age = {min = 20, max = 60}
covariates.female = {fraction = 0.6}
baseline.caps5 = {mean = 40, sd = 8}
parameters = {set = "default", override = {ketamine_s_clearance_l_per_h = "70 L/h"}}

[[arms]]
name = "ketamine"
treatments = [
  {drug = "ketamine", route = "iv", dose = "0.5 mg/kg", infusion = "40 min", at = ["0 d", "2 d", "4 d"]},
  {therapy = "emdr", session = "90 min", after_each_dose = "24 h"},
]

[[arms]]
name = "midazolam"
treatments = [
  {drug = "midazolam", route = "iv", dose = "0.045 mg/kg", infusion = "40 min", every = "2 d", count = 3},
]

[observe]
every = "1 h"
outputs = ["plasma_ketamine", "caps5"]

[[endpoints]]
name = "response_w2"
kind = "response"
scale = "caps5"
at = "14 d"
threshold = 30
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_protocol_fields(tmp_path: Path) -> None:
    p = load_protocol(write(tmp_path, "p.yaml", YAML_TEXT))
    assert (p.name, p.seed, p.duration_h) == ("loading test", 7, 336.0)
    assert (p.population.size, p.population.condition, p.population.variability) == (20, "ptsd", True)
    assert p.population.covariates["weight"].typical() == 80.0
    assert p.population.covariates["weight"].sd == 12.0
    assert p.population.covariates["age"].typical() == 40.0
    assert p.population.covariates["female"].typical() == 0.6
    assert p.population.baseline["caps5"].typical() == 40.0
    assert p.population.parameter_set == "default"
    assert p.population.parameter_overrides == {"ketamine_s_clearance_l_per_h": "70 L/h"}
    assert [a.name for a in p.arms] == ["ketamine", "midazolam"]
    assert p.observe.every_h == 1.0 and p.observe.outputs == ("plasma_ketamine", "caps5")
    endpoint = p.endpoints[0]
    assert (endpoint.kind, endpoint.scale, endpoint.at_h, endpoint.threshold) == ("response", "caps5", 336.0, 30.0)
    assert len(arm_events(p, "ketamine").sessions) == 3
    assert len(observation_times(p)) == 337


def test_yaml_json_toml_give_the_same_protocol(tmp_path: Path) -> None:
    from_yaml = load_protocol(write(tmp_path, "p.yml", YAML_TEXT))
    from_json = load_protocol(write(tmp_path, "p.json", json.dumps(from_yaml.source)))
    from_toml = load_protocol(write(tmp_path, "p.toml", TOML_TEXT))
    assert from_json == from_yaml
    assert from_toml == from_yaml


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = """\
ketasim: 1
name: anchors
duration: 7 d
population: {condition: trd}
arms:
  - name: a
    treatments:
      - &infusion {drug: ketamine, route: iv, dose: 0.5 mg/kg, infusion: 40 min, at: [0 h]}
      - <<: *infusion
        dose: 0.2 mg/kg
        at: [3 d]
"""
    doses = arm_events(load_protocol(write(tmp_path, "p.yaml", text)), 0).doses
    assert [(d.time_h, d.amount) for d in doses] == [(0.0, 0.5), (72.0, pytest.approx(0.2))]


def test_defaults(tmp_path: Path) -> None:
    text = "ketasim: 1\nname: minimal\nduration: 1 d\npopulation: {}\narms: [{name: none, treatments: []}]\n"
    p = load_protocol(write(tmp_path, "p.yaml", text))
    assert p.seed == 0
    assert (p.population.size, p.population.condition, p.population.variability) == (1, "trd", True)
    assert p.population.covariates == {} and p.population.baseline == {}
    assert (p.population.parameter_set, p.population.parameter_overrides) == ("default", {})
    assert p.observe.every_h is None and "madrs" in p.observe.outputs
    assert p.endpoints == []


def test_round_trip_through_source(tmp_path: Path) -> None:
    p = load_protocol(write(tmp_path, "p.yaml", YAML_TEXT))
    assert p.source["arms"][0]["treatments"][0]["dose"] == "0.5 mg/kg"
    again = load_protocol(p.source)
    assert again == p
    assert again.source == p.source


def test_source_is_a_copy() -> None:
    data: dict[str, Any] = {
        "ketasim": 1,
        "name": "copy",
        "duration": "1 d",
        "population": {},
        "arms": [{"name": "a", "treatments": [{"drug": "ketamine", "route": "im", "dose": "30 mg", "at": ["0 h"]}]}],
    }
    p = load_protocol(data)
    data["arms"][0]["name"] = "changed"
    assert p.source["arms"][0]["name"] == "a"


def test_protocol_is_frozen(tmp_path: Path) -> None:
    p = load_protocol(write(tmp_path, "p.yaml", YAML_TEXT))
    with pytest.raises(pydantic.ValidationError):
        p.name = "other"


def test_base_dir_for_relative_paths(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", YAML_TEXT)
    assert load_protocol("p.yaml", base_dir=tmp_path).name == "loading test"


@pytest.mark.parametrize("name", ["single-infusion.yaml", "esketamine-nasal.yaml", "oral-sublingual.yaml"])
def test_examples_load(name: str) -> None:
    p = load_protocol(EXAMPLES / name)
    assert isinstance(p, Protocol)
    assert all(arm_events(p, i).doses for i in range(len(p.arms)))


def test_single_infusion_example() -> None:
    p = load_protocol(EXAMPLES / "single-infusion.yaml")
    assert (p.duration_h, p.population.size, p.population.condition, p.population.variability) == (
        48.0,
        1,
        "trd",
        False,
    )
    (dose,) = arm_events(p, 0).doses
    assert (dose.drug, dose.route, dose.amount, dose.per_kg) == ("ketamine", "iv", 0.5, True)
    assert dose.infusion_h == pytest.approx(40 / 60)
    assert observation_times(p)[1] == pytest.approx(5 / 60)


def test_oral_sublingual_example() -> None:
    p = load_protocol(EXAMPLES / "oral-sublingual.yaml")
    assert p.population.condition == "healthy"
    assert p.population.covariates["weight"].typical() == 75.0
    routes = [arm_events(p, i).doses[0].route for i in range(2)]
    assert routes == ["oral", "sublingual"]
    assert all(arm_events(p, i).doses[0].amount == 25.0 for i in range(2))


BAD_FILES = [
    ("empty.yaml", "", "is empty"),
    ("comments.yaml", "# nothing here\n", "is empty"),
    ("list.yaml", "- a\n- b\n", "not a mapping"),
    ("bad.yaml", "ketasim: 1\nname: [unclosed\nduration: 1 d\n", "malformed YAML in bad.yaml at line"),
    ("tabs.yaml", "ketasim: 1\nname: x\n  duration: 1 d\n", "at line 3"),
    ("twice.yaml", "ketasim: 1\nname: a\nname: b\n", "key 'name' is given twice"),
    ("bad.json", '{"ketasim": 1,\n "name": "x",\n}', "malformed JSON in bad.json at line 3"),
    ("twice.json", '{"ketasim": 1, "name": "a", "name": "b"}', "given twice"),
    ("bad.toml", 'ketasim = 1\nname = "x"\nduration = \n', "malformed TOML in bad.toml"),
    ("protocol.txt", "ketasim: 1\n", "cannot tell the format"),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_bad_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(write(tmp_path, name, text))
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_toml_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="line 3"):
        load_protocol(write(tmp_path, "p.toml", 'ketasim = 1\nname = "x"\nduration = \n'))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="not found"):
        load_protocol(tmp_path / "nowhere.yaml")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ProtocolError, match="not UTF-8"):
        load_protocol(path)


def test_mapping_required() -> None:
    with pytest.raises(ProtocolError, match="a protocol is a mapping or a file path, got a list"):
        load_protocol(["not", "a", "mapping"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("arms", 0, "treatments", 1, "dose"), "arms[0].treatments[1].dose"),
        (("duration",), "duration"),
        ((), ""),
        (("observe", "every", 3), "observe.every[3]"),
        (("endpoints", 0, "[2]"), "endpoints[0][2]"),
    ],
)
def test_format_key_path(loc: tuple[str | int, ...], path: str) -> None:
    assert format_key_path(loc) == path
