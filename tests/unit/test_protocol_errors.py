"""Bad protocols: each breaks one rule of spec/protocol.md and must fail with one line at the right key path."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from ketasim.errors import ParameterError, ProtocolError
from ketasim.parameters.registry import Parameter, ParameterSet, Reference, make_set
from ketasim.protocol import load_protocol

DELETE = object()

BASE: dict[str, Any] = {
    "ketasim": 1,
    "name": "base",
    "duration": "14 d",
    "population": {"size": 10, "condition": "trd"},
    "arms": [
        {
            "name": "ketamine",
            "treatments": [
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h", "2 d"]},
                {"therapy": "integration", "session": "60 min", "after_each_dose": "24 h"},
            ],
        },
        {"name": "saline", "treatments": [{"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}]},
    ],
    "endpoints": [{"name": "response_24h", "kind": "response", "scale": "madrs", "at": "24 h"}],
}

KETAMINE = "arms[0].treatments[0]"
THERAPY = "arms[0].treatments[1]"


def limits_set(name: str = "default") -> ParameterSet:
    """A small parameter set with dose limits (test values, not model values)."""
    ref = Reference("test", "Values made up for unit tests")
    return make_set(
        name,
        "test limits",
        [ref],
        [
            Parameter("ketamine_studied_max_systemic_mg_per_kg", 1.0, "mg/kg", "test", "low"),
            Parameter("ketamine_unsafe_systemic_mg_per_kg", 2.0, "mg/kg", "test", "low"),
            Parameter("ketamine_oral_bioavailability", 0.2, "1", "test", "low"),
        ],
    )


@pytest.fixture(autouse=True)
def parameter_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve only the test set ``default``, whatever the parameter registry holds."""

    def get(name: str) -> ParameterSet:
        if name != "default":
            raise ParameterError(f"unknown parameter set {name!r}")
        return limits_set()

    monkeypatch.setattr("ketasim.parameters.get_parameter_set", get, raising=False)


def edited(*changes: tuple[str, Any]) -> dict[str, Any]:
    """BASE with changes at dotted paths (``arms.0.treatments.0.dose``); the value DELETE removes the key."""
    data = copy.deepcopy(BASE)
    for path, value in changes:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


def item(**keys: Any) -> dict[str, Any]:
    """BASE with the first treatment of the first arm replaced."""
    return edited(("arms.0.treatments.0", keys))


def therapy(**keys: Any) -> dict[str, Any]:
    """BASE with the therapy item of the first arm replaced."""
    return edited(("arms.0.treatments.1", keys))


