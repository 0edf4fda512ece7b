"""``ketasim trial``: files written, options passed through, unsupported options refused, report content.

The simulator is replaced by a fast synthetic one; protocol loading, endpoints, statistics and files are real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from ketasim import simulation
from ketasim.cli import app
from ketasim.io.netcdf import read_timecourses

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
    """Synthetic MADRS and plasticity courses for any protocol; records how it was called."""

    def __init__(self, outputs: tuple[str, ...] = ("madrs", "plasticity_window")) -> None:
        self.calls: list[dict[str, Any]] = []
        self.outputs = outputs

    def __call__(self, protocol: Any, **options: Any) -> xr.Dataset:
        self.calls.append(options)
        size = options.get("patients") or protocol.population.size
        seed = options.get("seed") if options.get("seed") is not None else protocol.seed
        arms = [arm.name for arm in protocol.arms]
        rng = np.random.default_rng(seed)
        days = np.arange(8.0)
        depth = np.linspace(0.7, 0.1, len(arms))[:, None, None] * rng.uniform(0.4, 1.4, (len(arms), size, 1))
        baseline = rng.normal(32, 4, (len(arms), size, 1))
        madrs = np.rint(baseline * (1 - depth * np.where(days > 0, np.exp(-(days - 1) / 4), 0.0)))
        window = 1 + depth * np.exp(-days / 3)
        if options.get("progress") is not None:
            for _ in arms:
                options["progress"](size)
        dims = ("arm", "patient", "time")
        data = {
            "madrs": (dims, madrs, {"units": "points", "long_name": "MADRS"}),
            "plasticity_window": (dims, window, {"units": "ratio", "long_name": "plasticity window"}),
            "age_years": (("arm", "patient"), rng.uniform(20, 60, (len(arms), size))),
        }
        return xr.Dataset(
            {k: v for k, v in data.items() if k in self.outputs or k == "age_years"},
            coords={"arm": arms, "patient": np.arange(size), "time": ("time", days * 24.0, {"units": "h"})},
            attrs={"seed": seed},
        )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSimulator:
    simulator = FakeSimulator()
    monkeypatch.setattr(simulation, "simulate", simulator)
    return simulator


def _protocol(tmp_path: Path) -> Path:
    path = tmp_path / "trial.yaml"
    path.write_text(PROTOCOL)
    return path


def test_trial_has_help() -> None:
    result = runner.invoke(app, ["trial", "--help"])
    assert result.exit_code == 0 and "--chunk-size" in result.output and "--timecourses" in result.output


def test_trial_writes_summary_patients_and_report(tmp_path: Path, fake: FakeSimulator) -> None:
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
    page = (out / "report.html").read_text()
    assert "research and education, not medical advice" in page
    assert "<script src=" not in page and '<meta name="viewport"' in page
    assert (
        "Time to event (Kaplan-Meier)" in page
        and "response_time: Kaplan-Meier" in page
        and "Hedges g" in page
        and "95 % interval" in page
    )
    assert "25-75 %" in page and "plasticity_window" in page
    assert "https://doi.org/" in page  # the references section
    assert "zimmerman2004" in page  # the source of the default MADRS remission cut-off


def test_options_pass_through_and_timecourses(tmp_path: Path, fake: FakeSimulator) -> None:
    out = tmp_path / "out"
    arguments = ["--out", str(out), "--patients", "5", "--seed", "9", "--chunk-size", "2", "--workers", "1"]
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), *arguments, "--timecourses", "--quiet"])
    assert result.exit_code == 0, result.output
    assert fake.calls[0]["patients"] == 5 and fake.calls[0]["seed"] == 9 and fake.calls[0]["chunk_size"] == 2
    assert "response_24h" not in result.stdout  # --quiet: no table
    assert read_timecourses(out / "timecourses.nc").sizes["patient"] == 5
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 9 and summary["patients_per_arm"] == 5


def test_same_seed_gives_the_same_numbers(tmp_path: Path, fake: FakeSimulator) -> None:
    def numbers(folder: str) -> dict[str, Any]:
        runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / folder), "--quiet"])
        summary = json.loads((tmp_path / folder / "summary.json").read_text())
        summary.pop("seconds")
        return summary

    assert numbers("a") == numbers("b")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--workers", "2"], "--workers 2: parallel workers are not supported yet"),
        (["--scheduler", "tcp://10.0.0.1:8786"], "Dask clusters are not supported yet"),
        (["--resume"], "--resume: resuming a run is not supported yet"),
    ],
)
def test_unsupported_distribution_options_exit_2(
    tmp_path: Path, fake: FakeSimulator, option: list[str], message: str
) -> None:
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o"), *option])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not fake.calls


@pytest.mark.parametrize("option", [["--chunk-size", "0"], ["--workers", "0"], ["--patients", "0"]])
def test_bad_numbers_are_refused(tmp_path: Path, fake: FakeSimulator, option: list[str]) -> None:
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o"), *option])
    assert result.exit_code == 2 and not fake.calls


def test_a_scale_not_simulated_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulation, "simulate", FakeSimulator(outputs=("plasticity_window",)))
    result = runner.invoke(app, ["trial", str(_protocol(tmp_path)), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: endpoint 'response_24h' reads 'madrs', which this simulation did not produce "
        "(not simulated yet, or left out of observe.outputs)"
    ]


def test_band_figure_has_two_bands_per_arm_and_output() -> None:
    from ketasim.protocol import load_protocol
    from ketasim.report.trial_report import band_figure

    dataset = FakeSimulator()(load_protocol(PROTOCOL_MAPPING))
    figure = band_figure(dataset, ["madrs", "plasticity_window"])
    fills = [trace for trace in figure.data if trace.fill == "toself"]
    assert len(fills) == 2 * 2 * 2  # outputs x arms x (5-95 %, 25-75 %)
    assert sum("25-75 %" in trace.name for trace in fills) == 4
