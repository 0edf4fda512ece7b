"""Tables for the terminal that fit its width without cutting a value.

`fitted_table` tries three layouts, widest first, and returns the first that fits:

1. one line per row, one column per field;
2. the same with the fields marked ``beneath`` moved under the first field, dimmed, on a second line (their
   headers likewise under the first header);
3. one block per row: the first field on its own line, the others as ``header value`` pairs packed into
   indented lines.

Cells are never wrapped inside a value and never cut with an ellipsis: a field longer than the whole width (a
long free-text name) is the only thing the terminal itself wraps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

INDENT = "  "
_MEASURE = Console(width=100_000)


@dataclass(frozen=True)
class Column:
    """One field of a table: its header, whether it is a number (right-aligned) and whether it may move under the
    first field when the table is too wide."""

    header: str
    numeric: bool = False
    beneath: bool = False


def _table(
    columns: Sequence[Column], headers: Sequence[RenderableType], rows: Sequence[Sequence[RenderableType]]
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for column, header in zip(columns, headers, strict=True):
        table.add_column(header, justify="right" if column.numeric else "left", no_wrap=True)
    for row in rows:  # text as it is: a "[x]" in a name is not rich markup
        table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in row))
    return table


def _width(table: Table) -> int:
    return Measurement.get(_MEASURE, _MEASURE.options, table).maximum


def _with_beneath(first: str, beneath: Sequence[str]) -> Text:
    text = Text(first)
    below = " · ".join(b for b in beneath if b)
    return text.append(f"\n{INDENT}{below}", style="dim") if below else text


def _records(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> Group:
    """One block per row: the first field in bold, the rest packed as ``header value`` pairs."""
    blocks: list[RenderableType] = []
    for row in rows:
        blocks.append(Text(row[0], style="bold"))
        line = ""
        for column, cell in zip(columns[1:], row[1:], strict=True):
            if not cell:
                continue
            pair = f"{column.header} {cell}"
            candidate = f"{line}   {pair}" if line else INDENT + pair
            if line and len(candidate) > width:
                blocks.append(Text(line))
                candidate = INDENT + pair
            line = candidate
        if line:
            blocks.append(Text(line))
    return Group(*blocks)


def fitted_table(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int, title: str = ""
) -> RenderableType:
    """The rows as the widest layout that fits ``width`` characters (see the module docstring).

    Parameters
    ----------
    columns
        The fields, the first one naming the row.
    rows
        One sequence of cell texts per row, as many as ``columns``.
    width
        The terminal's width in characters.
    title
        A line above the table (wrapped between words if longer than the width).
    """
    parts: list[RenderableType] = [Text(title, style="bold")] if title else []
    table = _table(columns, [c.header for c in columns], rows)
    if _width(table) <= width:
        return Group(*parts, table)
    kept = [i for i, c in enumerate(columns) if not c.beneath]
    moved = [i for i, c in enumerate(columns) if c.beneath]
    if moved:
        headers: list[RenderableType] = [_with_beneath(columns[0].header, [columns[i].header for i in moved])]
        headers += [columns[i].header for i in kept[1:]]
        cells: list[list[RenderableType]] = [
            [_with_beneath(row[0], [row[i] for i in moved]), *(row[i] for i in kept[1:])] for row in rows
        ]
        table = _table([columns[i] for i in kept], headers, cells)
        if _width(table) <= width:
            return Group(*parts, table)
    return Group(*parts, _records(columns, rows, width))
