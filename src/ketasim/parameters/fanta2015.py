"""Esketamine disposition from intravenous data: the three-compartment model of Fanta 2015.

Eleven healthy volunteers received S-ketamine 0.125 mg/kg as an intravenous bolus (and orally); the model's
early distribution phase (a central volume of 133 L and a fast peripheral compartment) sets the peak of a short
infusion. Otto 2021 compared published S-ketamine models against 48 volunteers on 30-min and 2-h infusions and
found this one predicted best (Otto 2021 Table 3 fixes these values). Values are per 70 kg. The intranasal and oral
routes keep their absorption from Perez-Ruixo 2021 (`ketasim.parameters.perez_ruixo2021`); the molecule has one
disposition whatever the route.
"""

from __future__ import annotations

from ketasim.parameters.references import FANTA2015, OTTO2021
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

_NOTE = "Fanta 2015, as fixed in Otto 2021 Table 3; per 70 kg (venous sampling)."

PARAMETERS = [
    Parameter("esketamine_central_volume_l", 133.0, "L", "fanta2015", "medium", f"V1 133 L. {_NOTE}"),
    Parameter("esketamine_peripheral1_volume_l", 187.0, "L", "fanta2015", "medium", f"V2 187 L (slow). {_NOTE}"),
    Parameter("esketamine_intercompartmental1_l_per_h", 23.2, "L/h", "fanta2015", "medium", f"Q2 23.2 L/h. {_NOTE}"),
    Parameter("esketamine_peripheral2_volume_l", 98.8, "L", "fanta2015", "medium", f"V3 98.8 L (fast). {_NOTE}"),
    Parameter("esketamine_intercompartmental2_l_per_h", 157.0, "L/h", "fanta2015", "medium", f"Q3 157 L/h. {_NOTE}"),
    Parameter(
        "esketamine_clearance_l_per_h",
        95.2,
        "L/h",
        "fanta2015",
        "medium",
        f"CL 95.2 L/h (between-subject CV 13 %). With Perez-Ruixo's intranasal bioavailability it gives an "
        f"84 mg AUC24 of 364 ng.h/mL against the published 362. {_NOTE}",
    ),
]

FANTA2015_SET: ParameterSet = make_set(
    "fanta2015",
    "Esketamine disposition from intravenous data (three compartments)",
    [FANTA2015, OTTO2021],
    PARAMETERS,
)
