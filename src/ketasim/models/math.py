"""The two ways the model's equations are evaluated: on arrays (JAX, in the engine) and as formulas (the export).

Every stage writes its equations once, against a `Math` namespace ``m`` and Python's arithmetic operators:
``m.tanh(x)``, ``m.power(x, n)``, ``m.maximum(a, b)``; ``m.named(defined, name)`` reads a
quantity the stage has just defined (its value on arrays, a reference by name in formulas). `ARRAYS` evaluates them on JAX arrays of
patients (`HOST` on NumPy arrays, for evaluations outside the engine); `FORMULAS` builds `Expr` trees over named symbols, which `ketasim.io.sbml` writes as MathML, so the SBML
export and the engine cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

from ketasim.models.power import power as fast_power

Value = Any  # a JAX array (ARRAYS) or an `Expr` (FORMULAS)


class Math(Protocol):
    """Functions available to a stage's equations (arithmetic is Python's operators on the values)."""

    def exp(self, x: Value) -> Value: ...
    def log(self, x: Value) -> Value: ...
    def log1p(self, x: Value) -> Value: ...
    def tanh(self, x: Value) -> Value: ...
    def power(self, base: Value, exponent: Value) -> Value: ...
    def softplus(self, x: Value) -> Value: ...
    def sigmoid(self, x: Value) -> Value: ...
    def maximum(self, a: Value, b: Value) -> Value: ...
    def minimum(self, a: Value, b: Value) -> Value: ...
    def named(self, defined: dict[str, Value], name: str) -> Value: ...


@dataclass(frozen=True)
class ArrayMath:
    """`Math` on arrays of an array library ``xp``: JAX (`ARRAYS`, the engine) or NumPy (`HOST`).

    Where the libraries differ the functions are given: on JAX ``power`` is the engine's fast power (exp of log in
    float32); ``softplus`` and ``sigmoid`` are each library's overflow-free forms. `HOST` serves evaluations done
    once per run outside the engine (the network table, discharge monitoring), which on JAX would load one small
    compiled program per operation.
    """

    xp: Any
    power: Callable[[Value, Value], Value]
    softplus: Callable[[Value], Value]  # log(1 + exp(x))
    sigmoid: Callable[[Value], Value]  # 1 / (1 + exp(-x))

    def exp(self, x: Value) -> Value:
        return self.xp.exp(x)

    def log(self, x: Value) -> Value:
        return self.xp.log(x)

    def log1p(self, x: Value) -> Value:
        return self.xp.log1p(x)

    def tanh(self, x: Value) -> Value:
        return self.xp.tanh(x)

    def maximum(self, a: Value, b: Value) -> Value:
        return self.xp.maximum(a, b)

    def minimum(self, a: Value, b: Value) -> Value:
        return self.xp.minimum(a, b)

    def named(self, defined: dict[str, Value], name: str) -> Value:
        """A quantity the stage has just defined: its value."""
        return defined[name]


@dataclass(frozen=True, eq=False)
class Expr:
    """A formula: an operation (``symbol``, ``number``, ``plus``, ``times``, ``exp``, ...) and its arguments.

    ``symbol`` holds its name and ``number`` its value in ``args``. Python's arithmetic operators build new
    expressions, so the same equations that run on arrays write formulas.
    """

    op: str
    args: tuple[Any, ...]

    def __add__(self, other: Any) -> Expr:
        return _apply("plus", self, other)

    def __radd__(self, other: Any) -> Expr:
        return _apply("plus", other, self)

    def __sub__(self, other: Any) -> Expr:
        return _apply("minus", self, other)

    def __rsub__(self, other: Any) -> Expr:
        return _apply("minus", other, self)

    def __mul__(self, other: Any) -> Expr:
        return _apply("times", self, other)

    def __rmul__(self, other: Any) -> Expr:
        return _apply("times", other, self)

    def __truediv__(self, other: Any) -> Expr:
        return _apply("divide", self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return _apply("divide", other, self)

    def __pow__(self, other: Any) -> Expr:
        return _apply("power", self, other)

    def __neg__(self) -> Expr:
        return Expr("minus", (self,))

    def symbols(self) -> set[str]:
        """Names of the symbols the formula reads."""
        if self.op == "symbol":
            return {self.args[0]}
        return set().union(*(a.symbols() for a in self.args if isinstance(a, Expr)))


def symbol(name: str) -> Expr:
    """The formula that reads the quantity ``name``."""
    return Expr("symbol", (name,))


def number(value: float) -> Expr:
    """A constant."""
    return Expr("number", (float(value),))


def _expr(value: Any) -> Expr:
    return value if isinstance(value, Expr) else number(value)


def _apply(op: str, *args: Any) -> Expr:
    return Expr(op, tuple(_expr(a) for a in args))


class FormulaMath:
    """`Math` building `Expr` formulas (MathML operators: ``exp``, ``ln``, ``tanh``, ``power``, ``max``, ...)."""

    def exp(self, x: Value) -> Value:
        return _apply("exp", x)

    def log(self, x: Value) -> Value:
        return _apply("ln", x)

    def log1p(self, x: Value) -> Value:
        return _apply("ln", 1.0 + _expr(x))

    def tanh(self, x: Value) -> Value:
        return _apply("tanh", x)

    def power(self, base: Value, exponent: Value) -> Value:
        return _apply("power", base, exponent)

    def softplus(self, x: Value) -> Value:
        return self.log(1.0 + self.exp(x))

    def sigmoid(self, x: Value) -> Value:
        return 1.0 / (1.0 + self.exp(-x))

    def maximum(self, a: Value, b: Value) -> Value:
        return _apply("max", a, b)

    def minimum(self, a: Value, b: Value) -> Value:
        return _apply("min", a, b)

    def named(self, defined: dict[str, Value], name: str) -> Value:
        """A quantity the stage has just defined: a reference to it by name, so formulas stay small."""
        return symbol(name)


ARRAYS = ArrayMath(jnp, fast_power, jax.nn.softplus, jax.nn.sigmoid)
HOST = ArrayMath(np, np.power, partial(np.logaddexp, 0.0), scipy.special.expit)
FORMULAS = FormulaMath()


def array_library(*values: Any) -> Any:
    """``jax.numpy`` if any of ``values`` is a JAX array (or a tracer), else NumPy."""
    return jnp if any(isinstance(value, jax.Array) for value in values) else np


def soft_floor(m: Math, value: Value, softness: Value) -> Value:
    """Smooth max(value, 0) (softplus of width ``softness``)."""
    return softness * m.softplus(value / softness)


def clip(m: Math, x: Value, low: Value, high: Value) -> Value:
    """``x`` limited to [low, high]."""
    return m.minimum(m.maximum(x, low), high)


def total(values: Sequence[Value]) -> Value:
    """The sum of a sequence of values (0 for none), added left to right."""
    if not values:
        return 0.0
    result = values[0]
    for value in values[1:]:
        result = result + value
    return result
