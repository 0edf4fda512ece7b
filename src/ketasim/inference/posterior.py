"""The posterior ensemble of the calibrated parameters: NUTS draws from the linear-Gaussian surrogate, checked
against the real model, written as the ensemble file of ``spec/cli.md`` (``ketasim posterior``).

**Why a surrogate.** One evaluation of every calibration target costs seconds of simulation per parameter set, and
a sampler over the full model needs tens of thousands, each with its own patients' noise; the linearised
likelihood (`ketasim.inference.surrogate`) costs one batched evaluation of 2p + 1 sets, and a saved surrogate
(``--from-surrogate``) none. Its posterior is what the targets say about the parameters near the optimum, as far
as the model is linear there, centred at the optimum (Laplace): `check_surrogate` simulates some draws for real
and compares their objective with the surrogate's prediction.

**Sampling.** numpyro's NUTS over the standardised coordinates u = (x - prior mean) / prior sd (dense mass matrix,
``chains`` chains of ``draws / chains`` after ``warmup`` steps each); effective sample size and split r-hat per
parameter from ``numpyro.diagnostics``. The surrogate's posterior is normal in closed form
(`LinearSurrogate.gaussian_posterior`); the closed form checks the sampler, and the sampler keeps the pipeline
ready for a likelihood that is not linear.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import yaml
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
from numpyro.infer import MCMC, NUTS

from ketasim.engine.jax_setup import configured
from ketasim.errors import InputError
from ketasim.inference.calibrate import (
    DIFFERENCES,
    free_parameters,
    refuse_validation_targets,
    residuals,
    search_overrides,
)
from ketasim.inference.sensitivity import sensitivity_ranges
from ketasim.inference.surrogate import (
    JACOBIAN_STEP,
    Z95,
    LinearSurrogate,
    MeasuredSurrogate,
    confidence_prior,
    measure_surrogate,
    read_surrogate,
)
from ketasim.parameters.registry import ParameterSet
from ketasim.report.progress import COMPILING
from ketasim.validation.runner import Backend, BatchRunner
from ketasim.validation.targets import TargetsFile
from ketasim.version import __version__

FORMAT = 1
"""The ``ketasim-posterior`` format version."""
WARMUP = 1000
CHAINS = 4
SIGNIFICANT = 6  # digits kept of each drawn value in the file


@dataclass(frozen=True)
class Ensemble:
    """Posterior draws in search coordinates (chains, draws per chain, parameters) and the sampler's diagnostics."""

    surrogate: LinearSurrogate
    chains: np.ndarray
    ess: np.ndarray
    r_hat: np.ndarray
    divergences: int
    warmup: int
    seed: int
    seconds: float

    @property
    def draws(self) -> np.ndarray:
        """All draws (draws, parameters) in search coordinates, chain after chain."""
        return self.chains.reshape(-1, self.chains.shape[-1])

    def values(self) -> np.ndarray:
        """All draws in registry units."""
        return np.array([list(search_overrides(self.surrogate.free, x).values()) for x in self.draws])


def _surrogate_model(surrogate: LinearSurrogate) -> None:
    """The surrogate's prior and likelihood over the standardised coordinates ``u``."""
    mean, sd = jnp.asarray(surrogate.prior_mean), jnp.asarray(surrogate.prior_sd)
    jacobian, x0 = jnp.asarray(surrogate.jacobian), jnp.asarray(surrogate.x0)
    u = numpyro.sample("u", dist.Normal(0.0, 1.0).expand([len(surrogate.free)]).to_event(1))
    change = jacobian @ (mean + sd * u - x0)  # Laplace: the objective's rise from the optimum's, no slope there
    numpyro.factor("targets", -0.5 * Z95**2 * jnp.dot(change, change))


@configured
def sample_surrogate(
    surrogate: LinearSurrogate, *, draws: int = 256, chains: int = CHAINS, warmup: int = WARMUP, seed: int = 0
) -> Ensemble:
    """``draws`` NUTS draws of the surrogate's posterior in ``chains`` chains (``draws`` a multiple of ``chains``).

    JAX runs in float64 (`configured`): the Jacobian's columns differ by orders of magnitude.
    """
    start = perf_counter()
    kernel = NUTS(_surrogate_model, dense_mass=True, target_accept_prob=0.85)
    mcmc = MCMC(
        kernel,
        num_warmup=warmup,
        num_samples=draws // chains,
        num_chains=chains,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed), surrogate, extra_fields=("diverging",))
    u = np.asarray(mcmc.get_samples(group_by_chain=True)["u"], dtype=float)
    x = surrogate.prior_mean + surrogate.prior_sd * u
    divergences = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    ess = np.asarray(effective_sample_size(x), dtype=float)
    r_hat = np.asarray(split_gelman_rubin(x), dtype=float)
    return Ensemble(surrogate, x, ess, r_hat, divergences, warmup, seed, perf_counter() - start)


