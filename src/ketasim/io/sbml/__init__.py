"""SBML export of the model, written from its declarations (`export`), with units (`units`) and MathML (`mathml`)."""

from ketasim.io.sbml.export import export_sbml, write_sbml

__all__ = ["export_sbml", "write_sbml"]
