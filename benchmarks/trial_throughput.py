"""A 2,000-patient, two-arm, 14-day trial (single infusion vs saline), timed end to end in this process.

Reports the wall time of a cold run (compiling included, unless the persistent compile cache is warm) and of
a warm run, and the engine's cost per patient-step, against the same trial simulated for one patient per arm
(the fixed cost) in the same process.

    .venv/bin/python benchmarks/trial_throughput.py [--patients 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from ketasim.protocol import load_protocol
from ketasim.trial.run import run_trial

PROTOCOL = {
    "ketasim": 1,
    "name": "single infusion vs saline, TRD (benchmark)",
    "seed": 11,
    "duration": "14 d",
    "population": {"size": 2000, "condition": "trd"},
    "arms": [
        {
            "name": "ketamine",
            "treatments": [
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
            ],
        },
        {"name": "saline", "treatments": [{"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}]},
    ],
    "observe": {"every": ["0 h", "4 h", "24 h", "3 d", "7 d", "10 d", "14 d"]},
    "endpoints": [
        {"name": "response_24h", "kind": "response", "scale": "madrs", "at": "24 h"},
        {"name": "response_d7", "kind": "response", "scale": "madrs", "at": "7 d"},
    ],
}


def timed(patients: int, workers: int) -> float:
    """Seconds for one complete trial run (files included)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        run_trial(load_protocol(PROTOCOL), out_dir=out, patients=patients, workers=workers)
    return time.perf_counter() - start


def main() -> None:
    """Run the trial cold, warm and for one patient; print the times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    cold = timed(args.patients, args.workers)
    warm = timed(args.patients, args.workers)
    fixed = timed(1, 1)
    print(f"{args.patients} patients x 2 arms x 14 d: cold {cold:.1f} s, warm {warm:.1f} s (target: under 20 s)")
    print(f"one patient per arm (fixed cost): {fixed:.1f} s; warm run / fixed cost = {warm / fixed:.1f}")


if __name__ == "__main__":
    main()
