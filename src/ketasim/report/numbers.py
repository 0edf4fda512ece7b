"""Numbers as people read them, for the terminal and the report pages: significant digits, one unit, no noise.

``format_number(0.000123)`` gives ``0.000123`` and ``format_number(1234.5)`` ``1235`` (never ``1.23e+03``); an
interval is written with the unit once and both ends to the precision of the larger one, so floating-point noise
at one end reads as ``0`` (``0 to 7.13 %``, not ``3.47e-16 % to 7.13 %``); an interval whose ends agree is one
value (``1 d``, not ``1 d to 1 d``). Endpoint units follow the summary's conventions (``spec/cli.md``): rates are
fractions shown in percent, and a difference of two rates is in percentage points (``pp``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ketasim.analysis.endpoints import BINARY_KINDS, TIME_KINDS
from ketasim.vocabulary import OUTPUTS

DIGITS = 3
HOUR_KINDS = ("tmax", "time_above")  # PK endpoints measured in hours
_PLAIN_UP_TO = 1e12  # larger magnitudes (and those under 1e-4) are written with an exponent


def _strip(text: str) -> str:
    """``"0.500"`` -> ``"0.5"``, ``"2.000"`` -> ``"2"``, ``"-0"`` -> ``"0"``."""
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "+0") else text


def _decimals(magnitude: float, digits: int) -> int:
    """Decimals that show ``magnitude`` to ``digits`` significant digits (0 for large numbers)."""
    return max(0, digits - 1 - math.floor(math.log10(magnitude))) if magnitude > 0 else 0


def format_number(value: float | None, digits: int = DIGITS) -> str:
    """``value`` to ``digits`` significant digits, without trailing zeros; ``n/a`` for None or NaN.

    Whole numbers of more digits keep all of them (``1235``, not ``1.23e+03``); magnitudes under 1e-4 or from
    1e12 up are written with an exponent (``1.2e-05``).
    """
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude < 1e-4 or magnitude >= _PLAIN_UP_TO:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{_strip(mantissa)}e{int(exponent):+03d}"
    decimals = _decimals(magnitude, digits)
    rounded = round(value, decimals)
    if rounded and _decimals(abs(rounded), digits) < decimals:  # 9.996 -> 10.0: one decimal fewer
        decimals = _decimals(abs(rounded), digits)
    return _strip(f"{value:.{decimals}f}")


def with_unit(text: str, unit: str) -> str:
    """``"64"`` and ``"%"`` -> ``"64 %"``; no unit for ``""`` or ``"1"`` (a plain fraction or count)."""
    return f"{text} {unit}" if unit and unit != "1" else text


def format_quantity(value: float | None, unit: str = "", digits: int = DIGITS) -> str:
    """A number with its unit: ``format_quantity(12.0, "d")`` -> ``"12 d"``."""
    text = format_number(value, digits)
    return text if text == "n/a" else with_unit(text, unit)


def format_interval(
    low: float | None, high: float | None, unit: str = "", digits: int = DIGITS, open_end: str = "n/a"
) -> str:
    """An interval with the unit once, both ends to the precision of the larger one: ``"0 to 7.13 %"``.

    An end that is None reads ``open_end`` (``"21 d to not reached"``); ends that agree when written give one
    value (``"1 d"``).
    """
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        ends = [open_end if v is None or math.isnan(v) else format_quantity(v, unit, digits) for v in (low, high)]
        return ends[0] if ends[0] == ends[1] else f"{ends[0]} to {ends[1]}"
    magnitude = max(abs(low), abs(high))
    if magnitude < 1e-4 or magnitude >= _PLAIN_UP_TO:
        texts = [format_number(low, digits), format_number(high, digits)]
    else:
        decimals = _decimals(magnitude, digits)
        texts = [_strip(f"{v:.{decimals}f}") for v in (low, high)]
    if texts[0] == texts[1]:
        return with_unit(texts[0], unit)
    return with_unit(f"{texts[0]} to {texts[1]}", unit)


@dataclass(frozen=True)
class Shown:
    """How an endpoint's numbers are shown: multiply by ``factor``, then write ``unit`` after them."""

    unit: str
    factor: float = 1.0

    def value(self, value: float | None, digits: int = DIGITS) -> str:
        """One value in this unit."""
        return format_quantity(None if value is None else value * self.factor, self.unit, digits)

    def interval(self, ends: tuple[float | None, float | None], open_end: str = "n/a", digits: int = DIGITS) -> str:
        """An interval in this unit."""
        low, high = (None if v is None else v * self.factor for v in ends)
        return format_interval(low, high, self.unit, digits, open_end)


def endpoint_shown(kind: str, measured: str = "", unit: str | None = None) -> Shown:
    """How values of an endpoint of ``kind`` on ``measured`` (a scale or output) are shown.

    Rates (response, remission) in percent, times to an event in days, changes in scale points, percent changes
    in percent, an output's value and ``cmax`` in ``unit`` (by default the output's unit in the vocabulary), ``tmax``
    and ``time_above`` in hours, ``auc`` in ``unit`` times hours.
    """
    if kind in BINARY_KINDS:
        return Shown("%", 100.0)
    if kind in TIME_KINDS:
        return Shown("d")
    if kind == "percent_change":
        return Shown("%")
    if kind == "mean_change":
        return Shown("points")
    if kind in HOUR_KINDS:
        return Shown("h")
    if unit is None:
        unit = OUTPUTS[measured].unit if measured in OUTPUTS else ""
    return Shown(f"{unit}·h" if kind == "auc" else unit)


def difference_shown(kind: str, measured: str = "", unit: str | None = None) -> Shown:
    """How a difference between two arms of an endpoint is shown: rates and percentages in percentage points."""
    if kind in BINARY_KINDS:
        return Shown("pp", 100.0)
    if kind == "percent_change":
        return Shown("pp")
    return endpoint_shown(kind, measured, unit)
