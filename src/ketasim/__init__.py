"""ketasim: ketamine for depression, anxiety and trauma, from the dose to the rating scale.

The public API is what ``__all__`` lists; every other module is internal. Names load on first use, so
``import ketasim`` stays fast and has no side effects::

    import ketasim

    protocol = ketasim.load_protocol("examples/single-infusion.yaml")
    dataset = ketasim.simulate(protocol)                 # xarray Dataset: arm, patient, time
    result = ketasim.run_trial(protocol, out_dir="results/single")

Research and education tool; not medical advice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ketasim.version import __version__

# public name -> module that defines it
_PUBLIC: dict[str, str] = {
    # protocols
    "Protocol": "ketasim.protocol.schema",
    "load_protocol": "ketasim.protocol.loading",
    "build_protocol": "ketasim.protocol.loading",
    # parameters
    "Parameter": "ketasim.parameters.registry",
    "ParameterSet": "ketasim.parameters.registry",
    "parameter_set": "ketasim.parameters",
    "available_sets": "ketasim.parameters",
    # simulation and trials
    "simulate": "ketasim.simulation.run",
    "run_trial": "ketasim.trial.run",
    "TrialResult": "ketasim.trial.run",
    "analyse": "ketasim.analysis.summary",
    "TrialAnalysis": "ketasim.analysis.summary",
    # validation and inference
    "validate": "ketasim.validation.runner",
    "ValidationRun": "ketasim.validation.runner",
    "TargetResult": "ketasim.validation.runner",
    "calibrate": "ketasim.inference.calibrate",
    "CalibrationResult": "ketasim.inference.calibrate",
    "forecast": "ketasim.inference.forecast",
    "Forecast": "ketasim.inference.forecast",
    "read_history": "ketasim.protocol.history",
    "read_facts": "ketasim.protocol.history",
    # export
    "export_sbml": "ketasim.io.sbml",
    # errors
    "KetasimError": "ketasim.errors",
    "InputError": "ketasim.errors",
    "ProtocolError": "ketasim.errors",
    "ParameterError": "ketasim.errors",
    "SolverError": "ketasim.errors",
}

__all__ = [
    "__version__",
    "Protocol",
    "load_protocol",
    "build_protocol",
    "Parameter",
    "ParameterSet",
    "parameter_set",
    "available_sets",
    "simulate",
    "run_trial",
    "TrialResult",
    "analyse",
    "TrialAnalysis",
    "validate",
    "ValidationRun",
    "TargetResult",
    "calibrate",
    "CalibrationResult",
    "forecast",
    "Forecast",
    "read_history",
    "read_facts",
    "export_sbml",
    "KetasimError",
    "InputError",
    "ProtocolError",
    "ParameterError",
    "SolverError",
]

if TYPE_CHECKING:
    from ketasim.analysis.summary import TrialAnalysis, analyse
    from ketasim.errors import InputError, KetasimError, ParameterError, ProtocolError, SolverError
    from ketasim.inference.calibrate import CalibrationResult, calibrate
    from ketasim.inference.forecast import Forecast, forecast
    from ketasim.io.sbml import export_sbml
    from ketasim.parameters import available_sets, parameter_set
    from ketasim.parameters.registry import Parameter, ParameterSet
    from ketasim.protocol.history import read_facts, read_history
    from ketasim.protocol.loading import build_protocol, load_protocol
    from ketasim.protocol.schema import Protocol
    from ketasim.simulation.run import simulate
    from ketasim.trial.run import TrialResult, run_trial
    from ketasim.validation.runner import TargetResult, ValidationRun, validate


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'ketasim' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
