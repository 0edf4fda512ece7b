"""The SBML export run by an independent simulator (libroadrunner, CVODE) agrees with `ketasim simulate`.

Same protocol, typical patient (``variability: false``): plasma concentrations within 1e-4 relative, every other
output of the vocabulary within 1e-3 of its range over the run. CVODE runs with tight tolerances, so it stands in
for the exact solution: a disagreement is an export error or an integration error of the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import libsbml
import numpy as np
import roadrunner

from ketasim.engine.grid import StepPolicy
from ketasim.io import jaxpr_to_mathml as jm
from ketasim.io.sbml import export_sbml
from ketasim.protocol import Protocol, build_protocol, load_protocol, observation_times
from ketasim.simulation.run import simulate
from ketasim.vocabulary import OUTPUTS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLASMA_RELATIVE = 1e-4
OTHER_OF_RANGE = 1e-3

# A ketamine-assisted psychotherapy course: twice-weekly intramuscular ketamine for three weeks with an integration
# session the day after each dose (IM boluses into a depot, clinic-visit and session signals, relapse after the last
# dose).
KAP_COURSE: dict[str, Any] = {
    "ketasim": 1,
    "name": "KAP course, three weeks",
    "duration": "3 w",
    "population": {"size": 1, "condition": "trd", "variability": False},
    "arms": [
        {
            "name": "kap",
            "treatments": [
                {"drug": "ketamine", "route": "im", "dose": "0.75 mg/kg", "at": ["0 d", "3 d", "7 d", "10 d", "14 d"]},
                {"therapy": "integration", "session": "90 min", "after_each_dose": "24 h"},
            ],
        }
    ],
    "observe": {"every": "3 h"},
}


def _roadrunner_outputs(protocol: Protocol, names: list[str]) -> np.ndarray:
    """(times, outputs) of the exported model simulated by libroadrunner at the protocol's observation times."""
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    runner = roadrunner.RoadRunner(export_sbml(protocol))
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-12
    runner.integrator.maximum_num_steps = 1_000_000
    result = runner.simulate(times=list(observation_times(protocol)), selections=names)
    return np.asarray(result)


def _disagreements(protocol: Protocol, policy: StepPolicy | None = None) -> dict[str, float]:
    """Worst disagreement of every output, as a fraction of its tolerance (pass: every value at most 1)."""
    dataset = simulate(protocol, policy=policy)
    names = [name for name in OUTPUTS if name in dataset]
    independent = _roadrunner_outputs(protocol, names)
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
    return fractions


def _assert_within(fractions: dict[str, float]) -> None:
    assert set(fractions) == set(OUTPUTS)
    failing = {name: round(f, 2) for name, f in fractions.items() if not f <= 1.0}
    assert not failing, f"outputs off by more than their tolerance (multiples of it): {failing}"


def test_single_infusion_matches_ketasim_simulate() -> None:
    _assert_within(_disagreements(load_protocol(EXAMPLES / "single-infusion.yaml")))


def test_kap_course_export_matches_the_converged_engine() -> None:
    """Doses, sessions and visits as events: the export agrees with the engine run at half its default steps."""
    _assert_within(_disagreements(build_protocol(KAP_COURSE), StepPolicy().scaled(0.5)))


def test_kap_course_matches_ketasim_simulate() -> None:
    """At the engine's default steps the export agrees within the spec's tolerances too."""
    _assert_within(_disagreements(build_protocol(KAP_COURSE)))


def test_every_vocabulary_output_has_its_id_and_every_unit_is_declared() -> None:

    document = libsbml.readSBMLFromString(export_sbml(build_protocol(KAP_COURSE)))
    model = document.getModel()
    assert (document.getLevel(), document.getVersion()) == (3, 2)
    assert model.getTimeUnits() == "hour"
    rules = {model.getRule(i).getVariable() for i in range(model.getNumRules())}
    assert set(OUTPUTS) <= rules
    defined = {model.getUnitDefinition(i).getId() for i in range(model.getNumUnitDefinitions())}
    for index in range(model.getNumParameters()):
        parameter = model.getParameter(index)
        if not parameter.getId().startswith("_x"):  # named intermediates of the traced formulas carry no unit
            assert parameter.getUnits() in defined | {"dimensionless"}, parameter.getId()
    assert model.getNumEvents() == 5 + 5 * 2 * 2  # doses; visit and session on/off
    assert document.checkConsistency() == 0 or all(
        document.getError(i).getSeverity() < libsbml.LIBSBML_SEV_ERROR for i in range(document.getNumErrors())
    )


MATRIX = jnp.array([[0.5, -1.0], [2.0, 0.25]])


def _sample(v: jax.Array) -> jax.Array:
    """Every kind of primitive the translator handles, on two inputs."""
    x, y = v[0], v[1]
    stacked = jnp.stack([x, y, x * y])
    scalars = jnp.stack(
        [
            jnp.where(x > y, jnp.exp(x), jnp.log1p(y**2)),
            jnp.clip(x, -0.5, 0.5),
            jax.nn.softplus(x - y),
            jax.nn.sigmoid(y),
            jnp.tanh(x) * jnp.sqrt(jnp.abs(y) + 1.0),
            jnp.expm1(x) / (1.0 + y**2),
            jnp.power(jnp.abs(x) + 1.0, 1.7),
            jnp.maximum(x, y) - jnp.minimum(x, y),
            jnp.sum(stacked[1:]),
            jnp.log(jnp.abs(x) + 0.1) * (x >= 0.0),
        ]
    )
    return jnp.concatenate([scalars, MATRIX @ v])


def test_translated_primitives_evaluate_as_in_jax() -> None:
    """The formulas of a traced function, evaluated by libroadrunner, equal JAX's values at random points."""

    graph = jm.Graph()
    closed, _ = jm.trace(_sample, jnp.zeros(2))
    (values,) = jm.evaluate(graph, closed, [jm.symbols(graph, np.array(["x0", "x1"], dtype=object))])
    writer = jm.FormulaWriter([(f"y{i}", v) for i, v in enumerate(values)])
    document = libsbml.SBMLDocument(3, 2)
    model = document.createModel()
    for name, formula in [("x0", None), ("x1", None), *writer.intermediates, *writer.formulas]:
        parameter = model.createParameter()
        parameter.setId(name)
        parameter.setValue(0.0)
        parameter.setConstant(formula is None)
        if formula is not None:
            rule = model.createAssignmentRule()
            rule.setVariable(name)
            rule.setMath(libsbml.parseL3Formula(formula))
    runner = roadrunner.RoadRunner(libsbml.writeSBMLToString(document))
    for point in np.random.default_rng(5).uniform(-2.0, 2.0, (20, 2)):
        runner.setValues(["x0", "x1"], point.tolist())
        translated = [runner.getValue(f"y{i}") for i in range(len(values))]
        np.testing.assert_allclose(translated, np.asarray(_sample(jnp.asarray(point))), rtol=1e-12, atol=1e-14)
