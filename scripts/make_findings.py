"""Write docs/findings.md: the claims the project makes about ketamine, each computed by running the protocol whose
contrast supports it, and labelled by the out-of-sample evidence behind it.

    .venv/bin/python scripts/make_findings.py [--patients 400]

Nothing in the page is typed in by hand: every model number comes from the runs below, and the page names the
protocol file that reproduces it. A claim is labelled ``validated`` when every validation target that tests it
(data/validation-targets.yaml) is in its band in the recorded validation run (tests/data/validation-record.json),
and ``hypothesis`` when a target that tests it misses or no published trial tests it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import bootstrap, spearmanr

from ketasim.analysis.summary import analyse
from ketasim.protocol import load_protocol
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.simulation.run import simulate
from ketasim.trial.run import run_trial
from ketasim.validation.targets import load_targets

ROOT = Path(__file__).resolve().parents[1]
VALIDATION_TARGETS = ROOT / "data" / "validation-targets.yaml"
VALIDATION_RECORD = ROOT / "tests" / "data" / "validation-record.json"
#: The judgement-call exponents by which the plasticity window gates learning and consolidation in therapy.
WINDOW_GATING = {"learning_window_exponent": 0.0, "consolidation_window_exponent": 0.0}


def evidence(checks: tuple[str, ...], none_because: str = "") -> str:
    """The claim's label and the validation targets behind it, read from the recorded validation run."""
    titles = {t.id: t.title for t in load_targets(VALIDATION_TARGETS).targets}
    unknown = [c for c in checks if c not in titles]
    if unknown:
        raise SystemExit(f"make_findings: {', '.join(unknown)} not in {VALIDATION_TARGETS.name}")
    missed = set(json.loads(VALIDATION_RECORD.read_text())[f"data/{VALIDATION_TARGETS.name}"]["missed"])
    if not checks:
        return f"**Evidence: hypothesis.** {none_because}"
    lines = [f"- `{c}` ({titles[c]}): {'missed' if c in missed else 'in band'}" for c in checks]
    label = "hypothesis" if missed & set(checks) else "validated"
    return "\n".join([f"**Evidence: {label}.** Validation targets (out of sample) that test it:", "", *lines])


def trial_summary(path: str, patients: int) -> dict:
    """summary.json of a trial of the protocol file."""
    with tempfile.TemporaryDirectory() as out:
        return run_trial(load_protocol(ROOT / path), out_dir=out, patients=patients).summary


def shown(number: float | None, kind: str, difference: bool = False, unit: bool = True) -> str:
    """A number as the page shows it: percent (points for differences) for rates, one decimal otherwise."""
    if number is None:
        return "not reached"
    if kind in ("response", "remission"):
        if difference:
            return f"{100 * number:+.0f}" + (" points" if unit else "")
        return f"{number:.0%}"
    return f"{number:+.1f}" if difference else f"{number:.1f}"


def with_interval(number: float | None, interval: list, kind: str, difference: bool = False) -> str:
    """A number and its 95 % interval."""
    low, high = interval
    if number is None or low is None or high is None:
        return shown(number, kind, difference)
    bounds = (shown(x, kind, difference, unit=False) for x in (low, high))
    return f"{shown(number, kind, difference)} (95 % CI {' to '.join(bounds)})"


