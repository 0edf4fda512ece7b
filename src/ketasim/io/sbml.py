"""Export the model of an arm's typical patient, with its doses and sessions, as SBML Level 3 Version 2.

Nothing is written by hand, so the export cannot drift from the model:

* the linear part (PK compartments and effect sites) is read off the same `BlockBuilder` matrices the engine
  propagates exactly: one rate rule per compartment, one parameter per matrix entry (per hour);
* the nonlinear part (cascade, network, acute effects, symptoms) is *traced*: `BrainModel.derivative` and
  `BrainModel.observe` of one patient are turned into a jaxpr by `jax.make_jaxpr` and translated equation by
  equation into assignment and rate rules (`ketasim.io.jaxpr_to_mathml`);
* doses and signals are SBML events: a bolus adds its amount to its compartments at the dose time; an infusion
  switches a rate parameter on and off at its edges; each signal (a therapy session, a clinic visit, a pill) is a
  parameter set to 1 at the start of each of its intervals and to 0 at the end.

Every output of the vocabulary has exactly its vocabulary id (an assignment rule). Per-patient numbers of the
model (PK rate constants, readout weights, dose shares, the cascade's and symptom model's per-patient and shared
parameters) are named SBML parameters, so another patient is simulated by setting them (`parameter_values`); the
network surrogate's coefficients, being fixed per parameter set, are folded into the formulas. Time is in hours,
amounts in µmol, volumes in L. Research and education tool; not medical advice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.errors import UnsupportedError
from ketasim.io import jaxpr_to_mathml as jm
from ketasim.models import plasticity, symptoms
from ketasim.models.brain import BrainModel
from ketasim.models.pk import PK_READOUTS, DoseKind, PKSystem, build_pk
from ketasim.models.signals import signal_intervals
from ketasim.population import Patients, make_patients
from ketasim.protocol import Protocol
from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.version import __version__
from ketasim.vocabulary import OUTPUTS

STATE_NAMES: tuple[str, ...] = plasticity.STATE_NAMES + symptoms.STATE_NAMES
"""Ids of the nonlinear states, in the order of `BrainModel.initial_state`."""

CONSTANT_FIELDS: tuple[str, ...] = ("table",)
"""Fields of `BrainModel` folded into the formulas as numbers (the network surrogate, fixed per parameter set)."""

# unit id -> (kind, exponent, scale, multiplier) factors
UNITS: dict[str, tuple[tuple[str, float, int, float], ...]] = {
    "hour": (("second", 1, 0, 3600.0),),
    "per_hour": (("second", -1, 0, 1 / 3600.0),),
    "umol": (("mole", 1, -6, 1.0),),
    "umol_per_litre": (("mole", 1, -6, 1.0), ("litre", -1, 0, 1.0)),
    "per_litre_per_hour": (("litre", -1, 0, 1.0), ("second", -1, 0, 1 / 3600.0)),
    "litre_per_hour": (("litre", 1, 0, 1.0), ("second", -1, 0, 1 / 3600.0)),
    "ng_per_ml": (("gram", 1, -9, 1.0), ("litre", -1, -3, 1.0)),
    "ng_per_ml_per_umol": (("gram", 1, -9, 1.0), ("litre", -1, -3, 1.0), ("mole", -1, -6, 1.0)),
    "mg": (("gram", 1, -3, 1.0),),
    "mg_per_kg": (("gram", 1, -3, 1.0), ("kilogram", -1, 0, 1.0)),
    "mg_per_hour": (("gram", 1, -3, 1.0), ("second", -1, 0, 1 / 3600.0)),
    "mg_per_kg_per_hour": (("gram", 1, -3, 1.0), ("kilogram", -1, 0, 1.0), ("second", -1, 0, 1 / 3600.0)),
    "umol_per_mg": (("mole", 1, -6, 1.0), ("gram", -1, -3, 1.0)),
    "umol_per_mg_per_kg": (("mole", 1, -6, 1.0), ("gram", -1, -3, 1.0), ("kilogram", 1, 0, 1.0)),
    "mmHg": (("kilogram", 1, 0, 133.322387415), ("metre", -1, 0, 1.0), ("second", -2, 0, 1.0)),
    "mmHg_per_ng_per_ml": (
        ("kilogram", 1, 0, 133.322387415),
        ("metre", -1, 0, 1.0),
        ("second", -2, 0, 1.0),
        ("gram", -1, -9, 1.0),
        ("litre", 1, -3, 1.0),
    ),
}
_VOCABULARY_UNITS = {"ng/mL": "ng_per_ml", "mmHg": "mmHg"}
_LEAF_SUFFIX_UNITS = (
    ("_mmhg_per_ng_per_ml", "mmHg_per_ng_per_ml"),
    ("_ng_per_ml", "ng_per_ml"),
    ("_per_h", "per_hour"),
    ("_mmhg", "mmHg"),
    ("_um", "umol_per_litre"),
    ("_h", "hour"),
)


@dataclass(frozen=True)
class ArmExport:
    """What the export of one arm is built from: the arm's plan and the PK and brain models of a cohort."""

    plan: ArmPlan
    cohort: Patients
    pk: PKSystem
    brain: BrainModel


