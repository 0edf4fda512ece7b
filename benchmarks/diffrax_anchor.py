"""ketasim's engine against diffrax, vmapped over patients, on the same equations: speed and accuracy, same run.

The protocol is the ketamine arm of `examples/kap-clinic-course.yaml` for 12 weeks with between-patient variability,
observed daily (`sbml_vs_engine.benchmark_protocol`). Both solvers get the same patients: the model's linear part
in modal coordinates (pharmacokinetics and effect sites), its nonlinear derivative (`Model.derivative`: cascade,
network, symptoms), the arm's doses as jumps and its therapy signals as piecewise-constant inputs. diffrax solves
each patient with its own adaptive steps (jax.vmap over patients), restarting at every dose and signal edge.

* Reference: diffrax Kvaerno5 (implicit, for stiff problems) at rtol = atol = 1e-10 on the first patients.
* Accuracy: each solver's largest difference from the reference per output, as a fraction of the output's range
  over the reference course (patients and observation times).
* Speed: wall time per patient of each solver on all patients, after a warm-up run that compiles.

    .venv/bin/python benchmarks/diffrax_anchor.py [--patients 256] [--reference-patients 8]
"""

from __future__ import annotations

import argparse
import os
import time

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
from sbml_vs_engine import benchmark_protocol

from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.engine.run import LinearProblem, Schedule, run
from ketasim.models.model import Model, build_model
from ketasim.population import make_patients
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.simulation.run import linear_problem

OUTPUTS = ("plasma_ketamine", "nmda_occupancy", "spine_density_change", "dmn_connectivity", "madrs")
TOLERANCES = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)


def prepare(patients: int) -> tuple[ArmPlan, LinearProblem, Model]:
    """The benchmark arm's plan, linear problem and nonlinear model for ``patients`` patients."""
    protocol = benchmark_protocol(outputs=list(OUTPUTS))
    plan = plan_arm(protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, plan.index, 0, patients, protocol.seed)
    pset = resolve_parameter_set(protocol.population, protocol.catalogue)
    return plan, linear_problem(plan, pset, cohort), build_model(plan.composition, pset, cohort)


def engine_outputs(plan: ArmPlan, problem: LinearProblem, model: Model) -> dict[str, np.ndarray]:
    """ketasim's engine with its default steps: (patients, observations) per output."""
    return run(problem, plan.schedule, plan.grid, model, OUTPUTS, plan.derivative_dtype)


