"""Population calibration: fit the parameters marked ``calibrated`` to a targets file by bounded least squares.

Each target gives one residual, sqrt(confidence weight) x (simulated - expected) / half band width; a target that
cannot run gives a fixed residual, sqrt(weight x `MISS_PENALTY`). The objective is the sum of their squares.
scipy's trust-region reflective least squares searches within the bounds of `free_parameters`, in log space for
positive parameters. Its Jacobian comes from finite differences whose perturbed parameter sets (p forward, or 2p
central) all go to the validation runner in one batched evaluation: one simulation per protocol along the
parameter axis, every set with the same patients (common random numbers), so a difference measures the
parameter's effect and not sampling noise.
The result is a parameter file with its provenance (targets file and hash, date, objective, fit per target,
optimiser, evaluations, wall time). Validation targets (``role: validation``) are the project's out-of-sample check
and are never fitted: a targets file that holds any is refused before anything runs.
"""

from __future__ import annotations

import datetime
import hashlib
import math
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import numpy as np
import yaml
from scipy.optimize import least_squares

from ketasim.errors import InputError, TargetsError
from ketasim.parameters.overrides import RATIO_UNITS
from ketasim.parameters.registry import ParameterSet
from ketasim.validation.runner import BatchRunner, ValidationRun
from ketasim.validation.targets import TargetsFile
from ketasim.version import __version__

CONFIDENCE_WEIGHTS = {"high": 1.0, "medium": 0.7, "low": 0.4}
MISS_PENALTY = 25.0  # a target that errors counts as five half-bands off
DIFFERENCES = ("forward", "central")
STEP = 0.05  # finite-difference step: 5 % of a positive parameter, 5 % of the half range of another
OPTIMISER = "scipy.optimize.least_squares (trust-region reflective), finite-difference Jacobian"


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration may move, within [lower, upper] in its registry unit.

    The search runs over log(value) when the bounds are positive, over the value otherwise.
    """

    name: str
    lower: float
    upper: float

    @property
    def logarithmic(self) -> bool:
        """Whether the search runs over log(value)."""
        return self.lower > 0

    def to_search(self, value: float) -> float:
        """The search coordinate of a value."""
        return math.log(value) if self.logarithmic else value

    def from_search(self, coordinate: float) -> float:
        """The value at a search coordinate."""
        return math.exp(coordinate) if self.logarithmic else coordinate

    def step(self, relative: float) -> float:
        """The finite-difference step in search coordinates."""
        return relative if self.logarithmic else relative * (self.upper - self.lower) / 2.0


def calibrated_names(pset: ParameterSet) -> list[str]:
    """The parameters of ``pset`` marked ``calibrated``, in registry order: what calibration fits by default."""
    return [name for name, parameter in pset.parameters.items() if parameter.calibrated]


def free_parameters(pset: ParameterSet, names: Sequence[str], spread: float = 2.0) -> list[FreeParameter]:
    """Bounds of each named parameter: its value divided and multiplied by ``spread`` (fractions stay in 0-1)."""
    chosen = []
    for name in names:
        if name not in pset.parameters:
            raise InputError("--parameter", f"the parameter set has no parameter {name!r}", "see `ketasim params`")
        parameter = pset.parameter(name)
        lower, upper = parameter.value / spread, parameter.value * spread
        if parameter.value <= 0:
            lower, upper = parameter.value - 1.0, parameter.value + 1.0
        if parameter.unit in RATIO_UNITS and 0 <= parameter.value <= 1 and "fraction" in name:
            upper = min(upper, 1.0)
        chosen.append(FreeParameter(name, lower, upper))
    return chosen


def residuals(run: ValidationRun, targets: TargetsFile) -> np.ndarray:
    """One residual per target: weighted misses in half-band units; an error counts as `MISS_PENALTY`."""
    values = []
    for target, result in zip(targets.targets, run.results, strict=True):
        weight = math.sqrt(CONFIDENCE_WEIGHTS.get(target.confidence, 0.5))
        if result.simulated is None or not np.isfinite(result.simulated):
            values.append(weight * math.sqrt(MISS_PENALTY))
            continue
        half = max((target.band[1] - target.band[0]) / 2.0, 1e-12)
        values.append(weight * (result.simulated - target.expected) / half)
    return np.array(values)


def objective(run: ValidationRun, targets: TargetsFile) -> float:
    """Confidence-weighted squared misses in half-band units: the sum of the squared `residuals`."""
    return float(np.sum(residuals(run, targets) ** 2))


def search_overrides(free: Sequence[FreeParameter], point: np.ndarray) -> dict[str, float]:
    """The parameter values at a point in search coordinates, as overrides by name."""
    return {p.name: p.from_search(float(c)) for p, c in zip(free, point, strict=True)}


def search_bounds(free: Sequence[FreeParameter]) -> tuple[np.ndarray, np.ndarray]:
    """The lower and upper bounds of ``free`` in search coordinates."""
    return np.array([p.to_search(p.lower) for p in free]), np.array([p.to_search(p.upper) for p in free])


def difference_points(
    x: np.ndarray, free: Sequence[FreeParameter], scheme: str, relative: float, bounds: tuple[np.ndarray, np.ndarray]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The points of a finite-difference Jacobian around ``x``: one pair (up, down) per coordinate.

    Forward differences step each coordinate up (down where that leaves the bounds) and keep ``x`` as the other
    end; central differences step it both ways, each way cut at the bound. ``relative`` is the step of
    `FreeParameter.step`.
    """
    lower, upper = bounds
    ups, downs = [], []
    for i, parameter in enumerate(free):
        h = parameter.step(relative)
        up, down = np.array(x, dtype=float), np.array(x, dtype=float)
        if scheme == "central":
            up[i], down[i] = min(x[i] + h, upper[i]), max(x[i] - h, lower[i])
        else:
            up[i] = x[i] + h if x[i] + h <= upper[i] else x[i] - h
        ups.append(up)
        downs.append(down)
    return ups, downs