def typical_patient(protocol: Protocol, arm: int = 0) -> Patients:
    """The typical patient of the protocol's condition (no between-patient variability, no rater noise)."""
    population = protocol.population.model_copy(update={"variability": False})
    return make_patients(population, arm, 0, 1, protocol.seed)


@configured
def prepare(protocol: Protocol, arm: int = 0, cohort: Patients | None = None) -> ArmExport:
    """Plan the arm and build its models for ``cohort`` (default: the typical patient)."""
    plan = plan_arm(protocol, arm, StepPolicy())
    patients = cohort if cohort is not None else typical_patient(protocol, arm)
    return ArmExport(plan, patients, build_pk(plan.pset, patients, plan.routes), BrainModel.build(plan.pset, patients))


# --- the linear part ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearPart:
    """The PK compartments as named states and parameters.

    Attributes
    ----------
    states
        State id -> unit id (``umol`` for amounts, ``umol_per_litre`` for effect sites), in block order.
    terms
        State id -> [(parameter id, source state id, sign)]: d(state)/dt = Σ sign · parameter · source.
    doses
        Dose kind -> [(parameter id, state id)]: one unit of the kind adds parameter µmol (or µM) to the state.
    readouts
        Readout id -> [(weight parameter id, state id)]: readout = Σ weight · state.
    values
        Parameter id -> (patients,) values.
    units
        Parameter id -> unit id.
    """

    states: dict[str, str]
    terms: dict[str, list[tuple[str, str, float]]]
    doses: dict[DoseKind, list[tuple[str, str]]]
    readouts: dict[str, list[tuple[str, str]]]
    values: dict[str, np.ndarray]
    units: dict[str, str]


def _block_labels(pk: PKSystem) -> list[str]:
    """A readable label per block: its drug, and the enantiomer whose effect site it holds (``ketamine_s``)."""
    labels: list[str] = []
    for block in range(len(pk.blocks)):
        drugs = sorted({k.drug for k, entries in pk.kind_entries.items() for b, _, _ in entries if b == block})
        enantiomers = sorted(
            {
                match.group(1)
                for name, entries in pk.readout_entries.items()
                if (match := re.fullmatch(r"ce_([a-z])_ketamine_um", name))
                for b, _, _ in entries
                if b == block
            }
        )
        label = "_".join(drugs + enantiomers) or f"block{block}"
        labels.append(label if label not in labels else f"{label}_{block}")
    return labels


_RATE_UNITS = {
    ("umol", "umol"): "per_hour",
    ("umol_per_litre", "umol_per_litre"): "per_hour",
    ("umol_per_litre", "umol"): "per_litre_per_hour",
    ("umol", "umol_per_litre"): "litre_per_hour",
}


