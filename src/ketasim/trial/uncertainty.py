"""A trial over posterior draws of the calibrated parameters: each draw's per-patient endpoint values.

Every draw is a parameter set (the protocol's own set with the draw's values; a parameter the protocol overrides
keeps the protocol's value) and every draw sees the same patients, covariates and rater noise as the trial's run
with the protocol's set (common random numbers). The draws travel along the simulation layer's parameter axis:
each engine call holds a group of draws times one batch of patients (about `BATCH_SIZE` rows, as
`ketasim.validation.runner.BatchRunner` cuts them), one compiled program for all, and the calls run side by side
on `engine_threads` threads. Each call is reduced at once to its rows of the per-patient table, so memory holds
the tables, not the time courses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ketasim.analysis.courses import band_over_patients
from ketasim.analysis.predictive import DrawValues
from ketasim.analysis.summary import values_from_table
from ketasim.engine.grid import StepPolicy
from ketasim.parameters.registry import ParameterSet
from ketasim.protocol.run_size import check_trial_size
from ketasim.protocol.schema import Protocol
from ketasim.simulation.plan import plan_arm
from ketasim.simulation.run import BATCH_SIZE, batch_size, engine_threads, simulate_range
from ketasim.trial.chunks import REPORT_PATIENTS, ChunkTask, patient_rows
from ketasim.vocabulary import SCALES


def draw_sets(pset: ParameterSet, draws: Sequence[Mapping[str, float]], fixed: Sequence[str]) -> list[ParameterSet]:
    """``pset`` with each draw's values, named ``<set>+draw<k>``; the parameters in ``fixed`` keep their value."""
    sets = []
    for k, draw in enumerate(draws):
        values = {name: value for name, value in draw.items() if name not in fixed}
        sets.append(replace(pset.with_overrides(values, "posterior draw"), name=f"{pset.name}+draw{k}"))
    return sets


def check_draws_size(protocol: Protocol, patients: int, draws: int) -> None:
    """Refuse a run over draws that would not fit in memory: the engine calls in flight and every draw's table."""
    per_call = _per_call(patients)
    check_trial_size(protocol, patients * draws, per_call * batch_size(patients), engine_threads(), 0, "--patients")


def _per_call(patients: int) -> int:
    """Draws per engine call: as many as fill one engine batch of `BATCH_SIZE` rows."""
    return max(1, BATCH_SIZE // batch_size(patients))


@dataclass(frozen=True)
class DrawRun:
    """What a trial over posterior draws keeps: every draw's endpoint values and, per arm and rating scale, each
    draw's median course over the arm's first `REPORT_PATIENTS` patients, shape (draws, observations)."""

    values: list[DrawValues]
    medians: dict[str, dict[str, np.ndarray]]


def simulate_draws(
    protocol: Protocol,
    draws: Sequence[Mapping[str, float]],
    *,
    patients: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> DrawRun:
    """Every patient's endpoint values under each draw, the same patients for every draw, and the draws' median
    courses of the rating scales.

    Parameters
    ----------
    protocol
        A loaded protocol.
    draws
        Parameter values by name per draw, on top of the protocol's parameter set.
    patients
        Patients per arm.
    seed
        Root seed: the patients are those of the trial with this seed.
    progress
        Called with the number of patient-simulations (patients times draws) finished after each engine call.
    """
    arms = tuple(arm.name for arm in protocol.arms)
    plans = [plan_arm(protocol, k, StepPolicy()) for k in range(len(arms))]
    fixed = tuple(protocol.population.parameter_overrides)
    sets = [draw_sets(plan.pset, draws, fixed) for plan in plans]
    batch = batch_size(patients)
    groups = -(-len(draws) // _per_call(patients))
    edges = [round(g * len(draws) / groups) for g in range(groups + 1)]
    work = [
        (ChunkTask(arm, first, min(batch, patients - first), batch, seed), a, b)
        for arm in range(len(arms))
        for first in range(0, patients, batch)
        for a, b in zip(edges, edges[1:], strict=False)
    ]

    scales = [name for name in SCALES if name in protocol.observe.outputs]

    def one_call(item: tuple[ChunkTask, int, int]) -> list[tuple[Any, dict[str, np.ndarray]]]:
        task, a, b = item
        plan = plans[task.arm]
        chosen = sets[task.arm][a:b]
        arrays = simulate_range(protocol, plan, task.first, task.count, task.batch, task.seed, chosen)
        shown = max(0, min(task.count, REPORT_PATIENTS - task.first))
        results = []
        for k, pset in enumerate(chosen):
            one = {name: values[k] for name, values in arrays.items()}
            table, _ = patient_rows(protocol, replace(plan, pset=pset), task, one)
            results.append((table, {name: one[name][:shown] for name in scales}))
        return results

    tables: list[list[Any]] = [[] for _ in draws]
    courses: dict[tuple[int, str, str], list[np.ndarray]] = {}
    with ThreadPoolExecutor(engine_threads()) as pool:
        for (task, a, b), rows in zip(work, pool.map(one_call, work), strict=True):
            for k, (table, shown) in enumerate(rows, start=a):
                tables[k].append(table)
                for name, values in shown.items():
                    courses.setdefault((k, arms[task.arm], name), []).append(values)
            if progress is not None:
                progress(task.count * (b - a))
    medians = {
        arm: {
            name: np.stack(
                [band_over_patients(np.concatenate(courses[(k, arm, name)])).median for k in range(len(draws))]
            )
            for name in scales
        }
        for arm in arms
    }
    return DrawRun([_values(protocol, arms, parts) for parts in tables], medians)


def _values(protocol: Protocol, arms: tuple[str, ...], parts: list[Any]) -> DrawValues:
    """One draw's endpoint values from its table rows (arm by arm, in patient order)."""
    import pandas as pd

    values, _ = values_from_table(protocol, pd.concat(parts, ignore_index=True), arms)
    return values
