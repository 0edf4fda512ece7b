"""One exception hierarchy for everything ketasim refuses or cannot do.

The command line maps every `KetasimError` to exit status 2 with its one-line message.
"""

from __future__ import annotations

import errno


class KetasimError(Exception):
    """Base of all errors ketasim raises on purpose: bad input, missing parameters, failed solves."""


class InputError(KetasimError):
    """Bad input located by a key path, e.g. ``arms[0].treatments[1].dose``.

    Parameters
    ----------
    key_path
        Where the problem is, as a dotted path with list indices; empty for the whole file.
    problem
        What is wrong, in plain words.
    fix
        What to write instead; appended after the problem.
    """

    def __init__(self, key_path: str, problem: str, fix: str = "") -> None:
        self.key_path = key_path
        self.problem = problem
        self.fix = fix
        where = f"{key_path}: " if key_path else ""
        hint = f" ({fix})" if fix else ""
        super().__init__(f"{where}{problem}{hint}")


class ProtocolError(InputError):
    """A protocol file breaks a rule of ``spec/protocol.md``."""


class TargetsError(InputError):
    """A targets file breaks a rule of ``spec/targets.md``."""


class OutputError(KetasimError):
    """A result file or folder could not be written (disk full, no permission); the message names it.

    Parameters
    ----------
    path
        The file or folder that could not be written.
    failure
        The operating system's error.
    """

    def __init__(self, path: object, failure: OSError) -> None:
        self.path = str(path)
        self.failure = failure
        reason = failure.strerror or str(failure) or type(failure).__name__
        fix = _OUTPUT_FIXES.get(failure.errno or 0, "check the disk and the folder")
        super().__init__(f"cannot write {self.path}: {reason} ({fix})")


_OUTPUT_FIXES = {
    errno.ENOSPC: "free some disk space or write somewhere else",
    errno.EFBIG: "the file is larger than this system allows: write somewhere else",
    errno.EDQUOT: "the disk quota is used up: free some space or write somewhere else",
    errno.EACCES: "check the folder's permissions or write somewhere else",
    errno.EPERM: "check the folder's permissions or write somewhere else",
    errno.EROFS: "the disk is read-only: write somewhere else",
    errno.EEXIST: "a file stands where a folder is needed: choose another path",
    errno.ENOTDIR: "a file stands where a folder is needed: choose another path",
}


class ParameterError(KetasimError):
    """A parameter set or parameter is unknown, malformed or has the wrong unit."""


class SolverError(KetasimError):
    """The engine could not advance the model (non-finite state, bad step)."""


class UnsupportedError(KetasimError):
    """A valid request that this release does not simulate yet."""