def _dose_unit(kind: DoseKind) -> str:
    return "mg_per_kg" if kind.per_kg else "mg"


def linear_part(pk: PKSystem, kinds: Sequence[DoseKind], template: PKSystem | None = None) -> LinearPart:
    """Name the states, matrix entries, dose shares and readout weights of ``pk`` (any number of patients).

    The sink compartment ``eliminated`` (the first of every `BlockBuilder`) is left out: nothing leaves it and
    nothing reads it. A compartment whose
    column of the matrix sums below zero loses more than it passes on: it follows a source without taking mass
    from it (an effect site, µM); every other compartment holds an amount (µmol).
    ``template`` (default ``pk``) fixes which entries exist; raises `UnsupportedError` if ``pk`` has others.
    """
    template = template or pk
    labels = _block_labels(template)
    states: dict[str, str] = {}
    terms: dict[str, list[tuple[str, str, float]]] = {}
    values: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    ids: list[list[str]] = []
    for block, (builder, reference) in enumerate(zip(pk.blocks, template.blocks, strict=True)):
        matrix, pattern = builder.matrix(), reference.matrix()[0] != 0.0
        if np.any((matrix != 0.0) & ~pattern):
            raise UnsupportedError(f"PK block {labels[block]} of a patient has flows the template patient lacks")
        names = [f"{labels[block]}_{name}" for name in builder.names]
        ids.append(names)
        columns = reference.matrix()[0]
        follower = columns.sum(axis=0) < -1e-9 * np.abs(columns).max(axis=0)
        for index in range(1, len(names)):
            states[names[index]] = "umol_per_litre" if follower[index] else "umol"
            terms[names[index]] = []
        for row, col in zip(*np.nonzero(pattern), strict=True):
            if row == 0:
                continue
            target, source = names[row], names[col]
            if row == col:
                parameter, sign = f"k_{source}_loss", -1.0
            else:
                parameter, sign = f"k_{source}_to_{builder.names[row]}", 1.0
            values[parameter] = sign * matrix[:, row, col]
            units[parameter] = _RATE_UNITS[(states[target], states[source])]
            terms[target].append((parameter, source, sign))
    doses: dict[DoseKind, list[tuple[str, str]]] = {}
    for kind in kinds:
        entries: dict[str, tuple[str, np.ndarray]] = {}
        for block, compartment, amount in pk.kind_entries[kind]:
            state = ids[block][template.blocks[block].index(compartment)]
            parameter = f"dose_{kind.drug}_{kind.route}_{_dose_unit(kind)}_to_{state}"
            previous = entries.get(state, (parameter, 0.0))[1]
            entries[state] = (parameter, previous + np.asarray(amount, dtype=float))
        doses[kind] = []
        for state, (parameter, amount) in entries.items():
            values[parameter] = amount
            units[parameter] = f"umol_per_{_dose_unit(kind)}"
            doses[kind].append((parameter, state))
    readouts: dict[str, list[tuple[str, str]]] = {}
    for name in PK_READOUTS:
        readouts[name] = []
        for block, compartment, weight in pk.readout_entries.get(name, []):
            state = ids[block][template.blocks[block].index(compartment)]
            parameter = f"w_{name}_{state}"
            values[parameter] = np.asarray(weight, dtype=float) * np.ones(pk.blocks[block].patients)
            units[parameter] = "ng_per_ml_per_umol" if name.startswith("plasma_") else "dimensionless"
            readouts[name].append((parameter, state))
    return LinearPart(states, terms, doses, readouts, values, units)


# --- the nonlinear part ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafName:
    """How one leaf of `BrainModel` is named: SBML id stem, unit, and whether its first axis is the patient."""

    index: int
    stem: str
    unit: str
    per_patient: bool
    shape: tuple[int, ...]

    def element_ids(self) -> list[tuple[str, tuple[int, ...]]]:
        """(id, index within one patient's or the shared value) of every element."""
        shape = self.shape[1:] if self.per_patient else self.shape
        if int(np.prod(shape)) == 1:
            return [(self.stem, (0,) * len(shape))]
        return [(f"{self.stem}_{'_'.join(map(str, i))}", i) for i in np.ndindex(shape)]


