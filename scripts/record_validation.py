"""Record how many targets of each targets file the model passes today, and which it misses.

`tests/validation/test_targets.py` reruns the targets and fails when fewer pass than recorded or when a missed
target has no reason in docs/validation-notes.yaml. After the model changes (e.g. `make calibrate`), rerun

    .venv/bin/python scripts/record_validation.py

(every target of both files at its protocol's own population size; about as long as two `ketasim validate`
runs), write a plain-word reason for every new miss in docs/validation-notes.yaml, and commit both files with
the change. A target that cannot be read off the simulation (e.g. a median time to relapse not reached by the end)
counts as missed, like in `scripts/make_validation_doc.py`; its error is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ketasim.validation import Target, load_targets, run_targets

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "validation-record.json"
TARGET_FILES = ("data/calibration-targets.yaml", "data/validation-targets.yaml")


def record_file(name: str) -> dict[str, object]:
    """The file's entry of the record: its number of targets, how many passed and the ids of the others."""

    def progress(position: int, target: Target) -> None:
        print(f"{name} [{position + 1}] {target.id}", file=sys.stderr, flush=True)

    run = run_targets(load_targets(ROOT / name), on_target=progress)
    for result in run.results:
        if result.error is not None:
            print(f"{name}: {result.target.id} could not be measured: {result.error}", file=sys.stderr)
    return {
        "targets": len(run.results),
        "passed": run.passed,
        "missed": [r.target.id for r in run.results if not r.passed],
    }


def main() -> None:
    """Run every targets file and write the record."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=RECORD, help=f"where to write the record (default {RECORD})")
    args = parser.parse_args()
    record = {name: record_file(name) for name in TARGET_FILES}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
