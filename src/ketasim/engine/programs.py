"""Engine programs exported once and read back by later processes, so a new process skips tracing and lowering.

A jitted function is traced and lowered to XLA in every new process before its compiled program can be read
from JAX's persistent compile cache: for the engine that is about 0.3-0.5 s per program, as long as reading
the program itself (a one-patient ``ketasim simulate`` loads one or two, by the shapes of its arms' grids). `call`
runs such a function through `jax.export` instead: the lowered program is serialised once into the store
(``$KETASIM_PROGRAM_STORE``, default ``programs`` beside the compile cache; empty switches the store off) and
later processes deserialise it (a few ms) and hand it to the compile cache as before. The results are the same
bits (tests/unit/test_programs.py).

The key of a stored program is what JAX's own in-process cache keys a jitted function on (the static arguments,
the structure of the arguments including their static fields, each array's type), together with a digest of
every file of the ketasim package, the JAX version, the backend and the float64 switch: a change to the model's
code or to its parameter files gives new keys. Tools that change the code a process runs without changing its
files (mutation testing) switch the store off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
from jax import export

STORE_VARIABLE = "KETASIM_PROGRAM_STORE"
PACKAGE = Path(__file__).resolve().parents[1]
SUFFIX = ".jax-export"
_EXPORTING: dict[Path, threading.Lock] = {}  # one lock per program: arms export different programs at once


def store_folder() -> Path | None:
    """Where programs are kept: ``$KETASIM_PROGRAM_STORE``, default ``programs`` beside the compile cache; None
    when it is set empty, or when it is unset and the compile cache is off."""
    folder = os.environ.get(STORE_VARIABLE)
    if folder is None:
        cache = jax.config.jax_compilation_cache_dir  # type: ignore[attr-defined]
        return Path(cache).parent / "programs" if cache else None
    return Path(folder) if folder else None


def call(function: Callable[..., Any], args: tuple[Any, ...], static: Mapping[str, Hashable]) -> Any:
    """``function(*args, **static)`` for a jitted ``function`` whose keyword arguments ``static`` are static,
    through the stored exported program when the store is on."""
    folder = store_folder()
    if folder is None:
        return function(*args, **static)
    leaves, structure = jax.tree_util.tree_flatten(args)
    types = tuple(jax.typeof(leaf) for leaf in leaves)
    path = folder / f"{_kept_key(function, structure, types, tuple(sorted(static.items())))}{SUFFIX}"
    try:
        program = _loaded(path)  # a program this process has read already costs no look at the folder
    except OSError:  # not stored yet (or a store that cannot hold it: see below)
        with _EXPORTING.setdefault(path, threading.Lock()):  # batches of one arm run side by side: export it once
            if not path.exists():
                try:
                    _store(path, _export(function, structure, leaves, static))
                except OSError:  # a store this user cannot write: run as without one
                    return function(*args, **static)
        program = _loaded(path)
    return program(*leaves)


def program_key(
    function: Callable[..., Any], structure: Any, types: Sequence[Any], static: Mapping[str, Hashable]
) -> str:
    """The store's name for the program of ``function`` at arguments of this structure and these leaf types
    (`jax.typeof`; see the module docstring)."""
    text = repr(
        (
            function.__module__,
            function.__qualname__,
            str(structure),
            [str(t) for t in types],
            sorted(static.items()),
            jax.__version__,
            jax.default_backend(),
            bool(jax.config.jax_enable_x64),  # type: ignore[attr-defined]
            package_digest(),
        )
    )
    if " at 0x" in text:
        raise ValueError(f"{function.__qualname__}: a static argument has no stable text; it cannot key a program")
    return hashlib.sha256(text.encode()).hexdigest()


@functools.lru_cache(maxsize=256)
def _kept_key(
    function: Callable[..., Any], structure: Any, types: tuple[Any, ...], static: tuple[tuple[str, Hashable], ...]
) -> str:
    """`program_key`, kept for each structure and types: its text (the structure alone is about 9 kB) and digest
    would otherwise be built again at every engine call."""
    return program_key(function, structure, types, dict(static))


@functools.cache
def package_digest() -> str:
    """SHA-256 of the ketasim package's code and data files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in {".py", ".yaml"} and p.is_file()):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _export(
    function: Callable[..., Any], structure: Any, leaves: list[Any], static: Mapping[str, Hashable]
) -> export.Exported:
    def flat(*arrays: Any) -> Any:
        return function(*jax.tree_util.tree_unflatten(structure, arrays), **static)

    return export.export(jax.jit(flat))(*leaves)


def _store(path: Path, exported: export.Exported) -> None:
    """Write the serialised program completely or not at all (other processes may read the folder meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(exported.serialize())
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def forget_loaded() -> None:
    """Forget the programs this process has read from the store (each is read again when next called)."""
    _loaded.cache_clear()


@functools.lru_cache(maxsize=64)
def _loaded(path: Path) -> Callable[..., Any]:
    """The stored program at ``path``, jitted (kept, so later calls in this process skip deserialising)."""
    return jax.jit(export.deserialize(bytearray(path.read_bytes())).call)
