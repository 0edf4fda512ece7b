"""Trial endpoints (``spec/protocol.md``) as one number per patient, read off simulated time courses.

A dataset has dims (arm, patient, time), time in hours; rating scales arrive as a rater would record them (with
rater noise). The baseline is each patient's score at time 0. A patient *meets the response criterion* at a time
when the score has dropped by at least ``threshold`` percent of the baseline (default 50 %, 30 % for the PTSD
scales CAPS-5 and PCL-5); a baseline of 0 cannot drop, so such a patient never responds. *Remission* is a score
at or under the scale's cut-off (`REMISSION_CUTOFFS`) or the endpoint's ``threshold`` score.

Scores at an endpoint time (``at``, ``after``) are read by linear interpolation on the output grid; the protocol
adds every endpoint time to the grid, so they are read at an observation. Time-to-event endpoints use the
observations only: ``time_to_response`` is the first observation after time 0 that meets the response criterion
(censored at the last observation); ``time_to_relapse`` starts at ``after`` among the patients meeting the
criterion there, and relapse is the first later observation that no longer meets it (censored at the end).

The PK kinds (``cmax``, ``tmax``, ``auc``, ``time_above``) are read off the drug's exact dense course
(`ketasim.analysis.drug_levels`), not off the output grid.

A patient with any non-finite value in any output is *failed*: flagged and counted, and left out of every
endpoint (each endpoint reports the number of patients it counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ketasim.analysis.courses import value_at
from ketasim.analysis.drug_levels import pk_statistic
from ketasim.errors import KetasimError, UnsupportedError
from ketasim.parameters.references import (
    BOVIN2016,
    FRANK1991,
    KETASIM_JUDGEMENT,
    KROENKE2001,
    MATZA2010,
    SPITZER2006,
    ZIMMERMAN2004,
)
from ketasim.parameters.registry import Confidence, Reference
from ketasim.protocol.schema import Endpoint, Protocol
from ketasim.simulation.drug_levels import DrugLevels
from ketasim.vocabulary import PK_ENDPOINT_KINDS

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

BINARY_KINDS = ("response", "remission")
MEAN_KINDS = ("mean_change", "percent_change")
MEDIAN_KINDS = ("value", *PK_ENDPOINT_KINDS)
TIME_KINDS = ("time_to_response", "time_to_relapse")
DEFAULT_RESPONSE_DROP_PERCENT = 50.0
PTSD_RESPONSE_DROP_PERCENT = 30.0
PTSD_SCALES = ("caps5", "pcl5")
HOURS_PER_DAY = 24.0
_SCORE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class RemissionCutoff:
    """The default remission cut-off of a rating scale: remitted means a score at or under ``score``."""

    score: float
    rule: str
    reference: Reference
    confidence: Confidence
    note: str = ""


_JUDGEMENT = KETASIM_JUDGEMENT

REMISSION_CUTOFFS: dict[str, RemissionCutoff] = {
    "madrs": RemissionCutoff(
        9.0,
        "MADRS 9 or less (below 10)",
        ZIMMERMAN2004,
        "medium",
        "Optimal cut-off 9 or less for the broad DSM-IV definition of remission (4 or less for the narrow one); "
        "Hawley et al. 2002 (PMID 12200208) found <9 and <10 about equally valid. Trials also use 10 or 12 "
        "(e.g. 12 in TRANSFORM-2): give `threshold` to use a trial's own definition.",
    ),
    "hamd17": RemissionCutoff(
        7.0,
        "HAM-D17 7 or less",
        FRANK1991,
        "medium",
        "The consensus operational criterion (used e.g. by STAR*D); Riedel et al. 2010 (doi "
        "10.1016/j.jpsychires.2010.03.006) found 6 or less optimal against CGI-S and largely confirmed it.",
    ),
    "phq9": RemissionCutoff(
        4.0,
        "PHQ-9 below 5",
        KROENKE2001,
        "high",
        "Scores of 5, 10, 15 and 20 mark mild, moderate, moderately severe and severe depression.",
    ),
    "ham_a": RemissionCutoff(
        7.0,
        "HAM-A 7 or less",
        MATZA2010,
        "medium",
        "Scores of 7 or less represent no or minimal anxiety (mild 8-14, moderate 15-23, severe 24 or more).",
    ),
    "gad7": RemissionCutoff(
        4.0,
        "GAD-7 below 5",
        SPITZER2006,
        "high",
        "Scores of 5, 10 and 15 are the cut points for mild, moderate and severe anxiety.",
    ),
    "pcl5": RemissionCutoff(
        30.0,
        "PCL-5 30 or less (below the probable-PTSD cut-off)",
        BOVIN2016,
        "medium",
        "Scores of 31 to 33 were optimally efficient for diagnosing PTSD against CAPS-5; below 31 is read as no "
        "probable PTSD. This is loss of probable diagnosis, not a validated remission definition.",
    ),
    "caps5": RemissionCutoff(
        19.0,
        "CAPS-5 19 or less (mean item severity below 1)",
        _JUDGEMENT,
        "low",
        "No validated CAPS-5 total-score remission cut-off was found. CAPS-5 rates 20 symptoms 0-4, a symptom "
        "counting at 2 (moderate/threshold) or more (Weathers et al. 2015, the CAPS-5 instrument, National Center "
        "for PTSD); a total of 19 or less keeps the mean item below 1 (mild/subthreshold). Give `threshold` to use "
        "a trial's own definition.",
    ),
}


@dataclass(frozen=True)
class PatientValues:
    """One endpoint's value for every patient of one arm.

    ``values``: 1 or 0 for response and remission, points for ``mean_change``, percent for ``percent_change``,
    the output's unit for ``value``, and days to the event or to censoring for time-to-event kinds.
    ``events`` (time-to-event kinds only) says which times are events. ``included`` marks the patients the
    endpoint counts: not failed, and for ``time_to_relapse`` meeting the response criterion at ``after``;
    ``values`` is NaN elsewhere.
    """

    endpoint: Endpoint
    values: FloatArray
    included: BoolArray
    events: BoolArray | None = None

    @property
    def n(self) -> int:
        """The number of patients counted."""
        return int(np.count_nonzero(self.included))

    def counted(self) -> FloatArray:
        """The values of the patients counted."""
        return self.values[self.included]


def response_threshold_percent(endpoint: Endpoint) -> float:
    """The drop from baseline, in percent, that counts as response for this endpoint."""
    if endpoint.threshold is not None:
        return float(endpoint.threshold)
    return PTSD_RESPONSE_DROP_PERCENT if endpoint.scale in PTSD_SCALES else DEFAULT_RESPONSE_DROP_PERCENT


def remission_cutoff(endpoint: Endpoint) -> float:
    """The score at or under which a patient is in remission for this endpoint."""
    if endpoint.threshold is not None:
        return float(endpoint.threshold)
    return REMISSION_CUTOFFS[str(endpoint.scale)].score


def cutoff_references(endpoints: list[Endpoint]) -> list[Reference]:
    """The sources of the default remission cut-offs these endpoints use, each once."""
    found: dict[str, Reference] = {}
    for endpoint in endpoints:
        if endpoint.kind == "remission" and endpoint.threshold is None:
            reference = REMISSION_CUTOFFS[str(endpoint.scale)].reference
            found.setdefault(reference.key, reference)
    return list(found.values())


def meets_response(baseline: FloatArray, score: FloatArray, threshold_percent: float) -> BoolArray:
    """Whether ``score`` is at least ``threshold_percent`` % below a positive ``baseline`` (broadcasting)."""
    with np.errstate(invalid="ignore"):
        drop = baseline - score
        needed = threshold_percent / 100.0 * baseline - _SCORE_TOLERANCE * np.maximum(1.0, np.abs(baseline))
        return np.asarray((baseline > 0) & (drop >= needed), dtype=bool)


def failed_patients(dataset: Any) -> BoolArray:
    """Patients with any non-finite value in any time course, shape (arm, patient)."""
    arms, patients = int(dataset.sizes["arm"]), int(dataset.sizes["patient"])
    failed = np.zeros((arms, patients), dtype=bool)
    for name in dataset.data_vars:
        variable = dataset[name]
        if set(variable.dims) != {"arm", "patient", "time"} or not np.issubdtype(variable.dtype, np.number):
            continue
        values = np.asarray(variable.transpose("arm", "patient", ...).values, dtype=np.float64)
        failed |= ~np.isfinite(values.reshape(arms, patients, -1)).all(axis=2)
    return failed


def find_endpoint(protocol: Protocol, name: str) -> Endpoint:
    """The protocol's endpoint called ``name``; an error with a did-you-mean hint if there is none."""
    for endpoint in protocol.endpoints:
        if endpoint.name == name:
            return endpoint
    names = [e.name for e in protocol.endpoints]
    close = get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"the protocol's endpoints are: {', '.join(names) or 'none'}"
    raise KetasimError(f"endpoint {name!r} is not in protocol {protocol.name!r} ({hint})")


