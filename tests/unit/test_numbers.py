"""Numbers for people: significant digits, one unit per interval, no floating-point noise, pp for rate differences."""

from __future__ import annotations

import math

import pytest

from ketasim.report.numbers import (
    difference_shown,
    endpoint_shown,
    format_interval,
    format_number,
    format_quantity,
)
from ketasim.report.summary_rows import comparison_rows, endpoint_rows, summary_kinds


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.64, "0.64"),
        (0.5014101, "0.501"),
        (2.0, "2"),
        (1234.6, "1235"),
        (185.0, "185"),
        (9.996, "10"),
        (0.0009996, "0.001"),
        (-0.0, "0"),
        (0.0, "0"),
        (1.2e-05, "1.2e-05"),
        (3.5e13, "3.5e+13"),
        (None, "n/a"),
        (math.nan, "n/a"),
        (-7.31, "-7.31"),
    ],
)
def test_format_number(value: float | None, text: str) -> None:
    assert format_number(value) == text


def test_four_significant_digits_on_request() -> None:
    assert format_number(0.55364, 4) == "0.5536"
    assert format_number(1100.0, 4) == "1100"


@pytest.mark.parametrize(
    ("low", "high", "unit", "text"),
    [
        (6.938893903907228e-16, 7.13, "%", "0 to 7.13 %"),  # was "6.94e-16 % to 7.13 %"
        (1.0, 1.0, "d", "1 d"),  # was "1 d to 1 d"
        (50.14, 75.86, "%", "50.1 to 75.9 %"),
        (-7.31, -0.64, "points", "-7.31 to -0.64 points"),
        (140.0, 240.0, "", "140 to 240"),
        (0.05, 0.3, "1", "0.05 to 0.3"),
        (21.0, None, "d", "21 d to not reached"),
    ],
)
def test_format_interval(low: float, high: float | None, unit: str, text: str) -> None:
    assert format_interval(low, high, unit, open_end="not reached") == text


def test_quantity_has_no_unit_for_plain_fractions() -> None:
    assert format_quantity(0.3, "1") == "0.3"
    assert format_quantity(12.0, "ng/mL") == "12 ng/mL"


def test_rates_in_percent_and_their_differences_in_percentage_points() -> None:
    assert endpoint_shown("response", "madrs").value(0.64) == "64 %"
    assert difference_shown("response", "madrs").value(0.38) == "38 pp"
    assert difference_shown("remission", "madrs").interval((0.1, 0.25)) == "10 to 25 pp"
    assert difference_shown("percent_change", "madrs").value(-12.0) == "-12 pp"
    assert difference_shown("mean_change", "madrs").value(-4.0) == "-4 points"
    assert endpoint_shown("time_to_relapse", "madrs").value(18.0) == "18 d"
    assert endpoint_shown("value", "plasma_ketamine").value(185.0) == "185 ng/mL"


SUMMARY = {
    "arms": {
        "ketamine": {
            "endpoints": {
                "response_24h": {"kind": "response", "scale": "madrs", "value": 0.64, "ci95": [0.501, 0.759], "n": 50},
                "relapse": {
                    "kind": "time_to_relapse",
                    "scale": "madrs",
                    "value_days": 18.0,
                    "ci95": [16.0, None],
                    "n_at_risk": 30,
                    "events": 21,
                },
            }
        },
        "placebo": {
            "endpoints": {
                "response_24h": {"kind": "response", "scale": "madrs", "value": 0.0, "ci95": [3.5e-18, 0.0713], "n": 50}
            }
        },
    },
    "comparisons": [
        {
            "endpoint": "response_24h",
            "arms": ["ketamine", "placebo"],
            "difference": 0.64,
            "ci95": [0.484, 0.759],
            "effect_size_g": 1.85,
        }
    ],
}


def test_summary_rows() -> None:
    assert endpoint_rows(SUMMARY) == [
        ["ketamine", "response_24h", "response (madrs)", "64 %", "50.1 to 75.9 %", "50"],
        ["ketamine", "relapse", "time_to_relapse (madrs)", "18 d", "16 d to not reached", "30 (21 events)"],
        ["placebo", "response_24h", "response (madrs)", "0 %", "0 to 7.13 %", "50"],
    ]
    assert comparison_rows(SUMMARY, summary_kinds(SUMMARY)) == [
        ["response_24h", "ketamine - placebo", "64 pp", "48.4 to 75.9 pp", "1.85"]
    ]
