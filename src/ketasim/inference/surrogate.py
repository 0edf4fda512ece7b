"""A linear-Gaussian surrogate of the calibration likelihood around the calibrated optimum.

**Coordinates.** Calibration's search coordinates (`FreeParameter`: log(value) for a positive parameter).

**Likelihood.** The residuals of `ketasim.inference.calibrate.residuals` (confidence-weighted misses in half-band
units) are linearised at the optimum x0: r(x) ≈ r0 + J (x - x0), J by finite differences whose points all run
in one batched evaluation (common random numbers). Each target's band is read as a 95 % interval of its
measurement, its standard deviation the half band / (`Z95` sqrt(confidence weight)), so that -2 log L is
calibrate's objective times `Z95`². The likelihood is Laplace's at a least-squares optimum: the objective's
quadratic f(x0) + |J (x - x0)|², centred at x0. Least squares stopped at x0, so the slope there (J^T r0) is taken
for noise: at 64 patients per arm rate targets move in steps of 1/64, and the slope that steps leave shifted the
posterior away from the calibrated values while promising a fit the model does not give. Under a flat prior the
posterior's mode is calibrate's optimum.

**Prior.** Each parameter's range from its registry confidence (`sensitivity_ranges`, the ranges of
``ketasim sensitivity``) read as a 95 % interval in search coordinates: a normal prior centred in the range.

**Closed forms.** With a linear model and normal prior the surrogate's posterior is normal (`gaussian_posterior`),
the profile of the objective over one parameter is a parabola (`profile`), and the singular value decomposition of
the prior-scaled Jacobian names the parameter combinations the targets pin down and those they leave to the
prior (`combinations`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
from scipy.stats import norm

from ketasim.errors import InputError
from ketasim.inference.calibrate import (
    FreeParameter,
    difference_points,
    difference_quotients,
    residuals,
    search_bounds,
    search_overrides,
)
from ketasim.validation.runner import BatchRunner
from ketasim.validation.targets import TargetsFile

Z95 = float(norm.ppf(0.975))
"""A band read as a 95 % interval is ± `Z95` standard deviations; Z95² is also the 95 % point of χ² with 1 df."""
JACOBIAN_STEP = 0.1
"""Finite-difference step: 0.1 in log(value) (10 %), large enough that a step moves response rates of 64
patients per arm by more than one patient."""


@dataclass(frozen=True)
class Combination:
    """A direction in prior-scaled search coordinates and how strongly the targets pin it.

    ``singular_value`` s: the targets' information along the direction relative to the prior's; the posterior's
    standard deviation along it is the prior's times 1 / sqrt(1 + s²). ``loadings``: the direction's components,
    one per parameter, unit length.
    """

    singular_value: float
    loadings: np.ndarray

    @property
    def shrinkage(self) -> float:
        """Posterior over prior standard deviation along the direction."""
        return float(1.0 / np.sqrt(1.0 + self.singular_value**2))


@dataclass(frozen=True)
class LinearSurrogate:
    """r(x) = r0 + J (x - x0) in calibrate's residual units, with a normal prior per parameter.

    The objective is Laplace's quadratic at the optimum, |r0|² + |J (x - x0)|² (`objective`), and so are the
    posterior (`gaussian_posterior`) and the profiles (`profile`): r0 enters them only as a constant.

    ``free`` gives the coordinates (calibrate's), ``x0`` the optimum in them, ``r0`` the residuals measured there
    (one per target of ``target_ids``), ``jacobian`` dr/dx (targets × parameters), ``prior_mean`` and
    ``prior_sd`` the prior in the same coordinates.
    """

    free: tuple[FreeParameter, ...]
    target_ids: tuple[str, ...]
    x0: np.ndarray
    r0: np.ndarray
    jacobian: np.ndarray
    prior_mean: np.ndarray
    prior_sd: np.ndarray

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters, in column order."""
        return tuple(p.name for p in self.free)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Each target's linearised residual at points ``x`` (..., parameters) in search coordinates."""
        return self.r0 + (np.asarray(x, dtype=float) - self.x0) @ self.jacobian.T

    def objective(self, x: np.ndarray) -> np.ndarray:
        """Predicted calibration objective at points ``x``: |r0|² + |J (x - x0)|², no slope at the optimum."""
        steps = (np.asarray(x, dtype=float) - self.x0) @ self.jacobian.T
        return float(self.r0 @ self.r0) + np.sum(steps**2, axis=-1)

    def gaussian_posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """The surrogate posterior's mean and covariance in search coordinates (it is normal)."""
        prior_precision = 1.0 / self.prior_sd**2
        precision = Z95**2 * self.jacobian.T @ self.jacobian + np.diag(prior_precision)
        shift = Z95**2 * self.jacobian.T @ (self.jacobian @ self.x0) + prior_precision * self.prior_mean
        covariance = np.linalg.inv(precision)
        return covariance @ shift, (covariance + covariance.T) / 2.0

    def scaled_jacobian(self) -> np.ndarray:
        """Z95 J diag(prior_sd): the Jacobian in units of the targets' and the prior's standard deviations."""
        return Z95 * self.jacobian * self.prior_sd

    def combinations(self) -> list[Combination]:
        """The right singular vectors of `scaled_jacobian`, best pinned first (one per parameter)."""
        _, singular, rows = np.linalg.svd(self.scaled_jacobian(), full_matrices=True)
        padded = np.zeros(len(self.free))
        padded[: len(singular)] = singular
        return [Combination(float(s), rows[k]) for k, s in enumerate(padded)]

    def profile(self, index: int, values: np.ndarray) -> np.ndarray:
        """The objective at each value of parameter ``index`` (search coordinates), minimised over the others.

        Exact for the surrogate: |r0|² plus the squared step times the squared norm of the part of the parameter's
        column that the other columns cannot absorb, a parabola with its least value at x0 (flat where the other
        parameters can make up for this one). No prior.
        """
        others = np.delete(self.jacobian, index, axis=1)
        column = self.jacobian[:, index]
        fitted = others @ np.linalg.lstsq(others, column, rcond=None)[0] if others.size else 0.0
        steps = np.asarray(values, dtype=float) - self.x0[index]
        return float(self.r0 @ self.r0) + steps**2 * float(np.sum((column - fitted) ** 2))

    def profile_half_width(self, index: int) -> float:
        """Half width of the profile's 95 % interval in search coordinates: where the objective rises by 1.

        Infinite when the other parameters make up for this one entirely.
        """
        curvature = float(self.profile(index, self.x0[index] + np.array([-1.0, 0.0, 1.0])) @ [0.5, -1.0, 0.5])
        return float(1.0 / np.sqrt(curvature)) if curvature > 1e-12 else float("inf")

    def to_json(self) -> dict[str, Any]:
        """Everything the surrogate holds, as JSON-ready lists (for the documentation's plots)."""
        return {
            "parameters": [
                {"name": p.name, "lower": p.lower, "upper": p.upper, "logarithmic": p.logarithmic} for p in self.free
            ],
            "targets": list(self.target_ids),
            "x0": self.x0.tolist(),
            "r0": self.r0.tolist(),
            "jacobian": self.jacobian.tolist(),
            "prior_mean": self.prior_mean.tolist(),
            "prior_sd": self.prior_sd.tolist(),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> LinearSurrogate:
        """The surrogate `to_json` wrote."""
        free = tuple(FreeParameter(p["name"], p["lower"], p["upper"]) for p in document["parameters"])
        arrays = {key: np.asarray(document[key], dtype=float) for key in ("x0", "r0", "jacobian")}
        return cls(
            free,
            tuple(document["targets"]),
            arrays["x0"],
            arrays["r0"],
            arrays["jacobian"],
            np.asarray(document["prior_mean"], dtype=float),
            np.asarray(document["prior_sd"], dtype=float),
        )


def confidence_prior(free: Sequence[FreeParameter], ranges: Sequence[FreeParameter]) -> tuple[np.ndarray, np.ndarray]:
    """Prior mean and standard deviation in ``free``'s coordinates: each range of ``ranges`` as a 95 % interval."""
    low = np.array([p.to_search(r.lower) for p, r in zip(free, ranges, strict=True)])
    high = np.array([p.to_search(r.upper) for p, r in zip(free, ranges, strict=True)])
    return (low + high) / 2.0, (high - low) / (2.0 * Z95)


@dataclass(frozen=True)
class MeasuredSurrogate:
    """The surrogate, how it was measured (difference scheme and step, patients per arm: None for each protocol's
    own) and what that cost (parameter sets, seconds)."""

    surrogate: LinearSurrogate
    scheme: str
    step: float
    patients: int | None
    sets: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """`LinearSurrogate.to_json` with a ``measurement`` entry: what `read_surrogate` reads back."""
        measurement = {
            "scheme": self.scheme,
            "step": self.step,
            "patients_per_arm": self.patients,
            "sets": self.sets,
            "seconds": round(self.seconds, 1),
        }
        return {**self.surrogate.to_json(), "measurement": measurement}


def read_surrogate(
    path: Path,
    free: Sequence[FreeParameter],
    x0: np.ndarray,
    prior: tuple[np.ndarray, np.ndarray],
    target_ids: Sequence[str],
) -> MeasuredSurrogate:
    """The surrogate `MeasuredSurrogate.to_json` wrote to ``path``, if it was measured for these parameters
    (``free``, at ``x0``, with ``prior``) and these targets.

    Raises
    ------
    InputError
        ``path`` is not such a file, or it was measured for other parameters, values, prior or targets.
    """
    fix = "measure it again: ketasim posterior without --from-surrogate, with --surrogate-json FILE"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        record = document["measurement"]
        saved = MeasuredSurrogate(
            LinearSurrogate.from_json(document),
            str(record["scheme"]),
            float(record["step"]),
            record["patients_per_arm"],
            int(record["sets"]),
            float(record["seconds"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError("--from-surrogate", f"{path} is not a surrogate file ({error!r})", fix) from None
    surrogate = saved.surrogate
    if surrogate.free != tuple(free):
        mismatch = "parameters (or bounds) than the calibrated set"
    elif surrogate.target_ids != tuple(target_ids):
        mismatch = "targets than the targets file"
    elif not np.allclose(surrogate.x0, x0, rtol=0.0, atol=1e-9):
        mismatch = "values than the calibrated set"
    elif not (np.allclose(surrogate.prior_mean, prior[0]) and np.allclose(surrogate.prior_sd, prior[1])):
        mismatch = "prior than the registry's confidence gives"
    else:
        return saved
    raise InputError("--from-surrogate", f"{path} was measured for other {mismatch}", fix)


def measure_surrogate(
    targets: TargetsFile,
    runner: BatchRunner,
    free: Sequence[FreeParameter],
    x0: np.ndarray,
    prior: tuple[np.ndarray, np.ndarray],
    *,
    scheme: str = "central",
    step: float = JACOBIAN_STEP,
) -> MeasuredSurrogate:
    """Linearise the residuals at ``x0``: the optimum and every finite-difference point in one runner call.

    Parameters
    ----------
    targets
        The calibration targets ``runner`` runs.
    runner
        Runs every target for many parameter sets with the same patients.
    free
        The parameters and their coordinates (`free_parameters`, as calibrate uses them).
    x0
        The optimum in search coordinates.
    prior
        Prior mean and standard deviation in search coordinates (`confidence_prior`).
    scheme
        ``central`` (2p + 1 sets, error of order step²) or ``forward`` (p + 1 sets).
    step
        The step of `FreeParameter.step`.
    """
    start = perf_counter()
    ups, downs = difference_points(x0, free, scheme, step, search_bounds(free))
    points = [np.asarray(x0, dtype=float), *ups, *(downs if scheme == "central" else [])]
    found = [residuals(run, targets) for run in runner.run([search_overrides(free, point) for point in points])]
    jacobian = difference_quotients(found[0], found[1:], ups, downs, scheme)
    ids = tuple(target.id for target in targets.targets)
    surrogate = LinearSurrogate(tuple(free), ids, np.asarray(x0, dtype=float), found[0], jacobian, *prior)
    return MeasuredSurrogate(surrogate, scheme, step, runner.patients, len(points), perf_counter() - start)
