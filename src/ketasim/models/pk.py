"""Pharmacokinetics of every drug of the catalogue, as independent linear compartment blocks.

Each component of a drug (`ketasim.parameters.catalogue`: a species with its share of the dose) is one block:
its compartments (central first) with volumes and intercompartmental clearances, elimination from the central
compartment, a metabolite (with its own compartments) formed by a share of that clearance, one absorption depot
per extravascular route whose outflow splits into parent (bioavailability), metabolite formed by first pass, and
loss, and a brain effect site per species that has one. Amounts are in µmol, volumes in L, concentrations in µM;
ng/mL = µM × molar mass.

Covariates: allometric weight scaling of every volume and clearance, and the clearance effects a component
names (CYP2B6 slow metabolisers: lower ketamine clearance; sex: higher S-ketamine and S-norketamine clearance
in women). Between-patient variability that no covariate explains: each patient's elimination clearances are
multiplied by exp(ω_CL · η_CL) and central volumes by exp(ω_V · η_V), one pair of standard normal deviates per
patient (0 for the typical patient).

The blocks are built from a mapping of values, numbers for the engine or formulas for the SBML export
(`ketasim.models.compartments`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ketasim.errors import ParameterError
from ketasim.models.compartments import Block
from ketasim.models.math import FORMULAS, Expr
from ketasim.parameters.catalogue import Catalogue, Component, Drug, Species, components

Value = Any

COVARIATE_VALUES = ("weight_kg", "female", "cyp2b6_slow", "clearance_deviate", "central_volume_deviate")
"""The patient covariates the blocks read besides parameters (the deviates: between-patient variability)."""
UMOL_PER_MMOL = 1000.0
"""Unit conversion of doses (mg / (g/mol) = mmol) to amounts (µmol); `pk_blocks` reads ``umol_per_mmol``."""


@dataclass(frozen=True)
class DoseKind:
    """Doses that put the same amount in the same places: drug, route and whether the amount is per kg."""

    drug: str
    route: str
    per_kg: bool


def effect_site_readout(species: str) -> str:
    """Name of the readout of a species' unbound effect-site concentration, µM."""
    return f"ce_{species}_um"


def plasma_readout(species: str) -> str:
    """Name of the readout of a species' plasma concentration, ng/mL."""
    return f"plasma_{species}"


def readout_names(catalogue: Catalogue) -> tuple[str, ...]:
    """Every linear readout: the plasma outputs of the vocabulary, then per species its effect site (if it has one)
    and its plasma concentration (if it acts from plasma)."""
    outputs = {c.plasma_output for d in catalogue.drugs.values() for c in components(d) if c.plasma_output}
    names: list[str] = [name for name in ("plasma_ketamine", "plasma_norketamine") if name in outputs]
    names += sorted(outputs - set(names))
    for name, species in catalogue.species.items():
        if species.effect_site is not None:
            names.append(effect_site_readout(name))
        if species.sedation is not None or species.sert_half_occupancy is not None:
            names.append(plasma_readout(name))
    return tuple(names)


def _exp(x: Value) -> Value:
    """exp of a number, an array or a formula (the SBML export builds the blocks from formulas)."""
    return FORMULAS.exp(x) if isinstance(x, Expr) else np.exp(x)


class _Scaling:
    """Covariate effects on a component's typical volumes and clearances."""

    def __init__(self, v: Mapping[str, Value]) -> None:
        self.v = v
        self.weight_ratio = v["weight_kg"] / v["reference_weight_kg"]

    def volume(self, name: str, central: bool = False) -> Value:
        value = self.v[name] * self.weight_ratio ** self.v["allometric_volume_exponent"]
        if central:
            value = value * _exp(self.v["central_volume_log_sd"] * self.v["central_volume_deviate"])
        return value

    def flow(self, name: str) -> Value:
        """A distribution flow between compartments: scaled by body size only."""
        return self.v[name] * self.weight_ratio ** self.v["allometric_clearance_exponent"]

    def clearance(self, name: str, covariates: tuple[str, ...] = ()) -> Value:
        """An elimination clearance: body size, the named covariates and the patient's own deviate."""
        value = self.flow(name) * _exp(self.v["clearance_log_sd"] * self.v["clearance_deviate"])
        if "cyp2b6" in covariates:
            value = value * (1.0 + self.v["cyp2b6_slow"] * (self.v["cyp2b6_slow_clearance_factor"] - 1.0))
        if "sex" in covariates:
            value = value * (1.0 + self.v["female"] * (self.v["female_clearance_factor"] - 1.0))
        return value


