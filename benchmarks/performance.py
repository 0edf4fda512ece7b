"""All performance measurements in one run, written to docs/performance.md with the machine described.

1. Per-patient cost of ketasim against libroadrunner running ketasim's own SBML export of the KAP example,
   12 weeks (`sbml_vs_engine.py`), both in this process.
2. Scaling with the number of patients (same protocol, 3 weeks): cost per patient relative to the smallest run.
3. Scaling with the weeks simulated (1,000 patients): cost per patient and per engine step.
4. Peak memory of complete trial runs (a one-day single-infusion trial at two sizes, and a million patients on a
   week of escitalopram or placebo pills), each in a separate process: memory should not grow with patients.

    .venv/bin/python benchmarks/performance.py [--engine-patients 10000] [--patients 1000 10000]
        [--memory-patients 10000 50000] [--million-patients 1000000] [--out docs/performance.md]

Numbers are ratios measured in the same run wherever two things are compared; absolute times depend on the
machine and on what else runs on it (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from sbml_vs_engine import Clock, benchmark_protocol, machine, roadrunner_loop
from trial_throughput import PROTOCOL as TRIAL_PROTOCOL

from ketasim.engine.grid import StepPolicy
from ketasim.protocol import Protocol
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import simulate

ROOT = Path(__file__).resolve().parents[1]
MEMORY_PROTOCOL = {
    **TRIAL_PROTOCOL,
    "name": "single infusion vs saline, one day (memory benchmark)",
    "seed": 3,
    "duration": "1 d",
    "population": {"size": 1000, "condition": "trd"},
    "observe": {"every": ["0 h", "4 h", "24 h"]},
    "endpoints": TRIAL_PROTOCOL["endpoints"][:1],
}
MILLION_PROTOCOL = {
    "ketasim": 1,
    "name": "escitalopram vs placebo pill, one week (a million patients)",
    "seed": 5,
    "duration": "7 d",
    "population": {"size": 1000, "condition": "mdd"},
    "arms": [
        {
            "name": "escitalopram",
            "treatments": [{"drug": "escitalopram", "route": "oral", "dose": "10 mg", "every": "1 d", "count": 7}],
        },
        {"name": "placebo", "treatments": [{"drug": "placebo", "route": "oral", "every": "1 d", "count": 7}]},
    ],
    "observe": {"every": ["0 h", "7 d"]},
    "endpoints": [{"name": "madrs_change_w1", "kind": "mean_change", "scale": "madrs", "at": "7 d"}],
}
MEMORY_RUN = """
import json, sys, tempfile
from ketasim.protocol import load_protocol
from ketasim.trial.run import run_trial
protocol = load_protocol(json.loads(sys.argv[1]))
with tempfile.TemporaryDirectory() as out:
    run_trial(protocol, out_dir=out, patients=int(sys.argv[2]))
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def kap_weeks(weeks: int) -> Protocol:
    """The first arm of the KAP example over ``weeks`` weeks, observed daily, with between-patient variability."""
    return benchmark_protocol(weeks, ["plasma_ketamine", "spine_density_change", "madrs"])


def seconds_for(protocol: Protocol, patients: int) -> float:
    """Wall seconds of `simulate` for ``patients`` patients, after a run of one batch that compiles."""
    simulate(protocol, patients=min(patients, 512))
    clock = Clock()
    simulate(protocol, patients=patients)
    return clock.read()[0]


def against_roadrunner(engine_patients: int, roadrunner_patients: int) -> list[str]:
    """Section 1: the per-patient costs and their ratio."""
    protocol = benchmark_protocol()
    compile_s, (rr_wall, rr_cpu), _ = roadrunner_loop(protocol, roadrunner_patients)
    simulate(protocol, patients=min(engine_patients, 512))
    clock = Clock()
    simulate(protocol, patients=engine_patients)
    wall, cpu = clock.read()
    rr_ms, engine_ms = rr_wall / roadrunner_patients * 1e3, wall / engine_patients * 1e3
    return [
        "## 1. ketasim against libroadrunner on the exported model",
        "",
        f"Protocol: {protocol.name}, first arm, 12 weeks, observed daily, with between-patient variability. "
        f"libroadrunner (CVODE, default tolerances) runs the SBML export of the typical patient (compiled once in "
        f"{compile_s:.0f} s), patient by patient with each patient's values set; ketasim runs all patients.",
        "",
        "| | patients | wall s | CPU s | ms per patient (wall) | ms per patient (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| libroadrunner | {roadrunner_patients} | {rr_wall:.1f} | {rr_cpu:.1f} | {rr_ms:.1f} | "
        f"{rr_cpu / roadrunner_patients * 1e3:.1f} |",
        f"| ketasim | {engine_patients} | {wall:.1f} | {cpu:.1f} | {engine_ms:.2f} | "
        f"{cpu / engine_patients * 1e3:.2f} |",
        "",
        f"**Ratio libroadrunner / ketasim per patient: {rr_ms / engine_ms:.0f}x (wall clock), "
        f"{(rr_cpu / roadrunner_patients) / (cpu / engine_patients):.0f}x (CPU time).**",
    ]


