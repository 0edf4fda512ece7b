"""A trial in chunks: flat memory, resumable, on local processes or a Dask cluster.

Each chunk (a range of one arm's patients) is simulated and reduced at once to its rows of the
per-patient table (endpoint values, covariates, failure flags), plus, for the first `REPORT_PATIENTS`
patients of each arm, their time courses for the report's percentile bands, and for the first `PLOT_PATIENTS`
their drug levels and mechanism on the dense plot grid (`ketasim.simulation.plot_grid`). Finished chunks are written
atomically as they arrive to ``.chunks/`` in the hidden folder the run fills (``.DIR.partial`` beside ``DIR``,
see `ketasim.result_files`), so a run killed at any moment loses only the chunks in flight
and `--resume` computes only the rest. The summary is computed from the table, in patient order, so it does
not depend on the chunk size, the number of workers or the scheduler.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from multiprocessing import get_context
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.analysis.drug_levels import plan_levels
from ketasim.analysis.endpoints import arm_values, failed_patients
from ketasim.analysis.summary import patient_table
from ketasim.engine.grid import StepPolicy
from ketasim.engine.run import bucket
from ketasim.errors import InputError
from ketasim.io.netcdf import write_timecourses
from ketasim.protocol import load_protocol
from ketasim.report.trial_report import MECHANISM_OUTPUTS
from ketasim.result_files import named_errors, write_file, write_text
from ketasim.simulation.label import to_dataset
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.plot_grid import plot_plan
from ketasim.simulation.run import ENGINE_THREADS_VARIABLE, batch_size, simulate_range
from ketasim.vocabulary import DRUG_LEVEL_OUTPUTS

CHUNK_DIR = ".chunks"
REPORT_PATIENTS = 1000
PLOT_PATIENTS = 100  # patients per arm whose drug levels and mechanism the report draws on the dense plot grid
PLOT_OUTPUTS = (*DRUG_LEVEL_OUTPUTS, *MECHANISM_OUTPUTS)
DEFAULT_TRIAL_CHUNK = 2048


@dataclass(frozen=True)
class ChunkTask:
    """Patients ``first`` .. ``first + count - 1`` of arm ``arm``, simulated in engine batches of ``batch``."""

    arm: int
    first: int
    count: int
    batch: int
    seed: int

    @property
    def name(self) -> str:
        """File stem of the chunk's results."""
        return f"arm{self.arm:03d}-{self.first:010d}"


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk sends back: its table rows and (first patients only) its time courses on the observation and
    on the plot grid."""

    task: ChunkTask
    table: Any
    timecourses: Any | None
    plot_courses: Any | None = None


def chunk_tasks(arms: int, patients: int, chunk_size: int, seed: int) -> list[ChunkTask]:
    """Every chunk of a run, arm by arm, in patient order."""

    batch = batch_size(patients)
    chunk = max(batch, -(-chunk_size // batch) * batch)
    return [
        ChunkTask(arm, first, min(chunk, patients - first), batch, seed)
        for arm in range(arms)
        for first in range(0, patients, chunk)
    ]


@lru_cache(maxsize=4)
def _loaded(source_json: str) -> Any:

    return load_protocol(json.loads(source_json))


@lru_cache(maxsize=16)
def _plan(source_json: str, arm: int) -> Any:

    return plan_arm(_loaded(source_json), arm, StepPolicy())


def run_chunk(source_json: str, task: ChunkTask, keep_all: bool = False) -> ChunkResult:
    """Simulate one chunk and reduce it to its table rows; runs in any process (protocol given as JSON).

    Time courses come back for the arm's first `REPORT_PATIENTS` patients, or for all with ``keep_all``.
    """

    protocol = _loaded(source_json)
    plan = _plan(source_json, task.arm)
    arrays = simulate_range(protocol, plan, task.first, task.count, task.batch, task.seed)
    table, dataset = patient_rows(protocol, plan, task, arrays)
    kept = task.count if keep_all else max(0, min(task.count, REPORT_PATIENTS - task.first))
    timecourses = dataset.isel(patient=slice(0, kept)) if kept else None
    return ChunkResult(task, table, timecourses, plot_courses(protocol, plan, task))


def patient_rows(protocol: Any, plan: Any, task: ChunkTask, arrays: dict[str, np.ndarray]) -> tuple[Any, Any]:
    """The table rows (`patient_table`) and the labelled time courses of a chunk's simulated outputs; PK endpoints
    are read off drug levels simulated with the plan's parameter set."""
    arm = protocol.arms[task.arm].name
    dataset = to_dataset(protocol, [arm], [arrays], np.arange(task.first, task.first + task.count), task.seed)
    failed = failed_patients(dataset)
    levels = plan_levels(protocol, plan, task.first, task.count, task.batch, task.seed)
    values = {arm: {e.name: arm_values(dataset, arm, e, failed[0], levels) for e in protocol.endpoints}}
    return patient_table(values, failed, dataset), dataset


