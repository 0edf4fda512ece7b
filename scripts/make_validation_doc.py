"""Write docs/validation.md from `ketasim validate` runs of the calibration and the validation targets.

    .venv/bin/ketasim validate --targets data/calibration-targets.yaml --json results/calibration.json
    .venv/bin/ketasim validate --targets data/validation-targets.yaml --json results/validation.json
    .venv/bin/python scripts/make_validation_doc.py results/calibration.json results/validation.json

Every number comes from the JSON files; results are grouped by their `role` (calibration, then validation), each
group in its own table. The reason given for each miss is kept, in plain words, in docs/validation-notes.yaml
(target id: reason), so rerunning the script keeps them. `--predictions FILE` also writes the validation targets'
simulated values as JSON (target id: value, null where the target could not run): the record of the model's
predictions kept in tests/data/validation-predictions.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from ketasim.validation import Measure, load_targets

ROOT = Path(__file__).resolve().parents[1]
ROLES = {
    "calibration": (
        "Calibration targets",
        "Published numbers the model's parameters may be fitted to (`data/calibration-targets.yaml`).",
    ),
    "validation": (
        "Validation targets",
        "Published numbers the model is never fitted to (`data/validation-targets.yaml`; `ketasim calibrate` refuses "
        "them): the model's predictions for them check it out of sample. The predictions of the model as it was "
        "before any change for issue 15 are kept in `tests/data/validation-predictions.json`.",
    ),
}


def kind(measure: Measure) -> str:
    """The kind of a target's measure, for the counts: contrast, spread (across patients) or single value."""
    if measure.control is not None:
        return "contrast"
    if measure.endpoint is not None and measure.statistic is not None:
        return "spread"
    return "single"


def measures(run: dict[str, Any]) -> dict[str, Measure]:
    """The measure of every target of the run's targets file, by id."""
    path = Path(run["targets_file"])
    loaded = load_targets(path if path.is_absolute() else ROOT / path)
    return {t.id: t.measure for t in loaded.targets}


def status(result: dict[str, Any]) -> str:
    """pass, miss, or error (could not run)."""
    if result.get("error"):
        return "error"
    return "pass" if result["passed"] else "miss"


def summary(results: list[dict[str, Any]], by_id: dict[str, Measure]) -> str:
    """How many targets pass, in all and by kind of measure."""
    passed = sum(status(r) == "pass" for r in results)
    missed = sum(status(r) == "miss" for r in results)
    errors = len(results) - passed - missed
    parts = []
    for name, label in (("contrast", "contrasts between arms"), ("spread", "statistics across patients")):
        chosen = [r for r in results if kind(by_id[r["id"]]) == name]
        if chosen:
            parts.append(f"{label} {sum(status(r) == 'pass' for r in chosen)} of {len(chosen)}")
    detail = f" ({'; '.join(parts)})" if parts else ""
    return f"**{passed} of {len(results)} pass**{detail}, {missed} miss, {errors} could not run."


def table(results: list[dict[str, Any]], by_id: dict[str, Measure]) -> list[str]:
    """One row per target: id, measure, expected, band, simulated, result."""
    lines = ["| target | measure | expected | band | simulated | result |", "|---|---|---|---|---|---|"]
    for r in results:
        simulated = "-" if r["simulated"] is None else f"{r['simulated']:.4g}"
        what = by_id[r["id"]].describe()
        band = f"{r['band'][0]:g} to {r['band'][1]:g}"
        lines.append(f"| {r['id']} | {what} | {r['expected']:g} | {band} | {simulated} | {status(r)} |")
    return lines


def misses(results: list[dict[str, Any]], notes: dict[str, str]) -> list[str]:
    """Each target that missed or could not run, what it gave and the reason recorded for it."""
    lines = []
    for r in results:
        if status(r) == "pass":
            continue
        what = (
            r.get("error")
            or f"simulated {r['simulated']:.4g}, expected {r['expected']:g} ({r['band'][0]:g} to {r['band'][1]:g})"
        )
        lines.append(f"- **{r['id']}**: {what}. {notes.get(r['id'], 'No reason recorded yet.')}")
    return lines or ["None."]


def main() -> None:
    """Read the results and the notes; write the page (and the predictions record when asked)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="JSON files written by `ketasim validate --json`")
    parser.add_argument("--predictions", type=Path, help="also write the validation targets' values here")
    args = parser.parse_args()
    runs = [json.loads(path.read_text()) for path in args.results]
    notes_file = ROOT / "docs" / "validation-notes.yaml"
    notes = yaml.safe_load(notes_file.read_text()) if notes_file.exists() else {}
    by_id: dict[str, Measure] = {}
    for run in runs:
        by_id.update(measures(run))
    results = [r for run in runs for r in run["results"]]
    files = ", ".join(f"`{Path(run['targets_file']).name}`" for run in runs)
    lines = [
        "# Validation against published numbers",
        "",
        f"`ketasim validate` on {files} (ketasim {runs[0]['ketasim']}), each target at its protocol's own "
        "population size. Written by `scripts/make_validation_doc.py` from the JSON results; reproduce with the "
        "commands at the top of that script. A contrast's values are differences, arm minus control.",
    ]
    for role, (heading, about) in ROLES.items():
        chosen = [r for r in results if r.get("role", "calibration") == role]
        if not chosen:
            continue
        lines += ["", f"## {heading}", "", about, "", summary(chosen, by_id), ""]
        lines += table(chosen, by_id)
        lines += ["", f"### {heading}: misses and why", "", *misses(chosen, notes)]
    (ROOT / "docs" / "validation.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {ROOT / 'docs' / 'validation.md'}")
    if args.predictions is not None:
        record = {r["id"]: r["simulated"] for r in results if r.get("role") == "validation"}
        args.predictions.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.predictions}")


if __name__ == "__main__":
    main()
