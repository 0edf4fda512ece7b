"""Run a virtual trial: simulate a protocol in chunks, compute its endpoints and write the trial's files.

Files in ``out_dir``: ``summary.json`` (``spec/cli.md``), ``patients.parquet`` (one row per patient),
``report.html`` and, when asked, ``timecourses.nc``. The folder is filled as a hidden sibling and put in place
when complete (`ketasim.result_files.result_folder`): it always holds one complete run, and a run that fails
keeps its finished chunks beside it for ``resume``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from ketasim.analysis.endpoints import cutoff_references
from ketasim.analysis.predictive import predictive_intervals
from ketasim.analysis.summary import TrialAnalysis, analyse_values, summary_dict, values_from_table
from ketasim.io.netcdf import write_timecourses
from ketasim.parameters.posterior import Posterior, interval_draws, load_posterior
from ketasim.parameters.registry import Reference
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.protocol.run_size import check_trial_size
from ketasim.protocol.schema import Protocol
from ketasim.report.trial_report import write_trial_report
from ketasim.result_files import named_errors, result_folder
from ketasim.trial import chunks
from ketasim.trial.files import write_patients, write_summary
from ketasim.trial.uncertainty import check_draws_size, simulate_draws

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

    found: dict[str, Reference] = {}
    for reference in [
        *resolve_parameter_set(protocol.population, protocol.catalogue).cited(),
        *cutoff_references(protocol.endpoints),
    ]:
        found.setdefault(reference.key, reference)
    return list(found.values())


def run_trial(
    protocol: Protocol,
    *,
    out_dir: str | Path,
    patients: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    timecourses: bool = False,
    progress: ProgressCallback | None = None,
    on_start: Callable[[], None] | None = None,
    uncertainty: int | None = None,
    posterior: Posterior | None = None,
    on_draws: Callable[[int], None] | None = None,
) -> TrialResult:
    """Simulate ``protocol`` chunk by chunk, compute every endpoint with 95 % intervals and the comparisons, and
    write the files. Results are identical for any ``chunk_size``, ``workers`` or ``scheduler``, and on resuming.

    Parameters
    ----------
    protocol
        A loaded protocol.
    out_dir
        Folder for the files (created, or replaced when it holds an earlier trial of the same protocol);
        finished chunks are kept in the hidden sibling ``.NAME.partial`` until the run completes.
    patients
        Patients per arm (default: ``population.size``).
    seed
        Root seed (default: the protocol's ``seed``); the bootstraps of the summary derive from it.
    chunk_size
        Patients per chunk (default `DEFAULT_TRIAL_CHUNK`).
    workers
        Local processes computing chunks.
    scheduler
        Address of a running Dask scheduler to send the chunks to instead.
    resume
        Keep the finished chunks of an interrupted run into ``out_dir`` and compute only the rest.
    force
        Replace ``out_dir`` even when it holds results of another protocol or command, or other files.
    timecourses
        Also write every patient's time courses to ``timecourses.nc``.
    progress
        Called with the number of patients finished after each chunk (and, over posterior draws, with the
        patient-simulations finished after each engine call).
    on_start
        Called once the run's size, its folder and what ``resume`` keeps have been checked, before any work (a
        command shows its first progress line then, so a refused run prints nothing but its error).
    uncertainty
        Posterior draws to run besides the protocol's own parameter set (at least 2; e.g. `ketasim.parameters.posterior.DEFAULT_DRAWS`):
        every endpoint and comparison then gets ``pi95``, the predictive interval over parameters and patients
        (`ketasim.analysis.predictive`), and ``value`` and ``ci95`` stay those of the protocol's set.
    posterior
        The ensemble the draws come from (default: the packaged one, `load_posterior`).
    on_draws
        Called with the number of patient-simulations over the draws (draws x patients x arms) before they start.

    Raises
    ------
    InputError
        When the run would not fit in memory (`ketasim.protocol.run_size`), another run is writing ``out_dir``,
        or ``out_dir`` holds other results and ``force`` is not set; at ``--uncertainty`` when fewer than 2 or
        more draws than the ensemble holds are asked for, or the ensemble cannot be read.
    OutputError
        When a file cannot be written; ``out_dir`` keeps its previous content.
    """

    start = perf_counter()
    size = patients if patients is not None else protocol.population.size
    root = seed if seed is not None else protocol.seed
    chunk = chunk_size or chunks.DEFAULT_TRIAL_CHUNK
    folder = Path(out_dir)
    kept = size if timecourses else chunks.REPORT_PATIENTS
    key = "population.size" if patients is None else "--patients"
    check_trial_size(protocol, size, chunk, 0 if scheduler else workers, kept, key)
    draws: list[dict[str, float]] = []
    ensemble = posterior
    if uncertainty is not None:
        ensemble = ensemble if ensemble is not None else load_posterior()
        draws = interval_draws(ensemble, uncertainty)
        check_draws_size(protocol, size, len(draws))
    tasks = chunks.chunk_tasks(len(protocol.arms), size, chunk, root)
    stamp = chunks.fingerprint(protocol.source, size, root, chunk, timecourses)
    identity = {"command": "trial", "input": protocol.name}
    with result_folder(folder, identity, force=force, resume=resume, keep_on_failure=True) as staging:
        chunk_folder = chunks.prepare_folder(staging, stamp, resume)
        if on_start is not None:
            on_start()
        chunks.run_chunks(
            protocol.source,
            tasks,
            chunk_folder,
            workers=workers,
            scheduler=scheduler,
            keep_all=timecourses,
            progress=progress,
        )
        table, dataset, plotted = chunks.collect(chunk_folder, tasks)
        arms = tuple(arm.name for arm in protocol.arms)
        values, failed = values_from_table(protocol, table, arms)
        analysis = analyse_values(protocol, arms, values, failed, root)
        predictive, draw_run = None, None
        if draws:
            if on_draws is not None:
                on_draws(len(draws) * size * len(arms))
            draw_run = simulate_draws(protocol, draws, patients=size, seed=root, progress=progress)
            predictive = predictive_intervals(protocol, arms, draw_run.values, root)
        names = {"patients": write_patients(table, staging / "patients.parquet").name}
        if timecourses:
            names["timecourses"] = write_timecourses(dataset, staging / "timecourses.nc").name
        summary = summary_dict(analysis, perf_counter() - start, predictive)
        if predictive is not None and ensemble is not None:
            summary["uncertainty"].update(based_on=ensemble.based_on, method=ensemble.method)
        names["report"] = write_trial_report(
            analysis,
            summary,
            dataset,
            staging / "report.html",
            title=f"ketasim trial: {protocol.name}",
            references=trial_references(protocol),
            plotted=plotted,
            draw_medians=draw_run.medians if draw_run is not None else None,
        ).name
        seconds = perf_counter() - start
        summary["seconds"] = round(seconds, 3)
        names["summary"] = write_summary(summary, staging / "summary.json").name
        with named_errors(chunk_folder):
            shutil.rmtree(chunk_folder)
    files = {key: folder / name for key, name in names.items()}
    return TrialResult(summary=summary, analysis=analysis, dataset=dataset, files=files, seconds=seconds)
