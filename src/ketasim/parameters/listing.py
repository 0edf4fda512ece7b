"""Text views of the registry: a table of parameters (``ketasim params``) and a list of citations (``ketasim cite``)."""

from __future__ import annotations

from collections.abc import Iterable
from io import StringIO

from rich.console import Console
from rich.table import Table

from ketasim.parameters.registry import ParameterSet, Reference


def format_parameters(pset: ParameterSet, names: list[str] | None = None, notes: bool = False) -> Table:
    """A table of the set's parameters (all, or ``names``): value, unit, source, confidence and optionally note.

    Parameters
    ----------
    pset
        The parameter set to list.
    names
        Parameters to list, in this order; all of the set's parameters sorted by name if None.
    notes
        Add a column with each parameter's note (how the value was derived or chosen).
    """
    chosen = sorted(pset.parameters) if names is None else names
    table = Table(title=f"parameter set {pset.name!r}: {pset.description}", title_justify="left")
    table.add_column("parameter", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("source")
    table.add_column("confidence")
    if notes:
        table.add_column("note", overflow="fold")
    for name in chosen:
        p = pset.parameter(name)
        row = [p.name, f"{p.value:.4g}", p.unit, p.source, p.confidence]
        table.add_row(*row, *([p.note] if notes else []))
    return table


def parameters_text(pset: ParameterSet, names: list[str] | None = None, notes: bool = False, width: int = 160) -> str:
    """`format_parameters` rendered as plain text (no colour), for files and non-terminal output."""
    buffer = StringIO()
    Console(file=buffer, width=width, no_color=True, color_system=None).print(format_parameters(pset, names, notes))
    return buffer.getvalue()


def format_citations(references: Iterable[Reference]) -> str:
    """One line per reference, ``[key] citation https://doi.org/DOI``, in the order given, each key once."""
    lines: list[str] = []
    seen: set[str] = set()
    for ref in references:
        if ref.key in seen:
            continue
        seen.add(ref.key)
        doi = f" https://doi.org/{ref.doi}" if ref.doi else ""
        lines.append(f"[{ref.key}] {ref.citation}{doi}")
    return "\n".join(lines)
