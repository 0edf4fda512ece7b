"""Published pharmacokinetic values and hand-built closed forms, for verification without ketasim's own code.

Every number here is typed from the paper it cites (or derived from such numbers by the arithmetic shown), never
read from ketasim's registry, so the engine and the SBML export are checked against the literature rather than
against themselves. The closed forms (mammillary matrices, unit responses, effect sites) are written here with
NumPy only; nothing in this module imports ketasim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Kamp J et al. Ketamine pharmacokinetics: a systematic review of the literature, meta-analysis, and population
# analysis. Anesthesiology 2020;133:1192-1213. Raw-data model, typical values per 70 kg (racemic ketamine).
KAMP_RACEMIC_CLEARANCE_L_PER_H = 84.0
KAMP_CENTRAL_VOLUME_L = 25.0
KAMP_RAPID_PERIPHERAL_VOLUME_L = 56.0
KAMP_SLOW_PERIPHERAL_VOLUME_L = 157.0
KAMP_RAPID_INTERCOMPARTMENTAL_L_PER_H = 161.0
# Domino EF et al. three-compartment model of racemic ketamine (PMID 7198883): V1 0.063 L/kg, k13 0.59 /min, so
# Q3 = V1 k13 for 70 kg, in L/h (the slow flow ketasim takes instead of Kamp's arterial 79 L/h).
DOMINO_SLOW_INTERCOMPARTMENTAL_L_PER_H = 0.063 * 70.0 * 0.59 * 60.0
# Wang J et al. Drug Des Devel Ther 2019;13:4135-4144: clearance of S- and R-ketamine after racemic ketamine,
# 18.4 and 15.8 mL/min/kg.
WANG_S_TO_R_CLEARANCE_RATIO = 18.4 / 15.8
# Fanta S et al. Population pharmacokinetics of S-ketamine and norketamine in healthy volunteers after
# intravenous and oral dosing. Eur J Clin Pharmacol 2015;71:441-447, as fixed by Otto ME et al. Clin Pharmacol Ther
# 2021;110:1111 (Table 3): S-ketamine per 70 kg.
FANTA_WEIGHT_KG = 70.0
FANTA_CLEARANCE_L_PER_H = 95.2
FANTA_CENTRAL_VOLUME_L = 133.0
FANTA_SLOW_PERIPHERAL_VOLUME_L = 187.0
FANTA_SLOW_Q_L_PER_H = 23.2
FANTA_FAST_PERIPHERAL_VOLUME_L = 98.8
FANTA_FAST_Q_L_PER_H = 157.0
# Olofsen E et al. Anesthesiology 2012;117:353: blood to effect-site equilibration half-life of S-ketamine,
# 6.1 min averaged over all endpoints.
OLOFSEN_EFFECT_SITE_HALF_LIFE_H = 6.1 / 60.0


def enantiomer_clearances() -> tuple[float, float]:
    """S- and R-ketamine clearances (L/h per 70 kg): Kamp's racemic clearance split by Wang's S/R ratio so that
    equal doses of each give the racemic AUC, 2/CL = 1/CL_S + 1/CL_R."""
    ratio = WANG_S_TO_R_CLEARANCE_RATIO
    s = KAMP_RACEMIC_CLEARANCE_L_PER_H * (1.0 + ratio) / 2.0
    return s, s / ratio


@dataclass(frozen=True)
class Mammillary:
    """A central compartment (volume ``v1``, clearance ``cl``) exchanging with peripheral compartments, each given
    as (volume, intercompartmental clearance); litres and L/h."""

    cl: float
    v1: float
    peripherals: tuple[tuple[float, float], ...]

    def matrix(self) -> np.ndarray:
        """d(amounts)/dt = K · amounts, central compartment first, built from the micro-constants k10, k1i, ki1."""
        n = 1 + len(self.peripherals)
        k = np.zeros((n, n))
        k[0, 0] = -self.cl / self.v1
        for i, (volume, q) in enumerate(self.peripherals, start=1):
            k[0, 0] -= q / self.v1
            k[i, 0] = q / self.v1
            k[0, i] = q / volume
            k[i, i] = -q / volume
        return k

    def unit_bolus(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, λ): plasma concentration per unit amount given at once, C(t) = Σ Aᵢ exp(−λᵢ t).

        From the eigen-decomposition K = V diag(−λ) V⁻¹: the central amount after a unit bolus is
        Σᵢ V₀ᵢ (V⁻¹ e₀)ᵢ exp(−λᵢ t).
        """
        eigenvalues, vectors = np.linalg.eig(self.matrix())
        weights = vectors[0, :] * np.linalg.solve(vectors, np.eye(len(eigenvalues))[:, 0])
        return weights.real / self.v1, -eigenvalues.real

    def terminal_half_life_h(self) -> float:
        """ln 2 over the smallest eigenvalue of the system."""
        return math.log(2.0) / float(np.min(-np.linalg.eigvals(self.matrix()).real))


def kamp_enantiomer(clearance: float) -> Mammillary:
    """An enantiomer of racemic ketamine: Kamp 2020 volumes and rapid flow, Domino's slow flow (per 70 kg)."""
    return Mammillary(
        clearance,
        KAMP_CENTRAL_VOLUME_L,
        (
            (KAMP_RAPID_PERIPHERAL_VOLUME_L, KAMP_RAPID_INTERCOMPARTMENTAL_L_PER_H),
            (KAMP_SLOW_PERIPHERAL_VOLUME_L, DOMINO_SLOW_INTERCOMPARTMENTAL_L_PER_H),
        ),
    )


def fanta_esketamine() -> Mammillary:
    """Esketamine of Fanta 2015 (Otto 2021 Table 3) per 70 kg."""
    return Mammillary(
        FANTA_CLEARANCE_L_PER_H,
        FANTA_CENTRAL_VOLUME_L,
        (
            (FANTA_SLOW_PERIPHERAL_VOLUME_L, FANTA_SLOW_Q_L_PER_H),
            (FANTA_FAST_PERIPHERAL_VOLUME_L, FANTA_FAST_Q_L_PER_H),
        ),
    )


def infusion_response(
    a: np.ndarray, lam: np.ndarray, t: np.ndarray, duration_h: float, ke0: float | None = None
) -> np.ndarray:
    """Concentration per unit amount infused evenly over ``duration_h`` from t = 0, at times ``t`` (hours).

    Plasma when ``ke0`` is None; otherwise the effect site that follows plasma at rate ``ke0``,
    dCe/dt = ke0 (C − Ce), whose unit-bolus response is Σ Aᵢ ke0/(ke0 − λᵢ) (exp(−λᵢ t) − exp(−ke0 t)).
    Each exponential exp(−r t) of the bolus response becomes ∫₀^min(t,T) exp(−r (t − s)) ds / T.
    """
    t = np.asarray(t, dtype=float)[:, None]
    end = np.minimum(t, duration_h)

    def infused(rate: np.ndarray | float) -> np.ndarray:
        return (np.exp(-rate * (t - end)) - np.exp(-rate * t)) / (rate * duration_h)

    if ke0 is None:
        return (a * infused(lam)).sum(axis=1)
    return (a * ke0 / (ke0 - lam) * (infused(lam) - infused(ke0))).sum(axis=1)
