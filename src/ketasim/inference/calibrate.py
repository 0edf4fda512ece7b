"""Population calibration: fit population-level response parameters to a targets file.

Every evaluation runs all targets with the same seeds and patients (common random numbers), so the
objective changes smoothly with the parameters; a global optimiser (scipy's differential evolution)
searches within bounds around the current values. The objective is the confidence-weighted sum over
targets of ((simulated - expected) / half band width)^2; a target that cannot run counts as a large miss.
The result is a parameter file with its provenance (targets file and hash, date, objective, fit per target).
Validation targets (``role: validation``) are the project's out-of-sample check and are never fitted: a targets
file that holds any is refused before anything runs.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ketasim.errors import InputError, TargetsError
from ketasim.parameters.overrides import RATIO_UNITS, override_text
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol import read_mapping
from ketasim.validation.runner import Backend, ValidationRun, default_backend, run_targets
from ketasim.validation.targets import TargetsFile
from ketasim.version import __version__

CONFIDENCE_WEIGHTS = {"high": 1.0, "medium": 0.7, "low": 0.4}
MISS_PENALTY = 25.0  # a target that errors counts as five half-bands off

# Population-level response parameters fitted by default: how strongly each mechanism moves mood, and how long
# the effect lasts. PK, receptor and cascade values come from the literature and are not fitted.
DEFAULT_FREE = (
    "relief_per_glutamate_fraction",
    "relief_per_rumination_unit",
    "relief_per_window_fraction",
    "relief_per_acute_expectancy",
    "relief_per_conditioned_expectancy",
    "relief_per_ssri_adaptation",
    "depression_time_constant_h",
)


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration may move, within [lower, upper] in its registry unit."""

    name: str
    lower: float
    upper: float


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


def _with_overrides(source: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """A protocol mapping whose population uses the overrides (on top of any it already has)."""
    protocol = deepcopy(dict(source))
    population = dict(protocol.get("population") or {})
    choice = population.get("parameters", "default")
    if isinstance(choice, Mapping):
        base, existing = choice.get("set", "default"), dict(choice.get("override") or {})
    else:
        base, existing = choice, {}
    population["parameters"] = {"set": base, "override": {**existing, **overrides}}
    protocol["population"] = population
    return protocol


def calibration_backend(overrides: Mapping[str, str], patients: int) -> Backend:
    """The real simulation layer, with the parameter overrides and at most ``patients`` patients per arm."""
    real = default_backend()
    simulate_protocol: Callable[..., Any] = real.simulate

    def load(source: Any, **options: Any) -> Any:
        if not isinstance(source, Mapping):
            source = read_mapping(Path(source))
        return real.load_protocol(_with_overrides(source, overrides), **options)

    def simulate(protocol: Any) -> Any:
        return simulate_protocol(protocol, patients=min(patients, protocol.population.size))

    return Backend(
        load_protocol=load,
        simulate=simulate,
        endpoint_value=real.endpoint_value,
        endpoint_statistic=real.endpoint_statistic,
    )


def objective(run: ValidationRun, targets: TargetsFile) -> float:
    """Confidence-weighted squared misses in half-band units; errors count as `MISS_PENALTY`."""
    total = 0.0
    for target, result in zip(targets.targets, run.results, strict=True):
        weight = CONFIDENCE_WEIGHTS.get(target.confidence, 0.5)
        if result.simulated is None or not np.isfinite(result.simulated):
            total += weight * MISS_PENALTY
            continue
        half = max((target.band[1] - target.band[0]) / 2.0, 1e-12)
        total += weight * ((result.simulated - target.expected) / half) ** 2
    return total


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted values, the objective before and after, and the validation run at the fitted values."""

    values: dict[str, float]
    objective_before: float
    objective_after: float
    evaluations: int
    run: ValidationRun


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


def calibrate(
    targets: TargetsFile,
    pset: ParameterSet,
    free: Sequence[FreeParameter],
    *,
    patients: int = 200,
    budget: int = 60,
    seed: int = 0,
    on_evaluation: Callable[[int, float], None] | None = None,
) -> CalibrationResult:
    """Fit ``free`` parameters to ``targets`` with differential evolution within ``budget`` evaluations.

    Raises
    ------
    TargetsError
        ``targets`` holds a validation target (see `refuse_validation_targets`).
    """
    from scipy.optimize import differential_evolution

    refuse_validation_targets(targets)

    evaluations = 0
    best: dict[str, Any] = {}

    def evaluate(x: np.ndarray) -> float:
        nonlocal evaluations
        overrides = {p.name: override_text(pset.parameter(p.name), float(v)) for p, v in zip(free, x, strict=True)}
        run = run_targets(targets, backend=calibration_backend(overrides, patients))
        value = objective(run, targets)
        evaluations += 1
        if not best or value < best["objective"]:
            best.update(objective=value, x=np.array(x), run=run)
        if on_evaluation is not None:
            on_evaluation(evaluations, value)
        return value

    start = np.array([pset[p.name] for p in free])
    before = evaluate(start)
    population = max(2, budget // (max(1, len(free)) * 4))
    differential_evolution(
        evaluate,
        bounds=[(p.lower, p.upper) for p in free],
        popsize=population,
        maxiter=max(1, budget // (population * len(free)) - 1),
        seed=seed,
        polish=False,
        init="sobol" if population * len(free) >= 4 else "latinhypercube",
        x0=start,
    )
    values = {p.name: float(v) for p, v in zip(free, best["x"], strict=True)}
    return CalibrationResult(values, before, float(best["objective"]), evaluations, best["run"])


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
            "evaluations": result.evaluations,
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