def diffrax_solver(plan: ArmPlan, problem: LinearProblem, model: Model, solver: diffrax.AbstractSolver):
    """A jitted function of (rtol, atol) solving every patient with diffrax: (patients, observations) per output.

    The state is (modal linear states, nonlinear states); doses are jumps of the modal states at the start of each
    segment between doses, and the controller restarts at every edge of the therapy signals.
    """
    schedule: Schedule = plan.schedule
    times = plan.grid.times_h
    observed = times[plan.grid.observation_index]
    dose_steps = np.flatnonzero(schedule.boluses.any(axis=1))
    edges = np.flatnonzero(np.diff(schedule.signals, axis=0).any(axis=1)) + 1
    starts = [0, *[int(k) for k in dose_steps if k > 0], len(times) - 1]
    modal_readout = jnp.asarray(np.einsum("prs,pst->prt", problem.readout, problem.system.from_modal))
    kind_modal = jnp.asarray(np.einsum("pst,kpt->pks", problem.system.to_modal, problem.kind_vectors))
    eigenvalues = jnp.asarray(problem.system.eigenvalues)
    step_times = jnp.asarray(times[:-1])
    signals = jnp.asarray(schedule.signals)
    boluses = jnp.asarray(schedule.boluses)
    names = problem.readout_names

    def one_patient(rtol, atol, lam, readout, kinds, parameters):
        patient = Model(model.composition, parameters, model.observed)

        def readouts(z):
            values = readout @ z
            return {name: values[i] for i, name in enumerate(names)}

        def field(t, state, _args):
            z, y = state
            k = jnp.clip(jnp.searchsorted(step_times, t, side="right") - 1, 0, step_times.shape[0] - 1)
            return lam * z, patient.derivative(y, readouts(z), signals[k])

        def observe(z, y):
            linear = readouts(z)
            values = {**linear, **patient.observe(y, linear)}
            return jnp.stack([values[name] for name in OUTPUTS])

        state = (jnp.zeros_like(lam), patient.initial_state())
        pieces = []
        for first, last in zip(starts[:-1], starts[1:], strict=True):
            z, y = state
            state = (z + boluses[first] @ kinds, y)
            t0, t1 = float(times[first]), float(times[last])
            inside = observed[(observed >= t0) & ((observed < t1) | (last == len(times) - 1))]
            jumps = [float(times[e]) for e in edges if t0 < times[e] < t1]
            solution = diffrax.diffeqsolve(
                diffrax.ODETerm(field),
                solver,
                t0,
                t1,
                None,
                state,
                saveat=diffrax.SaveAt(ts=jnp.asarray(inside), t1=True),
                stepsize_controller=diffrax.ClipStepSizeController(
                    diffrax.PIDController(rtol=rtol, atol=atol), jump_ts=jumps or None
                ),
                max_steps=1_000_000,
            )
            zs, ys = solution.ys
            pieces.append(jax.vmap(observe)(zs[:-1], ys[:-1]))
            state = (zs[-1], ys[-1])
        return jnp.concatenate(pieces)

    @jax.jit
    def solve(rtol, atol):
        result = jax.vmap(one_patient, in_axes=(None, None, 0, 0, 0, 0))(
            rtol, atol, eigenvalues, modal_readout, kind_modal, model.parameters
        )
        return {name: result[:, :, i] for i, name in enumerate(OUTPUTS)}

    return solve


def timed(function, *args) -> tuple[dict[str, np.ndarray], float]:
    """Outputs of ``function(*args)`` as numpy arrays and the wall time of the call."""
    start = time.perf_counter()
    result = jax.block_until_ready(function(*args))
    return {name: np.asarray(values) for name, values in result.items()}, time.perf_counter() - start


def errors(result: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict[str, float]:
    """Largest difference from the reference per output, as a fraction of the reference's range."""
    count = next(iter(reference.values())).shape[0]
    return {
        name: float(np.max(np.abs(result[name][:count] - ref)) / max(np.ptp(ref), 1e-300))
        for name, ref in reference.items()
    }


@configured
def main() -> None:
    """Run both solvers, print accuracy and cost per patient."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=256)
    parser.add_argument("--reference-patients", type=int, default=8)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.patients} patients, 12 weeks of the KAP arm", flush=True)

    plan, problem, model = prepare(args.patients)
    few = prepare(args.reference_patients)
    reference, seconds = timed(diffrax_solver(*few, diffrax.Kvaerno5()), 1e-10, 1e-10)
    print(f"reference: diffrax Kvaerno5 rtol=atol=1e-10, {args.reference_patients} patients, {seconds:.1f} s")

    engine_outputs(plan, problem, model)  # compiles
    engine, engine_seconds = timed(lambda: engine_outputs(plan, problem, model))
    rows = [("ketasim (ETDRK4, default steps)", engine_seconds, errors(engine, reference))]
    for tolerance in TOLERANCES:
        solve = diffrax_solver(plan, problem, model, diffrax.Tsit5())
        solve(tolerance, tolerance)  # compiles
        result, seconds = timed(solve, tolerance, tolerance)
        rows.append((f"diffrax Tsit5 rtol=atol={tolerance:g}", seconds, errors(result, reference)))

    print(f"{'solver':<36} {'ms/patient':>10} {'x ketasim':>9}  " + "  ".join(f"{n[:14]:>14}" for n in OUTPUTS))
    for label, seconds, error in rows:
        per_patient = 1e3 * seconds / args.patients
        print(
            f"{label:<36} {per_patient:>10.2f} {seconds / engine_seconds:>9.1f}  "
            + "  ".join(f"{error[n]:>14.1e}" for n in OUTPUTS)
        )


if __name__ == "__main__":
    main()
