"""Apply a protocol's parameter overrides (``{param: "value unit"}``) to a parameter set.

An override is written as ``"<number> <unit>"``. The parameter's own unit, exactly as ``ketasim params`` and the
error messages show it (``"50 CADSS points"``, ``"0.15 1/treatment"``, ``"0.044 1/%"``), is always accepted;
physical units convert (``"1.2 mL"`` for a volume in L). A bare number is accepted only for a pure ratio (unit
``1``, ``fraction`` or ``ratio``); for any other unit it is an error, because ``0.044`` for a parameter in ``1/%``
could mean either of two values a hundredfold apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import get_close_matches

import pint

from ketasim.errors import ProtocolError
from ketasim.parameters.registry import Parameter, ParameterSet
from ketasim.units import registry

RATIO_UNITS = ("1", "fraction", "ratio", "")
"""Units of pure ratios: a bare number means the ratio itself, and ``"30 %"`` means 0.3."""
COUNTING_UNITS = ("points", "CADSS points", "1/treatment")
"""Units that count things (scale points, treatments) rather than measure them: no conversion, exact unit only."""
KEY = "population.parameters.override"
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _same_unit(written: str, unit: str) -> bool:
    return " ".join(written.split()) == " ".join(unit.split())


def _pint_unit(unit: str) -> str:
    """The registry's unit spelled for pint (``"mmHg per ng/mL"`` -> ``"mmHg / (ng/mL)"``)."""
    if " per " in unit:
        numerator, denominator = unit.split(" per ", 1)
        return f"{numerator} / ({denominator})"
    return unit


def override_text(parameter: Parameter, value: float) -> str:
    """``value`` written as an override of ``parameter`` (exact, in its own unit), e.g. ``"0.15 1/treatment"``."""
    return f"{value!r}" if parameter.unit in RATIO_UNITS else f"{value!r} {parameter.unit}"


def parse_override(name: str, text: object, unit: str) -> float:
    """The value of an override of parameter ``name`` in the parameter's ``unit``.

    Raises
    ------
    ProtocolError
        Naming ``population.parameters.override.<name>`` for a value that is not a number with a unit, a bare
        number for a unit other than a pure ratio, or a unit that does not convert to ``unit``.
    """
    key = f"{KEY}.{name}"
    example = f'write e.g. "1.5 {unit}"' if unit not in RATIO_UNITS else 'write e.g. 0.3 or "30 %"'
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ProtocolError(key, "expected a value with a unit", example)
    match = _NUMBER.match(str(text))
    if match is None:
        raise ProtocolError(key, f"cannot read {text!r} as a number with a unit", example)
    number, written = float(match.group(1)), match.group(2)
    if not written:
        if unit in RATIO_UNITS:
            return number
        raise ProtocolError(
            key, f"bare number {text!r} has no unit ({name} is in {unit})", f'write "{match.group(1)} {unit}"'
        )
    if _same_unit(written, unit):
        return number
    if unit in COUNTING_UNITS:
        raise ProtocolError(key, f"cannot read {text!r} in the unit {unit}", f'write "{match.group(1)} {unit}"')
    ureg = registry()
    target = "dimensionless" if unit in RATIO_UNITS else _pint_unit(unit)
    try:
        return float(ureg.Quantity(number, _pint_unit(written)).to(target).magnitude)
    except (pint.PintError, ValueError, TypeError, AttributeError):
        raise ProtocolError(key, f"cannot read {text!r} in the unit {unit}", example) from None


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
        values[name] = parse_override(name, text, pset.parameter(name).unit)
    return pset.with_overrides(values)
