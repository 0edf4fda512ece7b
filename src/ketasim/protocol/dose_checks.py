"""The dose check against the limits a parameter set declares.

A dose is compared as a systemic dose per body weight: the dose in mg/kg (an absolute dose divided by the
population's typical weight) times the route's bioavailability. Above the drug's studied limit
(`ketasim.parameters.catalogue.DoseLimits`) the protocol gets a warning; above its unsafe limit it is refused.
"""

from __future__ import annotations

from ketasim.errors import ProtocolError
from ketasim.parameters.catalogue import Catalogue
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol.parameter_choice import resolve_parameter_set
from ketasim.protocol.population import Population
from ketasim.protocol.schema import Protocol
from ketasim.protocol.treatments import Treatment
from ketasim.vocabulary import PLACEBO

# Parameters giving the typical weight when the protocol gives none: the population preset's mean weight,
# then the allometric reference weight.
TYPICAL_WEIGHT_PARAMETERS = ("population_weight_mean_kg", "reference_weight_kg")
# The normalisation weight of pooled ketamine PK (clearance and volume "per 70 kg", Kamp 2020,
# doi 10.1097/ALN.0000000000003577). Used only to express absolute doses per kg for the safety check when
# neither the protocol nor the parameter set gives a typical weight.
REFERENCE_WEIGHT_KG = 70.0


def typical_weight_kg(population: Population, pset: ParameterSet) -> float:
    """Typical body weight: the protocol's weight covariate, else the set's (`TYPICAL_WEIGHT_PARAMETERS`), else 70 kg."""
    weight = population.covariates.get("weight")
    if weight is not None:
        return weight.typical()
    for name in TYPICAL_WEIGHT_PARAMETERS:
        if name in pset.parameters:
            return pset[name]
    return REFERENCE_WEIGHT_KG


def _value(pset: ParameterSet, name: str) -> float | None:
    return pset[name] if name in pset.parameters else None


def _dose_text(amount: float, per_kg: bool) -> str:
    return f"{amount:.4g} mg/kg" if per_kg else f"{amount:.4g} mg"


def check_dose(
    item: Treatment, key_path: str, pset: ParameterSet, weight_kg: float, catalogue: Catalogue
) -> str | None:
    """Check one drug item's dose against the set's limits: a warning text, None if fine.

    Raises
    ------
    ProtocolError
        At ``key_path`` when the systemic dose is above the set's unsafe limit.
    """
    if item.drug is None or item.route is None or item.dose is None or item.drug == PLACEBO:
        return None
    drug, route, dose = item.drug, item.route, item.dose
    entry = catalogue.drug(drug)
    limits = entry.dose_limits
    studied = _value(pset, limits.studied) if limits.studied else None
    unsafe = _value(pset, limits.unsafe) if limits.unsafe else None
    if studied is None and unsafe is None:
        return f"{key_path}: dose not checked: parameter set {pset.name!r} declares no dose limits for {drug}"
    name = f"{entry.route_parameters}_{route}_bioavailability"
    fraction = 1.0 if route == "iv" else _value(pset, name)
    if fraction is None:
        return f"{key_path}: dose not checked: parameter set {pset.name!r} has no {name}"
    mg_per_kg = dose.amount if dose.per_kg else dose.amount / weight_kg
    systemic = mg_per_kg * fraction
    per_weight = "" if dose.per_kg else f" (at {weight_kg:.4g} kg)"
    given = f"{_dose_text(dose.amount, dose.per_kg)} {drug} {route}{per_weight} gives {systemic:.3g} mg/kg systemically"
    if unsafe is not None and systemic > unsafe:
        wording = limits.unsafe_wording or f"unsafe {drug} dose"
        limit = studied if studied is not None and studied < unsafe else unsafe
        largest = limit / fraction * (1.0 if dose.per_kg else weight_kg)
        what = "studied doses reach" if limit == studied else "stay below"
        raise ProtocolError(
            key_path,
            f"{wording}: {given}, above the unsafe limit of {unsafe:.3g} mg/kg (parameter set {pset.name!r})",
            f"{what} {_dose_text(largest, dose.per_kg)} by this route",
        )
    if studied is not None and systemic > studied:
        return (
            f"{key_path}: {given}, above the studied range (up to {studied:.3g} mg/kg, parameter set "
            f"{pset.name!r}); results there are extrapolated"
        )
    return None


def check_doses(protocol: Protocol) -> list[str]:
    """Check every dose of every arm against the limits of the protocol's parameter set; return warnings.

    Raises
    ------
    ProtocolError
        For an unknown parameter set or a dose above an unsafe limit.
    """
    catalogue = protocol.catalogue
    pset = resolve_parameter_set(protocol.population, catalogue)
    weight = typical_weight_kg(protocol.population, pset)
    warnings = []
    for i, arm in enumerate(protocol.arms):
        for j, item in enumerate(arm.treatments):
            warning = check_dose(item, f"arms[{i}].treatments[{j}].dose", pset, weight, catalogue)
            if warning is not None:
                warnings.append(warning)
    return warnings
