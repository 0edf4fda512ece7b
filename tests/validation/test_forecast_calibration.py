"""Honesty check of `ketasim forecast` (issue 7): simulation-based calibration over simulated patients.

Patients are drawn from the population model (treatment-resistant depression, six 0.5 mg/kg ketamine infusions
over 40 min in the first 11 days) and simulated by the engine with rater noise. Each patient's history holds the
infusions and the MADRS scores at baseline, day 1 and weekly to day 28; the scores of weeks 5 to 12 are held
back. The forecast is made from the history and the patient's covariates only, and the 5-95 % band at each
held-back week is checked against the score the simulated rater recorded. A calibrated forecast covers about
90 % (85-95 % is required over at least 200 patients). Runtime and sampler diagnostics are reported, not
asserted (wall-clock time depends on the machine).

Run with ``pytest -m slow tests/validation/test_forecast_calibration.py -s``; ``KETASIM_SBC_PATIENTS`` changes
the number of patients and ``KETASIM_SBC_OUT`` names a JSON file for the results (docs/forecast.md).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ketasim.inference.forecast import forecast
from ketasim.inference.samplers import SamplerSettings
from ketasim.protocol import load_protocol
from ketasim.protocol.history import PatientFacts, build_history
from ketasim.simulation.run import simulate

DOSE_DAYS = (0, 2, 4, 7, 9, 11)
HISTORY_DAYS = (0, 1, 7, 14, 21, 28)
HELD_BACK_DAYS = (35, 42, 49, 56, 63, 70, 77, 84)
INFUSION = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min"}
FACTS = {
    "weight_kg": "weight",
    "age_years": "age",
    "female": "female",
    "cyp2b6_slow": "cyp2b6_slow",
    "childhood_neglect": "childhood_neglect",
    "failed_treatments": "failed_treatments",
    "chronic_stress": "chronic_stress",
}


def simulated_patients(count: int, seed: int) -> Any:
    """Engine time courses (MADRS with rater noise) and covariates of ``count`` patients of the population."""
    protocol = load_protocol(
        {
            "ketasim": 1,
            "name": "forecast calibration",
            "duration": f"{HELD_BACK_DAYS[-1]} d",
            "seed": seed,
            "population": {"size": count, "condition": "trd", "variability": True},
            "arms": [{"name": "ketamine", "treatments": [{**INFUSION, "at": [f"{d} d" for d in DOSE_DAYS]}]}],
            "observe": {"every": [f"{d} d" for d in HISTORY_DAYS + HELD_BACK_DAYS], "outputs": ["madrs"]},
        }
    )
    return simulate(protocol).isel(arm=0)


def patient_history(index: int, madrs: np.ndarray) -> Any:
    """The visible history of one simulated patient: the infusions and the first four weeks of scores."""
    events = [(24.0 * d, 1, "dose", None) for d in DOSE_DAYS]
    events += [(24.0 * d, 0, "score", float(madrs[k])) for k, d in enumerate(HISTORY_DAYS)]
    records = []
    for number, (time_h, _, kind, value) in enumerate(sorted(events), start=1):
        cells: dict[str, Any] = {"time": f"{time_h:g} h", "event": kind}
        cells.update(INFUSION if kind == "dose" else {"scale": "madrs", "value": value})
        records.append((number, None, cells))
    return build_history(f"sim{index:04d}", records)


@pytest.mark.slow
def test_forecast_band_covers_held_back_scores(tmp_path: Path) -> None:
    count = int(os.environ.get("KETASIM_SBC_PATIENTS", "200"))
    dataset = simulated_patients(count, seed=2024)
    madrs = np.asarray(dataset["madrs"].values)
    covered = np.zeros((count, len(HELD_BACK_DAYS)), dtype=bool)
    seconds, r_hats, ess, widths = [], [], [], []
    for i in range(count):
        facts = PatientFacts("trd", {key: float(dataset[name].values[i]) for name, key in FACTS.items()})
        started = time.perf_counter()
        result = forecast(
            patient_history(i, madrs[i]),
            facts,
            24.0 * HELD_BACK_DAYS[-1],
            settings=SamplerSettings(seed=i),
        )
        seconds.append(time.perf_counter() - started)
        r_hats.append(result.diagnostics.r_hat_max)
        ess.append(result.diagnostics.ess_min)
        at = [int(np.argmin(np.abs(result.band_times_h - 24.0 * d))) for d in HELD_BACK_DAYS]
        held_back = madrs[i, len(HISTORY_DAYS) :]
        covered[i] = (held_back >= result.band_low[at]) & (held_back <= result.band_high[at])
        widths.append(float(np.mean(result.band_high[at] - result.band_low[at])))
    summary = {
        "patients": count,
        "held_back_scores": int(covered.size),
        "coverage_90": float(covered.mean()),
        "coverage_by_day": {str(d): float(covered[:, k].mean()) for k, d in enumerate(HELD_BACK_DAYS)},
        "band_width_mean_points": float(np.mean(widths)),
        "seconds_median": float(np.median(seconds)),
        "seconds_p95": float(np.percentile(seconds, 95)),
        "seconds_max": float(np.max(seconds)),
        "seconds_first": float(seconds[0]),
        "r_hat_max": float(np.max(r_hats)),
        "r_hat_share_under_1_05": float(np.mean(np.asarray(r_hats) < 1.05)),
        "ess_min": float(np.min(ess)),
        "ess_median": float(np.median(ess)),
    }
    out = Path(os.environ.get("KETASIM_SBC_OUT", str(tmp_path / "forecast_calibration.json")))
    out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))
    assert 0.85 <= summary["coverage_90"] <= 0.95, summary
    assert summary["r_hat_share_under_1_05"] >= 0.95, summary
