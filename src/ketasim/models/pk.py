"""Pharmacokinetics of every drug and route as independent linear compartment blocks.

Ketamine products are modelled per enantiomer (racemic ketamine = 50 % S + 50 % R; esketamine = S;
arketamine = R): a three-compartment parent, a two-compartment N-demethylated metabolite
(norketamine), one absorption depot per extravascular route whose outflow splits into parent
(bioavailability), metabolite formed by first pass, and loss; and an effect site per species with
its own equilibration half-life. Midazolam is two-compartment, escitalopram one-compartment, each
with absorption depots. Amounts are in µmol, volumes in L, so concentrations are in µM;
ng/mL = µM × molar mass.

Covariates: allometric weight scaling, CYP2B6 slow metabolisers (lower ketamine clearance) and sex
(higher S-ketamine and S-norketamine clearance in women).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ketasim.errors import ParameterError
from ketasim.models.compartments import BlockBuilder
from ketasim.parameters.registry import ParameterSet
from ketasim.population.patients import Patients

KETAMINE_PRODUCTS = {"ketamine": (("s", 0.5), ("r", 0.5)), "esketamine": (("s", 1.0),), "arketamine": (("r", 1.0),)}
EXTRAVASCULAR = ("im", "sc", "intranasal", "oral", "sublingual")

# parameter prefixes of each (product, enantiomer): parent, metabolite
SPECIES_PREFIXES = {
    ("ketamine", "s"): ("ketamine_s", "norketamine_s"),
    ("ketamine", "r"): ("ketamine_r", "norketamine_r"),
    ("esketamine", "s"): ("esketamine", "noresketamine"),
    ("arketamine", "r"): ("ketamine_r", "norketamine_r"),
}

EFFECT_SITE_READOUTS = ("ce_s_ketamine_um", "ce_r_ketamine_um", "ce_s_norketamine_um", "ce_r_norketamine_um")
PK_READOUTS = (
    "plasma_ketamine",
    "plasma_norketamine",
    *EFFECT_SITE_READOUTS,
    "plasma_midazolam",
    "plasma_escitalopram",
)


@dataclass(frozen=True)
class DoseKind:
    """Doses that put the same amount in the same places: drug, route and whether the amount is per kg."""

    drug: str
    route: str
    per_kg: bool


@dataclass
class PKSystem:
    """The assembled linear blocks, where each dose kind goes, and the readouts, for a batch of patients."""

    blocks: list[BlockBuilder] = field(default_factory=list)
    kind_entries: dict[DoseKind, list[tuple[int, str, np.ndarray]]] = field(default_factory=dict)
    readout_entries: dict[str, list[tuple[int, str, np.ndarray]]] = field(default_factory=dict)

    def put(self, kind: DoseKind, block: int, compartment: str, umol_per_unit: np.ndarray) -> None:
        """Record that one unit of ``kind`` adds ``umol_per_unit`` to ``compartment`` of ``block``."""
        self.kind_entries.setdefault(kind, []).append((block, compartment, umol_per_unit))

    def read(self, name: str, block: int, compartment: str, weight: np.ndarray) -> None:
        """Add ``weight`` × amount of ``compartment`` to readout ``name``."""
        self.readout_entries.setdefault(name, []).append((block, compartment, weight))


@dataclass(frozen=True)
class Individual:
    """Per-patient scaling of typical PK values."""

    weight_ratio: np.ndarray
    clearance_exponent: float
    volume_exponent: float
    ketamine_clearance_factor: np.ndarray
    s_clearance_factor: np.ndarray

    def clearance(self, typical: float) -> np.ndarray:
        """A clearance or inter-compartmental flow for each patient, L/h."""
        return typical * self.weight_ratio**self.clearance_exponent

    def volume(self, typical: float) -> np.ndarray:
        """A volume for each patient, L."""
        return typical * self.weight_ratio**self.volume_exponent


def individual(pset: ParameterSet, patients: Patients) -> Individual:
    """Covariate effects on the typical values for each patient."""
    slow = pset["cyp2b6_slow_clearance_factor"]
    female = pset["female_clearance_factor"]
    return Individual(
        weight_ratio=patients.weight_kg / pset["reference_weight_kg"],
        clearance_exponent=pset["allometric_clearance_exponent"],
        volume_exponent=pset["allometric_volume_exponent"],
        ketamine_clearance_factor=1.0 + patients.cyp2b6_slow * (slow - 1.0),
        s_clearance_factor=1.0 + patients.female * (female - 1.0),
    )


def _route_split(pset: ParameterSet, product: str, route: str) -> tuple[float, float, float]:
    """Bioavailability, first-pass fraction to metabolite and absorption rate of an extravascular route."""
    bioavailability = pset[f"{product}_{route}_bioavailability"]
    first_pass_name = f"{product}_{route}_first_pass_to_norketamine"
    first_pass = pset[first_pass_name] if first_pass_name in pset.parameters else 0.0
    return bioavailability, first_pass, pset[f"{product}_{route}_absorption_rate_per_h"]


def _add_depot(b: BlockBuilder, name: str, bioavailability: float, first_pass: float, rate: float) -> str:
    """Add an absorption depot whose outflow splits into parent, first-pass metabolite and loss."""
    if name in b.names:
        return name
    if bioavailability < 0 or first_pass < 0 or bioavailability + first_pass > 1.0 + 1e-12:
        raise ParameterError(
            f"{name}: bioavailability and first pass to norketamine must be fractions adding to 1 or less"
        )
    b.add(name)
    b.flow(name, "central", bioavailability * rate)
    if first_pass > 0:
        b.flow(name, "metabolite", first_pass * rate)
    b.flow(name, None, max(0.0, 1.0 - bioavailability - first_pass) * rate)
    return name


def _route_targets(b: BlockBuilder, pset: ParameterSet, product: str, route: str) -> list[tuple[str, float]]:
    """Where a dose of ``route`` goes: (compartment, share of the dose) pairs.

    An intranasal dose with a swallowed fraction s is split: s goes to the oral depot, the rest to a nasal
    depot whose parent and first-pass fractions are what remains of the route totals after the swallowed part.
    """
    if route == "iv":
        return [("central", 1.0)]
    bioavailability, first_pass, rate = _route_split(pset, product, route)
    swallowed_name = f"{product}_{route}_swallowed_fraction"
    if route != "intranasal" or swallowed_name not in pset.parameters:
        return [(_add_depot(b, f"depot_{route}", bioavailability, first_pass, rate), 1.0)]
    swallowed = pset[swallowed_name]
    oral_f, oral_fp, oral_rate = _route_split(pset, product, "oral")
    nasal_f = (bioavailability - swallowed * oral_f) / (1.0 - swallowed)
    nasal_fp = (first_pass - swallowed * oral_fp) / (1.0 - swallowed)
    return [
        (_add_depot(b, "depot_intranasal", nasal_f, max(0.0, nasal_fp), rate), 1.0 - swallowed),
        (_add_depot(b, "depot_oral", oral_f, oral_fp, oral_rate), swallowed),
    ]


def _ketamine_block(
    system: PKSystem,
    pset: ParameterSet,
    ind: Individual,
    patients: Patients,
    product: str,
    enantiomer: str,
    fraction: float,
    routes: set[str],
) -> None:
    parent, metabolite = SPECIES_PREFIXES[(product, enantiomer)]
    b = BlockBuilder(patients.count)
    block = len(system.blocks)
    sex = ind.s_clearance_factor if enantiomer == "s" else np.ones(patients.count)
    clearance = ind.clearance(pset[f"{parent}_clearance_l_per_h"]) * ind.ketamine_clearance_factor * sex
    v1 = ind.volume(pset[f"{parent}_central_volume_l"])
    v2 = ind.volume(pset[f"{parent}_peripheral1_volume_l"])
    v3 = ind.volume(pset[f"{parent}_peripheral2_volume_l"])
    q2 = ind.clearance(pset[f"{parent}_intercompartmental1_l_per_h"])
    q3 = ind.clearance(pset[f"{parent}_intercompartmental2_l_per_h"])
    to_metabolite = pset[f"{parent}_fraction_to_norketamine"]
    vm1 = ind.volume(pset[f"{metabolite}_central_volume_l"])
    vm2 = ind.volume(pset[f"{metabolite}_peripheral_volume_l"])
    clm = ind.clearance(pset[f"{metabolite}_clearance_l_per_h"]) * sex
    qm = ind.clearance(pset[f"{metabolite}_intercompartmental_l_per_h"])
    ke0 = np.log(2.0) / pset["ketamine_effect_site_half_life_h"]
    unbound = pset["ketamine_unbound_fraction"]
    for name in (
        "central",
        "peripheral1",
        "peripheral2",
        "metabolite",
        "metabolite_peripheral",
        "effect",
        "metabolite_effect",
    ):
        b.add(name)
    b.flow("central", "peripheral1", q2 / v1)
    b.flow("peripheral1", "central", q2 / v2)
    b.flow("central", "peripheral2", q3 / v1)
    b.flow("peripheral2", "central", q3 / v3)
    b.flow("central", "metabolite", to_metabolite * clearance / v1)
    b.flow("central", None, (1.0 - to_metabolite) * clearance / v1)
    b.flow("metabolite", "metabolite_peripheral", qm / vm1)
    b.flow("metabolite_peripheral", "metabolite", qm / vm2)
    b.flow("metabolite", None, clm / vm1)
    b.follow("effect", "central", 1.0 / v1, ke0)
    b.follow("metabolite_effect", "metabolite", 1.0 / vm1, ke0)
    umol_per_mg = 1000.0 / pset["ketamine_molar_mass_g_per_mol"]
    for route in sorted(routes):
        for target, share in _route_targets(b, pset, product, route):
            for per_kg in (False, True):
                amount = share * fraction * umol_per_mg * (patients.weight_kg if per_kg else np.ones(patients.count))
                system.put(DoseKind(product, route, per_kg), block, target, amount)
    system.blocks.append(b)
    mw_parent = pset["ketamine_molar_mass_g_per_mol"]
    mw_metabolite = pset["norketamine_molar_mass_g_per_mol"]
    system.read("plasma_ketamine", block, "central", mw_parent / v1)
    system.read("plasma_norketamine", block, "metabolite", mw_metabolite / vm1)
    system.read(f"ce_{enantiomer}_ketamine_um", block, "effect", np.full(patients.count, unbound))
    system.read(f"ce_{enantiomer}_norketamine_um", block, "metabolite_effect", np.full(patients.count, unbound))


def _simple_block(
    system: PKSystem,
    pset: ParameterSet,
    ind: Individual,
    patients: Patients,
    drug: str,
    routes: set[str],
    two_compartment: bool,
) -> None:
    b = BlockBuilder(patients.count)
    block = len(system.blocks)
    b.add("central")
    volume_name = f"{drug}_central_volume_l" if two_compartment else f"{drug}_volume_l"
    v1 = ind.volume(pset[volume_name])
    b.flow("central", None, ind.clearance(pset[f"{drug}_clearance_l_per_h"]) / v1)
    if two_compartment:
        b.add("peripheral")
        v2 = ind.volume(pset[f"{drug}_peripheral_volume_l"])
        q = ind.clearance(pset[f"{drug}_intercompartmental_l_per_h"])
        b.flow("central", "peripheral", q / v1)
        b.flow("peripheral", "central", q / v2)
    umol_per_mg = 1000.0 / pset[f"{drug}_molar_mass_g_per_mol"]
    for route in sorted(routes):
        target = "central"
        if route != "iv":
            bioavailability = pset[f"{drug}_{route}_bioavailability"]
            target = _add_depot(
                b, f"depot_{route}", bioavailability, 0.0, pset[f"{drug}_{route}_absorption_rate_per_h"]
            )
        for per_kg in (False, True):
            amount = umol_per_mg * (patients.weight_kg if per_kg else np.ones(patients.count))
            system.put(DoseKind(drug, route, per_kg), block, target, amount)
    system.blocks.append(b)
    system.read(f"plasma_{drug}", block, "central", pset[f"{drug}_molar_mass_g_per_mol"] / v1)


def build_pk(pset: ParameterSet, patients: Patients, routes_by_drug: dict[str, set[str]]) -> PKSystem:
    """Build the PK blocks for the drugs and routes an arm uses.

    Parameters
    ----------
    pset
        Parameter set with the names documented in ``docs/parameters.md``.
    patients
        Covariates.
    routes_by_drug
        Routes used per drug, e.g. ``{"ketamine": {"iv"}}``; placebo is ignored (it has no PK).
    """
    system = PKSystem()
    ind = individual(pset, patients)
    for drug, routes in sorted(routes_by_drug.items()):
        if drug in KETAMINE_PRODUCTS:
            for enantiomer, fraction in KETAMINE_PRODUCTS[drug]:
                _ketamine_block(system, pset, ind, patients, drug, enantiomer, fraction, routes)
        elif drug == "midazolam":
            _simple_block(system, pset, ind, patients, drug, routes, two_compartment=True)
        elif drug == "escitalopram":
            _simple_block(system, pset, ind, patients, drug, routes, two_compartment=False)
    return system
