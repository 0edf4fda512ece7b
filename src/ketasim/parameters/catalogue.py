"""Drugs as data: each drug is one entry (a YAML file in ``parameters/drugs/``, or a mapping in a protocol's
``drugs`` list) naming its routes, dose limits, components (the species it puts in the body, with their
compartments, clearances and metabolites) and the parameters behind each number.

A species (``species.yaml``) says what a molecule does: its molar mass, its brain effect site, its NMDA receptor
affinity, its dissociative potency, sedation, serotonin transporter blockade. The model reads the catalogue:
pharmacokinetic blocks per component, NMDA occupancy summed over every species with an ``nmda_ki``, and so on,
so a new drug needs no code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ketasim.errors import ParameterError
from ketasim.parameters.registry import Confidence, Parameter, ParameterSet, Reference, make_set, merge
from ketasim.parameters.yaml_files import read_yaml
from ketasim.vocabulary import PLACEBO, ROUTES

FOLDER = Path(__file__).parent / "drugs"
COVARIATE_EFFECTS = ("cyp2b6", "sex")
"""Covariates that can scale a clearance: CYP2B6 slow metabolisers, sex (``clearance_covariates``)."""


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EffectSite(_Entry):
    """A brain compartment that follows plasma with a delay; its unbound concentration acts."""

    half_life: str
    unbound_fraction: str


class Sedation(_Entry):
    """Sedation felt at a plasma concentration: C^h / (C^h + C50^h)."""

    half: str
    hill: str


class Species(_Entry):
    """A molecule in the body and what it does; each field names a parameter of the registry."""

    molar_mass: str
    effect_site: EffectSite | None = None
    nmda_ki: str | None = None
    dissociation_potency: str | None = None
    sedation: Sedation | None = None
    sert_half_occupancy: str | None = None


class Component(_Entry):
    """One species a drug puts in the body: its share of the dose and its disposition.

    ``compartments`` maps compartment names to volume parameters (the first is where the dose arrives),
    ``distribution`` maps each peripheral compartment to its intercompartmental clearance, ``clearance`` is the
    elimination clearance of the central compartment, ``fraction_formed`` (metabolites only) the share of the
    parent's clearance that forms it, and ``plasma_output`` the output its central concentration adds to.
    """

    species: str
    fraction: float = Field(1.0, gt=0.0, le=1.0)
    compartments: dict[str, str] = Field(min_length=1)
    distribution: dict[str, str] = Field(default_factory=dict)
    clearance: str
    clearance_covariates: tuple[str, ...] = ()
    fraction_formed: str | None = None
    plasma_output: str | None = None
    metabolite: Component | None = None


class DoseLimits(_Entry):
    """Parameters bounding a dose, as systemic mg/kg: above ``studied`` a warning, above ``unsafe`` refused."""

    studied: str | None = None
    unsafe: str | None = None
    unsafe_wording: str | None = None


class NewParameter(_Entry):
    """A parameter a drug entry brings into the registry."""

    value: float
    unit: str
    source: str
    confidence: Confidence
    note: str = ""


class NewReference(_Entry):
    """A source a drug entry's parameters cite."""

    citation: str
    doi: str = ""


class Drug(_Entry):
    """One drug: the routes it may be given by, its dose limits, components and flags for the engine.

    ``fast``: its effects change within minutes, so the engine steps finely after each dose. ``monitored``:
    each dose is followed by monitoring until discharge criteria are met. ``route_parameters`` is the prefix of
    its route parameters (``{prefix}_{route}_bioavailability``, ``_absorption_rate_per_h`` and, where there is a
    first pass or a swallowed part, ``_first_pass_to_norketamine`` and ``_swallowed_fraction``).
    """

    drug: str
    meaning: str
    routes: tuple[str, ...] = Field(min_length=1)
    route_parameters: str
    dose_limits: DoseLimits = Field(default_factory=DoseLimits)
    fast: bool = False
    monitored: bool = False
    components: tuple[Component, ...] = Field(min_length=1)
    species: dict[str, Species] = Field(default_factory=dict)
    parameters: dict[str, NewParameter] = Field(default_factory=dict)
    references: dict[str, NewReference] = Field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    """The drugs a protocol may name, the species they carry, and the parameters they bring."""

    drugs: dict[str, Drug]
    species: dict[str, Species]
    parameters: ParameterSet

    def drug(self, name: str) -> Drug:
        """The drug called ``name``."""
        if name not in self.drugs:
            raise ParameterError(f"unknown drug {name!r}; known drugs are {', '.join(self.drugs)}")
        return self.drugs[name]

    @property
    def drug_routes(self) -> dict[str, tuple[str, ...]]:
        """Routes per drug name, placebo (any route) included."""
        return {**{name: drug.routes for name, drug in self.drugs.items()}, PLACEBO: ROUTES}

    def acting(self, effect: str) -> tuple[str, ...]:
        """Species with the pharmacodynamic ``effect`` (a field of `Species`), in catalogue order."""
        return tuple(name for name, s in self.species.items() if getattr(s, effect) is not None)

    def with_drugs(self, entries: Sequence[Mapping[str, Any]]) -> Catalogue:
        """This catalogue and further drug entries (mappings in the drug file form)."""
        return build_catalogue([*self._entries, *entries]) if entries else self

    @property
    def _entries(self) -> list[Mapping[str, Any]]:
        return [d.model_dump(exclude_defaults=False) for d in self.drugs.values()]


