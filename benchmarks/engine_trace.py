"""Where an engine step's time goes, kernel by kernel: a `jax.profiler` trace of one run of the compiled engine.

XLA runs a compiled engine program on CPU as a sequence of kernels (fused loops, matrix products, the loops'
control). This script runs one engine batch of the protocol's first arm under the profiler, sums each kernel's
measured time over the run, and groups the kernels by what they compute, read from the compiled program: the
model's derivative (the stages of ETDRK4, float32), the observation, the readouts of the modal states (batched
matrix-vector products), and the integrator's own float64 arithmetic (stage combinations, propagation,
recording). Times under the profiler are longer than without it; compare the shares, not the totals, with the
timings of `engine_profile.py`.

    .venv/bin/python benchmarks/engine_trace.py [--protocol examples/kap-clinic-course.yaml] [--patients 512]
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

import jax
from engine_profile import first_arm_batch
from sbml_vs_engine import machine

from ketasim.engine import programs
from ketasim.engine import run as engine

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%(\S+) = (.*)$")
OPCODE = re.compile(r" ([a-z][a-z0-9_-]*)\(")
ORIGIN = re.compile(r'op_name="([^"]*)"')


def kinds(hlo_text: str) -> dict[str, str]:
    """What each instruction of a compiled program computes, by its name in the trace."""
    found = {}
    for line in hlo_text.splitlines():
        match = INSTRUCTION.match(line)
        opcode = OPCODE.search(" " + match.group(2)) if match else None
        if match and opcode:
            origin = ORIGIN.search(match.group(2))
            found[match.group(1)] = kind(opcode.group(1), origin.group(1) if origin else "")
    return found


def kind(opcode: str, origin: str) -> str:
    """A kernel's group from its opcode and the traced operation it came from."""
    if "jit(_derivative)" in origin:
        return "model derivative"
    if "jit(_observe)" in origin:
        return "observation"
    if opcode == "dot":
        return "readouts of the modal states"
    if opcode in {"while", "conditional", "call"}:
        return "loop and branch control"
    return "integrator arithmetic"


def kernel_times(trace_folder: Path) -> tuple[Counter[str], Counter[str]]:
    """Each kernel's own time (µs, less that of the kernels it runs, such as a loop's body) summed over the trace,
    and its number of executions. The profiler keeps about a million events: a long run is traced in part."""
    trace = next(trace_folder.rglob("*.trace.json.gz"))
    events = json.loads(gzip.decompress(trace.read_bytes()))
    events = [e for e in (events["traceEvents"] if isinstance(events, dict) else events) if e.get("ph") == "X"]
    own: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for thread in {e["tid"] for e in events}:
        open_events: list[dict[str, Any]] = []
        for event in sorted((e for e in events if e["tid"] == thread), key=lambda e: (e["ts"], -e["dur"])):
            while open_events and open_events[-1]["ts"] + open_events[-1]["dur"] <= event["ts"]:
                open_events.pop()
            own[kernel(event)] += event["dur"]
            count[kernel(event)] += 1
            if open_events:
                own[kernel(open_events[-1])] -= event["dur"]
            open_events.append(event)
    return own, count


def kernel(event: dict[str, Any]) -> str:
    """The compiled program's name for the kernel a trace event ran (the event's own name where it has none)."""
    return str(event.get("args", {}).get("hlo_op", event["name"]))


def main() -> None:
    """Trace one engine run and print where its kernels' time goes."""
    args, protocol, plan, model, problem = first_arm_batch(__doc__.splitlines()[0])
    outputs = tuple(protocol.observe.outputs)
    captured: dict[str, Any] = {}

    def capture(function: Any, arrays: tuple[Any, ...], static: dict[str, Any]) -> Any:
        captured.update(function=function, arrays=arrays, static=static)
        return function(*arrays, **static)

    with mock.patch.object(programs, "call", capture):  # the jitted program itself: its compiled text names its kernels
        engine.run(problem, plan.schedule, plan.grid, model, outputs, plan.derivative_dtype)
    function, arrays, static = captured["function"], captured["arrays"], captured["static"]
    by_name = kinds(function.lower(*arrays, **static).compile().as_text())
    start = time.perf_counter()
    jax.block_until_ready(function(*arrays, **static))
    untraced_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        with jax.profiler.trace(folder, create_perfetto_trace=True):
            jax.block_until_ready(function(*arrays, **static))
        total, count = kernel_times(Path(folder))
    steps = len(plan.grid.steps_h)
    kernels = {name: us for name, us in total.items() if name in by_name}
    traced_steps = max(count[name] for name in kernels if name.startswith("while"))  # the stage loop: once a step
    per_group: Counter[str] = Counter()
    runs: Counter[str] = Counter()
    for name, us in kernels.items():
        per_group[by_name[name]] += us
        runs[by_name[name]] += count[name]
    traced_us = sum(kernels.values())
    print(machine())
    print(
        f"{protocol.name}, arm {protocol.arms[0].name}: {args.patients} patients, {steps} steps; "
        f"without the profiler {1e9 * untraced_s / steps / args.patients:.0f} ns per patient-step; "
        f"kernels' CPU time under the profiler {1e3 * traced_us / traced_steps / args.patients:.0f} ns per patient-step, "
        f"{sum(count[name] for name in kernels) / traced_steps:.0f} kernel runs per step "
        f"({traced_steps} of the {steps} steps traced)"
    )
    print("| group | share of kernel time | kernel runs per step |")
    print("|---|---:|---:|")
    for group, us in per_group.most_common():
        print(f"| {group} | {100 * us / traced_us:.0f} % | {runs[group] / traced_steps:.0f} |")
    print("largest kernels:")
    for name, us in Counter(kernels).most_common(12):
        print(f"  {100 * us / traced_us:5.1f} %  {count[name] / traced_steps:4.1f} per step  {name} ({by_name[name]})")


if __name__ == "__main__":
    main()
