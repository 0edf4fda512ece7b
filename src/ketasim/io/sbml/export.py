"""Export the model of an arm's typical patient, with its doses and sessions, as SBML Level 3 Version 2.

The document is written from the model's declarations, not traced from compiled code:

* pharmacokinetics (`ketasim.models.pk` blocks): one compartment per volume (its size an initial assignment from
  the registry's typical volume and the patient's weight), one species per amount (µmol), one irreversible
  mass-action reaction per flow (distribution, elimination, metabolism, absorption, first pass, loss) whose rate
  constant is written from registry parameters and covariates, and a rate rule per brain effect site (effect
  sites take no mass from plasma);
* the stages of `ketasim.models.model`: every parameter named as in the registry (value, unit, and a MIRIAM
  reference to its source), every state a parameter with a rate rule, every quantity (the outputs of the
  vocabulary among them, with exactly their vocabulary ids) a parameter with an assignment rule, from the same
  equations the engine evaluates (`ketasim.models.math.FORMULAS`);
* doses and signals are events: a bolus adds its amount to its compartments, an infusion switches an input
  reaction on and off, a therapy session, clinic visit or pill sets its signal to 1 and back to 0.

Time is in hours, amounts in µmol, volumes in L. Every number carries a unit. Research and education tool; not
medical advice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.errors import UnsupportedError
from ketasim.io.sbml import units as u
from ketasim.io.sbml.mathml import MathWriter
from ketasim.models.compartments import Block
from ketasim.models.math import FORMULAS, Expr, symbol
from ketasim.models.model import individual_parameters
from ketasim.models.pk import COVARIATE_VALUES, UMOL_PER_MMOL, DoseKind, pk_blocks
from ketasim.models.signals import signal_intervals
from ketasim.parameters.registry import ParameterSet
from ketasim.population import Patients, make_patients
from ketasim.protocol import Protocol
from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.version import __version__
from ketasim.vocabulary import OUTPUTS, PLACEBO

SBO = {
    "parameter": "SBO:0000002",
    "compartment": "SBO:0000290",
    "species": "SBO:0000247",
    "distribution": "SBO:0000185",
    "absorption": "SBO:0000185",
    "elimination": "SBO:0000179",
    "loss": "SBO:0000179",
    "metabolism": "SBO:0000176",
    "first_pass": "SBO:0000176",
    "infusion": "SBO:0000393",
}
COVARIATE_UNITS = {
    "weight_kg": "kg",
    "female": "1",
    "cyp2b6_slow": "1",
    "clearance_deviate": "1",
    "central_volume_deviate": "1",
}
READOUT_UNITS = {"plasma": "ng/mL", "ce": "uM"}


def sbml_id(name: str) -> str:
    """An SBML id for a name of the model: letters, digits and underscores, not starting with a digit."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return text if re.match(r"[A-Za-z_]", text) else f"_{text}"


def typical_patient(protocol: Protocol, arm: int = 0) -> Patients:
    """The typical patient of the protocol's condition (no between-patient variability, no rater noise)."""
    population = protocol.population.model_copy(update={"variability": False})
    return make_patients(population, arm, 0, 1, protocol.seed)


@dataclass
class _Document:
    """A libsbml model under construction: ids, units and the writer of formulas."""

    libsbml: Any
    model: Any
    units: dict[str, u.Unit] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    unit_ids: dict[tuple[float, tuple[float, ...]], str] = field(default_factory=dict)

    def identify(self, name: str, unit: u.Unit) -> str:
        """Register a name of the model with its unit; return its SBML id (refusing clashes)."""
        sid = sbml_id(name)
        if sid in self.ids.values() and self.ids.get(name) != sid:
            raise UnsupportedError(f"two names of the model map to the SBML id {sid!r}")
        self.ids[name] = sid
        self.units[name] = unit
        return sid

    def unit_id(self, unit: u.Unit) -> str:
        """The id of a unit definition for ``unit``, created on first use."""
        key = (round(unit.factor, 12), unit.exponents)
        if unit.dimensionless and unit.factor == 1.0:
            return "dimensionless"
        if key not in self.unit_ids:
            uid = u.name(unit) or f"unit_{len(self.unit_ids)}"
            definition = self.model.createUnitDefinition()
            definition.setId(uid)
            for kind, exponent, multiplier in u.kinds(unit):
                element = definition.createUnit()
                element.setKind(self.libsbml.UnitKind_forName(kind))
                element.setExponent(exponent)
                element.setScale(0)
                element.setMultiplier(multiplier)
            self.unit_ids[key] = uid
        return self.unit_ids[key]

    @property
    def writer(self) -> MathWriter:
        return MathWriter(self.libsbml, self.units, self.ids, self.unit_id)

    def math(self, formula: Any, want: u.Unit | None = None) -> Any:
        return self.writer.write(formula, want)[0]


