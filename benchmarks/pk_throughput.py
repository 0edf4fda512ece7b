"""PK-only throughput of the engine against a scipy per-patient loop, run in the same process.

Simulates twice-weekly 0.5 mg/kg racemic ketamine infusions for 28 days (daily observations) for
100,000 patients with ketasim, and the same linear systems patient by patient with scipy's LSODA for a
sample of patients; reports patients x days per second for both and their ratio.

    .venv/bin/python benchmarks/pk_throughput.py [--patients 100000] [--scipy-patients 100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.linalg import block_diag

from ketasim.engine.grid import StepPolicy, build_grid
from ketasim.engine.reference import reference_amounts
from ketasim.engine.schedule import build_schedule
from ketasim.models.pk import pk_blocks
from ketasim.population import make_patients
from ketasim.protocol import arm_events, load_protocol, observation_times
from ketasim.simulation.plan import drug_inputs, plan_arm
from ketasim.simulation.run import linear_problem, pk_values, simulate

DAYS = 28
PROTOCOL = {
    "ketasim": 1,
    "name": "PK throughput benchmark",
    "duration": f"{DAYS} d",
    "population": {"size": 1, "condition": "trd"},
    "arms": [
        {
            "name": "ketamine",
            "treatments": [
                {
                    "drug": "ketamine",
                    "route": "iv",
                    "dose": "0.5 mg/kg",
                    "infusion": "40 min",
                    "every": "3.5 d",
                    "count": 8,
                }
            ],
        }
    ],
    "observe": {"every": "1 d", "outputs": ["plasma_ketamine", "plasma_norketamine"]},
}
# the linear part is exact for any step, so a PK-only run needs grid points only at edges and observations
PK_ONLY = StepPolicy(
    fine_h=24.0, fine_window_h=0.0, medium_h=24.0, medium_window_h=0.0, coarse_h=24.0, onset_window_h=0.0
)


def scipy_loop(protocol, patients: int) -> float:
    """Seconds to simulate ``patients`` patients one by one with scipy's LSODA on the same matrices and inputs."""
    events = arm_events(protocol, 0)
    cohort = make_patients(protocol.population, 0, 0, patients, protocol.seed)
    plan = plan_arm(protocol, 0, PK_ONLY)
    kinds = plan.kinds
    problem = linear_problem(plan, plan.pset, cohort)
    blocks = pk_blocks(plan.catalogue, plan.routes, pk_values(plan.pset, cohort), np.ones(patients))
    edges = np.array([t for d in events.doses for t in (d.time_h, d.time_h + d.infusion_h)])
    grid = build_grid(protocol.duration_h, observation_times(protocol), edges, np.array([]), PK_ONLY)
    schedule = build_schedule(drug_inputs(events.doses, kinds), len(kinds), grid)
    start = time.perf_counter()
    for p in range(patients):
        matrix = block_diag(*[b.matrix(patients)[p] for b in blocks])
        reference_amounts(matrix, problem.kind_vectors[:, p], schedule, grid, method="LSODA", rtol=1e-8, atol=1e-10)
    return time.perf_counter() - start


def main() -> None:
    """Run both and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--scipy-patients", type=int, default=100)
    args = parser.parse_args()
    protocol = load_protocol(PROTOCOL)
    simulate(protocol, patients=1000, policy=PK_ONLY)  # compile once
    start = time.perf_counter()
    simulate(protocol, patients=args.patients, policy=PK_ONLY)
    engine_s = time.perf_counter() - start
    scipy_s = scipy_loop(protocol, args.scipy_patients)
    engine_rate = args.patients * DAYS / engine_s
    scipy_rate = args.scipy_patients * DAYS / scipy_s
    print(f"ketasim: {args.patients} patients x {DAYS} d in {engine_s:.2f} s = {engine_rate:,.0f} patient-days/s")
    print(f"scipy LSODA loop: {args.scipy_patients} patients in {scipy_s:.2f} s = {scipy_rate:,.0f} patient-days/s")
    print(f"ratio ketasim / scipy: {engine_rate / scipy_rate:,.0f}x")


if __name__ == "__main__":
    main()
