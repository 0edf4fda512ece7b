"""Schedules to events: every schedule form, therapy sessions, and observation times."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ketasim.errors import ProtocolError
from ketasim.parameters.registry import make_set
from ketasim.protocol import arm_events, load_protocol, observation_times


@pytest.fixture(autouse=True)
def parameter_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every set name gives an empty set: no dose limits, so these tests see only schedules."""
    monkeypatch.setattr("ketasim.parameters.get_parameter_set", lambda name: make_set(name, "", [], []), raising=False)


def protocol(*treatments: dict[str, Any], duration: str = "14 d", **top: Any) -> Any:
    """A one-arm protocol with the given treatments."""
    data = {
        "ketasim": 1,
        "name": "events",
        "duration": duration,
        "population": {"condition": "trd"},
        "arms": [{"name": "a", "treatments": list(treatments)}],
        **top,
    }
    return load_protocol(data)


IV = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min"}
ORAL = {"drug": "ketamine", "route": "oral", "dose": "25 mg"}


def dose_times(p: Any, arm: int | str = 0) -> list[float]:
    return [d.time_h for d in arm_events(p, arm).doses]


def assert_sessions(p: Any, expected: list[tuple[float, float]]) -> None:
    """The arm's sessions start and last as ``expected`` (start_h, duration_h) pairs."""
    got = [(s.start_h, s.duration_h) for s in arm_events(p, 0).sessions]
    np.testing.assert_allclose(np.reshape(got, (-1, 2)), np.reshape(expected, (-1, 2)))


def test_at_times_sorted_across_items() -> None:
    p = protocol({**IV, "at": ["4 d", "0 d", "2 d"]}, {**ORAL, "at": ["1 d", "3 h"]})
    assert dose_times(p) == pytest.approx([0, 3, 24, 48, 96])
    events = arm_events(p, 0)
    assert events.name == "a"
    first = events.doses[0]
    assert (first.drug, first.route, first.amount, first.per_kg) == ("ketamine", "iv", 0.5, True)
    assert first.infusion_h == pytest.approx(40 / 60)
    assert first.key_path == "arms[0].treatments[0].at[1]"
    oral = events.doses[1]
    assert (oral.amount, oral.per_kg, oral.infusion_h) == (25.0, False, 0.0)


def test_every_with_count() -> None:
    p = protocol({**ORAL, "every": "12 h", "count": 4})
    assert dose_times(p) == pytest.approx([0, 12, 24, 36])


def test_every_with_until_is_exclusive() -> None:
    p = protocol({**ORAL, "every": "1 d", "until": "7 d"})
    assert dose_times(p) == pytest.approx([24.0 * k for k in range(7)])


def test_every_with_until_not_a_multiple() -> None:
    p = protocol({**ORAL, "every": "1 d", "until": "3.5 d"})
    assert dose_times(p) == pytest.approx([0, 24, 48, 72])


def test_every_with_start() -> None:
    p = protocol({**ORAL, "every": "1 w", "count": 2, "start": "2 d"}, duration="3 w")
    assert dose_times(p) == pytest.approx([48, 48 + 168])


def test_every_until_duration_daily_for_fourteen_weeks() -> None:
    p = protocol(
        {"drug": "escitalopram", "route": "oral", "dose": "20 mg", "every": "1 d", "until": "14 w"}, duration="14 w"
    )
    times = dose_times(p)
    assert len(times) == 98
    assert times[-1] == pytest.approx(97 * 24)


def test_back_to_back_infusions_are_allowed() -> None:
    p = protocol({**IV, "at": ["0 h", "40 min"]})
    assert dose_times(p) == pytest.approx([0, 40 / 60])


def test_placebo_has_zero_amount() -> None:
    p = protocol({"drug": "placebo", "route": "intranasal", "at": ["0 h"]})
    dose = arm_events(p, 0).doses[0]
    assert (dose.drug, dose.amount, dose.per_kg, dose.infusion_h) == ("placebo", 0.0, False, 0.0)


def test_dose_units_convert() -> None:
    p = protocol({**IV, "dose": "500 ug/kg", "at": ["0 h"]}, {**ORAL, "dose": "0.025 g", "at": ["1 d"]})
    iv, oral = arm_events(p, 0).doses
    assert (iv.amount, iv.per_kg) == (pytest.approx(0.5), True)
    assert (oral.amount, oral.per_kg) == (pytest.approx(25.0), False)


