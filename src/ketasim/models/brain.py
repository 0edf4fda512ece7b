"""The nonlinear model of one arm: receptors, plasticity cascade, default mode network, acute effects, symptoms.

It reads the exact PK readouts (unbound effect-site concentrations per species, plasma comparators) and
holds the cascade and symptom states; the network and acute effects are algebraic in those.
Implements the engine's `NonlinearModel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp

from ketasim.models import acute, network, plasticity, symptoms
from ketasim.models.receptors import ki_from_parameter_set, nmda_occupancy
from ketasim.parameters.registry import ParameterSet
from ketasim.population import Patients

SPECIES = ("s_ketamine", "r_ketamine", "s_norketamine", "r_norketamine")
BRAIN_OUTPUTS = (
    "nmda_occupancy",
    "glutamate_change",
    "bdnf_change",
    "spine_density_change",
    "plasticity_window",
    "dmn_connectivity",
    "dmn_connectivity_change",
    "rumination",
    "dissociation",
    "systolic_bp_change",
)
SCALE_OUTPUTS = symptoms.SCALES
CASCADE_STATES = len(plasticity.STATE_NAMES)
_TABLES: dict[tuple[float, ...], network.NetworkTable] = {}


def network_table(pset: ParameterSet) -> network.NetworkTable:
    """The tabulated network of a parameter set, solved once per distinct set of network parameters."""
    key = tuple(pset[name] for name in sorted(pset.parameters))
    if key not in _TABLES:
        _TABLES[key] = network.tabulate(pset)
    return _TABLES[key]


class StaticSet:
    """A parameter set as static data of a jitted function: hashed and compared by identity."""

    def __init__(self, pset: ParameterSet) -> None:
        self.pset = pset

    def __hash__(self) -> int:
        return id(self.pset)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StaticSet) and other.pset is self.pset


@partial(
    jax.tree_util.register_dataclass,
    data_fields=["cascade", "acute_parameters", "symptom_parameters", "ki_um", "table", "severity", "baseline_fc_z"],
    meta_fields=["static", "patients"],
)
@dataclass(frozen=True)
class BrainModel:
    """Cascade and symptom states of a chunk of patients and the algebraic readouts built on them."""

    static: StaticSet
    cascade: plasticity.CascadeParameters
    acute_parameters: acute.AcuteParameters
    symptom_parameters: symptoms.SymptomParameters
    ki_um: dict[str, float]
    table: network.NetworkTable
    severity: jax.Array
    baseline_fc_z: jax.Array
    patients: int

    @classmethod
    def build(cls, pset: ParameterSet, patients: Patients) -> BrainModel:
        """The model for a batch of patients at their condition's typical severity."""
        n = patients.count
        severity = plasticity.severity_levels(pset, n, patients.condition)
        table = network_table(pset)
        cascade = plasticity.CascadeParameters.from_parameter_set(pset, n, patients.condition, severity)
        zeros = jnp.zeros(n)
        baseline_fc_z, baseline_rumination = network.lookup(table, *network.controls(zeros, zeros, severity, pset))
        rest = plasticity.observe(plasticity.initial_state(cascade, n), zeros, cascade)
        untreated = symptoms.Drivers(
            zeros,
            zeros,
            zeros,
            rest["plasticity_window"],
            baseline_rumination,
            zeros,
            zeros,
            zeros,
            jnp.zeros(len(symptoms.SIGNAL_NAMES)),
        )
        symptom_parameters = symptoms.SymptomParameters.from_parameter_set(pset, patients).with_baseline_drivers(
            untreated
        )
        return cls(
            StaticSet(pset),
            cascade,
            acute.AcuteParameters.from_parameter_set(pset),
            symptom_parameters,
            ki_from_parameter_set(pset),
            table,
            severity,
            baseline_fc_z,
            n,
        )

    @property
    def pset(self) -> ParameterSet:
        """The parameter set the model was built from."""
        return self.static.pset

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the outputs `observe` returns."""
        return BRAIN_OUTPUTS + SCALE_OUTPUTS

    def initial_state(self) -> jax.Array:
        """The untreated steady state of the cascade and the baseline symptoms."""
        return jnp.concatenate(
            [
                plasticity.initial_state(self.cascade, self.patients),
                symptoms.initial_state(self.symptom_parameters, self.patients),
            ],
            axis=-1,
        )

    def decay_rates(self) -> jax.Array:
        """Each cascade state relaxes at 1/τ; symptom states at their own stiff rates."""
        return jnp.concatenate(
            [
                1.0 / plasticity.time_constants_h(self.cascade, self.patients),
                symptoms.decay_rates(self.symptom_parameters, self.patients),
            ],
            axis=-1,
        )

    def occupancy(self, readouts: Mapping[str, jax.Array]) -> jax.Array:
        """NMDA occupancy from the unbound effect-site concentrations of all species."""
        return nmda_occupancy({s: readouts[f"ce_{s}_um"] for s in SPECIES}, self.ki_um)

    def brain_outputs(
        self, state: jax.Array, readouts: Mapping[str, jax.Array]
    ) -> tuple[dict[str, jax.Array], jax.Array]:
        """Every brain output of the vocabulary, and the rumination index (which is one of them) on its own."""
        cascade_state = state[:, :CASCADE_STATES]
        occupancy = self.occupancy(readouts)
        outputs = {"nmda_occupancy": occupancy, **plasticity.observe(cascade_state, occupancy, self.cascade)}
        controls = network.controls(occupancy, outputs["spine_density_change"], self.severity, self.pset)
        fc_z, rumination = network.lookup(self.table, *controls)
        outputs["dmn_connectivity"] = fc_z
        outputs["dmn_connectivity_change"] = fc_z - self.baseline_fc_z
        outputs["rumination"] = rumination
        outputs["dissociation"], outputs["systolic_bp_change"] = acute_effects(
            readouts, self.pset, self.acute_parameters
        )
        return outputs, rumination

    def drivers(
        self,
        outputs: Mapping[str, jax.Array],
        rumination: jax.Array,
        readouts: Mapping[str, jax.Array],
        signals: jax.Array,
    ) -> symptoms.Drivers:
        """What the symptom model reads at this moment."""
        return symptoms.Drivers(
            outputs["nmda_occupancy"],
            outputs["glutamate_change"],
            outputs["spine_density_change"],
            outputs["plasticity_window"],
            rumination,
            outputs["dissociation"],
            readouts["plasma_midazolam"],
            readouts["plasma_escitalopram"],
            signals,
        )

    def derivative(self, state: jax.Array, readouts: Mapping[str, jax.Array], signals: jax.Array) -> jax.Array:
        """Rates of change of the cascade and the symptoms."""
        outputs, rumination = self.brain_outputs(state, readouts)
        drivers = self.drivers(outputs, rumination, readouts, signals)
        return jnp.concatenate(
            [
                plasticity.derivative(state[:, :CASCADE_STATES], outputs["nmda_occupancy"], self.cascade),
                symptoms.derivative(state[:, CASCADE_STATES:], drivers, self.symptom_parameters),
            ],
            axis=-1,
        )

    def observe(self, state: jax.Array, readouts: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        """Every brain output and the noise-free expected score of every rating scale."""
        outputs, rumination = self.brain_outputs(state, readouts)
        drivers = self.drivers(outputs, rumination, readouts, jnp.zeros(len(symptoms.SIGNAL_NAMES)))
        return {**outputs, **symptoms.expected_scores(state[:, CASCADE_STATES:], drivers, self.symptom_parameters)}


def effect_site_ng_per_ml(readouts: Mapping[str, jax.Array], pset: ParameterSet) -> dict[str, jax.Array]:
    """Total (bound + unbound) effect-site concentration of each species, ng/mL, from the unbound µM readouts."""
    unbound = pset["ketamine_unbound_fraction"]
    masses = {
        "ketamine": pset["ketamine_molar_mass_g_per_mol"],
        "norketamine": pset["norketamine_molar_mass_g_per_mol"],
    }
    return {s: readouts[f"ce_{s}_um"] / unbound * masses[s.split("_")[1]] for s in SPECIES}


def acute_effects(
    readouts: Mapping[str, jax.Array], pset: ParameterSet, p: acute.AcuteParameters
) -> tuple[jax.Array, jax.Array]:
    """Dissociation (CADSS) and systolic blood pressure change from the effect-site concentrations."""
    concentration = acute.racemic_equivalent_ng_per_ml(effect_site_ng_per_ml(readouts, pset), p)
    return acute.dissociation(concentration, p), acute.systolic_bp_change(concentration, p)
