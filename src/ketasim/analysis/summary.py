"""Summaries of a virtual trial: every arm's endpoint estimates, the arm comparisons, ``summary.json``
(``spec/cli.md``), the per-patient table of ``patients.parquet``, and the single numbers validation targets read
(an endpoint's estimate in one arm, or a statistic across the arm's patients of its per-patient values).

Comparisons cover every pair of arms in protocol order, as the earlier arm minus the later one. Bootstraps use a
generator seeded from the run's seed, the endpoint and the pair of arms, so the same protocol and seed give the
same numbers.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ketasim.analysis.drug_levels import endpoint_levels
from ketasim.analysis.endpoints import (
    MEAN_KINDS,
    MEDIAN_KINDS,
    TIME_KINDS,
    PatientValues,
    arm_values,
    failed_patients,
    find_endpoint,
)
from ketasim.analysis.predictive import PredictiveIntervals
from ketasim.analysis.statistics import Comparison, Estimate, Interval, compare, estimate
from ketasim.errors import KetasimError, TargetsError
from ketasim.protocol.schema import Protocol
from ketasim.version import __version__

COVARIATE_DIMS = ("arm", "patient")
PER_PATIENT_KINDS = MEAN_KINDS + MEDIAN_KINDS  # endpoints whose per-patient values have an SD and fractions


@dataclass(frozen=True)
class TrialAnalysis:
    """Everything computed from one simulated trial.

    ``failed`` flags failed patients, shape (arm, patient); ``values`` and ``estimates`` are keyed by arm, then
    by endpoint name, in protocol order.
    """

    protocol: str
    seed: int
    arms: tuple[str, ...]
    patients_per_arm: int
    failed: NDArray[np.bool_]
    values: dict[str, dict[str, PatientValues]]
    estimates: dict[str, dict[str, Estimate]]
    comparisons: tuple[Comparison, ...]

    @property
    def failed_count(self) -> int:
        """The number of failed patients over all arms."""
        return int(np.count_nonzero(self.failed))


def _arm_names(dataset: Any) -> tuple[str, ...]:
    return tuple(str(a) for a in np.asarray(dataset["arm"].values).ravel())


def comparison_seed(seed: int, endpoint: str, first: int, second: int) -> np.random.Generator:
    """The generator of one comparison's bootstrap: a function of the seed, the endpoint and the two arms."""
    return np.random.default_rng([int(seed), zlib.crc32(endpoint.encode()), first, second])


def analyse(protocol: Protocol, dataset: Any, *, seed: int | None = None) -> TrialAnalysis:
    """Every endpoint of ``protocol`` in every arm of ``dataset``, and the comparisons of every pair of arms.

    Parameters
    ----------
    protocol
        The protocol that was simulated (its endpoints are computed).
    dataset
        The simulated time courses, dims (arm, patient, time).
    seed
        Seed of the bootstraps (default: the dataset's ``seed`` attribute, else the protocol's seed).
    """
    root = seed if seed is not None else int(dataset.attrs.get("seed", protocol.seed))
    arms = _arm_names(dataset)
    failed = failed_patients(dataset)
    values = {}
    for k, arm in enumerate(arms):
        levels = endpoint_levels(protocol, dataset, arm)
        values[arm] = {e.name: arm_values(dataset, arm, e, failed[k], levels) for e in protocol.endpoints}
    return analyse_values(protocol, arms, values, failed, root)


def analyse_values(
    protocol: Protocol,
    arms: tuple[str, ...],
    values: dict[str, dict[str, PatientValues]],
    failed: NDArray[np.bool_],
    seed: int,
) -> TrialAnalysis:
    """Estimates and comparisons from every patient's endpoint values (keyed by arm, then endpoint name)."""
    estimates = {arm: {name: estimate(v) for name, v in values[arm].items()} for arm in arms}
    comparisons = [
        compare(values[a][e.name], values[b][e.name], (a, b), comparison_seed(seed, e.name, i, j))
        for e in protocol.endpoints
        for i, a in enumerate(arms)
        for j, b in enumerate(arms)
        if i < j
    ]
    return TrialAnalysis(
        protocol=protocol.name,
        seed=seed,
        arms=arms,
        patients_per_arm=int(failed.shape[1]),
        failed=failed,
        values=values,
        estimates=estimates,
        comparisons=tuple(comparisons),
    )


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _interval(interval: Interval) -> list[float | None]:
    return [_number(interval[0]), _number(interval[1])]


