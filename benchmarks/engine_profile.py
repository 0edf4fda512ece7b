"""Where an engine step's work goes: XLA's cost analysis of the compiled pieces, and their measured times.

For one engine batch of the protocol's first arm it compiles, separately, the model's derivative (one evaluation,
in the engine's float32), its observation, and the whole run, and prints XLA's estimate of each (floating-point
operations, transcendental functions, bytes accessed) per patient, with the primitives of the derivative's
traced program by count. Then it times the derivative alone (jitted, looped) against the whole run per
patient-step and against the linear part run alone, so the share of a step spent in the model's equations
shows.

    .venv/bin/python benchmarks/engine_profile.py [--protocol examples/kap-clinic-course.yaml] [--patients 512]

Numbers of one run are compared with each other only (the load average is printed).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
from sbml_vs_engine import machine

from ketasim.engine import run as engine
from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configure
from ketasim.models.model import Model, build_model
from ketasim.population import make_patients
from ketasim.protocol import Protocol, load_protocol
from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.simulation.run import linear_problem

ROOT = Path(__file__).resolve().parents[1]


def cost(compiled: Any) -> dict[str, float]:
    """XLA's cost analysis of a compiled program (one dict, whatever the JAX version returns)."""
    analysis = compiled.cost_analysis()
    return dict(analysis[0] if isinstance(analysis, list) else analysis)


def primitives(jaxpr: Any) -> Counter[str]:
    """How often each primitive occurs in a traced program, nested programs included."""
    counts: Counter[str] = Counter()
    for equation in jaxpr.eqns:
        counts[equation.primitive.name] += 1
        for value in equation.params.values():
            inner = getattr(value, "jaxpr", None)
            if inner is not None:
                counts += primitives(getattr(inner, "jaxpr", inner))
    return counts


def first_arm_batch(description: str) -> tuple[argparse.Namespace, Protocol, ArmPlan, Model, engine.LinearProblem]:
    """The command line (``--protocol``, ``--patients``) and one engine batch of the protocol's first arm."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--protocol", type=Path, default=ROOT / "examples" / "kap-clinic-course.yaml")
    parser.add_argument("--patients", type=int, default=512)
    args = parser.parse_args()
    configure()
    protocol = load_protocol(args.protocol)
    plan = plan_arm(protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, 0, 0, args.patients, protocol.seed)
    model = build_model(plan.composition, plan.pset, cohort)
    return args, protocol, plan, model, linear_problem(plan, plan.pset, cohort)


def main() -> None:
    """Print the cost analysis and the timings."""
    args, protocol, plan, model, problem = first_arm_batch(__doc__.splitlines()[0])
    working = engine._cast_floats(model, plan.derivative_dtype)
    state = jnp.asarray(model.initial_state(), dtype=plan.derivative_dtype)
    readouts = {name: jnp.zeros(args.patients, plan.derivative_dtype) for name in problem.readout_names}
    signals = jnp.zeros(len(plan.composition.signals), plan.derivative_dtype)
    steps = len(plan.grid.steps_h)
    print(machine())
    print(
        f"{protocol.name}, arm {protocol.arms[0].name}: {args.patients} patients, {steps} steps, "
        f"{len(plan.composition.state_names)} states"
    )

    derivative = engine._derivative.lower(working, state, readouts, signals).compile()
    observe = engine._observe.lower(
        model, model.initial_state(), {k: v.astype(float) for k, v in readouts.items()}, model.output_names
    )
    counts = primitives(
        jax.make_jaxpr(lambda m, s, r, g: m.derivative(s, r, g))(working, state, readouts, signals).jaxpr
    )
    rows = [("derivative, one evaluation", cost(derivative)), ("observation, one", cost(observe.compile()))]
    start = time.perf_counter()
    engine.run(problem, plan.schedule, plan.grid, model, tuple(protocol.observe.outputs), plan.derivative_dtype)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    engine.run(problem, plan.schedule, plan.grid, model, tuple(protocol.observe.outputs), plan.derivative_dtype)
    run_s = time.perf_counter() - start
    print(f"first run (trace and lower or read from the program store, compile or read from the cache) {first_s:.1f} s")
    print("| piece | flops per patient | transcendentals per patient | bytes accessed per patient |")
    print("|---|---:|---:|---:|")
    for name, analysis in rows:
        print(
            f"| {name} | {analysis.get('flops', 0) / args.patients:,.0f} | "
            f"{analysis.get('transcendentals', 0) / args.patients:,.0f} | "
            f"{analysis.get('bytes accessed', 0) / args.patients:,.0f} |"
        )
    print("derivative primitives:", ", ".join(f"{name} {n}" for name, n in counts.most_common(12)))
    loops = 200
    evaluate = jax.jit(
        lambda s: jax.lax.fori_loop(
            0, loops, lambda _, x: x + 1e-9 * engine._derivative(working, x, readouts, signals), s
        )
    )
    jax.block_until_ready(evaluate(state))
    start = time.perf_counter()
    jax.block_until_ready(evaluate(state))
    derivative_s = (time.perf_counter() - start) / loops
    per_step = run_s / steps
    print(f"whole run: {1e9 * per_step / args.patients:.0f} ns per patient-step ({run_s:.2f} s)")
    linear_only = engine.NoNonlinearPart(args.patients)
    engine.run(problem, plan.schedule, plan.grid, linear_only)
    start = time.perf_counter()
    engine.run(problem, plan.schedule, plan.grid, linear_only)
    linear_s = (time.perf_counter() - start) / steps
    print(
        f"linear part alone (exact propagation, three readouts, dose inputs, recording): "
        f"{1e9 * linear_s / args.patients:.0f} ns per patient-step, {100 * linear_s / per_step:.0f} % of a step"
    )
    print(
        f"derivative alone: {1e9 * derivative_s / args.patients:.0f} ns per patient-evaluation; four per step: "
        f"{100 * 4 * derivative_s / per_step:.0f} % of a step"
    )


if __name__ == "__main__":
    main()
