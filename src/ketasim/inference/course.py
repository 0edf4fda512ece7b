"""The course of one patient for the forecast: everything upstream of the symptoms simulated once, then the
symptom stages integrated alone as a differentiable function of the patient's individual normals (etas)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr, ndtri

from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.engine.run import etd_coefficients, etd_rk4_apply, run
from ketasim.errors import ParameterError, UnsupportedError
from ketasim.models import natural_course, scales, symptoms
from ketasim.models.math import ARRAYS
from ketasim.models.model import Composition, Model, individual_parameters, symptom_part
from ketasim.models.scales import Scales, baseline_name
from ketasim.parameters.registry import ParameterSet
from ketasim.population import make_patients
from ketasim.protocol import Distribution, Protocol, arm_events
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import linear_problem
from ketasim.vocabulary import SCALES

ETA_USES: tuple[tuple[str, int], ...] = (
    *((use, 1) for use in symptoms.INDIVIDUAL_USES),
    (natural_course.USE, 1),
    ("symptoms_baseline_common", 1),
    ("symptoms_baseline_scales", len(SCALES)),
)
ETA_NAMES: tuple[str, ...] = tuple(
    use.removeprefix("symptoms_") if draws == 1 else f"baseline_{scale}"
    for use, draws in ETA_USES
    for scale in (SCALES if draws > 1 else ("",))
)
COVARIATE_FIELDS = ("failed_treatments", "chronic_stress", "childhood_neglect")
# Steps of the symptom model: fine while a drug acts, coarse between doses. The symptom states relax exactly
# (ETDRK4) and read the drivers from a run at the engine's own steps; daily expected scores agree with the
# engine's within 0.01 points (tests/unit/test_forecast.py, docs/forecast.md).
SYMPTOM_POLICY = StepPolicy(
    fine_h=0.25, fine_window_h=3.0, medium_h=1.0, medium_window_h=12.0, coarse_h=6.0, onset_window_h=0.0
)
PREDICTION_BATCH = 256  # posterior draws per vectorised prediction


# ---------------------------------------------------------------- individual parameters


def patient_parameters(
    base: Mapping[str, jax.Array],
    pset: ParameterSet,
    condition: str,
    covariates: Mapping[str, Any],
    normals: Mapping[str, Any],
) -> dict[str, jax.Array]:
    """The symptom stages' parameters of patients with the given individual normals, differentiable in the normals.

    The switch and sensitivities come from `ketasim.models.symptoms.individual_fields` (shared with the
    symptom stage), the untreated course from `ketasim.models.natural_course.natural_course_level`, the baseline
    scores from `baseline_scores`; ``base`` provides every parameter that does not
    depend on the normals.

    Parameters
    ----------
    base
        Parameters of the same patients (`ketasim.models.model.individual_parameters`), shape ``(n,)`` each.
    pset
        The merged parameter set.
    condition
        The patients' condition (sets the baseline score presets and the trauma load).
    covariates
        ``failed_treatments``, ``chronic_stress`` and ``childhood_neglect``, each of shape ``(n,)``.
    normals
        Standard normal deviates per use of `ETA_USES`, each of shape ``(n, draws)``.
    """
    individual = symptoms.individual_fields(
        pset,
        condition,
        covariates["failed_treatments"],
        covariates["chronic_stress"],
        covariates["childhood_neglect"],
        normals,
    )
    scores = baseline_scores(
        condition,
        pset,
        jnp.asarray(normals["symptoms_baseline_common"])[:, 0],
        jnp.asarray(normals["symptoms_baseline_scales"]),
    )
    baselines = {baseline_name(scale): scores[:, i] for i, scale in enumerate(SCALES)}
    level = natural_course.natural_course_level(pset, jnp.asarray(normals[natural_course.USE])[:, 0])
    return {**base, **individual, **baselines, "natural_course_level": level}


def baseline_scores(condition: str, pset: ParameterSet, common: jax.Array, specific: jax.Array) -> jax.Array:
    """`ketasim.models.scales.draw_baselines` (condition presets, with variability) in ``jax.numpy``."""
    presets = scales.baseline_presets(condition, pset)
    rho = pset["baseline_scale_correlation"]
    z = rho * common[:, None] + np.sqrt(1.0 - rho**2) * specific
    u = jnp.clip(ndtr(z), 1e-12, 1.0 - 1e-12)
    return jnp.stack([_quantile(presets[s], u[:, i]) for i, s in enumerate(SCALES)], axis=1)


def _quantile(distribution: Distribution, u: jax.Array) -> jax.Array:
    """`Distribution.quantile` of a normal (truncated) or fixed baseline distribution, in ``jax.numpy``."""
    d = distribution
    if d.form == "fixed" or (d.form == "normal" and d.sd <= 0):
        value = d.value if d.form == "fixed" else d.mean
        return jnp.clip(jnp.full(u.shape, value), d.lower, d.upper)
    if d.form != "normal" or d.integer:
        raise UnsupportedError(f"forecasting needs normal baseline score presets, not {d.form}")
    below, above = ndtr((d.lower - d.mean) / d.sd), ndtr((d.upper - d.mean) / d.sd)
    return jnp.clip(d.mean + d.sd * ndtri(below + u * (above - below)), d.lower, d.upper)


def unpack_etas(eta: jax.Array) -> dict[str, jax.Array]:
    """Split a flat vector of `ETA_NAMES` (one patient) into the named normals, each of shape ``(1, draws)``."""
    out: dict[str, jax.Array] = {}
    start = 0
    for use, draws in ETA_USES:
        out[use] = eta[start : start + draws][None, :]
        start += draws
    return out


# ---------------------------------------------------------------- the course of one patient


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class CourseInputs:
    """What the symptom model of one patient reads along its grid: steps, drivers and signals, as arrays.

    ``start``, ``middle`` and ``end`` are the drivers (the symptom stages' inputs from upstream) at the start,
    middle and end of each step, shape ``(steps, drivers)``; ``signals`` is ``(steps, signals)``; ``base`` holds
    the symptom stages' parameters, each of shape ``(1,)``; ``covariates`` the patient's `COVARIATE_FIELDS`.
    """

    steps_h: jax.Array
    start: jax.Array
    middle: jax.Array
    end: jax.Array
    signals: jax.Array
    base: dict[str, jax.Array]
    covariates: dict[str, jax.Array]

    def head(self, steps: int) -> CourseInputs:
        """The inputs of the first ``steps`` steps."""
        return dataclasses.replace(
            self,
            steps_h=self.steps_h[:steps],
            start=self.start[:steps],
            middle=self.middle[:steps],
            end=self.end[:steps],
            signals=self.signals[:steps],
        )


@dataclass(frozen=True)
class PatientCourse:
    """The symptom model of one patient along a fixed schedule, ready to integrate for any individual normals.

    Attributes
    ----------
    protocol
        The one-arm protocol of the history (and plan).
    pset
        Its parameter set.
    symptoms
        The symptom stages of the model, reading the drivers.
    times_h
        Grid points of the symptom model, through every observation time.
    inputs
        Arrays the integration reads.
    plasticity_window
        The plasticity window at the grid points (it does not depend on the normals).
    """

    protocol: Protocol
    pset: ParameterSet
    symptoms: Composition
    times_h: np.ndarray
    inputs: CourseInputs
    plasticity_window: np.ndarray

    @property
    def condition(self) -> str:
        """The patient's condition."""
        return str(self.protocol.population.condition)

    def index(self, times_h: Sequence[float] | np.ndarray) -> np.ndarray:
        """Grid index of each time (times at or before 0 read the untreated baseline at 0)."""
        wanted = np.maximum(np.asarray(times_h, dtype=float), 0.0)
        index = np.searchsorted(self.times_h, wanted - 1e-6)
        if np.any(index >= len(self.times_h)) or np.any(
            np.abs(self.times_h[np.minimum(index, len(self.times_h) - 1)] - wanted) > 1e-6
        ):
            raise ParameterError("a requested time is not on the forecast grid")
        return index


def patient_course(protocol: Protocol, policy: StepPolicy = SYMPTOM_POLICY) -> PatientCourse:
    """Simulate everything upstream of the symptoms once and lay it out along the symptom model's grid.

    The engine runs the full model at its own steps (`StepPolicy()`), observed at every grid point of the
    symptom model and at every step's midpoint, for the one patient of ``protocol`` (covariates fixed). No drug
    levels are measured, so the patient's pharmacokinetics are the typical ones for their covariates.
    """
    plan = plan_arm(protocol, 0, policy)
    points = plan.grid.times_h
    middles = 0.5 * (points[1:] + points[:-1])
    sampled = np.concatenate([points, middles])
    order = np.argsort(sampled, kind="stable")
    fine_protocol = protocol.model_copy(
        update={"observe": protocol.observe.model_copy(update={"every_h": tuple(float(t) for t in sampled[order])})}
    )
    fine = plan_arm(fine_protocol, 0, StepPolicy())
    cohort = dataclasses.replace(make_patients(protocol.population, 0, 0, 1, protocol.seed), variability=False)
    parameters = individual_parameters(fine.composition, fine.pset, cohort)
    symptom_model, drivers = symptom_part(fine.composition)
    quantities = tuple(name for name in drivers if name not in fine.composition.readouts)
    model = Model(fine.composition, {k: jnp.asarray(v) for k, v in parameters.items()}, quantities)
    values = run(linear_problem(fine, fine.pset, cohort), fine.schedule, fine.grid, model, drivers)
    table = np.stack([values[name][0] for name in drivers], axis=1)  # (sampled times, drivers)
    if table.shape[0] != len(sampled):
        raise ParameterError("the symptom grid is too fine for the engine's time resolution")
    if not np.isfinite(table).all():
        raise ParameterError("the simulated drivers of the symptom model became non-finite")
    position = np.empty(len(sampled), dtype=int)
    position[order] = np.arange(len(sampled))
    at_points, at_middles = table[position[: len(points)]], table[position[len(points) :]]
    inputs = CourseInputs(
        steps_h=jnp.asarray(plan.grid.steps_h),
        start=jnp.asarray(at_points[:-1]),
        middle=jnp.asarray(at_middles),
        end=jnp.asarray(at_points[1:]),
        signals=jnp.asarray(plan.schedule.signals),
        base={name: jnp.asarray(parameters[name]) for name in symptom_model.parameter_names()},
        covariates={name: jnp.asarray(getattr(cohort, name), dtype=float) for name in COVARIATE_FIELDS},
    )
    window = at_points[:, drivers.index("plasticity_window")]
    return PatientCourse(protocol, fine.pset, symptom_model, points, inputs, window)


def integrate(inputs: CourseInputs, params: Mapping[str, jax.Array], model: Composition) -> jax.Array:
    """The symptom stages' states of one patient at every grid point, shape ``(steps + 1, states)``."""
    names = model.state_names
    rates = jnp.stack([jnp.asarray(model.decay(ARRAYS, params)[n]) for n in names], axis=-1)
    initial = model.initial(ARRAYS, params)
    y0 = jnp.stack([jnp.asarray(initial[n]) for n in names], axis=-1)

    def drivers(values: jax.Array, signals: jax.Array) -> dict[str, jax.Array]:
        inputs = {name: values[i][None] for i, name in enumerate(model.readouts)}
        return {**inputs, **{name: signals[i] for i, name in enumerate(model.signals)}}

    def derivative(state: jax.Array, d: Mapping[str, jax.Array]) -> jax.Array:
        v = {**params, **d, **{name: state[..., i] for i, name in enumerate(names)}}
        v.update(model.evaluate(ARRAYS, v))
        values = model.rates(ARRAYS, v)
        return jnp.stack([values[n] for n in names], axis=-1)

    def step(y: jax.Array, x: tuple[jax.Array, ...]) -> tuple[jax.Array, jax.Array]:
        h, a, m, b, s = x
        y = etd_rk4_apply(etd_coefficients(rates, h), y, derivative, drivers(a, s), drivers(m, s), drivers(b, s))
        return y, y[0]

    scan: Callable = jax.lax.scan
    _, states = scan(step, y0, (inputs.steps_h, inputs.start, inputs.middle, inputs.end, inputs.signals))
    return jnp.concatenate([y0, states])


def expected_course(
    inputs: CourseInputs, pset: ParameterSet, condition: str, eta: jax.Array, model: Composition
) -> jax.Array:
    """Noise-free expected score of every scale (`SCALES` order) at every grid point, for one eta vector."""
    params = patient_parameters(inputs.base, pset, condition, inputs.covariates, unpack_etas(eta))
    states = integrate(inputs, params, model)
    values = {**params, **{name: states[:, i] for i, name in enumerate(model.state_names)}}
    scores = Scales().values(ARRAYS, values)
    return jnp.stack([scores[s] for s in SCALES], axis=-1)


# ---------------------------------------------------------------- likelihood


class Fixed:
    """What the jitted likelihood and prediction hold fixed: the parameter set (compared by identity: the
    individual parameters read its values as numbers) and the symptom stages."""

    def __init__(self, pset: ParameterSet, model: Composition) -> None:
        self.pset = pset
        self.model = model

    def __hash__(self) -> int:
        return hash((id(self.pset), self.model))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixed) and other.pset is self.pset and other.model == self.model


