"""Acute effects of a dose: dissociation (CADSS), systolic blood pressure, and the monitoring time to discharge.

Both effects follow the effect-site concentration of ketamine (the brain lags plasma by t½ke0 of about 6 min), so
they peak near the end of a 40-min infusion and resolve within about 2 hours. Enantiomers differ in potency:
S-ketamine is about four times as potent as R-ketamine and twice the racemate, and norketamine adds no
psychotropic effect, so concentrations are first summed into a racemic-equivalent concentration

    C_eq = Σ wᵢ · Cᵢ,   w = 1.6 (S-ketamine), 0.4 (R-ketamine), 0 (norketamine)  (racemate: w = 1),

Cᵢ the total (bound and unbound) effect-site concentration of each species of the drug catalogue with a
dissociative potency, and

    dissociation (CADSS points) = E_max · rᵞ / (rᵞ + 1),   r = C_eq / EC₅₀
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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketasim.errors import ParameterError
from ketasim.models.math import Math, Value, total
from ketasim.models.pk import effect_site_readout
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.catalogue import Catalogue
from ketasim.parameters.registry import ParameterSet

CURVES: tuple[str, ...] = (
    "cadss_max_points",
    "cadss_half_max_ng_per_ml",
    "cadss_hill_coefficient",
    "sbp_change_mmhg_per_ng_per_ml",
)


@dataclass(frozen=True)
class Acute(Stage):
    """Dissociation and blood pressure from the potency-weighted effect-site concentration.

    ``species`` are the species with a dissociative potency; ``potency``, ``unbound`` and ``molar_mass`` name
    each one's potency, unbound fraction and molar mass parameters, in the same order.
    """

    name = "acute"
    species: tuple[str, ...]
    potency: tuple[str, ...]
    unbound: tuple[str, ...]
    molar_mass: tuple[str, ...]

    @classmethod
    def of(cls, catalogue: Catalogue) -> Acute:
        """The stage for every species of ``catalogue`` with a dissociative potency (and an effect site)."""
        acting = tuple(s for s in catalogue.acting("dissociation_potency") if catalogue.species[s].effect_site)
        entries = [catalogue.species[s] for s in acting]
        return cls(
            acting,
            tuple(str(e.dissociation_potency) for e in entries),
            tuple(e.effect_site.unbound_fraction for e in entries if e.effect_site is not None),
            tuple(e.molar_mass for e in entries),
        )

    def quantities(self) -> tuple[Quantity, ...]:
        return (
            Quantity("racemic_equivalent_ng_per_ml", "ng/mL", "potency-weighted effect-site ketamine (racemate = 1)"),
            Quantity("dissociation", "CADSS points", "CADSS total (0-92)"),
            Quantity("systolic_bp_change", "mmHg", "systolic blood pressure change from baseline"),
        )

    def registry_parameters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*CURVES, *self.potency, *self.unbound, *self.molar_mass)))

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        concentration = total(
            [
                v[potency] * (v[effect_site_readout(s)] / v[unbound] * v[mass])
                for s, potency, unbound, mass in zip(
                    self.species, self.potency, self.unbound, self.molar_mass, strict=True
                )
            ]
        )
        level = m.power(m.maximum(concentration / v["cadss_half_max_ng_per_ml"], 0.0), v["cadss_hill_coefficient"])
        return {
            "racemic_equivalent_ng_per_ml": concentration,
            "dissociation": v["cadss_max_points"] * level / (level + 1.0),
            "systolic_bp_change": v["sbp_change_mmhg_per_ng_per_ml"] * m.maximum(concentration, 0.0),
        }


@dataclass(frozen=True)
class DischargeRule:
    """When a patient may leave after a dose: minimum observation time, CADSS and blood pressure limits."""

    minimum_observation_h: float
    discharge_cadss_max_points: float
    discharge_sbp_change_min_mmhg: float
    discharge_sbp_change_max_mmhg: float

    @classmethod
    def from_parameter_set(cls, pset: ParameterSet) -> DischargeRule:
        """The rule of a parameter set (``discharge_*`` parameters)."""
        return cls(
            pset["discharge_minimum_observation_h"],
            pset["discharge_cadss_max_points"],
            pset["discharge_sbp_change_min_mmhg"],
            pset["discharge_sbp_change_max_mmhg"],
        )


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
    p: DischargeRule,
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
        The discharge rule.

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
