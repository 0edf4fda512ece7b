"""``ketasim trial``: files written, options passed through, chunking and resuming, report content.

The engine is replaced by a fast synthetic one; protocol loading, chunks, endpoints, statistics and files are real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.engine.grid import StepPolicy
from ketasim.io.netcdf import read_timecourses
from ketasim.simulation import run as simulation_run
from ketasim.trial import chunks

runner = CliRunner()

PROTOCOL = """
ketasim: 1
name: small trial
seed: 4
duration: 7 d
population: {size: 12}
arms:
- name: ketamine
  treatments: [{drug: ketamine, route: iv, dose: 0.5 mg/kg, infusion: 40 min, at: [0 h]}]
- name: saline
  treatments: [{drug: placebo, route: iv, infusion: 40 min, at: [0 h]}]
observe: {every: 1 d}
endpoints:
- {name: response_24h, kind: response, scale: madrs, at: 24 h}
- {name: remission_d3, kind: remission, scale: madrs, at: 3 d}
- {name: change_d3, kind: mean_change, scale: madrs, at: 3 d}
- {name: response_time, kind: time_to_response, scale: madrs}
"""
PROTOCOL_MAPPING = yaml.safe_load(PROTOCOL)


class FakeSimulator:
    """Stands in for `simulation.simulate_range`: synthetic MADRS and plasticity courses, a pure function of
    (seed, arm, patient) like the real engine; records how it was called."""

    def __init__(self, outputs: tuple[str, ...] = ("madrs", "plasticity_window")) -> None:
        self.calls: list[dict[str, Any]] = []
        self.outputs = outputs

    def __call__(self, protocol: Any, plan: Any, first: int, count: int, batch: int, seed: int) -> dict[str, Any]:
        self.calls.append({"arm": plan.index, "first": first, "count": count, "seed": seed})
        days = np.arange(8.0)
        rows = []
        for patient in range(first, first + count):
            rng = np.random.default_rng([seed, plan.index, patient])
            depth = (0.7 - 0.6 * plan.index) * rng.uniform(0.4, 1.4)
            baseline = rng.normal(32, 4)
            rows.append((baseline, depth, rng.uniform(20, 60)))
        baseline, depth, age = (np.array(column)[:, None] for column in zip(*rows, strict=True))
        madrs = np.rint(baseline * (1 - depth * np.where(days > 0, np.exp(-(days - 1) / 4), 0.0)))
        arrays = {"madrs": madrs, "plasticity_window": 1 + depth * np.exp(-days / 3)}
        chosen = {k: v for k, v in arrays.items() if k in self.outputs}
        return {**chosen, "age_years": age[:, 0], "monitoring_time": np.zeros((count, 0))}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSimulator:
    simulator = FakeSimulator()
    monkeypatch.setattr(chunks, "simulate_range", simulator)
    monkeypatch.setattr("ketasim.cli.default_workers", lambda: 1)  # spawned workers would not see the fake
    return simulator


def _protocol(tmp_path: Path) -> Path:
    path = tmp_path / "trial.yaml"
    path.write_text(PROTOCOL)
    return path


def test_trial_has_help() -> None:
    result = runner.invoke(app, ["trial", "--help"])
    assert result.exit_code == 0 and "--chunk-size" in result.output and "--timecourses" in result.output


def test_trial_writes_summary_patients_and_report(
    tmp_path: Path, fake: FakeSimulator, assert_offline_page: Any
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-3:] == [f"wrote {out / name}" for name in ("summary.json", "patients.parquet", "report.html")]
    assert "response_24h" in result.stdout  # the endpoint table
    summary = json.loads((out / "summary.json").read_text())
    assert summary["protocol"] == "small trial" and summary["seed"] == 4 and summary["patients_per_arm"] == 12
    assert summary["arms"]["ketamine"]["endpoints"]["response_24h"]["n"] == 12
    assert summary["comparisons"][0]["arms"] == ["ketamine", "saline"]
    assert summary["seconds"] >= 0
    table = pd.read_parquet(out / "patients.parquet")
    assert len(table) == 24 and {"arm", "patient", "failed", "age_years", "response_time_event"} <= set(table.columns)
    assert not (out / "timecourses.nc").exists()
    page = assert_offline_page(out / "report.html")
    assert "research and education, not medical advice" in page
    assert (
        "Time to event (Kaplan-Meier)" in page
        and "response_time: Kaplan-Meier" in page
        and "Hedges g" in page
        and "95 % interval" in page
    )
    assert "25-75 %" in page and "plasticity window (1 = healthy)" in page  # y title from the vocabulary
    assert "https://doi.org/" in page  # the references section
    assert "zimmerman2004" in page  # the source of the default MADRS remission cut-off


def test_options_pass_through_and_timecourses(tmp_path: Path, fake: FakeSimulator) -> None:
    out = tmp_path / "out"
    arguments = ["--out", str(out), "--patients", "5", "--seed", "9", "--chunk-size", "2", "--workers", "1"]
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), *arguments, "--timecourses", "--quiet"])
    assert result.exit_code == 0, result.output
    assert {c["seed"] for c in fake.calls} == {9}
    assert sum(c["count"] for c in fake.calls if c["arm"] == 0) == 5
    assert "response_24h" not in result.stdout  # --quiet: no table
    assert read_timecourses(out / "timecourses.nc").sizes["patient"] == 5
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 9 and summary["patients_per_arm"] == 5
    assert not (out / ".chunks").exists()  # removed once the run is complete


def _numbers(tmp_path: Path, folder: str, *options: str) -> dict[str, Any]:
    arguments = ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / folder), "--quiet", "--workers", "1"]
    result = runner.invoke(app, [*arguments, *options])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / folder / "summary.json").read_text())
    summary.pop("seconds")
    return summary


def test_same_seed_gives_the_same_numbers(tmp_path: Path, fake: FakeSimulator) -> None:
    assert _numbers(tmp_path, "a") == _numbers(tmp_path, "b")


def test_chunk_size_does_not_change_the_numbers(
    tmp_path: Path, fake: FakeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulation_run, "BATCH_SIZE", 2)
    assert _numbers(tmp_path, "a", "--chunk-size", "2") == _numbers(tmp_path, "b", "--chunk-size", "6")


def test_resume_after_a_kill_gives_the_same_numbers(
    tmp_path: Path, fake: FakeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulation_run, "BATCH_SIZE", 2)
    whole = _numbers(tmp_path, "whole", "--chunk-size", "4")
    calls_for_whole = len(fake.calls)

    class KilledError(Exception):
        """The process dies."""

    def killed(*args: Any) -> Any:
        if len(fake.calls) >= 3:
            raise KilledError  # the run dies after its third chunk
        return FakeSimulator.__call__(fake, *args)

    monkeypatch.setattr(chunks, "simulate_range", killed)
    fake.calls.clear()
    with pytest.raises(KilledError):
        runner.invoke(
            app,
            ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "r"), "--quiet", "--chunk-size", "4"],
            catch_exceptions=False,
        )
    assert not (tmp_path / "r" / "summary.json").exists()
    monkeypatch.setattr(chunks, "simulate_range", fake)
    fake.calls.clear()
    assert _numbers(tmp_path, "r", "--chunk-size", "4", "--resume") == whole
    assert len(fake.calls) == calls_for_whole - 3  # the three finished chunks were kept


def test_resume_refuses_a_folder_of_another_run(tmp_path: Path, fake: FakeSimulator) -> None:
    _numbers(tmp_path, "a")
    (tmp_path / "a" / ".chunks").mkdir()
    (tmp_path / "a" / ".chunks" / "run.json").write_text(json.dumps({"protocol_sha256": "other"}))
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "a"), "--resume"])
    assert result.exit_code == 2 and "holds a run of another protocol" in result.stderr


def _error_lines(stderr: str) -> list[str]:
    """stderr without the progress lines (``ketasim: ...``) a command writes when stderr is not a terminal."""
    return [line for line in stderr.strip().splitlines() if not line.startswith("ketasim: ")]


def test_unreachable_scheduler_is_one_error_line(tmp_path: Path, fake: FakeSimulator) -> None:
    arguments = ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler") and not fake.calls


@pytest.mark.parametrize("option", [["--chunk-size", "0"], ["--workers", "0"], ["--patients", "0"]])
def test_bad_numbers_are_refused(tmp_path: Path, fake: FakeSimulator, option: list[str]) -> None:
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o"), *option])
    assert result.exit_code == 2 and not fake.calls


def test_a_scale_not_simulated_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "simulate_range", FakeSimulator(outputs=("plasticity_window",)))
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert result.exit_code == 2
    assert _error_lines(result.stderr) == [
        "error: endpoint 'response_24h' reads 'madrs', which this simulation did not produce "
        "(not simulated yet, or left out of observe.outputs)"
    ]


def test_band_figure_has_two_bands_per_arm_and_output() -> None:
    from ketasim.protocol import load_protocol
    from ketasim.report.trial_report import band_figure
    from ketasim.simulation.label import to_dataset
    from ketasim.simulation.plan import plan_arm

    protocol = load_protocol(PROTOCOL_MAPPING)
    arrays = [FakeSimulator()(protocol, plan_arm(protocol, arm, StepPolicy()), 0, 12, 12, 4) for arm in (0, 1)]
    dataset = to_dataset(protocol, ["ketamine", "saline"], arrays, np.arange(12), 4)
    figure = band_figure(dataset, ["madrs", "plasticity_window"])
    fills = [trace for trace in figure.data if trace.fill == "toself"]
    assert len(fills) == 2 * 2 * 2  # outputs x arms x (5-95 %, 25-75 %)
    assert sum("25-75 %" in trace.name for trace in fills) == 4
    assert [figure.layout[axis].title.text for axis in ("yaxis", "yaxis2")] == [
        "MADRS (points)",
        "plasticity window (1 = healthy)",
    ]
    assert figure.layout.xaxis.showticklabels is False  # the explorer's stack: labels on the bottom panel only
    labelled = band_figure(dataset, ["madrs", "plasticity_window"], labelled=True)
    for axis in ("xaxis", "xaxis2"):  # the report's stack: every panel has its own time labels
        assert labelled.layout[axis].showticklabels is True and labelled.layout[axis].title.text == "time (d)"
