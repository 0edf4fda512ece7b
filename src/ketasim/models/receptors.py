"""NMDA receptor occupancy from unbound effect-site concentrations of every species that binds the channel site.

Ketamine and norketamine enantiomers (and any species of the drug catalogue with an ``nmda_ki``) block the same
site in the NMDA receptor channel (the PCP site), so they compete: each species i occupies in proportion to
Cᵢ/Kiᵢ and the fraction of receptors blocked is

    O = Σ Cᵢ/Kiᵢ / (1 + Σ Cᵢ/Kiᵢ),

the single-site competitive binding law. Concentrations are unbound effect-site concentrations in µM (the
pharmacokinetic blocks apply the unbound fraction and the effect-site delay); Ki are inhibition constants in µM.

References
----------
Ebert B et al. (1997) Eur J Pharmacol 333:99-104, doi:10.1016/S0014-2999(97)01116-3 (Ki of each enantiomer).
"""

from __future__ import annotations

from dataclasses import dataclass

from ketasim.models.math import Math, Value, total
from ketasim.models.pk import effect_site_readout
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.catalogue import Catalogue


@dataclass(frozen=True)
class Receptors(Stage):
    """NMDA occupancy by competing species: ``species`` and the registry names of their Ki, in the same order."""

    name = "receptors"
    species: tuple[str, ...]
    ki_parameters: tuple[str, ...]

    @classmethod
    def of(cls, catalogue: Catalogue) -> Receptors:
        """The stage for every species of ``catalogue`` that binds the NMDA receptor."""
        binding = catalogue.acting("nmda_ki")
        return cls(binding, tuple(str(catalogue.species[s].nmda_ki) for s in binding))

    def quantities(self) -> tuple[Quantity, ...]:
        return (Quantity("nmda_occupancy", "1", "fraction of cortical NMDA receptors blocked"),)

    def registry_parameters(self) -> tuple[str, ...]:
        return self.ki_parameters

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        load = total(
            [v[effect_site_readout(s)] / v[ki] for s, ki in zip(self.species, self.ki_parameters, strict=True)]
        )
        return {"nmda_occupancy": load / (1.0 + load)}
