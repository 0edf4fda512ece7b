"""N parameter sets x P patients in one engine call against one set x N P patients, and what building the sets costs.

Times, in one process and after a warm-up (compiling is not counted), one chunk of the protocol's first arm:

- ``simulate_chunk`` of P patients with N parameter sets (the parameter axis of sensitivity and calibration);
- ``simulate_chunk`` of N P patients with the protocol's one set (the same number of patient-simulations);
- the model arrays of the N sets built one set at a time (`individual_parameters` per set) and, where the
  installed ketasim has it, all together (`set_parameters`).

    .venv/bin/python benchmarks/parameter_sets.py [--protocol examples/single-infusion-response.yaml]
        [--sets 64] [--patients 16] [--repeats 3]

The sets are the protocol's set with every calibrated parameter scaled by a factor near 1 (values of a
sensitivity design). Absolute times depend on the machine and its load (printed); compare within one run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sbml_vs_engine import machine

import ketasim.models.model as model_module
from ketasim.engine.grid import StepPolicy
from ketasim.engine.jax_setup import configure
from ketasim.models.model import individual_parameters
from ketasim.parameters.registry import ParameterSet
from ketasim.population import make_patients
from ketasim.protocol import load_protocol
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import simulate_chunk

ROOT = Path(__file__).resolve().parents[1]


def varied_sets(pset: ParameterSet, count: int, seed: int = 0) -> list[ParameterSet]:
    """``count`` copies of ``pset`` with each calibrated parameter scaled by a factor in [0.9, 1.1]."""
    rng = np.random.default_rng(seed)
    names = [name for name, parameter in pset.parameters.items() if parameter.calibrated]
    sets = []
    for _ in range(count):
        factors = rng.uniform(0.9, 1.1, len(names))
        sets.append(pset.with_overrides({name: pset[name] * f for name, f in zip(names, factors, strict=True)}))
    return sets


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The shortest wall time of ``repeats`` runs of ``work`` (after one untimed run), in seconds."""
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print the times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", type=Path, default=ROOT / "examples" / "single-infusion-response.yaml")
    parser.add_argument("--sets", type=int, default=64)
    parser.add_argument("--patients", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configure()
    protocol = load_protocol(args.protocol)
    plan = plan_arm(protocol, 0, StepPolicy())
    outputs = tuple(protocol.observe.outputs)
    sets = varied_sets(plan.pset, args.sets)
    cohort = make_patients(protocol.population, 0, 0, args.patients, protocol.seed)
    wide = make_patients(protocol.population, 0, 0, args.sets * args.patients, protocol.seed)
    print(machine())
    print(f"{protocol.name}: {args.sets} sets x {args.patients} patients, best of {args.repeats}")
    axis = best_of(args.repeats, lambda: simulate_chunk(plan, cohort, outputs, sets))
    one = best_of(args.repeats, lambda: simulate_chunk(plan, wide, outputs))
    print(f"simulate_chunk, {args.sets} sets x {args.patients} patients: {axis:.3f} s")
    print(f"simulate_chunk, one set x {args.sets * args.patients} patients: {one:.3f} s")
    print(f"ratio: {axis / one:.2f}")
    looped = best_of(args.repeats, lambda: [individual_parameters(plan.composition, s, cohort) for s in sets])
    print(f"model arrays one set at a time: {1e3 * looped / args.sets:.2f} ms per set")
    if hasattr(model_module, "set_parameters"):
        batched = best_of(args.repeats, lambda: model_module.set_parameters(plan.composition, sets, cohort))
        print(f"model arrays of all sets together: {1e3 * batched / args.sets:.2f} ms per set")
        print(f"construction ratio (one at a time / together): {looped / batched:.1f}")


if __name__ == "__main__":
    main()