def _disposition(block: Block, component: Component, prefix: str, scale: _Scaling) -> tuple[str, Value, Value]:
    """Add a component's compartments and distribution flows; return (central, volume, clearance)."""
    names = list(component.compartments)
    volumes = {name: scale.volume(component.compartments[name], central=name == names[0]) for name in names}
    central = block.add(f"{prefix}_{names[0]}", volumes[names[0]])
    for name in names[1:]:
        block.add(f"{prefix}_{name}", volumes[name])
    for name in names[1:]:
        q = scale.flow(component.distribution[name])
        block.flow(central, f"{prefix}_{name}", q / volumes[names[0]], "distribution")
        block.flow(f"{prefix}_{name}", central, q / volumes[name], "distribution")
    return central, volumes[names[0]], scale.clearance(component.clearance, component.clearance_covariates)


def _add_depot(
    block: Block, name: str, bioavailability: Value, first_pass: Value, rate: Value, targets: tuple[str, str | None]
) -> str:
    """An absorption depot whose outflow splits into parent, first-pass metabolite and loss."""
    if name in block.compartments:
        return name
    central, metabolite = targets
    parent, formed = _number(bioavailability), _number(first_pass)
    if (
        parent is not None
        and formed is not None
        and not (parent >= 0.0 and formed >= 0.0 and parent + formed <= 1 + 1e-12)
    ):
        raise ParameterError(
            f"{name}: bioavailability and first pass to the metabolite must be fractions adding to 1 or less"
        )
    block.add(name, None)
    block.flow(name, central, bioavailability * rate, "absorption")
    if metabolite is not None and (formed is None or formed > 0):
        block.flow(name, metabolite, first_pass * rate, "first_pass")
    block.flow(name, None, _nonnegative(1.0 - bioavailability - first_pass) * rate, "loss")
    return name


def _number(value: Value) -> float | None:
    """The value as a float when it is a plain number, else None (an array or a formula)."""
    return float(value) if isinstance(value, (int, float)) else None


def _nonnegative(value: Value) -> Value:
    number = _number(value)
    return max(0.0, number) if number is not None else value


def _route_targets(
    block: Block, drug: Drug, route: str, v: Mapping[str, Value], targets: tuple[str, str | None]
) -> list[tuple[str, Value]]:
    """Where a dose of ``route`` goes: (compartment, share of the dose) pairs.

    An intranasal dose with a swallowed fraction s is split: s goes to the oral depot, the rest to a nasal depot
    whose parent and first-pass fractions are what remains of the route totals after the swallowed part.
    """
    if route == "iv":
        return [(targets[0], 1.0)]
    prefix = drug.route_parameters

    def split(r: str) -> tuple[Value, Value, Value]:
        first_pass = f"{prefix}_{r}_first_pass_to_norketamine"
        return (
            v[f"{prefix}_{r}_bioavailability"],
            v.get(first_pass, 0.0),
            v[f"{prefix}_{r}_absorption_rate_per_h"],
        )

    bioavailability, first_pass, rate = split(route)
    swallowed_name = f"{prefix}_{route}_swallowed_fraction"
    if route != "intranasal" or swallowed_name not in v:
        return [(_add_depot(block, f"{block.name}_depot_{route}", bioavailability, first_pass, rate, targets), 1.0)]
    swallowed = v[swallowed_name]
    oral_f, oral_fp, oral_rate = split("oral")
    nasal_f = (bioavailability - swallowed * oral_f) / (1.0 - swallowed)
    nasal_fp = _nonnegative((first_pass - swallowed * oral_fp) / (1.0 - swallowed))
    return [
        (_add_depot(block, f"{block.name}_depot_intranasal", nasal_f, nasal_fp, rate, targets), 1.0 - swallowed),
        (_add_depot(block, f"{block.name}_depot_oral", oral_f, oral_fp, oral_rate, targets), swallowed),
    ]


