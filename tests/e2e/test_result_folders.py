"""Result folders under real processes: two trials into one ``--out`` at once, and a disk that fills up (``ulimit
-f``) during ``ketasim trial`` and ``ketasim simulate``. The folder always holds one complete run: the previous
one or the new one, never a mix; a failure is one line naming the file, exit status 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ketasim.report.page import plotly_file_name

KETASIM = Path(sys.executable).parent / "ketasim"
RUN_TIMEOUT_S = 600
FILE_LIMIT_KB = 1024  # ulimit -f: files up to 1 MB; the plotly.js the pages share is about 4.6 MB

TWO_ARMS = """
ketasim: 1
name: two arms
seed: 1
duration: 7 d
population: {size: 20}
arms:
- name: ketamine
  treatments: [{drug: ketamine, route: iv, dose: 0.5 mg/kg, infusion: 40 min, at: [0 h]}]
- name: saline
  treatments: [{drug: placebo, route: iv, infusion: 40 min, at: [0 h]}]
observe: {every: 1 d}
endpoints:
- {name: response_24h, kind: response, scale: madrs, at: 24 h}
"""
ONE_ARM = TWO_ARMS.replace("name: two arms", "name: one arm").split("- name: saline")[0] + (
    "observe: {every: 1 d}\nendpoints:\n- {name: response_24h, kind: response, scale: madrs, at: 24 h}\n"
)


def ketasim(*arguments: str, file_limit_kb: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``ketasim`` command (under ``ulimit -f`` when a limit is given).

    A run under the limit repeats the shapes of an earlier run, so the compiled program comes from JAX's cache
    rather than being written to it (a write would hit the limit too and print a warning).
    """
    command = [str(KETASIM), *arguments]
    if file_limit_kb is not None:
        command = ["bash", "-c", f'ulimit -f {file_limit_kb} && exec "$@"', "ketasim", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def contents(folder: Path) -> dict[str, bytes]:
    """Every file of a folder, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def protocols(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("protocols")
    (folder / "two.yaml").write_text(TWO_ARMS)
    (folder / "one.yaml").write_text(ONE_ARM)
    return {"two": folder / "two.yaml", "one": folder / "one.yaml"}


@pytest.fixture(scope="module")
def finished_trial(protocols: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete two-arm trial."""
    out = tmp_path_factory.mktemp("finished") / "trial"
    result = ketasim("trial", str(protocols["two"]), "--out", str(out), "--quiet", "--workers", "1")
    assert result.returncode == 0, result.stderr
    return out


def _summary(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text())


def test_two_trials_into_one_out_give_one_complete_result_and_one_clear_refusal(
    protocols: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    arguments = ["trial", str(protocols["two"]), "--out", str(out), "--quiet", "--workers", "1"]
    runs = [
        subprocess.Popen(
            [str(KETASIM), *arguments, "--seed", str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for seed in (11, 12)
    ]
    outcomes = [(run.wait(timeout=RUN_TIMEOUT_S), run.stderr.read().decode() if run.stderr else "") for run in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    winner = next(seed for seed, (code, _) in zip((11, 12), outcomes, strict=True) if code == 0)
    refusal = next(text for code, text in outcomes if code == 2).strip().splitlines()
    assert len(refusal) == 1 and refusal[0].startswith(f"error: --out: another ketasim run is writing {out}")
    summary = _summary(out)
    assert summary["seed"] == winner and set(summary["arms"]) == {"ketamine", "saline"}
    table = pd.read_parquet(out / "patients.parquet")
    assert len(table) == 40  # every patient of the winning run, and only those
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, no unfinished folder left


def test_a_full_disk_during_a_trial_keeps_the_previous_complete_result(
    protocols: dict[str, Path], finished_trial: Path, tmp_path: Path
) -> None:
    out = tmp_path / "trial"
    shutil.copytree(finished_trial, out)
    before = contents(out)
    arguments = ["trial", str(protocols["one"]), "--out", str(out), "--force", "--quiet", "--workers", "1"]
    result = ketasim(*arguments, file_limit_kb=FILE_LIMIT_KB)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: cannot write {out / plotly_file_name()}: File too large ({_EFBIG_FIX})"], lines
    assert contents(out) == before  # the earlier two-arm result, whole: no one-arm table, no truncated report
    assert set(_summary(out)["arms"]) == {"ketamine", "saline"}


def test_a_full_disk_during_simulate_keeps_the_previous_complete_result(
    protocols: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "simulated"
    first = ketasim("simulate", str(protocols["two"]), "--out", str(out), "--patients", "2", "--fc-at", "24 h", "-q")
    assert first.returncode == 0, first.stderr
    before = contents(out)
    assert {"timecourses.nc", "plot.html", "fc.html", "fc_matrices.nc"} <= set(before)
    arguments = ["simulate", str(protocols["two"]), "--out", str(out), "--patients", "2", "-q"]
    result = ketasim(*arguments, file_limit_kb=FILE_LIMIT_KB)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: cannot write {out / plotly_file_name()}: File too large ({_EFBIG_FIX})"], lines
    assert contents(out) == before  # the earlier result whole, its FC page included, beside no new plot


_EFBIG_FIX = "the file is larger than this system allows: write somewhere else"
