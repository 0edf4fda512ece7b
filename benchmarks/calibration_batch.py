"""One batched evaluation of 16 parameter sets against 16 single-set evaluations of the same targets, same run.

A calibration Jacobian evaluates every target for many parameter sets. This compares three ways of doing that for
a subset of data/calibration-targets.yaml (the targets whose id starts with ``--prefix``), each after a warm-up run
(compiling is not counted):

1. sequential: `run_targets` once per set (one set, one protocol at a time), as `ketasim calibrate` did before;
2. one set per call: `BatchRunner.run` with one set, once per set (protocols side by side on the engine threads);
3. batched: one `BatchRunner.run` call with all sets (the parameter axis, sets grouped into engine batches).

It checks that every set gives the same values each way, and prints wall and CPU seconds and the ratios.

    .venv/bin/python benchmarks/calibration_batch.py [--sets 16] [--patients 100] [--prefix trd-]

Absolute times depend on the machine and on what else runs on it (the load average is printed).
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from sbml_vs_engine import Clock, machine

from ketasim.validation import TargetsFile, load_targets, run_targets
from ketasim.validation.runner import BatchRunner, ValidationRun, default_backend, simulate_with_overrides

ROOT = Path(__file__).resolve().parents[1]
# dimensionless symptom parameters, so one set's values read the same in every protocol
MOVED = ("relief_per_glutamate_fraction", "relief_per_window_fraction")


def parameter_sets(count: int) -> list[dict[str, float]]:
    """``count`` sets around the default values, as a Jacobian would make them."""
    return [{MOVED[k % 2]: (0.6 if k % 2 == 0 else 0.3) * (1 + 0.02 * (k // 2 + 1))} for k in range(count)]


def one_at_a_time(targets: TargetsFile, overrides: dict[str, float], patients: int) -> ValidationRun:
    """The targets for one set with the sequential runner: one protocol, one set, one engine call at a time."""
    backend = replace(
        default_backend(),
        simulate=lambda protocol: simulate_with_overrides(
            protocol, [overrides], min(patients, protocol.population.size)
        )[0],
    )
    return run_targets(targets, backend=backend)


def same(*runs: ValidationRun) -> bool:
    """Whether the runs have the same simulated value for every target (to 1e-9 relative)."""
    values = [[math.nan if r.simulated is None else r.simulated for r in run.results] for run in runs]
    return all(np.allclose(values[0], other, rtol=1e-9, atol=1e-12, equal_nan=True) for other in values[1:])


def main() -> None:
    """Time the three ways and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=16)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--prefix", default="trd-")
    args = parser.parse_args()
    every = load_targets(ROOT / "data" / "calibration-targets.yaml")
    targets = TargetsFile(every.path, tuple(t for t in every.targets if t.id.startswith(args.prefix)))
    protocols = len({t.protocol_key() for t in targets.targets})
    sets = parameter_sets(args.sets)
    runner = BatchRunner(targets, patients=args.patients)
    print(machine())
    print(f"{len(targets.targets)} targets ({protocols} protocols), {args.sets} sets, {args.patients} patients per arm")

    one_at_a_time(targets, sets[0], args.patients)  # warm-up: compile every program each way uses
    runner.run(sets[:1])
    runner.run(sets)

    clock = Clock()
    sequential = [one_at_a_time(targets, s, args.patients) for s in sets]
    sequential_s = clock.read()
    clock = Clock()
    single = [runner.run([s])[0] for s in sets]
    single_s = clock.read()
    clock = Clock()
    batched = runner.run(sets)
    batched_s = clock.read()

    for k, run in enumerate(batched):
        if not same(run, single[k], sequential[k]):
            raise SystemExit(f"set {k} gives different values in different ways")
    for name, (wall, cpu) in (
        ("sequential run_targets, one set per call", sequential_s),
        ("BatchRunner, one set per call", single_s),
        (f"BatchRunner, {args.sets} sets in one call", batched_s),
    ):
        print(f"{name:42s} {wall:8.1f} s wall {cpu:8.1f} s CPU")
    print(f"ratio sequential / batched: {sequential_s[0] / batched_s[0]:.2f}x (wall)")
    print(f"ratio one set per call / batched: {single_s[0] / batched_s[0]:.2f}x (wall)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
