"""The explorer's form and helpers without a browser: protocol mappings, round trips, limits and time axes.

These need ``dash`` (the web package imports it) but no browser; no simulation is run.
"""

from __future__ import annotations

import base64
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ketasim.errors import InputError, ProtocolError
from ketasim.protocol import arm_events, load_protocol
from ketasim.web.callbacks import read_uploaded, relayout_range, window_range
from ketasim.web.form import (
    COMPARATORS,
    MAX_PATIENTS_PER_RUN,
    FormValues,
    build_protocol,
    field_label,
    protocol_mapping,
    split_times,
    values_from_protocol,
)
from ketasim.web.grid import observation_hours
from ketasim.web.limits import MAX_UPLOAD_BYTES, RunGuard, RunStoppedError
from ketasim.web.results import KeptRun, checked_protocol, fc_figure_of, kept_run, remember, symptoms_figure_of
from ketasim.web.scenarios import Scenario


@pytest.mark.parametrize("comparator", list(COMPARATORS))
def test_every_comparator_round_trips_through_the_form(comparator: str) -> None:
    values = FormValues(comparator=comparator, patients=10)
    protocol, _ = build_protocol(values)
    again, complete = values_from_protocol(protocol)
    assert complete
    assert again == values


def test_comparator_without_its_own_doses_gets_the_treatment_arms_sessions() -> None:
    protocol, mapping = build_protocol(FormValues(comparator="escitalopram", therapy="emdr", delay="48 h"))
    treatment, comparator = arm_events(protocol, 0), arm_events(protocol, 1)
    assert [s.start_h for s in comparator.sessions] == [s.start_h for s in treatment.sessions]
    assert [s.start_h for s in treatment.sessions] == [d.time_h + 48.0 for d in treatment.doses]
    assert {d.drug for d in comparator.doses} == {"escitalopram"}
    assert mapping["arms"][1]["treatments"][0]["until"] == "28 d"


def test_placebo_comparator_follows_route_and_infusion() -> None:
    mapping = protocol_mapping(FormValues(route="sc", infusion="20 min", comparator="placebo"))
    placebo = mapping["arms"][1]["treatments"][0]
    assert placebo == {"drug": "placebo", "route": "sc", "infusion": "20 min", "at": split_times(FormValues().schedule)}


def test_extravascular_route_drops_the_infusion() -> None:
    mapping = protocol_mapping(FormValues(route="sublingual", dose="50 mg", infusion="40 min", comparator="none"))
    assert "infusion" not in mapping["arms"][0]["treatments"][0]
    protocol, _ = build_protocol(FormValues(route="sublingual", dose="50 mg", comparator="none"))
    assert all(d.infusion_h == 0 for d in arm_events(protocol, 0).doses)


def test_bad_dose_is_the_loaders_error_with_its_key_path() -> None:
    values = FormValues(dose="5 mg/kg")
    with pytest.raises(ProtocolError) as from_form:
        build_protocol(values)
    with pytest.raises(ProtocolError) as from_loader:
        load_protocol(protocol_mapping(values))
    assert str(from_form.value) == str(from_loader.value)
    assert str(from_form.value).startswith("arms[0].treatments[0].dose:")


