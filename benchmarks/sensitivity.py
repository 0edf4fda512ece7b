"""A Sobol sensitivity analysis of N base samples against as many patient-simulations with one parameter set.

`ketasim.inference.sensitivity.sensitivity` evaluates one endpoint at N (D + 2) points, each with P patients per
arm (the same patients at every point), along the simulation layer's parameter axis. The reference simulates the
same number of patient-simulations, N (D + 2) P per arm, with the protocol's one parameter set in one
`simulate` call, keeping the same single output, and reads the endpoint once. Both run after a warm-up (compiling
is not counted), in the same process; the ratio is analysis time over reference time.

    .venv/bin/python benchmarks/sensitivity.py [--protocol examples/single-infusion-response.yaml]
        [--endpoint response_24h] [--samples 64] [--patients 16] [--parameters 40]

``--parameters D`` takes the first D of the parameters the registry marks calibrated. Absolute times depend on the
machine and on what else runs on it (the load average is printed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sbml_vs_engine import Clock, machine

from ketasim.analysis.summary import endpoint_value
from ketasim.inference.sensitivity import endpoint_protocol, sensitivity, sensitivity_problem
from ketasim.protocol import load_protocol
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.simulation.run import simulate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Time the analysis and the reference and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", type=Path, default=ROOT / "examples" / "single-infusion-response.yaml")
    parser.add_argument("--endpoint", default="response_24h")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--patients", type=int, default=16)
    parser.add_argument("--parameters", type=int, default=40)
    args = parser.parse_args()
    protocol = load_protocol(args.protocol)
    pset = resolve_parameter_set(protocol.population, protocol.catalogue)
    names = [name for name, parameter in pset.parameters.items() if parameter.calibrated][: args.parameters]
    points = args.samples * (len(names) + 2)
    reference_patients = points * args.patients
    print(machine())
    print(
        f"{protocol.name}: {args.endpoint}, {len(names)} parameters, {args.samples} base samples = {points} points "
        f"x {args.patients} patients = {reference_patients} patient-simulations per arm"
    )
    arm = protocol.arms[0].name
    single = load_protocol(endpoint_protocol(protocol, args.endpoint, [arm]), base_dir=args.protocol.parent)

    warm_up = sensitivity_problem(args.protocol, args.endpoint, names=names, samples=2)
    sensitivity(warm_up, patients=args.patients)
    endpoint_value(single, simulate(single, patients=min(reference_patients, 2048)), arm, args.endpoint)

    clock = Clock()
    problem = sensitivity_problem(args.protocol, args.endpoint, names=names, samples=args.samples)
    result = sensitivity(problem, patients=args.patients)
    analysis_s, analysis_cpu = clock.read()
    clock = Clock()
    endpoint_value(single, simulate(single, patients=reference_patients), arm, args.endpoint)
    reference_s, reference_cpu = clock.read()

    print(f"sensitivity analysis: {analysis_s:.1f} s wall, {analysis_cpu:.1f} s CPU")
    print(f"one parameter set, {reference_patients} patients: {reference_s:.1f} s wall, {reference_cpu:.1f} s CPU")
    print(f"ratio: {analysis_s / reference_s:.2f} wall, {analysis_cpu / reference_cpu:.2f} CPU")
    for index in result.indices[:5]:
        print(f"  {index.parameter.name}: ST {index.total:.3f}, S1 {index.first:.3f}")


if __name__ == "__main__":
    main()
