"""Inference: calibrate population parameters to targets, forecast one patient from their own history."""
