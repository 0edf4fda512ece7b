"""Rating scales: baseline score presets, latent states → expected scores, and the rater's noisy recording.

Every latent state is relative to the patient's own untreated baseline (1 = as at baseline), so a scale's expected
score is the patient's baseline score times a weighted mean of the latents that the scale's items measure:

    expected_s = baseline_s · (ω_s,depression · x + ω_s,worry · w + ω_s,fear · f) / Σ ω_s

with the trauma fear-memory strength f = max(1 − U, 0), U its update by reprocessing (`ketasim.models.therapy`).

The weights follow item content (e.g. CAPS-5: 7 of its 20 items are intrusion and avoidance, 7 negative mood and
cognitions, 6 arousal). A rater records round(expected + noise), clipped to the scale's range.

References
----------
Montgomery SA, Asberg M (1979) Br J Psychiatry 134:382 (MADRS). Hamilton M (1960) J Neurol Neurosurg Psychiatry
23:56 (HAM-D). Hamilton M (1959) Br J Med Psychol 32:50 (HAM-A). Kroenke K et al. (2001) J Gen Intern Med 16:606
(PHQ-9). Spitzer RL et al. (2006) Arch Intern Med 166:1092 (GAD-7). Weathers FW et al. (2018) Psychol Assess
30:383 (CAPS-5). Blevins CA et al. (2015) J Trauma Stress 28:489 (PCL-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from ketasim.errors import ParameterError
from ketasim.models.math import Math, Value, clip, total
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol.distributions import Distribution, baseline_distribution
from ketasim.vocabulary import CONDITIONS, LATENTS, SCALE_RANGES, SCALES


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise ParameterError(f"unknown rating scale {scale!r}; expected one of {', '.join(SCALES)}")


def baseline_presets(condition: str, pset: ParameterSet) -> dict[str, Distribution]:
    """Baseline score distribution of every scale for ``condition`` (normal, truncated to the scale's range).

    The source of each preset is that of its registry parameters ``<condition>_baseline_<scale>_mean``/``_sd``.
    """
    if condition not in CONDITIONS:
        raise ParameterError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}")
    return {
        scale: baseline_distribution(
            scale,
            {"mean": pset[f"{condition}_baseline_{scale}_mean"], "sd": pset[f"{condition}_baseline_{scale}_sd"]},
        )
        for scale in SCALES
    }


def draw_baselines(
    condition: str,
    given: dict[str, Distribution],
    common: np.ndarray,
    specific: np.ndarray,
    variability: bool,
    pset: ParameterSet,
) -> np.ndarray:
    """True baseline scores, shape (patients, scales), correlated across scales through one common factor.

    Parameters
    ----------
    condition
        Condition preset used for scales the protocol does not give.
    given
        Baseline distributions from the protocol (scale → `Distribution`), overriding the presets.
    common, specific
        Standard normal deviates, shapes (patients,) and (patients, scales): z_s = ρ·common + √(1−ρ²)·specific.
    variability
        False: every patient gets each distribution's typical value.
    pset
        Parameter set holding the presets and ``baseline_scale_correlation``.
    """
    distributions = {**baseline_presets(condition, pset), **given}
    n = common.shape[0]
    if not variability:
        return np.tile([float(distributions[s].typical()) for s in SCALES], (n, 1))
    rho = pset["baseline_scale_correlation"]
    z = rho * common[:, None] + np.sqrt(1.0 - rho**2) * specific
    u = np.clip(ndtr(z), 1e-12, 1.0 - 1e-12)
    return np.stack([distributions[s].quantile(u[:, i]) for i, s in enumerate(SCALES)], axis=1)


def rate(expected: np.ndarray, scale: str, u: np.ndarray, pset: ParameterSet) -> np.ndarray:
    """Scores as a rater records them: expected score plus rater noise, rounded to whole points, within range.

    Parameters
    ----------
    expected
        Noise-free expected scores, any shape.
    scale
        Scale name (``madrs``, ``hamd17``, ``phq9``, ``ham_a``, ``gad7``, ``caps5``, ``pcl5``).
    u
        Uniform numbers in (0, 1) of the same shape, one per rating (the caller's reproducible stream).
    pset
        Parameter set holding ``<scale>_rater_noise_sd_points``.
    """
    _check_scale(scale)
    expected = np.asarray(expected, dtype=float)
    u = np.asarray(u, dtype=float)
    if u.shape != expected.shape:
        raise ParameterError(f"rate needs one uniform per score: got shapes {u.shape} and {expected.shape}")
    low, high = SCALE_RANGES[scale]
    noise = pset[f"{scale}_rater_noise_sd_points"] * ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))
    return np.clip(np.rint(expected + noise), low, high)


def baseline_name(scale: str) -> str:
    """Name of the parameter holding a patient's true baseline score on ``scale``."""
    return f"baseline_{scale}"


def weight_name(scale: str, latent: str) -> str:
    """Name of the registry weight of ``latent`` in ``scale``."""
    return f"{scale}_weight_{latent}"


@dataclass(frozen=True)
class Scales(Stage):
    """The noise-free expected score of every rating scale, from the latent loads and the patient's baselines."""

    name = "scales"

    def quantities(self) -> tuple[Quantity, ...]:
        return (
            Quantity("fear_memory", "1", "trauma fear-memory strength relative to baseline"),
            *(Quantity(scale, "points", f"expected {scale} score (before rater noise)") for scale in SCALES),
        )

    def registry_parameters(self) -> tuple[str, ...]:
        return tuple(weight_name(scale, latent) for scale in SCALES for latent in LATENTS)

    def derived_parameters(self) -> tuple[Quantity, ...]:
        return tuple(Quantity(baseline_name(s), "points", f"the patient's true baseline {s} score") for s in SCALES)

    def individual(self, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
        scores = draw_baselines(
            patients.condition,
            dict(patients.baseline),
            patients.normals("symptoms_baseline_common")[:, 0],
            patients.normals("symptoms_baseline_scales", len(SCALES)),
            bool(patients.variability),
            pset,
        )
        return {baseline_name(scale): scores[:, i] for i, scale in enumerate(SCALES)}

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        fear = m.maximum(1.0 - v["fear_update_labile"] - v["fear_update_consolidated"], 0.0)
        loads = {"depression": v["depression"], "worry": v["worry"], "fear": fear}
        scores: dict[str, Value] = {"fear_memory": fear}
        for scale in SCALES:
            weights = [v[weight_name(scale, latent)] for latent in LATENTS]
            weighted = total([w * loads[latent] for w, latent in zip(weights, LATENTS, strict=True)])
            low, high = SCALE_RANGES[scale]
            scores[scale] = clip(m, v[baseline_name(scale)] * (weighted / total(weights)), low, high)
        return scores