def estimate_entry(values: PatientValues, result: Estimate, pi95: Interval | None = None) -> dict[str, Any]:
    """One endpoint of one arm as in ``summary.json``; with ``pi95``, the predictive interval beside ``ci95``."""
    endpoint = values.endpoint
    entry: dict[str, Any] = {"kind": endpoint.kind}
    entry["scale" if endpoint.scale is not None else "output"] = endpoint.measured
    value_key = "value_days" if endpoint.kind in TIME_KINDS else "value"
    entry.update({value_key: _number(result.value), "ci95": _interval(result.ci95)})
    if pi95 is not None:
        entry["pi95"] = _interval(pi95)
    if endpoint.kind in TIME_KINDS:
        entry.update(n_at_risk=result.n_at_risk, events=result.events)
    else:
        entry["n"] = result.n
    return entry


def summary_dict(
    analysis: TrialAnalysis, seconds: float, predictive: PredictiveIntervals | None = None
) -> dict[str, Any]:
    """The content of ``summary.json``: rates as fractions, changes in points, times in days; null = undefined.

    With ``predictive`` (posterior draws, `ketasim.analysis.predictive`), every endpoint and comparison gains its
    ``pi95`` beside ``ci95`` and the summary an ``uncertainty`` entry giving the number of draws.
    """
    arms = {
        arm: {
            "endpoints": {
                name: estimate_entry(
                    analysis.values[arm][name],
                    result,
                    predictive.estimates[arm][name] if predictive is not None else None,
                )
                for name, result in analysis.estimates[arm].items()
            }
        }
        for arm in analysis.arms
    }
    comparisons = []
    for c in analysis.comparisons:
        entry: dict[str, Any] = {"endpoint": c.endpoint, "arms": list(c.arms), "difference": _number(c.difference)}
        entry["ci95"] = _interval(c.ci95)
        if predictive is not None:
            entry["pi95"] = _interval(predictive.comparisons[(c.endpoint, *c.arms)])
        entry["effect_size_g"] = _number(c.effect_size_g)
        comparisons.append(entry)
    uncertainty = {} if predictive is None else {"uncertainty": {"draws": predictive.draws}}
    return {
        "ketasim": __version__,
        "protocol": analysis.protocol,
        "seed": analysis.seed,
        "patients_per_arm": analysis.patients_per_arm,
        "failed_patients": analysis.failed_count,
        "arms": arms,
        "comparisons": comparisons,
        **uncertainty,
        "seconds": round(float(seconds), 3),
    }


def patient_table(values: dict[str, dict[str, PatientValues]], failed: NDArray[np.bool_], dataset: Any) -> Any:
    """One row per patient: arm, patient, failed, every covariate present and every endpoint's value.

    ``values`` is keyed by arm, then endpoint name; ``failed`` has shape (arm, patient) of ``dataset``.
    Covariates are the dataset's variables with dims (arm, patient). Response and remission are booleans;
    time-to-event endpoints give the days to the event or to censoring and a ``<name>_event`` column; a value
    the endpoint does not count (failed patient, not at risk) is missing. `values_from_table` reads it back.
    """
    import pandas as pd

    arms = _arm_names(dataset)
    patients = int(dataset.sizes["patient"])
    columns: dict[str, Any] = {
        "arm": pd.Categorical(np.repeat(arms, patients), categories=list(arms)),
        "patient": np.tile(np.asarray(dataset["patient"].values), len(arms)),
        "failed": failed.ravel(),
    }
    for name in dataset.data_vars:
        variable = dataset[name]
        if set(variable.dims) == set(COVARIATE_DIMS):
            columns[str(name)] = np.asarray(variable.transpose(*COVARIATE_DIMS).values).ravel()
    for endpoint_name in next(iter(values.values()), {}):
        per_arm = [values[arm][endpoint_name] for arm in arms]
        kind = per_arm[0].endpoint.kind
        stacked = np.concatenate([v.values for v in per_arm])
        included = np.concatenate([v.included for v in per_arm])
        if kind in ("response", "remission"):
            columns[endpoint_name] = pd.array(np.where(included, stacked > 0.5, False), dtype="boolean")
            columns[endpoint_name][~included] = pd.NA
        else:
            columns[endpoint_name] = np.where(included, stacked, np.nan)
        if kind in TIME_KINDS:
            events = np.concatenate(
                [v.events if v.events is not None else np.zeros(v.values.shape, bool) for v in per_arm]
            )
            column = pd.array(events, dtype="boolean")
            column[~included] = pd.NA
            columns[f"{endpoint_name}_event"] = column
    return pd.DataFrame(columns)


