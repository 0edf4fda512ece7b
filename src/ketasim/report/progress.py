"""Progress of long commands on stderr: a live bar on a terminal, plain lines as the work goes when piped.

`progress_display` gives a `ProgressDisplay` for one piece of work. On a terminal it is a transient rich bar; when
stderr is not a terminal (a pipe, a log file, CI) it writes a line at each new stage and at every tenth of the work
(or every 10 seconds), flushed at once, so a log shows progress as it happens; with ``quiet`` it shows nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

COMPILING = "compiling the model (first run only)"
"""The stage before the first results: the first engine call of a process compiles the model (cached on disk)."""
LINE_EVERY_S = 10.0


class ProgressDisplay(Protocol):
    """What a command reports: a stage with an optional total, and the work done so far."""

    def stage(self, description: str, total: int | None = None) -> None:
        """Start a stage (a new total resets the count)."""

    def update(self, completed: int, description: str | None = None) -> None:
        """Set the work done so far, optionally renaming the stage."""

    def advance(self, amount: int, description: str | None = None) -> None:
        """Add ``amount`` to the work done, optionally renaming the stage."""


class _Silent:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def update(self, completed: int, description: str | None = None) -> None:
        pass

    def advance(self, amount: int, description: str | None = None) -> None:
        pass


class _Bar:
    """A rich progress bar with one task."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("", total=None)
        self._completed = 0

    def stage(self, description: str, total: int | None = None) -> None:
        self._completed = 0
        self._progress.update(self._task, description=description, total=total, completed=0)

    def update(self, completed: int, description: str | None = None) -> None:
        self._completed = completed
        self._progress.update(self._task, completed=completed, description=description)

    def advance(self, amount: int, description: str | None = None) -> None:
        self.update(self._completed + amount, description)


class _Lines:
    """Plain lines on a stream: one per stage, then at each tenth of the total or every `LINE_EVERY_S`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._start = time.monotonic()
        self._description = ""
        self._total: int | None = None
        self._completed = 0
        self._last_tenth = -1
        self._last_time = self._start

    def _write(self, text: str) -> None:
        self._stream.write(f"ketasim: {text} [{time.monotonic() - self._start:.0f} s]\n")
        self._stream.flush()
        self._last_time = time.monotonic()

    def stage(self, description: str, total: int | None = None) -> None:
        self._description, self._total, self._completed, self._last_tenth = description, total, 0, 0
        self._write(description)

    def update(self, completed: int, description: str | None = None) -> None:
        self._completed = completed
        renamed = description is not None and description != self._description
        if description is not None:
            self._description = description
        tenth = int(10 * completed / self._total) if self._total else 0
        due = time.monotonic() - self._last_time >= LINE_EVERY_S
        if renamed or tenth > self._last_tenth or due:
            self._last_tenth = max(tenth, self._last_tenth)
            counted = f" {completed}/{self._total} ({100 * completed / self._total:.0f} %)" if self._total else ""
            self._write(f"{self._description}{counted}")

    def advance(self, amount: int, description: str | None = None) -> None:
        self.update(self._completed + amount, description)


@contextmanager
def progress_display(quiet: bool = False, stream: TextIO | None = None) -> Iterator[ProgressDisplay]:
    """A progress display on ``stream`` (stderr by default) for the duration of the ``with`` block."""
    out = stream if stream is not None else sys.stderr
    if quiet:
        yield _Silent()
        return
    console = Console(file=out)
    if not console.is_terminal:
        yield _Lines(out)
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
        yield _Bar(bar)