def onset_section(patients: int) -> str:
    path = "examples/ketamine-vs-escitalopram.yaml"
    s = trial_summary(path, patients)
    names = ("response_24h", "response_w2", "response_w6")
    compared = {c["endpoint"]: c for c in s["comparisons"] if c["arms"] == ["ketamine", "escitalopram"]}
    rows = []
    for name in names:
        cells = []
        for arm in ("ketamine", "escitalopram"):
            entry = s["arms"][arm]["endpoints"][name]
            cells.append(with_interval(entry["value"], entry["ci95"], entry["kind"]))
        c = compared[name]
        cells.append(with_interval(c["difference"], c["ci95"], "response", difference=True))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    week6 = s["arms"]["ketamine"]["endpoints"]["response_w6"]["value"]
    return "\n".join(
        [
            "## Ketamine works within hours; escitalopram takes weeks",
            "",
            f"`ketasim trial {path}` (major depression; MADRS response = 50 % drop; open-label active comparison, "
            "so the contrast includes expectancy):",
            "",
            "| endpoint | ketamine 0.5 mg/kg IV twice weekly | escitalopram 10 mg daily | ketamine minus escitalopram |",
            "|---|---|---|---|",
            *rows,
            "",
            f"The {week6:.0%} response at week 6 is for twelve infusions in major depression that is not "
            "treatment-resistant, a design no published trial has run. Published courses in treatment-resistant "
            "depression report less: 55.4 % self-rated response after six infusions over three weeks (ELEKT-D, "
            "Anand 2023) and 69 % MADRS response at day 15 with twice-weekly infusions (Singh 2016). Read the "
            "week-6 figure as the model's extrapolation, not as an expected clinical rate.",
            "",
            evidence(
                (
                    "val-canuso2018-contrast-4h",
                    "val-aspire1-contrast-24h",
                    "val-singh2016-thrice-weekly-contrast-d15",
                    "val-elektd-ketamine-response",
                )
            ),
        ]
    )


def interaction(values: dict, endpoint: str, seed: int) -> tuple[float, tuple[float, float]]:
    """The 2x2 interaction of an endpoint's mean, (ketamine + EMDR - EMDR) - (ketamine - neither), with a
    percentile bootstrap interval over patients (arms resampled independently)."""
    samples = tuple(
        values[arm][endpoint].counted() for arm in ("ketamine_emdr", "emdr_alone", "ketamine_alone", "neither")
    )

    def contrast(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, axis: int = -1) -> np.ndarray:
        return (a.mean(axis) - b.mean(axis)) - (c.mean(axis) - d.mean(axis))

    result = bootstrap(
        samples, contrast, n_resamples=2000, method="percentile", random_state=np.random.default_rng(seed)
    )
    return float(contrast(*samples)), (float(result.confidence_interval.low), float(result.confidence_interval.high))


def emdr_section(patients: int) -> str:
    path = "examples/ptsd-emdr-2x2.yaml"
    protocol = load_protocol(ROOT / path)
    full = resolve_parameter_set(protocol.population, protocol.catalogue)
    ungated = replace(
        full.with_overrides(WINDOW_GATING, source="findings: window gating off"), name="window-gating-off"
    )
    data = simulate(protocol, patients=patients, parameter_sets=[full, ungated])
    runs = {name: analyse(protocol, data.sel(parameter_set=name)) for name in (full.name, ungated.name)}
    arms = runs[full.name].arms
    header = "| endpoint | " + " | ".join(arms) + " | interaction | interaction, window gating off |"
    rows = []
    for e in protocol.endpoints:
        kind = e.kind
        cells = [shown(float(np.mean(runs[full.name].values[arm][e.name].counted())), kind) for arm in arms]
        for name in (full.name, ungated.name):
            value, interval = interaction(runs[name].values, e.name, protocol.seed)
            cells.append(with_interval(value, list(interval), kind, difference=True))
        rows.append(f"| {e.name} | " + " | ".join(cells) + " |")
    value, (low, high) = interaction(runs[full.name].values, "caps_change_w12", protocol.seed)
    verdict = (
        "more than additive (a synergy)"
        if high < 0
        else "less than additive"
        if low > 0
        else f"additive: no interaction is detectable at {patients} patients per arm"
    )
    return "\n".join(
        [
            "## Ketamine and an EMDR intensive: does the window make them more than additive?",
            "",
            f"`ketasim trial {path}` (PTSD after childhood emotional neglect; ketamine 0.5 mg/kg or placebo infusions "
            "on three mornings, crossed with a three-day EMDR intensive starting 2 h after each infusion, or none; "
            f"{patients} patients per arm). The synergy is the interaction: (ketamine + EMDR minus EMDR alone) minus "
            "(ketamine alone minus neither); for CAPS-5 change a negative interaction means more improvement than "
            "the two effects added. The last column sets the exponents by which the window gates learning and "
            "consolidation in therapy (judgement calls, `learning_window_exponent`, `consolidation_window_exponent`) "
            "to 0.",
            "",
            f"At week 12 the combination is {verdict} (CAPS-5 change interaction {value:+.1f}, 95 % CI "
            f"{low:+.1f} to {high:+.1f}); the last column shows how much of that rests on the window gating.",
            "",
            header,
            "|" + "---|" * (len(arms) + 3),
            *rows,
            "",
            evidence(
                (),
                "No published trial crosses ketamine with EMDR, and the interaction rests on the window-gating "
                "exponents, which are judgement calls.",
            ),
        ]
    )


