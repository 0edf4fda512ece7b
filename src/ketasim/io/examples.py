"""The example protocols and patient history that ship inside the package (``ketasim examples``).

In a source checkout ``src/ketasim/examples`` is a link to the repository's ``examples/`` folder; an installed wheel
carries the files themselves. Either way they are read through `importlib.resources`, so ``ketasim examples``
works wherever ketasim is installed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from difflib import get_close_matches
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import yaml

from ketasim.errors import InputError

HISTORY = "patient-history"
"""The folder of the example patient history (for ``ketasim forecast``)."""


@dataclass(frozen=True)
class Example:
    """One example: its name (the file name without ``.yaml``), the protocol's ``name`` and where it is."""

    name: str
    title: str
    source: Traversable


def _folder() -> Traversable:
    return resources.files("ketasim") / "examples"


def examples() -> list[Example]:
    """Every example protocol, sorted by name, and the patient-history folder last."""
    found = []
    for item in sorted(_folder().iterdir(), key=lambda entry: entry.name):
        if item.name.endswith(".yaml"):
            title = str(yaml.safe_load(item.read_text(encoding="utf-8")).get("name", ""))
            found.append(Example(item.name.removesuffix(".yaml"), title, item))
    history = _folder() / HISTORY
    found.append(Example(HISTORY, "one patient's history and facts, for ketasim forecast", history))
    return found


def _copy(source: Traversable, target: Path) -> Path:
    if source.is_dir():
        target.mkdir(parents=True)
        for item in source.iterdir():
            _copy(item, target / item.name)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        with resources.as_file(source) as path:
            shutil.copyfile(path, target)
    return target


def copy_examples(names: list[str], out: Path) -> list[Path]:
    """Copy the named examples (all when ``names`` is empty) into ``out``; return what was written.

    Raises
    ------
    InputError
        For an unknown name (naming the close ones) or a file that is already there (nothing is overwritten).
    """
    known = {example.name: example for example in examples()}
    chosen = [known[name] for name in known] if not names else []
    for name in names:
        stem = name.removesuffix(".yaml")
        if stem not in known:
            close = get_close_matches(stem, list(known), n=1)
            fix = f"did you mean {close[0]!r}?" if close else "see `ketasim examples` for the names"
            raise InputError("NAME", f"no example {name!r}", fix)
        chosen.append(known[stem])
    for example in chosen:  # check them all first: nothing is copied when one is in the way
        target = out / example.source.name
        if target.exists():
            raise InputError("--out", f"{target} already exists", "choose an empty folder or remove the file")
    return [_copy(example.source, out / example.source.name) for example in chosen]
