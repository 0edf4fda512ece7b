"""Figures and tables of the posterior ensemble for docs/calibration.md ("Posterior ensemble"), from the committed
ensemble (src/ketasim/parameters/posterior.yaml, written by ``make posterior``) and its surrogate
(docs/posterior/surrogate.json, written by ``make posterior-surrogate``).

Writes docs/posterior/{marginals,pairs,profiles,check}.png and prints the section's tables (markdown) on stdout.
Every draw and curve is shown as log(value / calibrated value), the coordinate the surrogate is linear in.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import yaml

from ketasim.inference.surrogate import Combination, LinearSurrogate

ROOT = Path(__file__).resolve().parents[1]
ENSEMBLE = ROOT / "src" / "ketasim" / "parameters" / "posterior.yaml"
SURROGATE = ROOT / "docs" / "posterior" / "surrogate.json"
OUT = ROOT / "docs" / "posterior"
PAIRED = 3  # parameters with the largest loadings shown for a combination
LISTED = 5  # combinations listed at each end


def load() -> tuple[dict[str, Any], LinearSurrogate, np.ndarray]:
    """The ensemble file, the surrogate, and the draws as log(value / calibrated value)."""
    document = yaml.safe_load(ENSEMBLE.read_text(encoding="utf-8"))
    surrogate = LinearSurrogate.from_json(json.loads(SURROGATE.read_text(encoding="utf-8")))
    names = [p["name"] for p in document["parameters"]]
    if names != list(surrogate.names):
        raise SystemExit(
            "the ensemble and the surrogate name different parameters: run `make posterior-surrogate posterior`"
        )
    draws = np.array([[p.to_search(v) for p, v in zip(surrogate.free, row, strict=True)] for row in document["draws"]])
    return document, surrogate, draws - surrogate.x0


def grid(count: int, columns: int = 5) -> tuple[Any, np.ndarray]:
    """A figure of ``count`` small panels."""
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 2.0 * rows), squeeze=False)
    for ax in axes.ravel()[count:]:
        ax.set_visible(False)
    return figure, axes.ravel()


def marginals(surrogate: LinearSurrogate, draws: np.ndarray) -> None:
    """Histogram of each parameter's draws, with its prior and the closed-form posterior."""
    mean, covariance = surrogate.gaussian_posterior()
    figure, axes = grid(len(surrogate.names))
    for i, (ax, name) in enumerate(zip(axes, surrogate.names, strict=False)):
        centre, sd = surrogate.prior_mean[i] - surrogate.x0[i], surrogate.prior_sd[i]
        x = np.linspace(centre - 3 * sd, centre + 3 * sd, 200)
        ax.hist(draws[:, i], bins=24, density=True, color="#7aa6d6", label="NUTS draws")
        ax.plot(x, np.exp(-0.5 * ((x - centre) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)), "k--", lw=1, label="prior")
        post_sd = math.sqrt(covariance[i, i])
        post_mean = mean[i] - surrogate.x0[i]
        ax.plot(
            x,
            np.exp(-0.5 * ((x - post_mean) / post_sd) ** 2) / (post_sd * math.sqrt(2 * math.pi)),
            "r-",
            lw=1,
            label="closed form",
        )
        ax.set_title(name, fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0].legend(fontsize=6)
    figure.suptitle("Posterior marginals: log(value / calibrated value)")
    figure.tight_layout()
    figure.savefig(OUT / "marginals.png", dpi=72)
    plt.close(figure)


def leading(combination: Combination) -> list[int]:
    """The parameters with the largest loadings in a combination, largest first."""
    return [int(k) for k in np.argsort(-np.abs(combination.loadings))[:PAIRED]]


def pairs(surrogate: LinearSurrogate, draws: np.ndarray, found: list[Combination]) -> None:
    """Top row: the draws along the two best- and the two worst-identified combinations, in prior sd (the prior's
    95 % circle dotted). Below: pairs of the leading parameters of the best and of the worst combination."""
    figure, axes = plt.subplots(3, PAIRED, figsize=(4.0 * PAIRED, 12.0))
    scaled = (draws + surrogate.x0 - surrogate.prior_mean) / surrogate.prior_sd
    circle = np.linspace(0, 2 * math.pi, 200)
    for column, (first, second, label) in enumerate(((0, 1, "best"), (-2, -1, "worst"))):
        ax = axes[0, column]
        ax.scatter(scaled @ found[first].loadings, scaled @ found[second].loadings, s=4, alpha=0.6)
        ax.plot(1.96 * np.cos(circle), 1.96 * np.sin(circle), "k:", lw=1)
        ax.set_aspect("equal")
        ax.set_xlabel(f"combination {first % len(found) + 1} (s = {found[first].singular_value:.3g})", fontsize=7)
        ax.set_ylabel(f"combination {second % len(found) + 1} (s = {found[second].singular_value:.3g})", fontsize=7)
        ax.set_title(f"the two {label}-identified combinations, prior sd", fontsize=8)
        ax.tick_params(labelsize=6)
    axes[0, 2].set_visible(False)
    for row, (combination, label) in enumerate(((found[0], "best identified"), (found[-1], "worst identified")), 1):
        chosen = leading(combination)
        for column, (a, b) in enumerate([(chosen[0], chosen[1]), (chosen[0], chosen[2]), (chosen[1], chosen[2])]):
            ax = axes[row, column]
            ax.scatter(draws[:, a], draws[:, b], s=4, alpha=0.6)
            ax.set_xlabel(surrogate.names[a], fontsize=7)
            ax.set_ylabel(surrogate.names[b], fontsize=7)
            ax.tick_params(labelsize=6)
        axes[row, 0].set_title(
            f"{label}: s = {combination.singular_value:.3g}, posterior/prior sd {combination.shrinkage:.2f}",
            fontsize=8,
            loc="left",
        )
    figure.suptitle("Posterior draws: combinations (top), leading parameters as log(value / calibrated value)")
    figure.tight_layout()
    figure.savefig(OUT / "pairs.png", dpi=80)
    plt.close(figure)


