"""One exception hierarchy for everything ketasim refuses or cannot do.

The command line maps every `KetasimError` to exit status 2 with its one-line message.
"""

from __future__ import annotations


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


class ParameterError(KetasimError):
    """A parameter set or parameter is unknown, malformed or has the wrong unit."""


class SolverError(KetasimError):
    """The engine could not advance the model (non-finite state, bad step)."""


class UnsupportedError(KetasimError):
    """A valid request that this release does not simulate yet."""