@partial(jax.jit, static_argnames=("static", "condition", "scale"))
def predict(inputs: CourseInputs, etas: jax.Array, static: Fixed, condition: str, scale: int) -> jax.Array:
    return jax.vmap(lambda eta: expected_course(inputs, static.pset, condition, eta, static.model)[:, scale])(etas)


@configured
def predict_course(course: PatientCourse, etas: np.ndarray, scale: str) -> np.ndarray:
    """Expected scores of ``scale`` for each eta draw at every grid point, shape ``(draws, points)``."""
    static = Fixed(course.pset, course.symptoms)
    draws = len(etas)
    padded = np.concatenate([etas, np.zeros((-draws % PREDICTION_BATCH, etas.shape[1]))])
    parts = [
        np.asarray(
            predict(
                course.inputs,
                jnp.asarray(padded[i : i + PREDICTION_BATCH]),
                static,
                course.condition,
                SCALES.index(scale),
            )
        )
        for i in range(0, len(padded), PREDICTION_BATCH)
    ]
    return np.concatenate(parts)[:draws]


def active_etas(protocol: Protocol, scales_used: Sequence[str]) -> tuple[int, ...]:
    """Positions in `ETA_NAMES` of the etas that can change the recorded or forecast scores.

    The serotonergic sensitivity acts only with escitalopram; the scale-specific baseline deviate of a scale
    that is neither recorded nor forecast changes nothing read. The others always count. Leaving the rest out
    of the sampler is exact: their posterior is their prior.
    """

    escitalopram = any(d.drug == "escitalopram" for d in arm_events(protocol, 0).doses)
    active = []
    for i, name in enumerate(ETA_NAMES):
        if name == "ssri_sensitivity" and not escitalopram:
            continue
        if (
            name.startswith("baseline_")
            and name != "baseline_common"
            and name.removeprefix("baseline_") not in scales_used
        ):
            continue
        active.append(i)
    return tuple(active)
