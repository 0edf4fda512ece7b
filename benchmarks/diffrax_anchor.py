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
import numpy as np
from sbml_vs_engine import benchmark_protocol

from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configured
from ketasim.engine.reference import diffrax_solver
from ketasim.engine.run import LinearProblem, run
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


def inputs(plan: ArmPlan, problem: LinearProblem, model: Model) -> tuple:
    """The arguments of `diffrax_solver` before the solver."""
    return problem, plan.schedule, plan.grid, model, OUTPUTS


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
    reference, seconds = timed(diffrax_solver(*inputs(*few), diffrax.Kvaerno5()), 1e-10, 1e-10)
    print(f"reference: diffrax Kvaerno5 rtol=atol=1e-10, {args.reference_patients} patients, {seconds:.1f} s")

    engine_outputs(plan, problem, model)  # compiles
    engine, engine_seconds = timed(lambda: engine_outputs(plan, problem, model))
    rows = [("ketasim (ETDRK4, default steps)", engine_seconds, errors(engine, reference))]
    for tolerance in TOLERANCES:
        solve = diffrax_solver(*inputs(plan, problem, model), diffrax.Tsit5())
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
