"""Text view of the registry's references: one line per citation (``ketasim cite``)."""

from __future__ import annotations

from collections.abc import Iterable

from ketasim.parameters.registry import Reference


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