@pytest.mark.parametrize(
    ("patients", "comparator"), [(MAX_PATIENTS_PER_RUN, "placebo"), (MAX_PATIENTS_PER_RUN + 1, "none")]
)
def test_population_over_the_cap_is_refused_with_what_fits(patients: int, comparator: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        build_protocol(FormValues(patients=patients, comparator=comparator))
    arms = 1 if comparator == "none" else 2
    assert str(refused.value).startswith("population.size:")
    assert f"at most {MAX_PATIENTS_PER_RUN // arms} per arm" in str(refused.value)


def test_population_at_the_cap_is_accepted() -> None:
    protocol, _ = build_protocol(FormValues(patients=MAX_PATIENTS_PER_RUN // 2, comparator="placebo"))
    assert protocol.population.size * len(protocol.arms) == MAX_PATIENTS_PER_RUN


@pytest.mark.parametrize("raw", [None, "", "ten", 2.5])
def test_patients_must_be_a_whole_number(raw: object) -> None:
    inputs = {**FormValues().as_dict(), "patients": raw}
    with pytest.raises(ProtocolError, match=r"^population\.size:"):
        FormValues.from_inputs(inputs)


def test_a_file_the_form_cannot_hold_is_reported_as_partial() -> None:
    mapping = protocol_mapping(FormValues())
    mapping["population"]["covariates"] = {"weight": "70 kg"}
    values, complete = values_from_protocol(load_protocol(mapping))
    assert not complete
    assert values.dose == FormValues().dose


def test_an_every_schedule_is_shown_as_its_dose_times() -> None:
    mapping = protocol_mapping(FormValues(comparator="none"))
    item = mapping["arms"][0]["treatments"][0]
    del item["at"]
    item.update({"every": "3.5 d", "count": 4})
    values, complete = values_from_protocol(load_protocol(mapping))
    assert values.schedule == "0 d, 84 h, 7 d, 252 h"
    assert complete  # the same doses, written as times


def test_upload_reads_yaml_json_and_refuses_other_suffixes() -> None:
    yaml_text = "ketasim: 1\nname: x\n"
    encoded = "data:application/x-yaml;base64," + base64.b64encode(yaml_text.encode()).decode()
    assert read_uploaded(encoded, "protocol.yaml") == {"ketasim": 1, "name": "x"}
    json_encoded = "data:application/json;base64," + base64.b64encode(b'{"ketasim": 1}').decode()
    assert read_uploaded(json_encoded, "p.json") == {"ketasim": 1}
    with pytest.raises(ProtocolError, match="cannot tell the format of notes.txt"):
        read_uploaded(encoded, "notes.txt")
    broken = "data:;base64," + base64.b64encode(b"ketasim: [1\n").decode()
    with pytest.raises(ProtocolError, match="malformed YAML"):
        read_uploaded(broken, "p.yaml")


def test_observation_grid_is_fine_after_each_dose_and_bounded() -> None:
    protocol, _ = build_protocol(FormValues(comparator="none"))
    hours = observation_hours(protocol)
    assert hours[0] == 0.0 and hours[-1] == protocol.duration_h
    for dose in arm_events(protocol, 0).doses:
        after = hours[(hours >= dose.time_h) & (hours < dose.time_h + 1.0)]
        assert after.size >= 6  # 10-minute samples over the first hour
    many = replace(FormValues(comparator="none"), schedule=", ".join(f"{d} d" for d in range(84)), duration="12 w")
    long_course, _ = build_protocol(many)
    assert observation_hours(long_course).size < 1500


def test_time_window_and_zoom_ranges() -> None:
    assert window_range("all", 24.0, 672.0) is None
    assert window_range("day", 24.0, 672.0) == pytest.approx([-0.02, 1.0])
    assert window_range("week", 1.0, 48.0) is None  # a course shorter than the window shows whole
    assert relayout_range({"xaxis3.range[0]": 1, "xaxis3.range[1]": 2}) == (True, [1.0, 2.0])
    assert relayout_range({"xaxis.autorange": True}) == (True, None)
    assert relayout_range({"yaxis.range[0]": 1, "yaxis.range[1]": 2}) == (False, None)
    assert relayout_range(None) == (False, None)


@pytest.mark.parametrize(
    ("key_path", "label"),
    [
        ("arms[0].treatments[0].dose", "Dose"),
        ("arms[0].treatments[0].at[2]", "Dose times"),
        ("arms[0].treatments[0].infusion", "Infusion over"),
        ("arms[0].treatments[1].after_each_dose", "Delay after dose"),
        ("arms[1].treatments[0].dose", "Comparator arm"),
        ("population.size", "Patients per arm"),
        ("endpoints[1].at", "Course length"),
        ("observe.every", None),
    ],
)
def test_errors_point_at_the_form_field(key_path: str, label: str | None) -> None:
    assert field_label(key_path) == label


# ---------------------------------------------------------------- what a browser sends is never trusted


def _kept_run(protocol: Any) -> KeptRun:
    times = [0.0, 24.0, 48.0]
    medians = {
        arm.name: {"nmda_occupancy": [0.0, 0.1, 0.0], "spine_density_change": [0.0, 5.0, 4.0]} for arm in protocol.arms
    }
    scenario = Scenario(FormValues(), np.asarray(times), {}, {})
    return KeptRun(protocol, times, medians, 24.0, {}, True, None, scenario, {}, None)


def test_the_page_state_names_a_kept_run_and_nothing_else(tmp_path: Path) -> None:
    protocol, _ = build_protocol(FormValues(comparator="none", duration="2 d", schedule="0 d"))
    key = remember(_kept_run(protocol))
    assert kept_run({"run": key}) is not None
    (tmp_path / "p.yaml").write_text("ketasim: 1\n")
    for forged in (
        {"run": "0" * 32},
        {"run": str(tmp_path / "p.yaml")},
        {"mapping": str(tmp_path / "p.yaml")},
        key,
        [],
    ):
        assert kept_run(forged) is None


@pytest.mark.parametrize("at_h", ["24", float("nan"), -1.0, 49.0, True, None])
def test_the_fc_slider_takes_only_a_time_within_the_run(at_h: Any) -> None:
    protocol, _ = build_protocol(FormValues(comparator="none", duration="2 d", schedule="0 d"))
    run = _kept_run(protocol)
    assert fc_figure_of(run, 24.0).data
    with pytest.raises(InputError, match=r"^fc-time: expected a time from 0 to 48 h"):
        fc_figure_of(run, at_h)


def test_the_symptom_scale_must_be_a_rating_scale() -> None:
    protocol, _ = build_protocol(FormValues(comparator="none", duration="2 d", schedule="0 d"))
    with pytest.raises(ProtocolError, match="unknown rating scale"):
        symptoms_figure_of(_kept_run(protocol), "../../etc/passwd")


@pytest.mark.parametrize(
    "relayout",
    [
        {"xaxis.range[0]": "x", "xaxis.range[1]": 2},
        {"xaxis.range": [float("nan"), 1]},
        {"xaxis.range": [1e308, 1e308]},
        ["xaxis.range[0]"],
        "xaxis.autorange",
    ],
)
def test_zoom_data_that_is_not_a_finite_range_changes_nothing(relayout: Any) -> None:
    assert relayout_range(relayout) == (False, None)


def test_uploads_are_read_in_memory_and_bounded() -> None:
    big = "data:;base64," + base64.b64encode(b"#" * (MAX_UPLOAD_BYTES + 10)).decode()
    with pytest.raises(ProtocolError, match=r"p\.yaml is larger than the explorer's limit of 32 kB"):
        read_uploaded(big, "../../p.yaml")
    with pytest.raises(ProtocolError, match="could not read the upload"):
        read_uploaded(["not", "text"], "p.yaml")
    latin = "data:;base64," + base64.b64encode("name: café".encode("latin-1")).decode()
    with pytest.raises(ProtocolError, match="could not read p.yaml as UTF-8"):
        read_uploaded(latin, "p.yaml\x07")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{k}: &a{k} [*{'a' if k == 1 else f'a{k - 1}'}, *{'a' if k == 1 else f'a{k - 1}'}, "
        f"*{'a' if k == 1 else f'a{k - 1}'}, *{'a' if k == 1 else f'a{k - 1}'}]\n"
        for k in range(1, 9)
    )
    with pytest.raises(ProtocolError, match="holds more than 20000 values"):
        read_uploaded("data:;base64," + base64.b64encode(bomb.encode()).decode(), "bomb.yaml")


def test_form_fields_are_bounded_before_they_are_read() -> None:
    inputs = FormValues().as_dict()
    with pytest.raises(ProtocolError, match=r"^arms\[0\]\.treatments\[0\]\.at: 401 dose times, over .* limit of 400"):
        FormValues.from_inputs({**inputs, "schedule": ", ".join(f"{k} h" for k in range(401))})
    with pytest.raises(ProtocolError, match=r"^arms\[0\]\.treatments\[0\]\.dose: is 10001 characters long"):
        FormValues.from_inputs({**inputs, "dose": "1" * 10_001})
    with pytest.raises(ProtocolError, match=r"^population\.size: expected a whole number, got 'inf'"):
        FormValues.from_inputs({**inputs, "patients": "inf"})


def test_runs_beyond_the_explorer_limits_are_refused_with_the_limit() -> None:
    with pytest.raises(ProtocolError, match=r"^duration: the explorer simulates courses of up to 52 weeks"):
        checked_protocol(FormValues(duration="60 w"))
    with pytest.raises(ProtocolError, match=r"^population\.size: 5000 patients x \d+ integrator steps"):
        checked_protocol(FormValues(patients=5000, comparator="none", duration="52 w", schedule="0 d"))


def test_the_run_guard_stops_between_chunks_for_time_and_for_a_closed_connection() -> None:
    browser, server = socket.socketpair()
    guard = RunGuard(server, limit_s=60)
    guard.check()  # the browser is waiting: go on
    browser.close()
    with pytest.raises(RunStoppedError, match="the browser left"):
        guard.check(512, 1024)
    server.close()
    late = RunGuard(None, limit_s=0)
    progress = late.progress_for(1024)
    with pytest.raises(RunStoppedError, match="took longer than the explorer's limit of 0 s"):
        progress(512)
    progress(512)  # the last chunk is done: a finished run is never stopped after the fact
