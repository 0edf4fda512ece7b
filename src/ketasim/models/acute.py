"""Acute effects of a dose: dissociation (CADSS), systolic blood pressure, and the monitoring time to discharge.

Both effects follow the effect-site concentration of ketamine (the brain lags plasma by t½ke0 of about 6 min), so
they peak near the end of a 40-min infusion and resolve within about 2 hours. Enantiomers differ in potency:
S-ketamine is about four times as potent as R-ketamine and twice the racemate, and norketamine adds no
psychotropic effect, so concentrations are first summed into a racemic-equivalent concentration

    C_eq = Σ wᵢ · Cᵢ,   w = 1.6 (S-ketamine), 0.4 (R-ketamine), 0 (norketamine)  (racemate: w = 1).

    dissociation (CADSS points) = E_max · C_eqᵞ / (C_eqᵞ + EC₅₀ᵞ)
    systolic blood pressure change (mmHg) = s · C_eq

Discharge rule, per dose (see `monitoring_time_h`): at least the minimum observation time (2 h, esketamine label)
has passed, and from then on, until the next dose, CADSS is at or under its threshold and the systolic blood
pressure change lies within its range.

References
----------
Peltoniemi MA et al. (2016) Clin Pharmacokinet 55:1059, doi:10.1007/s40262-016-0383-6 (S vs R potency).
Olofsen E et al. (2012) Anesthesiology 117:353 (norketamine; t½ke0 6.1 min).
Bowdle TA et al. (1998) Anesthesiology 88:82, doi:10.1097/00000542-199801000-00015.
Riva-Posse P et al. (2018) J Affect Disord, doi:10.1016/j.jad.2018.02.025.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ketasim.errors import ParameterError
from ketasim.models.power import power
from ketasim.models.receptors import SPECIES
from ketasim.parameters.registry import ParameterSet


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class AcuteParameters:
    """Potencies, concentration-effect curves and the discharge rule (floats or per-patient arrays)."""

    potency: dict[str, float]
    cadss_max_points: float
    cadss_half_max_ng_per_ml: float
    cadss_hill: float
    sbp_change_mmhg_per_ng_per_ml: float
    minimum_observation_h: float
    discharge_cadss_max_points: float
    discharge_sbp_change_min_mmhg: float
    discharge_sbp_change_max_mmhg: float

    @classmethod
    def from_parameter_set(cls, pset: ParameterSet) -> AcuteParameters:
        """Read the acute-effect parameters from a set holding the ``mechanism`` parameters."""
        return cls(
            potency={name: pset[f"dissociation_potency_{name}"] for name in SPECIES},
            cadss_max_points=pset["cadss_max_points"],
            cadss_half_max_ng_per_ml=pset["cadss_half_max_ng_per_ml"],
            cadss_hill=pset["cadss_hill_coefficient"],
            sbp_change_mmhg_per_ng_per_ml=pset["sbp_change_mmhg_per_ng_per_ml"],
            minimum_observation_h=pset["discharge_minimum_observation_h"],
            discharge_cadss_max_points=pset["discharge_cadss_max_points"],
            discharge_sbp_change_min_mmhg=pset["discharge_sbp_change_min_mmhg"],
            discharge_sbp_change_max_mmhg=pset["discharge_sbp_change_max_mmhg"],
        )


def racemic_equivalent_ng_per_ml(effect_site_ng_per_ml: Mapping[str, jax.Array], p: AcuteParameters) -> jax.Array:
    """Potency-weighted sum of effect-site concentrations (total, not unbound), ng/mL of racemic ketamine.

    Keys are species names (``s_ketamine``, ``r_ketamine``, ``s_norketamine``, ``r_norketamine``); a species left
    out counts as absent.
    """
    unknown = sorted(set(effect_site_ng_per_ml) - set(p.potency))
    if unknown:
        raise ParameterError(f"no dissociative potency for {unknown}; known species are {sorted(p.potency)}")
    if not effect_site_ng_per_ml:
        raise ParameterError("racemic_equivalent_ng_per_ml needs the concentration of at least one species")
    return jnp.asarray(sum(p.potency[name] * jnp.asarray(c) for name, c in effect_site_ng_per_ml.items()))


def dissociation(effect_site_ketamine_ng_per_ml: jax.Array, p: AcuteParameters) -> jax.Array:
    """CADSS total (0-92) from the racemic-equivalent effect-site ketamine concentration (ng/mL), any shape."""
    level = power(jnp.maximum(effect_site_ketamine_ng_per_ml, 0.0), p.cadss_hill)
    return p.cadss_max_points * level / (level + power(p.cadss_half_max_ng_per_ml, p.cadss_hill))


def systolic_bp_change(effect_site_ketamine_ng_per_ml: jax.Array, p: AcuteParameters) -> jax.Array:
    """Systolic blood pressure change from baseline (mmHg) from the racemic-equivalent effect-site concentration."""
    return p.sbp_change_mmhg_per_ng_per_ml * jnp.maximum(effect_site_ketamine_ng_per_ml, 0.0)


def _crossing(times: np.ndarray, excess: np.ndarray, last_bad: np.ndarray) -> np.ndarray:
    """Time at which ``excess`` (> 0 means the criterion fails) falls to 0 after sample ``last_bad``, by linear
    interpolation; the sample time itself where the criterion already holds at ``last_bad``."""
    rows = np.arange(excess.shape[0])
    before = excess[rows, last_bad]
    after = excess[rows, last_bad + 1]
    fails = before > 0.0
    fraction = np.where(fails, before / np.where(fails, before - after, 1.0), 0.0)
    return times[last_bad] + np.clip(fraction, 0.0, 1.0) * (times[last_bad + 1] - times[last_bad])


def monitoring_time_h(
    times_h: np.ndarray,
    dissociation: np.ndarray,
    sbp_change: np.ndarray,
    dose_times_h: Sequence[float],
    p: AcuteParameters,
) -> np.ndarray:
    """Hours from the start of each dose until the discharge rule holds, per patient and dose.

    The rule holds from the first time that (a) at least ``minimum_observation_h`` has passed since the dose and
    (b) from then until the next dose (or the end of the record) every sample has CADSS at or under
    ``discharge_cadss_max_points`` and a systolic blood pressure change within
    [``discharge_sbp_change_min_mmhg``, ``discharge_sbp_change_max_mmhg``]. Between samples the moment a
    criterion is met is found by linear interpolation. NaN where the rule is not met before the next dose or the
    end of the record (including records that end before the minimum observation time).

    Parameters
    ----------
    times_h
        Sample times, hours, increasing, shape ``(t,)``.
    dissociation, sbp_change
        CADSS and systolic blood pressure change at those times, shape ``(..., t)`` (e.g. patients by time).
    dose_times_h
        Start time of each dose, hours, in any order; the result keeps this order.
    p
        Acute-effect parameters (thresholds and minimum observation time; floats).

    Returns
    -------
    np.ndarray
        Shape ``(..., len(dose_times_h))``.
    """
    times = np.asarray(times_h, dtype=float)
    cadss = np.asarray(dissociation, dtype=float)
    sbp = np.asarray(sbp_change, dtype=float)
    if times.ndim != 1 or cadss.shape[-1] != times.size or sbp.shape != cadss.shape:
        raise ParameterError(
            f"monitoring_time_h needs curves of shape (..., {times.size}) matching times; got "
            f"{cadss.shape} and {sbp.shape}"
        )
    if times.size > 1 and np.any(np.diff(times) <= 0):
        raise ParameterError("monitoring_time_h needs strictly increasing sample times")
    given = np.asarray(dose_times_h, dtype=float)
    order = np.argsort(given, kind="stable")
    doses = given[order]
    lead_shape = cadss.shape[:-1]
    cadss = cadss.reshape(-1, times.size)
    sbp = sbp.reshape(-1, times.size)
    # Excess over each limit: positive where the criterion fails.
    excesses = [
        cadss - p.discharge_cadss_max_points,
        sbp - p.discharge_sbp_change_max_mmhg,
        p.discharge_sbp_change_min_mmhg - sbp,
    ]
    fails = np.any([e > 0.0 for e in excesses], axis=0)
    result = np.full((cadss.shape[0], doses.size), np.nan)
    for k, start in enumerate(doses):
        end = doses[k + 1] if k + 1 < doses.size else np.inf
        earliest = start + p.minimum_observation_h
        window = np.flatnonzero((times >= start) & (times < end))
        if window.size == 0 or times[window[-1]] < earliest:
            continue
        failing = fails[:, window]
        any_fail = failing.any(axis=1)
        last_bad = window[0] + np.where(any_fail, window.size - 1 - np.argmax(failing[:, ::-1], axis=1), 0)
        resolved = ~any_fail | (last_bad < window[-1])
        safe_last = np.minimum(last_bad, times.size - 2)
        met = np.max([_crossing(times, e, safe_last) for e in excesses], axis=0)
        met = np.where(any_fail, met, start)
        result[:, order[k]] = np.where(resolved, np.maximum(met, earliest) - start, np.nan)
    return result.reshape(*lead_shape, doses.size)
