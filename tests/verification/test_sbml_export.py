"""The structural SBML export: valid SBML with units, the model's structure, and the same results as
`ketasim simulate` in two independent simulators (libroadrunner and COPASI).

Same protocol, typical patient (``variability: false``): plasma concentrations within 1e-4 relative, every other
output of the vocabulary within 1e-3 of its range over the run. Both simulators run with tight tolerances, so they
stand in for the exact solution: a disagreement is an export error or an integration error of the engine.
"""

from __future__ import annotations

import copy
import locale
from pathlib import Path
from typing import Any

import libsbml
import numpy as np
import pytest
import roadrunner
import yaml

import ketasim
from ketasim.protocol import Protocol, observation_times
from ketasim.vocabulary import OUTPUTS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLASMA_RELATIVE = 1e-4
OTHER_OF_RANGE = 1e-3


def typical(name: str, arm: int = 0) -> Protocol:
    """An example protocol for one typical patient, observed as the example observes."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    data = copy.deepcopy(data)
    data["population"] = {**data["population"], "size": 1, "variability": False}
    data["arms"] = [data["arms"][arm]]
    data.pop("endpoints", None)
    return ketasim.build_protocol(data)


SINGLE = typical("single-infusion.yaml")
KAP = typical("kap-clinic-course.yaml")


def roadrunner_outputs(protocol: Protocol, names: list[str]) -> np.ndarray:
    """(times, outputs) of the exported model simulated by libroadrunner (CVODE) at the observation times."""
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    runner = roadrunner.RoadRunner(ketasim.export_sbml(protocol))
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-12
    runner.integrator.maximum_num_steps = 1_000_000
    return np.asarray(runner.simulate(times=list(observation_times(protocol)), selections=names))


def copasi_outputs(protocol: Protocol, names: list[str]) -> np.ndarray:
    """(times, outputs) of the exported model simulated by COPASI (LSODA) at the observation times.

    COPASI switches the process to the C locale when it loads; the caller's locale is restored after it.
    """
    saved = locale.setlocale(locale.LC_ALL)
    try:
        return _copasi_outputs(protocol, names)
    finally:
        locale.setlocale(locale.LC_ALL, saved)


def _copasi_outputs(protocol: Protocol, names: list[str]) -> np.ndarray:
    import basico  # imported here: COPASI changes the locale on import (see `copasi_outputs`)

    basico.load_model_from_string(ketasim.export_sbml(protocol))
    times = list(observation_times(protocol))
    course = basico.run_time_course(values=times, use_initial_values=True, a_tol=1e-12, r_tol=1e-10, max_steps=10**7)
    basico.remove_datamodel(basico.get_current_model())
    return np.stack([course[f"Values[{name}]"].reindex(times, method="nearest").to_numpy() for name in names], 1)


def disagreements(protocol: Protocol, simulator: Any) -> dict[str, float]:
    """Worst disagreement of every output, as a fraction of its tolerance (pass: every value at most 1)."""
    dataset = ketasim.simulate(protocol)
    names = [name for name in OUTPUTS if name in dataset]
    independent = simulator(protocol, names)
    fractions = {}
    for column, name in enumerate(names):
        engine = dataset[name].values[0, 0]
        error = np.abs(independent[:, column] - engine)
        if name.startswith("plasma_"):
            scale = np.maximum(np.abs(engine), 1e-3 * np.abs(engine).max())
            fractions[name] = float(np.max(error / (PLASMA_RELATIVE * scale)))
        else:
            span = float(np.ptp(engine)) or max(float(np.abs(engine).max()), 1.0)
            fractions[name] = float(error.max() / (OTHER_OF_RANGE * span))
    assert set(fractions) == set(OUTPUTS)
    return fractions


@pytest.mark.parametrize("simulator", [roadrunner_outputs, copasi_outputs], ids=["libroadrunner", "copasi"])
@pytest.mark.parametrize("protocol", [SINGLE, KAP], ids=["single-infusion", "kap-clinic-course"])
def test_export_matches_ketasim_simulate(protocol: Protocol, simulator: Any) -> None:
    fractions = disagreements(protocol, simulator)
    failing = {name: round(f, 2) for name, f in fractions.items() if not f <= 1.0}
    assert not failing, f"outputs off by more than their tolerance (multiples of it): {failing}"


def document(protocol: Protocol, arm: int = 0) -> Any:
    return libsbml.readSBMLFromString(ketasim.export_sbml(protocol, arm))


def test_export_is_valid_sbml_with_every_unit_consistent() -> None:
    doc = document(KAP)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    problems = [doc.getError(i) for i in range(doc.getNumErrors())]
    assert not [p.getMessage() for p in problems], "libsbml reports errors or warnings"
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)


def test_export_has_compartments_species_reactions_and_named_parameters_with_units() -> None:
    model = document(KAP).getModel()
    species = {model.getSpecies(i).getId() for i in range(model.getNumSpecies())}
    reactions = [model.getReaction(i) for i in range(model.getNumReactions())]
    assert "ketamine_s_ketamine_central" in species and "ketamine_s_norketamine_central" in species
    assert {r.getSBOTermID() for r in reactions} >= {"SBO:0000185", "SBO:0000179", "SBO:0000176"}
    rate_ruled = {model.getRule(i).getVariable() for i in range(model.getNumRules()) if model.getRule(i).isRate()}
    assert not rate_ruled & species, "a species with a reaction needs no rate rule"
    parameters = [model.getParameter(i) for i in range(model.getNumParameters())]
    assert all(p.isSetUnits() for p in parameters)
    assert {"ketamine_s_clearance_l_per_h", "nmda_ki_s_ketamine_um", "depression_time_constant_h"} <= {
        p.getId() for p in parameters
    }
    rules = {model.getRule(i).getVariable() for i in range(model.getNumRules())}
    assert set(OUTPUTS) <= rules


def test_parameters_carry_their_values_sources_and_annotations() -> None:
    model = document(KAP).getModel()
    pset = ketasim.parameter_set("default")
    clearance = model.getParameter("ketamine_s_clearance_l_per_h")
    assert clearance.getValue() == pset["ketamine_s_clearance_l_per_h"]
    resources = [clearance.getCVTerm(i).getResourceURI(0) for i in range(clearance.getNumCVTerms())]
    doi = pset.references[pset.parameter("ketamine_s_clearance_l_per_h").source].doi
    assert resources == [f"https://identifiers.org/doi:{doi}"]
    assert clearance.getSBOTermID() == "SBO:0000002"
    assert model.isSetModelHistory() and model.getModelHistory().getNumCreators() == 1


def test_every_arm_exports_its_own_model() -> None:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "kap-clinic-course.yaml").read_text())
    protocol = ketasim.load_protocol(data)
    kap, placebo = document(protocol, 0).getModel(), document(protocol, 1).getModel()
    assert kap.getNumReactions() > 0 and placebo.getNumReactions() == 0
    assert kap.getId() != placebo.getId()
