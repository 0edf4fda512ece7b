"""Patient history files (``spec/patient-history.md``): read, validate, and turn into a one-arm protocol.

A history is one pseudonymous patient's treatment so far and the scores measured: a CSV file with a header row
(or a JSON list of records with the same columns), one row per event (``dose``, ``session`` or ``score``).
The patient facts (``condition`` and covariates) come from a small YAML or JSON mapping beside it, or from
``key=value`` pairs. Every problem is one `HistoryError` line naming the row and column (or the key of the facts)
and the fix; nothing identifying is accepted: columns or keys such as names, birth dates or contact details are
refused with `IdentifyingDataError`.

Rows are numbered from 1 for the first record; for CSV files the line in the file is given too (the header is
line 1). Scores at or before the first treatment (time 0 or negative times) are the baseline.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from ketasim.errors import InputError
from ketasim.protocol import arm_events
from ketasim.protocol.distributions import Distribution, covariate_distribution
from ketasim.protocol.events import Dose, Session
from ketasim.protocol.fields import MAX_DURATION_H, MAX_DURATION_YEARS, describe, format_hours, name_text, suggest
from ketasim.protocol.loading import MAX_NESTING, check_structure, protocol_error, read_mapping
from ketasim.protocol.presets import condition_covariates
from ketasim.protocol.treatments import INTENSIVE, Treatment
from ketasim.units import parse_quantity
from ketasim.vocabulary import CONDITIONS, COVARIATES, SCALE_RANGES, SCALES

EVENTS = ("dose", "session", "score")
COLUMNS = ("time", "event", "drug", "route", "dose", "infusion", "therapy", "session", "scale", "value", "combine")
EVENT_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # required, optional
    "dose": (("drug", "route"), ("dose", "infusion")),
    "session": (("therapy", "session"), ()),
    "score": (("scale", "value"), ("combine",)),
}
COMBINE = ("mean", "each")
"""How scores of one scale at one time are combined: their mean as one score, or each as its own rating."""
MAX_HISTORY_ROWS = 500
"""Most rows a history may have (``spec/patient-history.md``)."""
EARLIEST_SCORE_WEEKS = 12
"""Scores may precede the first treatment by 12 weeks at most: earlier ones are no baseline."""
# Column or key names that identify a person; normalised (lower case, runs of non-letters as "_").
IDENTIFYING_NAMES = frozenset(
    {
        "name",
        "first_name",
        "firstname",
        "given_name",
        "last_name",
        "lastname",
        "surname",
        "family_name",
        "full_name",
        "patient_name",
        "initials",
        "birth_date",
        "birthdate",
        "date_of_birth",
        "dob",
        "birthday",
        "birth",
        "address",
        "street",
        "city",
        "zip",
        "zip_code",
        "postcode",
        "postal_code",
        "phone",
        "telephone",
        "phone_number",
        "mobile",
        "cell",
        "email",
        "e_mail",
        "mail",
        "contact",
        "ssn",
        "social_security_number",
        "nhs_number",
        "mrn",
        "medical_record_number",
        "insurance_number",
        "passport",
    }
)
IDENTIFYING_PARTS = ("name", "birth", "address", "phone", "mail", "street", "postcode", "zip", "contact", "ssn")
FACT_KEYS = ("condition", *COVARIATES)
ISO_START = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
PRIVACY_FIX = "remove it: the file may carry only a pseudonymous id, in its file name"
Record = tuple[int, int | None, dict[str, Any]]  # row number, line in a CSV file (None for JSON), cells


class HistoryError(InputError):
    """A patient history or its facts break a rule of ``spec/patient-history.md``."""


class IdentifyingDataError(HistoryError):
    """A history or facts file carries a column or key that identifies a person (a name, birth date, contact)."""


@dataclass(frozen=True)
class PatientFacts:
    """What the model needs to know about the patient: the condition and the covariates given (engine units).

    ``covariates`` maps covariate names of ``spec/protocol.md`` (``weight`` in kg, ``age`` in years, yes/no as
    0 or 1) to the patient's value; covariates not given take the condition's typical value.
    """

    condition: str
    covariates: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    """One recorded rating: when (hours from the first treatment), which scale, the value, its row, and how it is
    combined with other scores of its scale at its time (`COMBINE`; None when the row does not say)."""

    time_h: float
    scale: str
    value: float
    row: str
    combine: str | None = None


@dataclass(frozen=True)
class PatientHistory:
    """A validated history: doses and sessions given (as protocol events) and the scores recorded, in time order.

    ``treatments`` holds one protocol treatment item (a mapping with an ``at`` list) per row, in file notation,
    so that it can go into a protocol arm as it is.
    """

    patient: str
    doses: tuple[Dose, ...]
    sessions: tuple[Session, ...]
    scores: tuple[Score, ...]
    treatments: tuple[dict[str, Any], ...]

    @property
    def scales(self) -> tuple[str, ...]:
        """The scales recorded, most often recorded first (ties in the order of the output vocabulary)."""
        counts = {s: sum(1 for x in self.scores if x.scale == s) for s in SCALES}
        return tuple(sorted((s for s in SCALES if counts[s]), key=lambda s: -counts[s]))

    @property
    def end_h(self) -> float:
        """Time of the last row (hours from the first treatment, 0 at least)."""
        times = [d.time_h for d in self.doses] + [s.start_h for s in self.sessions] + [x.time_h for x in self.scores]
        return max([0.0, *times])

    def scores_of(self, scale: str) -> tuple[np.ndarray, np.ndarray]:
        """Times (hours) and values of the scores of ``scale``, in time order."""
        chosen = [x for x in self.scores if x.scale == scale]
        return np.array([x.time_h for x in chosen]), np.array([x.value for x in chosen])


# ---------------------------------------------------------------- reading


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def is_identifying(name: str) -> bool:
    """Whether a column or key name looks like personal data (a name, birth date, address or contact)."""
    key = _normalise(name)
    return key in IDENTIFYING_NAMES or any(part in key for part in IDENTIFYING_PARTS)


def _where(number: int, line: int | None, column: str = "") -> str:
    place = f"row {number}" + (f" (line {line})" if line is not None else "")
    return f"{place}, column {column}" if column else place


def _check_columns(names: Sequence[str], where: str) -> None:
    for name in names:
        if is_identifying(name):
            raise IdentifyingDataError(f"{where}, column {name}", f"column {name!r} identifies a person", PRIVACY_FIX)
        if name not in COLUMNS:
            raise HistoryError(f"{where}, column {name}", f"unknown column {name!r}", suggest(name, COLUMNS))
    for name in ("time", "event"):
        if name not in names:
            raise HistoryError(where, f"required column {name!r} is missing", f"columns: {', '.join(COLUMNS)}")


def read_text(path: Path, what: str = "history file") -> str:
    """The text of a patient data file (UTF-8, a byte-order mark allowed); a missing or undecodable file is a
    `HistoryError` that calls it ``what``."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HistoryError("", f"{what} {str(path)!r} not found", "check the path") from None
    except UnicodeDecodeError:
        raise HistoryError("", f"{what} {path.name} is not UTF-8 text", "save it as UTF-8") from None
    except OSError as failure:
        raise HistoryError("", f"cannot read {str(path)!r}: {failure.strerror}", "check the path") from None


