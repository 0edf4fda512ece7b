"""Simulate a protocol: every arm's patients over time, as a labelled xarray Dataset."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.engine.linear import ModalSystem
from ketasim.engine.run import LinearProblem, bucket, run
from ketasim.errors import InputError
from ketasim.models import scales
from ketasim.models.model import build_model_of_sets
from ketasim.models.pk import COVARIATE_VALUES, pk_blocks
from ketasim.models.system import assemble
from ketasim.parameters.registry import ParameterSet
from ketasim.population import Patients, make_patients
from ketasim.protocol import Protocol
from ketasim.simulation.label import to_dataset
from ketasim.simulation.monitoring import monitoring_times
from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.vocabulary import SCALES

if TYPE_CHECKING:
    import xarray as xr

DEFAULT_CHUNK_SIZE = 2048
BATCH_SIZE = 512  # patients per engine call: fixed, so every patient is computed identically whatever the chunking
ENGINE_THREADS_VARIABLE = "KETASIM_ENGINE_THREADS"
STREAM_RATER = 200  # streams 200+: rater noise, one per scale
COVARIATE_FIELDS = (
    "weight_kg",
    "age_years",
    "female",
    "cyp2b6_slow",
    "childhood_neglect",
    "failed_treatments",
    "chronic_stress",
)

ProgressCallback = Callable[[int], None]


def simulate_chunk(
    plan: ArmPlan, cohort: Patients, outputs: tuple[str, ...], parameter_sets: Sequence[ParameterSet] = ()
) -> dict[str, np.ndarray]:
    """Outputs (patients, observations) of one chunk of an arm's patients, with rater noise on the scales.

    With ``parameter_sets`` every patient is simulated with each set, all in one engine call (the same patients,
    covariates and rater noise for every set: common random numbers), and each output gains a leading axis of
    sets: (sets, patients, ...).
    """
    sets = list(parameter_sets) or [plan.pset]
    problem = join_problems([linear_problem(plan, pset, cohort) for pset in sets])
    model = build_model_of_sets(plan.composition, sets, cohort)
    joined = run(problem, plan.schedule, plan.grid, model, outputs, plan.derivative_dtype)
    per_set = [
        {name: values[k * cohort.count : (k + 1) * cohort.count] for name, values in joined.items()}
        for k in range(len(sets))
    ]
    observations = len(plan.grid.observation_index)
    rater = {  # the same rater noise for every set
        scale: cohort.uniforms(STREAM_RATER + i, observations)
        for i, scale in enumerate(SCALES)
        if scale in joined and cohort.variability
    }
    monitoring = monitoring_times(problem, plan, sets, float(plan.grid.times_h[-1]))
    for result, pset, monitoring_time in zip(per_set, sets, monitoring, strict=True):
        for scale, u in rater.items():
            result[scale] = scales.rate(result[scale], scale, u, pset)
        for name in COVARIATE_FIELDS:
            result[name] = np.asarray(getattr(cohort, name), dtype=float)
        result["monitoring_time"] = monitoring_time
    if not parameter_sets:
        return per_set[0]
    return {name: np.stack([result[name] for result in per_set]) for name in per_set[0]}


def join_problems(problems: list[LinearProblem]) -> LinearProblem:
    """The linear problems of several groups of patients with the same structure, as one problem."""
    if len(problems) == 1:
        return problems[0]
    first = problems[0]
    system = ModalSystem(
        *(np.concatenate([getattr(p.system, f) for p in problems]) for f in ("eigenvalues", "to_modal", "from_modal"))
    )
    kinds = np.concatenate([p.kind_vectors for p in problems], axis=1)
    readout = np.concatenate([p.readout for p in problems])
    return LinearProblem(system, kinds, first.readout_names, readout)


def pk_values(pset: ParameterSet, cohort: Patients) -> dict[str, Any]:
    """What the pharmacokinetic blocks read: every parameter of the set and the patients' covariates."""
    values: dict[str, Any] = {name: parameter.value for name, parameter in pset.parameters.items()}
    values.update({name: np.asarray(getattr(cohort, name), dtype=float) for name in COVARIATE_VALUES})
    return values


def linear_problem(plan: ArmPlan, pset: ParameterSet, cohort: Patients) -> LinearProblem:
    """The exact linear part (pharmacokinetics and effect sites) of a batch of the arm's patients."""
    blocks = pk_blocks(plan.catalogue, plan.routes, pk_values(pset, cohort), np.ones(cohort.count))
    return assemble(blocks, plan.kinds, plan.composition.readouts, cohort.count)


