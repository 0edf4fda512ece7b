"""NONMEM-style event tables as patient histories (``spec/patient-history.md``, "NONMEM-style event tables").

Pharmacometricians keep dosing and observation records in one table per study: one row per event, columns ``ID``,
``TIME``, ``AMT``, ``RATE``, ``CMT``, ``EVID``, ``DV``, ``MDV`` (and often ``DUR``, ``ADDL``, ``II``, ``SS`` and
covariates). `read_event_table` reads one patient of such a CSV file into the rows of a patient history and
validates them like any history (`ketasim.protocol.history.build_history`):

- ``TIME`` is in hours; times are shifted so that the first dose is at 0 h (earlier scores are the baseline);
- ``EVID`` 0 is an observation, 1 (and 4) a dose, 2 an other-type event; without ``EVID``, ``MDV`` 1 with an
  ``AMT`` is a dose and ``MDV`` 0 an observation; ``EVID`` 3 (reset) and ``SS`` (steady state) are refused;
- ``AMT`` is the dose in mg; ``RATE`` > 0 makes it an infusion of ``AMT / RATE`` hours, ``RATE`` -2 one of ``DUR``
  hours; ``ADDL`` further doses follow every ``II`` hours;
- what a compartment number means is not in the table, so it is given for each ``CMT`` used: a drug and route
  (``1=ketamine:iv``: doses), a rating scale (``3=madrs``: ``DV`` is the score), a therapy (``5=integration``:
  ``EVID`` 2 rows are sessions of ``DUR`` hours) or ``skip`` (rows to leave out, e.g. drug concentrations);
- observations with ``MDV`` 1 or a missing ``DV`` (``.``) are left out, as NONMEM leaves them out; other columns
  (covariates, dates) are ignored, but columns that identify a person are refused as in any history.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ketasim.protocol.fields import suggest
from ketasim.protocol.history import (
    PRIVACY_FIX,
    HistoryError,
    IdentifyingDataError,
    PatientHistory,
    Record,
    build_history,
    is_identifying,
    read_history,
    read_text,
)
from ketasim.vocabulary import ROUTES, SCALES, THERAPIES

REQUIRED = ("ID", "TIME", "CMT")
"""Columns every event table needs, besides ``EVID`` or ``MDV``."""
SKIP = "skip"
CMT_EXAMPLE = "write e.g. --cmt 1=ketamine:iv --cmt 3=madrs"


@dataclass(frozen=True)
class Compartment:
    """What one ``CMT`` number means: doses of ``drug`` by ``route``, scores of ``scale``, sessions of
    ``therapy``, or rows to skip (all empty)."""

    drug: str = ""
    route: str = ""
    scale: str = ""
    therapy: str = ""


def is_event_table(header: Sequence[str]) -> bool:
    """Whether a CSV header is a NONMEM-style event table (``ID``, ``TIME`` and ``EVID`` or ``MDV``)."""
    names = {h.strip() for h in header}
    return {"ID", "TIME"} <= names and bool({"EVID", "MDV"} & names)


def parse_compartments(pairs: Sequence[str]) -> dict[int, Compartment]:
    """``--cmt`` options (``1=ketamine:iv``, ``3=madrs``, ``5=integration``, ``2=skip``) by compartment number.

    Raises
    ------
    HistoryError
        Naming ``--cmt`` for a malformed pair, an unknown route, scale or therapy, or a number given twice.
    """
    compartments: dict[int, Compartment] = {}
    for pair in pairs:
        number, equals, meaning = pair.partition("=")
        meaning = meaning.strip()
        if not equals or not number.strip().isdigit() or not meaning:
            raise HistoryError("--cmt", f"{pair!r} is not NUMBER=MEANING", CMT_EXAMPLE)
        key = int(number)
        if key in compartments:
            raise HistoryError("--cmt", f"compartment {key} is given twice", "give each CMT number once")
        if ":" in meaning:
            drug, route = (part.strip() for part in meaning.split(":", 1))
            if route not in ROUTES:
                raise HistoryError("--cmt", f"unknown route {route!r} in {pair!r}", suggest(route, ROUTES))
            compartments[key] = Compartment(drug=drug, route=route)
        elif meaning in SCALES:
            compartments[key] = Compartment(scale=meaning)
        elif meaning in THERAPIES:
            compartments[key] = Compartment(therapy=meaning)
        elif meaning == SKIP:
            compartments[key] = Compartment()
        else:
            known = (*SCALES, *THERAPIES, SKIP)
            raise HistoryError(
                "--cmt", f"{meaning!r} is not DRUG:ROUTE, a scale, a therapy or skip", suggest(meaning, known)
            )
    return compartments


def _number(cells: Mapping[str, str], column: str, where: str, default: float = 0.0) -> float:
    """A numeric cell; empty or ``.`` (NONMEM's missing value) gives ``default``."""
    text = cells.get(column, "").strip()
    if text in ("", "."):
        return default
    try:
        value = float(text)
    except ValueError:
        raise HistoryError(
            f"{where}, column {column}", f"{text!r} is not a number", f"write a number in {column}"
        ) from None
    if not math.isfinite(value):
        raise HistoryError(
            f"{where}, column {column}", f"{text!r} is not a finite number", f"write a number in {column}"
        )
    return value


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and (line, cells) of every non-empty row."""
    reader = csv.reader(read_text(path, "event table").splitlines())
    header = [h.strip() for h in next(reader, [])]
    for name in header:
        if name and is_identifying(name):
            raise IdentifyingDataError(
                f"header (line 1), column {name}", f"column {name!r} identifies a person", PRIVACY_FIX
            )
    for name in REQUIRED:
        if name not in header:
            raise HistoryError("header (line 1)", f"required column {name!r} is missing", "see spec/patient-history.md")
    rows = []
    for line, cells in enumerate(reader, start=2):
        if any(c.strip() for c in cells):
            rows.append((line, {h: c.strip() for h, c in zip(header, cells, strict=False) if h}))
    return header, rows


def _patient_rows(
    rows: list[tuple[int, dict[str, str]]], patient: str | None, name: str
) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    ids = list(dict.fromkeys(cells.get("ID", "") for _, cells in rows))
    if patient is None:
        if len(ids) != 1:
            shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
            raise HistoryError("--id", f"{name} holds {len(ids)} patients (ID {shown})", "choose one with --id")
        patient = ids[0]
    chosen = [(line, cells) for line, cells in rows if cells.get("ID", "") == patient]
    if not chosen:
        raise HistoryError("--id", f"{name} has no rows with ID {patient}", suggest(patient, ids))
    return patient, chosen


def _event(cells: Mapping[str, str], where: str) -> int:
    if "EVID" in cells:
        evid = int(_number(cells, "EVID", where))
        if evid not in (0, 1, 2, 4):
            problem = "EVID 3 (reset) is not supported" if evid == 3 else f"unknown EVID {evid}"
            raise HistoryError(f"{where}, column EVID", problem, "one continuous course per patient: EVID 0, 1, 2 or 4")
        return evid
    missing = _number(cells, "MDV", where)
    return 0 if missing == 0 else (1 if _number(cells, "AMT", where) > 0 else 2)


def _duration(cells: Mapping[str, str], amount: float, where: str) -> float:
    """Infusion hours of a dose row from RATE (and DUR for RATE -2); 0 for a bolus."""
    rate = _number(cells, "RATE", where)
    if rate > 0:
        return amount / rate
    if rate == -2:
        return _number(cells, "DUR", where)
    if rate != 0:
        raise HistoryError(
            f"{where}, column RATE",
            f"RATE {rate:g} (a modelled rate) is not supported",
            "give RATE > 0, -2 with DUR, or 0",
        )
    return 0.0


def _compartment(cells: Mapping[str, str], compartments: Mapping[int, Compartment], where: str) -> Compartment:
    number = int(_number(cells, "CMT", where))
    if number not in compartments:
        raise HistoryError(
            f"{where}, column CMT",
            f"compartment {number} has no meaning given",
            f"add e.g. --cmt {number}=ketamine:iv or --cmt {number}=madrs",
        )
    return compartments[number]


def _records(
    rows: list[tuple[int, dict[str, str]]], compartments: Mapping[int, Compartment]
) -> list[tuple[float, int, dict[str, Any]]]:
    """(TIME in hours, line, history record without time) of every event the history keeps, ADDL expanded."""
    events: list[tuple[float, int, dict[str, Any]]] = []
    previous = -math.inf
    for number, (line, cells) in enumerate(rows, start=1):
        where = f"row {number} (line {line})"
        time_h = _number(cells, "TIME", where, default=math.nan)
        if math.isnan(time_h):
            raise HistoryError(f"{where}, column TIME", "TIME is missing", "give the time in hours")
        if time_h < previous:
            raise HistoryError(
                f"{where}, column TIME", f"TIME {time_h:g} is before the row above", "sort each patient's rows by TIME"
            )
        previous = time_h
        evid = _event(cells, where)
        meaning = _compartment(cells, compartments, where)
        if evid == 0:
            if meaning.scale and _number(cells, "MDV", where) == 0 and cells.get("DV", ".") not in ("", "."):
                events.append((time_h, line, {"event": "score", "scale": meaning.scale, "value": cells["DV"]}))
            elif not (meaning.scale or meaning == Compartment()):
                raise HistoryError(
                    f"{where}, column CMT",
                    "an observation in a dose or therapy compartment",
                    "map the CMT of observations to a scale or skip",
                )
            continue
        if evid == 2:
            if meaning.therapy:
                hours = _number(cells, "DUR", where)
                if hours <= 0:
                    raise HistoryError(
                        f"{where}, column DUR",
                        "a therapy session needs its length in hours",
                        "write DUR, e.g. 1 for 60 min",
                    )
                events.append(
                    (time_h, line, {"event": "session", "therapy": meaning.therapy, "session": f"{hours!r} h"})
                )
            continue
        if not meaning.drug:
            if meaning == Compartment():
                continue
            raise HistoryError(
                f"{where}, column CMT", "a dose in a scale or therapy compartment", "map the CMT of doses to DRUG:ROUTE"
            )
        if _number(cells, "SS", where) != 0:
            raise HistoryError(
                f"{where}, column SS",
                "steady-state doses are not supported",
                "write the doses given as rows (or ADDL and II)",
            )
        amount = _number(cells, "AMT", where)
        dose: dict[str, Any] = {"event": "dose", "drug": meaning.drug, "route": meaning.route}
        if meaning.drug != "placebo":
            dose["dose"] = f"{amount!r} mg"
        infusion = _duration(cells, amount, where)
        if infusion > 0:
            dose["infusion"] = f"{infusion!r} h"
        extra, interval = int(_number(cells, "ADDL", where)), _number(cells, "II", where)
        if extra > 0 and interval <= 0:
            raise HistoryError(f"{where}, column II", f"ADDL {extra} needs an interval II > 0", "write II in hours")
        events += [(time_h + k * interval, line, dose) for k in range(extra + 1)]
    return sorted(events, key=lambda event: event[0])


def read_event_table(
    path: str | Path, compartments: Mapping[int, Compartment], patient: str | None = None
) -> PatientHistory:
    """One patient of a NONMEM-style event table as a validated `PatientHistory` (see the module docstring).

    Parameters
    ----------
    path
        The CSV file.
    compartments
        What each ``CMT`` number used means (`parse_compartments`).
    patient
        The ``ID`` to read; may be None when the table holds one patient.

    Raises
    ------
    HistoryError
        Naming the row, line and column (or ``--cmt``/``--id``) for the first broken rule.
    """
    path = Path(path)
    _, rows = _rows(path)
    if not rows:
        raise HistoryError("", f"event table {path.name} has no rows", "add one row per dose and observation")
    chosen, patient_rows = _patient_rows(rows, patient, path.name)
    events = _records(patient_rows, compartments)
    doses = [time for time, _, record in events if record["event"] != "score"]
    if not doses:
        raise HistoryError(
            "", f"ID {chosen} has no doses or sessions", "map the CMT of the doses with --cmt N=DRUG:ROUTE"
        )
    origin = min(doses)
    records: list[Record] = [
        (number, line, {"time": f"{time - origin!r} h", **record})
        for number, (time, line, record) in enumerate(events, start=1)
    ]
    return build_history(f"{path.stem}-{chosen}", records)


def read_patient_history(
    path: str | Path, compartments: Mapping[int, Compartment] | None = None, patient: str | None = None
) -> PatientHistory:
    """A patient history from either format: a NONMEM-style event table (a CSV file whose header has ``ID``,
    ``TIME`` and ``EVID`` or ``MDV``) or a history file of ``spec/patient-history.md``.

    Raises
    ------
    HistoryError
        As `read_event_table` and `ketasim.protocol.history.read_history`; also for ``compartments`` or
        ``patient`` given with a history file that is not an event table.
    """
    path = Path(path)
    header: list[str] = []
    if path.suffix.lower() == ".csv" and path.is_file():
        header = next(csv.reader(read_text(path).splitlines()), [])
    if is_event_table(header):
        return read_event_table(path, compartments or {}, patient)
    if compartments or patient is not None:
        option = "--cmt" if compartments else "--id"
        raise HistoryError(option, f"{path.name} is not a NONMEM-style event table", f"leave out {option}")
    return read_history(path)