def _describe(element: Any, libsbml: Any, sbo: str, doi: str = "") -> None:
    element.setSBOTerm(sbo)
    if doi:
        element.setMetaId(f"meta_{element.getId()}")
        term = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
        term.setBiologicalQualifierType(libsbml.BQB_IS_DESCRIBED_BY)
        term.addResource(f"https://identifiers.org/doi:{doi}")
        element.addCVTerm(term)


def _parameter(
    doc: _Document, name: str, value: float, unit_text: str, constant: bool, meaning: str = "", doi: str = ""
) -> Any:
    unit = u.parse(unit_text)
    parameter = doc.model.createParameter()
    parameter.setId(doc.identify(name, unit))
    parameter.setValue(float(value))
    parameter.setUnits(doc.unit_id(unit))
    parameter.setConstant(constant)
    parameter.setName(name)
    if meaning:
        parameter.setNotes(_notes(meaning), True)
    _describe(parameter, doc.libsbml, SBO["parameter"], doi)
    return parameter


def _notes(text: str) -> str:
    """An XHTML notes body with ``text``."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{escaped}</p></body>'


def _registry_parameters(doc: _Document, pset: ParameterSet, names: list[str]) -> None:
    for name in names:
        parameter = pset.parameter(name)
        reference = pset.references.get(parameter.source)
        meaning = f"{parameter.note} (source: {parameter.source}; confidence {parameter.confidence})"
        _parameter(doc, name, parameter.value, parameter.unit, True, meaning, reference.doi if reference else "")


def _pk(doc: _Document, symbolic: list[Block]) -> None:
    """Compartments, species, reactions and effect sites of the pharmacokinetic blocks."""
    lib, model = doc.libsbml, doc.model
    depot = model.createCompartment()
    depot.setId("absorption_site")
    depot.setName("absorption_site")
    depot.setNotes(_notes("absorption depots (amounts only)"), True)
    depot.setSize(1.0)
    depot.setUnits("litre")
    depot.setSpatialDimensions(3)
    depot.setConstant(True)
    _describe(depot, lib, SBO["compartment"])
    for block in symbolic:
        for name, volume in block.compartments.items():
            where = "absorption_site"
            if volume is not None:
                compartment = model.createCompartment()
                where = doc.identify(f"{name}_volume", u.LITRE)
                compartment.setId(where)
                compartment.setName(where)
                compartment.setNotes(_notes(f"volume of {name}"), True)
                compartment.setSpatialDimensions(3)
                compartment.setUnits("litre")
                compartment.setConstant(True)
                compartment.setSize(1.0)
                _describe(compartment, lib, SBO["compartment"])
                assignment = model.createInitialAssignment()
                assignment.setSymbol(where)
                assignment.setMath(doc.math(volume, u.LITRE))
            species = model.createSpecies()
            species.setId(doc.identify(name, u.MICROMOLE))
            species.setName(doc.ids[name])
            species.setNotes(_notes(f"amount in {name}"), True)
            species.setCompartment(where)
            species.setInitialAmount(0.0)
            species.setHasOnlySubstanceUnits(True)
            species.setSubstanceUnits(doc.unit_id(u.MICROMOLE))
            species.setBoundaryCondition(False)
            species.setConstant(False)
            _describe(species, lib, SBO["species"])
        for follower in block.followers:
            _parameter(doc, follower.name, 0.0, "uM", False, "unbound brain effect-site concentration follows plasma")
    for block in symbolic:
        for number, flow in enumerate(block.flows):
            reaction = model.createReaction()
            reaction.setId(sbml_id(f"{block.name}_{flow.kind}_{number}"))
            reaction.setName(reaction.getId())
            reaction.setNotes(_notes(f"{flow.kind}: {flow.source} to {flow.target or 'out of the body'}"), True)
            reaction.setReversible(False)
            _describe(reaction, lib, SBO[flow.kind])
            reactant = reaction.createReactant()
            reactant.setSpecies(doc.ids[flow.source])
            reactant.setStoichiometry(1.0)
            reactant.setConstant(True)
            if flow.target is not None:
                product = reaction.createProduct()
                product.setSpecies(doc.ids[flow.target])
                product.setStoichiometry(1.0)
                product.setConstant(True)
            law = reaction.createKineticLaw()
            law.setMath(doc.math(Expr("times", (_as_expr(flow.rate_per_h), symbol(flow.source))), u.MICROMOLE / u.HOUR))
        for follower in block.followers:
            rule = model.createRateRule()
            rule.setVariable(doc.ids[follower.name])
            target = _as_expr(follower.gain) * symbol(follower.source) - symbol(follower.name)
            rule.setMath(doc.math(_as_expr(follower.rate_per_h) * target, u.MICROMOLE / u.LITRE / u.HOUR))


def _block_formulas(blocks: list[Block]) -> list[Expr]:
    """Every formula of the blocks: rate constants, volumes, effect-site gains and rates, readouts, doses."""
    values: list[Any] = [f.rate_per_h for b in blocks for f in b.flows]
    values += [volume for b in blocks for volume in b.compartments.values()]
    values += [x for b in blocks for f in b.followers for x in (f.gain, f.rate_per_h)]
    values += [w for b in blocks for _, _, w in b.readouts] + [a for b in blocks for _, _, a in b.doses]
    return [value for value in values if isinstance(value, Expr)]


def _as_expr(value: Any) -> Expr:
    return value if isinstance(value, Expr) else Expr("number", (float(value),))


def _readouts(doc: _Document, symbolic: list[Block], names: tuple[str, ...]) -> None:
    sums: dict[str, list[Expr]] = {name: [] for name in names}
    for block in symbolic:
        for name, state, weight in block.readouts:
            sums[name].append(_as_expr(weight) * symbol(state))
    for name in names:
        unit_text = READOUT_UNITS["ce" if name.startswith("ce_") else "plasma"]
        meaning = OUTPUTS[name].meaning if name in OUTPUTS else name
        _parameter(doc, name, 0.0, unit_text, False, meaning)
        terms = sums[name]
        formula: Expr = terms[0] if terms else Expr("number", (0.0,))
        for term in terms[1:]:
            formula = formula + term
        rule = doc.model.createAssignmentRule()
        rule.setVariable(doc.ids[name])
        rule.setMath(doc.math(formula, u.parse(unit_text)))


def _stages(doc: _Document, plan: ArmPlan, values: Mapping[str, np.ndarray]) -> None:
    """Parameters, states (rate rules) and quantities (assignment rules) of every stage."""
    composition = plan.composition
    registry = [n for n in composition.parameter_names() if n in plan.pset]
    derived = {q.name: q for stage in composition.stages for q in stage.derived_parameters()}
    _registry_parameters(doc, plan.pset, [n for n in registry if n not in doc.ids])
    for name, quantity in derived.items():
        _parameter(doc, name, float(values[name][0]), quantity.unit, True, quantity.meaning)
    for name in composition.signals:
        _parameter(doc, name, 0.0, "1", False, "1 while on (a therapy session, a clinic visit, a pill)")
    initial = composition.initial(FORMULAS, {n: symbol(n) for n in values})
    numeric_initial = {name: float(np.asarray(_evaluate(expr, values))) for name, expr in initial.items()}
    for state in composition.states:
        _parameter(doc, state.name, numeric_initial[state.name], state.unit, False, state.meaning)
    for quantity in composition.quantities:
        _parameter(doc, quantity.name, 0.0, quantity.unit, False, quantity.meaning)
    v = {name: symbol(name) for name in doc.ids}
    for stage in composition.stages:
        for name, formula in stage.values(FORMULAS, v).items():
            rule = doc.model.createAssignmentRule()
            rule.setVariable(doc.ids[name])
            rule.setMath(doc.math(formula, doc.units[name]))
        for name, formula in stage.rates(FORMULAS, v).items():
            rule = doc.model.createRateRule()
            rule.setVariable(doc.ids[name])
            rule.setMath(doc.math(formula, doc.units[name] / u.HOUR))


def _evaluate(expr: Any, values: Mapping[str, np.ndarray]) -> Any:
    """A formula's value (numbers only: initial states are products and sums of parameters)."""
    if not isinstance(expr, Expr):
        return expr
    if expr.op == "number":
        return expr.args[0]
    if expr.op == "symbol":
        return values[expr.args[0]][0]
    args = [_evaluate(a, values) for a in expr.args]
    operations = {"plus": np.add, "times": np.multiply, "divide": np.divide, "minus": np.subtract}
    if expr.op == "minus" and len(args) == 1:
        return -args[0]
    return operations[expr.op](*args)