def endpoint_values(endpoint: Endpoint, time_h: FloatArray, courses: FloatArray, failed: BoolArray) -> PatientValues:
    """Every patient's value of ``endpoint`` from courses of the scale or output it reads.

    Parameters
    ----------
    endpoint
        A protocol endpoint.
    time_h
        The output grid in hours, strictly increasing, starting at 0 for scale endpoints.
    courses
        The measured scale or output, shape (patient, time).
    failed
        Failed patients (left out), shape (patient,).
    """
    time = np.asarray(time_h, dtype=np.float64)
    scores = np.asarray(courses, dtype=np.float64)
    ok = ~np.asarray(failed, dtype=bool)
    if endpoint.kind == "value":
        return _masked(endpoint, value_at(time, scores, float(endpoint.at_h or 0.0), "at"), ok)
    baseline = value_at(time, scores, 0.0, "baseline")
    if endpoint.kind in TIME_KINDS:
        return _time_to_event(endpoint, time, scores, baseline, ok)
    score = value_at(time, scores, float(endpoint.at_h or 0.0), "at")
    if endpoint.kind == "response":
        values = meets_response(baseline, score, response_threshold_percent(endpoint)).astype(np.float64)
    elif endpoint.kind == "remission":
        values = (score <= remission_cutoff(endpoint) + _SCORE_TOLERANCE).astype(np.float64)
    elif endpoint.kind == "mean_change":
        values = score - baseline
    elif endpoint.kind == "percent_change":
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(baseline > 0, 100.0 * (score - baseline) / np.where(baseline > 0, baseline, 1.0), np.nan)
        ok = ok & (baseline > 0)
    else:
        raise ValueError(f"unknown endpoint kind {endpoint.kind!r}")
    return _masked(endpoint, values, ok)


