"""Run a virtual trial: simulate a protocol, compute its endpoints and write the trial's files.

Files in ``out_dir``: ``summary.json`` (``spec/cli.md``), ``patients.parquet`` (one row per patient),
``report.html`` and, when asked, ``timecourses.nc``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from ketasim.parameters.registry import Reference
from ketasim.protocol.schema import Protocol
from ketasim.trial.endpoints import cutoff_references
from ketasim.trial.summary import TrialAnalysis, analyse, patient_table, summary_dict, write_patients, write_summary

ProgressCallback = Callable[[int], None]  # called with the number of patients finished


@dataclass(frozen=True)
class TrialResult:
    """What `run_trial` computed and wrote.

    ``summary`` is the content of ``summary.json``; ``files`` maps ``summary``, ``patients``, ``report`` and, with
    time courses, ``timecourses`` to the paths written.
    """

    summary: dict[str, Any]
    analysis: TrialAnalysis
    dataset: Any
    files: dict[str, Path]
    seconds: float


def trial_references(protocol: Protocol) -> list[Reference]:
    """The references behind the protocol's parameter set and the endpoint definitions it uses, each once."""
    from ketasim.protocol.drugs import resolve_parameter_set

    found: dict[str, Reference] = {}
    for reference in [*resolve_parameter_set(protocol.population).cited(), *cutoff_references(protocol.endpoints)]:
        found.setdefault(reference.key, reference)
    return list(found.values())


def run_trial(
    protocol: Protocol,
    *,
    out_dir: str | Path,
    patients: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    timecourses: bool = False,
    progress: ProgressCallback | None = None,
) -> TrialResult:
    """Simulate ``protocol``, compute every endpoint with 95 % intervals and the arm comparisons, and write the files.

    Parameters
    ----------
    protocol
        A loaded protocol.
    out_dir
        Folder for the files (created).
    patients
        Patients per arm (default: ``population.size``).
    seed
        Root seed (default: the protocol's ``seed``); the bootstraps of the summary derive from it.
    chunk_size
        Patients simulated together (default: the simulator's); results do not depend on it.
    timecourses
        Also write ``timecourses.nc``.
    progress
        Called with the number of patients finished after each chunk.
    """
    from ketasim import simulation
    from ketasim.report.trial_report import write_trial_report

    start = perf_counter()
    options: dict[str, Any] = {"patients": patients, "seed": seed, "progress": progress}
    if chunk_size is not None:
        options["chunk_size"] = chunk_size
    dataset = simulation.simulate(protocol, **options)
    root = seed if seed is not None else protocol.seed
    analysis = analyse(protocol, dataset, seed=root)
    folder = Path(out_dir)
    files = {"patients": write_patients(patient_table(analysis, dataset), folder / "patients.parquet")}
    if timecourses:
        from ketasim.io.netcdf import write_timecourses

        files["timecourses"] = write_timecourses(dataset, folder / "timecourses.nc")
    summary = summary_dict(analysis, perf_counter() - start)
    files["report"] = write_trial_report(
        analysis,
        summary,
        dataset,
        folder / "report.html",
        title=f"ketasim trial: {protocol.name}",
        references=trial_references(protocol),
    )
    seconds = perf_counter() - start
    summary["seconds"] = round(seconds, 3)
    files["summary"] = write_summary(summary, folder / "summary.json")
    return TrialResult(summary=summary, analysis=analysis, dataset=dataset, files=files, seconds=seconds)