def _path_names(path: Sequence[Any]) -> list[str]:
    names = []
    for key in path:
        for attribute in ("name", "key", "idx"):
            if hasattr(key, attribute):
                names.append(str(getattr(key, attribute)))
                break
    return names


def _leaf_unit(path: Sequence[Any]) -> str:
    attributes = [str(key.name) for key in path if hasattr(key, "name")]
    field = attributes[-1] if attributes else ""
    for suffix, unit in _LEAF_SUFFIX_UNITS:
        if field.endswith(suffix):
            return unit
    return "dimensionless"


def leaf_names(model: BrainModel) -> list[LeafName]:
    """Names of the model's parameter leaves (all but `CONSTANT_FIELDS`), from a single-patient model."""
    named = []
    for index, (path, leaf) in enumerate(jax.tree_util.tree_flatten_with_path(model)[0]):
        parts = _path_names(path)
        if parts and parts[0] in CONSTANT_FIELDS:
            continue
        shape = tuple(np.shape(leaf))
        stem = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(p.removesuffix("_parameters") for p in parts))
        named.append(LeafName(index, stem, _leaf_unit(path), bool(shape) and shape[0] == model.patients, shape))
    return named


def leaf_values(model: BrainModel, names: Sequence[LeafName]) -> dict[str, np.ndarray]:
    """(patients,) values of every named leaf element of ``model`` (a model of any number of patients)."""
    leaves = [leaf for _, leaf in jax.tree_util.tree_flatten_with_path(model)[0]]
    values: dict[str, np.ndarray] = {}
    for name in names:
        leaf = np.asarray(leaves[name.index], dtype=float)
        per_patient = name.per_patient and leaf.shape[:1] == (model.patients,)
        rows = (
            leaf.reshape(model.patients, -1)
            if per_patient
            else np.broadcast_to(leaf.reshape(1, -1), (model.patients, leaf.size))
        )
        shape = leaf.shape[1:] if per_patient else leaf.shape
        for element, position in name.element_ids():
            values[element] = rows[:, int(np.ravel_multi_index(position, shape)) if shape else 0].copy()
    return values


@dataclass(frozen=True)
class NonlinearPart:
    """The traced nonlinear model: rate rules of the states, formulas of the outputs, named intermediates."""

    rates: list[tuple[str, str]]
    outputs: list[tuple[str, str]]
    intermediates: list[tuple[str, str]]
    leaves: list[LeafName]
    values: dict[str, np.ndarray]
    units: dict[str, str]
    initial: dict[str, float]


