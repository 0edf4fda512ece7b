"""PK endpoints (cmax, tmax, auc, time_above): read off the exact dense drug course whatever `observe` says."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy.optimize import brentq
from typer.testing import CliRunner

import ketasim
from ketasim.analysis.drug_levels import pk_statistic
from ketasim.cli import app
from ketasim.errors import ProtocolError
from ketasim.protocol import observation_times
from ketasim.simulation.drug_levels import DrugLevels

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "single-infusion.yaml"
SINGLE: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
RELATIVE = 1e-3
runner = CliRunner()


def dense_reference_cmax() -> float:
    """The peak plasma ketamine of a plain simulation observed every 15 s."""
    data = {**SINGLE, "observe": {"every": "15 s", "outputs": ["plasma_ketamine"]}, "endpoints": []}
    dataset = ketasim.simulate(ketasim.build_protocol(data))
    return float(dataset["plasma_ketamine"].max())


@pytest.mark.parametrize("observe", [None, {"every": "1 d"}, {"every": ["0 h", "6 h"]}], ids=["example", "1d", "6h"])
def test_trial_cmax_equals_the_dense_value_whatever_observe_says(
    observe: dict[str, Any] | None, tmp_path: Path
) -> None:
    data = dict(SINGLE) if observe is None else {**SINGLE, "observe": observe}
    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["trial", str(protocol), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    cmax = summary["arms"]["ketamine"]["endpoints"]["ketamine_cmax"]["value"]
    reference = dense_reference_cmax()
    assert cmax == pytest.approx(reference, rel=RELATIVE)
    tmax = summary["arms"]["ketamine"]["endpoints"]["ketamine_tmax"]["value"]
    assert tmax == pytest.approx(40.0 / 60.0, abs=1e-6)  # the end of the 40-min infusion


def test_the_observe_grid_alone_would_miss_the_peak() -> None:
    """What the dense course fixes: a coarse observe grid sees a much lower maximum."""
    coarse = ketasim.simulate(ketasim.build_protocol({**SINGLE, "observe": {"every": ["0 h", "6 h"]}}))
    assert float(coarse["plasma_ketamine"].max()) < 0.5 * dense_reference_cmax()


def synthetic_levels(step_h: float = 1.0 / 12.0, end_h: float = 12.0) -> DrugLevels:
    """c(t) = 100 t exp(-t) on steps of ``step_h`` with midpoints; its area to infinity is 100."""
    edges = np.linspace(0.0, end_h, int(round(end_h / step_h)) + 1)
    times = np.empty(2 * edges.size - 1)
    times[0::2], times[1::2] = edges, 0.5 * (edges[:-1] + edges[1:])
    values = 100.0 * times * np.exp(-times)
    return DrugLevels(times, {"plasma_ketamine": values[np.newaxis]}, {"plasma_ketamine": np.array([100.0])})


def test_statistics_match_the_analytic_course() -> None:
    levels = synthetic_levels()
    stat = lambda name, **kw: float(pk_statistic(name, levels, "plasma_ketamine", **kw)[0])  # noqa: E731
    assert stat("cmax") == pytest.approx(100.0 / math.e, rel=1e-5)
    assert stat("tmax") == pytest.approx(1.0, abs=2e-3)
    assert stat("auc", window_h=(0.0, 4.0)) == pytest.approx(100.0 * (1.0 - 5.0 * math.exp(-4.0)), rel=1e-5)
    assert stat("auc", window_h=(2.0, math.inf)) == pytest.approx(100.0 * 3.0 * math.exp(-2.0), rel=1e-5)
    level = 20.0
    course = lambda t: 100.0 * t * math.exp(-t) - level  # noqa: E731
    expected = brentq(course, 1.0, 12.0) - brentq(course, 0.0, 1.0)
    assert stat("time_above", above=level) == pytest.approx(expected, rel=1e-4)
    assert stat("cmax", window_h=(3.0, 5.0)) == pytest.approx(300.0 * math.exp(-3.0), rel=1e-9)  # falling: the start


def test_a_window_edge_off_the_grid_is_an_internal_error() -> None:
    with pytest.raises(ValueError, match="not on the dense grid"):
        pk_statistic("cmax", synthetic_levels(), "plasma_ketamine", window_h=(0.1, 3.0))


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ({"kind": "cmax", "output": "madrs"}, "endpoints[0].output: unknown drug concentration output"),
        ({"kind": "tmax", "output": "plasma_ketamine", "window": ["0 h", "infinity"]}, "only auc endpoints reach"),
        ({"kind": "time_above", "output": "plasma_ketamine"}, "endpoints[0].above: time_above endpoints need"),
        ({"kind": "time_above", "output": "plasma_ketamine", "above": "3 h"}, "wrong dimension"),
        ({"kind": "auc", "output": "plasma_ketamine", "window": ["0 h", "3 d"]}, "endpoints[0].window[1]: time 3 d"),
        ({"kind": "auc", "output": "plasma_ketamine", "window": ["5 h", "1 h"]}, "the window ends before it starts"),
        ({"kind": "cmax", "output": "plasma_ketamine", "at": "1 h"}, "`at` is not used by cmax endpoints"),
    ],
)
def test_bad_pk_endpoints_are_refused_with_their_key(endpoint: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtocolError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ketasim.build_protocol({**SINGLE, "endpoints": [{"name": "x", **endpoint}]})


def test_pk_endpoints_keep_the_observe_grid() -> None:
    """PK endpoints add no observation time, so the other outputs and endpoints are computed as before."""
    with_pk = ketasim.build_protocol(SINGLE)
    without = ketasim.build_protocol({**SINGLE, "endpoints": []})
    assert np.array_equal(observation_times(with_pk), observation_times(without))


def pk_target(statistic: str, **measure: Any) -> dict[str, Any]:
    """A target reading a PK statistic of plasma ketamine off the single-infusion example observed once a day."""
    protocol = {**SINGLE, "observe": {"every": "1 d"}, "endpoints": []}
    return {
        "id": f"pk-{statistic}",
        "title": statistic,
        "source": "test",
        "confidence": "low",
        "protocol": protocol,
        "measure": {"arm": "ketamine", "output": "plasma_ketamine", "statistic": statistic, **measure},
        "expected": 1.0,
        "band": [0.0, 1e6],
    }


def test_pk_target_statistics_read_the_dense_course() -> None:
    from ketasim.validation import parse_targets, run_targets

    targets = [
        pk_target("cmax"),
        pk_target("tmax"),
        pk_target("auc_exact", window=["0 h", "infinity"]),
        pk_target("time_above", above="100 ng/mL", window=["0 h", "12 h"]),
        pk_target("max", window=["0 h", "24 h"]),
    ]
    run = run_targets(parse_targets({"ketasim-targets": 1, "targets": targets}))
    simulated = {r.target.id: r.simulated for r in run.results}
    assert all(r.error is None for r in run.results), [r.error for r in run.results]
    trial = ketasim.analyse(ketasim.build_protocol(SINGLE), ketasim.simulate(ketasim.build_protocol(SINGLE)))
    estimates = {name: e.value for name, e in trial.estimates["ketamine"].items()}
    assert simulated["pk-cmax"] == pytest.approx(dense_reference_cmax(), rel=RELATIVE)
    assert simulated["pk-tmax"] == pytest.approx(estimates["ketamine_tmax"], rel=1e-9)
    assert simulated["pk-auc_exact"] == pytest.approx(estimates["ketamine_auc"], rel=1e-9)
    assert simulated["pk-time_above"] == pytest.approx(estimates["above_100"], rel=1e-9)
    assert simulated["pk-max"] < 0.5 * simulated["pk-cmax"]  # the daily output grid misses the peak


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        ({"statistic": "cmax", "output": "madrs"}, r"targets\[0\].measure.output"),
        ({"statistic": "tmax", "window": ["0 h", "infinity"]}, r"targets\[0\].measure.window\[1\]"),
        ({"statistic": "time_above"}, r"targets\[0\].measure.above: statistic `time_above` needs a concentration"),
        ({"statistic": "cmax", "above": "1 ng/mL"}, r"targets\[0\].measure.above: does not apply"),
        ({"statistic": "max", "window": ["0 h", "4 h"], "above": "1 ng/mL"}, r"measure.above: does not apply"),
    ],
)
def test_bad_pk_targets_are_refused_with_their_key(measure: dict[str, Any], message: str) -> None:
    from ketasim.errors import TargetsError
    from ketasim.validation import parse_targets

    target = pk_target("cmax")
    target["measure"] = {"arm": "ketamine", "output": "plasma_ketamine", **measure}
    with pytest.raises(TargetsError, match=message):
        parse_targets({"ketasim-targets": 1, "targets": [target]})