def plot_courses(protocol: Any, plan: Any, task: ChunkTask) -> Any | None:
    """The chunk's patients among the arm's first `PLOT_PATIENTS`, simulated again recording the drug levels and
    mechanism outputs the protocol observes at the dense plot times; None when the chunk has none of them."""
    count = min(task.count, PLOT_PATIENTS - task.first)
    outputs = tuple(name for name in PLOT_OUTPUTS if name in protocol.observe.outputs)
    if count <= 0 or not outputs:
        return None
    dense = plot_plan(plan)
    batch = min(task.batch, bucket(count))
    arrays = simulate_range(protocol, dense, task.first, count, batch, task.seed, outputs=outputs)
    times = plan.grid.times_h[dense.grid.observation_index]
    patients = np.arange(task.first, task.first + count)
    arm = protocol.arms[task.arm].name
    dataset = to_dataset(protocol, [arm], [arrays], patients, task.seed, times)
    return dataset[[name for name in outputs if name in dataset.data_vars]]


def save_chunk(folder: Path, result: ChunkResult) -> None:
    """Write a finished chunk: table first, then time courses, then the marker that says it is complete."""
    stem = folder / result.task.name
    write_file(stem.with_suffix(".parquet"), lambda p: result.table.to_parquet(p, index=False))
    if result.timecourses is not None:
        write_timecourses(result.timecourses, stem.with_suffix(".nc"))
    if result.plot_courses is not None:
        write_timecourses(result.plot_courses, stem.with_suffix(".plot.nc"))
    write_text(stem.with_suffix(".done"), json.dumps(asdict(result.task)))


def prepare_folder(staging: Path, fingerprint: dict[str, Any], resume: bool) -> Path:
    """The chunk folder of a run in the folder it fills: kept on resume when it belongs to the same run, else
    started afresh.

    Raises
    ------
    InputError
        On ``--resume`` when the folder holds a different run (other protocol, seed, size or chunking).
    """
    folder = staging / CHUNK_DIR
    stamp = folder / "run.json"
    if resume and stamp.exists():
        with named_errors(stamp):
            kept = stamp.read_text(encoding="utf-8")
        if kept != json.dumps(fingerprint):
            raise InputError(
                "--resume",
                f"the unfinished run kept in {staging} holds a run of another protocol, seed, size or chunk size",
                "run without --resume",
            )
        return folder
    with named_errors(folder):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    write_text(stamp, json.dumps(fingerprint))
    return folder


def fingerprint(source: dict[str, Any], patients: int, seed: int, chunk_size: int, keep_all: bool) -> dict[str, Any]:
    """What identifies a run for resuming."""
    digest = hashlib.sha256(json.dumps(source, sort_keys=True, default=str).encode()).hexdigest()
    return {"protocol_sha256": digest, "patients": patients, "seed": seed, "chunk_size": chunk_size, "all": keep_all}


