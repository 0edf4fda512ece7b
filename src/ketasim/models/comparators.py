"""Comparators: placebo (expectancy and visit contact), midazolam (sedation cue) and escitalopram (SERT).

The states are the two expectancy components, serotonergic adaptation and its slow plasticity gain. Sedation and
SERT occupancy sum over the species of the drug catalogue that sedate or block the transporter (one-site laws).

    SERT occupancy      O_SERT = L / (1 + L),  L = Σ Cᵢ / C₅₀ᵢ                 one-site binding
    adaptation          dA/dt = (O_SERT − A) / τ_A                          autoreceptor desensitisation, weeks
    slow BDNF gain      dP/dt = (A − P) / τ_P                               further weeks
    sedation cue        s = L / (1 + L),  L = Σ (Cᵢ / C₅₀ᵢ)^mᵢ              midazolam felt as a drug effect
    dissociation cue    c = CADSS / (CADSS + D₅₀)                           ketamine felt as a drug effect
    felt effect         f = 1 − (1 − s)(1 − c)
    acute expectancy    dE_a/dt = r_a · (visit + w_s · session + w_cue · f) · (E_max − E_a) − E_a / τ_a
    conditioned         dE_c/dt = r_c · (pill + w_v · visit + w_s' · session) · (E_max − E_c) − E_c / τ_c

Two expectancy components: the acute hope raised by a treatment visit, larger when a drug effect is felt, fading
over about a week; and the conditioned expectancy of a repeated treatment ritual (daily pills, regular visits),
built and lost over weeks (placebo response grows with trial length, Furukawa 2016).

References
----------
Meyer JH et al. (2004) Am J Psychiatry 161:826, doi:10.1176/appi.ajp.161.5.826 (80 % SERT occupancy).
Taylor MJ et al. (2006) Arch Gen Psychiatry 63:1217 (early onset of SSRI action).
Wilkinson ST et al. (2019) Neuropsychopharmacology 44:1233 (midazolam arms respond more than saline arms).
Furukawa TA et al. (2016) Lancet Psychiatry 3:1059 (placebo response in antidepressant trials).
"""

from __future__ import annotations

from dataclasses import dataclass

from ketasim.models.math import Math, Value, total
from ketasim.models.pk import plasma_readout
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.catalogue import Catalogue

STATES: tuple[Quantity, ...] = (
    Quantity("expectancy_acute", "1", "hope raised by a treatment visit, 0 to the patient's ceiling"),
    Quantity("expectancy_conditioned", "1", "expectancy conditioned by a repeated treatment ritual"),
    Quantity("ssri_adaptation", "1", "serotonergic autoreceptor adaptation, 0-1"),
    Quantity("ssri_plasticity", "1", "slow plasticity gain of the serotonergic drug, 0-1"),
)
RATES: tuple[str, ...] = (
    "expectancy_acute_build_rate_per_h",
    "expectancy_acute_weight_session",
    "expectancy_weight_cue",
    "expectancy_acute_time_constant_h",
    "expectancy_conditioned_build_rate_per_h",
    "expectancy_conditioned_weight_visit",
    "expectancy_conditioned_weight_session",
    "expectancy_conditioned_time_constant_h",
    "dissociation_cue_half_cadss",
    "ssri_adaptation_time_constant_h",
    "ssri_plasticity_time_constant_h",
)
TIME_CONSTANTS: dict[str, str] = {
    "expectancy_acute": "expectancy_acute_time_constant_h",
    "expectancy_conditioned": "expectancy_conditioned_time_constant_h",
    "ssri_adaptation": "ssri_adaptation_time_constant_h",
    "ssri_plasticity": "ssri_plasticity_time_constant_h",
}


def expectancy_rate(
    expectancy: Value, contact: Value, ceiling: Value, build_rate: Value, time_constant: Value
) -> Value:
    """d(expectancy)/dt per hour: built towards the patient's ceiling by contact, fading without it."""
    return build_rate * contact * (ceiling - expectancy) - expectancy / time_constant


