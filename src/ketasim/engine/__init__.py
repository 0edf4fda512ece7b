"""The vectorised engine: exact linear propagation, time grids through every edge, fixed-step stepping."""
