"""Will a run fit in memory? Estimates from the protocol alone, checked before any work starts.

A run keeps in memory, at its peak, about `PEAK_COPIES` copies of the time courses it holds (patients x time
points x outputs, 8 bytes each, while they are assembled and written); a trial also keeps its per-patient table.
`ketasim simulate` holds every patient; `ketasim trial` holds one chunk per worker, the table, and the time courses
of the patients its report draws (or of all with ``--timecourses``). The limit is `MEMORY_SHARE` of this
machine's memory (``spec/protocol.md``, "Limits").
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ketasim.errors import InputError
from ketasim.protocol.events import observation_times
from ketasim.protocol.schema import Protocol

MEMORY_SHARE = 0.5
PEAK_COPIES = 3
BYTES_PER_VALUE = 8
PATIENT_VALUES = 12  # covariates, monitoring time and labels stored per patient beside the time courses
TABLE_VALUES_PER_ENDPOINT = 3  # value, event flag, time
TABLE_FIXED_VALUES = 16  # arm, patient, failed and the covariates


def memory_limit_bytes() -> float:
    """`MEMORY_SHARE` of this machine's physical memory, in bytes."""
    return MEMORY_SHARE * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _size_text(size: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size / 1e3:.3g} kB"


@dataclass(frozen=True)
class RunShape:
    """The sizes that set a run's memory: patients per arm, arms, time points and outputs."""

    patients: int
    arms: int
    time_points: int
    outputs: int

    @classmethod
    def of(cls, protocol: Protocol, patients: int | None = None) -> RunShape:
        """The shape of ``protocol`` with ``patients`` per arm (default ``population.size``)."""
        size = patients if patients is not None else protocol.population.size
        return cls(size, len(protocol.arms), len(observation_times(protocol)), len(protocol.observe.outputs))

    def timecourse_bytes(self, patients_per_arm: float) -> float:
        """Bytes of the time courses of ``patients_per_arm`` patients of every arm."""
        per_patient = self.time_points * self.outputs + PATIENT_VALUES
        return patients_per_arm * self.arms * per_patient * BYTES_PER_VALUE

    def describe(self) -> str:
        """E.g. ``2000 patients per arm x 2 arms x 49 time points x 20 outputs``."""
        return (
            f"{self.patients} patients per arm x {self.arms} arm(s) x {self.time_points} time points x "
            f"{self.outputs} outputs"
        )


def _refuse_over(needed: float, what: str, key: str, fix: str, limit: float | None) -> None:
    allowed = memory_limit_bytes() if limit is None else limit
    if needed > allowed:
        raise InputError(
            key,
            f"{what} need about {_size_text(needed)} of memory, over the limit of {_size_text(allowed)} "
            f"({MEMORY_SHARE:.0%} of this machine's memory)",
            fix,
        )


def check_simulation_size(
    protocol: Protocol, patients: int | None = None, key: str = "population.size", limit: float | None = None
) -> None:
    """Refuse a simulation whose time courses, every patient's at once, would not fit in memory.

    Raises
    ------
    InputError
        At ``key``, stating the estimate and the limit, and pointing to ``ketasim trial`` (chunks).
    """
    shape = RunShape.of(protocol, patients)
    _refuse_over(
        PEAK_COPIES * shape.timecourse_bytes(shape.patients),
        shape.describe(),
        key,
        "use fewer patients or observe less often, or run it with `ketasim trial`, which works in chunks "
        "(--chunk-size, and --scheduler for a cluster)",
        limit,
    )


def check_trial_size(
    protocol: Protocol,
    patients: int,
    chunk_size: int,
    workers: int,
    kept_patients: int,
    key: str = "population.size",
    limit: float | None = None,
) -> None:
    """Refuse a chunked trial that would not fit in memory: a chunk per local worker, the per-patient table,
    and the time courses of ``kept_patients`` per arm kept for the report (or for ``--timecourses``).

    Raises
    ------
    InputError
        At ``--chunk-size`` when the chunks in flight are too large, else at ``key``, with the estimate and limit.
    """
    shape = RunShape.of(protocol, patients)
    chunk = min(chunk_size, patients)
    busy = min(workers, shape.arms * -(-patients // chunk))
    in_flight = PEAK_COPIES * busy * chunk * (shape.timecourse_bytes(1) / shape.arms)
    _refuse_over(
        in_flight,
        f"{busy} worker(s) x chunks of {chunk} patients x {shape.time_points} time points x {shape.outputs} outputs",
        "--chunk-size",
        "use a smaller --chunk-size or fewer --workers, or --scheduler to compute the chunks on a cluster",
        limit,
    )
    table_values = TABLE_FIXED_VALUES + TABLE_VALUES_PER_ENDPOINT * len(protocol.endpoints)
    table = 2 * patients * shape.arms * table_values * BYTES_PER_VALUE
    kept = PEAK_COPIES * shape.timecourse_bytes(min(kept_patients, patients))
    _refuse_over(
        table + kept,
        f"the per-patient table and the kept time courses of {shape.describe()}",
        key,
        "use fewer patients per arm (a trial keeps one table row per patient in memory; --chunk-size and "
        "--scheduler split only the simulation), and leave out --timecourses",
        limit,
    )