def _masked(endpoint: Endpoint, values: FloatArray, ok: BoolArray, events: BoolArray | None = None) -> PatientValues:
    included = ok & np.isfinite(values)
    return PatientValues(endpoint, np.where(included, values, np.nan), included, events)


def _first_true(hits: BoolArray, times: FloatArray, censor: float) -> tuple[FloatArray, BoolArray]:
    """Per row: the time of the first True column, or ``censor``; and whether there was one."""
    happened = np.asarray(hits.any(axis=1), dtype=bool)
    if times.size == 0:
        return np.full(hits.shape[0], censor), happened
    first = np.argmax(hits, axis=1)
    return np.asarray(np.where(happened, times[first], censor), dtype=np.float64), happened


def _time_to_event(
    endpoint: Endpoint, time: FloatArray, scores: FloatArray, baseline: FloatArray, ok: BoolArray
) -> PatientValues:
    threshold = response_threshold_percent(endpoint)
    if endpoint.kind == "time_to_response":
        later = time > 0.0
        hits = meets_response(baseline[:, np.newaxis], scores[:, later], threshold)
        hours, events = _first_true(hits, time[later], float(time[-1]))
    else:
        after = float(endpoint.after_h or 0.0)
        responding = meets_response(baseline, value_at(time, scores, after, "after"), threshold)
        later = time > after + _SCORE_TOLERANCE * max(1.0, after)
        lost = ~meets_response(baseline[:, np.newaxis], scores[:, later], threshold)
        ended, events = _first_true(lost, time[later], float(time[-1]))
        hours = ended - after
        ok = ok & responding
    return _masked(endpoint, hours / HOURS_PER_DAY, ok, events & ok)


def arm_values(
    dataset: Any, arm: str, endpoint: Endpoint, failed: BoolArray | None = None, levels: DrugLevels | None = None
) -> PatientValues:
    """Every patient's value of ``endpoint`` in ``arm`` of a simulated dataset.

    A PK endpoint reads ``levels``, the arm's dense drug levels (`ketasim.analysis.drug_levels.endpoint_levels`).

    Raises
    ------
    UnsupportedError
        The dataset lacks the scale or output the endpoint reads (not simulated yet).
    KetasimError
        ``arm`` is not in the dataset.
    """
    measured = endpoint.measured
    if endpoint.kind in PK_ENDPOINT_KINDS:
        if levels is None:
            raise ValueError(f"endpoint {endpoint.name!r} needs the arm's dense drug levels")
        if failed is None:
            failed = failed_patients(dataset)[_arm_names(dataset).index(arm)]
        numbers = pk_statistic(endpoint.kind, levels, measured, endpoint.window_h, endpoint.above)
        return _masked(endpoint, numbers, ~np.asarray(failed, dtype=bool))
    if measured not in dataset.data_vars:
        raise UnsupportedError(
            f"endpoint {endpoint.name!r} reads {measured!r}, which this simulation did not produce "
            "(not simulated yet, or left out of observe.outputs)"
        )
    arms = _arm_names(dataset)
    if arm not in arms:
        raise KetasimError(f"arm {arm!r} is not in the simulation (arms: {', '.join(arms)})")
    if failed is None:
        failed = failed_patients(dataset)[arms.index(arm)]
    courses = dataset[measured].sel(arm=arm).transpose("patient", "time").values
    time_h = np.asarray(dataset["time"].values, dtype=np.float64)
    return endpoint_values(endpoint, time_h, courses, failed)


def _arm_names(dataset: Any) -> list[str]:
    return [str(a) for a in np.asarray(dataset["arm"].values).ravel()]
