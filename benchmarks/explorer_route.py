"""What a route change costs in the explorer, warm: one server process, the compile cache filled by `make setup`.

In one process, as the explorer's server runs them (`ketasim.web.results.run_form`, which simulates, analyses and
builds every figure the page shows): the default form once (the server's first run), the same form again (the
baseline: nothing new to load), then the default drug by each of its other routes and back. Each line gives the
wall and CPU time of the run and its ratio to the baseline; what is left above 1 is loading the route's compiled
programs. Run `make setup` first (it fills the compile cache with the explorer's routes).

    .venv/bin/python benchmarks/explorer_route.py
"""

from __future__ import annotations

import time
from dataclasses import replace

from sbml_vs_engine import machine

from ketasim.engine.jax_setup import configure
from ketasim.parameters.catalogue import default_catalogue
from ketasim.web.form import FormValues
from ketasim.web.results import run_form


def timed(values: FormValues) -> tuple[float, float]:
    """Wall and CPU seconds of one explorer run of ``values``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run_form(values)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    """Print the table."""
    configure()
    form = FormValues()
    print(f"explorer default form ({form.patients} patients per arm, {form.duration}); {machine()}")
    first = timed(form)
    baseline = timed(form)
    print("| run | wall s | CPU s | x rerun (wall) |")
    print("|---|---:|---:|---:|")
    print(f"| first run of the server ({form.drug} {form.route}) | {first[0]:.2f} | {first[1]:.2f} | |")
    print(f"| same form again (baseline) | {baseline[0]:.2f} | {baseline[1]:.2f} | 1.00 |")
    routes = [route for route in default_catalogue().drug_routes[form.drug] if route != form.route]
    for route in (*routes, form.route):
        wall, cpu = timed(replace(form, route=route))
        print(f"| route changed to {route} | {wall:.2f} | {cpu:.2f} | {wall / baseline[0]:.2f} |")


if __name__ == "__main__":
    main()