def values_from_table(
    protocol: Protocol, table: Any, arms: tuple[str, ...]
) -> tuple[dict[str, dict[str, PatientValues]], NDArray[np.bool_]]:
    """The per-patient endpoint values and failure flags (arm, patient) of a table written by `patient_table`."""
    values: dict[str, dict[str, PatientValues]] = {}
    failed = []
    for arm in arms:
        rows = table[table["arm"] == arm].sort_values("patient")
        failed.append(rows["failed"].to_numpy(dtype=bool))
        values[arm] = {}
        for endpoint in protocol.endpoints:
            column = rows[endpoint.name]
            included = column.notna().to_numpy()
            numbers = column.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
            events = None
            if endpoint.kind in TIME_KINDS:
                events = rows[f"{endpoint.name}_event"].fillna(False).to_numpy(dtype=bool)
            values[arm][endpoint.name] = PatientValues(endpoint, numbers, included, events)
    return values, np.array(failed)


def _arm_endpoint_values(protocol: Protocol, dataset: Any, arm: str, endpoint: str) -> PatientValues:
    """Every patient's value of one endpoint in one arm, refusing an arm with failed patients."""
    chosen = find_endpoint(protocol, endpoint)
    arms = list(_arm_names(dataset))
    if arm not in arms:
        raise KetasimError(f"arm {arm!r} is not in the simulation (arms: {', '.join(arms)})")
    failed = failed_patients(dataset)[arms.index(arm)]
    if failed.any():
        count = int(np.count_nonzero(failed))
        raise KetasimError(f"endpoint {endpoint!r}: {count} patients of arm {arm!r} failed (non-finite outputs)")
    return arm_values(dataset, arm, chosen, failed, endpoint_levels(protocol, dataset, arm))


def endpoint_value(protocol: Protocol, dataset: Any, arm: str, endpoint: str) -> float:
    """The estimate of one endpoint in one arm: a fraction, a mean or median, or a median time in days.

    Raises
    ------
    KetasimError
        The endpoint or arm is unknown, some patients of the arm failed (never dropped silently), or the value is
        undefined (no patients counted, a median not reached by the end).
    """
    values = _arm_endpoint_values(protocol, dataset, arm, endpoint)
    result = estimate(values)
    if result.value is None:
        kind = values.endpoint.kind
        reason = "the median is not reached by the end" if kind in TIME_KINDS else "no patient counts"
        raise KetasimError(f"endpoint {endpoint!r} of arm {arm!r} is undefined: {reason}")
    return float(result.value)


def endpoint_statistic(
    protocol: Protocol,
    dataset: Any,
    arm: str,
    endpoint: str,
    statistic: str,
    threshold: float | None = None,
    *,
    key_path: str = "",
) -> float:
    """A statistic across one arm's patients of an endpoint's per-patient values.

    ``sd``: the sample standard deviation (n - 1); ``fraction_below`` / ``fraction_above``: the fraction of the
    patients counted whose value is strictly below / above ``threshold``. Only endpoints with one number per
    patient on a continuous scale have these (`PER_PATIENT_KINDS`: mean_change, percent_change, value).

    Raises
    ------
    TargetsError
        The endpoint's kind has no such per-patient values (at ``<key_path>.statistic``).
    KetasimError
        As `endpoint_value`, or too few patients are counted.
    """
    values = _arm_endpoint_values(protocol, dataset, arm, endpoint)
    kind = values.endpoint.kind
    if kind not in PER_PATIENT_KINDS:
        prefix = f"{key_path}." if key_path else ""
        raise TargetsError(
            f"{prefix}statistic",
            f"statistic {statistic!r} needs one number per patient, but endpoint {endpoint!r} is of kind {kind!r}",
            f"use an endpoint of kind {', '.join(PER_PATIENT_KINDS)}",
        )
    return patient_statistic(values.counted(), statistic, threshold)


def patient_statistic(numbers: NDArray[np.float64], statistic: str, threshold: float | None = None) -> float:
    """``sd`` of per-patient numbers, or the fraction of them strictly below or above ``threshold``."""
    if statistic == "sd":
        if numbers.size < 2:
            raise KetasimError(f"an SD across patients needs at least 2 patients counted, got {numbers.size}")
        return float(np.std(numbers, ddof=1))
    if statistic not in ("fraction_below", "fraction_above") or threshold is None:
        raise ValueError(f"unknown statistic {statistic!r} or missing threshold")
    if numbers.size == 0:
        raise KetasimError("no patient counts")
    hits = numbers < threshold if statistic == "fraction_below" else numbers > threshold
    return float(np.count_nonzero(hits) / numbers.size)