def _events(doc: _Document, plan: ArmPlan, symbolic: list[Block]) -> None:
    """Doses and signals as events; infusions as input reactions switched by events.

    Where a unit of a dose goes comes from the blocks' dose formulas (µmol per mg, times the weight for doses
    per kg), so the export is right for a patient of any weight.
    """
    duration = float(plan.grid.times_h[-1])
    targets: dict[DoseKind, list[tuple[str, Expr]]] = {}
    for block in symbolic:
        for kind, compartment, amount in block.doses:
            targets.setdefault(kind, []).append((compartment, _as_expr(amount)))
    infusions: dict[DoseKind, str] = {}
    for number, dose in enumerate(plan.events.doses):
        if dose.drug == PLACEBO or dose.time_h > duration:
            continue
        kind = DoseKind(dose.drug, dose.route, dose.per_kg)
        dose_unit = u.parse("mg/kg" if kind.per_kg else "mg")
        if dose.infusion_h > 0:
            if kind not in infusions:
                infusions[kind] = _infusion(doc, kind, targets[kind])
            rate = _number(dose.amount / dose.infusion_h, dose_unit / u.HOUR)
            name = infusions[kind]
            _event(doc, f"dose{number}_start", dose.time_h, [(name, symbol(name) + rate)])
            _event(doc, f"dose{number}_end", dose.time_h + dose.infusion_h, [(name, symbol(name) - rate)])
        else:
            given = [(c, symbol(c) + _number(dose.amount, dose_unit) * amount) for c, amount in targets[kind]]
            _event(doc, f"dose{number}", dose.time_h, given)
    for signal, spans in sorted(signal_intervals(plan.events).items()):
        for number, (start, end) in enumerate(_merged(spans)):
            if start > duration:
                continue
            _event(doc, f"{signal}_{number}_on", start, [(signal, _number(1.0, u.DIMENSIONLESS))])
            _event(doc, f"{signal}_{number}_off", end, [(signal, _number(0.0, u.DIMENSIONLESS))])


