"""The validation runner and its report, on a fake simulation layer with courses known in closed form."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import xarray as xr

from ketasim.errors import ProtocolError, SolverError, UnsupportedError
from ketasim.validation import load_targets, parse_targets, run_targets, write_results_json
from ketasim.validation.report import write_report
from ketasim.validation.runner import Backend, BatchRunner

TIME_H = np.linspace(0.0, 24.0, 24 * 12 + 1)  # every 5 min
SCALES = np.array([0.5, 1.0, 1.5])  # three patients: the median patient is the middle one


def course(time_h: np.ndarray) -> np.ndarray:
    """Plasma course of the fake model: a rise to 100 at 1 h, then a fall with a 2 h half-life."""
    return np.where(time_h <= 1.0, 100.0 * time_h, 100.0 * 2.0 ** (-(time_h - 1.0) / 2.0))


def fake_dataset(arms: tuple[str, ...] = ("ketamine", "saline")) -> xr.Dataset:
    values = np.stack([SCALES[:, None] * course(TIME_H)[None, :] * (k == 0) for k in range(len(arms))])
    return xr.Dataset(
        {"plasma_ketamine": (("arm", "patient", "time"), values, {"units": "ng/mL", "long_name": "plasma ketamine"})},
        coords={"arm": list(arms), "patient": np.arange(SCALES.size), "time": ("time", TIME_H, {"units": "h"})},
    )


class FakeLayer:
    """Counts loads and simulations; protocols named ``broken`` fail to load, ``diverges`` fail to run.

    Endpoints have the value ``endpoint`` (one number, or one per arm); statistics of endpoints are recorded and
    return 12.5 for ``sd`` and 0.2 for a fraction.
    """

    def __init__(self, endpoint: float | dict[str, float] | None = None) -> None:
        self.loaded: list[Any] = []
        self.simulated = 0
        self.groups: list[tuple[str, int, int]] = []
        self.endpoint = endpoint
        self.statistics: list[tuple[str, str, str, float | None, str]] = []

    def load_protocol(self, source: Any, *, base_dir: Path | None = None) -> Any:
        self.loaded.append(source)
        name = source["name"] if isinstance(source, dict) else Path(source).stem
        if name == "broken":
            raise ProtocolError("arms[0].treatments[0].dose", "bare number 5 has no unit", 'write e.g. "0.5 mg/kg"')
        warnings = ["dose above the studied range"] if name == "high" else []
        return SimpleNamespace(name=name, warnings=warnings, population=SimpleNamespace(size=1000))

    def simulate(self, protocol: Any) -> xr.Dataset:
        self.simulated += 1
        if protocol.name == "diverges":
            raise SolverError("non-finite state at 3.2 h")
        return fake_dataset()

    def simulate_sets(self, protocol: Any, overrides: Any, patients: int) -> list[xr.Dataset]:
        self.groups.append((protocol.name, len(overrides), patients))
        return [self.simulate(protocol) for _ in overrides]

    def endpoint_value(self, protocol: Any, dataset: Any, arm: str, endpoint: str) -> float:
        if self.endpoint is None:
            raise UnsupportedError(f"endpoint {endpoint!r}: trial endpoints are not simulated yet")
        return self.endpoint[arm] if isinstance(self.endpoint, dict) else self.endpoint

    def endpoint_statistic(
        self, protocol: Any, dataset: Any, arm: str, endpoint: str, statistic: str, threshold: float | None, **keys: Any
    ) -> float:
        self.statistics.append((arm, endpoint, statistic, threshold, keys["key_path"]))
        return 12.5 if statistic == "sd" else 0.2

    def backend(self) -> Backend:
        return Backend(
            self.load_protocol, self.simulate, self.endpoint_value, self.endpoint_statistic, self.simulate_sets
        )


PROTOCOL = {"ketasim": 1, "name": "single", "duration": "1 d"}


def target(tid: str, measure: dict[str, Any], expected: float, band: list[float], **extra: Any) -> dict[str, Any]:
    entry = {"id": tid, "title": tid, "source": "s", "confidence": "medium", "measure": measure}
    entry.update(expected=expected, band=band)
    entry.update(extra if extra else {"protocol": PROTOCOL})
    return entry


def output(statistic: str, arm: str = "ketamine", **keys: Any) -> dict[str, Any]:
    return {"arm": arm, "output": "plasma_ketamine", "statistic": statistic, **keys}


def run(targets: list[dict[str, Any]], layer: FakeLayer, base_dir: Path | None = None) -> Any:
    data = {"ketasim-targets": 1, "targets": targets}
    return run_targets(parse_targets(data, base_dir=base_dir), backend=layer.backend())


def test_statistics_of_the_median_patient_decide_pass_and_fail() -> None:
    layer = FakeLayer()
    result = run(
        [
            target("cmax", output("max", window=["0 h", "4 h"]), 100, [90, 110]),
            target("tmax", output("time_of_max", window=["0 h", "4 h"]), 1.0, [0.9, 1.1]),
            target("c3h", output("value", at="3 h"), 50, [45, 55]),
            target("too-high", output("value", at="3 h"), 80, [70, 90]),
            target("mean-of-patients", output("max", window=["0 h", "4 h"], across_patients="mean"), 100, [99, 101]),
        ],
        layer,
    )
    simulated = {r.target.id: r.simulated for r in result.results}
    assert simulated["cmax"] == pytest.approx(100.0)
    assert simulated["tmax"] == pytest.approx(1.0)
    assert simulated["c3h"] == pytest.approx(50.0)
    assert [r.passed for r in result.results] == [True, True, True, False, True]
    assert (result.passed, result.failed, result.errors) == (4, 1, 0)


def test_auc_against_the_integral_of_the_fake_course() -> None:
    decay = 2.0 / np.log(2.0)
    exact = 50.0 + 100.0 * decay * (1.0 - 2.0 ** (-11.5))  # rise triangle + exponential tail to 24 h
    result = run(
        [target("auc", output("auc", window=["0 h", "24 h"]), exact, [exact - 1, exact + 1])], layer=FakeLayer()
    )
    assert result.results[0].simulated == pytest.approx(exact, rel=1e-3)
    assert result.results[0].course is not None
    assert result.results[0].course.median[-1] == pytest.approx(result.results[0].simulated)


def test_targets_sharing_a_protocol_simulate_it_once() -> None:
    layer = FakeLayer()
    other = dict(PROTOCOL, name="other")
    targets = [
        target("a", output("max", window=["0 h", "4 h"]), 100, [90, 110]),
        target("b", output("min", window=["0 h", "4 h"]), 0, [-1, 1], protocol=copy.deepcopy(PROTOCOL)),
        target("c", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=other),
    ]
    run(targets, layer)
    assert layer.simulated == 2
    assert len(layer.loaded) == 2


def test_a_batch_loads_each_protocol_once_and_simulates_it_in_groups_of_one_engine_batch() -> None:
    layer = FakeLayer()
    targets = [
        target("a", output("max", window=["0 h", "4 h"]), 100, [90, 110]),
        target("b", output("min", window=["0 h", "4 h"]), 0, [-1, 1], protocol=copy.deepcopy(PROTOCOL)),
        target("c", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=dict(PROTOCOL, name="other")),
        target("d", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=dict(PROTOCOL, name="broken")),
        target("e", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=dict(PROTOCOL, name="diverges")),
    ]
    runner = BatchRunner(
        parse_targets({"ketasim-targets": 1, "targets": targets}), patients=200, backend=layer.backend()
    )
    sets = [{"x": float(k)} for k in range(5)]
    for _ in range(2):
        runs = runner.run(sets)
        assert len(runs) == 5
        for batched in runs:
            assert [r.simulated for r in batched.results[:3]] == pytest.approx([100.0, 0.0, 100.0], abs=1e-9)
            assert "protocol does not load" in (batched.results[3].error or "")
            assert "simulation failed: non-finite state" in (batched.results[4].error or "")
    assert len(layer.loaded) == 4  # once each, for both runs
    # 200 patients fill a batch of 256: two sets per engine call, the five sets in three calls per protocol
    assert sorted(layer.groups) == sorted(
        [(name, n, 200) for name in ("single", "other", "diverges") for n in (2, 1, 2)] * 2
    )


def test_a_protocol_that_does_not_load_is_an_error_of_its_targets_only() -> None:
    layer = FakeLayer()
    broken = dict(PROTOCOL, name="broken")
    result = run(
        [
            target("bad-1", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=broken),
            target("good", output("max", window=["0 h", "4 h"]), 100, [90, 110]),
            target("bad-2", output("min", window=["0 h", "4 h"]), 0, [-1, 1], protocol=broken),
        ],
        layer,
    )
    assert (result.passed, result.failed, result.errors) == (1, 0, 2)
    bad = result.results[0]
    assert bad.error is not None and "arms[0].treatments[0].dose" in bad.error
    assert bad.simulated is None and not bad.passed
    assert result.results[2].error == bad.error
    assert layer.loaded.count(broken) == 1  # not retried for the second target


def test_a_simulation_that_fails_is_an_error() -> None:
    result = run(
        [target("x", output("max", window=["0 h", "4 h"]), 1, [0, 2], protocol=dict(PROTOCOL, name="diverges"))],
        FakeLayer(),
    )
    assert result.errors == 1
    assert "non-finite state" in (result.results[0].error or "")


def test_endpoints_not_simulated_yet_are_errors_and_computed_ones_pass() -> None:
    measure = {"arm": "ketamine", "endpoint": "response_24h"}
    unsupported = run([target("resp", measure, 0.5, [0.4, 0.6])], FakeLayer())
    assert "not simulated yet" in (unsupported.results[0].error or "")
    computed = run([target("resp", measure, 0.5, [0.4, 0.6])], FakeLayer(endpoint=0.45))
    assert computed.results[0].passed and computed.results[0].simulated == pytest.approx(0.45)


def test_an_output_not_simulated_yet() -> None:
    measure = {"arm": "ketamine", "output": "dissociation", "statistic": "max", "window": ["0 h", "4 h"]}
    result = run([target("diss", measure, 10, [5, 15])], FakeLayer())
    assert result.results[0].error == "output 'dissociation' is not simulated yet"


def test_an_unknown_arm_suggests_the_close_one() -> None:
    result = run([target("x", output("max", arm="ketamin", window=["0 h", "4 h"]), 1, [0, 2])], FakeLayer())
    assert "targets[0].measure.arm" in (result.results[0].error or "")
    assert "did you mean 'ketamine'" in (result.results[0].error or "")


def test_a_time_past_the_simulation_names_the_key() -> None:
    result = run([target("late", output("value", at="3 d"), 1, [0, 2])], FakeLayer())
    assert "targets[0].measure.at" in (result.results[0].error or "")


def test_protocol_files_are_loaded_relative_to_the_targets_file(tmp_path: Path) -> None:
    layer = FakeLayer()
    run(
        [target("f", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol_file="protocols/single.yaml")],
        layer,
        base_dir=tmp_path,
    )
    assert layer.loaded == [tmp_path / "protocols" / "single.yaml"]


def test_protocol_warnings_are_collected_once_per_protocol() -> None:
    high = dict(PROTOCOL, name="high")
    result = run(
        [
            target("a", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=high),
            target("b", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=high),
        ],
        FakeLayer(),
    )
    assert result.warnings == ("a: dose above the studied range",)


def test_bugs_are_not_hidden_as_target_errors() -> None:
    layer = FakeLayer()
    backend = Backend(layer.load_protocol, lambda protocol: 1 / 0, layer.endpoint_value, layer.endpoint_statistic)
    data = {"ketasim-targets": 1, "targets": [target("a", output("max", window=["0 h", "4 h"]), 1, [0, 2])]}
    with pytest.raises(ZeroDivisionError):
        run_targets(parse_targets(data), backend=backend)


def test_json_document_has_the_keys_of_the_spec(tmp_path: Path) -> None:
    result = run(
        [
            target("ok", output("max", window=["0 h", "4 h"]), 100, [90, 110]),
            target("err", output("max", window=["0 h", "4 h"]), 100, [90, 110], protocol=dict(PROTOCOL, name="broken")),
        ],
        FakeLayer(),
    )
    path = write_results_json(result, tmp_path / "out" / "validation.json")
    document = json.loads(path.read_text())
    assert set(document) == {"ketasim", "targets_file", "passed", "failed", "errors", "results", "roles"}
    assert (document["passed"], document["failed"], document["errors"]) == (1, 0, 1)
    ok, err = document["results"]
    assert set(ok) == {"id", "simulated", "expected", "band", "passed", "seconds", "role"}
    assert ok["band"] == [90, 110] and ok["passed"] is True and ok["role"] == "calibration"
    assert err["simulated"] is None and "error" in err
    assert document["roles"] == {"calibration": {"targets": 2, "passed": 1, "failed": 0, "errors": 1}}


def test_the_report_is_one_offline_page_with_a_plot_per_target_that_ran(
    tmp_path: Path, assert_offline_page: Any
) -> None:
    result = run(
        [
            target("cmax", output("max", window=["0 h", "4 h"]), 100, [90, 110]),
            target("c3h", output("value", at="3 h"), 80, [70, 90]),
            target("tmax", output("time_of_max", window=["0 h", "4 h"]), 1.0, [0.9, 1.1]),
            target("auc", output("auc", window=["0 h", "8 h"]), 300, [200, 400]),
            target("resp", {"arm": "ketamine", "endpoint": "response_24h"}, 0.5, [0.4, 0.6]),
        ],
        FakeLayer(),
    )
    page = assert_offline_page(write_report(result, tmp_path / "report"))
    assert page.count('class="plotly-graph-div"') == 4  # the endpoint target errored: no plot
    for tid in ("cmax", "c3h", "tmax", "auc", "resp"):
        assert f">{tid} <span" in page
    assert page.count('class="badge pass"') >= 3 and 'class="badge fail"' in page and 'class="badge error"' in page


def test_a_contrast_is_the_arm_minus_its_control() -> None:
    layer = FakeLayer(endpoint={"ketamine": -16.0, "saline": -9.0})
    measure = {"contrast": ["ketamine", "saline"], "endpoint": "change_24h"}
    result = run(
        [
            target("ctr", measure, -7.7, [-12.6, -2.8]),
            target("rev", {**measure, "contrast": ["saline", "ketamine"]}, 7, [5, 9]),
        ],
        layer,
    )
    first, second = result.results
    assert first.simulated == pytest.approx(-7.0) and first.passed
    assert first.arm_values == (-16.0, -9.0)
    assert second.simulated == pytest.approx(7.0)
    assert layer.simulated == 1  # both arms are read off one simulation


@pytest.mark.parametrize(
    ("contrast", "key"), [(["ketamine", "salin"], "contrast[1]"), (["ketamin", "saline"], "contrast[0]")]
)
def test_a_contrast_naming_an_unknown_arm_names_the_key(contrast: list[str], key: str) -> None:
    result = run([target("ctr", {"contrast": contrast, "endpoint": "e"}, 0, [-1, 1])], FakeLayer(endpoint=1.0))
    error = result.results[0].error or ""
    assert f"targets[0].measure.{key}" in error and "did you mean" in error


def test_endpoint_statistics_reach_the_simulation_layer_with_their_key_path() -> None:
    layer = FakeLayer()
    result = run(
        [
            target("sd", {"arm": "ketamine", "endpoint": "change_d28", "statistic": "sd"}, 13.5, [12, 15]),
            target(
                "worse",
                {"arm": "saline", "endpoint": "change_d7", "statistic": "fraction_above", "threshold": 0},
                0.07,
                [0.02, 0.15],
            ),
        ],
        layer,
    )
    assert [r.simulated for r in result.results] == [12.5, 0.2]
    assert [r.passed for r in result.results] == [True, False]
    assert layer.statistics == [
        ("ketamine", "change_d28", "sd", None, "targets[0].measure"),
        ("saline", "change_d7", "fraction_above", 0.0, "targets[1].measure"),
    ]


def test_results_and_counts_by_role(tmp_path: Path) -> None:
    cmax = output("max", window=["0 h", "4 h"])
    result = run(
        [
            target("fit", cmax, 100, [90, 110]),
            target("check", cmax, 100, [90, 110], role="validation", protocol=PROTOCOL),
            target("miss", cmax, 50, [40, 60], role="validation", protocol=PROTOCOL),
        ],
        FakeLayer(),
    )
    assert result.roles() == ("calibration", "validation")
    assert [r.target.id for r in result.of_role("validation").results] == ["check", "miss"]
    document = json.loads(write_results_json(result, tmp_path / "v.json").read_text())
    assert [r["role"] for r in document["results"]] == ["calibration", "validation", "validation"]
    assert document["roles"]["validation"] == {"targets": 2, "passed": 1, "failed": 1, "errors": 0}
    page = write_report(result, tmp_path / "report").read_text()
    assert page.index("Calibration targets") < page.index(">fit <") < page.index("Validation targets")
    assert page.index("Validation targets") < page.index(">check <")


def test_the_report_shows_a_contrast_as_a_difference(tmp_path: Path) -> None:
    measure = {"contrast": ["ketamine", "saline"], "endpoint": "change_24h"}
    result = run([target("ctr", measure, -7.7, [-12.6, -2.8])], FakeLayer(endpoint={"ketamine": -16.0, "saline": -9.0}))
    page = write_report(result, tmp_path / "report").read_text()
    assert "ketamine - saline: change_24h" in page
    assert "difference <strong>-7</strong> (ketamine -16 minus saline -9)" in page


def test_the_calibration_file_runs_with_one_simulation_per_protocol() -> None:
    layer = FakeLayer()
    loaded = load_targets(Path(__file__).resolve().parents[2] / "data" / "calibration-targets.yaml")
    result = run_targets(loaded, backend=layer.backend())
    assert len(result.results) == len(loaded.targets)
    assert layer.simulated == len({t.protocol_key() for t in loaded.targets})