def difference_quotients(
    center: np.ndarray, found: Sequence[np.ndarray], ups: Sequence[np.ndarray], downs: Sequence[np.ndarray], scheme: str
) -> np.ndarray:
    """The Jacobian from the residuals ``found`` at the `difference_points` (ups, then downs when central)."""
    at_up = found[: len(ups)]
    at_down = found[len(ups) :] if scheme == "central" else [center] * len(ups)
    columns = [
        (r_up - r_down) / (up[i] - down[i])
        for i, (r_up, r_down, up, down) in enumerate(zip(at_up, at_down, ups, downs, strict=True))
    ]
    return np.column_stack(columns)


@dataclass(frozen=True)
class Progress:
    """Where a calibration stands after a batched evaluation: the best point so far and the time spent."""

    evaluation: int
    budget: int
    sets: int
    objective: float
    in_band: int
    targets: int
    seconds: float


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted values, the objective before and after, and the validation run at the fitted values.

    ``evaluations`` counts parameter sets simulated, ``batched_evaluations`` the batched runner calls.
    """

    values: dict[str, float]
    objective_before: float
    objective_after: float
    evaluations: int
    run: ValidationRun
    batched_evaluations: int
    seconds: float
    optimiser: str


def refuse_validation_targets(targets: TargetsFile) -> None:
    """Refuse a targets file that holds validation targets: calibration never fits them.

    Raises
    ------
    TargetsError
        At the first validation target's ``role``, saying how many there are.
    """
    held_out = [t for t in targets.targets if t.role == "validation"]
    if held_out:
        first = held_out[0]
        others = f" and {len(held_out) - 1} more" if len(held_out) > 1 else ""
        raise TargetsError(
            f"{first.key_path}.role",
            f"validation target {first.id!r}{others} may not be fitted: validation targets check the model out of sample",
            "give calibrate a file of calibration targets only; run validation targets with `ketasim validate`",
        )


class _BudgetSpentError(Exception):
    """The batched evaluations allowed are used up."""


class _Search:
    """The least-squares problem in search coordinates, every evaluation a batched runner call."""

    def __init__(
        self,
        targets: TargetsFile,
        free: Sequence[FreeParameter],
        runner: BatchRunner,
        budget: int,
        on_evaluation: Callable[[Progress], None] | None,
    ) -> None:
        self.targets, self.free, self.runner, self.budget = targets, list(free), runner, budget
        self.on_evaluation = on_evaluation
        self.start = perf_counter()
        self.batched = self.sets = 0
        self.first: float | None = None
        self.best: tuple[float, np.ndarray, ValidationRun] | None = None
        self.known: dict[bytes, np.ndarray] = {}  # residuals of the last evaluation's points

    def evaluate(self, points: list[np.ndarray]) -> list[np.ndarray]:
        """Residuals at each point, all points in one batched runner call."""
        if self.batched >= self.budget:
            raise _BudgetSpentError
        runs = self.runner.run([search_overrides(self.free, point) for point in points])
        self.batched += 1
        self.sets += len(points)
        self.known = {}
        found = []
        for point, run in zip(points, runs, strict=True):
            r = residuals(run, self.targets)
            value = float(np.sum(r**2))
            if self.first is None:
                self.first = value
            if self.best is None or value < self.best[0]:
                self.best = (value, np.array(point), run)
            self.known[np.asarray(point, dtype=float).tobytes()] = r
            found.append(r)
        if self.on_evaluation is not None and self.best is not None:
            best, _, run = self.best
            seconds = perf_counter() - self.start
            progress = Progress(self.batched, self.budget, len(points), best, run.passed, len(run.results), seconds)
            self.on_evaluation(progress)
        return found

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Residuals at ``x`` (from the last evaluation when it had ``x``)."""
        key = np.asarray(x, dtype=float).tobytes()
        return self.known[key] if key in self.known else self.evaluate([np.array(x, dtype=float)])[0]

    def jacobian(
        self, x: np.ndarray, scheme: str, relative: float, bounds: tuple[np.ndarray, np.ndarray]
    ) -> np.ndarray:
        """Finite differences around ``x`` (`difference_points`): every perturbed point in one batched evaluation."""
        center = self.residuals(x)
        ups, downs = difference_points(x, self.free, scheme, relative, bounds)
        found = self.evaluate(ups + downs if scheme == "central" else ups)
        return difference_quotients(center, found, ups, downs, scheme)


