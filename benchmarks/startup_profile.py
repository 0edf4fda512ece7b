"""Where a one-patient `ketasim simulate` spends its time: each stage of the command, timed in a fresh process.

Imports, protocol loading, planning, the model arrays, the engine call (with JAX's own account of tracing,
lowering to XLA, reading the persistent compile cache and compiling) and writing the two files, in the order the
command does them, each with its wall and CPU time. Run it twice: the first run of a program fills the compile
cache, the second shows the warm start a user gets after `make setup`.

    .venv/bin/python benchmarks/startup_profile.py [examples/single-infusion.yaml]

Absolute times depend on the machine and its load (printed); compare stages within one run.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

STARTED = (time.perf_counter(), time.process_time())
ROOT = Path(__file__).resolve().parents[1]


class Stages:
    """Wall and CPU time of consecutive stages."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self._last = STARTED

    def done(self, name: str) -> None:
        """Close the stage ``name`` (it began where the previous one ended)."""
        now = (time.perf_counter(), time.process_time())
        self.rows.append((name, now[0] - self._last[0], now[1] - self._last[1]))
        self._last = now


def main() -> None:
    """Run the stages and print the table."""
    stages = Stages()
    import jax

    stages.done("import jax")
    durations: Counter[str] = Counter()
    events: Counter[str] = Counter()
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, seconds, **_: durations.update({event.rsplit("/", 1)[-1]: seconds})
    )
    jax.monitoring.register_event_listener(lambda event, **_: events.update([event.rsplit("/", 1)[-1]]))
    import tempfile

    import ketasim.models.model as model_module
    from ketasim.engine.grid import StepPolicy
    from ketasim.engine.jax_setup import configure
    from ketasim.population import make_patients
    from ketasim.protocol import load_protocol
    from ketasim.simulation.plan import plan_arm
    from ketasim.simulation.run import simulate

    stages.done("import ketasim's protocol, model and simulation layers (numpy, scipy, pint, pydantic, xarray)")
    from ketasim.io.netcdf import write_timecourses
    from ketasim.report.timecourse_plot import write_timecourse_plot

    stages.done("import the writers (netCDF, plotly)")
    configure()
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "examples" / "single-infusion.yaml"
    protocol = load_protocol(path)
    stages.done("load the protocol (units, schema, parameter set)")
    plan = plan_arm(protocol, 0, StepPolicy())
    cohort = make_patients(protocol.population, 0, 0, 1, protocol.seed)
    stages.done("plan the arm and draw the patient")
    model_module.build_model(plan.composition, plan.pset, cohort)
    stages.done("model arrays, first time in the process (small XLA programs)")
    before = dict(durations)
    dataset = simulate(protocol, patients=1)
    stages.done("simulate (engine programs: trace, lower, cache or compile, run; monitoring; labels)")
    folder = Path(tempfile.mkdtemp())
    write_timecourses(dataset, folder / "timecourses.nc")
    stages.done("write timecourses.nc")
    write_timecourse_plot(dataset, folder / "plot.html", title=protocol.name)
    stages.done("write plot.html")
    print(f"{protocol.name}; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print("| stage | wall ms | CPU ms |")
    print("|---|---:|---:|")
    for name, wall, cpu in stages.rows:
        print(f"| {name} | {1e3 * wall:.0f} | {1e3 * cpu:.0f} |")
    total_wall = sum(row[1] for row in stages.rows)
    total_cpu = sum(row[2] for row in stages.rows)
    print(f"| total (after the interpreter started) | {1e3 * total_wall:.0f} | {1e3 * total_cpu:.0f} |")
    inside = {name: seconds - before.get(name, 0.0) for name, seconds in durations.items()}
    print(
        "JAX, whole process: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sorted(durations.items()))
        + "; within simulate: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sorted(inside.items()))
    )
    print("JAX events: " + ", ".join(f"{name} {count}" for name, count in sorted(events.items())))


if __name__ == "__main__":
    main()
