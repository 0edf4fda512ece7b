"""Write the ablation table of docs/model.md: response 24 h after one infusion with parts of the model cut.

    .venv/bin/python scripts/ablation.py [--patients 2000]

The protocol is the calibration target ``trd-single-response-24h`` (0.5 mg/kg IV over 40 min vs saline, TRD).
Each variant sets parameters to zero through the protocol's parameter overrides, so the model itself is unchanged:

* plasticity chain cut: no synaptic protein synthesis (``synaptic_protein_gain`` = 0), so no new spines, no wider
  plasticity window and no spine-driven fall of rumination; the glutamate surge and acute NMDA blockade remain;
* expectancy off: no relief from acute or conditioned expectancy (both relief weights 0);
* both.

The table replaces the lines between the ablation markers in docs/model.md.
"""

from __future__ import annotations

import argparse
import tempfile
from copy import deepcopy
from pathlib import Path

from ketasim.protocol import load_protocol
from ketasim.trial.run import run_trial
from ketasim.validation.targets import load_targets

ROOT = Path(__file__).resolve().parents[1]
TARGET = "trd-single-response-24h"
START, END = "<!-- ablation:start -->", "<!-- ablation:end -->"
CHAIN_CUT = {"synaptic_protein_gain": "0"}
EXPECTANCY_OFF = {"relief_per_acute_expectancy": "0", "relief_per_conditioned_expectancy": "0"}
VARIANTS = {
    "full model": {},
    "plasticity chain cut": CHAIN_CUT,
    "expectancy off": EXPECTANCY_OFF,
    "both cut": {**CHAIN_CUT, **EXPECTANCY_OFF},
}


def response(protocol: dict, overrides: dict[str, str], patients: int) -> tuple[float, float]:
    """Response at 24 h of the ketamine and the saline arm with the parameter overrides."""
    chosen = deepcopy(protocol)
    chosen["population"] = {**chosen["population"], "parameters": {"set": "default", "override": overrides}}
    with tempfile.TemporaryDirectory() as out:
        summary = run_trial(load_protocol(chosen), out_dir=Path(out) / "run", patients=patients).summary
    arms = summary["arms"]
    return (
        arms["ketamine"]["endpoints"]["response_24h"]["value"],
        arms["saline"]["endpoints"]["response_24h"]["value"],
    )


def table(patients: int) -> str:
    """The markdown table of every variant."""
    target = next(t for t in load_targets(ROOT / "data" / "calibration-targets.yaml").targets if t.id == TARGET)
    rows = []
    for name, overrides in VARIANTS.items():
        ketamine, saline = response(dict(target.protocol), overrides, patients)
        rows.append(f"| {name} | {ketamine:.1%} | {saline:.1%} | {ketamine - saline:+.1%} |")
    return "\n".join(
        [
            f"Response (MADRS drop of 50 % or more) 24 h after one 0.5 mg/kg infusion in TRD, {patients} patients "
            f"per arm (protocol of the target `{TARGET}`; `scripts/ablation.py`):",
            "",
            "| model | ketamine | saline | difference |",
            "|---|---|---|---|",
            *rows,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    args = parser.parse_args()
    page = ROOT / "docs" / "model.md"
    text = page.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    page.write_text(before + START + "\n" + table(args.patients) + "\n" + END + after, encoding="utf-8")


if __name__ == "__main__":
    main()
