"""The ``ketasim`` command: exit codes, one-line errors, files written, ``--help`` of every command.

The simulation layer is replaced by fakes installed as modules, so these tests exercise the command itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

import ketasim.inference.calibrate  # noqa: F401 - imported before `fake_layers` fakes the protocol package it reads
import ketasim.protocol.run_size  # noqa: F401 - the real size check, imported before `fake_layers` fakes its package
from ketasim.cli import app
from ketasim.errors import ParameterError, ProtocolError, UnsupportedError
from ketasim.io.netcdf import read_timecourses
from ketasim.parameters import listing
from ketasim.parameters.registry import Reference
from ketasim.report.page import plotly_file_name
from ketasim.report.timecourse_plot import timecourse_figure

runner = CliRunner()

PROTOCOL = """
ketasim: 1
name: single infusion
duration: 1 d
population: {size: 3}
arms:
- name: ketamine
  treatments: [{drug: ketamine, route: iv, dose: 0.5 mg/kg, infusion: 40 min, at: [0 h]}]
- name: saline
  treatments: [{drug: placebo, route: iv, infusion: 40 min, at: [0 h]}]
"""


def _load_protocol(source: Any, *, base_dir: Path | None = None) -> Any:
    data = yaml.safe_load(Path(source).read_text()) if not isinstance(source, dict) else source
    if "bad" in data["name"]:
        raise ProtocolError("arms[0].treatments[0].dose", "bare number 5 has no unit", 'write e.g. "0.5 mg/kg"')
    return SimpleNamespace(
        name=data["name"],
        seed=0,
        duration_h=24.0,
        arms=[SimpleNamespace(name=a["name"]) for a in data["arms"]],
        warnings=["dose above the studied range"] if "high" in data["name"] else [],
        population=SimpleNamespace(size=data["population"]["size"], parameter_set="default"),
        observe=SimpleNamespace(every_h=None, outputs=("plasma_ketamine", "plasma_norketamine")),
        endpoints=[],
    )


def _simulate(protocol: Any, *, patients: int | None = None, seed: int | None = None, progress: Any = None) -> Any:
    size = patients or protocol.population.size
    time_h = np.linspace(0.0, 24.0, 97)
    level = np.exp(-np.abs(time_h - 0.7))
    arms = [a.name for a in protocol.arms]
    scale = np.linspace(0.8, 1.2, size)
    values = np.stack([np.outer(scale, level) * (100.0 if k == 0 else 0.0) for k in range(len(arms))])
    if progress is not None:
        for _ in arms:
            progress(size)
    return xr.Dataset(
        {
            "plasma_ketamine": (("arm", "patient", "time"), values, {"units": "ng/mL", "long_name": "plasma ketamine"}),
            "plasma_norketamine": (("arm", "patient", "time"), values / 2, {"units": "ng/mL", "long_name": "norket"}),
        },
        coords={"arm": arms, "patient": np.arange(size), "time": ("time", time_h, {"units": "h"})},
        attrs={"protocol": protocol.name, "seed": seed or 0},
    )


def _endpoint_value(protocol: Any, dataset: Any, arm: str, endpoint: str) -> float:
    raise UnsupportedError(f"endpoint {endpoint!r}: trial endpoints are not simulated yet")


class _Set:
    name = "default"

    def cited(self) -> list[Reference]:
        return [Reference("kamp2020", "Kamp J et al. Anesthesiology 2020", "10.1097/ALN.0000000000003577")]


def _get_parameter_set(name: str) -> Any:
    if name != "default":
        raise ParameterError(f"no parameter set {name!r}; did you mean 'default'?")
    return _Set()


def _module(name: str, **attributes: Any) -> ModuleType:
    module = ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


@pytest.fixture(autouse=True)
def fake_layers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Install fake protocol, simulation and parameter modules for the duration of a test."""
    monkeypatch.setitem(sys.modules, "ketasim.protocol", _module("ketasim.protocol", load_protocol=_load_protocol))
    fake_simulation = _module("ketasim.simulation.run", simulate=_simulate, endpoint_value=_endpoint_value)
    monkeypatch.setitem(sys.modules, "ketasim.simulation.run", fake_simulation)
    for name, fake in (("load_protocol", _load_protocol), ("simulate", _simulate), ("endpoint_value", _endpoint_value)):
        monkeypatch.setattr(f"ketasim.validation.runner.{name}", fake)
    parameters = _module("ketasim.parameters", get_parameter_set=_get_parameter_set)
    monkeypatch.setitem(sys.modules, "ketasim.parameters", parameters)
    monkeypatch.setitem(sys.modules, "ketasim.parameters.listing", listing)
    yield


