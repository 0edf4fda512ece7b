"""The time grid: through every dose edge, session edge and observation, fine only where needed."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ketasim.errors import SolverError

TIME_RESOLUTION_H = 1e-9


@dataclass(frozen=True)
class StepPolicy:
    """Largest step allowed as a function of the time since the last fast event (a dose start or infusion end).

    Within ``onset_window_h`` after a fast event steps are at most ``onset_h``, then at most ``fine_h`` until
    ``fine_window_h``, at most ``medium_h`` until ``medium_window_h``, and ``coarse_h`` otherwise. The exact
    linear parts do not need small steps; the nonlinear cascade does while a drug's concentration and the
    glutamate adaptation switch on (the first half hour), and the bistable depression state does when it
    tips back after treatment (days later, hence coarse steps of half an hour). ``derivative_dtype`` is
    the precision the nonlinear derivative is evaluated in (see `ketasim.engine.run`); states and outputs
    are float64 either way.

    The defaults keep every output within half the SBML verification tolerance of libroadrunner (CVODE at
    1e-10) over a 3-week KAP course (tests/verification/test_sbml_roadrunner.py): with 1-minute steps
    throughout the first 6 hours and 1-hour coarse steps the error was 1.6x that tolerance, nearly all of it
    from the first 30 minutes after each dose and from the relapse weeks after the course.
    """

    fine_h: float = 1.0 / 12.0
    fine_window_h: float = 6.0
    medium_h: float = 0.25
    medium_window_h: float = 24.0
    coarse_h: float = 0.5
    derivative_dtype: str = "float32"
    onset_h: float = 1.0 / 240.0
    onset_window_h: float = 0.5

    def scaled(self, factor: float) -> StepPolicy:
        """The same policy with every step multiplied by ``factor`` (for convergence checks)."""
        return replace(
            self,
            onset_h=self.onset_h * factor,
            fine_h=self.fine_h * factor,
            medium_h=self.medium_h * factor,
            coarse_h=self.coarse_h * factor,
        )

    def max_step(self, since_fast_event_h: float) -> float:
        """Largest step allowed ``since_fast_event_h`` hours after the latest fast event."""
        if since_fast_event_h < self.onset_window_h:
            return self.onset_h
        if since_fast_event_h < self.fine_window_h:
            return self.fine_h
        if since_fast_event_h < self.medium_window_h:
            return self.medium_h
        return self.coarse_h


@dataclass(frozen=True)
class TimeGrid:
    """Grid points (hours), the step lengths between them and where the observations fall.

    Between two anchors (edges, observations, window ends) the steps are equal: ``steps_h`` holds that
    length exactly for each, so runs of equal steps can share their integration coefficients.
    """

    times_h: np.ndarray
    steps_h: np.ndarray
    observation_index: np.ndarray


def _unique_sorted(values: np.ndarray) -> np.ndarray:
    values = np.sort(values)
    keep = np.concatenate([[True], np.diff(values) > TIME_RESOLUTION_H])
    return values[keep]


def build_grid(
    duration_h: float,
    observations_h: np.ndarray,
    edges_h: np.ndarray,
    fast_events_h: np.ndarray,
    policy: StepPolicy,
) -> TimeGrid:
    """Build a grid through 0, ``duration_h``, every edge and observation, subdividing by ``policy``.

    Parameters
    ----------
    duration_h
        End of the simulation.
    observations_h
        Times at which outputs are recorded; each becomes a grid point.
    edges_h
        Times where inputs change (dose starts, infusion ends, session edges).
    fast_events_h
        Times after which fine steps are needed (starts and ends of fast-acting doses).
    policy
        Step sizes.
    """
    observations_h = np.asarray(observations_h, dtype=float)
    if observations_h.size and (observations_h.min() < 0 or observations_h.max() > duration_h + TIME_RESOLUTION_H):
        raise SolverError("observation times must lie within [0, duration]")
    fast = np.sort(np.asarray(fast_events_h, dtype=float))
    window_ends = np.concatenate(
        [fast + policy.onset_window_h, fast + policy.fine_window_h, fast + policy.medium_window_h]
    )
    anchors = _unique_sorted(
        np.concatenate([[0.0, duration_h], observations_h, np.asarray(edges_h, dtype=float), window_ends])
    )
    anchors = anchors[(anchors >= 0) & (anchors <= duration_h + TIME_RESOLUTION_H)]
    points, steps = [anchors[:1]], []
    for start, end in zip(anchors[:-1], anchors[1:], strict=True):
        latest = fast[fast <= start + TIME_RESOLUTION_H]
        since = start - latest[-1] if latest.size else np.inf
        step = policy.max_step(since)
        count = max(1, int(np.ceil((end - start) / step - 1e-9)))
        points.append(np.linspace(start, end, count + 1)[1:])
        steps.append(np.full(count, (end - start) / count))
    times = np.concatenate(points)
    index = np.searchsorted(times, observations_h - TIME_RESOLUTION_H)
    return TimeGrid(times, np.concatenate(steps) if steps else np.zeros(0), index.astype(np.int64))
