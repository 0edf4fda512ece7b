"""Schedules to events: the doses and therapy sessions of one arm, and the observation times.

Every time is in hours from the arm's first treatment. The loader builds the events of every arm once, so
their errors (times past the duration, overlapping infusions or sessions) are reported at load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketasim.errors import ProtocolError
from ketasim.protocol.fields import format_hours, suggest
from ketasim.protocol.schema import MAX_OBSERVATIONS, Protocol
from ketasim.protocol.treatments import Treatment

TIME_TOLERANCE_H = 1e-9
MAX_EVENTS_PER_ITEM = 20_000
DEFAULT_FIRST_DAY_STEP_H = 1.0
DEFAULT_LATER_STEP_H = 24.0
FIRST_DAY_H = 24.0
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Dose:
    """One dose: when, what, how much (mg, or mg/kg when ``per_kg``; 0 for placebo) and how long it runs.

    ``infusion_h`` is 0 for a bolus or an extravascular dose. ``key_path`` locates its time in the file.
    """

    time_h: float
    drug: str
    route: str
    amount: float
    per_kg: bool
    infusion_h: float
    key_path: str


@dataclass(frozen=True)
class Session:
    """One therapy session: when it starts, how long it lasts, which therapy, and where the file schedules it."""

    start_h: float
    duration_h: float
    therapy: str
    key_path: str


@dataclass(frozen=True)
class ArmEvents:
    """The doses and sessions of one arm, each sorted by time."""

    name: str
    doses: tuple[Dose, ...]
    sessions: tuple[Session, ...]


def schedule_times(item: Treatment, key_path: str, dose_times: Sequence[float] = ()) -> list[tuple[float, str]]:
    """The times an item's schedule gives, each with the key path that sets it.

    ``dose_times`` are the arm's drug dose times, used by ``after_each_dose`` and ``during_each_dose``.

    Raises
    ------
    ProtocolError
        When a schedule gives nothing or too many events.
    """
    if item.at_h is not None:
        return [(time, f"{key_path}.at[{i}]") for i, time in enumerate(item.at_h)]
    if item.every_h is not None:
        return [(time, f"{key_path}.every") for time in _every(item, key_path)]
    key = f"{key_path}.after_each_dose" if item.after_each_dose_h is not None else f"{key_path}.during_each_dose"
    if not dose_times:
        raise ProtocolError(key, "the arm has no drug doses to follow", "schedule the sessions with at or every")
    delay = item.after_each_dose_h or 0.0
    return [(time + delay, key) for time in sorted(set(dose_times))]


def _every(item: Treatment, key_path: str) -> list[float]:
    step = float(item.every_h or 0.0)
    start = item.start_h or 0.0
    if item.count is not None:
        count = item.count
    else:
        span = float(item.until_h or 0.0) - start
        count = int(np.ceil(span / step - TIME_TOLERANCE_H))
    if count > MAX_EVENTS_PER_ITEM:
        raise ProtocolError(
            f"{key_path}.every",
            f"every {format_hours(step)} gives {count} events, more than {MAX_EVENTS_PER_ITEM}",
            "schedule less often",
        )
    return [start + k * step for k in range(count)]


def _check_within(times: Sequence[tuple[float, str]], duration_h: float) -> None:
    for time, key in times:
        if time > duration_h + TIME_TOLERANCE_H:
            raise ProtocolError(
                key,
                f"time {format_hours(time)} is past the duration {format_hours(duration_h)}",
                "move it earlier or lengthen `duration`",
            )


def _check_overlap(spans: Sequence[tuple[float, float, str]], what: str) -> None:
    ordered = sorted(spans)
    for (start, end, key), (next_start, _, next_key) in zip(ordered, ordered[1:], strict=False):
        if next_start < end - TIME_TOLERANCE_H:
            raise ProtocolError(
                next_key,
                f"{what} at {format_hours(next_start)} overlaps the {what} from {format_hours(start)} to "
                f"{format_hours(end)} ({key})",
                f"one {what} at a time per arm: start it at {format_hours(end)} or later",
            )


def arm_index(protocol: Protocol, arm: int | str) -> int:
    """Index of ``arm``, given by index or by name.

    Raises
    ------
    ProtocolError
        At ``arms`` when there is no such arm.
    """
    names = [a.name for a in protocol.arms]
    if isinstance(arm, str):
        if arm not in names:
            raise ProtocolError("arms", f"no arm named {arm!r}", suggest(arm, names))
        return names.index(arm)
    if not -len(names) <= arm < len(names):
        raise ProtocolError("arms", f"no arm number {arm}", f"the protocol has {len(names)} arms")
    return arm % len(names)


def arm_events(protocol: Protocol, arm: int | str) -> ArmEvents:
    """The doses and sessions of one arm (by index or name), sorted by time.

    Raises
    ------
    ProtocolError
        For an unknown arm, times past the duration, overlapping infusions or overlapping sessions.
    """
    index = arm_index(protocol, arm)
    spec = protocol.arms[index]
    base = f"arms[{index}].treatments"
    doses: list[Dose] = []
    for j, item in enumerate(spec.treatments):
        if item.drug is None or item.route is None:
            continue
        times = schedule_times(item, f"{base}[{j}]")
        _check_within(times, protocol.duration_h)
        amount = item.dose.amount if item.dose is not None else 0.0
        per_kg = item.dose.per_kg if item.dose is not None else False
        infusion = item.infusion_h or 0.0
        doses += [Dose(t, item.drug, item.route, amount, per_kg, infusion, key) for t, key in times]
    _check_overlap([(d.time_h, d.time_h + d.infusion_h, d.key_path) for d in doses if d.infusion_h > 0], "infusion")
    dose_times = [d.time_h for d in doses]
    sessions: list[Session] = []
    for j, item in enumerate(spec.treatments):
        if item.therapy is None:
            continue
        times = schedule_times(item, f"{base}[{j}]", dose_times)
        days = [(t + day * HOURS_PER_DAY, key) for t, key in times for day in range(item.intensive_days)]
        _check_within(days, protocol.duration_h)
        sessions += [Session(t, item.session_hours, item.therapy, key) for t, key in days]
    _check_overlap([(s.start_h, s.start_h + s.duration_h, s.key_path) for s in sessions], "session")
    doses.sort(key=lambda d: d.time_h)
    sessions.sort(key=lambda s: s.start_h)
    return ArmEvents(spec.name, tuple(doses), tuple(sessions))


def unfinished_infusions(events: ArmEvents, duration_h: float) -> list[str]:
    """Warnings for the infusions of an arm that run past the end of the run, each saying how much is not given."""
    warnings = []
    for dose in events.doses:
        end = dose.time_h + dose.infusion_h
        if dose.infusion_h > 0 and end > duration_h + TIME_TOLERANCE_H:
            missing = (end - duration_h) / dose.infusion_h
            warnings.append(
                f"{dose.key_path}: the {format_hours(dose.infusion_h)} infusion from {format_hours(dose.time_h)} "
                f"runs past the end of the run at {format_hours(duration_h)}: {missing:.0%} of its dose is not given"
            )
    return warnings


def observation_times(protocol: Protocol) -> np.ndarray:
    """The observation times in hours: sorted, unique, within [0, duration], always including both ends.

    The grid is ``observe.every``: a step (0, step, 2 step, ..., duration), a list of times, or by default
    hourly over the first day and daily after it. The times of the endpoints (``at``, ``after``) are added so
    every endpoint is read at an observation.
    """
    duration = protocol.duration_h
    grid = protocol.observe.every_h
    if grid is None:
        first = np.arange(0.0, min(FIRST_DAY_H, duration) + TIME_TOLERANCE_H, DEFAULT_FIRST_DAY_STEP_H)
        later = np.arange(FIRST_DAY_H, duration + TIME_TOLERANCE_H, DEFAULT_LATER_STEP_H)
        times = np.concatenate([first, later])
    elif isinstance(grid, tuple):
        times = np.asarray(grid, dtype=float)
    else:
        count = min(int(np.floor(duration / grid + TIME_TOLERANCE_H)), MAX_OBSERVATIONS)
        times = np.arange(count + 1, dtype=float) * grid
    extra = [t for e in protocol.endpoints for t in (e.at_h, e.after_h) if t is not None]
    times = np.concatenate([times, [0.0, duration], extra])
    times = np.unique(np.clip(times, 0.0, duration))
    keep = np.concatenate([np.diff(times) > TIME_TOLERANCE_H, [True]])
    return times[keep]