def _protocol_file(tmp_path: Path, name: str = "single infusion") -> Path:
    path = tmp_path / "protocol.yaml"
    path.write_text(PROTOCOL.replace("name: single infusion", f"name: {name}"))
    return path


def _targets_file(tmp_path: Path, measures: list[dict[str, Any]], protocol_name: str = "single infusion") -> Path:
    protocol = yaml.safe_load(PROTOCOL.replace("name: single infusion", f"name: {protocol_name}"))
    targets = [
        {"id": f"t{i}", "title": "t", "source": "s", "confidence": "low", "protocol": protocol, "measure": m}
        | {"expected": 100, "band": [90, 110]}
        for i, m in enumerate(measures)
    ]
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"ketasim-targets": 1, "targets": targets}))
    return path


CMAX = {"arm": "ketamine", "output": "plasma_ketamine", "statistic": "max", "window": ["0 h", "4 h"]}


@pytest.mark.parametrize("command", [[], ["simulate"], ["validate"], ["params"], ["cite"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "ketasim 0." in result.output


def test_simulate_writes_netcdf_and_plot_and_says_where(tmp_path: Path, assert_offline_page: Any) -> None:
    out = tmp_path / "results"
    result = runner.invoke(app, ["simulate", str(_protocol_file(tmp_path)), "--out", str(out), "--patients", "4"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == f"wrote {out / 'plot.html'}"
    dataset = read_timecourses(out / "timecourses.nc")
    assert dataset["plasma_ketamine"].dims == ("arm", "patient", "time")
    assert dataset.sizes["patient"] == 4
    assert dataset["plasma_ketamine"].attrs["units"] == "ng/mL"
    assert dataset["time"].attrs["units"] == "h"
    assert list(dataset["arm"].values) == ["ketamine", "saline"]
    page = assert_offline_page(out / "plot.html")
    assert page.count('class="plotly-graph-div"') == 1
    assert re.search(r"plasma norketamine \(ng(/|\\u002f)mL\)", page)  # unit on the panel's axis


def test_simulate_replaces_its_earlier_result_whole(tmp_path: Path) -> None:
    out = tmp_path / "results"
    arguments = ["simulate", str(_protocol_file(tmp_path)), "--out", str(out), "--quiet"]
    assert runner.invoke(app, arguments).exit_code == 0
    (out / "fc.html").write_text("the FC page of an earlier run")
    assert runner.invoke(app, [*arguments, "--patients", "2"]).exit_code == 0
    assert {p.name for p in out.iterdir()} == {
        ".ketasim-result.json",
        "plot.html",
        plotly_file_name(),
        "timecourses.nc",
    }
    assert read_timecourses(out / "timecourses.nc").sizes["patient"] == 2


def test_simulate_refuses_a_folder_of_another_protocol_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert runner.invoke(app, ["simulate", str(_protocol_file(tmp_path)), "--out", str(out)]).exit_code == 0
    other = _protocol_file(tmp_path, "high dose")
    refused = runner.invoke(app, ["simulate", str(other), "--out", str(out)])
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        "warning: dose above the studied range",  # the protocol's own warning ("high dose"), then the error alone
        f"error: --out: {out} already holds the results of `ketasim simulate` for 'single infusion' "
        "(choose another --out, or add --force to replace it)",
    ]
    assert runner.invoke(app, ["simulate", str(other), "--out", str(out), "--force"]).exit_code == 0
    assert read_timecourses(out / "timecourses.nc").attrs["protocol"] == "high dose"


def test_simulate_too_large_for_memory_is_refused_before_it_starts(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = runner.invoke(app, ["simulate", str(_protocol_file(tmp_path)), "--out", str(out), "--patients", "10**9"])
    assert result.exit_code == 2  # not a whole number
    result = runner.invoke(
        app, ["simulate", str(_protocol_file(tmp_path)), "--out", str(out), "--patients", "1000000000"]
    )
    assert result.exit_code == 2 and not out.exists()  # no progress line before the error either
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --patients: 1000000000 patients per arm x 2 arm(s) x 25 time points x 2 outputs")
    assert "of memory, over the limit of" in line and "`ketasim trial`" in line and "--chunk-size" in line


@pytest.mark.parametrize(
    ("time", "words"), [("25 h", "25 h is outside the simulated time"), ("24", "--fc-at: '24' has no unit")]
)
def test_simulate_refuses_a_bad_fc_time_before_it_starts(tmp_path: Path, time: str, words: str) -> None:
    out = tmp_path / "results"
    result = runner.invoke(app, ["simulate", str(_protocol_file(tmp_path)), "--out", str(out), "--fc-at", time])
    assert result.exit_code == 2 and not out.exists()
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --fc-at: ") and words in line, line


def test_plot_has_one_panel_per_output_and_a_band_per_arm() -> None:
    protocol = _load_protocol(yaml.safe_load(PROTOCOL))
    figure = timecourse_figure(_simulate(protocol, patients=5))
    titles = [figure.layout[f"yaxis{k}"].title.text for k in ("", "2")]
    assert titles == ["plasma ketamine (ng/mL)", "plasma norketamine (ng/mL)"]
    bands = [t for t in figure.data if t.fill == "toself"]
    assert len(bands) == 2 * 2  # two outputs, two arms
    single = timecourse_figure(_simulate(protocol, patients=1))
    assert not [t for t in single.data if t.fill == "toself"]  # no band for one patient


def test_simulate_prints_protocol_warnings(tmp_path: Path) -> None:
    path = _protocol_file(tmp_path, "high dose")
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0
    assert "warning: dose above the studied range" in result.stderr


def test_a_bad_protocol_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    path = _protocol_file(tmp_path, "bad protocol")
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        'error: arms[0].treatments[0].dose: bare number 5 has no unit (write e.g. "0.5 mg/kg")'
    ]
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = _protocol_file(tmp_path, "bad protocol")
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "o"), "--debug"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "error: arms[0]" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["simulate", "missing.yaml", "--out", "o"],
        ["simulate", "PROTOCOL", "--out", "o", "--patients", "0"],
        ["simulate", "PROTOCOL"],
        ["validate", "--targets", "TARGETS"],
        ["validate", "--targets", "missing.yaml", "--json", "o.json"],
        ["simulate", "PROTOCOL", "--out", "o", "--no-such-option"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, arguments: list[str]) -> None:
    protocol = str(_protocol_file(tmp_path))
    targets = str(_targets_file(tmp_path, [CMAX]))
    filled = [protocol if a == "PROTOCOL" else targets if a == "TARGETS" else a for a in arguments]
    result = runner.invoke(app, filled)
    assert result.exit_code == 2


def test_validate_all_ran_exits_0_and_writes_json_and_report(tmp_path: Path) -> None:
    targets = _targets_file(tmp_path, [CMAX, dict(CMAX, statistic="min")])
    out = tmp_path / "validation.json"
    result = runner.invoke(
        app, ["validate", "--targets", str(targets), "--json", str(out), "--report", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert (document["passed"], document["failed"], document["errors"]) == (1, 1, 0)
    assert (tmp_path / "r" / "report.html").exists()
    assert "1 passed, 1 failed, 0 could not run" in result.stdout


def test_validate_writes_its_report_folder_whole_and_refuses_other_folders(tmp_path: Path) -> None:
    targets = _targets_file(tmp_path, [CMAX])
    report = tmp_path / "r"
    arguments = ["validate", "--targets", str(targets), "--json", str(tmp_path / "v.json"), "--report", str(report)]
    assert runner.invoke(app, arguments).exit_code == 0
    assert {p.name for p in report.iterdir()} == {".ketasim-result.json", "report.html", plotly_file_name()}
    assert runner.invoke(app, arguments).exit_code == 0  # its own earlier report is replaced
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("a person's notes")
    arguments[-1] = str(notes)
    (tmp_path / "v.json").unlink()
    refused = runner.invoke(app, arguments)
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [  # refused before any target ran: no progress line, no JSON
        f"error: --report: {notes} already holds files that ketasim did not write "
        "(choose another --report, or add --force to replace it)"
    ]
    assert (notes / "mine.txt").exists() and not (tmp_path / "v.json").exists()


def test_a_file_that_cannot_be_written_is_one_line_naming_it(tmp_path: Path) -> None:
    targets = _targets_file(tmp_path, [CMAX])
    (tmp_path / "taken").write_text("a file where a folder should be")
    out = tmp_path / "taken" / "v.json"
    result = runner.invoke(app, ["validate", "--targets", str(targets), "--json", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [  # before any target ran
        f"error: cannot write {out}: File exists (a file stands where a folder is needed: choose another path)"
    ]
    deeper = tmp_path / "taken" / "sub" / "v.yaml"
    calibrated = runner.invoke(app, ["calibrate", "--targets", str(targets), "--out", str(deeper)])
    assert calibrated.exit_code == 2
    assert calibrated.stderr.strip().splitlines() == [
        f"error: cannot write {deeper}: Not a directory (a file stands where a folder is needed: choose another path)"
    ]


def test_validate_with_a_target_that_could_not_run_exits_1(tmp_path: Path) -> None:
    targets = _targets_file(tmp_path, [CMAX, {"arm": "ketamine", "endpoint": "response_24h"}])
    out = tmp_path / "validation.json"
    result = runner.invoke(app, ["validate", "--targets", str(targets), "--json", str(out), "--quiet"])
    assert result.exit_code == 1
    assert json.loads(out.read_text())["errors"] == 1
    assert "target t1 could not run" in result.stderr


def test_validate_a_bad_targets_file_exits_2_with_the_key_path(tmp_path: Path) -> None:
    targets = _targets_file(tmp_path, [dict(CMAX, statistic="maxx")])
    result = runner.invoke(app, ["validate", "--targets", str(targets), "--json", str(tmp_path / "v.json")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: targets[0].measure.statistic: unknown value 'maxx' (did you mean 'max'?)"
    ]
    assert not (tmp_path / "v.json").exists()


def test_validate_runs_and_reports_each_role(tmp_path: Path) -> None:
    targets = _targets_file(tmp_path, [CMAX, dict(CMAX, statistic="min"), CMAX])
    document = yaml.safe_load(targets.read_text())
    for entry in document["targets"][1:]:
        entry["role"] = "validation"
    targets.write_text(yaml.safe_dump(document))
    out = tmp_path / "validation.json"
    result = runner.invoke(app, ["validate", "--targets", str(targets), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "calibration targets" in result.stdout and "validation targets" in result.stdout
    assert "calibration: 1 passed, 0 failed, 0 could not run" in result.stdout
    assert "validation: 1 passed, 1 failed, 0 could not run" in result.stdout
    assert json.loads(out.read_text())["roles"]["validation"] == {"targets": 2, "passed": 1, "failed": 1, "errors": 0}
    only = runner.invoke(app, ["validate", "--targets", str(targets), "--json", str(out), "--role", "validation"])
    assert only.exit_code == 0, only.output
    assert [r["id"] for r in json.loads(out.read_text())["results"]] == ["t1", "t2"]
    assert "1 passed, 1 failed, 0 could not run" in only.stdout and "calibration:" not in only.stdout


@pytest.mark.parametrize(
    ("role", "words"), [("validaton", "did you mean 'validation'"), ("validation", "no validation")]
)
def test_validate_a_role_that_is_not_there_exits_2(tmp_path: Path, role: str, words: str) -> None:
    targets = _targets_file(tmp_path, [CMAX])
    out = tmp_path / "v.json"
    result = runner.invoke(app, ["validate", "--targets", str(targets), "--json", str(out), "--role", role])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("error: --role: ") and words in line and "\n" not in line
    assert not out.exists()


def test_calibrate_refuses_validation_targets(tmp_path: Path) -> None:
    targets = _targets_file(tmp_path, [CMAX, CMAX])
    document = yaml.safe_load(targets.read_text())
    document["targets"][1]["role"] = "validation"
    targets.write_text(yaml.safe_dump(document))
    out = tmp_path / "fitted.yaml"
    result = runner.invoke(app, ["calibrate", "--targets", str(targets), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: targets[1].role: validation target 't1' may not be fitted: validation targets check the model out of "
        "sample (give calibrate a file of calibration targets only; run validation targets with `ketasim validate`)"
    ]
    assert not out.exists()


def test_params_unknown_set_exits_2() -> None:
    result = runner.invoke(app, ["params", "--set", "nope"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no parameter set 'nope'")


def test_cite_prints_references_with_doi(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cite", str(_protocol_file(tmp_path))])
    assert result.exit_code == 0
    assert "[kamp2020] Kamp J et al. Anesthesiology 2020 https://doi.org/10.1097/ALN.0000000000003577" in result.stdout


@pytest.mark.parametrize(("arguments", "dask_imported"), [(["simulate", "p.yaml"], False), (["trial", "p.yaml"], True)])
def test_only_dask_commands_let_xarray_import_dask(arguments: list[str], dask_imported: bool) -> None:
    script = (
        "import sys; from ketasim.cli import hide_dask_outside_its_commands as hide; "
        f"hide({arguments!r}); import numpy, xarray; xarray.Variable('x', numpy.zeros(2)); "
        "print('dask.array' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(dask_imported)


def test_the_simulation_leaves_the_writers_modules_to_be_imported_while_it_runs() -> None:
    script = "import sys, ketasim.simulation.run; print(sorted({'xarray', 'plotly', 'h5py'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"  # else `simulate` imports them before its engine starts, not meanwhile


def test_import_meanwhile_imports_on_its_thread_and_leaves_a_failure_to_the_command() -> None:
    script = (
        "import sys; from ketasim.cli import import_meanwhile; "
        "import_meanwhile('no_such_module_here', 'colorsys').join(); print('colorsys' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"  # the failed import neither raised nor stopped the next one
