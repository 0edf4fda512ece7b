"""Simulate a protocol: every arm's patients over time, as a labelled xarray Dataset."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from ketasim import __version__
from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.run import run
from ketasim.engine.schedule import build_schedule, dose_kind
from ketasim.models.brain import BRAIN_OUTPUTS, BrainModel
from ketasim.models.pk import KETAMINE_PRODUCTS, build_pk
from ketasim.models.system import assemble
from ketasim.outputs import VOCABULARY
from ketasim.population import make_patients
from ketasim.protocol import Protocol, arm_events, observation_times
from ketasim.protocol.drugs import resolve_parameter_set

DEFAULT_CHUNK_SIZE = 4096
FAST_DRUGS = (*KETAMINE_PRODUCTS, "midazolam")
SIMULATED_OUTPUTS = ("plasma_ketamine", "plasma_norketamine", *BRAIN_OUTPUTS)

ProgressCallback = Callable[[int], None]


def _arm_outputs(
    protocol: Protocol,
    arm: int,
    patients: int,
    seed: int,
    chunk_size: int,
    policy: StepPolicy,
    advance: ProgressCallback | None,
) -> dict[str, np.ndarray]:
    events = arm_events(protocol, arm)
    pset = resolve_parameter_set(protocol.population)
    drugged = [d for d in events.doses if d.drug != "placebo"]
    routes: dict[str, set[str]] = {}
    for dose in drugged:
        routes.setdefault(dose.drug, set()).add(dose.route)
    kinds = sorted({dose_kind(d) for d in drugged}, key=lambda k: (k.drug, k.route, k.per_kg))
    ends = [d.time_h + d.infusion_h for d in events.doses if d.infusion_h > 0]
    session_edges = [t for s in events.sessions for t in (s.start_h, s.start_h + s.duration_h)]
    fast = [d.time_h for d in events.doses if d.drug in FAST_DRUGS]
    fast += [d.time_h + d.infusion_h for d in events.doses if d.drug in FAST_DRUGS and d.infusion_h > 0]
    grid = build_grid(
        protocol.duration_h,
        observation_times(protocol),
        np.array([d.time_h for d in events.doses] + ends + session_edges),
        np.array(fast),
        policy,
    )
    schedule = build_schedule(events.doses, kinds, grid)
    pieces: dict[str, list[np.ndarray]] = {}
    for first in range(0, patients, chunk_size):
        count = min(chunk_size, patients - first)
        cohort = make_patients(protocol.population, arm, first, count, seed)
        problem = assemble(build_pk(pset, cohort, routes), kinds, count)
        brain = BrainModel.build(pset, protocol.population.condition, count)
        result = run(problem, schedule, grid, brain, SIMULATED_OUTPUTS)
        for name, values in result.items():
            pieces.setdefault(name, []).append(values)
        if advance is not None:
            advance(count)
    return {name: np.concatenate(parts) for name, parts in pieces.items()}


def simulate(
    protocol: Protocol,
    *,
    patients: int | None = None,
    seed: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    policy: StepPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> xr.Dataset:
    """Simulate every arm of ``protocol`` and return time courses with dims (arm, patient, time).

    Parameters
    ----------
    protocol
        A loaded protocol.
    patients
        Patients per arm (default: ``population.size``).
    seed
        Root seed (default: the protocol's ``seed``).
    chunk_size
        Patients advanced together; results do not depend on it.
    policy
        Step sizes of the nonlinear integrator.
    progress
        Called with the number of patients finished after each chunk.
    """
    size = patients if patients is not None else protocol.population.size
    root = seed if seed is not None else protocol.seed
    policy = policy or StepPolicy()
    times = observation_times(protocol)
    per_arm = [_arm_outputs(protocol, i, size, root, chunk_size, policy, progress) for i in range(len(protocol.arms))]
    data = {}
    for name in per_arm[0]:
        info = VOCABULARY[name]
        data[name] = xr.Variable(
            ("arm", "patient", "time"),
            np.stack([arm[name] for arm in per_arm]),
            attrs={"units": info.unit, "long_name": info.meaning},
        )
    coords = {
        "arm": [a.name for a in protocol.arms],
        "patient": np.arange(size),
        "time": xr.Variable("time", times, attrs={"units": "h", "long_name": "time since the first treatment"}),
    }
    return xr.Dataset(data, coords=coords, attrs={"ketasim": __version__, "protocol": protocol.name, "seed": root})


def endpoint_value(protocol: Protocol, dataset: xr.Dataset, arm: str, endpoint: str) -> float:
    """The estimate of a trial endpoint in one arm: a fraction, a mean or median, or (time_to_*) a median in days."""
    from ketasim.trial.summary import endpoint_value as trial_endpoint_value

    return trial_endpoint_value(protocol, dataset, arm, endpoint)
