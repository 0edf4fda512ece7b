"""Escitalopram, the serotonergic comparator: one compartment with first-order oral absorption."""

from __future__ import annotations

import math

from ketasim.parameters.references import LEXAPRO_LABEL, SOGAARD2005
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

VOLUME_L = 1100.0
CLEARANCE_L_PER_H = 31.0
OBSERVED_TMAX_H = 3.5


def absorption_rate_for_tmax(tmax_h: float, elimination_rate_per_h: float) -> float:
    """The first-order absorption rate whose one-compartment peak falls at ``tmax_h`` (bisection)."""
    low, high = elimination_rate_per_h * 1.0001, 100.0
    for _ in range(200):
        ka = math.sqrt(low * high)
        tmax = math.log(ka / elimination_rate_per_h) / (ka - elimination_rate_per_h)
        low, high = (ka, high) if tmax > tmax_h else (low, ka)
    return math.sqrt(low * high)


PARAMETERS = [
    Parameter(
        "escitalopram_volume_l",
        VOLUME_L,
        "L",
        "sogaard2005",
        "medium",
        "Volume of distribution after IV escitalopram (healthy volunteers); taken as per 70 kg.",
    ),
    Parameter(
        "escitalopram_clearance_l_per_h",
        CLEARANCE_L_PER_H,
        "L/h",
        "sogaard2005",
        "medium",
        "Systemic clearance after IV escitalopram; half-life 25 h with the volume (reported 27-33 h).",
    ),
    Parameter(
        "escitalopram_oral_bioavailability",
        0.80,
        "1",
        "lexapro_label",
        "medium",
        "About 80 % (label); Søgaard 2005 found a high absolute bioavailability.",
    ),
    Parameter(
        "escitalopram_oral_absorption_rate_per_h",
        absorption_rate_for_tmax(OBSERVED_TMAX_H, CLEARANCE_L_PER_H / VOLUME_L),
        "1/h",
        "sogaard2005",
        "low",
        "Derived: the rate that puts the one-compartment peak at 3.5 h (observed tmax 3-4 h).",
    ),
]

ESCITALOPRAM: ParameterSet = make_set(
    "escitalopram",
    "Escitalopram (serotonergic comparator), oral",
    [SOGAARD2005, LEXAPRO_LABEL],
    PARAMETERS,
)