@dataclass(frozen=True)
class Comparators(Stage):
    """Expectancy (placebo, visits, felt drug effects) and the serotonergic comparator.

    ``sedating`` lists (species, half-maximal concentration, Hill coefficient parameters) and ``sert``
    (species, half-occupancy parameter) for the species of the drug catalogue that act so.
    """

    name = "comparators"
    sedating: tuple[tuple[str, str, str], ...]
    sert: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, catalogue: Catalogue) -> Comparators:
        """The stage for the sedating and SERT-blocking species of ``catalogue``."""
        species = catalogue.species
        sedating = tuple(
            (s, e.sedation.half, e.sedation.hill) for s in catalogue.acting("sedation") if (e := species[s]).sedation
        )
        sert = tuple((s, str(species[s].sert_half_occupancy)) for s in catalogue.acting("sert_half_occupancy"))
        return cls(sedating, sert)

    def states(self) -> tuple[Quantity, ...]:
        return STATES

    def quantities(self) -> tuple[Quantity, ...]:
        return (
            Quantity("sert_occupancy", "1", "fraction of serotonin transporters blocked"),
            Quantity("sedation", "1", "sedation felt, 0-1"),
            Quantity("dissociation_cue", "1", "how clearly dissociation is felt as a drug effect, 0-1"),
            Quantity("felt_drug_effect", "1", "chance that a drug effect is noticed, 0-1"),
        )

    def registry_parameters(self) -> tuple[str, ...]:
        return (*RATES, *(p for _, *pair in self.sedating for p in pair), *(half for _, half in self.sert))

    def initial(self, m: Math, v: Values) -> dict[str, Value]:
        zero = 0.0 * v["expectancy_ceiling"]
        return {state.name: zero for state in STATES}

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        sert = total([m.maximum(v[plasma_readout(s)], 0.0) / v[half] for s, half in self.sert])
        sedation = total(
            [m.power(m.maximum(v[plasma_readout(s)], 0.0) / v[half], v[hill]) for s, half, hill in self.sedating]
        )
        cadss = m.maximum(v["dissociation"], 0.0)
        cue = cadss / (cadss + v["dissociation_cue_half_cadss"])
        sedation = sedation / (1.0 + sedation)
        return {
            "sert_occupancy": sert / (1.0 + sert),
            "sedation": sedation,
            "dissociation_cue": cue,
            "felt_drug_effect": 1.0 - (1.0 - sedation) * (1.0 - cue),
        }

    def rates(self, m: Math, v: Values) -> dict[str, Value]:
        visit, in_session = v["clinic_visit"], v["in_session"]
        acute_contact = (
            visit
            + v["expectancy_acute_weight_session"] * in_session
            + v["expectancy_weight_cue"] * v["felt_drug_effect"]
        )
        conditioning_contact = (
            v["pill"]
            + v["expectancy_conditioned_weight_visit"] * visit
            + v["expectancy_conditioned_weight_session"] * in_session
        )
        return {
            "expectancy_acute": expectancy_rate(
                v["expectancy_acute"],
                acute_contact,
                v["expectancy_ceiling"],
                v["expectancy_acute_build_rate_per_h"],
                v["expectancy_acute_time_constant_h"],
            ),
            "expectancy_conditioned": expectancy_rate(
                v["expectancy_conditioned"],
                conditioning_contact,
                v["expectancy_ceiling"],
                v["expectancy_conditioned_build_rate_per_h"],
                v["expectancy_conditioned_time_constant_h"],
            ),
            "ssri_adaptation": (v["sert_occupancy"] - v["ssri_adaptation"]) / v["ssri_adaptation_time_constant_h"],
            "ssri_plasticity": (v["ssri_adaptation"] - v["ssri_plasticity"]) / v["ssri_plasticity_time_constant_h"],
        }

    def decay(self, m: Math, v: Values) -> dict[str, Value]:
        return {state: 1.0 / v[tau] for state, tau in TIME_CONSTANTS.items()}