def dmn_section(patients: int) -> str:
    protocol = load_protocol(ROOT / "examples/single-infusion.yaml")
    mapping = dict(protocol.source)
    mapping["population"] = {**mapping["population"], "size": patients, "variability": True}
    mapping["duration"] = "10 d"  # the example runs for 2 days
    mapping["observe"] = {"every": ["0 h", "24 h", "3 d", "7 d", "10 d"]}
    data = simulate(load_protocol(mapping)).sel(arm="ketamine")
    madrs = data["madrs"].values
    dmn = data["dmn_connectivity"].values
    rumination = data["rumination"].values

    def rho(k: int) -> float:
        """Spearman rho across patients between the change in rumination and the change in MADRS by time k."""
        return float(spearmanr(rumination[:, k] - rumination[:, 0], madrs[:, k] - madrs[:, 0]).statistic)

    at_24h = rho(1)
    lines = [
        "## DMN connectivity and rumination fall as mood improves",
        "",
        "`examples/single-infusion.yaml` with variability on "
        f"({patients} patients): median PCC-mPFC connectivity (Fisher z), rumination index (0 = healthy, "
        "1 = untreated typical TRD) and MADRS over time, and the rank correlation across patients between the "
        "change in rumination and the change in MADRS (positive: patients whose rumination fell more improved "
        "more; connectivity ranks the patients the same way, as both follow the same network controls).",
        "",
        "| time | median PCC-mPFC z | median rumination | median MADRS | Spearman rho |",
        "|---|---|---|---|---|",
    ]
    for k, t in enumerate(data["time"].values):
        lines.append(
            f"| {t:g} h | {np.median(dmn[:, k]):.3f} | {np.median(rumination[:, k]):.2f} | "
            f"{np.median(madrs[:, k]):.1f} | {'' if k == 0 else f'{rho(k):.2f}'} |"
        )
    relation = (
        "goes with a larger improvement"
        if at_24h >= 0.1
        else "goes with a smaller improvement"
        if at_24h <= -0.1
        else "is unrelated to the improvement"
    )
    medians = [np.median(x, axis=0) for x in (dmn, rumination, madrs)]
    together = all(m[1] < m[0] and m[1] < m[-1] for m in medians)
    course = (
        "connectivity and rumination fall by 24 h while MADRS falls, and return as MADRS returns"
        if together
        else "the medians do not all fall at 24 h and recover by the end"
    )
    lines += [
        "",
        f"Over time: {course}. Between patients, a larger fall in rumination at 24 h {relation} "
        f"(rho {at_24h:.2f}): the model ties the network to mood on average, not patient by patient.",
        "",
        evidence(
            (),
            "No validation target measures the network; the link from synapses to the network is the "
            "model's hypothesis (docs/network.md).",
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the protocols and write the page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=400)
    args = parser.parse_args()
    page = "\n\n".join(
        [
            "# Findings: what the model says, computed",
            "Written by `scripts/make_findings.py`; every number below is an output of the model, produced by the "
            "protocol files named. Each claim is computed from the contrast that supports it (a 2x2 design for a "
            "synergy) and labelled `validated` when every published trial that tests it, kept out of the fit "
            "(data/validation-targets.yaml), is matched in the recorded validation run, or `hypothesis` when one is "
            "missed or none exists. Model predictions for research and education, not medical advice.",
            onset_section(args.patients),
            emdr_section(args.patients),
            dmn_section(args.patients),
        ]
    )
    (ROOT / "docs" / "findings.md").write_text(page + "\n")
    print(f"wrote {ROOT / 'docs' / 'findings.md'}")


if __name__ == "__main__":
    main()
