"""A one-patient ``ketasim simulate`` of every example, as a user runs it after ``make setup``: the whole command.

Each example runs ``--runs`` times (median and range of the wall time) with the program store on, as installed,
and, alternated with it in the same run, with the store off (``KETASIM_PROGRAM_STORE=`` empty; every process then
traces and lowers its engine programs again) as the baseline. One unmeasured run of each first fills the compile
cache and the store. Issue 17 asks for at most 3 s warm.

    .venv/bin/python benchmarks/simulate_examples.py [--runs 3] [EXAMPLE ...]

Absolute times depend on the machine and its load (printed); compare the two columns of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [str(Path(sys.executable).parent / "ketasim"), "simulate"]


def timed_run(example: Path, store: bool) -> float:
    """Wall seconds of one ``ketasim simulate EXAMPLE --patients 1`` into a new folder."""
    environment = dict(os.environ)
    if not store:
        environment["KETASIM_PROGRAM_STORE"] = ""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run(
            [*COMMAND, str(example), "--patients", "1", "--out", f"{folder}/run", "-q"],
            check=True,
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def main() -> None:
    """Time every example (or the given ones) and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="*", type=Path, help="Protocol files (default: examples/*.yaml).")
    parser.add_argument("--runs", type=int, default=3, help="Measured runs of each example and setting.")
    args = parser.parse_args()
    examples = args.examples or sorted((ROOT / "examples").glob("*.yaml"))
    print(f"load average at the start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print("| example | store on: wall s | store off: wall s | off / on |")
    print("|---|---:|---:|---:|")
    for example in examples:
        timed_run(example, store=True)  # fills the caches
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.runs):
            for store in (True, False):
                times[store].append(timed_run(example, store))
        on, off = (statistics.median(times[s]) for s in (True, False))
        cells = [f"{statistics.median(t):.2f} ({min(t):.2f}-{max(t):.2f})" for t in (times[True], times[False])]
        print(f"| {example.stem} | {cells[0]} | {cells[1]} | {off / on:.2f} |", flush=True)


if __name__ == "__main__":
    main()