def _read_records(path: Path) -> list[Record]:
    """(row number, line or None, record) of every non-empty record of a CSV or JSON history."""
    text = read_text(path)
    if not text.strip():
        raise HistoryError("", f"history file {path.name} is empty", "see examples/patient-history/")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _json_records(text, path.name)
    if suffix == ".csv":
        return _csv_records(text)
    raise HistoryError("", f"cannot tell the format of {path.name}", "use a .csv or .json history file")


def _csv_records(text: str) -> list[Record]:
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as failure:
        raise HistoryError("", f"malformed CSV: {failure}", "save the history as plain CSV text") from None
    header = [h.strip() for h in rows[0]]
    _check_columns([h for h in header if h], "header (line 1)")
    records: list[Record] = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        number = len(records) + 1
        if len(cells) > len(header):
            raise HistoryError(
                _where(number, line), f"{len(cells)} cells but {len(header)} columns", "one cell per column"
            )
        record = {h: c.strip() for h, c in zip(header, cells, strict=False) if h and c.strip()}
        records.append((number, line, record))
    return records


def _json_records(text: str, name: str) -> list[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as failure:
        raise HistoryError(
            "", f"malformed JSON in {name} at line {failure.lineno}: {failure.msg}", "check commas and quotes"
        ) from None
    except ValueError as failure:
        raise HistoryError("", f"malformed JSON in {name}: {failure}", "check the numbers") from None
    except RecursionError:
        raise HistoryError(
            "", f"{name} is nested deeper than {MAX_NESTING} levels", "write a list of records"
        ) from None
    check_structure(data, name, HistoryError)
    if not isinstance(data, list):
        raise HistoryError("", f"the top level of {name} is {describe(data)}, not a list", "write a list of records")
    records: list[Record] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            raise HistoryError(_where(number, None), f"expected a record, got {describe(item)}", 'write {"time": ...}')
        _check_columns([str(k) for k in item], _where(number, None))
        records.append((number, None, {str(k): v for k, v in item.items() if v is not None and v != ""}))
    return records


# ---------------------------------------------------------------- rows


def _time_style(value: Any) -> str:
    return "iso" if isinstance(value, str) and ISO_START.match(value) else "unit"


def _iso_time(value: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise HistoryError(
            where, f"cannot read {value!r} as an ISO 8601 date-time", "write e.g. 2024-03-01T09:30"
        ) from None


def _unit_time(value: Any, where: str) -> float:
    return parse_quantity(value, "time", where, HistoryError)


def _treatment(
    record: Mapping[str, Any], event: str, number: int, line: int | None
) -> tuple[dict[str, Any], Treatment]:
    """The row as a protocol treatment item (file notation, no schedule) and validated at time 0."""
    keys = ("drug", "route", "dose", "infusion") if event == "dose" else ("therapy", "session")
    item = {k: record[k] for k in keys if k in record}
    if event == "session" and item.get("therapy") == INTENSIVE:
        item = {"therapy": INTENSIVE, "days": 1, "hours_per_day": item.get("session")}
    try:
        return item, Treatment.model_validate({**item, "at": ["0 h"]})
    except ValidationError as failure:
        error = protocol_error(failure)
        column = error.key_path.split(".")[0].split("[")[0]
        column = "session" if column == "hours_per_day" else column
        raise HistoryError(_where(number, line, column), error.problem, error.fix) from None


def _check_event_columns(record: Mapping[str, Any], event: str, number: int, line: int | None) -> None:
    required, optional = EVENT_COLUMNS[event]
    for column in required:
        if column not in record:
            raise HistoryError(_where(number, line, column), f"a {event} row needs {column!r}", f"fill in {column}")
    for column in record:
        if column not in ("time", "event", *required, *optional):
            raise HistoryError(
                _where(number, line, column),
                f"column {column!r} is not used by {event} rows",
                "leave it empty, or check that the cells are in the right columns",
            )


def _score(record: Mapping[str, Any], number: int, line: int | None) -> tuple[str, float]:
    scale = record["scale"]
    if not isinstance(scale, str) or scale.strip().lower() not in SCALE_RANGES:
        raise HistoryError(
            _where(number, line, "scale"), f"unknown rating scale {scale!r}", suggest(str(scale).lower(), SCALES)
        )
    scale = scale.strip().lower()
    raw = record["value"]
    value: float | None = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw)
        except ValueError:
            value = None
    low, high = SCALE_RANGES[scale]
    if value is None or not np.isfinite(value):
        raise HistoryError(_where(number, line, "value"), f"score {raw!r} is not a number", f"write a {scale} total")
    if not low <= value <= high:
        raise HistoryError(
            _where(number, line, "value"),
            f"{scale} score {value:g} is outside the scale's range {low:g} to {high:g}",
            "check the score and the scale",
        )
    return scale, value


def _parse_rows(records: list[Record]) -> list[tuple[int, int | None, str, Any, dict]]:
    """(row, line, event, raw time, record) of every row, with the event and event columns checked."""
    rows = []
    for number, line, record in records:
        for column in ("time", "event"):
            if column not in record:
                raise HistoryError(_where(number, line, column), f"missing {column}", f"every row needs a {column}")
        event = record["event"]
        if not isinstance(event, str) or event.strip().lower() not in EVENTS:
            raise HistoryError(_where(number, line, "event"), f"unknown event {event!r}", suggest(str(event), EVENTS))
        event = event.strip().lower()
        _check_event_columns(record, event, number, line)
        rows.append((number, line, event, record["time"], record))
    return rows


def _hours(rows: list[tuple[int, int | None, str, Any, dict]]) -> list[float]:
    """Hours from the first treatment of every row, in one time style, checked to be in time order."""
    style = _time_style(rows[0][3])
    for number, line, _, raw, _ in rows:
        if _time_style(raw) != style:
            wanted = "an ISO 8601 date-time" if style == "iso" else 'a time with a unit, e.g. "3 d"'
            raise HistoryError(
                _where(number, line, "time"), f"time {raw!r} mixes time styles", f"use one style per file: {wanted}"
            )
    treated = [r for r in rows if r[2] != "score"]
    if not treated:
        raise HistoryError("", "the history has no dose or session rows", "add the treatments given so far")
    if style == "iso":
        stamps = [_iso_time(str(raw), _where(number, line, "time")) for number, line, _, raw, _ in rows]
        origin = stamps[rows.index(treated[0])]
        try:
            hours = [(stamp - origin).total_seconds() / 3600.0 for stamp in stamps]
        except TypeError:
            raise HistoryError(
                "column time", "some date-times have a time zone and some do not", "give all or none a time zone"
            ) from None
    else:
        hours = [_unit_time(raw, _where(number, line, "time")) for number, line, _, raw, _ in rows]
    for (number, line, _, raw, _), time_h in zip(rows, hours, strict=True):
        if abs(time_h) > MAX_DURATION_H:
            raise HistoryError(
                _where(number, line, "time"),
                f"time {raw!r} is more than {MAX_DURATION_YEARS} years from the first treatment",
                "check the time and its unit",
            )
    for i in range(1, len(rows)):
        if hours[i] < hours[i - 1]:
            number, line, _, raw, _ = rows[i]
            raise HistoryError(
                _where(number, line, "time"),
                f"time {raw!r} is before the row above ({rows[i - 1][3]!r}): rows are out of time order",
                "sort the rows by time",
            )
    first = next(i for i, r in enumerate(rows) if r[2] != "score")
    if abs(hours[first]) > 1e-9:
        number, line, _, raw, _ = rows[first]
        raise HistoryError(
            _where(number, line, "time"),
            f"the first treatment is at {raw!r}, not at 0 h",
            "times count from the first treatment: give it time 0 h and shift the others",
        )
    if hours[0] < -EARLIEST_SCORE_WEEKS * 7 * 24.0:
        number, line, _, raw, _ = rows[0]
        raise HistoryError(
            _where(number, line, "time"),
            f"the score at {raw!r} is more than {EARLIEST_SCORE_WEEKS} weeks before the first treatment: it is no "
            "baseline",
            "leave out scores from before the baseline assessment",
        )
    return hours


def read_history(path: str | Path) -> PatientHistory:
    """Read and validate a history file (``.csv`` or ``.json``); the patient id is the file name without suffix.

    Raises
    ------
    HistoryError
        For the first broken rule, naming the row and column: unknown or identifying columns, rows out of time
        order, mixed time styles, unknown events or scales, scores outside a scale's range, doses or times
        without units.
    """
    path = Path(path)
    try:
        name_text(path.stem)
    except InputError:
        raise HistoryError(
            "", f"the file name {path.name!r} holds a control character", "rename it to the pseudonymous id"
        ) from None
    records = _read_records(path)
    if not records:
        raise HistoryError("", f"history file {path.name} has no rows", "add one row per dose, session or score")
    return build_history(path.stem, records)


def build_history(patient: str, records: list[Record]) -> PatientHistory:
    """Validate parsed records ``(row number, line or None, {column: value})`` into a `PatientHistory`.

    Raises
    ------
    HistoryError
        For the first broken rule (see `read_history`), a history longer than `MAX_HISTORY_ROWS` rows, or
        scores of one scale at one time that differ where the rows do not say how to combine them.
    """
    if len(records) > MAX_HISTORY_ROWS:
        raise HistoryError(
            "",
            f"the history has {len(records)} rows, more than the {MAX_HISTORY_ROWS} a forecast reads",
            "keep the course being forecast, or one score per scale and day",
        )
    rows = _parse_rows(records)
    hours = _hours(rows)
    doses: list[Dose] = []
    sessions: list[Session] = []
    scores: list[Score] = []
    treatments: list[dict[str, Any]] = []
    for (number, line, event, _, record), time_h in zip(rows, hours, strict=True):
        where = _where(number, line)
        if event == "score":
            scale, value = _score(record, number, line)
            scores.append(Score(time_h, scale, value, where, _combine(record, number, line)))
            continue
        item, parsed = _treatment(record, event, number, line)
        treatments.append({**item, "at": [f"{time_h!r} h"]})
        if event == "dose":
            amount = parsed.dose.amount if parsed.dose is not None else 0.0
            per_kg = parsed.dose.per_kg if parsed.dose is not None else False
            doses.append(
                Dose(time_h, str(parsed.drug), str(parsed.route), amount, per_kg, parsed.infusion_h or 0.0, where)
            )
        else:
            sessions.append(Session(time_h, parsed.session_hours, str(parsed.therapy), where))
    if not doses:
        raise HistoryError("", "the history has no dose rows", "add the doses given so far (event: dose)")
    _check_overlaps(doses, sessions)
    return PatientHistory(patient, tuple(doses), tuple(sessions), combined_scores(scores), tuple(treatments))


def _combine(record: Mapping[str, Any], number: int, line: int | None) -> str | None:
    raw = record.get("combine")
    if raw is None:
        return None
    if not isinstance(raw, str) or raw.strip().lower() not in COMBINE:
        raise HistoryError(
            _where(number, line, "combine"), f"unknown way to combine {raw!r}", suggest(str(raw), COMBINE)
        )
    return raw.strip().lower()


def combined_scores(scores: Sequence[Score]) -> tuple[Score, ...]:
    """The scores with those of one scale at one time combined as their rows say (`COMBINE`), in time order.

    Scores of one scale at one time that agree are kept as they are.

    Raises
    ------
    HistoryError
        When such scores differ and their rows do not all give the same ``combine``.
    """
    groups: dict[tuple[float, str], list[Score]] = {}
    for score in scores:
        groups.setdefault((score.time_h, score.scale), []).append(score)
    kept: list[Score] = []
    for (time_h, scale), group in groups.items():
        ways = {score.combine for score in group}
        if len({score.value for score in group}) == 1 or ways == {"each"}:
            kept.extend(group)
        elif ways == {"mean"}:
            mean = float(np.mean([score.value for score in group]))
            kept.append(Score(time_h, scale, mean, " and ".join(s.row for s in group), "mean"))
        else:
            listing = ", ".join(f"{s.value:g} ({s.row})" for s in group)
            raise HistoryError(
                f"{group[-1].row}, column value",
                f"{scale} scores at {format_hours(time_h)} differ: {listing}",
                "correct them, or say how to combine them in the column combine: mean (one score, their mean) or "
                "each (every score a rating of its own) on each of these rows",
            )
    return tuple(sorted(kept, key=lambda score: score.time_h))


def _check_overlaps(doses: Sequence[Dose], sessions: Sequence[Session]) -> None:
    for spans, what in (
        ([(d.time_h, d.time_h + d.infusion_h, d.key_path) for d in doses if d.infusion_h > 0], "infusion"),
        ([(s.start_h, s.start_h + s.duration_h, s.key_path) for s in sessions], "session"),
    ):
        for (start, end, _), (next_start, _, where) in zip(spans, spans[1:], strict=False):
            if next_start < end - 1e-9:
                raise HistoryError(
                    f"{where}, column time",
                    f"this {what} starts at {format_hours(next_start)}, before the one from {format_hours(start)} "
                    f"ends at {format_hours(end)}",
                    "check the times",
                )


# ---------------------------------------------------------------- facts


def _fact_value(name: str, value: Any) -> float:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, (Mapping, list, tuple)):
        raise HistoryError(name, f"a patient fact is one value, got {describe(value)}", f"write e.g. {name}: 1")
    try:
        distribution = covariate_distribution(name, value)
    except InputError as error:
        raise HistoryError(name, error.problem, error.fix) from None
    return float(distribution.typical())