def nonlinear_part(model: BrainModel) -> NonlinearPart:
    """Trace a single-patient `BrainModel` into SBML formulas over the named leaves, readouts and signals."""
    if model.patients != 1:
        raise UnsupportedError("the SBML export traces one patient; build the model for a single patient")
    initial = np.asarray(model.initial_state())[0]
    if initial.size != len(STATE_NAMES):
        raise UnsupportedError(f"BrainModel has {initial.size} states; the export names {len(STATE_NAMES)}")
    flat, treedef = jax.tree_util.tree_flatten_with_path(model)
    leaves = [leaf for _, leaf in flat]
    names = leaf_names(model)

    def function(named: list[Any], state: jax.Array, readouts: dict[str, jax.Array], signals: jax.Array) -> Any:
        values = list(leaves)
        for name, value in zip(names, named, strict=True):
            values[name.index] = value
        rebuilt = jax.tree_util.tree_unflatten(treedef, values)
        return rebuilt.derivative(state, readouts, signals), rebuilt.observe(state, readouts)

    examples = (
        [jnp.asarray(leaves[n.index]) for n in names],
        jnp.asarray(model.initial_state()),
        {r: jnp.zeros(1) for r in PK_READOUTS},
        jnp.zeros(len(symptoms.SIGNAL_NAMES)),
    )
    closed, out_tree = jm.trace(function, *examples)
    graph = jm.Graph()
    symbolic = (
        [_leaf_symbols(graph, n) for n in names],
        jm.symbols(graph, np.array([list(STATE_NAMES)], dtype=object)),
        {r: jm.symbols(graph, np.array([r], dtype=object)) for r in PK_READOUTS},
        jm.symbols(graph, np.array([_sid(s) for s in symptoms.SIGNAL_NAMES], dtype=object)),
    )
    results = jm.evaluate(graph, closed, jax.tree_util.tree_leaves(symbolic))
    derivative, observed = jax.tree_util.tree_unflatten(out_tree, results)
    roots = [(state, derivative[0, i]) for i, state in enumerate(STATE_NAMES)]
    roots += [(output, observed[output].reshape(-1)[0]) for output in model.output_names]
    writer = jm.FormulaWriter(roots, assigned=model.output_names)
    rates = writer.formulas[: len(STATE_NAMES)]
    outputs = writer.formulas[len(STATE_NAMES) :]
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(f for _, f in writer.formulas + writer.intermediates)))
    values = {k: v for k, v in leaf_values(model, names).items() if k in used}
    units = {e: n.unit for n in names for e, _ in n.element_ids() if e in values}
    return NonlinearPart(
        rates,
        outputs,
        writer.intermediates,
        names,
        values,
        units,
        {s: float(v) for s, v in zip(STATE_NAMES, initial, strict=True)},
    )


def _leaf_symbols(graph: jm.Graph, name: LeafName) -> np.ndarray:
    ids = np.array([element for element, _ in name.element_ids()], dtype=object)
    return jm.symbols(graph, ids.reshape(name.shape))


# --- values for any patient --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientValues:
    """Per-patient numbers of an exported model: constant parameters and the initial values of the states.

    Attributes
    ----------
    parameters
        SBML id -> (patients,) value of every constant parameter the export defines from the patient.
    initial
        SBML id -> (patients,) untreated initial value of every nonlinear state (PK states start at 0).
    """

    parameters: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]


def parameter_values(export: ArmExport, template: ArmExport) -> PatientValues:
    """The values of ``template``'s SBML parameters and initial states for every patient of ``export``'s cohort.

    ``template`` is the single-patient export whose SBML is simulated (same protocol and arm); ``export`` holds
    any cohort. To run patient i from the one SBML file: set the parameters, reset the simulator to time 0 (so
    the doses and sessions at time 0 are applied with the patient's values), then set the initial states.
    """
    used = nonlinear_part(template.brain).values
    parameters = dict(linear_part(export.pk, export.plan.kinds, template.pk).values)
    parameters.update({k: v for k, v in leaf_values(export.brain, leaf_names(template.brain)).items() if k in used})
    initial = np.asarray(export.brain.initial_state())
    return PatientValues(parameters, {state: initial[:, i] for i, state in enumerate(STATE_NAMES)})


# --- the document ------------------------------------------------------------------------------------------------


