"""Units of the SBML export: the registry's unit texts as SI products, and the algebra that gives every formula
(and every number in it) its unit, so that libsbml's unit checks pass.

A unit is a factor times a product of SI base units (kilogram, metre, second, mole). Scales of the rating scales,
CADSS points, Fisher z, percent and ratios are dimensionless in SBML (their meaning is in each element's name).
"""

from __future__ import annotations

from dataclasses import dataclass

from ketasim.errors import UnsupportedError

BASES: tuple[str, ...] = ("kilogram", "metre", "second", "mole")


@dataclass(frozen=True)
class Unit:
    """factor × kilogram^kg × metre^m × second^s × mole^mol."""

    factor: float = 1.0
    exponents: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def __mul__(self, other: Unit) -> Unit:
        return Unit(self.factor * other.factor, _add(self.exponents, other.exponents, 1.0))

    def __truediv__(self, other: Unit) -> Unit:
        return Unit(self.factor / other.factor, _add(self.exponents, other.exponents, -1.0))

    def __pow__(self, exponent: float) -> Unit:
        return Unit(self.factor**exponent, tuple(e * exponent for e in self.exponents))  # type: ignore[arg-type]

    @property
    def dimensionless(self) -> bool:
        """Whether the unit has no dimension (its factor may differ from 1)."""
        return all(e == 0 for e in self.exponents)

    def same(self, other: Unit) -> bool:
        """Equal to within rounding of the factor."""
        return self.exponents == other.exponents and abs(self.factor / other.factor - 1.0) < 1e-9


def _add(a: tuple[float, ...], b: tuple[float, ...], sign: float) -> tuple[float, float, float, float]:
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


DIMENSIONLESS = Unit()
KILOGRAM = Unit(1.0, (1, 0, 0, 0))
GRAM = Unit(1e-3, (1, 0, 0, 0))
LITRE = Unit(1e-3, (0, 3, 0, 0))
HOUR = Unit(3600.0, (0, 0, 1, 0))
SECOND = Unit(1.0, (0, 0, 1, 0))
MICROMOLE = Unit(1e-6, (0, 0, 0, 1))
MOLE = Unit(1.0, (0, 0, 0, 1))
MILLIGRAM = Unit(1e-6, (1, 0, 0, 0))
MMHG = Unit(133.322387415, (1, -1, -2, 0))
YEAR = Unit(365.25 * 24 * 3600.0, (0, 0, 1, 0))

TEXTS: dict[str, Unit] = {
    "1": DIMENSIONLESS,
    "": DIMENSIONLESS,
    "ratio": DIMENSIONLESS,
    "fraction": DIMENSIONLESS,
    "%": DIMENSIONLESS,
    "1/%": DIMENSIONLESS,
    "points": DIMENSIONLESS,
    "CADSS points": DIMENSIONLESS,
    "Fisher z": DIMENSIONLESS,
    "1/treatment": DIMENSIONLESS,
    "h": HOUR,
    "s": SECOND,
    "years": YEAR,
    "1/h": DIMENSIONLESS / HOUR,
    "L": LITRE,
    "L/h": LITRE / HOUR,
    "kg": KILOGRAM,
    "g/mol": GRAM / MOLE,
    "uM": MICROMOLE / LITRE,
    "µM": MICROMOLE / LITRE,
    "ng/mL": Unit(1e-12, (1, 0, 0, 0)) / Unit(1e-6, (0, 3, 0, 0)),
    "mmHg": MMHG,
    "mmHg per ng/mL": MMHG / (Unit(1e-12, (1, 0, 0, 0)) / Unit(1e-6, (0, 3, 0, 0))),
    "mg": MILLIGRAM,
    "mg/kg": MILLIGRAM / KILOGRAM,
    "umol": MICROMOLE,
    "umol/mmol": Unit(1e-3),
}
"""Every unit text of the registry and the model's declarations, as a `Unit`."""


def parse(text: str) -> Unit:
    """The `Unit` of a unit text of the registry or a stage declaration."""
    if text not in TEXTS:
        raise UnsupportedError(f"the SBML export does not know the unit {text!r}; add it to ketasim.io.sbml.units")
    return TEXTS[text]


def kinds(unit: Unit) -> list[tuple[str, float, float]]:
    """SBML unit elements (kind, exponent, multiplier) whose product is ``unit``."""
    if unit.dimensionless:
        return [("dimensionless", 1.0, unit.factor)]
    parts = [(base, float(e)) for base, e in zip(BASES, unit.exponents, strict=True) if e != 0]
    first_base, first_exponent = parts[0]
    elements = [(first_base, first_exponent, unit.factor ** (1.0 / first_exponent))]
    return elements + [(base, e, 1.0) for base, e in parts[1:]]


NAMES: dict[str, str] = {
    "h": "hour",
    "1/h": "per_hour",
    "L": "litre_unit",
    "L/h": "litre_per_hour",
    "kg": "kg",
    "g/mol": "gram_per_mole",
    "uM": "micromolar",
    "ng/mL": "nanogram_per_millilitre",
    "mmHg": "mmHg",
    "mmHg per ng/mL": "mmHg_per_nanogram_per_millilitre",
    "umol": "micromole",
    "mg": "milligram",
    "mg/kg": "milligram_per_kg",
    "s": "second_unit",
    "years": "year",
}
"""Readable SBML ids for the unit definitions of common unit texts."""


def name(unit: Unit) -> str | None:
    """A readable id for ``unit`` if it is one of `NAMES`' units."""
    for text, uid in NAMES.items():
        if TEXTS[text].same(unit):
            return uid
    return None
