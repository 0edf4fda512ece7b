"""The parameter set a protocol's population names, completed from the default set, with its overrides."""

from __future__ import annotations

from ketasim.errors import ParameterError, ProtocolError
from ketasim.parameters import parameter_set
from ketasim.parameters.catalogue import Catalogue, with_drug_parameters
from ketasim.parameters.overrides import apply_overrides
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol.population import Population


def resolve_parameter_set(population: Population, catalogue: Catalogue | None = None) -> ParameterSet:
    """The parameter set the population names, completed from the default set and the parameters the
    protocol's drug entries bring (``catalogue``), with its overrides applied.

    Raises
    ------
    ProtocolError
        At ``population.parameters`` for an unknown set, or at the override that cannot be applied.
    """
    try:
        pset = parameter_set(population.parameter_set)
    except ParameterError as error:
        raise ProtocolError("population.parameters", str(error), "name a set listed by `ketasim params`") from None
    if catalogue is not None:
        pset = with_drug_parameters(pset, catalogue)
    return apply_overrides(pset, population.parameter_overrides)