def _effect_site(
    block: Block, prefix: str, species: str, entry: Species, central: str, volume: Value, v: Mapping
) -> None:
    if entry.effect_site is None:
        return
    follower = f"{prefix}_effect"
    block.follow(follower, central, 1.0 / volume, math.log(2.0) / v[entry.effect_site.half_life])
    block.readouts.append((effect_site_readout(species), follower, v[entry.effect_site.unbound_fraction]))


def _plasma(block: Block, component: Component, entry: Species, central: str, volume: Value, v: Mapping) -> None:
    weight = v[entry.molar_mass] / volume
    if component.plasma_output is not None:
        block.readouts.append((component.plasma_output, central, weight))
    if entry.sedation is not None or entry.sert_half_occupancy is not None:
        block.readouts.append((plasma_readout(component.species), central, weight))


def component_block(
    catalogue: Catalogue, drug: Drug, component: Component, routes: set[str], v: Mapping[str, Value], ones: Value
) -> Block:
    """The block of one component of ``drug`` (and its metabolite) with depots for ``routes``.

    ``v`` maps parameter and covariate names to values; ``ones`` is 1 for every patient (numbers) or 1.
    """
    block = Block(f"{drug.drug}_{component.species}")
    scale = _Scaling(v)
    central, volume, clearance = _disposition(block, component, f"{drug.drug}_{component.species}", scale)
    metabolite = component.metabolite
    metabolite_central: str | None = None
    metabolite_volume: Value = None
    if metabolite is not None:
        prefix = f"{drug.drug}_{metabolite.species}"
        metabolite_central, metabolite_volume, metabolite_clearance = _disposition(block, metabolite, prefix, scale)
        formed = v[metabolite.fraction_formed] if metabolite.fraction_formed else 0.0
        block.flow(central, metabolite_central, formed * clearance / volume, "metabolism")
        block.flow(central, None, (1.0 - formed) * clearance / volume, "elimination")
        block.flow(metabolite_central, None, metabolite_clearance / metabolite_volume, "elimination")
    else:
        block.flow(central, None, clearance / volume, "elimination")
    placed = [(component, central, volume)]
    if metabolite is not None and metabolite_central is not None:
        placed.append((metabolite, metabolite_central, metabolite_volume))
    for owner, where, size in placed:
        entry = catalogue.species[owner.species]
        _effect_site(block, f"{drug.drug}_{owner.species}", owner.species, entry, where, size, v)
        _plasma(block, owner, entry, where, size, v)
    umol_per_mg = v.get("umol_per_mmol", UMOL_PER_MMOL) / v[catalogue.species[component.species].molar_mass]
    for route in sorted(routes):
        for target, share in _route_targets(block, drug, route, v, (central, metabolite_central)):
            for per_kg in (False, True):
                amount = share * component.fraction * umol_per_mg * (v["weight_kg"] if per_kg else ones)
                block.doses.append((DoseKind(drug.drug, route, per_kg), target, amount))
    return block


def pk_blocks(
    catalogue: Catalogue, routes_by_drug: Mapping[str, set[str]], v: Mapping[str, Value], ones: Value = 1.0
) -> list[Block]:
    """The blocks of the drugs and routes an arm uses (placebo and drugs not in ``routes_by_drug`` have none).

    Parameters
    ----------
    catalogue
        The drugs, species and their parameter names.
    routes_by_drug
        Routes used per drug, e.g. ``{"ketamine": {"iv"}}``.
    v
        Values of every parameter the blocks read and of the covariates `COVARIATE_VALUES`.
    ones
        1 per patient (an array of ones for numbers, ``1.0`` for formulas).
    """
    blocks = []
    for name, routes in sorted(routes_by_drug.items()):
        if name not in catalogue.drugs:
            continue
        drug = catalogue.drugs[name]
        blocks += [component_block(catalogue, drug, component, routes, v, ones) for component in drug.components]
    return blocks