def patient_scaling(counts: list[int]) -> list[str]:
    """Section 2: cost per patient against the number of patients."""
    protocol = kap_weeks(3)
    rows = [(n, seconds_for(protocol, n)) for n in counts]
    base = rows[0][1] / rows[0][0]
    lines = [
        "## 2. Scaling with patients",
        "",
        "The KAP example's first arm over 3 weeks. Patients run in fixed engine batches of 512, so the cost per "
        "patient should stay flat.",
        "",
        "| patients | wall s | ms per patient | relative to the first row |",
        "|---:|---:|---:|---:|",
    ]
    lines += [f"| {n:,} | {s:.1f} | {s / n * 1e3:.2f} | {s / n / base:.2f} |" for n, s in rows]
    return lines


def week_scaling(weeks: list[int], patients: int) -> list[str]:
    """Section 3: cost per patient and per engine step against the weeks simulated."""
    lines = [
        "## 3. Scaling with weeks simulated",
        "",
        f"{patients:,} patients, the KAP example's first arm (doses in the first three weeks, then follow-up).",
        "",
        "| weeks | engine steps | wall s | ms per patient | µs per patient-step |",
        "|---:|---:|---:|---:|---:|",
    ]
    for w in weeks:
        protocol = kap_weeks(w)
        steps = len(plan_arm(protocol, 0, StepPolicy()).grid.steps_h)
        s = seconds_for(protocol, patients)
        lines.append(f"| {w} | {steps:,} | {s:.1f} | {s / patients * 1e3:.2f} | {s / patients / steps * 1e6:.2f} |")
    return lines


def trial_in_process(protocol: dict, patients_per_arm: int) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of `run_trial` in a fresh process.

    The peak is the process's own high-water mark (``VmHWM``, reset when the process starts a new program);
    ``getrusage`` would report this parent's peak for a child that has not grown beyond it.
    """
    clock = Clock()
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_RUN, json.dumps(protocol), str(patients_per_arm)],
        capture_output=True,
        text=True,
        check=True,
    )
    return clock.read()[0], int(done.stdout.split()[-1]) / 1024


def peak_memory(counts: list[int], million: int) -> list[str]:
    """Section 4: peak resident memory of complete trial runs in fresh processes."""
    lines = [
        "## 4. Peak memory of a trial",
        "",
        "`run_trial` (two arms, default chunks), each in a fresh process; peak resident set size of that process. "
        "The per-patient table, the summary and the report are all written.",
        "",
        "| protocol | patients (all arms) | wall s | peak memory MiB |",
        "|---|---:|---:|---:|",
    ]
    runs = [(MEMORY_PROTOCOL, n) for n in counts] + ([(MILLION_PROTOCOL, million // 2)] if million else [])
    for protocol, n in runs:
        print(f"  trial: {protocol['name']}, {2 * n:,} patients", flush=True)
        seconds, mib = trial_in_process(protocol, n)
        lines.append(f"| {protocol['name']} | {2 * n:,} | {seconds:.0f} | {mib:.0f} |")
    return lines


def main() -> None:
    """Run every section and write the page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine-patients", type=int, default=10_000)
    parser.add_argument("--roadrunner-patients", type=int, default=20)
    parser.add_argument("--patients", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--weeks", type=int, nargs="+", default=[3, 4, 6, 8, 12])
    parser.add_argument("--memory-patients", type=int, nargs="+", default=[10_000, 50_000], help="per arm")
    parser.add_argument("--million-patients", type=int, default=1_000_000, help="in all (0: skip)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    sections = []
    for name, section in [
        ("libroadrunner", lambda: against_roadrunner(args.engine_patients, args.roadrunner_patients)),
        ("patients", lambda: patient_scaling(args.patients)),
        ("weeks", lambda: week_scaling(args.weeks, 1000)),
        ("memory", lambda: peak_memory(args.memory_patients, args.million_patients)),
    ]:
        print(f"running: {name}", flush=True)
        sections.append("\n".join(section()))
        print(sections[-1], flush=True)
    header = [
        "# Performance",
        "",
        f"Written by `benchmarks/performance.py` (`make bench`) on {started}.",
        "",
        f"Machine: {machine()}.",
        "",
        "Reproduce with `.venv/bin/python benchmarks/performance.py` (options in its docstring); the numbers of "
        "one run are compared with each other only.",
    ]
    kept = kept_section(args.out)
    args.out.write_text("\n\n".join(["\n".join(header), *sections, *kept]) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


KEPT_MARKER = "<!-- measured by other benchmarks; benchmarks/performance.py keeps what follows -->"


def kept_section(page: Path) -> list[str]:
    """The part of ``page`` from `KEPT_MARKER` on (the start-up profile and its before/after), if any."""
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    return [text[text.index(KEPT_MARKER) :].rstrip()] if KEPT_MARKER in text else []


if __name__ == "__main__":
    main()
