"""``ketasim sensitivity``: Sobol indices of an endpoint over parameter ranges, its JSON, report and errors.

One small real analysis (a single infusion, 6 patients, 3 parameters, 32 base samples) backs the checks on the
indices: a parameter the protocol never reads (an SSRI effect, with no SSRI given) must get a total-order index
of zero, and the cap on ketamine's own relief must explain the most of the 24 h change.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.errors import KetasimError
from ketasim.inference.sensitivity import CONFIDENCE_SPREAD, TruncatedEstimates, sensitivity_ranges
from ketasim.parameters import get_parameter_set
from ketasim.protocol import load_protocol

runner = CliRunner()

PROTOCOL = """
ketasim: 1
name: cheap single infusion
seed: 3
duration: 2 d
population: {size: 6, condition: trd}
arms:
- name: ketamine
  treatments: [{drug: ketamine, route: iv, dose: 0.5 mg/kg, infusion: 40 min, at: [0 h]}]
- name: saline
  treatments: [{drug: placebo, route: iv, infusion: 40 min, at: [0 h]}]
observe: {every: [0 h, 24 h]}
endpoints:
- {name: change_24h, kind: mean_change, scale: madrs, at: 24 h}
"""
DRIVER = "ketamine_relief_max"
NULL = "relief_per_ssri_adaptation"  # the SSRI's slow effect: no SSRI in this protocol
WEAK = "expectancy_conditioned_time_constant_h"


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("sensitivity")
    protocol = folder / "protocol.yaml"
    protocol.write_text(PROTOCOL)
    out, report = folder / "indices.json", folder / "report"
    chosen = [f"--parameter={name}" for name in (DRIVER, NULL, WEAK)]
    arguments = ["sensitivity", str(protocol), "--endpoint", "change_24h", *chosen, "--samples", "32"]
    result = runner.invoke(app, [*arguments, "--patients", "6", "--json", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text()), report


def test_json_has_the_contract_shape(analysis: tuple[dict[str, Any], Path]) -> None:
    document, _ = analysis
    assert document["endpoint"] == "change_24h"
    assert document["arm"] == "ketamine"
    assert document["control"] is None
    assert (document["samples"], document["points"], document["patients"]) == (32, 32 * (3 + 2), 6)
    assert {p["name"] for p in document["parameters"]} == {DRIVER, NULL, WEAK}
    for entry in document["parameters"]:
        assert {"name", "S1", "S1_ci95", "ST", "ST_ci95"} <= set(entry)
        assert all(math.isfinite(x) for x in (entry["S1"], entry["ST"], *entry["S1_ci95"], *entry["ST_ci95"]))
        assert entry["ST_ci95"][0] <= entry["ST"] <= entry["ST_ci95"][1]
    totals = [p["ST"] for p in document["parameters"]]
    assert totals == sorted(totals, reverse=True)


def test_a_parameter_the_protocol_never_reads_gets_no_share(analysis: tuple[dict[str, Any], Path]) -> None:
    document, _ = analysis
    null = next(p for p in document["parameters"] if p["name"] == NULL)
    assert abs(null["ST"]) < 0.01
    assert null["ST_ci95"][0] <= 1e-9 <= null["ST_ci95"][1] + 1e-9


def test_the_driving_parameter_has_the_largest_total_index(analysis: tuple[dict[str, Any], Path]) -> None:
    document, _ = analysis
    assert document["parameters"][0]["name"] == DRIVER
    assert document["parameters"][0]["ST_ci95"][0] > 0.05


def test_report_holds_the_chart_and_every_parameter(analysis: tuple[dict[str, Any], Path]) -> None:
    _, report = analysis
    page = (report / "report.html").read_text()
    assert "plotly" in page.lower()
    assert all(name in page for name in (DRIVER, NULL, WEAK))


def test_ranges_follow_confidence_in_log_space() -> None:
    pset = get_parameter_set("prior")
    by_confidence = {
        level: next(n for n, p in pset.parameters.items() if p.confidence == level and p.value > 0)
        for level in CONFIDENCE_SPREAD
    }
    ranges = sensitivity_ranges(pset, list(by_confidence.values()))
    for (level, name), chosen in zip(by_confidence.items(), ranges, strict=True):
        assert chosen.logarithmic
        assert chosen.lower == pytest.approx(pset[name] / CONFIDENCE_SPREAD[level])
        assert chosen.upper == pytest.approx(pset[name] * CONFIDENCE_SPREAD[level])


def test_a_fraction_stops_at_one() -> None:
    pset = get_parameter_set("prior")
    name = "synaptic_protein_threshold_fraction"  # 0.25, low confidence: x/÷ 2 stays below 1
    fractions = [n for n, p in pset.parameters.items() if "fraction" in n and 0.5 < p.value <= 1.0]
    (wide,) = sensitivity_ranges(pset, fractions[:1])
    assert wide.upper <= 1.0
    (narrow,) = sensitivity_ranges(pset, [name])
    assert narrow.upper == pytest.approx(2 * pset[name])


def test_a_median_time_not_reached_counts_as_the_follow_up() -> None:
    document = {"ketasim": 1, "name": "relapse", "duration": "4 d", "population": {"size": 2}}
    document |= yaml_arms_and_relapse()
    protocol = load_protocol(document)
    madrs = np.array(
        [
            [[30, 10, 10, 10, 10], [30, 12, 12, 12, 12]],  # both respond at day 1 and never relapse
            [[30, 29, 28, 27, 26], [30, 29, 28, 27, 26]],  # nobody responds: no patient counts
        ],
        dtype=float,
    )
    dataset = xr.Dataset(
        {"madrs": (("arm", "patient", "time"), madrs)},
        coords={"arm": ["ketamine", "saline"], "patient": [0, 1], "time": [0.0, 24.0, 48.0, 72.0, 96.0]},
    )
    estimates = TruncatedEstimates()
    assert estimates(protocol, dataset, "ketamine", "relapse") == pytest.approx(3.0)  # 4 d follow-up minus 1 d
    assert estimates.count == 1
    with pytest.raises(KetasimError, match="saline.*undefined"):
        estimates(protocol, dataset, "saline", "relapse")
    assert estimates.count == 1


def yaml_arms_and_relapse() -> dict[str, Any]:
    """Two arms observed daily and a relapse endpoint after day 1."""
    infusion = {"route": "iv", "infusion": "40 min", "at": ["0 h"]}
    return {
        "arms": [
            {"name": "ketamine", "treatments": [{"drug": "ketamine", "dose": "0.5 mg/kg", **infusion}]},
            {"name": "saline", "treatments": [{"drug": "placebo", **infusion}]},
        ],
        "observe": {"every": "1 d"},
        "endpoints": [{"name": "relapse", "kind": "time_to_relapse", "scale": "madrs", "after": "24 h"}],
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--endpoint", "change_2h"], "error: endpoint 'change_2h' is not in protocol"),
        (["--endpoint", "change_24h", "--parameter", "nope"], "error: --parameter: the parameter set has no"),
        (["--endpoint", "change_24h", "--arm", "placebo"], "error: --arm: the protocol has no arm 'placebo'"),
        (["--endpoint", "change_24h", "--control", "ketamine"], "error: --control: the control arm is the arm"),
        (["--endpoint", "change_24h", "--samples", "12"], "error: --samples: 12 is not a power of 2"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, arguments: list[str], message: str) -> None:
    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(PROTOCOL)
    out = tmp_path / "indices.json"
    result = runner.invoke(app, ["sensitivity", str(protocol), *arguments, "--json", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not out.exists()
