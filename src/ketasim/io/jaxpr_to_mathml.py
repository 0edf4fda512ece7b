"""Translate a traced JAX function of scalar arithmetic into SBML Level 3 formulas (MathML through libsbml).

`evaluate` runs a jaxpr (`jax.make_jaxpr`) on arrays of symbolic values instead of numbers: every array element is
a Python float or bool (a constant) or a `Node` (an expression over named SBML symbols). Constants are folded
with JAX itself, so folded numbers are exactly what the engine computes; equal subexpressions are built once
(hash-consing), so a computation traced twice (a model's derivative and its observation) is shared.
`FormulaWriter` turns root expressions into SBML Level 3 infix formulas (`libsbml.parseL3Formula` reads them
into MathML), naming every subexpression used more than once as an intermediate with its own assignment rule.

Supported: elementwise arithmetic (add, sub, mul, div, neg, pow, integer_pow, square, sqrt, rsqrt, exp, exp2,
log, log1p, expm1, tanh, logistic, abs, sign, floor, ceil), max, min, clamp, comparisons, logical and/or/not,
select_n, convert_element_type, stop_gradient and copies; the shape operations broadcast_in_dim, reshape,
squeeze, expand_dims, concatenate, stack, slice, transpose, reduce_sum/max/min and dot_general (expanded element
by element); calls (jit, custom_jvp_call, custom_vjp_call, closed_call) are inlined. Any primitive whose inputs
are all constant is evaluated numerically, whatever it is (e.g. a gather from a constant table). Anything else
on symbolic input raises `UnsupportedError` naming the primitive.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import numpy as np
from jax.extend import core as jax_core

from ketasim.errors import UnsupportedError

Value = Any  # float | bool | Node


class Node:
    """One operation over symbols and constants; built only through `Graph`, so equal nodes are identical."""

    __slots__ = ("op", "args", "boolean")

    def __init__(self, op: str, args: tuple[Any, ...], boolean: bool) -> None:
        self.op = op
        self.args = args
        self.boolean = boolean

    def __repr__(self) -> str:
        return f"Node({self.op}, {self.args!r})"


_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_NUMERIC: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": np.power,
    "exp": np.exp,
    "ln": np.log,
    "tanh": np.tanh,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "floor": np.floor,
    "ceil": np.ceil,
    "max": np.maximum,
    "min": np.minimum,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "not": lambda a: not a,
    "piecewise": lambda a, condition, b: a if condition else b,
}


def _is_constant(value: Value) -> bool:
    return not isinstance(value, Node)


def _plain(value: Any) -> float | bool:
    """A NumPy or Python scalar as a Python float, or bool for booleans."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return float(value)


