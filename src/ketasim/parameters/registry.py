"""The parameter registry: every model number with its value, unit, source and confidence."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from ketasim.errors import ParameterError

Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Reference:
    """A published source: a short key such as ``kamp2020``, the full citation and its DOI."""

    key: str
    citation: str
    doi: str = ""


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    The name carries the unit (``clearance_l_per_h``) and `unit` states it for readers and reports.
    `source` is the key of a `Reference`; `note` says how the value was derived or chosen. ``calibrated``
    marks a parameter whose value is fitted to clinical targets by ``ketasim calibrate`` (and only those are).
    """

    name: str
    value: float
    unit: str
    source: str
    confidence: Confidence
    note: str = ""
    calibrated: bool = False


@dataclass(frozen=True)
class ParameterSet(Mapping[str, float]):
    """A named, immutable collection of parameters and the references they cite.

    As a mapping it gives each parameter's value by name (``pset["ketamine_unbound_fraction"]``).
    """

    name: str
    description: str
    parameters: dict[str, Parameter] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        return self.parameter(name).value

    def __iter__(self) -> Iterator[str]:
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; a `ParameterError` naming close matches if absent."""
        try:
            return self.parameters[name]
        except KeyError:
            from difflib import get_close_matches

            close = get_close_matches(name, list(self.parameters), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ParameterError(f"parameter set {self.name!r} has no parameter {name!r}{hint}") from None

    def with_overrides(self, values: dict[str, float], source: str = "user override") -> ParameterSet:
        """A copy with some values replaced (unit unchanged, source marked as an override)."""
        updated = dict(self.parameters)
        for name, value in values.items():
            old = self.parameter(name)
            updated[name] = replace(old, value=float(value), source="override", confidence="low", note=source)
        references = dict(self.references)
        references.setdefault("override", Reference("override", "Value given in the protocol file"))
        return replace(self, parameters=updated, references=references)

    def with_fitted(self, values: dict[str, float], fit: Reference) -> ParameterSet:
        """A copy with fitted values: each parameter cites ``fit``, keeping its confidence and its earlier note."""
        updated = dict(self.parameters)
        for name, value in values.items():
            old = self.parameter(name)
            note = f"{old.note} Fitted: {old.value:g} before calibration ({old.source})."
            updated[name] = replace(old, value=float(value), source=fit.key, note=note.strip())
        return replace(self, parameters=updated, references={**self.references, fit.key: fit})

    def cited(self, names: list[str] | None = None) -> list[Reference]:
        """References behind the given parameters (all if None), each once, sorted by key."""
        chosen = self.parameters.values() if names is None else (self.parameter(n) for n in names)
        keys = sorted({p.source for p in chosen})
        missing = [k for k in keys if k not in self.references]
        if missing:
            raise ParameterError(f"parameter set {self.name!r} cites unknown references {missing}")
        return [self.references[k] for k in keys]


def merge(name: str, description: str, *sets: ParameterSet) -> ParameterSet:
    """Combine parameter sets; a later set's parameter replaces an earlier one of the same name."""
    parameters: dict[str, Parameter] = {}
    references: dict[str, Reference] = {}
    for s in sets:
        parameters.update(s.parameters)
        references.update(s.references)
    return ParameterSet(name, description, parameters, references)


def make_set(name: str, description: str, references: list[Reference], parameters: list[Parameter]) -> ParameterSet:
    """Build a set from lists, refusing duplicate names and citations of unknown references."""
    by_name: dict[str, Parameter] = {}
    refs = {r.key: r for r in references}
    for p in parameters:
        if p.name in by_name:
            raise ParameterError(f"parameter set {name!r} defines {p.name!r} twice")
        if p.source not in refs:
            raise ParameterError(f"parameter {p.name!r} of set {name!r} cites unknown reference {p.source!r}")
        by_name[p.name] = p
    return ParameterSet(name, description, by_name, refs)