def test_after_each_dose_follows_every_dose_time_once() -> None:
    p = protocol(
        {**IV, "at": ["0 d", "2 d"]},
        {"drug": "escitalopram", "route": "oral", "dose": "10 mg", "at": ["0 d"]},
        {"therapy": "integration", "session": "90 min", "after_each_dose": "24 h"},
    )
    assert_sessions(p, [(24, 1.5), (72, 1.5)])
    assert arm_events(p, 0).sessions[0].therapy == "integration"
    assert arm_events(p, 0).sessions[0].key_path == "arms[0].treatments[2].after_each_dose"


def test_during_each_dose_starts_with_the_dose() -> None:
    p = protocol({**IV, "at": ["0 d", "3 d"]}, {"therapy": "supportive", "session": "2 h", "during_each_dose": True})
    assert_sessions(p, [(0, 2), (72, 2)])


def test_therapy_at_and_every() -> None:
    p = protocol(
        {"therapy": "cbt", "session": "50 min", "every": "1 w", "count": 3, "start": "1 d"},
        {"therapy": "emdr", "session": "90 min", "at": ["2 d"]},
        duration="4 w",
    )
    assert [s.therapy for s in arm_events(p, 0).sessions] == ["cbt", "emdr", "cbt", "cbt"]
    assert [s.start_h for s in arm_events(p, 0).sessions] == pytest.approx([24, 48, 192, 360])


def test_emdr_intensive_defaults_to_three_days_of_three_hours() -> None:
    p = protocol({"therapy": "emdr-intensive", "at": ["1 d"]})
    assert_sessions(p, [(24, 3), (48, 3), (72, 3)])


def test_emdr_intensive_days_and_hours() -> None:
    p = protocol(
        {"therapy": "emdr-intensive", "days": 5, "hours_per_day": "4 h", "after_each_dose": "1 d"},
        {**IV, "at": ["0 h"]},
    )
    assert_sessions(p, [(24 * k, 4) for k in range(1, 6)])


def test_untreated_arm_has_no_events() -> None:
    p = protocol()
    events = arm_events(p, "a")
    assert events.doses == () and events.sessions == ()


def test_arm_by_name_and_index() -> None:
    data = {
        "ketasim": 1,
        "name": "two arms",
        "duration": "2 d",
        "population": {},
        "arms": [
            {"name": "low", "treatments": [{**IV, "dose": "0.2 mg/kg", "at": ["0 h"]}]},
            {"name": "high", "treatments": [{**IV, "at": ["0 h"]}]},
        ],
    }
    p = load_protocol(data)
    assert arm_events(p, "high") == arm_events(p, 1) == arm_events(p, -1)
    assert arm_events(p, "low").doses[0].amount == pytest.approx(0.2)
    with pytest.raises(ProtocolError, match="no arm named 'hihg'.*did you mean 'high'"):
        arm_events(p, "hihg")
    with pytest.raises(ProtocolError, match="no arm number 2"):
        arm_events(p, 2)


def test_default_observation_times_hourly_then_daily() -> None:
    p = protocol({**IV, "at": ["0 h"]}, duration="3 d")
    times = observation_times(p)
    expected = np.concatenate([np.arange(25.0), [48.0, 72.0]])
    np.testing.assert_allclose(times, expected)


def test_default_observation_times_short_protocol() -> None:
    p = protocol({**IV, "at": ["0 h"]}, duration="6 h")
    np.testing.assert_allclose(observation_times(p), np.arange(7.0))


def test_observation_step() -> None:
    p = protocol({**IV, "at": ["0 h"]}, duration="2 d", observe={"every": "5 min"})
    times = observation_times(p)
    assert len(times) == 577
    assert times[0] == 0.0 and times[-1] == 48.0
    np.testing.assert_allclose(np.diff(times), 5 / 60)


def test_observation_step_not_dividing_duration_ends_at_duration() -> None:
    p = protocol({**IV, "at": ["0 h"]}, duration="10 h", observe={"every": "4 h"})
    np.testing.assert_allclose(observation_times(p), [0, 4, 8, 10])


def test_observation_list_is_sorted_unique_with_ends_and_endpoints() -> None:
    p = protocol(
        {**IV, "at": ["0 h"]},
        duration="7 d",
        observe={"every": ["3 d", "4 h", "24 h", "1 d"]},
        endpoints=[{"name": "r", "kind": "response", "scale": "madrs", "at": "2 d"}],
    )
    np.testing.assert_allclose(observation_times(p), [0, 4, 24, 48, 72, 168])


@pytest.mark.parametrize("every", [None, "7 min", ["0 h", "30 min", "9 d"]])
def test_observation_times_within_duration(every: Any) -> None:
    observe = {} if every is None else {"every": every}
    p = protocol({**IV, "at": ["0 h"]}, duration="9 d", observe=observe)
    times = observation_times(p)
    assert times[0] == 0.0 and times[-1] == pytest.approx(216.0)
    assert np.all(np.diff(times) > 0)
