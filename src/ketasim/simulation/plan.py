"""Plan an arm: everything its patients share (parameters, dose kinds, time grid, per-step inputs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketasim.engine.grid import StepPolicy, TimeGrid, build_grid
from ketasim.engine.run import Schedule
from ketasim.engine.schedule import Input, build_schedule
from ketasim.models.model import SIGNALS, Composition, compose
from ketasim.models.pk import DoseKind
from ketasim.models.signals import signal_intervals
from ketasim.parameters.catalogue import Catalogue
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol import ArmEvents, Dose, Protocol, arm_events, observation_times
from ketasim.protocol.parameter_choice import resolve_parameter_set


def dose_kind(dose: Dose) -> DoseKind:
    """The kind of a dose: where one unit of it goes."""
    return DoseKind(dose.drug, dose.route, dose.per_kg)


def drug_inputs(doses: Sequence[Dose], kinds: list[DoseKind]) -> list[Input]:
    """The engine inputs of the doses that carry a drug (placebo doses carry none), one unit kind each."""
    return [Input(d.time_h, kinds.index(dose_kind(d)), d.amount, d.infusion_h) for d in doses if d.drug != "placebo"]


@dataclass(frozen=True)
class ArmPlan:
    """Everything about an arm that all its patients share: drugs, model, parameters, dose kinds, grid, inputs."""

    index: int
    events: ArmEvents
    catalogue: Catalogue
    composition: Composition
    pset: ParameterSet
    routes: dict[str, set[str]]
    kinds: list[DoseKind]
    grid: TimeGrid
    schedule: Schedule
    derivative_dtype: str


def plan_arm(protocol: Protocol, arm: int, policy: StepPolicy) -> ArmPlan:
    """Events, grid and per-step inputs of one arm."""
    events = arm_events(protocol, arm)
    drugged = [d for d in events.doses if d.drug != "placebo"]
    routes: dict[str, set[str]] = {}
    for dose in drugged:
        routes.setdefault(dose.drug, set()).add(dose.route)
    kinds = sorted({dose_kind(d) for d in drugged}, key=lambda k: (k.drug, k.route, k.per_kg))
    intervals = signal_intervals(events)
    edges = [d.time_h for d in events.doses] + [d.time_h + d.infusion_h for d in events.doses if d.infusion_h > 0]
    edges += [t for spans in intervals.values() for span in spans for t in span]
    catalogue = protocol.catalogue
    fast = [t for d in events.doses if is_fast(catalogue, d.drug) for t in (d.time_h, d.time_h + d.infusion_h)]
    grid = build_grid(protocol.duration_h, observation_times(protocol), np.array(edges), np.array(fast), policy)
    schedule = build_schedule(drug_inputs(events.doses, kinds), len(kinds), grid, SIGNALS, intervals)
    pset = resolve_parameter_set(protocol.population, catalogue)
    return ArmPlan(
        arm, events, catalogue, compose(catalogue), pset, routes, kinds, grid, schedule, policy.derivative_dtype
    )


def is_fast(catalogue: Catalogue, drug: str) -> bool:
    """Whether ``drug``'s effects change within minutes of a dose (the engine then steps finely)."""
    return drug in catalogue.drugs and catalogue.drugs[drug].fast