@configured
def simulate(
    protocol: Protocol,
    *,
    patients: int | None = None,
    seed: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    policy: StepPolicy | None = None,
    progress: ProgressCallback | None = None,
    parameter_sets: Sequence[ParameterSet] = (),
) -> xr.Dataset:
    """Simulate every arm of ``protocol`` and return time courses with dims (arm, patient, time).

    When every arm is one engine batch (small runs, where loading the programs dominates), the arms run side by
    side, up to `engine_threads` at once: one arm's engine program is read from the cache or compiled (which
    releases Python's lock) while another's is traced. Larger runs go arm by arm, chunk by chunk, so an interrupt
    or error stops them after the current chunk. The results do not depend on it (every patient's numbers are
    keyed by seed, arm and index).

    Parameters
    ----------
    protocol
        A loaded protocol.
    patients
        Patients per arm (default: ``population.size``).
    seed
        Root seed (default: the protocol's ``seed``).
    chunk_size
        Patients per chunk (rounded to whole engine batches): the unit of progress reports; results do not
        depend on it (see `simulate_range`).
    policy
        Step sizes of the nonlinear integrator.
    progress
        Called with the number of patients finished after each chunk.
    parameter_sets
        Parameter sets to simulate every patient with, all in the same compiled engine calls (a new value never
        recompiles); by default the set the protocol names. The result then has a leading dimension
        ``parameter_set`` (coordinates: the sets' names), and every set sees the same patients.

    Returns
    -------
    xarray.Dataset
        One variable per output of ``observe.outputs`` (unit and meaning in attrs) and the covariates of each
        patient (dims arm, patient).
    """
    size = patients if patients is not None else protocol.population.size
    root = seed if seed is not None else protocol.seed
    batch = batch_size(size)
    chunk = max(batch, -(-chunk_size // batch) * batch)
    reporting = threading.Lock()

    def one_arm(arm: int) -> dict[str, np.ndarray]:
        plan = plan_arm(protocol, arm, policy or StepPolicy())
        pieces: dict[str, list[np.ndarray]] = {}
        for first in range(0, size, chunk):
            count = min(chunk, size - first)
            for name, values in simulate_range(protocol, plan, first, count, batch, root, parameter_sets).items():
                pieces.setdefault(name, []).append(values)
            if progress is not None:
                with reporting:
                    progress(count)
        axis = 1 if parameter_sets else 0
        return {name: np.concatenate(parts, axis=axis) for name, parts in pieces.items()}

    if size > batch or len(protocol.arms) == 1:
        per_arm = [one_arm(arm) for arm in range(len(protocol.arms))]
    else:  # one batch per arm: at most `engine_threads` batches at once, as without arms side by side
        with ThreadPoolExecutor(min(len(protocol.arms), engine_threads())) as pool:
            per_arm = list(pool.map(one_arm, range(len(protocol.arms))))
    arms = [a.name for a in protocol.arms]
    if not parameter_sets:
        return to_dataset(protocol, arms, per_arm, np.arange(size), root)
    by_set = [
        to_dataset(protocol, arms, [{n: v[k] for n, v in arm.items()} for arm in per_arm], np.arange(size), root)
        for k in range(len(parameter_sets))
    ]
    import xarray as xr

    names = [pset.name for pset in parameter_sets]
    return xr.concat(by_set, dim=xr.Variable("parameter_set", names), data_vars="all", coords="minimal")


def batch_size(patients_per_arm: int) -> int:
    """Patients per engine call for a run of this size (a power of two, see `bucket`): the same for every call."""
    return min(BATCH_SIZE, bucket(patients_per_arm))


@configured
def simulate_range(
    protocol: Protocol,
    plan: ArmPlan,
    first: int,
    count: int,
    batch: int,
    seed: int,
    parameter_sets: Sequence[ParameterSet] = (),
    *,
    outputs: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Outputs of patients ``first`` .. ``first + count - 1`` of the planned arm, in engine batches of ``batch``.

    ``outputs`` (default: the protocol's ``observe.outputs``) are recorded at the plan's observation times.

    The last batch is filled with further patients whose results are dropped, so every patient is computed in
    the same batch shape and position whatever the range: results do not depend on how a run is split.
    Up to `engine_threads` batches run side by side (one engine call spreads its kernels over the cores but gains
    little from them: docs/performance.md, fifth pass). With ``parameter_sets`` every output has a leading axis of
    sets (see `simulate_chunk`).
    """
    axis = 1 if parameter_sets else 0

    def one_batch(start: int) -> dict[str, np.ndarray]:
        cohort = make_patients(protocol.population, plan.index, start, batch, seed)
        chosen = outputs if outputs is not None else tuple(protocol.observe.outputs)
        values = simulate_chunk(plan, cohort, chosen, parameter_sets)
        keep = first + count - start
        return {name: array[:, :keep] if axis else array[:keep] for name, array in values.items()}

    with ThreadPoolExecutor(engine_threads()) as pool:
        batches = list(pool.map(one_batch, range(first, first + count, batch)))
    return {name: np.concatenate([b[name] for b in batches], axis=axis) for name in batches[0]}


def engine_threads() -> int:
    """Engine batches run at once in this process: ``$KETASIM_ENGINE_THREADS``, default one per core."""
    text = os.environ.get(ENGINE_THREADS_VARIABLE, "")
    if not text:
        return os.cpu_count() or 1
    if not text.isdigit() or int(text) < 1:
        raise InputError(ENGINE_THREADS_VARIABLE, f"must be a whole number of at least 1, not {text!r}", "e.g. 2")
    return int(text)
