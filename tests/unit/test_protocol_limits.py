"""Every number of a protocol finite and in range, every file of a sane size and depth: one error line with the
key path (spec/protocol.md, "Limits"), exit status 2 from the command line, never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.errors import InputError, ProtocolError
from ketasim.protocol import load_protocol
from ketasim.protocol.loading import MAX_NESTING, check_structure, parse_mapping
from ketasim.protocol.run_size import check_simulation_size, check_trial_size

runner = CliRunner()

BASE: dict[str, Any] = {
    "ketasim": 1,
    "name": "limits",
    "duration": "14 d",
    "population": {"size": 10},
    "arms": [
        {
            "name": "ketamine",
            "treatments": [
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h", "2 d"]},
                {"therapy": "integration", "session": "60 min", "after_each_dose": "24 h"},
            ],
        }
    ],
    "endpoints": [{"name": "response_24h", "kind": "response", "scale": "madrs", "at": "24 h"}],
}


def edited(path: str, value: Any) -> dict[str, Any]:
    """BASE with ``value`` at a dotted path such as ``arms.0.treatments.0.dose``."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


KETAMINE = "arms.0.treatments.0"
CASES = [
    ("dose nan", edited(f"{KETAMINE}.dose", "nan mg/kg"), "arms[0].treatments[0].dose", "not a finite quantity"),
    ("dose inf", edited(f"{KETAMINE}.dose", "inf mg"), "arms[0].treatments[0].dose", "not a finite quantity"),
    ("duration nan", edited("duration", "nan d"), "duration", "not a finite quantity"),
    ("duration 1e400", edited("duration", "1e400 h"), "duration", "not a finite quantity"),
    ("duration 100 years", edited("duration", "5200 w"), "duration", "longer than 10 years"),
    ("time inf", edited(f"{KETAMINE}.at", ["0 h", "inf h"]), "arms[0].treatments[0].at[1]", "not a finite"),
    ("time negative", edited(f"{KETAMINE}.at", ["-1 h"]), "arms[0].treatments[0].at[0]", "before the first"),
    ("infusion nan", edited(f"{KETAMINE}.infusion", "nan min"), "arms[0].treatments[0].infusion", "not a finite"),
    ("power of a power", edited("duration", "9**9**9 h"), "duration", "cannot read '9**9**9 h'"),
    ("huge exponent", edited("duration", "10**1000 h"), "duration", "cannot read"),
    ("seed 2**63", edited("seed", 2**63), "seed", f"must be at most {2**63 - 1}"),
    ("seed 1e23", edited("seed", 10**23), "seed", f"must be at most {2**63 - 1}"),
    ("size 1e12", edited("population.size", 10**12), "population.size", "must be at most 1000000000"),
    (
        "intensive days",
        edited("arms.0.treatments.1", {"therapy": "emdr-intensive", "days": 10**18, "at": ["0 h"]}),
        "arms[0].treatments[1].days",
        "must be at most 365",
    ),
    ("control character in name", edited("name", "trial\x07"), "name", "control character U+0007"),
    ("line break in arm name", edited("arms.0.name", "arm\nB"), "arms[0].name", "control character U+000A"),
    ("lone surrogate", edited("endpoints.0.name", "x\ud800"), "endpoints[0].name", "expected text"),
    ("delete character", edited("endpoints.0.name", "x\x7f"), "endpoints[0].name", "control character U+007F"),
    (
        "override nan",
        edited("population.parameters", {"set": "default", "override": {"ketamine_cl_l_per_h": "nan L/h"}}),
        "population.parameters.override.ketamine_cl_l_per_h",
        "not a plain finite number",
    ),
    (
        "override power",
        edited("population.parameters", {"override": {"ketamine_cl_l_per_h": "9**9**9 L/h"}}),
        "population.parameters.override.ketamine_cl_l_per_h",
        "not a plain finite number",
    ),
]


