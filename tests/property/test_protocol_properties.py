"""Properties of protocol loading over generated protocols (Hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketasim.errors import ProtocolError
from ketasim.parameters.registry import make_set
from ketasim.protocol import arm_events, covariate_distribution, load_protocol, observation_times

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNIT_HOURS = {"min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}


@pytest.fixture(autouse=True, scope="module")
def no_dose_limits() -> Iterator[None]:
    """Every set name gives an empty set, so only schedules are under test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ketasim.parameters.get_parameter_set", lambda name: make_set(name, "", [], []), raising=False)
        yield


@st.composite
def time_text(draw: st.DrawFn, max_hours: int) -> str:
    """A whole number of hours up to ``max_hours``, written in a random unit."""
    hours = draw(st.integers(0, max_hours))
    unit = draw(st.sampled_from(["min", "h", "d"]))
    value = hours / UNIT_HOURS[unit]
    return f"{value:g} {unit}"


@st.composite
def schedule(draw: st.DrawFn, duration_h: int) -> dict[str, Any]:
    """An `at` list or an `every` schedule, mostly within the duration."""
    if draw(st.booleans()):
        times = draw(st.lists(st.integers(0, duration_h), min_size=1, max_size=5, unique=True))
        return {"at": [f"{t} h" for t in times]}
    step = draw(st.integers(1, 72))
    start = draw(st.integers(0, duration_h // 2))
    out: dict[str, Any] = {"every": f"{step} h", "start": f"{start} h"}
    if draw(st.booleans()):
        out["count"] = draw(st.integers(1, 8))
    else:
        out["until"] = f"{draw(st.integers(start + 1, duration_h + 1))} h"
    return out


DRUGS = [
    {"drug": "ketamine", "route": "oral", "dose": "25 mg"},
    {"drug": "ketamine", "route": "im", "dose": "0.5 mg/kg"},
    {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min"},
    {"drug": "esketamine", "route": "intranasal", "dose": "56 mg"},
    {"drug": "escitalopram", "route": "oral", "dose": "10 mg"},
    {"drug": "placebo", "route": "iv", "infusion": "40 min"},
]


@st.composite
def protocols(draw: st.DrawFn) -> dict[str, Any]:
    """A one- or two-arm protocol with drug items and an optional therapy item per arm."""
    duration_h = draw(st.integers(24, 60 * 24))
    arms = []
    for index in range(draw(st.integers(1, 2))):
        items = [{**draw(st.sampled_from(DRUGS)), **draw(schedule(duration_h))} for _ in range(draw(st.integers(1, 3)))]
        if draw(st.booleans()):
            session = f"{draw(st.integers(30, 120))} min"
            if draw(st.booleans()):
                items.append(
                    {"therapy": "integration", "session": session, "after_each_dose": f"{draw(st.integers(0, 48))} h"}
                )
            else:
                items.append(
                    {"therapy": "emdr-intensive", "days": draw(st.integers(1, 4)), **draw(schedule(duration_h))}
                )
        arms.append({"name": f"arm{index}", "treatments": items})
    observe = draw(st.sampled_from([{}, {"every": "1 h"}, {"every": "7 min"}, {"every": ["0 h", "12 h", "2 d"]}]))
    return {
        "ketasim": 1,
        "name": "generated",
        "duration": f"{duration_h} h",
        "population": {"condition": "trd"},
        "arms": arms,
        "observe": observe,
    }


@SETTINGS
@given(protocols())
def test_generated_protocol_loads_to_sorted_events_within_duration_or_fails_cleanly(data: dict[str, Any]) -> None:
    try:
        protocol = load_protocol(data)
    except ProtocolError as error:
        message = str(error)
        assert "\n" not in message
        assert error.key_path and message.startswith(f"{error.key_path}: ")
        return
    for index in range(len(protocol.arms)):
        events = arm_events(protocol, index)
        dose_times = [d.time_h for d in events.doses]
        assert dose_times == sorted(dose_times)
        assert all(0 <= t <= protocol.duration_h for t in dose_times)
        starts = [s.start_h for s in events.sessions]
        assert starts == sorted(starts)
        assert all(0 <= t <= protocol.duration_h for t in starts)
        infusions = [(d.time_h, d.time_h + d.infusion_h) for d in events.doses if d.infusion_h > 0]
        assert all(later[0] >= earlier[1] - 1e-9 for earlier, later in zip(infusions, infusions[1:], strict=False))
    times = observation_times(protocol)
    assert times[0] == 0.0 and times[-1] == pytest.approx(protocol.duration_h)
    assert np.all(np.diff(times) > 0)
    assert load_protocol(protocol.source) == protocol


@SETTINGS
@given(st.integers(1, 24 * 90), st.sampled_from(["1 min", "5 min", "1 h", "7 h", "1 d", "1 w"]))
def test_observation_grid_covers_duration(duration_h: int, every: str) -> None:
    data = {
        "ketasim": 1,
        "name": "grid",
        "duration": f"{duration_h} h",
        "population": {},
        "arms": [{"name": "none", "treatments": []}],
        "observe": {"every": every},
    }
    times = observation_times(load_protocol(data))
    assert times[0] == 0.0 and times[-1] == pytest.approx(duration_h)
    assert np.all(np.diff(times) > 0)
    step = float(every.split()[0]) * UNIT_HOURS[every.split()[1]]
    assert np.all(np.diff(times) <= step + 1e-9)


@SETTINGS
@given(st.data())
def test_time_units_round_trip(data: st.DataObject) -> None:
    text = data.draw(time_text(24 * 30))
    value, unit = text.split()
    protocol = load_protocol(
        {
            "ketasim": 1,
            "name": "units",
            "duration": "31 d",
            "population": {},
            "arms": [{"name": "a", "treatments": [{"drug": "ketamine", "route": "im", "dose": "30 mg", "at": [text]}]}],
        }
    )
    assert arm_events(protocol, 0).doses[0].time_h == pytest.approx(float(value) * UNIT_HOURS[unit])


@SETTINGS
@given(
    st.floats(30, 250),
    st.floats(0, 100),
    st.integers(0, 2**32 - 1),
)
def test_weight_samples_stay_in_range(mean: float, sd: float, seed: int) -> None:
    dist = covariate_distribution("weight", {"mean": f"{mean} kg", "sd": f"{sd} kg"})
    draws = dist.sample(np.random.default_rng(seed), 50)
    assert draws.shape == (50,)
    assert np.all((draws >= 30.0) & (draws <= 250.0))
