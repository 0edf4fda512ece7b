"""Run every target of a targets file and collect one result per target.

Targets that share a protocol (the same mapping, e.g. through a YAML anchor, or the same ``protocol_file``)
share one simulation. `BatchRunner` runs every target for many sets of parameter values at once: the sets
travel along the simulation layer's parameter axis, and every set sees the same patients (common random numbers). A target whose protocol fails to load or run, or whose measure cannot be read off the
simulation, gets an error with its message; the run goes on with the next target. A contrast is the endpoint's
estimate in its arm minus the estimate in its control arm, both read off the same simulation.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

from ketasim.analysis.courses import (
    FloatArray,
    across_patients,
    band_over_patients,
    cumulative_auc,
    per_patient,
    window_courses,
)
from ketasim.analysis.drug_levels import dataset_levels, pk_statistic
from ketasim.analysis.summary import endpoint_statistic, endpoint_value
from ketasim.errors import KetasimError, TargetsError, UnsupportedError
from ketasim.parameters.posterior import Posterior, interval_draws, load_posterior
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol import Protocol, load_protocol
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.simulation.drug_levels import DrugLevels
from ketasim.simulation.run import BATCH_SIZE, batch_size, engine_threads, simulate
from ketasim.validation.targets import PK_STATISTICS, ROLES, Target, TargetsFile, load_targets
from ketasim.version import __version__
from ketasim.vocabulary import OUTPUTS

Overrides = Mapping[str, float]
"""Parameter values by name, each in its registry unit, put on top of a protocol's own parameter set."""
OVERRIDDEN = "parameter_overrides"
"""The dataset attribute that marks a simulation with overrides (1) for the measures that simulate again."""


def simulate_with_overrides(protocol: Protocol, overrides: Sequence[Overrides], patients: int) -> list[Any]:
    """``patients`` patients per arm simulated with each set of ``overrides``, all sets in one engine call.

    Every set sees the same patients and rater noise (common random numbers).

    Returns
    -------
    list of xarray.Dataset
        One per set of overrides, in order, shaped like the result of `simulate` without parameter sets.

    Raises
    ------
    ParameterError
        An override names a parameter the protocol's set does not have.
    """
    base = resolve_parameter_set(protocol.population, protocol.catalogue)
    sets = [
        ParameterSet(f"{base.name}+{k}", base.description, base.with_overrides(dict(o)).parameters, base.references)
        for k, o in enumerate(overrides)
    ]
    dataset = simulate(protocol, patients=patients, parameter_sets=sets)
    chosen = [dataset.isel(parameter_set=k, drop=True) for k in range(len(sets))]
    return [one.assign_attrs({OVERRIDDEN: int(bool(o))}) for one, o in zip(chosen, overrides, strict=True)]


@dataclass(frozen=True)
class Backend:
    """The functions of the simulation layer the runner calls; tests pass fakes."""

    load_protocol: Callable[..., Any]
    simulate: Callable[[Any], Any]
    endpoint_value: Callable[[Any, Any, str, str], float]
    endpoint_statistic: Callable[..., float]
    simulate_sets: Callable[[Any, Sequence[Overrides], int], list[Any]] = simulate_with_overrides
    drug_levels: Callable[..., DrugLevels] = dataset_levels


def default_backend() -> Backend:
    """The real protocol loader, simulator and endpoint readers."""

    return Backend(
        load_protocol=load_protocol,
        simulate=simulate,
        endpoint_value=endpoint_value,
        endpoint_statistic=endpoint_statistic,
        simulate_sets=simulate_with_overrides,
    )


@dataclass(frozen=True)
class Course:
    """What the report plots for one target: the median course and 5-95 % band over the target's time span.

    For ``auc`` targets the course is the running area from the window start, in ``unit``.
    """

    time_h: FloatArray
    median: FloatArray
    low: FloatArray | None
    high: FloatArray | None
    unit: str
    label: str


@dataclass(frozen=True)
class Prediction:
    """A target's value over posterior draws: ``pi95``, the 2.5 and 97.5 % percentiles of the draws' simulated
    values, and whether it overlaps the target's band (``covered``); both None when the target could not run under
    every draw."""

    pi95: tuple[float, float] | None
    covered: bool | None