class Graph:
    """Builds expression nodes: folds constants, applies exact identities, and shares equal subexpressions."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[Any, ...], Node] = {}

    def symbol(self, name: str, boolean: bool = False) -> Node:
        """The node of a named SBML symbol."""
        return self._node("sym", (name,), boolean)

    def _node(self, op: str, args: tuple[Any, ...], boolean: bool) -> Node:
        key = (op, *(("n", id(a)) if isinstance(a, Node) else ("c", type(a).__name__, repr(a)) for a in args))
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = Node(op, args, boolean)
        return node

    def apply(self, op: str, *args: Value) -> Value:
        """The value of ``op`` on ``args``: a folded constant, a simplified operand, or a (shared) new node."""
        if all(_is_constant(a) for a in args):
            with np.errstate(all="ignore"):
                return _plain(_NUMERIC[op](*(np.float64(a) if not isinstance(a, bool) else a for a in args)))
        simplified = self._simplify(op, args)
        if simplified is not None:
            return simplified
        boolean = op in _COMPARISONS or op in ("and", "or", "not")
        if op == "piecewise":
            boolean = all(isinstance(a, bool) or (isinstance(a, Node) and a.boolean) for a in (args[0], args[2]))
        return self._node(op, tuple(_plain(a) if _is_constant(a) else a for a in args), boolean)

    def _simplify(self, op: str, args: tuple[Value, ...]) -> Value | None:
        """Identities that hold for every finite operand; None when none applies."""
        a = args[0]
        b = args[1] if len(args) > 1 else None
        if op == "add":
            if _is_constant(b) and b == 0.0:
                return a
            if _is_constant(a) and a == 0.0:
                return b
        elif op == "sub":
            if _is_constant(b) and b == 0.0:
                return a
            if _is_constant(a) and a == 0.0:
                return self.apply("neg", b)
            if a is b:
                return 0.0
        elif op == "mul":
            for x, y in ((a, b), (b, a)):
                if _is_constant(x) and x == 1.0:
                    return y
                if _is_constant(x) and x == 0.0:
                    return 0.0
        elif op == "div":
            if _is_constant(b) and b == 1.0:
                return a
            if _is_constant(a) and a == 0.0:
                return 0.0
        elif op == "neg":
            if isinstance(a, Node) and a.op == "neg":
                return a.args[0]
        elif op == "pow":
            if _is_constant(b) and b == 1.0:
                return a
            if _is_constant(b) and b == 0.0:
                return 1.0
        elif op in ("max", "min") and a is b:
            return a
        elif op in ("eq", "le", "ge") and a is b:
            return True
        elif op in ("ne", "lt", "gt") and a is b:
            return False
        elif op == "piecewise":
            condition, otherwise = args[1], args[2]
            if _is_constant(condition):
                return a if condition else otherwise
            if a is otherwise:
                return a
        return None


# --- elementwise primitives, as compositions of graph operations -------------------------------------------------


def _unary(op: str) -> Callable[[Graph, Value], Value]:
    return lambda g, x: g.apply(op, x)


def _binary(op: str) -> Callable[[Graph, Value, Value], Value]:
    return lambda g, x, y: g.apply(op, x, y)


def _logistic(g: Graph, x: Value) -> Value:
    return g.apply("div", 1.0, g.apply("add", 1.0, g.apply("exp", g.apply("neg", x))))


def _sign(g: Graph, x: Value) -> Value:
    return g.apply("piecewise", 1.0, g.apply("gt", x, 0.0), g.apply("piecewise", -1.0, g.apply("lt", x, 0.0), 0.0))


_ELEMENTWISE: dict[str, Callable[..., Value]] = {
    "add": _binary("add"),
    "add_any": _binary("add"),
    "sub": _binary("sub"),
    "mul": _binary("mul"),
    "div": _binary("div"),
    "pow": _binary("pow"),
    "max": _binary("max"),
    "min": _binary("min"),
    "and": _binary("and"),
    "or": _binary("or"),
    **{name: _binary(name) for name in _COMPARISONS},
    "neg": _unary("neg"),
    "exp": _unary("exp"),
    "log": _unary("ln"),
    "tanh": _unary("tanh"),
    "sqrt": _unary("sqrt"),
    "abs": _unary("abs"),
    "floor": _unary("floor"),
    "ceil": _unary("ceil"),
    "not": _unary("not"),
    "log1p": lambda g, x: g.apply("ln", g.apply("add", 1.0, x)),
    "expm1": lambda g, x: g.apply("sub", g.apply("exp", x), 1.0),
    "exp2": lambda g, x: g.apply("pow", 2.0, x),
    "rsqrt": lambda g, x: g.apply("div", 1.0, g.apply("sqrt", x)),
    "square": lambda g, x: g.apply("mul", x, x),
    "logistic": _logistic,
    "sign": _sign,
    "clamp": lambda g, low, x, high: g.apply("min", g.apply("max", x, low), high),
    "stop_gradient": lambda g, x: x,
    "copy": lambda g, x: x,
    "copy_p": lambda g, x: x,
    "reduce_precision": lambda g, x: x,
    "optimization_barrier": lambda g, x: x,
}


def _integer_pow(g: Graph, x: Value, y: int) -> Value:
    return g.apply("pow", x, float(y))


def _convert(g: Graph, x: Value, new_dtype: Any) -> Value:
    dtype = np.dtype(new_dtype)
    if _is_constant(x):
        return _plain(np.asarray(x).astype(dtype)[()])
    if dtype == np.bool_:
        return x if x.boolean else g.apply("ne", x, 0.0)
    if np.issubdtype(dtype, np.floating):
        return g.apply("piecewise", 1.0, x, 0.0) if x.boolean else x
    raise UnsupportedError(f"cannot translate conversion of a symbolic value to {dtype}")


def _select(g: Graph, which: Value, *cases: Value) -> Value:
    if len(cases) == 1:
        return cases[0]
    if isinstance(which, Node) and which.boolean or isinstance(which, bool):
        return g.apply("piecewise", cases[1], which, cases[0])
    if _is_constant(which):
        return cases[int(which)]
    result = cases[-1]
    for index in range(len(cases) - 2, -1, -1):
        result = g.apply("piecewise", cases[index], g.apply("eq", which, float(index)), result)
    return result


# --- the interpreter ---------------------------------------------------------------------------------------------


def _objects(value: Any) -> np.ndarray:
    """A numeric or boolean array as an object array of Python floats and bools."""
    array = np.asarray(value)
    out = np.empty(array.shape, dtype=object)
    flat = array.reshape(-1)
    out.reshape(-1)[:] = [_plain(v) for v in flat.tolist()] if flat.size else []
    return out


def _all_constant(array: np.ndarray) -> bool:
    return all(_is_constant(v) for v in array.reshape(-1))


def _map(function: Callable[..., Value], arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Apply a scalar function elementwise with NumPy broadcasting over object arrays."""
    broadcast = np.broadcast_arrays(*arrays)
    out = np.empty(broadcast[0].shape, dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = function(*(b[index] for b in broadcast))
    return out


def _sum(g: Graph, values: Iterable[Value]) -> Value:
    total: Value = 0.0
    for value in values:
        total = g.apply("add", total, value)
    return total


def _reduce(g: Graph, array: np.ndarray, axes: Sequence[int], op: str) -> np.ndarray:
    kept = [d for d in range(array.ndim) if d not in axes]
    moved = np.transpose(array, kept + list(axes))
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    out = np.empty(flat.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        items = list(flat[index])
        if op == "add":
            out[index] = _sum(g, items)
        else:
            result = items[0]
            for item in items[1:]:
                result = g.apply(op, result, item)
            out[index] = result
    return out


def _dot_general(g: Graph, lhs: np.ndarray, rhs: np.ndarray, dimension_numbers: Any) -> np.ndarray:
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
    lhs_free = [d for d in range(lhs.ndim) if d not in (*lhs_contract, *lhs_batch)]
    rhs_free = [d for d in range(rhs.ndim) if d not in (*rhs_contract, *rhs_batch)]
    a = np.transpose(lhs, [*lhs_batch, *lhs_free, *lhs_contract])
    b = np.transpose(rhs, [*rhs_batch, *rhs_free, *rhs_contract])
    batch_shape = a.shape[: len(lhs_batch)]
    a_free = a.shape[len(lhs_batch) : len(lhs_batch) + len(lhs_free)]
    b_free = b.shape[len(rhs_batch) : len(rhs_batch) + len(rhs_free)]
    a = a.reshape(int(np.prod(batch_shape)), int(np.prod(a_free)), -1)
    b = b.reshape(int(np.prod(batch_shape)), int(np.prod(b_free)), -1)
    out = np.empty((a.shape[0], a.shape[1], b.shape[1]), dtype=object)
    for k, i, j in itertools.product(range(out.shape[0]), range(out.shape[1]), range(out.shape[2])):
        out[k, i, j] = _sum(g, (g.apply("mul", x, y) for x, y in zip(a[k, i], b[k, j], strict=True)))
    return out.reshape(batch_shape + a_free + b_free)


def _broadcast_in_dim(operand: np.ndarray, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> np.ndarray:
    expanded = [1] * len(shape)
    for source, target in enumerate(broadcast_dimensions):
        expanded[target] = operand.shape[source]
    return np.broadcast_to(operand.reshape(expanded), tuple(shape)).copy()


def _slice(operand: np.ndarray, start_indices: Any, limit_indices: Any, strides: Any) -> np.ndarray:
    steps = strides or (1,) * operand.ndim
    return operand[tuple(slice(s, e, k) for s, e, k in zip(start_indices, limit_indices, steps, strict=True))].copy()


_STRUCTURAL: dict[str, Callable[..., np.ndarray]] = {
    "broadcast_in_dim": lambda x, shape, broadcast_dimensions, **_: _broadcast_in_dim(x, shape, broadcast_dimensions),
    "reshape": lambda x, new_sizes, dimensions=None, **_: np.reshape(
        x if dimensions is None else np.transpose(x, dimensions), tuple(new_sizes)
    ),
    "squeeze": lambda x, dimensions, **_: np.squeeze(x, axis=tuple(dimensions)),
    "expand_dims": lambda x, dimensions, **_: np.expand_dims(x, tuple(dimensions)),
    "transpose": lambda x, permutation, **_: np.transpose(x, permutation),
    "slice": lambda x, start_indices, limit_indices, strides=None, **_: _slice(
        x, start_indices, limit_indices, strides
    ),
    "concatenate": lambda *xs, dimension, **_: np.concatenate(xs, axis=dimension),
    "stack": lambda *xs, axis, **_: np.stack(xs, axis=axis),
}
_CALL_PARAMETERS = ("jaxpr", "call_jaxpr", "fun_jaxpr")


def _read(env: dict[Any, np.ndarray], atom: Any) -> np.ndarray:
    if isinstance(atom, jax_core.Literal):
        return _objects(atom.val)
    return env[atom]


def evaluate(graph: Graph, closed: jax_core.ClosedJaxpr, args: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run ``closed`` on object arrays of symbolic values; return its outputs as object arrays.

    Parameters
    ----------
    graph
        Where the expression nodes are built (share one graph across calls to share subexpressions).
    closed
        A closed jaxpr, e.g. from `jax.make_jaxpr`.
    args
        One object array per input variable, of the input's shape.
    """
    return _run(graph, closed.jaxpr, [_objects(c) for c in closed.consts], list(args))


def _run(graph: Graph, jaxpr: jax_core.Jaxpr, consts: list[np.ndarray], args: list[np.ndarray]) -> list[np.ndarray]:
    env: dict[Any, np.ndarray] = {}
    for var, value in zip(jaxpr.constvars, consts, strict=True):
        env[var] = value
    for var, value in zip(jaxpr.invars, args, strict=True):
        traced = tuple(getattr(var.aval, "shape", ()))
        if traced != np.shape(value):
            raise UnsupportedError(f"input of shape {np.shape(value)} where the trace has {traced}")
        env[var] = value
    for equation in jaxpr.eqns:
        inputs = [_read(env, atom) for atom in equation.invars]
        outputs = _equation(graph, equation, inputs)
        for var, value in zip(equation.outvars, outputs, strict=True):
            if not isinstance(var, jax_core.DropVar):
                env[var] = value
    return [_read(env, atom) for atom in jaxpr.outvars]


def _equation(graph: Graph, equation: Any, inputs: list[np.ndarray]) -> list[np.ndarray]:
    name = equation.primitive.name
    params = dict(equation.params)
    for key in _CALL_PARAMETERS:
        inner = params.get(key)
        if isinstance(inner, jax_core.ClosedJaxpr):
            return _run(graph, inner.jaxpr, [_objects(c) for c in inner.consts], inputs)
        if isinstance(inner, jax_core.Jaxpr):
            return _run(graph, inner, [], inputs)
    if all(_all_constant(x) for x in inputs):
        return _constant_equation(equation, inputs)
    if name in _STRUCTURAL:
        return [_STRUCTURAL[name](*inputs, **params)]
    if name in _ELEMENTWISE:
        return [_map(lambda *xs: _ELEMENTWISE[name](graph, *xs), inputs)]
    if name == "integer_pow":
        return [_map(lambda x: _integer_pow(graph, x, params["y"]), inputs)]
    if name == "convert_element_type":
        return [_map(lambda x: _convert(graph, x, params["new_dtype"]), inputs)]
    if name == "select_n":
        return [_map(lambda *xs: _select(graph, *xs), inputs)]
    if name in ("reduce_sum", "reduce_max", "reduce_min"):
        op = {"reduce_sum": "add", "reduce_max": "max", "reduce_min": "min"}[name]
        return [_reduce(graph, inputs[0], tuple(params["axes"]), op)]
    if name == "dot_general":
        return [_dot_general(graph, inputs[0], inputs[1], params["dimension_numbers"])]
    raise UnsupportedError(f"cannot translate the JAX primitive {name!r} on symbolic input into SBML")


def _constant_equation(equation: Any, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Evaluate an equation whose inputs are all constants with JAX itself."""
    values = [
        np.asarray(x.tolist() if x.ndim else x[()], dtype=atom.aval.dtype).reshape(x.shape)
        for x, atom in zip(inputs, equation.invars, strict=True)
    ]
    result = equation.primitive.bind(*values, **equation.params)
    results = result if equation.primitive.multiple_results else [result]
    return [_objects(np.asarray(r)) for r in results]


# --- formulas ----------------------------------------------------------------------------------------------------


def _number(value: float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "(-INF)"
    text = repr(float(value))
    return f"({text})" if value < 0 else text


_FUNCTIONS = {"exp": "exp", "ln": "ln", "tanh": "tanh", "sqrt": "sqrt", "abs": "abs", "floor": "floor", "ceil": "ceil"}
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^", "and": "&&", "or": "||", **_COMPARISONS}


class FormulaWriter:
    """SBML Level 3 infix formulas of root expressions, with shared subexpressions named as intermediates.

    Parameters
    ----------
    roots
        (SBML id, value) of every expression to write, e.g. the rate rule of a state or an assignment rule.
    assigned
        Ids among ``roots`` whose SBML symbol equals its value (assignment rules): other formulas that use the
        same value refer to it by that id instead of a new intermediate.
    prefix
        Prefix of the ids of named intermediates (``prefix`` + number); must not clash with other ids.

    Attributes
    ----------
    formulas
        (id, formula) of every root, in order.
    intermediates
        (id, formula) of every named intermediate, each after those it uses.
    """

    def __init__(self, roots: Sequence[tuple[str, Value]], assigned: Iterable[str] = (), prefix: str = "_x") -> None:
        self.roots = list(roots)
        uses: dict[int, int] = {}
        order: list[Node] = []
        seen: set[int] = set()
        for _, value in self.roots:
            if isinstance(value, Node):
                uses[id(value)] = uses.get(id(value), 0) + 1
                self._visit(value, uses, order, seen)
        self._names: dict[int, str] = {}
        owners: set[str] = set()
        aliases = set(assigned)
        for name, value in self.roots:
            if name in aliases and isinstance(value, Node) and value.op != "sym" and id(value) not in self._names:
                self._names[id(value)] = name
                owners.add(name)
        self.intermediates: list[tuple[str, str]] = []
        for node in order:  # children before parents
            if node.op != "sym" and uses.get(id(node), 0) > 1 and id(node) not in self._names:
                name = f"{prefix}{len(self.intermediates)}"
                self.intermediates.append((name, self._text(node, top=True)))
                self._names[id(node)] = name
        self.formulas = [
            (name, self._text(value, top=name in owners) if isinstance(value, Node) else _number(value))
            for name, value in self.roots
        ]

    def _visit(self, root: Node, uses: dict[int, int], order: list[Node], seen: set[int]) -> None:
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for arg in node.args:
                if isinstance(arg, Node):
                    uses[id(arg)] = uses.get(id(arg), 0) + 1
                    stack.append((arg, False))

    def _text(self, node: Node, top: bool = False) -> str:
        if not top and id(node) in self._names:
            return self._names[id(node)]
        if node.op == "sym":
            return str(node.args[0])
        args = [self._text(a) if isinstance(a, Node) else _number(a) for a in node.args]
        if node.op in _INFIX:
            return f"({args[0]} {_INFIX[node.op]} {args[1]})"
        if node.op == "neg":
            return f"(-{args[0]})"
        if node.op == "not":
            return f"!({args[0]})"
        if node.op in ("max", "min"):
            return f"{node.op}({args[0]}, {args[1]})"
        if node.op == "piecewise":
            return f"piecewise({args[0]}, {args[1]}, {args[2]})"
        return f"{_FUNCTIONS[node.op]}({args[0]})"


def symbols(graph: Graph, names: np.ndarray) -> np.ndarray:
    """An object array of symbol nodes from an array of SBML ids."""
    return _map(graph.symbol, [np.asarray(names, dtype=object)])


def trace(function: Callable[..., Any], *example_args: Any) -> tuple[jax_core.ClosedJaxpr, Any]:
    """The closed jaxpr of ``function`` at ``example_args`` and the tree structure of its output."""
    closed, shapes = jax.make_jaxpr(function, return_shape=True)(*example_args)
    return closed, jax.tree_util.tree_structure(shapes)
