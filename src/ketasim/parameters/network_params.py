"""Parameters of the default mode network model (`ketasim.models.network`), with sources and confidence.

The network's structure follows published findings (which regions couple, which way depression and ketamine
move connectivity); its magnitudes are modelling choices calibrated to the targets ``bio-dmn-day1`` and
``bio-dmn-day10``. See docs/network.md.
"""

from __future__ import annotations

from ketasim.parameters.references import (
    ANDREWS_HANNA2010,
    EVANS2018,
    FOX2005,
    GILSON2016,
    HAMILTON2015,
    KAISER2015,
    KETAMINE_MIDAZOLAM_RSFC2020,
    SCHEIDEGGER2012,
    SHELINE2010,
    TOZZI2021,
    YAN2019,
)
from ketasim.parameters.registry import Parameter, make_set

REFERENCES = [
    GILSON2016,
    ANDREWS_HANNA2010,
    HAMILTON2015,
    SHELINE2010,
    EVANS2018,
    FOX2005,
    KAISER2015,
    TOZZI2021,
    YAN2019,
    SCHEIDEGGER2012,
    KETAMINE_MIDAZOLAM_RSFC2020,
]

PARAMETERS = [
    Parameter(
        "network_time_constant_s",
        2.0,
        "s",
        "gilson2016",
        "low",
        "Decay time of an uncoupled region's fluctuations. Modelling choice: FC is the same for any value "
        "(scaling A and D together leaves S unchanged); it only sets the time axis of simulated time series.",
    ),
    Parameter(
        "dmn_dmpfc_coupling_ratio",
        0.7,
        "1",
        "andrews_hanna2010",
        "low",
        "Weight of dmPFC-PCC and dmPFC-mPFC links relative to core links (PCC, mPFC, angular gyri). Subsystem "
        "structure from Andrews-Hanna 2010; the value is a modelling choice.",
    ),
    Parameter(
        "dmn_hippocampus_coupling_ratio",
        0.4,
        "1",
        "andrews_hanna2010",
        "low",
        "Weight of hippocampus links to the core relative to core links (medial temporal subsystem). "
        "Value is a modelling choice.",
    ),
    Parameter(
        "dmn_sgacc_coupling_ratio",
        0.5,
        "1",
        "hamilton2015",
        "low",
        "Weight of sgACC links to PCC, mPFC, dmPFC and hippocampus relative to core links; sgACC-DMN coupling "
        "reliably raised in depression (Hamilton 2015 meta-analysis). Value is a modelling choice.",
    ),
    Parameter(
        "salience_coupling",
        0.3,
        "1",
        "evans2018",
        "low",
        "Insula <-> sgACC and dmPFC and insula -> dlPFC coupling (salience network linking default and control "
        "networks; insula-DMN connectivity is what Evans 2018 saw normalised after ketamine). Modelling choice.",
    ),
    Parameter(
        "control_direct_inhibition",
        0.2,
        "1",
        "fox2005",
        "low",
        "Fixed dlPFC -> PCC, mPFC, dmPFC, sgACC inhibitory weight giving the resting anticorrelation of control "
        "and default networks (Fox 2005). Value is a modelling choice.",
    ),
    Parameter(
        "dmn_gain_healthy",
        0.8,
        "1",
        "gilson2016",
        "low",
        "Within-DMN loop gain of an untreated healthy person; with prefrontal_control_healthy gives a healthy "
        "PCC-mPFC correlation of about 0.4. Modelling choice.",
    ),
    Parameter(
        "dmn_gain_log_increase_per_severity",
        0.0625,
        "1",
        "kaiser2015",
        "low",
        "log(dmn_gain) rise per unit depression severity (the 0-1 scale of the mechanism set; typical TRD 0.8). "
        "Direction: DMN hyperconnectivity in MDD (Kaiser 2015, Sheline 2010, Hamilton 2015); contested by Yan 2019 "
        "and Tozzi 2021. Size chosen with the control term so that typical TRD raises PCC-mPFC z by about 0.1 "
        "over healthy.",
    ),
    Parameter(
        "dmn_gain_reduction_per_occupancy",
        0.3,
        "1",
        "ketamine_midazolam_rsfc2020",
        "low",
        "Fractional fall of dmn_gain per unit NMDA occupancy (acute, while the drug is on board). Direction: DMN "
        "connectivity fell during ketamine infusion (d 0.63, healthy men); size is a modelling choice.",
    ),
    Parameter(
        "prefrontal_control_healthy",
        0.25,
        "1",
        "kaiser2015",
        "low",
        "Extra damping of DMN regions by dlPFC top-down control in an untreated healthy person. Modelling choice.",
    ),
    Parameter(
        "prefrontal_control_log_decrease_per_severity",
        0.375,
        "1",
        "kaiser2015",
        "low",
        "log(prefrontal_control) fall per unit depression severity (0-1 scale; typical TRD 0.8): frontoparietal "
        "(control) network hypoconnectivity in MDD (Kaiser 2015). Size is a modelling choice (see "
        "dmn_gain_log_increase_per_severity).",
    ),
    Parameter(
        "prefrontal_control_log_increase_per_spine_pct",
        0.044,
        "1/%",
        "scheidegger2012",
        "low",
        "log(prefrontal_control) rise per % prefrontal spine density change. Calibrated so that about +15 % "
        "spines at 24 h lower PCC-mPFC z by about 0.12 in typical TRD (target bio-dmn-day1; Scheidegger 2012 "
        "direction, Evans 2018 time course).",
        calibrated=True,
    ),
]

NETWORK = make_set(
    "network",
    "Default mode network: Ornstein-Uhlenbeck region network, controls and calibration (docs/network.md)",
    REFERENCES,
    PARAMETERS,
)
"""The ``network`` parameter set (merged into ``default`` by the parameter package)."""