@dataclass(frozen=True)
class SurrogateCheck:
    """Real against predicted residuals at some draws (rows: the draws ``indices`` of the ensemble), and the
    surrogate's objective there (`LinearSurrogate.objective`)."""

    indices: np.ndarray
    predicted: np.ndarray
    real: np.ndarray
    predicted_objective: np.ndarray
    target_ids: tuple[str, ...]
    seconds: float

    @property
    def real_objective(self) -> np.ndarray:
        """The model's objective at each checked draw."""
        return np.sum(self.real**2, axis=1)

    def target_errors(self) -> np.ndarray:
        """Root mean square of real minus predicted residual over the checked draws, per target."""
        return np.sqrt(np.mean((self.real - self.predicted) ** 2, axis=0))

    def to_json(self, worst: int = 5) -> dict[str, Any]:
        """Summary for the ensemble file: objectives per checked draw and the worst-predicted targets."""
        errors = self.target_errors()
        order = np.argsort(-errors)[:worst]
        return {
            "draws": self.indices.tolist(),
            "predicted_objective": [round(float(v), 3) for v in self.predicted_objective],
            "real_objective": [round(float(v), 3) for v in self.real_objective],
            "residual_rms_error": round(float(np.sqrt(np.mean((self.real - self.predicted) ** 2))), 4),
            "worst_targets": {self.target_ids[k]: round(float(errors[k]), 4) for k in order},
            "seconds": round(self.seconds, 1),
        }


def spread_indices(total: int, count: int) -> np.ndarray:
    """``count`` indices spread evenly over ``total`` draws (as the ensemble's reader picks them)."""
    return np.linspace(0, total - 1, count).round().astype(int)


def check_surrogate(ensemble: Ensemble, targets: TargetsFile, runner: BatchRunner, count: int = 16) -> SurrogateCheck:
    """Simulate ``count`` draws spread over the ensemble (one runner call) and set their residuals beside the
    surrogate's."""
    start = perf_counter()
    indices = spread_indices(len(ensemble.draws), count)
    points = ensemble.draws[indices]
    runs = runner.run([search_overrides(ensemble.surrogate.free, x) for x in points])
    real = np.array([residuals(run, targets) for run in runs])
    surrogate = ensemble.surrogate
    predicted, objective = surrogate.residuals(points), surrogate.objective(points)
    return SurrogateCheck(indices, predicted, real, objective, surrogate.target_ids, perf_counter() - start)


