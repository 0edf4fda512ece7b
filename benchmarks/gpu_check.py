"""GPU check: the same engine code on the GPU and on the CPU, their agreement, and the GPU's throughput.

The protocol is the first arm of `examples/kap-clinic-course.yaml` (twice-weekly intramuscular ketamine with
integration sessions) over the example's duration, with between-patient variability. The first ``--compare``
patients are simulated on every device JAX sees (CPU always, GPU when there is one); the largest relative
difference between each device and the CPU is printed per output. Throughput (patient-steps per second) is
measured per device on ``--patients`` patients in engine batches of ``--batch`` (a GPU needs large batches).
Exits 1 if a device disagrees with the CPU by more than ``--tolerance`` (relative to each output's range).

    .venv/bin/python benchmarks/gpu_check.py [--patients 20000] [--batch 8192] [--compare 256]

Without a GPU it says so and measures the CPU alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax
import numpy as np

from ketasim.engine.grid import StepPolicy
from ketasim.protocol import Protocol, load_protocol
from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.simulation.run import simulate_range

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kap-clinic-course.yaml"


def run_on(device: jax.Device, plan: ArmPlan, protocol: Protocol, patients: int, batch: int) -> dict[str, np.ndarray]:
    """Outputs of the first ``patients`` patients, every array of the run placed on ``device``."""
    with jax.default_device(device):
        return simulate_range(protocol, plan, 0, patients, batch, protocol.seed)


def largest_difference(result: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict[str, float]:
    """Per output: largest |difference| divided by the reference's range over all patients and times."""
    differences = {}
    for name, values in reference.items():
        span = float(np.nanmax(values) - np.nanmin(values)) if np.isfinite(values).any() else 0.0
        gap = np.nanmax(np.abs(result[name] - values)) if values.size else 0.0
        differences[name] = float(gap / span) if span > 0 else float(gap)
    return differences


def main() -> int:
    """Compare every device with the CPU, then time each; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000, help="patients for the throughput measurement")
    parser.add_argument("--batch", type=int, default=8192, help="patients per engine call when timing")
    parser.add_argument("--compare", type=int, default=256, help="patients compared between devices")
    parser.add_argument("--tolerance", type=float, default=1e-6, help="largest allowed difference / range")
    args = parser.parse_args()
    protocol = load_protocol(EXAMPLE)
    plan = plan_arm(protocol, 0, StepPolicy())
    steps = len(plan.grid.steps_h)
    cpu = jax.devices("cpu")[0]
    others = [d for d in jax.devices() if d.platform != "cpu"]
    print(f"JAX {jax.__version__}; devices: {', '.join(f'{d.platform}:{d.device_kind}' for d in jax.devices())}")
    print(f"protocol: {protocol.name}, arm {protocol.arms[0].name}, {steps} engine steps per patient")
    if not others:
        print("no GPU visible to JAX: measuring the CPU only")

    reference = run_on(cpu, plan, protocol, args.compare, min(args.compare, args.batch))
    status = 0
    for device in others:
        result = run_on(device, plan, protocol, args.compare, min(args.compare, args.batch))
        worst = largest_difference(result, reference)
        name, gap = max(worst.items(), key=lambda item: item[1])
        verdict = "agrees" if gap <= args.tolerance else "DISAGREES"
        print(
            f"{device.platform} vs cpu on {args.compare} patients: {verdict}; largest difference / range "
            f"{gap:.1e} ({name})"
        )
        status = status if gap <= args.tolerance else 1

    for device in [cpu, *others]:
        batch = min(args.batch, args.patients)
        run_on(device, plan, protocol, batch, batch)  # compile
        start = time.perf_counter()
        run_on(device, plan, protocol, args.patients, batch)
        seconds = time.perf_counter() - start
        rate = args.patients * steps / seconds
        print(
            f"{device.platform}: {args.patients} patients in {seconds:.1f} s = {rate:,.0f} patient-steps/s "
            f"({seconds / args.patients * 1e3:.3f} ms per patient)"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
