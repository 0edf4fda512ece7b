"""Writing results so that nothing is lost and nothing is mixed.

A file is written under a hidden name beside its place and renamed into place when complete (`write_file`), so
no reader ever sees half a file; a failure (disk full, no permission) is an `OutputError` that names the file,
and leaves nothing behind. A result folder (`result_folder`) is filled as a hidden sibling ``.NAME.partial``
while the lock file ``.NAME.lock`` keeps every other run out, and replaces the folder in one step when it is
complete. `RESULT_MARKER` in each folder records which command and which input made it: a folder that holds
anything else is refused unless forced.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ketasim.errors import InputError, OutputError
from ketasim.version import __version__

RESULT_MARKER = ".ketasim-result.json"
PARTIAL_SUFFIX = ".partial"
LOCK_SUFFIX = ".lock"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextmanager
def named_errors(path: Path | str) -> Iterator[None]:
    """Turn an `OSError` inside the block into an `OutputError` naming ``path`` (or the file the error names)."""
    try:
        yield
    except OSError as failure:
        raise OutputError(failure.filename or path, failure) from None


def write_file(path: Path | str, write: Callable[[Path], Any]) -> Path:
    """Write a file completely or not at all: ``write(hidden_path)`` fills a hidden sibling (named after the process
    and thread, so concurrent writers of one file never share it), then it is renamed.

    Folders are created. Returns ``path``.

    Raises
    ------
    OutputError
        When the file cannot be written (disk full, no permission), naming ``path``; nothing is left behind.
    """
    out = Path(path)
    hidden = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}{PARTIAL_SUFFIX}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write(hidden)
        with open(hidden, "rb") as written:
            os.fsync(written.fileno())
        os.replace(hidden, out)
    except OSError as failure:
        _discard(hidden)
        raise OutputError(out, failure) from None
    except BaseException:
        _discard(hidden)
        raise
    return out


def check_writable(path: Path | str) -> None:
    """Refuse at once, before any work, a file that `write_file` could not write at the end: one whose folder is a
    file (or lies under one), or a folder this process may not write in.

    Raises
    ------
    OutputError
        Naming ``path``, as `write_file` would.
    """
    out = Path(path)
    folder = out.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():  # as creating the folders would fail: the file is the folder, or lies above it
        code = errno.EEXIST if folder == out.absolute().parent else errno.ENOTDIR
        raise OutputError(out, OSError(code, os.strerror(code), str(folder)))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(out, PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder)))


def _discard(path: Path) -> None:
    with suppress(OSError):
        path.unlink(missing_ok=True)


def write_text(path: Path | str, text: str) -> Path:
    """Write UTF-8 text with `write_file`."""
    return write_file(path, lambda hidden: hidden.write_text(text, encoding="utf-8"))


def _marker(folder: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((folder / RESULT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _holds(found: Mapping[str, Any] | None) -> str:
    if found is None:
        return "files that ketasim did not write"
    return f"the results of `ketasim {found.get('command')}` for {found.get('input')!r}"


def _check_replaceable(out: Path, identity: Mapping[str, str], force: bool, option: str) -> None:
    if out.resolve() in (Path.cwd(), *Path.cwd().parents):
        raise InputError(option, f"{out} is the working folder or holds it", "name a new folder for the results")
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(option, f"{out} is a file, not a folder", f"give {option} a folder name")
    if force or not any(out.iterdir()):
        return
    found = _marker(out)
    if found is not None and all(found.get(key) == value for key, value in identity.items()):
        return
    raise InputError(
        option, f"{out} already holds {_holds(found)}", f"choose another {option}, or add --force to replace it"
    )


@contextmanager
def _locked(lock: Path, out: Path, option: str) -> Iterator[None]:
    """Hold ``lock`` for the block; another process holding it is an `InputError` at ``option``."""
    while True:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise InputError(
                option,
                f"another ketasim run is writing {out} (lock file {lock})",
                f"wait for it to finish or choose another {option}",
            ) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(handle).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)  # the holder removed the file as we opened it: lock the new one
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(handle)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _put_in_place(staging: Path, out: Path) -> None:
    """Replace ``out`` by the complete ``staging`` folder; at every moment ``out`` is the old or the new result."""
    if not out.exists():
        os.rename(staging, out)
    elif _exchange(staging, out):
        shutil.rmtree(staging)  # now the previous result
    else:
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out, old)
        os.rename(staging, out)
        shutil.rmtree(old)


def staging_folder(out: Path | str) -> Path:
    """The hidden sibling a result folder is filled in: ``.NAME.partial`` beside ``NAME``."""
    folder = Path(out).absolute()
    return folder.with_name(f".{folder.name}{PARTIAL_SUFFIX}")


@contextmanager
def result_folder(
    out: Path | str,
    identity: Mapping[str, str],
    *,
    force: bool = False,
    resume: bool = False,
    keep_on_failure: bool = False,
    option: str = "--out",
) -> Iterator[Path]:
    """Fill a result folder completely or not at all: yields the hidden folder to write in.

    Parameters
    ----------
    out
        Where the results go.
    identity
        What makes them, e.g. ``{"command": "trial", "input": "protocol name"}``; recorded in `RESULT_MARKER`.
    force
        Replace ``out`` even when it holds results of another command or input, or files ketasim did not write.
    resume
        Keep what an earlier, unfinished run left in the hidden folder.
    keep_on_failure
        Leave the hidden folder in place when the block fails (for ``resume``); else it is removed.
    option
        The command-line option naming ``out``, for messages.

    Raises
    ------
    InputError
        At ``option`` when another run is writing ``out``, or ``out`` holds other results and ``force`` is not set.
    OutputError
        When a file or folder cannot be written.
    """
    target = Path(out)
    staging = staging_folder(target)
    lock = staging.with_name(f".{target.absolute().name}{LOCK_SUFFIX}")
    with named_errors(target.absolute().parent):
        target.absolute().parent.mkdir(parents=True, exist_ok=True)
    with _locked(lock, target, option):
        _check_replaceable(target, identity, force, option)
        with named_errors(staging):
            if not resume and staging.exists():
                shutil.rmtree(staging)
            staging.mkdir(exist_ok=True)
        try:
            yield staging
            write_text(staging / RESULT_MARKER, json.dumps({"ketasim": __version__, **identity}) + "\n")
            with named_errors(target):
                _put_in_place(staging, target.absolute())
        except BaseException as failure:
            if not keep_on_failure:
                shutil.rmtree(staging, ignore_errors=True)
            if isinstance(failure, OutputError) and Path(failure.path).is_relative_to(staging):
                raise OutputError(target / Path(failure.path).relative_to(staging), failure.failure) from None
            raise
