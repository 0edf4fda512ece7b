"""The explorer's scenarios without a browser: the link reader, the rater-noise choice, kept scenarios, the CSV and
the chain of steps."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import numpy as np
import pytest

from ketasim.errors import InputError
from ketasim.protocol import load_protocol
from ketasim.simulation.run import simulate
from ketasim.vocabulary import SCALES
from ketasim.web.chain import STEPS, step_values
from ketasim.web.form import FormValues, build_protocol, protocol_mapping, values_from_protocol
from ketasim.web.link import MAX_LINK_CHARACTERS, link_query, read_link
from ketasim.web.scenarios import MAX_KEPT, QUANTILES, Scenario, curves_csv, kept_keys, store, stored

SMALL = FormValues(patients=8, duration="2 d", schedule="0 d", comparator="none", therapy="none")


def test_a_link_reads_back_the_values_and_scale_it_was_made_from() -> None:
    values = FormValues(dose="0.3 mg/kg", therapy="emdr", timing="during", rater_noise="off", comparator="midazolam")
    assert read_link(link_query(values, "phq9")) == (values, "phq9")
    assert read_link("?dose=0.4+mg%2Fkg") == (replace(FormValues(), dose="0.4 mg/kg"), None)


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("?patients=ten", r"^population\.size: expected a whole number"),
        ("?dose=5+mg%2Fkg", r"^arms\[0\]\.treatments\[0\]\.dose: .*unsafe"),
        ("?drug=heroin", r"^arms\[0\]\.treatments\[0\]\.drug: unknown drug"),
        ("?timing=before", r"^arms\[0\]\.treatments\[1\]: unknown timing 'before'"),
        ("?rater_noise=maybe", r"^population\.parameters: unknown rater-noise choice"),
        ("?scale=..%2F..%2Fetc%2Fpasswd", r"^link\.scale: unknown rating scale"),
        ("?mapping=%2Fetc%2Fpasswd", r"^link\.mapping: is not a field of the explorer"),
        ("?dose=1+mg&dose=2+mg", r"^link\.dose: is given twice"),
        ("?" + "seed=1&" * 40, r"^link: holds more than"),
        ("?dose=" + "1" * MAX_LINK_CHARACTERS, r"^link: is \d+ characters long"),
        ("?patients=100000", r"^population\.size: .*limit of 5000"),
    ],
)
def test_a_bad_link_is_refused_at_the_field_it_gets_wrong(search: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_link(search)


def test_the_rater_noise_choice_sets_every_scales_noise_to_zero_and_round_trips() -> None:
    mapping = protocol_mapping(replace(FormValues(), rater_noise="off"))
    override = mapping["population"]["parameters"]["override"]
    assert set(override) == {f"{scale}_rater_noise_sd_points" for scale in SCALES}
    assert "parameters" not in protocol_mapping(FormValues())["population"]
    values = replace(FormValues(), rater_noise="off", patients=10)
    protocol, _ = build_protocol(values)
    assert values_from_protocol(protocol) == (values, True)


def test_without_rater_noise_each_patients_score_follows_the_smooth_true_state() -> None:
    def madrs(rater_noise: str) -> np.ndarray:
        protocol, mapping = build_protocol(replace(SMALL, rater_noise=rater_noise))
        hourly = load_protocol({**mapping, "observe": {"every": "1 h"}})
        return np.asarray(simulate(hourly)["madrs"].isel(arm=0).transpose("patient", "time").values)

    noisy, quiet = madrs("on"), madrs("off")
    late = slice(30, None)  # after the first day the true state drifts by well under a point per hour
    assert np.abs(np.diff(quiet[:, late], axis=1)).max() <= 1.0
    assert np.abs(np.diff(noisy[:, late], axis=1)).max() >= 4.0  # a rater's SD of 3 points
    assert np.abs(noisy - quiet).mean() > 1.0  # the same patients, only the rater differs


def _scenario(values: FormValues, peak: float) -> Scenario:
    times = np.array([0.0, 1.0, 2.0])
    curve = np.outer([0.5, 0.8, 1.0, 1.2, 1.5], [0.0, peak, peak / 2])
    madrs = np.outer(np.ones(5), [30.0, 20.0, 25.0])
    curves = {"plasma_ketamine": {"treatment": curve}, "madrs": {"treatment": madrs}}
    return Scenario(values, times, curves, {"plasma_ketamine": "ng/mL", "madrs": "points"})


def test_a_page_keeps_only_keys_the_server_made_and_at_most_three() -> None:
    keys = [store(_scenario(FormValues(), 100.0)) for _ in range(MAX_KEPT + 1)]
    assert kept_keys(keys) == keys[:MAX_KEPT]
    assert kept_keys(["0" * 32, keys[0], "/etc/passwd"]) == [keys[0]]
    assert kept_keys([7, 7, 7, keys[0]]) == []  # only the first three entries are read
    assert kept_keys("not a list") == []
    assert stored(keys[0]) is not None and stored({"run": keys[0]}) is None


def test_the_csv_has_one_row_per_scenario_arm_output_and_time() -> None:
    text = curves_csv([("current", _scenario(FormValues(), 100.0)), ("kept A", _scenario(FormValues(), 50.0))])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 * 2 * 3
    peak = next(
        r for r in rows if r["scenario"] == "kept A" and r["output"] == "plasma_ketamine" and r["time_h"] == "1"
    )
    assert [float(peak[q]) for q in QUANTILES] == [25.0, 40.0, 50.0, 60.0, 75.0]
    assert peak["unit"] == "ng/mL"


def test_the_chain_shows_what_the_run_reached_at_each_step() -> None:
    assert [reached for _, reached in step_values(None)] == [""] * len(STEPS)
    shown = dict(step_values(_scenario(FormValues(), 185.0)))
    assert shown["Dose"] == "0.5 mg/kg ketamine iv, 6 dose(s)"
    assert shown["PK: drug in the blood"] == "peak 185 ng/mL"
    assert shown["Symptoms on the scale"] == "MADRS 30 → lowest 20 points"
    assert shown["NMDA receptors blocked"] == ""  # not simulated in this scenario
