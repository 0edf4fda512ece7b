"""References as BibTeX (``ketasim cite --bibtex``).

The registry keeps each reference as one citation line in the usual medical style, ``Authors. Title. Journal
Year;volume:pages (note)``. A line of that shape becomes an ``@article`` with author, title, journal, year, pages
and note fields; anything else (a label, a book, a modelling judgement) becomes a ``@misc`` whose title is the whole
line, so nothing is lost. The DOI, where known, is always its own field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ketasim.parameters.registry import Reference

_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_INITIALS = re.compile(r"^[A-Z]{1,3}$")
_SPECIAL = re.compile(r"([&%$#_])")


def _escape(text: str) -> str:
    """Text safe inside a braced BibTeX field (LaTeX specials escaped, braces balanced)."""
    return _SPECIAL.sub(r"\\\1", text.replace("{", "(").replace("}", ")"))


def _looks_like_authors(text: str) -> bool:
    names = [n.strip() for n in re.split(r"[,;]", text) if n.strip()]
    return bool(names) and all(
        n.endswith("et al") or _INITIALS.match(n.split()[-1]) or n == names[-1] for n in names[:-1]
    )


def _author(name: str) -> str:
    """``"Henthorn TK"`` -> ``"Henthorn, TK"``; ``"et al"`` -> ``"others"``; a group name kept whole in braces."""
    words = name.split()
    if name == "et al":
        return "others"
    if len(words) >= 2 and _INITIALS.match(words[-1]):
        return f"{' '.join(words[:-1])}, {words[-1]}"
    if len(words) >= 3 and words[-1] == "Jr" and _INITIALS.match(words[-2]):
        return f"{' '.join(words[:-2])}, Jr, {words[-2]}"
    return "{" + name + "}"


def _authors(text: str) -> str:
    names = []
    for part in re.split(r"[,;]", text):
        part = part.strip()
        if part.endswith(" et al"):
            names += [part[: -len(" et al")].strip(), "et al"]
        elif part:
            names.append(part)
    return " and ".join(_author(n) for n in names)


def _fields(reference: Reference) -> tuple[str, list[tuple[str, str]]]:
    """The entry type and its fields (name, raw text) of one reference."""
    parts = reference.citation.split(". ")
    year = _YEAR.search(". ".join(parts[2:])) if len(parts) >= 3 else None
    if year is None or not _looks_like_authors(parts[0]):
        return "misc", [("title", reference.citation)]
    venue = ". ".join(parts[2:])
    fields = [("author", _authors(parts[0])), ("title", parts[1])]
    journal = venue[: year.start()].strip(" ,;")
    rest = venue[year.end() :].strip()
    note = ""
    if rest.endswith(")") and " (" in rest:
        rest, note = rest[: rest.index(" (")].strip(), rest[rest.index(" (") + 2 : -1]
    if journal:
        fields.append(("journal", journal))
    fields.append(("year", year.group(0)))
    volume = re.match(r"^;?\s*(\d+)(?:\((\w+)\))?(?::([\w-]+))?", rest)
    if volume is not None:
        fields.append(("volume", volume.group(1)))
        if volume.group(2):
            fields.append(("number", volume.group(2)))
        if volume.group(3):
            fields.append(("pages", volume.group(3).replace("-", "--")))
    if note:
        fields.append(("note", note))
    return ("article" if journal else "misc"), fields


def bibtex_entry(reference: Reference) -> str:
    """One reference as a BibTeX entry whose key is the reference's key."""
    kind, fields = _fields(reference)
    lines = [f"@{kind}{{{reference.key},"]
    for name, value in fields:
        text = value if name == "author" else _escape(value)
        lines.append(f"  {name} = {{{text}}},")
    if reference.doi:
        lines.append(f"  doi = {{{reference.doi}}},")
    lines.append("}")
    return "\n".join(lines)


def bibtex_entries(references: Iterable[Reference]) -> str:
    """Every reference as a BibTeX entry, each key once, separated by blank lines."""
    seen: set[str] = set()
    entries = []
    for reference in references:
        if reference.key not in seen:
            seen.add(reference.key)
            entries.append(bibtex_entry(reference))
    return "\n\n".join(entries) + "\n"