def parse_facts(raw: Mapping[str, Any]) -> PatientFacts:
    """Validate patient facts: ``condition`` (required) and covariates (``weight: 80 kg``, ``age: 45``, ...).

    Raises
    ------
    HistoryError
        Naming the key: missing or unknown condition, unknown keys, values out of range or without units.
    IdentifyingDataError
        For keys that identify a person (names, birth dates, contact details).
    """
    for key in raw:
        if is_identifying(str(key)):
            raise IdentifyingDataError(str(key), f"key {key!r} identifies a person", PRIVACY_FIX)
        if key not in FACT_KEYS:
            raise HistoryError(str(key), f"unknown patient fact {key!r}", suggest(str(key), FACT_KEYS))
    if "condition" not in raw:
        raise HistoryError("condition", "the patient's condition is missing", f"add condition: one of {CONDITIONS}")
    condition = raw["condition"]
    if not isinstance(condition, str) or condition not in CONDITIONS:
        raise HistoryError("condition", f"unknown condition {condition!r}", suggest(str(condition), CONDITIONS))
    covariates = {name: _fact_value(name, raw[name]) for name in COVARIATES if name in raw}
    return PatientFacts(condition, covariates)


def read_facts(path: str | Path | None = None, pairs: Sequence[str] = ()) -> PatientFacts:
    """Patient facts from a YAML or JSON file and/or ``key=value`` pairs (the pairs override the file).

    Raises
    ------
    HistoryError
        For an unreadable file, a pair without ``=``, or facts that break a rule (see `parse_facts`).
    """
    raw: dict[str, Any] = dict(read_mapping(path, HistoryError)) if path is not None else {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise HistoryError("--patient", f"{pair!r} is not key=value", "write e.g. --patient weight=80kg")
        try:
            raw[key.strip()] = yaml.safe_load(value) if value.strip() else value
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError, RecursionError):
            raw[key.strip()] = value  # not a YAML value: the text itself
        if isinstance(raw[key.strip()], str):
            raw[key.strip()] = raw[key.strip()].strip()
    return parse_facts(raw)