@dataclass(frozen=True)
class TargetResult:
    """The outcome of one target: its simulated value and pass/fail, or the error that stopped it.

    For a contrast, ``arm_values`` holds the endpoint's estimate in the arm and in the control arm; a run over
    posterior draws (``validate --uncertainty``) adds the target's ``prediction``.
    """

    target: Target
    simulated: float | None
    passed: bool
    seconds: float
    error: str | None = None
    course: Course | None = None
    arm_values: tuple[float, float] | None = None
    prediction: Prediction | None = None

    def to_json(self) -> dict[str, Any]:
        """The result's entry in the JSON file of ``spec/targets.md``."""
        entry: dict[str, Any] = {
            "id": self.target.id,
            "simulated": self.simulated,
            "expected": self.target.expected,
            "band": list(self.target.band),
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
        }
        if self.error is not None:
            entry["error"] = self.error
        entry["role"] = self.target.role
        if self.prediction is not None:
            pi95 = self.prediction.pi95
            entry.update(pi95=list(pi95) if pi95 is not None else None, covered=self.prediction.covered)
        return entry


@dataclass(frozen=True)
class ValidationRun:
    """All results of a targets file, in file order, and the protocol warnings met on the way."""

    targets_file: Path | None
    results: tuple[TargetResult, ...]
    warnings: tuple[str, ...] = field(default=())
    draws: int | None = None

    @property
    def passed(self) -> int:
        """Targets that ran and landed in their band."""
        return sum(1 for r in self.results if r.error is None and r.passed)

    @property
    def failed(self) -> int:
        """Targets that ran and missed their band."""
        return sum(1 for r in self.results if r.error is None and not r.passed)

    @property
    def errors(self) -> int:
        """Targets that could not be run."""
        return sum(1 for r in self.results if r.error is not None)

    @property
    def covered(self) -> int:
        """Targets whose predicted interval over the posterior draws overlaps their band."""
        return sum(1 for r in self.results if r.prediction is not None and r.prediction.covered)

    def roles(self) -> tuple[str, ...]:
        """The roles of the targets that ran, in the order of `ROLES`."""
        present = {r.target.role for r in self.results}
        return tuple(role for role in ROLES if role in present)

    def of_role(self, role: str) -> ValidationRun:
        """The part of the run whose targets have ``role``."""
        chosen = tuple(r for r in self.results if r.target.role == role)
        return replace(self, results=chosen)

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``spec/targets.md``."""
        return {
            "ketasim": __version__,
            "targets_file": str(self.targets_file) if self.targets_file is not None else None,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "results": [r.to_json() for r in self.results],
            "roles": {role: self.of_role(role).counts() for role in self.roles()},
            **({} if self.draws is None else {"uncertainty": {"draws": self.draws, "covered": self.covered}}),
        }

    def counts(self) -> dict[str, int]:
        """Targets run, passed, failed and errored (and, over posterior draws, covered)."""
        counts = {"targets": len(self.results), "passed": self.passed, "failed": self.failed, "errors": self.errors}
        return counts if self.draws is None else {**counts, "covered": self.covered}


def write_results_json(run: ValidationRun, path: str | Path) -> Path:
    """Write the run's JSON document to ``path`` (folders created) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(run.to_json(), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return out


@dataclass
class _Simulation:
    """A target's protocol and its simulations, one per parameter set; or why there are none."""

    protocol: Any = None
    datasets: tuple[Any, ...] = ()
    error: str | None = None


def run_targets(
    targets: TargetsFile,
    *,
    backend: Backend | None = None,
    on_target: Callable[[int, Target], None] | None = None,
) -> ValidationRun:
    """Run every target of a loaded targets file.

    Parameters
    ----------
    targets
        From `load_targets`.
    backend
        Protocol loader, simulator and endpoint reader; the real ones if None.
    on_target
        Called with the target's position and the target before it runs (for progress bars).

    Returns
    -------
    ValidationRun
        One `TargetResult` per target; a target that failed carries its error message.
    """
    engine = backend if backend is not None else default_backend()
    warnings: list[str] = []

    def simulation(target: Target) -> _Simulation:
        loaded = _load(target, engine, warnings)
        if loaded.error is not None:
            return loaded
        try:
            return _Simulation(protocol=loaded.protocol, datasets=(engine.simulate(loaded.protocol),))
        except KetasimError as exc:
            return _Simulation(protocol=loaded.protocol, error=f"simulation failed: {exc}")

    (run,) = _run(targets, simulation, 1, engine, warnings, on_target)
    return run


