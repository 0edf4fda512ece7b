"""The composition is the one source of the model's layout: states, quantities, outputs and parameters."""

from __future__ import annotations

from pathlib import Path

import libsbml
import pytest

import ketasim
from ketasim import vocabulary
from ketasim.models.model import compose, symptom_part
from ketasim.parameters.catalogue import default_catalogue
from ketasim.vocabulary import OUTPUTS, OutputInfo

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "single-infusion.yaml"


def test_every_vocabulary_output_but_the_plasma_readouts_is_a_quantity_of_one_stage() -> None:
    composition = compose(default_catalogue())
    defined = [q.name for q in composition.quantities]
    assert len(defined) == len(set(defined)), "two stages define the same quantity"
    assert set(composition.output_names) | set(composition.readouts) >= set(OUTPUTS)
    states = composition.state_names
    assert len(states) == len(set(states)) and not set(states) & set(defined)


def test_every_state_quantity_and_derived_parameter_says_what_it_means_in_its_unit() -> None:
    """Their meanings label the NetCDF variables and the SBML export's parameters."""
    composition = compose(default_catalogue())
    derived = [q for stage in composition.stages for q in stage.derived_parameters()]
    for quantity in (*composition.states, *composition.quantities, *derived):
        assert quantity.unit and quantity.meaning.strip(), quantity


def test_every_parameter_is_in_the_registry_or_derived_by_a_stage() -> None:
    composition = compose(default_catalogue())
    pset = ketasim.parameter_set("default")
    derived = {q.name for stage in composition.stages for q in stage.derived_parameters()}
    missing = [n for n in composition.parameter_names() if n not in pset and n not in derived]
    assert not missing


def test_the_symptom_part_reads_drivers_from_upstream_only() -> None:
    composition = compose(default_catalogue())
    symptoms, drivers = symptom_part(composition)
    assert [s.name for s in symptoms.stages] == ["therapy", "comparators", "natural_course", "symptoms", "scales"]
    assert {"plasticity_window", "rumination", "dissociation", "glutamate_change"} <= set(drivers)


def test_adding_an_output_is_naming_a_quantity_in_the_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sert_occupancy` is a quantity of the comparators stage; naming it in the vocabulary makes it an output of
    the simulation and of the SBML export, with no other change."""
    monkeypatch.setitem(
        vocabulary.OUTPUTS, "sert_occupancy", OutputInfo("1", "fraction of SERT blocked", "SERT blocked (fraction)")
    )
    protocol = ketasim.load_protocol(EXAMPLE)
    dataset = ketasim.simulate(protocol)
    assert "sert_occupancy" in dataset and dataset["sert_occupancy"].attrs["units"] == "1"
    model = libsbml.readSBMLFromString(ketasim.export_sbml(protocol)).getModel()
    assert model.getAssignmentRuleByVariable("sert_occupancy") is not None
