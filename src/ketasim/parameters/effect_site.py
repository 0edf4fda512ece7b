"""Ketamine at its site of action: blood to effect-site equilibration and the unbound fraction."""

from __future__ import annotations

from ketasim.parameters.references import OLOFSEN2012, SPRAVATO_SWISS
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

PARAMETERS = [
    Parameter(
        "ketamine_effect_site_half_life_h",
        6.1 / 60.0,
        "h",
        "olofsen2012",
        "medium",
        "Blood to effect-site equilibration half-life of S-ketamine, 6.1 min averaged over all endpoints "
        "(range 0 to 11.8 min by endpoint; 12 volunteers). Used for every ketamine species.",
    ),
    Parameter(
        "ketamine_unbound_fraction",
        1.0 - 0.44,
        "1",
        "spravato_swiss_label",
        "medium",
        "Plasma protein binding of esketamine 43-45 % (midpoint 44 %); older racemic reports give 12-47 % "
        "from weaker sources. Applied to S and R ketamine and norketamine.",
    ),
]

EFFECT_SITE: ParameterSet = make_set(
    "effect_site",
    "Ketamine effect-site equilibration and unbound fraction",
    [OLOFSEN2012, SPRAVATO_SWISS],
    PARAMETERS,
)
