"""Fill the persistent compile cache and the program store with the programs the examples and the explorer need
(`make setup` runs it).

Simulates one patient of every example in examples/, runs the explorer's default form once with each route of its
drug, and runs `make run`'s trial (the KAP clinic example at its own size) into a temporary folder, so those
commands and a route change in the explorer later read their compiled programs from the cache
(``$KETASIM_JAX_CACHE``, default ``~/.cache/ketasim/jax``) instead of compiling them, and the engine's exported
programs from the store beside it (`ketasim.engine.programs`) instead of tracing them. Cheap to rerun: programs already
in the cache are read, not compiled again (a few seconds per example).

    .venv/bin/python scripts/warm_cache.py [--no-trial]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ketasim.engine.jax_setup import configure
from ketasim.parameters.catalogue import default_catalogue
from ketasim.protocol import load_protocol
from ketasim.simulation.run import simulate
from ketasim.trial.run import run_trial
from ketasim.web.form import FormValues
from ketasim.web.results import run_form

ROOT = Path(__file__).resolve().parents[1]
TRIAL_EXAMPLE = ROOT / "examples" / "kap-clinic-course.yaml"


def main() -> None:
    """Simulate one patient of each example, the explorer's routes, then the `make run` trial, with their times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-trial", action="store_true", help="Skip the `make run` trial.")
    args = parser.parse_args()
    configure()
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        start = time.perf_counter()
        simulate(load_protocol(path), patients=1)
        print(f"warm_cache: {path.name}, one patient: {time.perf_counter() - start:.1f} s", flush=True)
    form = FormValues()
    for route in default_catalogue().drug_routes[form.drug]:
        start = time.perf_counter()
        run_form(replace(form, route=route))
        print(f"warm_cache: explorer, {form.drug} {route}: {time.perf_counter() - start:.1f} s", flush=True)
    if not args.no_trial:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            run_trial(load_protocol(TRIAL_EXAMPLE), out_dir=Path(folder) / "trial")
        print(f"warm_cache: {TRIAL_EXAMPLE.name}, trial: {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
