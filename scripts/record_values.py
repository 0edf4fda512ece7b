"""Record the numbers every example, the example forecast and every calibration target give today.

A change of structure must not change them: `tests/verification/test_recorded_values.py` reruns the same
simulations and compares with this record (1e-6 relative). A change of the model itself re-records them
with this script, in the commit that changes the model.

    python scripts/record_values.py [--skip-targets]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "recorded-values.json"
EXAMPLE_PATIENTS = 8  # patients per arm recorded for each example (the first ones of the protocol's seed)
MAX_TIMES = 60  # observation times kept per output (evenly thinned)
TARGETS = ROOT / "data" / "calibration-targets.yaml"


def thinned(count: int) -> np.ndarray:
    """Indices of at most `MAX_TIMES` observation times, evenly spread, first and last included."""
    return np.unique(np.linspace(0, count - 1, min(count, MAX_TIMES)).round().astype(int))


def record_examples() -> dict[str, object]:
    """Every output of the first patients of each example protocol, at thinned observation times."""
    import ketasim

    examples: dict[str, object] = {}
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        protocol = ketasim.load_protocol(path)
        patients = min(EXAMPLE_PATIENTS, protocol.population.size)
        dataset = ketasim.simulate(protocol, patients=patients)
        index = thinned(dataset.sizes["time"])
        outputs: dict[str, object] = {}
        for name, variable in dataset.data_vars.items():
            values = np.asarray(variable.values, dtype=float)
            if "time" in variable.dims:
                values = values[..., index]
            outputs[str(name)] = np.where(np.isfinite(values), values, None).tolist()
        examples[path.name] = {"patients": patients, "time_index": index.tolist(), "outputs": outputs}
        print(f"recorded {path.name}", file=sys.stderr)
    return examples


def record_forecast() -> dict[str, object]:
    """The example patient's forecast (`examples/patient-history`): its JSON document."""
    import ketasim

    history = ROOT / "examples" / "patient-history"
    result = ketasim.forecast(
        ketasim.read_history(history / "p017.csv"),
        ketasim.read_facts(history / "p017.yaml", []),
        12 * 7 * 24.0,
    )
    document = result.to_json()
    document.pop("diagnostics", None)  # wall-clock seconds
    print("recorded the forecast", file=sys.stderr)
    return document


def record_targets() -> dict[str, object]:
    """The simulated value of every calibration target, each at its own population size."""
    import ketasim

    run = ketasim.validate(TARGETS)
    print(f"recorded {len(run.results)} targets", file=sys.stderr)
    return {r.target.id: r.simulated for r in run.results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-targets", action="store_true", help="keep the recorded target values as they are")
    args = parser.parse_args()
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    record["examples"] = record_examples()
    record["forecast"] = record_forecast()
    if not args.skip_targets or "targets" not in record:
        record["targets"] = record_targets()
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {RECORD}", file=sys.stderr)


if __name__ == "__main__":
    main()
