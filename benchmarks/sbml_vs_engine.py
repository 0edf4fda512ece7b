"""Per-patient cost of ketasim against libroadrunner running ketasim's own SBML export, in the same process.

The protocol is the ketamine arm of `examples/kap-clinic-course.yaml` (twice-weekly intramuscular ketamine for three
weeks, an integration session the day after each dose) run for 12 weeks, observed daily, with between-patient
variability.

* libroadrunner: the arm's typical patient exported to SBML (`ketasim.export_sbml`: compartments, species and
  reactions written from the model's declarations), compiled once, then run patient by patient, each patient's
  covariates, individual parameters, compartment volumes and initial state set before the run (CVODE,
  libroadrunner's default tolerances). Only current values are set: changing an ``init(...)`` value makes
  libroadrunner regenerate the model.
* ketasim: `simulate` for the whole population (default 100,000 patients), after a warm-up run that compiles.

Prints the machine, both per-patient costs (wall clock and CPU time of this process, which is less disturbed by
other programs on a shared machine) and their ratios, and how closely the two agree on the patients both
simulated (rating scales are left out of that check: ketasim adds rater noise to them).

    .venv/bin/python benchmarks/sbml_vs_engine.py [--patients 100000] [--roadrunner-patients 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

import ketasim
from ketasim.engine.grid import StepPolicy
from ketasim.io.sbml.export import sbml_id
from ketasim.models.math import ARRAYS
from ketasim.models.model import individual_parameters
from ketasim.models.pk import COVARIATE_VALUES, pk_blocks
from ketasim.population import make_patients
from ketasim.protocol import Protocol, build_protocol, observation_times, read_mapping
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import pk_values, simulate

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kap-clinic-course.yaml"
WEEKS = 12
OUTPUTS = ["plasma_ketamine", "nmda_occupancy", "spine_density_change", "dmn_connectivity", "madrs"]
CROSS_CHECKED = OUTPUTS[:-1]


def benchmark_protocol(weeks: int = WEEKS, outputs: list[str] = OUTPUTS) -> Protocol:
    """The example's first arm with variability, run for ``weeks`` weeks, observed daily, recording ``outputs``."""
    mapping = read_mapping(EXAMPLE)
    mapping["duration"] = f"{weeks} w"
    mapping["population"] = {**mapping["population"], "variability": True}
    mapping["arms"] = mapping["arms"][:1]
    mapping["observe"] = {"every": "1 d", "outputs": outputs}
    mapping.pop("endpoints", None)
    return build_protocol(mapping)


def machine() -> str:
    """One line describing this computer and the software versions."""
    import jax
    import roadrunner

    cpu = platform.processor() or "unknown CPU"
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}{load}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, JAX {jax.__version__} ({jax.default_backend()}), "
        f"libroadrunner {roadrunner.__version__}"
    )


class Clock:
    """Wall-clock and CPU seconds (this process, all threads) since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        """(wall seconds, CPU seconds) elapsed."""
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def patient_values(protocol: Protocol, patients: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per patient: the exported model's constants (covariates, individual parameters, compartment volumes) and
    its states' initial values, by SBML id, each an array over patients."""
    plan = plan_arm(protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, 0, 0, patients, protocol.seed)
    parameters = individual_parameters(plan.composition, plan.pset, cohort)
    derived = [q.name for stage in plan.composition.stages for q in stage.derived_parameters()]
    constants = {sbml_id(name): parameters[name] for name in derived}
    constants.update({sbml_id(name): np.asarray(getattr(cohort, name), dtype=float) for name in COVARIATE_VALUES})
    for block in pk_blocks(plan.catalogue, plan.routes, pk_values(plan.pset, cohort), np.ones(patients)):
        for name, volume in block.compartments.items():
            if volume is not None:
                constants[sbml_id(f"{name}_volume")] = np.broadcast_to(volume, (patients,))
    initial = plan.composition.initial(ARRAYS, parameters)
    states = {sbml_id(name): np.broadcast_to(np.asarray(initial[name]), (patients,)) for name in initial}
    return constants, states


