"""The real ``ketasim`` command in an 80-column pipe: progress lines as the work goes, tables that cut no value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ketasim.report.numbers import format_interval, format_number
from ketasim.report.summary_rows import comparison_rows, endpoint_rows, summary_kinds

ROOT = Path(__file__).resolve().parents[2]
KETASIM = str(Path(sys.executable).parent / "ketasim")
WIDTH = 80
LONG_ID = "pk-iv-05-cmax-at-the-end-of-a-forty-minute-infusion"


def run_piped(arguments: list[str]) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run ``ketasim`` with stdout and stderr piped at 80 columns; also whether the first stderr line came while
    the command was still running (progress is written as it happens, not at the end)."""
    environment = {**os.environ, "COLUMNS": str(WIDTH)}
    with subprocess.Popen(
        [KETASIM, *arguments], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None and process.stdout is not None
        first = process.stderr.readline()
        running = process.poll() is None
        stderr = first + process.stderr.read()
        stdout = process.stdout.read()
        process.wait(timeout=600)
    return subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr), running


def assert_whole(output: str, values: list[str]) -> None:
    lines = output.splitlines()
    assert all(len(line) <= WIDTH for line in lines), max(lines, key=len)
    assert not any("…" in line for line in lines), "a value was cut with an ellipsis"
    for value in values:
        assert any(value in line for line in lines), f"{value!r} is not printed whole:\n{output}"


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], bool, dict[str, Any]]:
    out = tmp_path_factory.mktemp("trial")
    arguments = ["trial", "examples/ketamine-vs-escitalopram.yaml", "--out", str(out)]
    result, running = run_piped([*arguments, "--patients", "30", "--workers", "1"])
    assert result.returncode == 0, result.stderr
    return result, running, json.loads((out / "summary.json").read_text())


def test_trial_shows_progress_as_it_happens_when_piped(trial: Any) -> None:
    result, running, _ = trial
    lines = result.stderr.splitlines()
    assert lines[0].startswith("ketasim: compiling the model (first run only)")
    assert running, "the first progress line arrived only after the command had finished"
    assert any(line.startswith("ketasim: simulating 60/60 (100 %)") for line in lines)


def test_trial_tables_cut_no_value_at_80_columns(trial: Any) -> None:
    result, _, summary = trial
    rows = endpoint_rows(summary) + comparison_rows(summary, summary_kinds(summary))
    values = [cell for row in rows for cell in row if cell]
    assert_whole(result.stdout, values)


def test_validate_table_cuts_no_value_at_80_columns(tmp_path: Path, pk_target: dict[str, Any]) -> None:
    targets = tmp_path / "targets.yaml"
    target = {**pk_target, "id": LONG_ID}
    targets.write_text(yaml.safe_dump({"ketasim-targets": 1, "targets": [target]}))
    result, running = run_piped(["validate", "--targets", str(targets), "--json", str(tmp_path / "v.json")])
    assert result.returncode == 0, result.stderr
    assert running and result.stderr.startswith("ketasim: compiling the model (first run only)")
    simulated = json.loads((tmp_path / "v.json").read_text())["results"][0]["simulated"]
    values = [LONG_ID, format_number(simulated, 4), "185", format_interval(140, 240, digits=4)]
    assert_whole(result.stdout, values)


def test_params_cuts_no_value_at_80_columns() -> None:
    result, _ = run_piped(["params"])
    assert result.returncode == 0
    listing = json.loads(
        subprocess.run([KETASIM, "params", "--json"], capture_output=True, text=True, check=True).stdout
    )
    values = [str(p[field]) for p in listing["parameters"] for field in ("name", "unit", "source", "confidence")]
    assert_whole(result.stdout, values + [format_number(p["value"], 4) for p in listing["parameters"]])