@pytest.mark.parametrize(("data", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_numbers_and_names_out_of_range_are_one_line_at_their_key(data: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        load_protocol(data)
    message = str(refused.value)
    assert message.startswith(f"{key}: "), message
    assert words in message and "\n" not in message


def test_a_repeat_among_many_listed_times_is_found() -> None:
    times = [f"{k / 10} h" for k in range(3000)]
    protocol = load_protocol(_one_dose(None, times) | {"duration": "12 w", "endpoints": []} | _with(BASE))
    assert len(protocol.arms[0].treatments[0].at_h or ()) == 3000
    with pytest.raises(ProtocolError, match=r"^arms\[0\]\.treatments\[0\]\.at\[3000\]: time 0 h is listed twice"):
        load_protocol(_one_dose(None, [*times, "0 h"]) | {"duration": "12 w", "endpoints": []} | _with(BASE))


def _with(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in ("ketasim", "name", "population")}


def test_an_infusion_past_the_end_is_a_warning_with_how_much_is_not_given() -> None:
    protocol = load_protocol(edited("duration", "2 d") | {"endpoints": []} | _one_dose("100 d"))
    assert protocol.warnings == [
        "arms[0].treatments[0].at[0]: the 100 d infusion from 0 h runs past the end of the run at 2 d: 98% of its "
        "dose is not given"
    ]
    assert load_protocol(edited("duration", "2 d") | {"endpoints": []} | _one_dose("40 min")).warnings == []


def _one_dose(infusion: str | None, times: list[str] | None = None) -> dict[str, Any]:
    item = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": infusion, "at": times or ["0 h"]}
    if infusion is None:
        del item["infusion"]
    return {"arms": [{"name": "ketamine", "treatments": [item]}]}


DEEP = 100_000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", '{"ketasim": 1, "name": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("deep.yaml", "ketasim: 1\nname: " + "[" * DEEP + "]" * DEEP + "\n"),
        ("deep.toml", "ketasim = 1\nname = " + "[" * DEEP + "]" * DEEP + "\n"),
        ("shallow-but-too-deep.json", '{"a": ' + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1) + "}"),
    ],
)
def test_deep_nesting_is_refused_without_a_recursion_error(name: str, text: str) -> None:
    with pytest.raises(ProtocolError, match=f"^{name} is nested deeper than {MAX_NESTING} levels"):
        parse_mapping(text, name)


def test_yaml_aliases_that_multiply_a_small_file_are_refused() -> None:
    lines = ['a0: ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{k}: &a{k} [*a{k - 1}, *a{k - 1}, *a{k - 1}, *a{k - 1}, *a{k - 1}]" for k in range(1, 12)]
    lines[0] = 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'
    with pytest.raises(ProtocolError, match="^bomb.yaml holds more than 1000000 values"):
        parse_mapping("\n".join(lines) + "\n", "bomb.yaml")
    recursive: dict[str, Any] = {}
    recursive["self"] = recursive
    with pytest.raises(ProtocolError, match="nested deeper"):
        check_structure(recursive, "the protocol", ProtocolError)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("big.yaml", "ketasim: 1\nseed: " + "9" * 5000 + "\n", "malformed YAML in big.yaml"),
        ("bad.yaml", "ketasim: 1\nname: !!float x\n", "malformed YAML in bad.yaml"),
        ("bad.yaml", "ketasim: 1\nname: 2001-13-40\n", "malformed YAML in bad.yaml"),
        ("big.toml", "ketasim = 1\nseed = " + "9" * 5000 + "\n", "malformed TOML in big.toml"),
        ("big.json", '{"ketasim": 1, "seed": ' + "9" * 5000 + "}", "malformed JSON in big.json"),
    ],
)
def test_values_a_parser_cannot_build_are_malformed_files(name: str, text: str, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        parse_mapping(text, name)


@pytest.mark.parametrize(
    ("suffix", "text", "first_words"),
    [
        (".yaml", "ketasim: 1\nname: x\nduration: nan d\n", "error: duration: 'nan d' is not a finite quantity"),
        (".json", '{"ketasim": 1, "name": ' + "[" * DEEP + "]" * DEEP + "}", "error: p.json is nested deeper"),
        (".yaml", "ketasim: 1\nname: " + "[" * DEEP + "]" * DEEP + "\n", "error: p.yaml is nested deeper"),
        (".toml", 'ketasim = 1\nname = "x"\nseed = 100000000000000000000000\n', "error: seed: must be at most"),
    ],
)
def test_the_command_line_gives_one_line_and_exit_2(tmp_path: Path, suffix: str, text: str, first_words: str) -> None:
    path = tmp_path / f"p{suffix}"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(first_words), lines
    assert not (tmp_path / "out").exists()


def test_a_large_chunked_trial_fits_where_the_whole_simulation_would_not() -> None:
    protocol = load_protocol(edited("duration", "12 w"))
    limit = 4e9  # bytes: a small machine
    with pytest.raises(InputError) as refused:
        check_simulation_size(protocol, 2_000_000, limit=limit)
    message = str(refused.value)
    assert message.startswith("population.size: 2000000 patients per arm x 1 arm(s) x 108 time points x 19 outputs")
    assert "over the limit of 4 GB (50% of this machine's memory)" in message
    assert "`ketasim trial`" in message and "--chunk-size" in message and "--scheduler" in message
    check_trial_size(protocol, 2_000_000, chunk_size=2048, workers=4, kept_patients=1000, limit=limit)
    with pytest.raises(InputError, match=r"^--chunk-size: 2 worker\(s\) x chunks of 1000000 patients"):
        check_trial_size(protocol, 2_000_000, chunk_size=1_000_000, workers=4, kept_patients=1000, limit=limit)
    with pytest.raises(InputError, match="--timecourses"):
        check_trial_size(protocol, 2_000_000, chunk_size=2048, workers=4, kept_patients=2_000_000, limit=limit)


def test_json_protocol_round_trips_through_the_limits(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(BASE))
    assert load_protocol(path).name == "limits"
