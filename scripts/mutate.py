"""Mutation score of the model, engine and population code from a seeded random sample of mutmut's mutants.

Every mutant of the three folders takes days on 2 cores (each recompiles the model), so ``make mutate`` draws a
simple random sample of them (``--sample``; 0 runs them all), lets mutmut run exactly those, and reports the
fraction killed with its Wilson 95 % interval, per folder and in all, and lists the survivors. Run from the
repository root; results stay in ``mutants/`` and the summary in ``results/mutation-sample.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

from mutmut.__main__ import create_mutants, set_mutant_under_test
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths
from scipy.stats import binomtest

FOLDERS = tuple(  # the package folders mutmut mutates: `only_mutate` of [tool.mutmut] in pyproject.toml
    Path(pattern).parent.name
    for pattern in tomllib.loads(Path("pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]
)
MUTANTS = Path("mutants/src/ketasim")
SUMMARY = Path("results/mutation-sample.json")
KILLED = ("killed", "timeout", "caught by type check")  # mutmut counts a timeout as killed


def mutant_names() -> list[str]:
    """Generate every mutant (mutmut skips unchanged files) and return the names of those in `FOLDERS`."""
    set_mutant_under_test("mutant_generation")
    os.makedirs("mutants", exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):  # mutmut prints every file it copies
        copy_src_dir()
        copy_also_copy_files()
        setup_source_paths()
        create_mutants(os.cpu_count() or 1)
    return [
        name
        for folder in FOLDERS
        for name in sorted(
            key
            for meta in (MUTANTS / folder).glob("*.py.meta")
            for key in json.loads(meta.read_text())["exit_code_by_key"]
        )
    ]


def statuses(names: list[str]) -> dict[str, str]:
    """mutmut's verdict for each named mutant, read from its result files."""
    codes: dict[str, int | None] = {}
    for meta in MUTANTS.glob("*/*.py.meta"):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return {name: status_by_exit_code[codes.get(name)] for name in names}


def score(verdicts: list[str]) -> dict[str, object]:
    """Killed fraction with its Wilson 95 % interval."""
    killed = sum(verdict in KILLED for verdict in verdicts)
    interval = binomtest(killed, len(verdicts)).proportion_ci(method="wilson") if verdicts else None
    return {
        "mutants": len(verdicts),
        "killed": killed,
        "score": killed / len(verdicts) if verdicts else None,
        "wilson95": [interval.low, interval.high] if interval else None,
        "verdicts": dict(Counter(verdicts)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=50, help="mutants to draw at random (0: every mutant)")
    parser.add_argument("--seed", type=int, default=20261207, help="seed of the draw")
    parser.add_argument("--report-only", action="store_true", help="report the last run's sample without running")
    options = parser.parse_args()
    if options.sample < 0:
        parser.error("--sample: must be 0 (every mutant) or a positive count")

    population = mutant_names()
    chosen = sorted(
        random.Random(options.seed).sample(population, options.sample)
        if 0 < options.sample < len(population)
        else population
    )
    print(f"{len(chosen)} of {len(population)} mutants drawn (seed {options.seed})", flush=True)
    if not options.report_only:
        run = subprocess.run([sys.executable, "-m", "mutmut", "run", *chosen], check=False)
        if run.returncode != 0:
            print(f"error: mutmut stopped with exit status {run.returncode}; no score", file=sys.stderr)
            return run.returncode

    verdict = statuses(chosen)
    summary = {
        "seed": options.seed,
        "drawn": len(chosen),
        "of": len(population),
        "all": score(list(verdict.values())),
        "by_folder": {
            folder: score([verdict[n] for n in chosen if n.startswith(f"ketasim.{folder}.")]) for folder in FOLDERS
        },
        "not_killed": {n: v for n, v in verdict.items() if v not in KILLED},
    }
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=2))
    total = summary["all"]
    print(
        f"mutation score: {total['killed']} of {total['mutants']} killed ({total['score']:.0%}), "
        f"Wilson 95 % {total['wilson95'][0]:.0%}-{total['wilson95'][1]:.0%}; not killed:"
    )
    for name, status in summary["not_killed"].items():
        print(f"  {name}: {status}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
