"""Formulas of the model (`ketasim.models.math.Expr`) as libsbml MathML trees, every number with its unit.

The unit of each subformula follows from the units of the named quantities it reads: sums, maxima and
comparisons need equal units (a number among them takes theirs), products and quotients multiply, exponential,
logarithm, tanh and non-integer powers need dimensionless arguments. A formula that breaks these rules is an
error of the model's declarations and is refused with the formula named. ``max`` and ``min`` are SBML Level 3
Version 2 functions (libroadrunner and COPASI read them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ketasim.errors import UnsupportedError
from ketasim.io.sbml.units import DIMENSIONLESS, Unit
from ketasim.models.math import Expr

FUNCTIONS = {"exp": "AST_FUNCTION_EXP", "ln": "AST_FUNCTION_LN", "tanh": "AST_FUNCTION_TANH"}


class MathWriter:
    """Builds libsbml AST nodes from formulas.

    Parameters
    ----------
    libsbml
        The libsbml module.
    units
        Unit of every symbol the formulas read.
    ids
        SBML id of every symbol.
    unit_id
        The id of a unit definition for a `Unit` (created on first use).
    """

    def __init__(
        self, libsbml: Any, units: Mapping[str, Unit], ids: Mapping[str, str], unit_id: Callable[[Unit], str]
    ) -> None:
        self.libsbml = libsbml
        self.units = units
        self.ids = ids
        self.unit_id = unit_id

    def write(self, expr: Any, want: Unit | None = None) -> tuple[Any, Unit | None]:
        """The AST of ``expr`` and its unit (None for a bare number with no unit required)."""
        expr = expr if isinstance(expr, Expr) else Expr("number", (float(expr),))
        lib = self.libsbml
        if expr.op == "number":
            node = lib.ASTNode(lib.AST_REAL)
            node.setValue(float(expr.args[0]))
            unit = want or DIMENSIONLESS
            node.setUnits(self.unit_id(unit))
            return node, unit
        if expr.op == "unit_number":  # a number with its own unit (doses in events)
            node = lib.ASTNode(lib.AST_REAL)
            node.setValue(float(expr.args[0]))
            node.setUnits(self.unit_id(expr.args[1]))
            return node, expr.args[1]
        if expr.op == "symbol":
            name = expr.args[0]
            node = lib.ASTNode(lib.AST_NAME)
            node.setName(self.ids[name])
            return node, self.units[name]
        if expr.op in ("plus", "minus") and len(expr.args) == 2 or expr.op in ("max", "min"):
            return self._same_units(expr, want)
        if expr.op == "minus":
            negated, negated_unit = self.write(expr.args[0], want)
            return self._node(lib.AST_MINUS, [negated]), negated_unit
        if expr.op in ("times", "divide"):
            left, left_unit = self.write(expr.args[0])
            right, right_unit = self.write(expr.args[1])
            a, b = left_unit or DIMENSIONLESS, right_unit or DIMENSIONLESS
            kind = lib.AST_TIMES if expr.op == "times" else lib.AST_DIVIDE
            return self._node(kind, [left, right]), a * b if expr.op == "times" else a / b
        if expr.op == "power":
            return self._power(expr)
        if expr.op in FUNCTIONS:
            child, child_unit = self.write(expr.args[0], DIMENSIONLESS)
            self._require(child_unit, DIMENSIONLESS, expr)
            return self._node(getattr(lib, FUNCTIONS[expr.op]), [child]), DIMENSIONLESS
        raise UnsupportedError(f"the SBML export cannot write the operation {expr.op!r}")

    def _node(self, kind: int, children: list[Any]) -> Any:
        node = self.libsbml.ASTNode(kind)
        for child in children:
            node.addChild(child)
        return node

    def _matched(self, args: list[Any], want: Unit | None, expr: Expr) -> tuple[list[Any], Unit]:
        """Write ``args`` in one unit: ``want``, else that of the first argument that is not a bare number."""
        unit = want
        if unit is None:
            for arg in args:
                if not (isinstance(arg, Expr) and arg.op == "number") and isinstance(arg, Expr):
                    unit = self.write(arg)[1]
                    if unit is not None:
                        break
        unit = unit or DIMENSIONLESS
        nodes = []
        for arg in args:
            node, got = self.write(arg, unit)
            self._require(got, unit, expr)
            nodes.append(node)
        return nodes, unit

    def _same_units(self, expr: Expr, want: Unit | None) -> tuple[Any, Unit | None]:
        lib = self.libsbml
        (left, right), unit = self._matched(list(expr.args), want, expr)
        kinds = {"plus": lib.AST_PLUS, "minus": lib.AST_MINUS, "max": lib.AST_FUNCTION_MAX, "min": lib.AST_FUNCTION_MIN}
        return self._node(kinds[expr.op], [left, right]), unit

    def _power(self, expr: Expr) -> tuple[Any, Unit]:
        base, exponent = expr.args
        exponent_node, exponent_unit = self.write(exponent, DIMENSIONLESS)
        self._require(exponent_unit, DIMENSIONLESS, expr)
        if isinstance(exponent, Expr) and exponent.op == "number":
            base_node, base_unit = self.write(base)
            unit = (base_unit or DIMENSIONLESS) ** float(exponent.args[0])
        else:
            base_node, base_unit = self.write(base, DIMENSIONLESS)
            self._require(base_unit, DIMENSIONLESS, expr)
            unit = DIMENSIONLESS
        return self._node(self.libsbml.AST_POWER, [base_node, exponent_node]), unit

    @staticmethod
    def _require(got: Unit | None, wanted: Unit, expr: Expr) -> None:
        if got is not None and not got.same(wanted):
            raise UnsupportedError(f"units do not match in a formula of the model ({got} vs {wanted}): {expr.op}")