def _local_results(source_json: str, tasks: list[ChunkTask], workers: int, keep_all: bool) -> Iterator[ChunkResult]:
    if workers == 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_chunk(source_json, task, keep_all)
        return
    context = get_context("spawn")
    shares = context.SimpleQueue()
    for share in core_shares(workers):
        shares.put(share)
    executor: Executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=use_cores, initargs=(shares, workers)
    )
    with executor:
        futures = [executor.submit(run_chunk, source_json, task, keep_all) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def core_shares(workers: int) -> list[list[int]]:
    """The cores each of ``workers`` processes runs on: the cores this process may use, dealt out in turn (a core
    to several workers when there are more workers than cores); no shares where the system cannot pin."""
    if not hasattr(os, "sched_getaffinity"):
        return []
    cores = sorted(os.sched_getaffinity(0))
    return [cores[i::workers] or [cores[i % len(cores)]] for i in range(workers)]


def use_cores(shares: SimpleQueue[list[int]], workers: int) -> None:
    """In a worker process, before JAX starts: run on this worker's share of the cores only, one engine batch per
    core. XLA spreads each kernel of an engine call over every core the process may use, and on two cores that
    costs more than it gains: one engine call on two cores 330 ns per patient-step of wall time (1.75 cores busy),
    two calls on a core each 460 ns, together 230 (the KAP arm, 2,048 patients; docs/performance.md). Where the
    system cannot pin (no share), at least two batches at once, which measured faster than one unpinned."""
    share = shares.get() if not shares.empty() else []
    if share:
        os.sched_setaffinity(0, share)
    batches = len(share) if share else max(2, (os.cpu_count() or 1) // workers)
    os.environ[ENGINE_THREADS_VARIABLE] = str(batches)


def _dask_results(source_json: str, tasks: list[ChunkTask], address: str, keep_all: bool) -> Iterator[ChunkResult]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError("--scheduler", "Dask is not installed", "pip install 'ketasim[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as error:
        raise InputError(
            "--scheduler", f"cannot reach the Dask scheduler at {address} ({error})", "check the address"
        ) from None
    with client:
        futures = client.map(run_chunk, [source_json] * len(tasks), tasks, [keep_all] * len(tasks), pure=False)
        for future in dask_completed(futures):
            yield future.result()


def run_chunks(
    source: dict[str, Any],
    tasks: list[ChunkTask],
    folder: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    keep_all: bool = False,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Compute every chunk not yet in ``folder`` and save each as it finishes (``keep_all``: all time courses)."""
    todo = [t for t in tasks if not (folder / f"{t.name}.done").exists()]
    for task in tasks:
        if task not in todo and progress is not None:
            progress(task.count)
    source_json = json.dumps(source, sort_keys=True, default=str)
    if scheduler:
        results = _dask_results(source_json, todo, scheduler, keep_all)
    else:
        results = _local_results(source_json, todo, workers, keep_all)
    for result in results:
        save_chunk(folder, result)
        if progress is not None:
            progress(result.task.count)


def collect(folder: Path, tasks: list[ChunkTask]) -> tuple[Any, Any, Any | None]:
    """The full per-patient table, the report's time courses (first patients of each arm) and their courses on the
    plot grid (None when no chunk has any) from the chunks.

    Every arm has its own plot times: joined over arms, an arm's courses are NaN at the times of the others only.
    """
    import pandas as pd
    import xarray as xr

    table = pd.concat([pd.read_parquet(folder / f"{t.name}.parquet") for t in tasks], ignore_index=True)
    observed = _per_arm(folder, tasks, ".nc")
    dataset = xr.concat(observed, dim="arm", join="outer")
    plotted = _per_arm(folder, tasks, ".plot.nc")
    if not plotted:
        return table, dataset, None
    return table, dataset, xr.concat(plotted, dim="arm", join="outer")


def _per_arm(folder: Path, tasks: list[ChunkTask], suffix: str) -> list[Any]:
    """The saved courses with this suffix, joined over patients, one dataset per arm."""
    import xarray as xr

    arms: dict[int, list[Any]] = {}
    for task in tasks:
        path = folder / f"{task.name}{suffix}"
        if path.exists():
            arms.setdefault(task.arm, []).append(xr.load_dataset(path, engine="h5netcdf"))
    return [xr.concat(parts, dim="patient") for _, parts in sorted(arms.items())]