def _parse_drug(raw: Mapping[str, Any], where: str) -> Drug:
    try:
        return Drug.model_validate(raw)
    except ValidationError as failure:
        error = failure.errors()[0]
        path = ".".join(str(part) for part in error["loc"])
        raise ParameterError(f"{where}: {path}: {error['msg']}") from None


def build_catalogue(entries: Sequence[Mapping[str, Any]]) -> Catalogue:
    """A catalogue from drug entries; the species file's species come first, an entry's own species after.

    Raises
    ------
    ParameterError
        For a malformed entry, a drug defined twice, a species defined twice or not defined, a route the
        protocol contract does not know, or a clearance covariate that does not exist.
    """
    species = dict(_species_file())
    drugs: dict[str, Drug] = {}
    new_parameters: list[Parameter] = []
    new_references: list[Reference] = []
    for index, raw in enumerate(entries):
        drug = _parse_drug(raw, f"drug entry {index + 1} ({raw.get('drug', '?')})")
        if drug.drug in drugs or drug.drug == PLACEBO:
            raise ParameterError(f"drug {drug.drug!r} is defined twice")
        for name, entry in drug.species.items():
            if name in species and species[name] != entry:
                raise ParameterError(f"species {name!r} of drug {drug.drug!r} is already defined otherwise")
            species[name] = entry
        _check(drug, species)
        drugs[drug.drug] = drug
        new_parameters += [
            Parameter(name, p.value, p.unit, p.source, p.confidence, p.note) for name, p in drug.parameters.items()
        ]
        new_references += [Reference(key, r.citation, r.doi) for key, r in drug.references.items()]
    from_entries = make_set("drug entries", "Parameters brought by drug entries", new_references, new_parameters)
    return Catalogue(drugs, species, from_entries)


def _check(drug: Drug, species: Mapping[str, Species]) -> None:
    unknown_routes = sorted(set(drug.routes) - set(ROUTES))
    if unknown_routes:
        raise ParameterError(f"drug {drug.drug!r}: unknown routes {unknown_routes}; routes are {', '.join(ROUTES)}")
    for component in components(drug):
        if component.species not in species:
            raise ParameterError(f"drug {drug.drug!r}: species {component.species!r} is not defined")
        unknown = sorted(set(component.clearance_covariates) - set(COVARIATE_EFFECTS))
        if unknown:
            raise ParameterError(f"drug {drug.drug!r}: unknown clearance covariates {unknown}")
        missing = sorted(set(component.distribution) - set(list(component.compartments)[1:]))
        if missing:
            raise ParameterError(
                f"drug {drug.drug!r}: distribution to {missing}, which are not peripheral compartments"
            )


def components(drug: Drug) -> list[Component]:
    """Every component of a drug, metabolites after their parents."""
    found: list[Component] = []
    for component in drug.components:
        current: Component | None = component
        while current is not None:
            found.append(current)
            current = current.metabolite
    return found


@cache
def _species_file() -> dict[str, Species]:
    raw = read_yaml((FOLDER / "species.yaml").read_text(encoding="utf-8"))["species"]
    return {name: Species.model_validate(entry) for name, entry in raw.items()}


@cache
def default_catalogue() -> Catalogue:
    """The drugs shipped with ketasim (``parameters/drugs/*.yaml`` but the species file)."""
    files = sorted(p for p in FOLDER.glob("*.yaml") if p.name != "species.yaml")
    return build_catalogue([read_yaml(p.read_text(encoding="utf-8")) for p in files])


def with_drug_parameters(pset: ParameterSet, catalogue: Catalogue) -> ParameterSet:
    """``pset`` with the parameters the catalogue's drug entries bring (the set's own values win)."""
    if not catalogue.parameters.parameters:
        return pset
    return merge(pset.name, pset.description, catalogue.parameters, pset)
