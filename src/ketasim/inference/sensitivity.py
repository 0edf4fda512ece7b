"""Global sensitivity of one trial endpoint to registry parameters: Sobol first- and total-order indices.

**Ranges.** Each parameter varies around its value in the protocol's parameter set by a factor that its
registry confidence sets (`CONFIDENCE_SPREAD`: high x/÷ 1.1, medium x/÷ 1.25, low x/÷ 2), uniformly in
log(value) when the value is positive; a value of zero or below varies by ± 1 instead, and a parameter whose
name says ``fraction`` and whose value lies in 0-1 stops at 1 (the bounds of `free_parameters`, which
calibration uses too).

**Sampling.** Saltelli's scheme (``SALib.sample.sobol``, scrambled Sobol' sequence, no second-order indices):
N base samples give N (D + 2) points for D parameters, N a power of 2.

**Evaluation.** Every point is a set of overrides on the protocol's parameter set. Validation's `BatchRunner`
runs them along the simulation layer's parameter axis (all sets of a group in one compiled call, every set with
the same patients: common random numbers, so a difference between points is the parameters' effect and not
sampling noise), `CHUNK_SETS` sets at a time. The protocol keeps only the arms and the output the endpoint reads
(so an arm's patients may differ from those of ``ketasim trial``, which numbers every arm). The value
at a point is the endpoint's estimate in the arm as the trial summary gives it (a fraction, a mean or median,
a median time in days), minus its estimate in the control arm for a contrast. A median time that the protocol's
follow-up does not reach counts as the follow-up itself (the time every censored patient has): the endpoint is
then the median truncated at the end of follow-up, and the result says at how many estimates that happened.

**Indices.** ``SALib.analyze.sobol`` (Jansen's total-order and Saltelli's 2010 first-order estimators), with
95 % intervals from the 2.5th and 97.5th percentiles of `RESAMPLES` bootstrap resamples of the points.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import sobol as sobol_sampling

from ketasim.analysis.endpoints import TIME_KINDS, arm_values, failed_patients, find_endpoint
from ketasim.analysis.statistics import estimate
from ketasim.analysis.summary import endpoint_value
from ketasim.errors import InputError, KetasimError
from ketasim.inference.calibrate import FreeParameter, free_parameters
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol import Protocol, load_protocol
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.validation.runner import BatchRunner, default_backend
from ketasim.validation.targets import Measure, Target, TargetsFile
from ketasim.version import __version__

CONFIDENCE_SPREAD = {"high": 1.1, "medium": 1.25, "low": 2.0}
"""The factor a parameter is divided and multiplied by, by its registry confidence."""
CHUNK_SETS = 256  # parameter sets simulated per runner call: bounds the memory the simulated datasets hold
RESAMPLES = 1000  # bootstrap resamples for the intervals
LEVEL = 0.95

ProgressCallback = Callable[[int, int, float], None]
"""Called with the points evaluated so far, the points in all, and the seconds spent."""


@dataclass(frozen=True)
class SobolIndex:
    """One parameter's range and its first-order (S1) and total-order (ST) indices with 95 % intervals."""

    parameter: FreeParameter
    value: float
    confidence: str
    first: float
    first_ci95: tuple[float, float]
    total: float
    total_ci95: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        """The parameter's entry in the JSON document of ``spec/cli.md``."""
        return {
            "name": self.parameter.name,
            "S1": self.first,
            "S1_ci95": list(self.first_ci95),
            "ST": self.total,
            "ST_ci95": list(self.total_ci95),
            "value": self.value,
            "lower": self.parameter.lower,
            "upper": self.parameter.upper,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class SensitivityResult:
    """The indices of every parameter (largest total order first) and how they were computed.

    ``values`` holds the endpoint at every point; ``truncated`` counts the arm estimates that were a median time
    not reached by the end, taken as the follow-up (see `TruncatedEstimates`).
    """

    protocol: str
    endpoint: str
    arm: str
    control: str | None
    samples: int
    patients: int
    seed: int
    indices: tuple[SobolIndex, ...]
    values: np.ndarray
    truncated: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``spec/cli.md``."""
        return {
            "ketasim": __version__,
            "protocol": self.protocol,
            "endpoint": self.endpoint,
            "arm": self.arm,
            "control": self.control,
            "samples": self.samples,
            "points": int(self.values.size),
            "patients": self.patients,
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
            "endpoint_mean": float(np.mean(self.values)),
            "endpoint_sd": float(np.std(self.values, ddof=1)),
            "truncated_estimates": self.truncated,
            "parameters": [index.to_json() for index in self.indices],
        }


def sensitivity_ranges(pset: ParameterSet, names: Sequence[str]) -> list[FreeParameter]:
    """The range of each named parameter from its confidence (`CONFIDENCE_SPREAD`).

    Raises
    ------
    InputError
        A name is not a parameter of ``pset`` (at ``--parameter``), or a name is repeated.
    """
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise InputError("--parameter", f"{repeated[0]!r} is named twice", "name each parameter once")
    ranges = []
    for name in names:
        known = name in pset.parameters  # free_parameters refuses an unknown name
        spread = CONFIDENCE_SPREAD[pset.parameter(name).confidence] if known else 1.0
        ranges.append(free_parameters(pset, [name], spread)[0])
    return ranges


def _arm_check(protocol: Protocol, arm: str, option: str) -> None:
    arms = [a.name for a in protocol.arms]
    if arm not in arms:
        raise InputError(option, f"the protocol has no arm {arm!r}", f"choose one of {', '.join(arms)}")


def endpoint_protocol(protocol: Protocol, endpoint: str, arms: Sequence[str]) -> dict[str, Any]:
    """The protocol's mapping with only ``arms`` and the output ``endpoint`` reads (less work per simulated set)."""
    source = copy.deepcopy(protocol.source)
    source["arms"] = [arm for arm in source["arms"] if arm["name"] in arms]
    source.setdefault("observe", {})["outputs"] = [find_endpoint(protocol, endpoint).measured]
    return source


def _measured_target(protocol: Protocol, endpoint: str, arm: str, control: str | None, folder: Path) -> Target:
    """The endpoint as a target with no band, its protocol keeping only the arms and output the endpoint reads."""
    source = endpoint_protocol(protocol, endpoint, [arm] if control is None else [arm, control])
    measure = Measure(arm=arm, endpoint=endpoint, control=control)
    return Target(
        index=0,
        id=endpoint,
        title=f"sensitivity of {endpoint}",
        source="ketasim sensitivity",
        confidence="low",
        measure=measure,
        expected=0.0,
        band=(-math.inf, math.inf),
        protocol=source,
        base_dir=folder,
    )


class TruncatedEstimates:
    """`endpoint_value`, except that a median time not reached by the end is the follow-up; counts those."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, protocol: Protocol, dataset: Any, arm: str, endpoint: str) -> float:
        """The endpoint's estimate in ``arm``, or the follow-up where its median time is not reached."""
        try:
            return endpoint_value(protocol, dataset, arm, endpoint)
        except KetasimError:
            chosen = find_endpoint(protocol, endpoint)
            if chosen.kind not in TIME_KINDS or failed_patients(dataset).any():
                raise
            values = arm_values(dataset, arm, chosen)
            if values.n == 0 or estimate(values).value is not None:
                raise
            self.count += 1
            return float(values.counted().max())


def _percentiles(resamples: np.ndarray) -> list[tuple[float, float]]:
    tail = 100.0 * (1.0 - LEVEL) / 2.0
    low, high = np.nanpercentile(resamples, [tail, 100.0 - tail], axis=0)
    return [(float(a), float(b)) for a, b in zip(low, high, strict=True)]


@dataclass(frozen=True)
class SensitivityProblem:
    """A checked request: the protocol, the endpoint and arms it reads, the parameter set and the ranges."""

    protocol: Protocol
    folder: Path
    endpoint: str
    arm: str
    control: str | None
    pset: ParameterSet
    ranges: tuple[FreeParameter, ...]
    samples: int

    @property
    def points(self) -> int:
        """N (D + 2): the points the endpoint is evaluated at."""
        return self.samples * (len(self.ranges) + 2)


def sensitivity_problem(
    protocol_file: str | Path,
    endpoint: str,
    *,
    arm: str | None = None,
    control: str | None = None,
    names: Sequence[str] = (),
    samples: int = 64,
) -> SensitivityProblem:
    """Check a request before any simulation: the protocol loads, and the endpoint, arms and parameters exist.

    Parameters
    ----------
    protocol_file
        The protocol file.
    endpoint
        One of the protocol's endpoints.
    arm
        The arm whose estimate is the output (default: the first arm).
    control
        An arm whose estimate is subtracted (a contrast), or None.
    names
        The parameters to vary (default: those the registry marks ``calibrated``).
    samples
        Base samples N, a power of 2; the endpoint is evaluated at N (D + 2) points.

    Raises
    ------
    InputError
        An unknown endpoint, arm or parameter, or ``samples`` not a power of 2.
    """
    if samples < 2 or samples & (samples - 1):
        raise InputError("--samples", f"{samples} is not a power of 2", "use e.g. 64, 128, 512")
    path = Path(protocol_file)
    protocol = load_protocol(path)
    find_endpoint(protocol, endpoint)
    chosen_arm = arm if arm is not None else protocol.arms[0].name
    _arm_check(protocol, chosen_arm, "--arm")
    if control is not None:
        _arm_check(protocol, control, "--control")
        if control == chosen_arm:
            raise InputError("--control", f"the control arm is the arm itself ({control!r})", "name another arm")
    pset = resolve_parameter_set(protocol.population, protocol.catalogue)
    chosen = list(names) or [n for n, p in pset.parameters.items() if p.calibrated]
    if not chosen:
        raise InputError("--parameter", "the protocol's parameter set marks no parameter calibrated", "name some")
    ranges = tuple(sensitivity_ranges(pset, chosen))
    return SensitivityProblem(protocol, path.parent, endpoint, chosen_arm, control, pset, ranges, samples)


def sensitivity(
    problem: SensitivityProblem,
    *,
    patients: int = 32,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
) -> SensitivityResult:
    """Sobol indices of the problem's endpoint (in its arm, minus the control arm if given) over its ranges.

    Parameters
    ----------
    problem
        From `sensitivity_problem`.
    patients
        Patients per arm at every point (at most the protocol's ``population.size``).
    seed
        Seed of the scrambled Sobol' sequence and of the bootstrap.
    on_progress
        Called after each group of `CHUNK_SETS` points.

    Raises
    ------
    KetasimError
        The endpoint cannot be computed at some point (no patient counted, failed patients), or it takes the same
        value at every point.
    """
    ranges, protocol, endpoint = problem.ranges, problem.protocol, problem.endpoint
    described = {
        "num_vars": len(ranges),
        "names": [r.name for r in ranges],
        "bounds": [[r.to_search(r.lower), r.to_search(r.upper)] for r in ranges],
    }
    points = sobol_sampling.sample(described, problem.samples, calc_second_order=False, seed=seed)
    overrides = [{r.name: r.from_search(float(c)) for r, c in zip(ranges, point, strict=True)} for point in points]
    target = _measured_target(protocol, endpoint, problem.arm, problem.control, problem.folder)
    start = perf_counter()
    truncated = TruncatedEstimates()
    backend = replace(default_backend(), endpoint_value=truncated)
    runner = BatchRunner(TargetsFile(path=None, targets=(target,)), patients=patients, backend=backend)
    values = np.empty(len(overrides))
    for first in range(0, len(overrides), CHUNK_SETS):
        for k, run in enumerate(runner.run(overrides[first : first + CHUNK_SETS]), start=first):
            (result,) = run.results
            if result.simulated is None:
                raise KetasimError(
                    f"the endpoint cannot be computed at sample point {k} of {len(overrides)}: {result.error} "
                    "(lengthen the protocol or vary fewer parameters)"
                )
            values[k] = result.simulated
        if on_progress is not None:
            on_progress(min(first + CHUNK_SETS, len(overrides)), len(overrides), perf_counter() - start)
    if np.ptp(values) == 0.0:
        raise KetasimError(
            f"endpoint {endpoint!r} is {values[0]:g} at every point: no variance to apportion "
            "(use more patients or another endpoint)"
        )
    indices = sobol_analysis.analyze(
        described,
        values,
        calc_second_order=False,
        num_resamples=RESAMPLES,
        conf_level=LEVEL,
        keep_resamples=True,
        seed=seed,
    )
    first_ci, total_ci = _percentiles(indices["S1_conf_all"]), _percentiles(indices["ST_conf_all"])
    found = [
        SobolIndex(
            r,
            problem.pset[r.name],
            problem.pset.parameter(r.name).confidence,
            float(indices["S1"][i]),
            first_ci[i],
            float(indices["ST"][i]),
            total_ci[i],
        )
        for i, r in enumerate(ranges)
    ]
    found.sort(key=lambda index: -index.total)
    size = min(patients, int(protocol.population.size))
    return SensitivityResult(
        protocol.name,
        endpoint,
        problem.arm,
        problem.control,
        problem.samples,
        size,
        seed,
        tuple(found),
        values,
        truncated.count,
        perf_counter() - start,
    )
