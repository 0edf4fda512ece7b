"""Protocol files (``spec/protocol.md``): loading, validation, and the dose and session events they schedule."""

from ketasim.protocol.distributions import Distribution, baseline_distribution, covariate_distribution
from ketasim.protocol.dose_checks import check_doses
from ketasim.protocol.events import ArmEvents, Dose, Session, arm_events, observation_times
from ketasim.protocol.fields import format_key_path
from ketasim.protocol.loading import build_protocol, load_protocol, read_mapping
from ketasim.protocol.population import Population
from ketasim.protocol.schema import Endpoint, Observe, Protocol
from ketasim.protocol.treatments import Arm, DoseAmount, Treatment

__all__ = [
    "Arm",
    "ArmEvents",
    "Distribution",
    "Dose",
    "DoseAmount",
    "Endpoint",
    "Observe",
    "Population",
    "Protocol",
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
