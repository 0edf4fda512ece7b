"""Apply a protocol's parameter overrides (``{param: value-with-unit}``) to a parameter set."""

from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches

import pint

from ketasim.errors import ProtocolError
from ketasim.parameters.registry import ParameterSet
from ketasim.units import registry

DIMENSIONLESS_UNITS = ("1", "fraction", "ratio", "")
KEY = "population.parameters.override"


def _convert(name: str, text: object, unit: str) -> float:
    key = f"{KEY}.{name}"
    ureg = registry()
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ProtocolError(key, "expected a value with a unit", f'write e.g. "1.5 {unit}"')
    if unit in DIMENSIONLESS_UNITS:
        try:
            quantity = ureg.Quantity(text) if isinstance(text, str) else ureg.Quantity(float(text))
            return float(quantity.to("dimensionless").magnitude)
        except (pint.PintError, ValueError, TypeError):
            raise ProtocolError(key, f"cannot read {text!r} as a number", 'write e.g. 0.3 or "30 %"') from None
    if not isinstance(text, str):
        raise ProtocolError(key, f"bare number {text!r} has no unit", f'write e.g. "{text} {unit}"')
    try:
        return float(ureg.Quantity(text).to(unit).magnitude)
    except (pint.PintError, ValueError, TypeError, AttributeError):
        raise ProtocolError(key, f"cannot read {text!r} in the unit {unit}", f'write e.g. "1.5 {unit}"') from None


def apply_overrides(pset: ParameterSet, overrides: Mapping[str, object]) -> ParameterSet:
    """The set with overridden values converted to each parameter's unit; unknown names are `ProtocolError`s."""
    if not overrides:
        return pset
    values: dict[str, float] = {}
    for name, text in overrides.items():
        if name not in pset.parameters:
            close = get_close_matches(name, list(pset.parameters), n=1)
            fix = f"did you mean {close[0]!r}?" if close else "see `ketasim params` for the names"
            raise ProtocolError(f"{KEY}.{name}", f"parameter set {pset.name!r} has no parameter {name!r}", fix)
        parameter = pset.parameter(name)
        values[name] = _convert(name, text, parameter.unit)
    return pset.with_overrides(values)
