"""``ketasim trial``: files written, options passed through, chunking and resuming, report content.

The engine is replaced by a fast synthetic one; protocol loading, chunks, endpoints, statistics and files are real.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.engine.grid import StepPolicy
from ketasim.errors import SolverError
from ketasim.io.netcdf import read_timecourses
from ketasim.report.page import plotly_file_name
from ketasim.result_files import staging_folder, write_file
from ketasim.simulation import run as simulation_run
from ketasim.trial import chunks
from ketasim.trial import run as trial_run

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

    @property
    def observed(self) -> list[dict[str, Any]]:
        """The calls that simulated chunks on the observation grid (not the report's dense plot grid)."""
        return [call for call in self.calls if call["outputs"] is None]

    def __call__(
        self,
        protocol: Any,
        plan: Any,
        first: int,
        count: int,
        batch: int,
        seed: int,
        *,
        outputs: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        self.calls.append({"arm": plan.index, "first": first, "count": count, "seed": seed, "outputs": outputs})
        days = plan.grid.times_h[plan.grid.observation_index] / 24.0  # the observations, or the dense plot times
        rows = []
        for patient in range(first, first + count):
            rng = np.random.default_rng([seed, plan.index, patient])
            depth = (0.7 - 0.6 * plan.index) * rng.uniform(0.4, 1.4)
            baseline = rng.normal(32, 4)
            rows.append((baseline, depth, rng.uniform(20, 60)))
        baseline, depth, age = (np.array(column)[:, None] for column in zip(*rows, strict=True))
        madrs = np.rint(baseline * (1 - depth * np.where(days > 0, np.exp(-(days - 1) / 4), 0.0)))
        arrays = {"madrs": madrs, "plasticity_window": 1 + depth * np.exp(-days / 3)}
        chosen = {k: v for k, v in arrays.items() if k in (self.outputs if outputs is None else outputs)}
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
    assert sum(c["count"] for c in fake.observed if c["arm"] == 0) == 5
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
    calls_for_whole = len(fake.observed)

    class KilledError(Exception):
        """The process dies."""

    def killed(*args: Any, **kwargs: Any) -> Any:
        if len(fake.observed) >= 3 and kwargs.get("outputs") is None:
            raise KilledError  # the run dies after its third chunk
        return FakeSimulator.__call__(fake, *args, **kwargs)

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
    assert len(fake.observed) == calls_for_whole - 3  # the three finished chunks were kept


def test_resume_refuses_a_folder_of_another_run(tmp_path: Path, fake: FakeSimulator) -> None:
    _numbers(tmp_path, "a")
    unfinished = staging_folder(tmp_path / "a") / ".chunks"
    unfinished.mkdir(parents=True)
    (unfinished / "run.json").write_text(json.dumps({"protocol_sha256": "other"}))
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "a"), "--resume"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()  # refused before any progress line
    assert line.startswith("error: --resume: ") and "holds a run of another protocol" in line


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


def _summary(folder: Path) -> dict[str, Any]:
    summary = json.loads((folder / "summary.json").read_text())
    summary.pop("seconds")
    return summary


def test_a_second_trial_into_the_same_out_is_refused_while_the_first_runs(tmp_path: Path, fake: FakeSimulator) -> None:
    out = tmp_path / "out"
    arguments = ["trial", str(_protocol(tmp_path)), "--out", str(out), "--quiet"]
    second: list[Any] = []

    def first_run(*args: Any, **kwargs: Any) -> Any:
        if not second:  # while the first run computes its first chunk, a second one starts
            second.append(runner.invoke(app, [*arguments, "--seed", "5"]))
        return FakeSimulator.__call__(fake, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chunks, "simulate_range", first_run)
        first = runner.invoke(app, arguments)
    assert first.exit_code == 0, first.output
    assert second[0].exit_code == 2
    lines = second[0].stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --out: another ketasim run is writing {out}")
    assert _summary(out)["seed"] == 4  # the folder holds the first run's results, complete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "trial.yaml"]


def test_a_failed_run_leaves_the_previous_result_and_resume_finishes_it(
    tmp_path: Path, fake: FakeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulation_run, "BATCH_SIZE", 2)
    previous = _numbers(tmp_path, "out", "--chunk-size", "4")
    wanted = _numbers(tmp_path, "reference", "--chunk-size", "4", "--seed", "8")

    def failing(*args: Any, **kwargs: Any) -> Any:
        if len(fake.observed) >= 3 and kwargs.get("outputs") is None:
            raise SolverError("the engine could not advance the model")
        return FakeSimulator.__call__(fake, *args, **kwargs)

    fake.calls.clear()
    monkeypatch.setattr(chunks, "simulate_range", failing)
    arguments = ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "out"), "--chunk-size", "4", "--seed", "8"]
    result = runner.invoke(app, [*arguments, "--quiet", "--workers", "1"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["error: the engine could not advance the model"]
    assert _summary(tmp_path / "out") == previous  # untouched: the earlier complete result
    assert len(list((staging_folder(tmp_path / "out") / ".chunks").glob("*.done"))) == 3
    monkeypatch.setattr(chunks, "simulate_range", fake)
    assert _numbers(tmp_path, "out", "--chunk-size", "4", "--seed", "8", "--resume") == wanted
    assert not staging_folder(tmp_path / "out").exists()


def test_a_full_disk_names_the_file_and_keeps_the_previous_result(
    tmp_path: Path, fake: FakeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = _numbers(tmp_path, "out")

    def full_disk(analysis: Any, summary: Any, dataset: Any, path: Path, **keywords: Any) -> Path:
        def half_written(hidden: Path) -> None:
            hidden.write_text("<html><body>half a rep")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return write_file(path, half_written)

    monkeypatch.setattr(trial_run, "write_trial_report", full_disk)
    arguments = ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "out"), "--seed", "8", "--quiet"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write {tmp_path / 'out' / 'report.html'}: No space left on device "
        "(free some disk space or write somewhere else)"
    ]
    assert _summary(tmp_path / "out") == previous
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        ".ketasim-result.json",
        "patients.parquet",
        plotly_file_name(),
        "report.html",
        "summary.json",
    }
    assert "half a rep" not in (tmp_path / "out" / "report.html").read_text()


