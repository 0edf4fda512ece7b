"""``ketasim trial --uncertainty 64`` against the same number of patient-simulations with one parameter set.

Issue 16's bar: a trial over N posterior draws costs at most 1.5 times the same number of patient-simulations run
with one parameter set. On examples/kap-clinic-course.yaml (8 weeks, daily observations, two arms) with
``--patients P`` per arm, this times, in one process after a warm-up that compiles both engine shapes:

1. draws: `run_trial` with ``uncertainty=N`` (the protocol's set for P patients, then N draws x P patients);
2. one set: `run_trial` with (N + 1) x P patients and no draws (same patient-simulations, one parameter set);

and, inside the draws run, the seconds spent building the per-set parameter arrays (`linear_problem` and
`build_model`, once per set and engine call), the part that grows with the number of sets. The ensemble is the
packaged posterior when there is one, else a synthetic one (every calibrated parameter times a log-normal factor
of SD 0.1), which costs the same.

    .venv/bin/python benchmarks/uncertainty.py [--draws 64] [--patients 32]

Absolute times depend on the machine and on what else runs on it (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sbml_vs_engine import Clock

from ketasim.parameters import get_parameter_set
from ketasim.parameters.posterior import POSTERIOR_FILE, Posterior, load_posterior
from ketasim.protocol import load_protocol
from ketasim.simulation import run as simulation_run
from ketasim.trial.run import run_trial
from ketasim.trial.uncertainty import DEFAULT_DRAWS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kap-clinic-course.yaml"


def ensemble(draws: int) -> Posterior:
    """The packaged posterior, or a synthetic one of ``draws`` draws around the calibrated values."""
    if POSTERIOR_FILE.is_file():
        return load_posterior()
    default = get_parameter_set("default")
    names = tuple(name for name, parameter in default.parameters.items() if parameter.calibrated)
    factors = np.exp(np.random.default_rng(16).normal(0.0, 0.1, size=(draws, len(names))))
    values = np.array([default[name] for name in names]) * factors
    units = tuple(default.parameter(name).unit for name in names)
    return Posterior(names, units, values, "default", f"synthetic: calibrated values x lognormal(0, 0.1), {draws}")


class BuildTimer:
    """Counts the seconds `simulate_chunk` spends building parameter arrays (problems and models): wall seconds
    summed over the engine threads, and the CPU seconds of those threads."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.sets = 0
        self.linear_problem = simulation_run.linear_problem
        self.build_model = simulation_run.build_model

    def __enter__(self) -> BuildTimer:
        simulation_run.linear_problem = self._timed(self.linear_problem, count=True)
        simulation_run.build_model = self._timed(self.build_model, count=False)
        return self

    def __exit__(self, *_: object) -> None:
        simulation_run.linear_problem = self.linear_problem
        simulation_run.build_model = self.build_model

    def _timed(self, function: Any, *, count: bool) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            result = function(*args, **kwargs)
            self.wall += time.perf_counter() - wall
            self.cpu += time.thread_time() - cpu
            self.sets += int(count)
            return result

        return timed


def wider_intervals(summary: dict[str, Any]) -> tuple[int, int]:
    """How many of the summary's intervals with both ends have ``pi95`` wider than ``ci95``, and how many there are."""
    entries = [e for arm in summary["arms"].values() for e in arm["endpoints"].values()] + summary["comparisons"]
    bounded = [e for e in entries if None not in (*e["ci95"], *e["pi95"])]
    wider = sum(1 for e in bounded if e["pi95"][1] - e["pi95"][0] > e["ci95"][1] - e["ci95"][0])
    return wider, len(bounded)


def main() -> None:
    """Time both runs and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS)
    parser.add_argument("--patients", type=int, default=32, help="patients per arm of the trial over draws")
    arguments = parser.parse_args()
    draws, patients = arguments.draws, arguments.patients
    protocol = load_protocol(EXAMPLE)
    posterior = ensemble(draws)
    print(f"{EXAMPLE.name}: {draws} draws x {patients} patients per arm; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        per_call = max(2, simulation_run.BATCH_SIZE // simulation_run.batch_size(patients))  # draws per engine call
        warm = min(draws, per_call)
        run_trial(protocol, out_dir=out / "warm-draws", patients=patients, uncertainty=warm, posterior=posterior)
        run_trial(protocol, out_dir=out / "warm-one", patients=min((draws + 1) * patients, simulation_run.BATCH_SIZE))
        clock = Clock()
        with BuildTimer() as build:
            result = run_trial(
                protocol, out_dir=out / "draws", patients=patients, uncertainty=draws, posterior=posterior
            )
        uncertain = clock.read()
        clock = Clock()
        run_trial(protocol, out_dir=out / "one", patients=(draws + 1) * patients)
        single = clock.read()
    simulations = (draws + 1) * patients * len(protocol.arms)
    print(f"patient-simulations per run: {simulations}")
    print(f"  trial --uncertainty {draws}, {patients} patients: {uncertain[0]:.1f} s wall, {uncertain[1]:.1f} s CPU")
    print(f"  one parameter set, {(draws + 1) * patients} patients: {single[0]:.1f} s wall, {single[1]:.1f} s CPU")
    print(f"  ratio (wall): {uncertain[0] / single[0]:.2f}; ratio (CPU): {uncertain[1] / single[1]:.2f}")
    wider, intervals = wider_intervals(result.summary)
    print(f"  pi95 wider than ci95: {wider} of {intervals} endpoint and comparison intervals with both ends")
    per_set = 1000 * build.cpu / max(build.sets, 1)
    print(
        f"  building parameter arrays in the draws run: {build.cpu:.1f} s CPU ({build.wall:.1f} s wall summed over "
        f"threads; {build.sets} set-batches, {per_set:.0f} ms CPU each), {100 * build.cpu / uncertain[1]:.0f} % of its CPU"
    )


if __name__ == "__main__":
    main()
