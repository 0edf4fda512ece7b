"""Trial endpoints per patient, on small synthetic datasets whose answers are worked out by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xarray as xr

from ketasim.analysis.endpoints import (
    REMISSION_CUTOFFS,
    arm_values,
    cutoff_references,
    endpoint_values,
    failed_patients,
    meets_response,
    response_threshold_percent,
)
from ketasim.analysis.summary import endpoint_statistic, endpoint_value
from ketasim.errors import KetasimError, TargetsError, UnsupportedError
from ketasim.protocol import load_protocol
from ketasim.vocabulary import SCALE_RANGES

TIME_H = np.array([0.0, 24.0, 48.0, 72.0, 96.0])
# MADRS of four ketamine patients at 0, 1, 2, 3 and 4 days (see each test for the hand-worked answers).
KETAMINE_MADRS = np.array(
    [
        [30, 14, 16, 20, 28],  # responds at day 1, relapses at day 2
        [40, 30, 20, 10, 8],  # responds at day 2 (exactly 50 %), remits at day 4
        [20, 5, 4, 6, 5],  # responds and remits at day 1, never relapses
        [30, 29, 28, 27, 26],  # never responds
    ],
    dtype=float,
)
SALINE_MADRS = np.array([[30, 28, 27, 29, 30]] * 4, dtype=float)
ENDPOINTS = [
    {"name": "response_24h", "kind": "response", "scale": "madrs", "at": "24 h"},
    {"name": "remission_24h", "kind": "remission", "scale": "madrs", "at": "24 h"},
    {"name": "remission_14", "kind": "remission", "scale": "madrs", "at": "24 h", "threshold": 14},
    {"name": "change_24h", "kind": "mean_change", "scale": "madrs", "at": "24 h"},
    {"name": "percent_24h", "kind": "percent_change", "scale": "madrs", "at": "24 h"},
    {"name": "response_time", "kind": "time_to_response", "scale": "madrs"},
    {"name": "relapse", "kind": "time_to_relapse", "scale": "madrs", "after": "24 h"},
    {"name": "level_24h", "kind": "value", "output": "plasma_ketamine", "at": "24 h"},
    {"name": "ptsd_response", "kind": "response", "scale": "caps5", "at": "24 h"},
]


def make_protocol(endpoints: list[dict[str, Any]] | None = None) -> Any:
    return load_protocol(
        {
            "ketasim": 1,
            "name": "endpoint test",
            "duration": "4 d",
            "population": {"size": 4},
            "arms": [
                {
                    "name": "ketamine",
                    "treatments": [
                        {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
                    ],
                },
                {
                    "name": "saline",
                    "treatments": [{"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}],
                },
            ],
            "observe": {"every": "1 d"},
            "endpoints": ENDPOINTS if endpoints is None else endpoints,
        }
    )


def make_dataset() -> xr.Dataset:
    madrs = np.stack([KETAMINE_MADRS, SALINE_MADRS])
    caps5 = np.stack([np.tile([40.0, 26.0, 30.0, 35.0, 38.0], (4, 1)), np.tile([40.0, 38.0, 38.0, 38.0, 38.0], (4, 1))])
    level = np.stack([np.outer([1.0, 2.0, 3.0, 4.0], [0, 10, 5, 2, 1]), np.zeros((4, 5))])
    dims = ("arm", "patient", "time")
    return xr.Dataset(
        {
            "madrs": (dims, madrs, {"units": "points"}),
            "caps5": (dims, caps5, {"units": "points"}),
            "plasma_ketamine": (dims, level, {"units": "ng/mL"}),
            "weight_kg": (("arm", "patient"), np.full((2, 4), 70.0)),
        },
        coords={"arm": ["ketamine", "saline"], "patient": np.arange(4), "time": TIME_H},
        attrs={"seed": 3},
    )


def values_of(name: str, dataset: xr.Dataset | None = None, arm: str = "ketamine") -> Any:
    protocol = make_protocol()
    endpoint = next(e for e in protocol.endpoints if e.name == name)
    return arm_values(make_dataset() if dataset is None else dataset, arm, endpoint)


def test_response_and_remission_per_patient() -> None:
    np.testing.assert_array_equal(values_of("response_24h").values, [1, 0, 1, 0])
    np.testing.assert_array_equal(values_of("remission_24h").values, [0, 0, 1, 0])  # MADRS 9 or less
    np.testing.assert_array_equal(values_of("remission_14").values, [1, 0, 1, 0])  # at or under the threshold


def test_changes_in_points_and_percent() -> None:
    np.testing.assert_allclose(values_of("change_24h").values, [-16, -10, -15, -1])
    np.testing.assert_allclose(values_of("percent_24h").values, [-160 / 3, -25, -75, -10 / 3])


def test_time_to_response_in_days_censored_at_the_end() -> None:
    result = values_of("response_time")
    np.testing.assert_allclose(result.values, [1, 2, 1, 4])
    np.testing.assert_array_equal(result.events, [True, True, True, False])
    assert result.n == 4


def test_time_to_relapse_among_responders_only() -> None:
    result = values_of("relapse")
    np.testing.assert_array_equal(result.included, [True, False, True, False])
    np.testing.assert_allclose(result.values[[0, 2]], [1, 3])  # relapse at day 2; censored 3 days after day 1
    np.testing.assert_array_equal(result.events[[0, 2]], [True, False])
    assert np.isnan(result.values[1]) and result.n == 2


def test_value_of_an_output_at_a_time() -> None:
    np.testing.assert_allclose(values_of("level_24h").values, [10, 20, 30, 40])


def test_ptsd_scales_default_to_a_30_percent_drop() -> None:
    # CAPS-5 40 -> 26 is a 35 % drop: a response on a PTSD scale, not at the 50 % default of other scales.
    np.testing.assert_array_equal(values_of("ptsd_response").values, [1, 1, 1, 1])
    protocol = make_protocol()
    by_name = {e.name: e for e in protocol.endpoints}
    assert response_threshold_percent(by_name["ptsd_response"]) == 30.0
    assert response_threshold_percent(by_name["response_24h"]) == 50.0


def test_response_criterion_edges() -> None:
    baseline = np.array([30.0, 30.0, 0.0, 33.0])
    score = np.array([15.0, 15.1, 0.0, 16.5])
    np.testing.assert_array_equal(meets_response(baseline, score, 50.0), [True, False, False, True])


def test_failed_patients_are_flagged_and_left_out() -> None:
    dataset = make_dataset()
    dataset["plasma_ketamine"][0, 1, 3] = np.nan
    failed = failed_patients(dataset)
    np.testing.assert_array_equal(failed, [[False, True, False, False], [False] * 4])
    result = values_of("response_24h", dataset)
    np.testing.assert_array_equal(result.included, [True, False, True, True])
    assert result.n == 3 and np.isnan(result.values[1])


def test_percent_change_undefined_for_a_zero_baseline() -> None:
    protocol = make_protocol()
    endpoint = next(e for e in protocol.endpoints if e.name == "percent_24h")
    result = endpoint_values(endpoint, TIME_H, np.array([[0.0, 0, 0, 0, 0], [10, 5, 5, 5, 5]]), np.zeros(2, bool))
    np.testing.assert_array_equal(result.included, [False, True])
    assert result.values[1] == pytest.approx(-50.0)


def test_every_scale_has_a_cited_remission_cutoff_inside_its_range() -> None:
    assert set(REMISSION_CUTOFFS) == set(SCALE_RANGES)
    for scale, cutoff in REMISSION_CUTOFFS.items():
        low, high = SCALE_RANGES[scale]
        assert low < cutoff.score < high
        assert cutoff.reference.citation and cutoff.confidence in ("high", "medium", "low")
    protocol = make_protocol()
    keys = [r.key for r in cutoff_references(protocol.endpoints)]
    assert keys == [REMISSION_CUTOFFS["madrs"].reference.key]  # the thresholded remission cites nothing


def test_endpoint_value_for_validation_targets() -> None:
    protocol, dataset = make_protocol(), make_dataset()
    assert endpoint_value(protocol, dataset, "ketamine", "response_24h") == pytest.approx(0.5)
    assert endpoint_value(protocol, dataset, "saline", "change_24h") == pytest.approx(-2.0)
    assert endpoint_value(protocol, dataset, "ketamine", "response_time") == pytest.approx(1.0)  # KM median, days
    assert endpoint_value(protocol, dataset, "ketamine", "level_24h") == pytest.approx(25.0)
    with pytest.raises(KetasimError, match="did you mean 'response_24h'"):
        endpoint_value(protocol, dataset, "ketamine", "response_24")
    with pytest.raises(KetasimError, match="not reached"):
        endpoint_value(protocol, dataset, "saline", "response_time")
    failed = make_dataset()
    failed["madrs"][0, 0, 2] = np.inf
    with pytest.raises(KetasimError, match="failed"):
        endpoint_value(protocol, failed, "ketamine", "response_24h")


def test_endpoint_statistics_across_patients() -> None:
    protocol, dataset = make_protocol(), make_dataset()
    # ketamine MADRS changes at 24 h: -16, -10, -15, -1 (mean -10.5, squared deviations sum to 141)
    assert endpoint_statistic(protocol, dataset, "ketamine", "change_24h", "sd") == pytest.approx(np.sqrt(141 / 3))
    assert endpoint_statistic(protocol, dataset, "saline", "change_24h", "sd") == pytest.approx(0.0)
    assert endpoint_statistic(protocol, dataset, "ketamine", "change_24h", "fraction_above", -5) == 0.25
    assert endpoint_statistic(protocol, dataset, "ketamine", "change_24h", "fraction_below", -10) == 0.5  # strict
    # percent changes -53.3, -25, -75, -3.3
    assert endpoint_statistic(protocol, dataset, "ketamine", "percent_24h", "fraction_below", -50) == 0.5
    # plasma levels at 24 h: 10, 20, 30, 40
    assert endpoint_statistic(protocol, dataset, "ketamine", "level_24h", "sd") == pytest.approx(
        np.std([10, 20, 30, 40], ddof=1)
    )


@pytest.mark.parametrize("name", ["response_24h", "remission_24h", "response_time", "relapse"])
def test_endpoint_statistics_need_one_number_per_patient(name: str) -> None:
    with pytest.raises(TargetsError, match="needs one number per patient") as info:
        endpoint_statistic(make_protocol(), make_dataset(), "ketamine", name, "sd", key_path="targets[2].measure")
    assert info.value.key_path == "targets[2].measure.statistic"
    assert "mean_change, percent_change, value" in info.value.fix


def test_endpoint_statistics_refuse_failed_patients_and_a_single_patient() -> None:
    failed = make_dataset()
    failed["madrs"][0, 0, 2] = np.inf
    with pytest.raises(KetasimError, match="failed"):
        endpoint_statistic(make_protocol(), failed, "ketamine", "change_24h", "sd")
    one = make_dataset().isel(patient=[0])
    with pytest.raises(KetasimError, match="at least 2 patients"):
        endpoint_statistic(make_protocol(), one, "ketamine", "change_24h", "sd")


def test_a_scale_the_simulation_lacks_is_unsupported() -> None:
    with pytest.raises(UnsupportedError, match="madrs"):
        values_of("response_24h", make_dataset().drop_vars("madrs"))
