"""Protocol files (``spec/protocol.md``): loading, validation, and the dose and session events they schedule."""

from ketasim.errors import ProtocolError
from ketasim.protocol.drugs import DRUG_ROUTES, DRUGS, INFUSION_ROUTES, ROUTES, check_doses
from ketasim.protocol.events import ArmEvents, Dose, Session, arm_events, observation_times
from ketasim.protocol.loading import build_protocol, load_protocol, read_mapping
from ketasim.protocol.schema import (
    CONDITIONS,
    COVARIATES,
    ENDPOINT_KINDS,
    OUTPUTS,
    SCALE_RANGES,
    THERAPIES,
    Arm,
    Distribution,
    DoseAmount,
    Endpoint,
    Observe,
    Population,
    Protocol,
    Treatment,
    baseline_distribution,
    covariate_distribution,
    format_key_path,
)

__all__ = [
    "CONDITIONS",
    "COVARIATES",
    "DRUGS",
    "DRUG_ROUTES",
    "ENDPOINT_KINDS",
    "INFUSION_ROUTES",
    "OUTPUTS",
    "ROUTES",
    "SCALE_RANGES",
    "THERAPIES",
    "Arm",
    "ArmEvents",
    "Distribution",
    "Dose",
    "DoseAmount",
    "Endpoint",
    "Observe",
    "Population",
    "Protocol",
    "ProtocolError",
    "Session",
    "Treatment",
    "arm_events",
    "baseline_distribution",
    "build_protocol",
    "check_doses",
    "covariate_distribution",
    "format_key_path",
    "load_protocol",
    "observation_times",
    "read_mapping",
]
