"""Dose checks against the limits a parameter set declares (test values, not model values)."""

from __future__ import annotations

from typing import Any

import pytest

from ketasim.errors import ParameterError, ProtocolError
from ketasim.parameters.catalogue import default_catalogue
from ketasim.parameters.registry import Parameter, ParameterSet, Reference, make_set
from ketasim.protocol import load_protocol
from ketasim.protocol.dose_checks import REFERENCE_WEIGHT_KG
from ketasim.vocabulary import ROUTES

REF = Reference("test", "Values made up for unit tests")
DRUG_ROUTES = default_catalogue().drug_routes


def limits(name: str = "default", **extra: float) -> ParameterSet:
    """Ketamine: studied up to 1 mg/kg systemic, unsafe above 2 mg/kg; oral bioavailability 0.2."""
    values = {
        "ketamine_studied_max_systemic_mg_per_kg": 1.0,
        "ketamine_unsafe_systemic_mg_per_kg": 2.0,
        "ketamine_oral_bioavailability": 0.2,
        **extra,
    }
    return make_set(name, "test limits", [REF], [Parameter(k, v, "1", "test", "low") for k, v in values.items()])


@pytest.fixture
def sets(monkeypatch: pytest.MonkeyPatch) -> dict[str, ParameterSet]:
    """The parameter sets `get_parameter_set` serves in a test; edit the dict to change them."""
    served = {
        "default": limits(),
        "heavy": limits("heavy", population_weight_mean_kg=140.0, reference_weight_kg=70.0),
        "reference": limits("reference", reference_weight_kg=160.0),
    }

    def get(name: str) -> ParameterSet:
        if name not in served:
            raise ParameterError(f"unknown parameter set {name!r}")
        return served[name]

    monkeypatch.setattr("ketasim.parameters.get_parameter_set", get)
    monkeypatch.setattr("ketasim.protocol.parameter_choice.parameter_set", get)
    return served


def protocol(*treatments: dict[str, Any], **population: Any) -> dict[str, Any]:
    return {
        "ketasim": 1,
        "name": "doses",
        "duration": "7 d",
        "population": {"condition": "trd", **population},
        "arms": [{"name": "a", "treatments": list(treatments)}],
    }


def ketamine(route: str, dose: str, **keys: Any) -> dict[str, Any]:
    return {"drug": "ketamine", "route": route, "dose": dose, "at": ["0 h"], **keys}


KEY = "arms[0].treatments[0].dose"


def test_studied_dose_gives_no_warning(sets: Any) -> None:
    assert load_protocol(protocol(ketamine("iv", "0.5 mg/kg", infusion="40 min"))).warnings == []


def test_above_studied_range_warns_with_key_path(sets: Any) -> None:
    p = load_protocol(protocol(ketamine("iv", "1.5 mg/kg", infusion="40 min")))
    (warning,) = p.warnings
    assert warning.startswith(f"{KEY}: ")
    assert "above the studied range" in warning


def test_above_unsafe_limit_is_refused(sets: Any) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(protocol(ketamine("iv", "2.5 mg/kg")))
    assert caught.value.key_path == KEY
    assert "anaesthetic-range ketamine" in str(caught.value)
    assert "studied doses reach 1 mg/kg" in str(caught.value)


def test_absolute_dose_is_divided_by_the_protocol_weight(sets: Any) -> None:
    dose = ketamine("iv", "200 mg")
    with pytest.raises(ProtocolError, match="anaesthetic-range"):
        load_protocol(protocol(dose, covariates={"weight": "80 kg"}))  # 2.5 mg/kg
    p = load_protocol(protocol(dose, covariates={"weight": {"mean": "160 kg", "sd": "10 kg"}}))  # 1.25 mg/kg
    assert len(p.warnings) == 1 and "at 160 kg" in p.warnings[0]


def test_absolute_dose_uses_the_set_typical_weight(sets: Any) -> None:
    dose = ketamine("iv", "200 mg")
    p = load_protocol(protocol(dose, parameters="heavy"))  # 200 / 140 = 1.43 mg/kg
    assert len(p.warnings) == 1 and "at 140 kg" in p.warnings[0]
    p = load_protocol(protocol(dose, parameters="reference"))  # 200 / 160 = 1.25 mg/kg
    assert len(p.warnings) == 1 and "at 160 kg" in p.warnings[0]


def test_absolute_dose_falls_back_to_reference_weight(sets: Any) -> None:
    high = 1.5 * REFERENCE_WEIGHT_KG  # 1.5 mg/kg systemic
    p = load_protocol(protocol(ketamine("iv", f"{high} mg")))
    assert len(p.warnings) == 1


def test_bioavailability_scales_the_dose(sets: Any) -> None:
    # 5 mg/kg oral x 0.2 = 1 mg/kg systemic: inside the studied range; iv it would be refused.
    assert load_protocol(protocol(ketamine("oral", "5 mg/kg"))).warnings == []
    with pytest.raises(ProtocolError):
        load_protocol(protocol(ketamine("iv", "5 mg/kg")))
    with pytest.raises(ProtocolError, match="oral"):
        load_protocol(protocol(ketamine("oral", "15 mg/kg")))


def test_missing_bioavailability_warns_that_the_dose_is_unchecked(sets: Any) -> None:
    p = load_protocol(protocol(ketamine("im", "0.5 mg/kg")))
    (warning,) = p.warnings
    assert warning.startswith(KEY) and "ketamine_im_bioavailability" in warning


def test_drugs_without_limits_warn_and_placebo_is_not_checked(sets: Any) -> None:
    p = load_protocol(
        protocol(
            {"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["1 h"]},
            {"drug": "midazolam", "route": "iv", "dose": "50 mg/kg", "at": ["0 h"]},
        )
    )
    (warning,) = p.warnings
    assert warning.startswith("arms[0].treatments[1].dose: dose not checked")
    assert "no dose limits for midazolam" in warning


def test_every_arm_and_item_is_checked(sets: Any) -> None:
    data = protocol(ketamine("iv", "0.5 mg/kg"), ketamine("iv", "1.5 mg/kg", at=["1 d"]))
    data["arms"].append({"name": "b", "treatments": [ketamine("iv", "1.2 mg/kg")]})
    warnings = load_protocol(data).warnings
    assert [w.split(":")[0] for w in warnings] == ["arms[0].treatments[1].dose", "arms[1].treatments[0].dose"]


def test_unknown_parameter_set(sets: Any) -> None:
    for given in ("nosuch", {"set": "nosuch"}):
        with pytest.raises(ProtocolError) as caught:
            load_protocol(protocol(ketamine("iv", "0.5 mg/kg"), parameters=given))
        assert caught.value.key_path == "population.parameters"
        assert "nosuch" in str(caught.value)


def test_route_table() -> None:
    assert DRUG_ROUTES["escitalopram"] == ("oral",)
    assert set(DRUG_ROUTES["midazolam"]) == {"iv", "im", "oral", "intranasal"}
    assert DRUG_ROUTES["placebo"] == ROUTES
    for drug in ("ketamine", "esketamine", "arketamine"):
        assert set(DRUG_ROUTES[drug]) == set(ROUTES)


@pytest.mark.parametrize(("drug", "route"), [(d, r) for d, routes in DRUG_ROUTES.items() for r in routes])
def test_every_allowed_route_loads(sets: Any, drug: str, route: str) -> None:
    item: dict[str, Any] = {"drug": drug, "route": route, "at": ["0 h"]}
    if drug != "placebo":
        item["dose"] = "1 mg"
    assert load_protocol(protocol(item)).arms[0].treatments[0].route == route