def profiles(surrogate: LinearSurrogate) -> None:
    """The surrogate's profile of the objective over each parameter (exact: a parabola), ± 2 prior sd."""
    figure, axes = grid(len(surrogate.names))
    floor = float(surrogate.objective(surrogate.x0))  # the objective at the calibrated values, every profile's least
    for i, (ax, name) in enumerate(zip(axes, surrogate.names, strict=False)):
        steps = np.linspace(-2 * surrogate.prior_sd[i], 2 * surrogate.prior_sd[i], 101)
        values = surrogate.profile(i, surrogate.x0[i] + steps)
        ax.plot(steps, values - floor, "b-", lw=1)
        ax.axhline(1.0, color="k", ls=":", lw=1)
        ax.set_title(name, fontsize=7)
        ax.tick_params(labelsize=6)
    figure.suptitle("Profile of the objective (surrogate, no prior) over log(value / calibrated value); dotted: +1")
    figure.tight_layout()
    figure.savefig(OUT / "profiles.png", dpi=72)
    plt.close(figure)


def check_figure(check: dict[str, Any]) -> None:
    """Objective predicted by the surrogate against the objective simulated, at the checked draws."""
    predicted, real = np.array(check["predicted_objective"]), np.array(check["real_objective"])
    figure, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(predicted, real)
    edge = [min(predicted.min(), real.min()) * 0.95, max(predicted.max(), real.max()) * 1.05]
    ax.plot(edge, edge, "k:", lw=1)
    ax.set_xlabel("objective predicted by the surrogate")
    ax.set_ylabel("objective simulated")
    ax.set_title(f"{len(real)} posterior draws simulated", fontsize=9)
    figure.tight_layout()
    figure.savefig(OUT / "check.png", dpi=90)
    plt.close(figure)


def describe(surrogate: LinearSurrogate, combination: Combination) -> str:
    """A combination's leading loadings, as text."""
    return ", ".join(
        f"{combination.loadings[k]:+.2f} {surrogate.names[k]}"
        for k in np.argsort(-np.abs(combination.loadings))[:PAIRED]
    )


def tables(document: dict[str, Any], surrogate: LinearSurrogate, draws: np.ndarray, found: list[Combination]) -> None:
    """The section's tables on stdout."""
    ess, r_hat = document["diagnostics"]["ess"], document["diagnostics"]["r_hat"]
    mean, covariance = surrogate.gaussian_posterior()
    sd = np.sqrt(np.diag(covariance))
    values = np.array(list(ess.values()))
    print(f"ESS min {values.min():.0f}, median {np.median(values):.0f}; r-hat max {max(r_hat.values()):.3f}")
    drift = np.abs(draws.mean(axis=0) - (mean - surrogate.x0)) / sd
    spread = draws.std(axis=0, ddof=1) / sd
    print(f"draws vs closed form: |mean diff|/sd max {drift.max():.2f}; sd ratio {spread.min():.2f}-{spread.max():.2f}")
    shift, pull = np.abs(draws.mean(axis=0)), np.abs(surrogate.prior_mean - surrogate.x0)
    print(
        f"mean of the draws - calibrated, |log|: median {np.median(shift):.3f}, max {shift.max():.3f} "
        f"({surrogate.names[int(np.argmax(shift))]}); closed form: median {np.median(np.abs(mean - surrogate.x0)):.3f}, "
        f"max {np.abs(mean - surrogate.x0).max():.3f}; prior mean - calibrated: median {np.median(pull):.3f}, "
        f"max {pull.max():.3f}"
    )
    print("\n| parameter | ESS | r-hat | posterior sd / prior sd | profile 95 % half width |")
    print("|---|---|---|---|---|")
    for i, name in enumerate(surrogate.names):
        width = surrogate.profile_half_width(i)
        shown = "flat" if not math.isfinite(width) or width > 10 else f"{width:.3g}"
        print(f"| {name} | {ess[name]:.0f} | {r_hat[name]:.3f} | {sd[i] / surrogate.prior_sd[i]:.2f} | {shown} |")
    print("\n| rank | s | posterior sd / prior sd | leading loadings |")
    print("|---|---|---|---|")
    for rank in [*range(LISTED), *range(len(found) - LISTED, len(found))]:
        c = found[rank]
        print(f"| {rank + 1} | {c.singular_value:.3g} | {c.shrinkage:.2f} | {describe(surrogate, c)} |")
    pinned = sum(1 for c in found if c.singular_value > 1.0)
    print(f"\ncombinations with s > 1 (the targets say more than the prior): {pinned} of {len(found)}")
    check = document["diagnostics"].get("surrogate_check")
    if check:
        predicted, real = np.array(check["predicted_objective"]), np.array(check["real_objective"])
        print(
            f"check: predicted objective {predicted.min():.1f}-{predicted.max():.1f} (median {np.median(predicted):.1f})"
        )
        print(f"check: simulated objective {real.min():.1f}-{real.max():.1f} (median {np.median(real):.1f})")
        print(f"check: residual rms error {check['residual_rms_error']}; worst targets {check['worst_targets']}")


def main() -> None:
    """Write the figures and print the tables."""
    document, surrogate, draws = load()
    found = surrogate.combinations()
    marginals(surrogate, draws)
    pairs(surrogate, draws, found)
    profiles(surrogate)
    if "surrogate_check" in document["diagnostics"]:
        check_figure(document["diagnostics"]["surrogate_check"])
    tables(document, surrogate, draws, found)


if __name__ == "__main__":
    main()