def _sha256(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else ""


def posterior_document(
    result: PosteriorResult, based_on: ParameterSet, targets: TargetsFile, calibrated_file: Path | None = None
) -> dict[str, Any]:
    """The ensemble file's mapping (``spec/cli.md``, ``ketasim posterior``); values in ``based_on``'s units."""
    measured, ensemble = result.measured, result.ensemble
    names = ensemble.surrogate.names
    method = (
        "NUTS (numpyro) on a linear-Gaussian surrogate of the calibration targets' likelihood, Laplace's at the "
        "calibrated optimum x0: the objective |r0|^2 + |J (x - x0)|^2, without the slope J^T r0 (least squares "
        f"stopped at x0, so the slope is taken for noise; {measured.scheme}-difference Jacobian, step "
        f"{measured.step:g} in log(value), {measured.patients} patients per arm; bands as 95 % intervals, priors "
        "from registry confidence)"
    )
    diagnostics: dict[str, Any] = {
        "ess": {name: round(float(v), 1) for name, v in zip(names, ensemble.ess, strict=True)},
        "r_hat": {name: round(float(v), 4) for name, v in zip(names, ensemble.r_hat, strict=True)},
        "chains": int(ensemble.chains.shape[0]),
        "warmup": ensemble.warmup,
        "divergences": ensemble.divergences,
        "objective_at_optimum": round(float(np.sum(measured.surrogate.r0**2)), 4),
    }
    if result.check is not None:
        diagnostics["surrogate_check"] = result.check.to_json()
    jacobian = measured.to_json()["measurement"]
    if result.surrogate_file is not None:
        jacobian |= {"file": str(result.surrogate_file), "file_sha256": _sha256(result.surrogate_file)}
    return {
        "ketasim-posterior": FORMAT,
        "based_on": based_on.name,
        "method": method,
        "parameters": [{"name": name, "unit": based_on.parameter(name).unit} for name in names],
        "draws": [[float(f"{v:.{SIGNIFICANT}g}") for v in row] for row in ensemble.values()],
        "diagnostics": diagnostics,
        "provenance": {
            "ketasim": __version__,
            "date": datetime.date.today().isoformat(),
            "targets_file": str(targets.path),
            "targets_sha256": _sha256(Path(targets.path) if targets.path else None),
            "calibrated_file": calibrated_file.name if calibrated_file is not None else None,
            "calibrated_sha256": _sha256(calibrated_file),
            "patients_per_arm": result.patients,
            "jacobian": jacobian,
            "sampler": {"seed": ensemble.seed, "seconds": round(ensemble.seconds, 1)},
        },
    }


def write_posterior(document: dict[str, Any], path: Path) -> Path:
    """Write the ensemble file (rows of draws on one line each)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100000), encoding="utf-8")
    return path


@dataclass(frozen=True)
class PosteriorResult:
    """The surrogate (measured, or read from ``surrogate_file``), the ensemble drawn from it, and the check against
    the model (None if skipped) with ``patients`` per arm."""

    measured: MeasuredSurrogate
    ensemble: Ensemble
    check: SurrogateCheck | None
    patients: int
    surrogate_file: Path | None


def check_request(
    targets: TargetsFile, names: Sequence[str], *, draws: int, check: int, scheme: str = "central"
) -> None:
    """Refuse a request `make_posterior` cannot serve, before anything runs.

    Raises
    ------
    InputError
        Bad ``draws``, ``check`` or ``scheme``, or no parameter to sample.
    TargetsError
        ``targets`` holds validation targets.
    """
    refuse_validation_targets(targets)
    if draws < 4 * CHAINS or draws % CHAINS:
        raise InputError(
            "--draws",
            f"{draws} draws do not split into {CHAINS} chains of at least 4",
            f"use a multiple of {CHAINS}, at least {4 * CHAINS}",
        )
    if not 0 <= check <= draws:
        raise InputError("--check", f"{check} checked draws of {draws}", f"check between 0 and {draws} draws")
    if scheme not in DIFFERENCES:
        raise InputError("--differences", f"unknown scheme {scheme!r}", f"choose {' or '.join(DIFFERENCES)}")
    if not names:
        raise InputError("--parameter", "no parameter to sample", "mark parameters calibrated or name them")


def make_posterior(
    targets: TargetsFile,
    prior: ParameterSet,
    optimum: ParameterSet,
    names: Sequence[str],
    *,
    patients: int = 64,
    draws: int = 256,
    check: int = 16,
    seed: int = 0,
    scheme: str = "central",
    step: float = JACOBIAN_STEP,
    surrogate_file: Path | None = None,
    backend: Backend | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> PosteriorResult:
    """Linearise the calibration at ``optimum`` (or read the surrogate ``surrogate_file`` holds), sample the
    surrogate's posterior, and check it against the model.

    Parameters
    ----------
    targets
        Calibration targets (validation targets are refused).
    prior
        The set calibration starts from: its values centre the prior ranges and set calibrate's coordinates.
    optimum
        The calibrated set: its values of ``names`` are the optimum x0.
    names
        The calibrated parameters.
    patients
        Patients per arm in every simulated set (the Jacobian's, unless read from ``surrogate_file``, and the check's).
    draws
        Draws in the ensemble, a multiple of `CHAINS`.
    check
        Draws simulated to check the surrogate (0: none).
    seed
        Seed of the sampler.
    scheme, step
        Finite differences of the Jacobian (`measure_surrogate`).
    surrogate_file
        A surrogate saved by ``--surrogate-json`` to sample instead of measuring one (`read_surrogate`: refused
        unless measured for these parameters, calibrated values, prior and targets).
    backend
        The runner's simulator (tests pass fakes).
    on_stage
        Called with a line of progress before each stage.

    Raises
    ------
    KetasimError
        A request `check_request` refuses, or a surrogate `read_surrogate` refuses.
    """
    check_request(targets, names, draws=draws, check=check, scheme=scheme)
    say = on_stage if on_stage is not None else (lambda line: None)
    free = free_parameters(prior, names)
    x0 = np.array([p.to_search(optimum[p.name]) for p in free])
    ranges = confidence_prior(free, sensitivity_ranges(prior, names))
    runner = BatchRunner(targets, patients=patients, backend=backend)
    if surrogate_file is not None:
        measured = read_surrogate(surrogate_file, free, x0, ranges, [target.id for target in targets.targets])
        say(f"surrogate read from {surrogate_file}; sampling {draws} draws with NUTS")
    else:
        sets = len(free) * (2 if scheme == "central" else 1) + 1
        say(f"Jacobian: {sets} parameter sets, {patients} patients per arm, in one batched evaluation ({COMPILING})")
        measured = measure_surrogate(targets, runner, free, x0, ranges, scheme=scheme, step=step)
        say(f"Jacobian took {measured.seconds:.0f} s; sampling {draws} draws with NUTS")
    ensemble = sample_surrogate(measured.surrogate, draws=draws, seed=seed)
    checked = None
    if check:
        compiling = f" ({COMPILING})" if surrogate_file is not None else ""
        say(f"sampled in {ensemble.seconds:.0f} s; simulating {check} draws to check the surrogate{compiling}")
        checked = check_surrogate(ensemble, targets, runner, check)
    return PosteriorResult(measured, ensemble, checked, patients, surrogate_file)