def test_a_folder_of_another_protocol_is_refused_unless_forced(tmp_path: Path, fake: FakeSimulator) -> None:
    _numbers(tmp_path, "out")
    other = tmp_path / "other.yaml"
    other.write_text(PROTOCOL.replace("name: small trial", "name: another trial"))
    arguments = ["trial", str(other), "--out", str(tmp_path / "out")]
    refused = runner.invoke(app, arguments)
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        f"error: --out: {tmp_path / 'out'} already holds the results of `ketasim trial` for 'small trial' "
        "(choose another --out, or add --force to replace it)"
    ]
    assert runner.invoke(app, [*arguments, "--force"]).exit_code == 0
    assert _summary(tmp_path / "out")["protocol"] == "another trial"


def test_a_trial_too_large_for_memory_is_refused_before_it_starts(tmp_path: Path, fake: FakeSimulator) -> None:
    arguments = ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o"), "--patients", "1000000000"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2 and not fake.calls and not (tmp_path / "o").exists()
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --patients: the per-patient table and the kept time courses of 1000000000")
    assert "of memory, over the limit of" in line and "--chunk-size" in line and "--scheduler" in line


@pytest.mark.parametrize("seed", ["-1", str(2**63)])
def test_a_seed_out_of_range_is_one_error_line(tmp_path: Path, fake: FakeSimulator, seed: str) -> None:
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o"), "--seed", seed])
    assert result.exit_code == 2 and not fake.calls
    assert result.stderr.strip().splitlines() == [
        f"error: --seed: {seed} is outside 0 to {2**63 - 1} (give a whole number in that range, e.g. 7)"
    ]
