"""The output vocabulary of protocol version 1: name, unit and meaning of every output."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputInfo:
    """Unit and plain meaning of one output."""

    unit: str
    meaning: str


VOCABULARY: dict[str, OutputInfo] = {
    "plasma_ketamine": OutputInfo("ng/mL", "plasma concentration of the ketamine given (all enantiomers given)"),
    "plasma_norketamine": OutputInfo("ng/mL", "plasma norketamine (all enantiomers)"),
    "nmda_occupancy": OutputInfo("1", "fraction of cortical NMDA receptors blocked"),
    "glutamate_change": OutputInfo("%", "prefrontal glutamate (Glx) change from baseline"),
    "bdnf_change": OutputInfo("%", "BDNF signalling change from the patient's baseline"),
    "spine_density_change": OutputInfo("%", "prefrontal dendritic spine density change from the patient's baseline"),
    "plasticity_window": OutputInfo("ratio", "capacity for new learning, 1 = healthy baseline"),
    "dmn_connectivity": OutputInfo("Fisher z", "PCC-mPFC functional connectivity"),
    "dmn_connectivity_change": OutputInfo("Fisher z", "change of PCC-mPFC connectivity from the patient's baseline"),
    "rumination": OutputInfo(
        "1",
        "rumination index from within-DMN connectivity: 0 = healthy, 1 = untreated typical treatment-resistant depression",
    ),
    "dissociation": OutputInfo("CADSS points", "CADSS total (0-92)"),
    "systolic_bp_change": OutputInfo("mmHg", "systolic blood pressure change from baseline"),
    "madrs": OutputInfo("points", "MADRS as a rater would record it"),
    "hamd17": OutputInfo("points", "HAM-D17 as a rater would record it"),
    "phq9": OutputInfo("points", "PHQ-9 as the patient would report it"),
    "ham_a": OutputInfo("points", "HAM-A as a rater would record it"),
    "gad7": OutputInfo("points", "GAD-7 as the patient would report it"),
    "caps5": OutputInfo("points", "CAPS-5 as a rater would record it"),
    "pcl5": OutputInfo("points", "PCL-5 as the patient would report it"),
}
