"""NMDA receptor occupancy from unbound effect-site concentrations of every ketamine species.

Ketamine and norketamine enantiomers block the same site in the NMDA receptor channel (the PCP site), so they
compete: each species i occupies in proportion to Cᵢ/Kiᵢ and the fraction of receptors blocked is

    O = Σ Cᵢ/Kiᵢ / (1 + Σ Cᵢ/Kiᵢ),

the single-site competitive binding law. Concentrations are unbound effect-site concentrations in µM (the engine
applies the unbound fraction and the effect-site delay); Ki are inhibition constants in µM.

References
----------
Ebert B et al. (1997) Eur J Pharmacol 333:99-104, doi:10.1016/S0014-2999(97)01116-3 (Ki of each enantiomer).
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp

from ketasim.errors import ParameterError
from ketasim.parameters.registry import ParameterSet

SPECIES: tuple[str, ...] = ("s_ketamine", "r_ketamine", "s_norketamine", "r_norketamine")


def nmda_occupancy(unbound_effect_site_um: Mapping[str, jax.Array], ki_um: Mapping[str, float]) -> jax.Array:
    """Fraction of NMDA receptors blocked (0-1) by species competing for one site.

    Parameters
    ----------
    unbound_effect_site_um
        Unbound effect-site concentration of each species present, µM, keyed by species name (``s_ketamine``,
        ``r_ketamine``, ``s_norketamine``, ``r_norketamine``); arrays of one shape, e.g. ``(n_patients,)``.
        A species left out counts as absent.
    ki_um
        Inhibition constant of each species, µM; every species given a concentration needs one.

    Returns
    -------
    jax.Array
        Occupancy, same shape as the concentrations.
    """
    if not unbound_effect_site_um:
        raise ParameterError("nmda_occupancy needs the concentration of at least one species")
    missing = sorted(set(unbound_effect_site_um) - set(ki_um))
    if missing:
        raise ParameterError(f"no NMDA Ki given for {missing}; known species are {sorted(ki_um)}")
    load = sum(jnp.asarray(c) / ki_um[name] for name, c in unbound_effect_site_um.items())
    load = jnp.asarray(load)
    return load / (1.0 + load)


def ki_from_parameter_set(pset: ParameterSet) -> dict[str, float]:
    """The NMDA Ki of every species, µM, read from parameters ``nmda_ki_<species>_um``."""
    return {name: pset[f"nmda_ki_{name}_um"] for name in SPECIES}
