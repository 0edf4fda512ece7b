"""The browser explorer (``ketasim serve``): a protocol form, a run button and linked views of the result.

It contains no science: every number comes from the public API (`ketasim.protocol.load_protocol`,
`ketasim.simulation.run.simulate`, `ketasim.analysis.summary.analyse`) and the report's figures. Dash is imported only
when this package is.
"""

from ketasim.web.app import create_app, serve
from ketasim.web.form import FormValues, build_protocol
from ketasim.web.limits import MAX_PATIENTS_PER_RUN

__all__ = ["MAX_PATIENTS_PER_RUN", "FormValues", "build_protocol", "create_app", "serve"]
