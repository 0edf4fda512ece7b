"""Fuzzing the command line with protocol files and patient histories (Hypothesis): whatever the file holds, the
command ends with exit status 0 or 2, never a traceback; on 2 it prints one ``error:`` line and leaves no output,
complete or partial.

Protocols go through ``ketasim export sbml`` (loading, every check, the model of the typical patient, a file
written). Histories go through ``ketasim forecast`` with a plan that starts at 0 h: every history that reads is
then refused by the plan check, just before the sampler (a forecast takes 15 s or more), so each example costs a
fraction of a second; the forecast protocol of each readable history is built as well. Generated files mix
values a person would write with the values an attacker would: NaN, infinities, huge and negative numbers,
control characters, expressions, deep nesting, wrong types, and text cut or spliced at random.
"""

from __future__ import annotations

import copy
import json
import string
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.errors import KetasimError
from ketasim.protocol import build_protocol
from ketasim.protocol.history import history_protocol, read_facts, read_history

EXAMPLES = 40
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
runner = CliRunner()

NASTY_NUMBERS = st.sampled_from(
    [float("nan"), float("inf"), float("-inf"), -1, 0, 2**63, 2**64, 10**30, -(2**63), 1e308, 5e-324, True, None]
)
NASTY_TEXTS = st.sampled_from(
    [
        "",
        " ",
        "nan mg/kg",
        "inf h",
        "-1 h",
        "1e400 h",
        "9**9**9 h",
        "10**1000 d",
        "0x10 h",
        "1 h\x00",
        "a\x07b",
        "line\nbreak",
        "\ud800",
        "../../etc/passwd",
        "ketasim: 2",
        "{{x}}",
        "x" * 300,
        "1" * 5000,
        "2001-13-40",
    ]
)
TIMES = st.builds(
    lambda value, unit: f"{value:g} {unit}",
    st.floats(-10, 2000, allow_nan=False),
    st.sampled_from(["min", "h", "d", "w", "year", "kg", ""]),
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


SCALAR = st.one_of(NASTY_NUMBERS, NASTY_TEXTS, TIMES, st.integers(-(10**6), 10**6), st.text(max_size=20))
ANYTHING = st.one_of(
    SCALAR,
    st.lists(SCALAR, max_size=4),
    st.dictionaries(st.text(string.ascii_lowercase, max_size=8), SCALAR, max_size=3),
    st.integers(30, 120).map(nested),
)


VALID_DRUGS = [
    {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min"},
    {"drug": "ketamine", "route": "oral", "dose": "25 mg"},
    {"drug": "esketamine", "route": "intranasal", "dose": "56 mg"},
    {"drug": "midazolam", "route": "iv", "dose": "0.045 mg/kg", "infusion": "40 min"},
    {"drug": "escitalopram", "route": "oral", "dose": "10 mg"},
    {"drug": "placebo", "route": "iv", "infusion": "40 min"},
]
VALID_THERAPIES = [
    {"therapy": "integration", "session": "60 min", "after_each_dose": "2 h"},
    {"therapy": "emdr", "session": "90 min", "at": ["1 d"]},
    {"therapy": "emdr-intensive", "days": 2, "at": ["3 d"]},
    {"therapy": "cbt", "session": "60 min", "every": "2 d", "count": 2},
]
NAMES = st.text(string.ascii_letters + string.digits + " -", min_size=1, max_size=20)


@st.composite
def valid_protocols(draw: st.DrawFn) -> dict[str, Any]:
    """A protocol that keeps every rule of spec/protocol.md."""
    days = draw(st.integers(6, 14))
    arms = []
    for index in range(draw(st.integers(1, 3))):
        drug = dict(draw(st.sampled_from(VALID_DRUGS)))
        times = draw(st.lists(st.integers(0, 2 * (days - 2)), min_size=1, max_size=3, unique=True))
        drug["at"] = [f"{12 * t} h" for t in sorted(times)]
        treatments = [drug, *draw(st.lists(st.sampled_from(VALID_THERAPIES), max_size=1))]
        arms.append({"name": f"arm {index}", "treatments": treatments})
    data: dict[str, Any] = {
        "ketasim": 1,
        "name": draw(NAMES),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "duration": f"{days} d",
        "population": {"size": draw(st.integers(1, 4)), "condition": draw(st.sampled_from(["trd", "ptsd", "gad"]))},
        "arms": arms,
    }
    if draw(st.booleans()):
        data["endpoints"] = [{"name": "r24", "kind": "mean_change", "scale": "madrs", "at": "24 h"}]
    if draw(st.booleans()):
        data["population"]["covariates"] = {"weight": {"mean": "80 kg", "sd": "10 kg"}, "female": {"fraction": 0.5}}
    return data


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in nested mappings and lists, as key paths."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, data: Any) -> Any:
    """``data`` with none (a third of the time) to three of its values replaced, removed or joined by junk."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        places = [p for p in _paths(data) if p]
        if not places:
            return data
        path = draw(st.sampled_from(places))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(string.ascii_lowercase + "_", min_size=1, max_size=10))] = draw(ANYTHING)
        else:
            parent[path[-1]] = draw(ANYTHING)
    return data


@st.composite
def damaged(draw: st.DrawFn, text: str) -> str:
    """``text``, sometimes with random text spliced in or its end cut off."""
    damage = draw(st.integers(0, 5))
    if damage == 0:
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.text(max_size=10)) + text[cut:]
    if damage == 1:
        return text[: draw(st.integers(0, len(text)))]
    return text


def assert_clean_ending(result: Any, out: Path, folder: Path, inputs: set[str]) -> None:
    """Exit 0 with the output, or exit 2 with one error line and no output at all; never a traceback."""
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2), (result.exit_code, result.exception, result.output[-2000:])
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
        assert not out.exists()
        assert {p.name for p in folder.iterdir()} == inputs  # no partial file, hidden or not


@FUZZ
@given(data=valid_protocols().flatmap(mutated), written=st.data())
def test_any_protocol_file_ends_in_exit_0_or_2(tmp_path_factory: Any, data: dict[str, Any], written: Any) -> None:
    folder = tmp_path_factory.mktemp("protocol")
    suffix = written.draw(st.sampled_from([".yaml", ".json"]))
    plain = json.dumps(data) if suffix == ".json" else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    text = written.draw(damaged(plain))
    path = folder / f"protocol{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = folder / "model.xml"
    result = runner.invoke(app, ["export", "sbml", str(path), "--out", str(out)])
    assert_clean_ending(result, out, folder, {path.name})
    if result.exit_code == 0:
        assert out.read_text(encoding="utf-8").rstrip().endswith("</sbml>")


HISTORY_COLUMNS = ["time", "event", "drug", "route", "dose", "infusion", "therapy", "session", "scale", "value"]


@st.composite
def valid_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The rows of a history that keeps every rule of spec/patient-history.md."""
    rows: list[dict[str, Any]] = [{"time": "-3 d", "event": "score", "scale": "madrs", "value": "33"}]
    for day in sorted({0, *draw(st.lists(st.integers(1, 20), max_size=4))}):
        if day == 0 or draw(st.booleans()):
            rows.append({"time": f"{day} d", "event": "dose", "drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg"})
        rows.append(
            {"time": f"{24 * day + 2} h", "event": "score", "scale": "madrs", "value": str(draw(st.integers(0, 60)))}
        )
    if draw(st.booleans()):
        rows.append({"time": "21 d", "event": "session", "therapy": "integration", "session": "60 min"})
    return rows


FACTS = st.fixed_dictionaries(
    {"condition": st.sampled_from(["trd", "ptsd"])},
    optional={"weight": st.just("72 kg"), "age": st.integers(18, 100), "female": st.sampled_from([0, 1])},
)
PLAN = """ketasim: 1
name: plan from the first treatment
duration: 12 w
population: {size: 1}
arms:
- name: plan
  treatments: [{drug: ketamine, route: iv, dose: 0.5 mg/kg, infusion: 40 min, at: [0 h]}]
"""


def _csv(rows: Any) -> str:
    columns = [*HISTORY_COLUMNS, "combine"]
    if not isinstance(rows, list):
        return str(rows)
    lines = [",".join(columns)]
    lines += [
        ",".join(str(row.get(column, "")).replace(",", ";") for column in columns)
        if isinstance(row, dict)
        else str(row)
        for row in rows
    ]
    return "\n".join(lines) + "\n"


@FUZZ
@given(rows=valid_histories().flatmap(mutated), facts=FACTS.flatmap(mutated), written=st.data())
def test_any_patient_history_ends_in_exit_0_or_2(
    tmp_path_factory: Any, rows: list[dict[str, Any]], facts: dict[str, Any], written: Any
) -> None:
    folder = tmp_path_factory.mktemp("history")
    suffix = written.draw(st.sampled_from([".csv", ".json"]))
    text = written.draw(damaged(json.dumps(rows) if suffix == ".json" else _csv(rows)))
    history = folder / f"p001{suffix}"
    history.write_text(text, encoding="utf-8", errors="surrogatepass")
    facts_file = folder / "facts.yaml"
    facts_file.write_text(yaml.safe_dump(facts), encoding="utf-8")
    plan = folder / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    out = folder / "forecast.json"
    arguments = ["forecast", str(history), "--patient", str(facts_file), "--until", "12 w", "--plan", str(plan)]
    result = runner.invoke(app, [*arguments, "--json", str(out), "--quiet"])
    assert_clean_ending(result, out, folder, {history.name, facts_file.name, plan.name})
    try:  # the forecast's own protocol of a readable history: only ketasim's errors
        readable = read_history(history)
        event("history read")
        build_protocol(history_protocol(readable, read_facts(facts_file), 12 * 7 * 24.0))
    except KetasimError as error:
        assert "\n" not in str(error)