class BatchRunner:
    """Runs every target of a targets file for many sets of parameter overrides at once.

    Each protocol is loaded once, when the runner is made, and simulated once per call of `run` for all sets
    together along the parameter axis (the same patients for every set). The sets are cut into groups that fill
    one engine batch (`BATCH_SIZE` patients), and the groups of all protocols run side by side on
    `engine_threads` threads: on a CPU a larger engine call costs more per patient, not less.

    Parameters
    ----------
    targets
        From `load_targets`.
    patients
        Patients per arm: at most this many, and at most the protocol's ``population.size`` (default: that size).
    backend
        Protocol loader, simulator and endpoint readers; the real ones if None.
    """

    def __init__(self, targets: TargetsFile, *, patients: int | None = None, backend: Backend | None = None) -> None:
        self.targets = targets
        self.patients = patients
        self.engine = backend if backend is not None else default_backend()
        self.warnings: list[str] = []
        self.loaded: dict[str, _Simulation] = {}
        for target in targets.targets:
            key = target.protocol_key()
            if key not in self.loaded:
                self.loaded[key] = _load(target, self.engine, self.warnings)

    def run(self, overrides: Sequence[Overrides]) -> tuple[ValidationRun, ...]:
        """One `ValidationRun` per set of ``overrides`` (parameter values on top of each protocol's set), in order.

        A target whose protocol cannot be simulated with a set carries the error in every run, like `run_targets`.
        """
        sets = len(overrides)
        pool = ThreadPoolExecutor(engine_threads())
        try:
            pending = {
                key: self._submit(pool, loaded.protocol, overrides)
                for key, loaded in self.loaded.items()
                if loaded.error is None
            }

            def simulation(target: Target) -> _Simulation:
                key = target.protocol_key()
                loaded = self.loaded[key]
                if loaded.error is not None:
                    return loaded
                try:
                    datasets = [dataset for group in pending.pop(key) for dataset in group.result()]
                except KetasimError as exc:
                    return _Simulation(protocol=loaded.protocol, error=f"simulation failed: {exc}")
                return _Simulation(protocol=loaded.protocol, datasets=tuple(datasets))

            return _run(self.targets, simulation, sets, self.engine, list(self.warnings))
        finally:
            pool.shutdown(cancel_futures=True)

    def _submit(self, pool: ThreadPoolExecutor, protocol: Any, overrides: Sequence[Overrides]) -> list[Future[Any]]:
        """The protocol's simulations for all sets, in groups of sets that fill one engine batch."""
        size = int(protocol.population.size)
        patients = size if self.patients is None else min(self.patients, size)
        per_call = max(1, BATCH_SIZE // batch_size(patients))
        groups = -(-len(overrides) // per_call)
        edges = [round(g * len(overrides) / groups) for g in range(groups + 1)]
        return [
            pool.submit(self.engine.simulate_sets, protocol, overrides[a:b], patients)
            for a, b in zip(edges, edges[1:], strict=False)
        ]


def _run(
    targets: TargetsFile,
    simulation: Callable[[Target], _Simulation],
    sets: int,
    engine: Backend,
    warnings: list[str],
    on_target: Callable[[int, Target], None] | None = None,
) -> tuple[ValidationRun, ...]:
    """One run per parameter set: each target measured on each of its protocol's ``sets`` simulations.

    ``simulation`` is asked once per protocol, when its first target comes; the simulations are freed after
    its last target.
    """
    uses = Counter(t.protocol_key() for t in targets.targets)
    cache: dict[str, _Simulation] = {}
    results: list[list[TargetResult]] = [[] for _ in range(sets)]
    for position, target in enumerate(targets.targets):
        if on_target is not None:
            on_target(position, target)
        start = perf_counter()
        key = target.protocol_key()
        if key not in cache:
            cache[key] = simulation(target)
        for k in range(sets):
            results[k].append(_result(target, cache[key], k, engine, start))
        uses[key] -= 1
        if uses[key] == 0:
            del cache[key]  # no later target needs this simulation: free its memory
    return tuple(
        ValidationRun(targets_file=targets.path, results=tuple(chosen), warnings=tuple(warnings)) for chosen in results
    )


def _result(target: Target, simulation: _Simulation, k: int, engine: Backend, start: float) -> TargetResult:
    """The target measured on the ``k``-th simulation, or the error that stopped it."""
    try:
        if simulation.error is not None:
            raise KetasimError(simulation.error)
        value, course, arm_values = _measure(target, simulation.protocol, simulation.datasets[k], engine)
        seconds = perf_counter() - start
        return TargetResult(target, value, target.passes(value), seconds, course=course, arm_values=arm_values)
    except KetasimError as exc:
        return TargetResult(target, None, False, perf_counter() - start, error=str(exc))


def _load(target: Target, engine: Backend, warnings: list[str]) -> _Simulation:
    """The target's protocol (its warnings added to ``warnings``), or why it does not load."""
    try:
        if target.protocol_file is not None:
            protocol = engine.load_protocol(target.protocol_file)
        else:
            protocol = engine.load_protocol(target.protocol, base_dir=target.base_dir)
    except KetasimError as exc:
        return _Simulation(error=f"protocol does not load: {exc}")
    warnings.extend(f"{target.id}: {w}" for w in getattr(protocol, "warnings", []))
    return _Simulation(protocol=protocol)


def _measure(
    target: Target, protocol: Any, dataset: Any, engine: Backend
) -> tuple[float, Course | None, tuple[float, float] | None]:
    """The simulated value, the course to plot (outputs only) and, for a contrast, the two arms' values."""
    measure = target.measure
    where = f"{target.key_path}.measure"
    arms = [str(a) for a in np.asarray(dataset["arm"].values).ravel()]
    if measure.control is not None:
        _check_arm(measure.arm, arms, f"{where}.contrast[0]")
        _check_arm(measure.control, arms, f"{where}.contrast[1]")
        endpoint = measure.endpoint or ""
        treated = _finite(float(engine.endpoint_value(protocol, dataset, measure.arm, endpoint)))
        control = _finite(float(engine.endpoint_value(protocol, dataset, measure.control, endpoint)))
        return treated - control, None, (treated, control)
    _check_arm(measure.arm, arms, f"{where}.arm")
    if measure.endpoint is not None and measure.statistic is not None:
        value = engine.endpoint_statistic(
            protocol, dataset, measure.arm, measure.endpoint, measure.statistic, measure.threshold, key_path=where
        )
        return _finite(float(value)), None, None
    if measure.endpoint is not None:
        value = float(engine.endpoint_value(protocol, dataset, measure.arm, measure.endpoint))
        return _finite(value), None, None
    output = measure.output or ""
    if measure.statistic in PK_STATISTICS:
        return _measure_drug_level(target, protocol, dataset, engine)
    if output not in dataset.data_vars:
        raise UnsupportedError(f"output {output!r} is not simulated yet")
    courses = dataset[output].sel(arm=measure.arm).transpose("patient", "time")
    values = np.asarray(courses.values, dtype=np.float64)
    time_h = np.asarray(dataset["time"].values, dtype=np.float64)
    statistic = measure.statistic or ""
    numbers = per_patient(statistic, time_h, values, at_h=measure.at_h, window_h=measure.window_h, key_path=where)
    value = _finite(across_patients(numbers, measure.across_patients))
    unit = str(courses.attrs.get("units", ""))
    label = str(courses.attrs.get("long_name", output))
    return value, _course(target, time_h, values, unit, label), None


def _measure_drug_level(
    target: Target, protocol: Any, dataset: Any, engine: Backend
) -> tuple[float, Course | None, tuple[float, float] | None]:
    """A PK statistic of a drug level, read off its exact dense course (`ketasim.analysis.drug_levels`).

    The dense course is simulated again with the protocol's own parameter set, so it is refused for a dataset
    simulated with parameter overrides (`simulate_with_overrides`) rather than measured with the wrong values.
    """
    measure = target.measure
    if dataset.attrs.get(OVERRIDDEN):
        raise UnsupportedError(
            f"{target.key_path}.measure.statistic: {measure.statistic} is not measured under parameter overrides "
            "(calibration); use max or auc on the observed times instead"
        )
    output, window = str(measure.output), measure.window_h
    edges = np.array([t for t in window or () if math.isfinite(t)], dtype=float)
    levels = engine.drug_levels(protocol, dataset, measure.arm, (output,), edges)
    statistic = "auc" if measure.statistic == "auc_exact" else str(measure.statistic)
    numbers = pk_statistic(statistic, levels, output, window, measure.above)
    value = _finite(across_patients(numbers, measure.across_patients))
    info = OUTPUTS[output]
    return value, _course(target, levels.time_h, levels.values[output], info.unit, info.meaning), None


def _check_arm(arm: str, arms: list[str], key_path: str) -> None:
    if arm not in arms:
        close = get_close_matches(arm, arms, n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"the protocol's arms are {', '.join(arms)}"
        raise TargetsError(key_path, f"arm {arm!r} is not in the protocol", fix)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise KetasimError(f"the simulated value is {value}, not a finite number")
    return value


def _course(target: Target, time_h: FloatArray, values: FloatArray, unit: str, label: str) -> Course:
    """The median course and band over the target's window, or around its ``at`` time."""
    measure = target.measure
    if measure.statistic in PK_STATISTICS:  # the whole run by default; an area to infinity is drawn to the end
        start, end = measure.window_h or (float(time_h[0]), float(time_h[-1]))
        span = (start, min(end, float(time_h[-1])))
    elif measure.window_h is not None:
        span = measure.window_h
    else:
        at = float(measure.at_h or 0.0)
        step = float(np.median(np.diff(time_h))) if time_h.size > 1 else 0.0
        half = max(at - float(time_h[0]), 2.0 * step)
        span = (max(float(time_h[0]), at - half), min(float(time_h[-1]), at + half))
    if not span[0] < span[1]:  # a one-point grid: nothing to draw but the point
        times, cut = time_h[:1], values[:, :1]
    else:
        times, cut = window_courses(time_h, values, span)
    if measure.statistic in ("auc", "auc_exact"):
        cut = cumulative_auc(times, cut)
        unit = f"{unit}·h" if unit else "h"
        label = f"area under {label} since {span[0]:g} h"
    band = band_over_patients(cut)
    return Course(time_h=times, median=band.median, low=band.low, high=band.high, unit=unit, label=label)


def with_predictions(
    run: ValidationRun,
    targets: TargetsFile,
    draws: Sequence[Overrides],
    *,
    patients: int | None = None,
    backend: Backend | None = None,
) -> ValidationRun:
    """``run`` with every target's `Prediction` over the posterior ``draws``, all draws in one `BatchRunner` call.

    The draws see each protocol's own patients (``patients`` per arm at most; default ``population.size``), the same
    for every draw, so ``pi95`` is the spread the parameters give the target's value; ``covered`` says whether it
    overlaps the target's band (edges included).
    """
    runs = BatchRunner(targets, patients=patients, backend=backend).run(draws)
    results = tuple(
        replace(result, prediction=_prediction(result.target, [draw.results[k] for draw in runs]))
        for k, result in enumerate(run.results)
    )
    return replace(run, results=results, draws=len(draws))


def _prediction(target: Target, results: Sequence[TargetResult]) -> Prediction:
    """The 2.5 and 97.5 % percentiles of a target's values over the draws, and whether they reach its band."""
    values = [r.simulated for r in results]
    if any(r.error is not None for r in results) or any(v is None for v in values):
        return Prediction(None, None)
    low, high = (float(v) for v in np.percentile(np.asarray(values, dtype=float), [2.5, 97.5]))
    return Prediction((low, high), low <= target.band[1] and high >= target.band[0])


def validate(
    targets: str | Path | TargetsFile,
    *,
    on_target: Callable[[int, Target], None] | None = None,
    uncertainty: int | None = None,
    posterior: Posterior | None = None,
) -> ValidationRun:
    """Run every target of a targets file (a path, or a file loaded with `load_targets`) against the model.

    With ``uncertainty`` (at least 2 draws of ``posterior``, default the packaged ensemble), every result also
    carries its `Prediction` over that many posterior draws (`with_predictions`).

    Examples
    --------
    >>> run = validate("data/calibration-targets.yaml")  # doctest: +SKIP
    >>> run.passed, run.failed, run.errors  # doctest: +SKIP
    """
    loaded = targets if isinstance(targets, TargetsFile) else load_targets(targets)
    if uncertainty is None:
        return run_targets(loaded, on_target=on_target)
    draws = interval_draws(posterior if posterior is not None else load_posterior(), uncertainty)
    return with_predictions(run_targets(loaded, on_target=on_target), loaded, draws)
