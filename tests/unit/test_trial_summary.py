"""summary.json (spec/cli.md) and the per-patient table, from a synthetic three-arm trial."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ketasim.analysis.summary import analyse, patient_table, summary_dict
from ketasim.protocol import load_protocol
from ketasim.trial.files import write_patients, write_summary

ARMS = ("ketamine", "midazolam", "saline")
PATIENTS = 40
TIME_H = np.arange(15) * 24.0
ENDPOINTS = [
    {"name": "response_24h", "kind": "response", "scale": "madrs", "at": "24 h"},
    {"name": "remission_d7", "kind": "remission", "scale": "madrs", "at": "7 d"},
    {"name": "change_d7", "kind": "mean_change", "scale": "madrs", "at": "7 d"},
    {"name": "percent_d7", "kind": "percent_change", "scale": "madrs", "at": "7 d"},
    {"name": "response_time", "kind": "time_to_response", "scale": "madrs"},
    {"name": "relapse", "kind": "time_to_relapse", "scale": "madrs", "after": "1 d"},
    {"name": "plasticity_d2", "kind": "value", "output": "plasticity_window", "at": "2 d"},
]


def make_protocol() -> Any:
    treatment = {"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}
    return load_protocol(
        {
            "ketasim": 1,
            "name": "summary test",
            "seed": 11,
            "duration": "14 d",
            "population": {"size": PATIENTS},
            "arms": [{"name": arm, "treatments": [treatment]} for arm in ARMS],
            "observe": {"every": "1 d"},
            "endpoints": ENDPOINTS,
        }
    )


def make_dataset(seed: int = 0) -> xr.Dataset:
    """MADRS falling by an arm-specific depth after day 0 and recovering over days, with noise."""
    rng = np.random.default_rng(seed)
    baseline = rng.normal(32, 4, (len(ARMS), PATIENTS, 1))
    depth = np.array([0.6, 0.35, 0.15])[:, None, None] * rng.uniform(0.5, 1.5, (len(ARMS), PATIENTS, 1))
    days = TIME_H / 24.0
    shape = np.where(days > 0, np.exp(-(days - 1) / 6.0), 0.0)
    madrs = np.clip(
        np.rint(baseline * (1 - depth * shape) + rng.normal(0, 1.5, (len(ARMS), PATIENTS, TIME_H.size))), 0, 60
    )
    madrs[:, :, 0] = np.rint(baseline[:, :, 0])
    window = 1 + np.array([0.8, 0.1, 0.0])[:, None, None] * np.exp(-days / 4.0) + rng.normal(0, 0.05, madrs.shape)
    dims = ("arm", "patient", "time")
    return xr.Dataset(
        {
            "madrs": (dims, madrs, {"units": "points", "long_name": "MADRS"}),
            "plasticity_window": (dims, window, {"units": "ratio", "long_name": "plasticity window"}),
            "weight_kg": (("arm", "patient"), rng.normal(75, 10, (len(ARMS), PATIENTS))),
            "female": (("arm", "patient"), rng.random((len(ARMS), PATIENTS)) < 0.6),
        },
        coords={"arm": list(ARMS), "patient": np.arange(PATIENTS), "time": TIME_H},
        attrs={"seed": 11},
    )


def _interval(value: Any) -> None:
    assert isinstance(value, list) and len(value) == 2
    assert all(v is None or isinstance(v, float) for v in value)


def test_summary_json_has_the_spec_schema(tmp_path: Path) -> None:
    protocol, dataset = make_protocol(), make_dataset()
    summary = summary_dict(analyse(protocol, dataset), seconds=1.25)
    written = json.loads(write_summary(summary, tmp_path / "summary.json").read_text())
    assert written == summary
    assert list(written) == [
        "ketasim", "protocol", "seed", "patients_per_arm", "failed_patients", "arms", "comparisons", "seconds"
    ]  # fmt: skip
    assert written["protocol"] == "summary test" and written["seed"] == 11
    assert written["patients_per_arm"] == PATIENTS and written["failed_patients"] == 0
    assert written["seconds"] == 1.25
    assert list(written["arms"]) == list(ARMS)
    for arm in ARMS:
        endpoints = written["arms"][arm]["endpoints"]
        assert list(endpoints) == [e["name"] for e in ENDPOINTS]
        for name, entry in endpoints.items():
            _interval(entry["ci95"])
            if entry["kind"].startswith("time_to_"):
                assert set(entry) == {"kind", "scale", "value_days", "ci95", "n_at_risk", "events"}
                assert entry["events"] <= entry["n_at_risk"] <= PATIENTS
            elif entry["kind"] == "value":
                assert set(entry) == {"kind", "output", "value", "ci95", "n"}
            else:
                assert set(entry) == {"kind", "scale", "value", "ci95", "n"}, name
                assert entry["n"] == PATIENTS
        for kind_name in ("response_24h", "remission_d7"):
            assert 0.0 <= endpoints[kind_name]["value"] <= 1.0  # rates are fractions
    pairs = [tuple(c["arms"]) for c in written["comparisons"] if c["endpoint"] == "response_24h"]
    assert pairs == [("ketamine", "midazolam"), ("ketamine", "saline"), ("midazolam", "saline")]
    assert len(written["comparisons"]) == 3 * len(ENDPOINTS)
    for comparison in written["comparisons"]:
        assert set(comparison) == {"endpoint", "arms", "difference", "ci95", "effect_size_g"}
        _interval(comparison["ci95"])


def test_numbers_are_consistent_and_the_trial_separates_arms() -> None:
    summary = summary_dict(analyse(make_protocol(), make_dataset()), seconds=0.0)
    ketamine, saline = (summary["arms"][a]["endpoints"] for a in ("ketamine", "saline"))
    comparison = next(c for c in summary["comparisons"] if c["endpoint"] == "response_24h" and c["arms"][1] == "saline")
    assert comparison["difference"] == pytest.approx(
        ketamine["response_24h"]["value"] - saline["response_24h"]["value"]
    )
    low, high = comparison["ci95"]
    assert low < comparison["difference"] < high and low > 0  # ketamine responds far more often
    assert comparison["effect_size_g"] > 0.8
    change = next(c for c in summary["comparisons"] if c["endpoint"] == "change_d7" and c["arms"][1] == "saline")
    assert change["difference"] < 0 and change["effect_size_g"] < 0  # ketamine lowers MADRS more
    for entry in ketamine.values():
        value = entry.get("value", entry.get("value_days"))
        low, high = entry["ci95"]
        if value is not None and low is not None and high is not None:
            assert low <= value <= high


def test_same_inputs_give_identical_numbers_and_no_nan(tmp_path: Path) -> None:
    first = summary_dict(analyse(make_protocol(), make_dataset()), seconds=0.0)
    second = summary_dict(analyse(make_protocol(), make_dataset()), seconds=0.0)
    assert first == second  # bootstraps are seeded
    other = summary_dict(analyse(make_protocol(), make_dataset(), seed=12), seconds=0.0)
    bootstrapped = [c["ci95"] for c in first["comparisons"] if c["endpoint"] == "plasticity_d2"]
    assert bootstrapped != [c["ci95"] for c in other["comparisons"] if c["endpoint"] == "plasticity_d2"]
    text = write_summary(first, tmp_path / "s.json").read_text()
    assert "NaN" not in text and "Infinity" not in text


def test_failed_patients_are_counted_and_flagged(tmp_path: Path) -> None:
    dataset = make_dataset()
    dataset["plasticity_window"][1, 3, 5] = np.nan
    analysis = analyse(make_protocol(), dataset)
    summary = summary_dict(analysis, seconds=0.0)
    assert summary["failed_patients"] == 1
    assert summary["arms"]["midazolam"]["endpoints"]["response_24h"]["n"] == PATIENTS - 1
    table = patient_table(analysis.values, analysis.failed, dataset)
    assert table["failed"].sum() == 1
    row = table[(table["arm"] == "midazolam") & (table["patient"] == 3)].iloc[0]
    assert bool(row["failed"]) and row["response_24h"] is pd.NA and math.isnan(row["change_d7"])


def test_patient_table_has_one_row_per_patient_with_covariates_and_endpoints(tmp_path: Path) -> None:
    dataset = make_dataset()
    analysis = analyse(make_protocol(), dataset)
    table = pd.read_parquet(
        write_patients(patient_table(analysis.values, analysis.failed, dataset), tmp_path / "patients.parquet")
    )
    assert len(table) == len(ARMS) * PATIENTS
    assert list(table.columns[:5]) == ["arm", "patient", "failed", "weight_kg", "female"]
    for endpoint in ENDPOINTS:
        assert endpoint["name"] in table.columns
    assert {"response_time_event", "relapse_event"} <= set(table.columns)
    assert str(table["response_24h"].dtype) == "boolean"
    ketamine = table[table["arm"] == "ketamine"]
    responders = ketamine["response_24h"].astype(bool)
    assert responders.mean() == pytest.approx(analysis.estimates["ketamine"]["response_24h"].value)
    np.testing.assert_allclose(ketamine["weight_kg"], dataset["weight_kg"].sel(arm="ketamine"))
    not_at_risk = ~ketamine["relapse_event"].notna()
    assert ketamine.loc[not_at_risk, "relapse"].isna().all()


def test_values_read_back_from_the_patient_table_give_the_same_summary(tmp_path: Path) -> None:
    from ketasim.analysis.summary import analyse_values, values_from_table

    protocol, dataset = make_protocol(), make_dataset()
    analysis = analyse(protocol, dataset)
    table = pd.read_parquet(
        write_patients(patient_table(analysis.values, analysis.failed, dataset), tmp_path / "p.parquet")
    )
    values, failed = values_from_table(protocol, table, analysis.arms)
    again = analyse_values(protocol, analysis.arms, values, failed, analysis.seed)
    assert summary_dict(again, seconds=0.0) == summary_dict(analysis, seconds=0.0)
