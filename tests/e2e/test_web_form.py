"""The explorer's form and helpers without a browser: protocol mappings, round trips, limits and time axes.

These need ``dash`` (the web package imports it) but no browser; no simulation is run.
"""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from ketasim.errors import ProtocolError
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