def _merged(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


class _Writer:
    """Adds units, parameters, rules and events to a libsbml model, checking every id and formula."""

    def __init__(self, libsbml: Any, model: Any) -> None:
        self.libsbml = libsbml
        self.model = model
        self.ids: set[str] = set()

    def math(self, formula: str) -> Any:
        ast = self.libsbml.parseL3Formula(formula)
        if ast is None:
            raise UnsupportedError(f"SBML formula not understood ({self.libsbml.getLastParseL3Error()}): {formula}")
        return ast

    def unit(self, unit_id: str, factors: Sequence[tuple[str, float, int, float]]) -> None:
        definition = self.model.createUnitDefinition()
        definition.setId(unit_id)
        for kind, exponent, scale, multiplier in factors:
            unit = definition.createUnit()
            unit.setKind(self.libsbml.UnitKind_forName(kind))
            unit.setExponent(float(exponent))
            unit.setScale(int(scale))
            unit.setMultiplier(float(multiplier))

    def parameter(self, pid: str, value: float, unit: str | None, constant: bool, name: str = "") -> None:
        if pid in self.ids:
            raise UnsupportedError(f"SBML id {pid!r} would be defined twice")
        self.ids.add(pid)
        parameter = self.model.createParameter()
        parameter.setId(pid)
        parameter.setValue(float(value))
        parameter.setConstant(constant)
        if unit is not None:
            parameter.setUnits(unit)
        if name:
            parameter.setName(name)

    def rate_rule(self, variable: str, formula: str) -> None:
        rule = self.model.createRateRule()
        rule.setVariable(variable)
        rule.setMath(self.math(formula))

    def assignment_rule(self, variable: str, formula: str) -> None:
        rule = self.model.createAssignmentRule()
        rule.setVariable(variable)
        rule.setMath(self.math(formula))

    def event(self, eid: str, time_h: float, assignments: Sequence[tuple[str, str]]) -> None:
        event = self.model.createEvent()
        event.setId(eid)
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        trigger.setMath(self.math(f"time >= {float(time_h)!r}"))
        for variable, formula in assignments:
            assignment = event.createEventAssignment()
            assignment.setVariable(variable)
            assignment.setMath(self.math(formula))


def _libsbml() -> Any:
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise UnsupportedError("SBML export needs python-libsbml: pip install 'python-libsbml>=5.21'") from exc
    return libsbml


@configured
def export_sbml(protocol: Protocol, arm: int = 0) -> str:
    """The SBML Level 3 Version 2 document of the typical patient of ``arm``, with its doses and sessions."""
    return document_text(prepare(protocol, arm), protocol)


def document_text(export: ArmExport, protocol: Protocol) -> str:
    """The SBML text of a single-patient `ArmExport`."""
    libsbml = _libsbml()
    linear = linear_part(export.pk, export.plan.kinds)
    nonlinear = nonlinear_part(export.brain)
    document = libsbml.SBMLDocument(3, 2)
    model = document.createModel()
    model.setId("ketasim_" + re.sub(r"[^A-Za-z0-9_]", "_", protocol.arms[export.plan.index].name))
    model.setName(f"{protocol.name}: arm {protocol.arms[export.plan.index].name}, typical patient")
    model.setNotes(
        '<body xmlns="http://www.w3.org/1999/xhtml"><p>'
        f"Exported by ketasim {__version__} from the protocol '{_escape(protocol.name)}', arm "
        f"'{_escape(protocol.arms[export.plan.index].name)}', typical patient. Time in hours, amounts in umol, "
        "volumes in L, concentrations in ng/mL (outputs) and uM (effect sites). "
        "Research and education tool; not medical advice.</p></body>"
    )
    model.setTimeUnits("hour")
    model.setSubstanceUnits("umol")
    model.setExtentUnits("umol")
    model.setVolumeUnits("litre")
    writer = _Writer(libsbml, model)
    for unit_id, factors in UNITS.items():
        writer.unit(unit_id, factors)
    _add_linear(writer, linear, export)
    _add_nonlinear(writer, nonlinear)
    _add_events(writer, linear, export)
    errors = [
        document.getError(i).getMessage()
        for i in range(document.checkInternalConsistency())
        if document.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if errors:
        raise UnsupportedError(f"the SBML export is inconsistent: {errors[0]}")
    return str(libsbml.writeSBMLToString(document))


def _sid(name: str) -> str:
    """An SBML id for a name of the model (letters, digits and underscores only)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


def _add_linear(writer: _Writer, linear: LinearPart, export: ArmExport) -> None:
    for state, unit in linear.states.items():
        writer.parameter(state, 0.0, unit, constant=False)
    for parameter, value in linear.values.items():
        writer.parameter(parameter, float(value[0]), linear.units[parameter], constant=True)
    for kind in export.plan.kinds:
        writer.parameter(_infusion_id(kind), 0.0, f"{_dose_unit(kind)}_per_hour", constant=False)
    inputs: dict[str, list[str]] = {}
    for kind, shares in linear.doses.items():
        for parameter, state in shares:
            inputs.setdefault(state, []).append(f"{_infusion_id(kind)} * {parameter}")
    for state, terms in linear.terms.items():
        parts = [f"{'-' if sign < 0 else '+'} {parameter} * {source}" for parameter, source, sign in terms]
        parts += [f"+ {term}" for term in inputs.get(state, [])]
        writer.rate_rule(state, " ".join(parts).removeprefix("+ ") or "0")
    for readout, weights in linear.readouts.items():
        unit = "ng_per_ml" if readout.startswith("plasma_") else "umol_per_litre"
        meaning = OUTPUTS[readout].meaning if readout in OUTPUTS else f"linear readout {readout}"
        writer.parameter(readout, 0.0, unit, constant=False, name=meaning)
        writer.assignment_rule(readout, " + ".join(f"{w} * {s}" for w, s in weights) or "0")


def _infusion_id(kind: DoseKind) -> str:
    return f"infusion_{kind.drug}_{kind.route}_{_dose_unit(kind)}"


def _add_nonlinear(writer: _Writer, nonlinear: NonlinearPart) -> None:
    for signal in symptoms.SIGNAL_NAMES:
        writer.parameter(_sid(signal), 0.0, "dimensionless", constant=False, name=f"signal {signal} (1 while on)")
    for element, value in nonlinear.values.items():
        writer.parameter(element, float(value[0]), nonlinear.units[element], constant=True)
    for state, formula in nonlinear.rates:
        writer.parameter(state, nonlinear.initial[state], "dimensionless", constant=False)
        writer.rate_rule(state, formula)
    for name, formula in nonlinear.intermediates:
        writer.parameter(name, 0.0, None, constant=False)
        writer.assignment_rule(name, formula)
    for output, formula in nonlinear.outputs:
        info = OUTPUTS.get(output)
        unit = _VOCABULARY_UNITS.get(info.unit, "dimensionless") if info else "dimensionless"
        writer.parameter(output, 0.0, unit, constant=False, name=info.meaning if info else output)
        writer.assignment_rule(output, formula)


def _add_events(writer: _Writer, linear: LinearPart, export: ArmExport) -> None:
    duration = float(export.plan.grid.times_h[-1])
    for number, dose in enumerate(export.plan.events.doses):
        if dose.drug == "placebo" or dose.time_h > duration:
            continue
        kind = DoseKind(dose.drug, dose.route, dose.per_kg)
        if dose.infusion_h > 0:
            rate = dose.amount / dose.infusion_h
            infusion = _infusion_id(kind)
            writer.event(f"dose{number}_start", dose.time_h, [(infusion, f"{infusion} + {rate!r}")])
            writer.event(f"dose{number}_end", dose.time_h + dose.infusion_h, [(infusion, f"{infusion} - {rate!r}")])
        else:
            shares = linear.doses[kind]
            writer.event(f"dose{number}", dose.time_h, [(s, f"{s} + {float(dose.amount)!r} * {p}") for p, s in shares])
    for signal, spans in sorted(signal_intervals(export.plan.events).items()):
        for number, (start, end) in enumerate(_merged(spans)):
            if start > duration:
                continue
            writer.event(f"{_sid(signal)}_{number}_on", start, [(_sid(signal), "1")])
            writer.event(f"{_sid(signal)}_{number}_off", end, [(_sid(signal), "0")])


def write_sbml(protocol: Protocol, path: str | Path, arm: int = 0) -> Path:
    """Write the SBML export of ``arm``'s typical patient to ``path`` (folders are created) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(export_sbml(protocol, arm), encoding="utf-8")
    return out
