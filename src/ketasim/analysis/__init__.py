"""Analysis of simulated patients: endpoints per patient, estimates with intervals, comparisons, survival.

Import the modules themselves (`ketasim.analysis.summary`, `.statistics`, ...): the package imports none of
them, so a command that needs only `ketasim.analysis.courses` does not load scipy.stats.
"""
