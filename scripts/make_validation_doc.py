"""Write docs/validation.md from a `ketasim validate` run of the calibration targets.

    .venv/bin/ketasim validate --targets data/calibration-targets.yaml --json results/validation.json
    .venv/bin/python scripts/make_validation_doc.py results/validation.json

Every number comes from the JSON file; the reason given for each miss is kept, in plain words, in
docs/validation-notes.yaml (target id: reason), so rerunning the script keeps them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Read the results and the notes; write the page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    run = json.loads(args.results.read_text())
    notes_file = ROOT / "docs" / "validation-notes.yaml"
    notes = yaml.safe_load(notes_file.read_text()) if notes_file.exists() else {}
    results = run["results"]
    lines = [
        "# Validation against the calibration targets",
        "",
        f"`ketasim validate` on `{Path(run['targets_file']).name}` (ketasim {run['ketasim']}): "
        f"**{run['passed']} of {len(results)} pass**, {run['failed']} miss, {run['errors']} could not run. "
        "Written by `scripts/make_validation_doc.py` from the JSON results; reproduce with the commands at the top "
        "of that script.",
        "",
        "| target | simulated | expected | band | result |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        simulated = "-" if r["simulated"] is None else f"{r['simulated']:.4g}"
        status = "pass" if r["passed"] else ("error" if r.get("error") else "miss")
        lines.append(
            f"| {r['id']} | {simulated} | {r['expected']:g} | {r['band'][0]:g} to {r['band'][1]:g} | {status} |"
        )
    misses = [r for r in results if not r["passed"]]
    lines += ["", "## Misses and why", ""]
    if not misses:
        lines.append("None.")
    for r in misses:
        what = (
            r.get("error")
            or f"simulated {r['simulated']:.4g}, expected {r['expected']:g} ({r['band'][0]:g} to {r['band'][1]:g})"
        )
        reason = notes.get(r["id"], "no reason recorded yet")
        lines.append(f"- **{r['id']}**: {what}. {reason}")
    (ROOT / "docs" / "validation.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {ROOT / 'docs' / 'validation.md'}")


if __name__ == "__main__":
    main()
