"""What one request may ask of the explorer's server, and the guard that stops a run nobody waits for.

Every request body is capped (`MAX_REQUEST_BYTES`, refused with HTTP 413 before it is read), an uploaded protocol
file too (`MAX_UPLOAD_BYTES`), and a run's size is checked before it starts: patients (`MAX_PATIENTS_PER_RUN`),
dose times (`MAX_DOSES_PER_ARM`, with the other form fields), course length (`MAX_COURSE_H`) and patient-steps
of the integrator (`MAX_PATIENT_STEPS`). Larger work belongs to ``ketasim trial``. A run that passes is stopped between engine
chunks by `RunGuard` once it has taken `RUN_TIME_LIMIT_S`, or as soon as its browser has closed the connection,
so a server thread never keeps computing for nobody.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from time import monotonic
from typing import Any

from ketasim.errors import KetasimError, ProtocolError
from ketasim.protocol import Protocol

LOG = logging.getLogger("ketasim.web")

MAX_REQUEST_BYTES = 256_000
"""Largest request body (an upload's base64 text included)."""
MAX_UPLOAD_BYTES = 32_000
"""Largest protocol file the explorer loads (the examples are 1 to 3 kB)."""
MAX_UPLOAD_VALUES = 20_000
"""Most values (YAML aliases counted each time they are used) an uploaded file may hold."""
MAX_FIELD_CHARACTERS = 10_000
"""Longest text in one form field."""
MAX_PATIENTS_PER_RUN = 5000
"""Patients simulated per request of the explorer, over all arms; larger runs belong to ``ketasim trial``."""
MAX_COURSE_H = 52 * 7 * 24.0
"""Longest course the explorer simulates: one year."""
MAX_DOSES_PER_ARM = 400
"""Most dose times the form's schedule may list (a comparator's daily doses reach 364 in a year)."""
MAX_PATIENT_STEPS = 50_000_000
"""Most patients x integrator steps per run (about a minute of one core)."""
RUN_TIME_LIMIT_S = 120.0
"""A run still going after this long is stopped at the end of its current chunk of patients."""
TRIAL_FIX = "or run it with `ketasim trial`, which has no such limit"


def check_course(protocol: Protocol) -> None:
    """Refuse a course longer than `MAX_COURSE_H`.

    Raises
    ------
    ProtocolError
        At ``duration``, saying the limit.
    """
    if protocol.duration_h > MAX_COURSE_H:
        raise ProtocolError(
            "duration",
            f"the explorer simulates courses of up to 52 weeks, not {protocol.duration_h / 24:g} days",
            TRIAL_FIX,
        )


def check_patient_steps(patients: int, steps_per_arm: list[int]) -> None:
    """Refuse a run of more than `MAX_PATIENT_STEPS` patients x integrator steps (summed over the arms' grids).

    Raises
    ------
    ProtocolError
        At ``population.size``, saying the limit.
    """
    steps = patients * sum(steps_per_arm)
    if steps > MAX_PATIENT_STEPS:
        raise ProtocolError(
            "population.size",
            f"{patients} patients x {sum(steps_per_arm)} integrator steps over all arms = {steps:.3g} "
            f"patient-steps, over the explorer's limit of {MAX_PATIENT_STEPS:.3g} per run",
            f"use fewer patients or a shorter course, {TRIAL_FIX}",
        )


class RunStoppedError(KetasimError):
    """A run the explorer stopped: it took too long, or its browser left."""


def client_gone(connection: socket.socket | None) -> bool:
    """Whether the browser has closed the connection a request came on (False when it cannot be told)."""
    if connection is None:
        return False
    try:
        waiting = connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False  # open, nothing sent: the browser is waiting for the answer
    except OSError:
        return True
    return waiting == b""


class RunGuard:
    """Stops a run between chunks once it has taken ``limit_s`` seconds or its browser has left.

    Parameters
    ----------
    connection
        The socket the request came on (the WSGI server's ``werkzeug.socket``), None where unknown.
    limit_s
        Time limit of the run, counted from now.
    """

    def __init__(self, connection: socket.socket | None, limit_s: float = RUN_TIME_LIMIT_S) -> None:
        self.connection = connection
        self.limit_s = limit_s
        self.deadline = monotonic() + limit_s

    @classmethod
    def for_request(cls, environ: dict[str, Any] | None, limit_s: float = RUN_TIME_LIMIT_S) -> RunGuard:
        """A guard for the current request, from its WSGI ``environ`` (None outside a request)."""
        connection = (environ or {}).get("werkzeug.socket")
        return cls(connection if isinstance(connection, socket.socket) else None, limit_s)

    def check(self, done: int = 0, total: int = 0) -> None:
        """Raise `RunStoppedError` when the run is over its time or its browser has left.

        Raises
        ------
        RunStoppedError
            With the reason; the server log records it too, with ``done`` of ``total`` patients.
        """
        if client_gone(self.connection):
            LOG.warning("run stopped after %d of %d patients: the browser left", done, total)
            raise RunStoppedError("the browser left, so the run was stopped")
        if monotonic() > self.deadline:
            LOG.warning("run stopped after %d of %d patients: over %g s", done, total, self.limit_s)
            raise RunStoppedError(
                f"the run took longer than the explorer's limit of {self.limit_s:g} s and was stopped (use fewer "
                f"patients or a shorter course, {TRIAL_FIX})"
            )

    def progress_for(self, total: int) -> Callable[[int], None]:
        """The progress callback of a simulation of ``total`` patients: checks before each chunk but the first.

        A finished run is never stopped after the fact: after the last chunk there is nothing to check.
        """
        done = 0

        def progress(patients: int) -> None:
            nonlocal done
            done += patients
            if done < total:
                self.check(done, total)

        return progress