def roadrunner_loop(protocol: Protocol, patients: int) -> tuple[float, tuple[float, float], np.ndarray]:
    """Compile seconds, (wall, CPU) seconds for ``patients`` patients, and their outputs (patients, times, outputs)."""
    import roadrunner

    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    start = time.perf_counter()
    runner = roadrunner.RoadRunner(ketasim.export_sbml(protocol))
    compile_s = time.perf_counter() - start
    constant_values, state_values = patient_values(protocol, patients)
    plan = plan_arm(protocol, 0, StepPolicy())
    signals = [sbml_id(name) for name in plan.composition.signals]
    switched = [i for i in runner.model.getGlobalParameterIds() if i.startswith("infusion_") or i in signals]
    constants, states = list(constant_values), list(state_values)
    times = list(observation_times(protocol))
    results = []
    clock = Clock()
    for patient in range(patients):
        runner.setValues(
            constants + switched, [float(constant_values[c][patient]) for c in constants] + [0.0] * len(switched)
        )
        runner.reset()  # time 0: PK at 0, events at time 0 applied with this patient's values
        runner.setValues(states, [float(state_values[s][patient]) for s in states])
        results.append(np.asarray(runner.simulate(times=times, selections=OUTPUTS)))
    return compile_s, clock.read(), np.stack(results)


def main() -> None:
    """Run both, print the machine, the per-patient costs, the ratio and the agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000, help="patients simulated by ketasim")
    parser.add_argument("--roadrunner-patients", type=int, default=50, help="patients simulated by libroadrunner")
    args = parser.parse_args()
    protocol = benchmark_protocol()
    print(f"machine: {machine()}")
    print(f"protocol: {protocol.name}, {protocol.duration_h / 24:.0f} days, {len(observation_times(protocol))} obs")

    compile_s, (roadrunner_s, roadrunner_cpu), independent = roadrunner_loop(protocol, args.roadrunner_patients)
    print(f"libroadrunner: compile {compile_s:.1f} s; {args.roadrunner_patients} patients in {roadrunner_s:.1f} s")

    clock = Clock()
    simulate(protocol, patients=min(args.patients, 512))  # compile (or load the persistent compile cache)
    warmup_s = clock.read()[0]
    clock = Clock()
    dataset = simulate(protocol, patients=args.patients)
    engine_s, engine_cpu = clock.read()
    print(f"ketasim: warm-up {warmup_s:.1f} s; {args.patients} patients in {engine_s:.1f} s")

    rows = [
        ("libroadrunner, exported SBML, one by one", args.roadrunner_patients, roadrunner_s, roadrunner_cpu),
        ("ketasim `simulate`", args.patients, engine_s, engine_cpu),
    ]
    print("\n| | patients | wall s | CPU s | wall ms per patient | CPU ms per patient |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, n, wall, cpu in rows:
        print(f"| {label} | {n} | {wall:.1f} | {cpu:.1f} | {wall / n * 1e3:.3f} | {cpu / n * 1e3:.3f} |")
    wall_ratio = (roadrunner_s / args.roadrunner_patients) / (engine_s / args.patients)
    cpu_ratio = (roadrunner_cpu / args.roadrunner_patients) / (engine_cpu / args.patients)
    print(f"\nratio libroadrunner / ketasim per patient: {wall_ratio:,.1f}x wall clock, {cpu_ratio:,.1f}x CPU time")

    checked = min(args.roadrunner_patients, args.patients)
    print(f"\nagreement on the first {checked} patients (largest difference / output's range):")
    for column, name in enumerate(OUTPUTS):
        if name not in CROSS_CHECKED:
            continue
        engine = dataset[name].values[0, :checked]
        span = np.ptp(engine, axis=1, keepdims=True)
        worst = np.max(np.abs(independent[:checked, :, column] - engine) / np.where(span > 0, span, 1.0))
        print(f"  {name}: {worst:.1e}")


if __name__ == "__main__":
    main()
