"""Parameter overrides: every unit the registry uses is accepted in its own spelling; bare numbers only for ratios."""

from __future__ import annotations

import pytest

from ketasim.errors import ProtocolError
from ketasim.parameters import _all_sets, get_parameter_set
from ketasim.parameters.overrides import RATIO_UNITS, apply_overrides, override_text, parse_override

DEFAULT = get_parameter_set("default")
EVERY_PARAMETER = sorted({(pset.name, name) for pset in _all_sets() for name in pset.parameters})
UNITS = sorted({DEFAULT.parameter(name).unit for name in DEFAULT.parameters})


def _one_per_unit() -> list[str]:
    chosen: dict[str, str] = {}
    for name in sorted(DEFAULT.parameters):
        chosen.setdefault(DEFAULT.parameter(name).unit, name)
    return sorted(chosen.values())


@pytest.mark.parametrize(("set_name", "name"), EVERY_PARAMETER)
def test_every_parameter_round_trips_in_its_own_unit(set_name: str, name: str) -> None:
    pset = next(p for p in _all_sets() if p.name == set_name)
    parameter = pset.parameter(name)
    written = f"{parameter.value!r} {parameter.unit}".strip()
    assert apply_overrides(pset, {name: written})[name] == parameter.value
    assert apply_overrides(pset, {name: override_text(parameter, parameter.value)})[name] == parameter.value


def test_the_registry_units_are_the_ones_checked() -> None:
    # the round trip above covers these; a new unit in the registry appears here and is covered by it too
    assert {"CADSS points", "1/treatment", "1/%", "mmHg per ng/mL", "points", "years"} <= set(UNITS)


@pytest.mark.parametrize("name", _one_per_unit())
def test_the_error_message_suggests_a_form_that_is_accepted(name: str) -> None:
    unit = DEFAULT.parameter(name).unit
    with pytest.raises(ProtocolError) as raised:
        parse_override(name, "not a number", unit)
    suggested = raised.value.fix.split('"')[1]  # the quoted example
    value = parse_override(name, suggested, unit)
    assert value == pytest.approx(0.3 if unit in RATIO_UNITS else float(suggested.split()[0]))


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("cadss_max_points", "50 CADSS points", 50.0),
        ("cadss_max_points", "50  CADSS   points", 50.0),
        ("depression_escape_log_per_failed_treatment", "0.15 1/treatment", 0.15),
        ("prefrontal_control_log_increase_per_spine_pct", "0.044 1/%", 0.044),
        ("sbp_change_mmhg_per_ng_per_ml", "0.034 mmHg per ng/mL", 0.034),
        ("sbp_change_mmhg_per_ng_per_ml", "0.034 mmHg/(ng/mL)", 0.034),
        ("escitalopram_volume_l", "1100000 mL", 1100.0),
        ("bdnf_time_constant_h", "15 min", 0.25),
        ("gad_age_mean_years", "40 years", 40.0),
        ("allometric_clearance_exponent", 0.75, 0.75),
        ("allometric_clearance_exponent", "75 %", 0.75),
    ],
)
def test_accepted_forms(name: str, text: object, expected: float) -> None:
    assert apply_overrides(DEFAULT, {name: text})[name] == pytest.approx(expected)


@pytest.mark.parametrize("name", [n for n in _one_per_unit() if DEFAULT.parameter(n).unit not in RATIO_UNITS])
@pytest.mark.parametrize("bare", [0.044, "0.044", 5])
def test_a_bare_number_for_a_unit_other_than_a_ratio_is_a_one_line_error(name: str, bare: object) -> None:
    unit = DEFAULT.parameter(name).unit
    with pytest.raises(ProtocolError) as raised:
        apply_overrides(DEFAULT, {name: bare})
    error = raised.value
    assert error.key_path == f"population.parameters.override.{name}"
    assert "bare number" in error.problem and unit in error.problem
    assert error.fix == f'write "{bare} {unit}"'
    assert "\n" not in str(error)


def test_a_bare_number_for_a_percent_based_unit_is_not_divided_by_100() -> None:
    with pytest.raises(ProtocolError, match="bare number"):
        apply_overrides(DEFAULT, {"prefrontal_control_log_increase_per_spine_pct": "0.044"})


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("caps5_rater_noise_sd_points", "5 inch"),  # pint's typographic points are not scale points
        ("cadss_max_points", "50 points"),
        ("bdnf_time_constant_h", "15 kg"),
        ("escitalopram_volume_l", [1, 2]),
        ("escitalopram_volume_l", True),
    ],
)
def test_wrong_units_are_errors_naming_the_key(name: str, text: object) -> None:
    with pytest.raises(ProtocolError) as raised:
        apply_overrides(DEFAULT, {name: text})
    assert raised.value.key_path == f"population.parameters.override.{name}"