def calibrate(
    targets: TargetsFile,
    pset: ParameterSet,
    free: Sequence[FreeParameter],
    *,
    patients: int = 100,
    max_evaluations: int = 40,
    differences: str = "forward",
    step: float = STEP,
    on_evaluation: Callable[[Progress], None] | None = None,
) -> CalibrationResult:
    """Fit ``free`` parameters to ``targets`` by bounded least squares within ``max_evaluations`` batched calls.

    Parameters
    ----------
    targets
        Calibration targets (`load_targets`).
    pset
        The set the fit starts from; the free parameters' bounds come from `free_parameters`.
    free
        The parameters to fit.
    patients
        Patients per arm in every evaluation (at most each protocol's ``population.size``).
    max_evaluations
        Batched runner calls at most: the first point, each trial point, each Jacobian (all its points in one call).
    differences
        ``forward`` (p perturbed sets per Jacobian) or ``central`` (2p).
    step
        Finite-difference step: the change of log(value) of a positive parameter, else the fraction of its half range.
    on_evaluation
        Called with the `Progress` after each batched evaluation.

    Returns
    -------
    CalibrationResult
        The best point evaluated (the optimiser's end point unless the budget ran out first).

    Raises
    ------
    TargetsError
        ``targets`` holds a validation target (see `refuse_validation_targets`).
    InputError
        ``differences`` is not one of `DIFFERENCES`, or there are no free parameters.
    """
    refuse_validation_targets(targets)
    if differences not in DIFFERENCES:
        raise InputError("--differences", f"unknown scheme {differences!r}", f"choose {' or '.join(DIFFERENCES)}")
    if not free:
        raise InputError("--parameter", "no parameter to fit", "name one with --parameter NAME")
    search = _Search(targets, free, BatchRunner(targets, patients=patients), max_evaluations, on_evaluation)
    bounds = search_bounds(free)
    start = np.clip([p.to_search(pset[p.name]) for p in free], *bounds)
    with suppress(_BudgetSpentError):  # out of budget: the best point so far is the answer
        least_squares(
            search.residuals,
            start,
            jac=lambda x: search.jacobian(x, differences, step, bounds),
            bounds=bounds,
            method="trf",
            x_scale="jac",
        )
    if search.best is None or search.first is None:
        raise InputError("--max-evaluations", "no evaluation ran", "allow at least 2")
    best, point, run = search.best
    values = search_overrides(free, point)
    seconds = perf_counter() - search.start
    optimiser = f"{OPTIMISER} ({differences} differences)"
    return CalibrationResult(values, search.first, best, search.sets, run, search.batched, seconds, optimiser)


def write_parameter_file(
    result: CalibrationResult, pset: ParameterSet, targets: TargetsFile, path: Path, patients: int
) -> Path:
    """Write the calibrated values and their provenance as a parameter file that protocols can name."""
    digest = hashlib.sha256(Path(targets.path).read_bytes()).hexdigest() if targets.path else ""
    document = {
        "ketasim-parameters": 1,
        "name": path.stem,
        "based_on": pset.name,
        "values": {
            name: {"value": value, "unit": pset.parameter(name).unit, "previous": pset[name]}
            for name, value in result.values.items()
        },
        "provenance": {
            "ketasim": __version__,
            "date": datetime.date.today().isoformat(),
            "targets_file": str(targets.path),
            "targets_sha256": digest,
            "patients_per_arm": patients,
            "optimiser": result.optimiser,
            "evaluations": result.evaluations,
            "batched_evaluations": result.batched_evaluations,
            "wall_seconds": round(result.seconds, 1),
            "objective_before": result.objective_before,
            "objective_after": result.objective_after,
            "fit": [
                {"id": r.target.id, "simulated": r.simulated, "expected": r.target.expected, "passed": r.passed}
                for r in result.run.results
            ],
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