def _number(value: float, unit: u.Unit) -> Expr:
    return Expr("unit_number", (float(value), unit))


def _infusion(doc: _Document, kind: DoseKind, targets: list[tuple[str, Expr]]) -> str:
    """An infusion rate parameter (dose units per hour) and one input reaction per target compartment."""
    dose_unit = u.parse("mg/kg" if kind.per_kg else "mg")
    name = f"infusion_{kind.drug}_{kind.route}{'_per_kg' if kind.per_kg else ''}"
    parameter = doc.model.createParameter()
    parameter.setId(doc.identify(name, dose_unit / u.HOUR))
    parameter.setName(parameter.getId())
    parameter.setValue(0.0)
    parameter.setUnits(doc.unit_id(dose_unit / u.HOUR))
    parameter.setConstant(False)
    parameter.setNotes(_notes(f"infusion rate of {kind.drug} by {kind.route}"), True)
    for number, (compartment, amount) in enumerate(targets):
        reaction = doc.model.createReaction()
        reaction.setId(sbml_id(f"{name}_{number}"))
        reaction.setName(reaction.getId())
        reaction.setNotes(_notes(f"{kind.drug} infused into {compartment}"), True)
        reaction.setReversible(False)
        _describe(reaction, doc.libsbml, SBO["infusion"])
        product = reaction.createProduct()
        product.setSpecies(doc.ids[compartment])
        product.setStoichiometry(1.0)
        product.setConstant(True)
        law = reaction.createKineticLaw()
        law.setMath(doc.math(symbol(name) * amount, u.MICROMOLE / u.HOUR))
    return doc.ids[name]


