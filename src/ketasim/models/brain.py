"""The nonlinear model of one arm: receptors, plasticity cascade, default mode network and acute effects.

It reads the exact PK readouts (unbound effect-site concentrations per species) and holds the cascade
states; the network and acute effects are algebraic in those. Implements the engine's `NonlinearModel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ketasim.models import acute, network, plasticity
from ketasim.models.receptors import ki_from_parameter_set, nmda_occupancy
from ketasim.parameters.registry import ParameterSet

SPECIES = ("s_ketamine", "r_ketamine", "s_norketamine", "r_norketamine")
BRAIN_OUTPUTS = (
    "nmda_occupancy",
    "glutamate_change",
    "bdnf_change",
    "spine_density_change",
    "plasticity_window",
    "dmn_connectivity",
    "dmn_connectivity_change",
    "dissociation",
    "systolic_bp_change",
)
_TABLES: dict[tuple[float, ...], network.NetworkTable] = {}


def network_table(pset: ParameterSet) -> network.NetworkTable:
    """The tabulated network of a parameter set, solved once per distinct set of network parameters."""
    key = tuple(pset[name] for name in sorted(pset.parameters))
    if key not in _TABLES:
        _TABLES[key] = network.tabulate(pset)
    return _TABLES[key]


@dataclass(frozen=True)
class BrainModel:
    """Cascade states of a chunk of patients and the algebraic readouts built on them."""

    pset: ParameterSet
    cascade: plasticity.CascadeParameters
    acute_parameters: acute.AcuteParameters
    ki_um: dict[str, float]
    table: network.NetworkTable
    severity: jax.Array
    baseline_fc_z: jax.Array
    patients: int

    @classmethod
    def build(cls, pset: ParameterSet, condition: str, patients: int) -> BrainModel:
        """The model for ``patients`` patients of ``condition`` at the condition's typical severity."""
        severity = plasticity.severity_levels(pset, patients, condition)
        table = network_table(pset)
        baseline_fc_z, _ = network.lookup(table, *network.controls(jnp.zeros(patients), jnp.zeros(patients), severity, pset))
        return cls(
            pset,
            plasticity.CascadeParameters.from_parameter_set(pset, patients, condition, severity),
            acute.AcuteParameters.from_parameter_set(pset),
            ki_from_parameter_set(pset),
            table,
            severity,
            baseline_fc_z,
            patients,
        )

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the outputs `observe` returns."""
        return BRAIN_OUTPUTS

    def initial_state(self) -> jax.Array:
        """The untreated steady state of the cascade."""
        return plasticity.initial_state(self.cascade, self.patients)

    def decay_rates(self) -> jax.Array:
        """Each cascade state relaxes at 1/τ."""
        return 1.0 / plasticity.time_constants_h(self.cascade, self.patients)

    def occupancy(self, readouts: Mapping[str, jax.Array]) -> jax.Array:
        """NMDA occupancy from the unbound effect-site concentrations of all species."""
        return nmda_occupancy({s: readouts[f"ce_{s}_um"] for s in SPECIES}, self.ki_um)

    def derivative(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array) -> jax.Array:
        """The cascade's rates of change."""
        return plasticity.derivative(state, self.occupancy(readouts), self.cascade)

    def observe(self, state: jax.Array, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        """Every brain output of the vocabulary."""
        occupancy = self.occupancy(readouts)
        outputs = {"nmda_occupancy": occupancy, **plasticity.observe(state, occupancy, self.cascade)}
        controls = network.controls(occupancy, outputs["spine_density_change"], self.severity, self.pset)
        fc_z, _ = network.lookup(self.table, *controls)
        outputs["dmn_connectivity"] = fc_z
        outputs["dmn_connectivity_change"] = fc_z - self.baseline_fc_z
        concentration = acute.racemic_equivalent_ng_per_ml(self.effect_site_ng_per_ml(readouts), self.acute_parameters)
        outputs["dissociation"] = acute.dissociation(concentration, self.acute_parameters)
        outputs["systolic_bp_change"] = acute.systolic_bp_change(concentration, self.acute_parameters)
        return outputs

    def effect_site_ng_per_ml(self, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        """Total (bound + unbound) effect-site concentration of each species, ng/mL."""
        unbound = self.pset["ketamine_unbound_fraction"]
        masses = {
            "ketamine": self.pset["ketamine_molar_mass_g_per_mol"],
            "norketamine": self.pset["norketamine_molar_mass_g_per_mol"],
        }
        return {s: readouts[f"ce_{s}_um"] / unbound * masses[s.split("_")[1]] for s in SPECIES}