IV = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg"}

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # top level
    ("version missing", edited(("ketasim", DELETE)), "ketasim", "missing schema version"),
    ("version 2", edited(("ketasim", 2)), "ketasim", "schema version 2 is not supported"),
    ("unknown top key", edited(("duraton", "3 d")), "duraton", "did you mean 'duration'?"),
    ("internal key", edited(("warnings", [])), "warnings", "unknown key 'warnings'"),
    ("missing name", edited(("name", DELETE)), "name", "required key 'name' is missing"),
    ("name not text", edited(("name", 123)), "name", "expected text, got the number 123"),
    ("missing duration", edited(("duration", DELETE)), "duration", "required key 'duration' is missing"),
    ("bare duration", edited(("duration", 14)), "duration", "bare number 14 has no unit"),
    ("zero duration", edited(("duration", "0 d")), "duration", "must be longer than zero"),
    ("duration not time", edited(("duration", "14 kg")), "duration", "wrong dimension"),
    ("negative seed", edited(("seed", -1)), "seed", "must be at least 0"),
    ("fractional seed", edited(("seed", 1.5)), "seed", "expected a whole number"),
    # population
    ("population not mapping", edited(("population", "trd")), "population", "expected a mapping"),
    ("size zero", edited(("population.size", 0)), "population.size", "must be at least 1"),
    ("size yes/no", edited(("population.size", True)), "population.size", "expected a whole number, got true"),
    ("condition typo", edited(("population.condition", "tdr")), "population.condition", "did you mean 'trd'?"),
    ("variability text", edited(("population.variability", "maybe")), "population.variability", "true or false"),
    (
        "covariate typo",
        edited(("population.covariates", {"wieght": "80 kg"})),
        "population.covariates.wieght",
        "did you mean 'weight'?",
    ),
    (
        "weight without unit",
        edited(("population.covariates", {"weight": 80})),
        "population.covariates.weight",
        "bare number 80 has no unit",
    ),
    (
        "weight out of range",
        edited(("population.covariates", {"weight": {"mean": "300 kg", "sd": "10 kg"}})),
        "population.covariates.weight.mean",
        "outside the valid range",
    ),
    (
        "sd missing",
        edited(("population.covariates", {"age": {"mean": 40}})),
        "population.covariates.age.sd",
        "missing 'sd'",
    ),
    (
        "mixed forms",
        edited(("population.covariates", {"age": {"mean": 40, "sd": 5, "median": 40}})),
        "population.covariates.age",
        "mixes the forms",
    ),
    (
        "distribution key typo",
        edited(("population.covariates", {"age": {"mean": 40, "sdd": 5}})),
        "population.covariates.age.sdd",
        "did you mean 'sd'?",
    ),
    (
        "yes/no as a mean",
        edited(("population.covariates", {"female": 0.5})),
        "population.covariates.female",
        "a yes/no covariate is 0, 1 or a fraction",
    ),
    (
        "fraction above 1",
        edited(("population.covariates", {"female": {"fraction": 1.5}})),
        "population.covariates.female.fraction",
        "outside 0 to 1",
    ),
    (
        "baseline scale typo",
        edited(("population.baseline", {"mards": {"mean": 30, "sd": 5}})),
        "population.baseline.mards",
        "did you mean 'madrs'?",
    ),
    (
        "baseline beyond scale",
        edited(("population.baseline", {"madrs": {"mean": 70, "sd": 5}})),
        "population.baseline.madrs.mean",
        "outside the valid range 0 to 60",
    ),
    (
        "unknown parameter set",
        edited(("population.parameters", "kamp2021")),
        "population.parameters",
        "unknown parameter set 'kamp2021'",
    ),
    (
        "override not a value",
        edited(("population.parameters", {"set": "default", "override": {"clearance_l_per_h": [1, 2]}})),
        "population.parameters.override.clearance_l_per_h",
        "expected a value with a unit",
    ),
    # arms
    ("no arms", edited(("arms", [])), "arms", "must not be empty"),
    ("duplicate arm", edited(("arms.1.name", "ketamine")), "arms[1].name", "arm name 'ketamine' is used twice"),
    (
        "treatments not list",
        edited(("arms.0.treatments", {"drug": "ketamine"})),
        "arms[0].treatments",
        "expected a list",
    ),
    ("item key typo", item(**IV, doze="1 mg", at=["0 h"]), f"{KETAMINE}.doze", "did you mean 'dose'?"),
    ("neither drug nor therapy", item(at=["0 h"]), KETAMINE, "needs `drug` or `therapy`"),
    ("drug and therapy", item(**IV, therapy="emdr", at=["0 h"]), f"{KETAMINE}.therapy", "not both"),
    # drugs, routes, doses
    ("bare dose", item(**{**IV, "dose": 0.5}, at=["0 h"]), f"{KETAMINE}.dose", "bare number 0.5 has no unit"),
    ("dose volume", item(**{**IV, "dose": "5 mL"}, at=["0 h"]), f"{KETAMINE}.dose", "neither per body weight"),
    ("zero dose", item(**{**IV, "dose": "0 mg"}, at=["0 h"]), f"{KETAMINE}.dose", "not above zero"),
    ("drug typo", item(**{**IV, "drug": "ketamin"}, at=["0 h"]), f"{KETAMINE}.drug", "did you mean 'ketamine'?"),
    ("route typo", item(**{**IV, "route": "oarl"}, at=["0 h"]), f"{KETAMINE}.route", "did you mean 'oral'?"),
    ("missing route", item(drug="ketamine", dose="1 mg", at=["0 h"]), f"{KETAMINE}.route", "missing route"),
    (
        "route not for drug",
        item(drug="escitalopram", route="iv", dose="10 mg", at=["0 h"]),
        f"{KETAMINE}.route",
        "escitalopram has no route 'iv'",
    ),
    (
        "placebo with dose",
        item(drug="placebo", route="iv", dose="0.5 mg/kg", at=["0 h"]),
        f"{KETAMINE}.dose",
        "placebo takes no dose",
    ),
    ("missing dose", item(drug="ketamine", route="iv", at=["0 h"]), f"{KETAMINE}.dose", "missing dose of ketamine"),
    (
        "oral infusion",
        item(drug="ketamine", route="oral", dose="25 mg", infusion="40 min", at=["0 h"]),
        f"{KETAMINE}.infusion",
        "only for the routes iv and sc",
    ),
    (
        "session on a drug",
        item(**IV, session="1 h", at=["0 h"]),
        f"{KETAMINE}.session",
        "belongs to therapy items",
    ),
    (
        "unsafe dose",
        item(**{**IV, "dose": "3 mg/kg"}, at=["0 h"]),
        f"{KETAMINE}.dose",
        "anaesthetic-range ketamine",
    ),
    # schedules
    ("no schedule", item(**IV), KETAMINE, "no schedule"),
    ("two schedules", item(**IV, at=["0 h"], every="1 d", count=2), f"{KETAMINE}.every", "more than one schedule"),
    ("at not a list", item(**IV, at="0 h"), f"{KETAMINE}.at", "expected a list of times"),
    ("at empty", item(**IV, at=[]), f"{KETAMINE}.at", "the list of times is empty"),
    ("negative time", item(**IV, at=["-1 h"]), f"{KETAMINE}.at[0]", "before the first treatment"),
    ("bare time", item(**IV, at=["0 h", 24]), f"{KETAMINE}.at[1]", "bare number 24 has no unit"),
    ("time twice", item(**IV, at=["0 h", "1 d", "24 h"]), f"{KETAMINE}.at[2]", "listed twice"),
    ("past duration", item(**IV, at=["0 h", "20 d"]), f"{KETAMINE}.at[1]", "past the duration 14 d"),
    ("every alone", item(**IV, every="1 d"), f"{KETAMINE}.every", "needs `count` or `until`"),
    ("every count and until", item(**IV, every="1 d", count=2, until="3 d"), f"{KETAMINE}.until", "not both"),
    ("count zero", item(**IV, every="1 d", count=0), f"{KETAMINE}.count", "gives no doses"),
    (
        "until before start",
        item(**IV, every="1 d", start="2 d", until="2 d"),
        f"{KETAMINE}.until",
        "gives nothing",
    ),
    ("every past duration", item(**IV, every="1 d", count=20), f"{KETAMINE}.every", "past the duration"),
    ("zero step", item(**IV, every="0 h", count=3), f"{KETAMINE}.every", "must be longer than zero"),
    ("count without every", item(**IV, at=["0 h"], count=3), f"{KETAMINE}.count", "only used with `every`"),
    (
        "after_each_dose on a drug",
        item(**IV, after_each_dose="1 h"),
        f"{KETAMINE}.after_each_dose",
        "belongs to therapy items",
    ),
    (
        "overlapping infusions",
        edited(
            (
                "arms.0.treatments.1",
                {"drug": "midazolam", "route": "iv", "dose": "0.045 mg/kg", "infusion": "40 min", "at": ["30 min"]},
            )
        ),
        "arms[0].treatments[1].at[0]",
        "overlaps the infusion from 0 h",
    ),
    (
        "overlapping infusions of one item",
        item(**IV, infusion="2 h", every="1 h", count=3),
        f"{KETAMINE}.every",
        "overlaps",
    ),
    # therapies
    ("therapy typo", therapy(therapy="emdrr", session="90 min", at=["1 d"]), f"{THERAPY}.therapy", "did you mean"),
    ("no session", therapy(therapy="emdr", at=["1 d"]), f"{THERAPY}.session", "missing session length"),
    (
        "dose on a therapy",
        therapy(therapy="emdr", session="1 h", dose="1 mg", at=["1 d"]),
        f"{THERAPY}.dose",
        "belongs to drug items",
    ),
    (
        "intensive with session",
        therapy(therapy="emdr-intensive", session="3 h", at=["1 d"]),
        f"{THERAPY}.session",
        "takes `hours_per_day`",
    ),
    (
        "days on emdr",
        therapy(therapy="emdr", session="1 h", days=3, at=["1 d"]),
        f"{THERAPY}.days",
        "only for emdr-intensive",
    ),
    (
        "hours per day above 24",
        therapy(therapy="emdr-intensive", hours_per_day=30, at=["1 d"]),
        f"{THERAPY}.hours_per_day",
        "not within 0 to 24",
    ),
    (
        "during_each_dose false",
        therapy(therapy="emdr", session="1 h", during_each_dose=False),
        f"{THERAPY}.during_each_dose",
        "must be true",
    ),
    (
        "after each dose without doses",
        edited(("arms.1.treatments", [{"therapy": "cbt", "session": "1 h", "after_each_dose": "1 d"}])),
        "arms[1].treatments[0].after_each_dose",
        "no drug doses to follow",
    ),
    (
        "overlapping sessions",
        edited(("arms.1.treatments", [{"therapy": "cbt", "session": "2 h", "at": ["0 h", "1 h"]}])),
        "arms[1].treatments[0].at[1]",
        "overlaps the session",
    ),
    (
        "intensive past duration",
        therapy(therapy="emdr-intensive", days=5, at=["12 d"]),
        f"{THERAPY}.at[0]",
        "past the duration",
    ),
    # observe
    (
        "unknown output",
        edited(("observe", {"outputs": ["madrs", "plasma_ketamin"]})),
        "observe.outputs[1]",
        "did you mean",
    ),
    ("output twice", edited(("observe", {"outputs": ["madrs", "madrs"]})), "observe.outputs[1]", "listed twice"),
    (
        "observation past duration",
        edited(("observe", {"every": ["0 h", "15 d"]})),
        "observe.every[1]",
        "past the duration",
    ),
    ("observation step bare", edited(("observe", {"every": 5})), "observe.every", "bare number 5 has no unit"),
    # endpoints
    ("endpoint kind typo", edited(("endpoints.0.kind", "responce")), "endpoints[0].kind", "did you mean 'response'?"),
    ("endpoint without at", edited(("endpoints.0.at", DELETE)), "endpoints[0].at", "response endpoints need `at`"),
    (
        "value without output",
        edited(("endpoints.0", {"name": "peak", "kind": "value", "at": "1 h"})),
        "endpoints[0].output",
        "need `output`",
    ),
    (
        "relapse without after",
        edited(("endpoints.0", {"name": "relapse", "kind": "time_to_relapse", "scale": "madrs"})),
        "endpoints[0].after",
        "need `after`",
    ),
    (
        "key the kind does not use",
        edited(("endpoints.0.after", "1 d")),
        "endpoints[0].after",
        "not used by response endpoints",
    ),
    ("endpoint past duration", edited(("endpoints.0.at", "15 d")), "endpoints[0].at", "past the duration"),
    ("threshold text", edited(("endpoints.0.threshold", "30 %")), "endpoints[0].threshold", "expected a number"),
    ("threshold above 100", edited(("endpoints.0.threshold", 150)), "endpoints[0].threshold", "percentage drop"),
    (
        "duplicate endpoint",
        edited(("endpoints", [BASE["endpoints"][0], BASE["endpoints"][0]])),
        "endpoints[1].name",
        "used twice",
    ),
    (
        "endpoint scale not observed",
        edited(("observe", {"outputs": ["plasma_ketamine"]})),
        "endpoints[0].scale",
        "not among observe.outputs",
    ),
]


def test_base_protocol_loads() -> None:
    protocol = load_protocol(BASE)
    assert [arm.name for arm in protocol.arms] == ["ketamine", "saline"]


def test_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("label", "data", "key_path", "expected"), CASES, ids=[case[0] for case in CASES])
def test_bad_protocol(label: str, data: dict[str, Any], key_path: str, expected: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(data)
    error = caught.value
    message = str(error)
    assert error.key_path == key_path, message
    assert expected in message
    assert "\n" not in message
    assert re.fullmatch(rf"{re.escape(key_path)}: .+ \(.+\)", message), message
    for noise in ("pydantic", "Input should", "errors.pydantic.dev", "validation error"):
        assert noise not in message
