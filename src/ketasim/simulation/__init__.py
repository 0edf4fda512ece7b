"""Simulation: plan each arm, run its patients through the engine in batches, label the results (xarray)."""

from ketasim.simulation.plan import ArmPlan, plan_arm
from ketasim.simulation.run import simulate

__all__ = ["ArmPlan", "plan_arm", "simulate"]