# ---------------------------------------------------------------- protocol


def _typical_covariates(facts: PatientFacts) -> dict[str, Distribution]:
    """One fixed value per covariate: the facts, else the condition's typical value."""

    presets = condition_covariates(facts.condition)
    out = {}
    for name in COVARIATES:
        preset = presets[name]
        value = facts.covariates.get(name, float(preset.typical()))
        out[name] = Distribution(form="fixed", value=value, lower=preset.lower, upper=preset.upper)
    return out


def history_protocol(
    history: PatientHistory,
    facts: PatientFacts,
    until_h: float,
    planned: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The one-arm protocol mapping of a history: its doses and sessions, then the ``planned`` treatment items.

    The population is the one patient (size 1, with between-patient variability, so the individual
    parameters and rater noise exist) with the covariates of ``facts`` (others at the condition's typical value).
    ``planned`` items are protocol treatments with explicit ``at`` times from the first treatment (see
    `planned_treatments`).

    Raises
    ------
    HistoryError
        When ``until_h`` is not after the last row of the history, or more than `MAX_DURATION_H` after its start.
    """
    if until_h <= history.end_h:
        raise HistoryError(
            "--until",
            f"{format_hours(until_h)} is not after the end of the history ({format_hours(history.end_h)})",
            "forecast to a later time, e.g. --until 12 w",
        )
    if until_h > MAX_DURATION_H:
        raise HistoryError(
            "--until",
            f"{format_hours(until_h)} is more than {MAX_DURATION_YEARS} years after the first treatment",
            "forecast less far",
        )
    return {
        "ketasim": 1,
        "name": f"forecast of {history.patient}",
        "seed": 0,
        "duration": f"{until_h!r} h",
        "population": {
            "size": 1,
            "condition": facts.condition,
            "variability": True,
            "covariates": _typical_covariates(facts),
        },
        "arms": [{"name": history.patient, "treatments": [*history.treatments, *planned]}],
        "observe": {"every": "1 d", "outputs": list(SCALES)},
    }


def planned_treatments(plan: Any, history: PatientHistory, until_h: float) -> tuple[list[dict[str, Any]], list[str]]:
    """Treatment items (explicit ``at`` times) of the one arm of a plan `Protocol`, and warnings.

    Times in the plan count from the history's first treatment. Planned events after ``until_h`` are left out
    (with a warning).

    Raises
    ------
    HistoryError
        When the plan has more than one arm, or plans a treatment before the end of the history.
    """

    if len(plan.arms) != 1:
        raise HistoryError("--plan", f"the plan has {len(plan.arms)} arms", "give a protocol with one arm")
    events = arm_events(plan, 0)
    items: list[dict[str, Any]] = []
    warnings: list[str] = []
    end = history.end_h
    for dose in events.doses:
        if dose.time_h <= end:
            raise HistoryError(
                f"--plan {dose.key_path}",
                f"planned dose at {format_hours(dose.time_h)} is not after the end of the history "
                f"({format_hours(end)})",
                "times in the plan count from the first treatment of the history",
            )
        if dose.time_h > until_h:
            warnings.append(f"planned dose at {format_hours(dose.time_h)} is after --until and is left out")
            continue
        item: dict[str, Any] = {"drug": dose.drug, "route": dose.route, "at": [f"{dose.time_h!r} h"]}
        if dose.drug != "placebo":
            item["dose"] = f"{dose.amount!r} mg/kg" if dose.per_kg else f"{dose.amount!r} mg"
        if dose.infusion_h > 0:
            item["infusion"] = f"{dose.infusion_h!r} h"
        items.append(item)
    for session in events.sessions:
        if session.start_h <= end:
            raise HistoryError(
                f"--plan {session.key_path}",
                f"planned session at {format_hours(session.start_h)} is not after the end of the history "
                f"({format_hours(end)})",
                "times in the plan count from the first treatment of the history",
            )
        if session.start_h + session.duration_h > until_h:
            warnings.append(f"planned session at {format_hours(session.start_h)} ends after --until; left out")
            continue
        if session.therapy == INTENSIVE:
            therapy: dict[str, Any] = {"therapy": INTENSIVE, "days": 1, "hours_per_day": f"{session.duration_h!r} h"}
        else:
            therapy = {"therapy": session.therapy, "session": f"{session.duration_h!r} h"}
        items.append({**therapy, "at": [f"{session.start_h!r} h"]})
    return items, warnings