def _event(doc: _Document, name: str, time_h: float, assignments: list[tuple[str, Expr]]) -> None:
    lib = doc.libsbml
    event = doc.model.createEvent()
    event.setId(sbml_id(name))
    event.setUseValuesFromTriggerTime(True)
    trigger = event.createTrigger()
    trigger.setInitialValue(False)
    trigger.setPersistent(True)
    condition = lib.ASTNode(lib.AST_RELATIONAL_GEQ)
    clock = lib.ASTNode(lib.AST_NAME_TIME)
    clock.setName("time")
    at = lib.ASTNode(lib.AST_REAL)
    at.setValue(float(time_h))
    at.setUnits(doc.unit_id(u.HOUR))
    condition.addChild(clock)
    condition.addChild(at)
    trigger.setMath(condition)
    for variable, formula in assignments:
        assignment = event.createEventAssignment()
        sid = doc.ids.get(variable, sbml_id(variable))
        assignment.setVariable(sid)
        assignment.setMath(doc.math(formula, doc.units.get(variable)))


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching (start, end) spans joined."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _history(doc: _Document) -> None:
    lib = doc.libsbml
    history = lib.ModelHistory()
    creator = lib.ModelCreator()
    creator.setFamilyName("developers")
    creator.setGivenName("ketasim")
    creator.setOrganization(f"ketasim {__version__}")
    history.addCreator(creator)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    history.setCreatedDate(lib.Date(now))
    history.setModifiedDate(lib.Date(now))
    doc.model.setMetaId("ketasim_model")
    doc.model.setModelHistory(history)


def _libsbml() -> Any:
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise UnsupportedError("SBML export needs python-libsbml: pip install 'python-libsbml>=5.21'") from exc
    return libsbml


@configured
def export_sbml(protocol: Protocol, arm: int = 0) -> str:
    """The SBML Level 3 Version 2 document of the typical patient of ``arm``, with its doses and sessions.

    Raises
    ------
    UnsupportedError
        If the document is not valid SBML (libsbml's consistency and unit checks).
    """
    libsbml = _libsbml()
    plan = plan_arm(protocol, arm, StepPolicy())
    cohort = typical_patient(protocol, arm)
    document = libsbml.SBMLDocument(3, 2)
    model = document.createModel()
    model.setId(sbml_id(f"ketasim_{protocol.arms[arm].name}"))
    model.setName(f"ketasim {__version__}: {protocol.name}, arm {protocol.arms[arm].name}, typical patient")
    doc = _Document(libsbml, model)
    hour, micromole = doc.unit_id(u.HOUR), doc.unit_id(u.MICROMOLE)
    model.setTimeUnits(hour)
    model.setSubstanceUnits(micromole)
    model.setExtentUnits(micromole)
    model.setVolumeUnits("litre")
    _history(doc)
    symbolic_values: dict[str, Any] = {name: symbol(name) for name in plan.pset}
    symbolic_values.update({name: symbol(name) for name in (*COVARIATE_VALUES, "umol_per_mmol")})
    symbolic = pk_blocks(plan.catalogue, plan.routes, symbolic_values, 1.0)
    read = sorted(
        set().union(*(f.symbols() for f in _block_formulas(symbolic))) - set(symbolic_values).difference(plan.pset)
    )
    _registry_parameters(doc, plan.pset, read)
    for name in COVARIATE_VALUES:
        value = float(np.asarray(getattr(cohort, name)).ravel()[0])
        _parameter(doc, name, value, COVARIATE_UNITS[name], True, "covariate of the typical patient")
    _parameter(doc, "umol_per_mmol", UMOL_PER_MMOL, "umol/mmol", True, "unit conversion of doses to amounts")
    _pk(doc, symbolic)
    _readouts(doc, symbolic, plan.composition.readouts)
    _stages(doc, plan, individual_parameters(plan.composition, plan.pset, cohort))
    _events(doc, plan, symbolic)
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    failures = document.checkConsistency()
    problems = [document.getError(i) for i in range(document.getNumErrors())]
    serious = [
        p
        for p in problems
        if p.getSeverity() >= libsbml.LIBSBML_SEV_ERROR or p.getCategory() == libsbml.LIBSBML_CAT_UNITS_CONSISTENCY
    ]
    if failures and serious:
        raise UnsupportedError(f"the SBML export is inconsistent: {serious[0].getMessage().strip()}")
    return str(libsbml.writeSBMLToString(document))


def write_sbml(protocol: Protocol, path: str | Path, arm: int = 0) -> Path:
    """Write the SBML export of ``arm``'s typical patient to ``path`` (folders are created) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(export_sbml(protocol, arm), encoding="utf-8")
    return out
