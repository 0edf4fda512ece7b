"""The explorer's protocol form: its values, the protocol mapping they stand for, and back.

The form edits a two-arm protocol (``spec/protocol.md``): one drug given on a list of times, optional therapy
sessions after or during each dose, and an optional comparator arm. Turning values into a mapping is pure text
work; every check is left to `ketasim.protocol.load_protocol`, so the page shows the same errors as the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ketasim.errors import ProtocolError
from ketasim.protocol import Protocol, arm_events, load_protocol
from ketasim.vocabulary import INFUSION_ROUTES, SCALES
from ketasim.web.limits import MAX_DOSES_PER_ARM, MAX_FIELD_CHARACTERS, MAX_PATIENTS_PER_RUN

DEFAULT_PATIENTS = 100
NO_THERAPY = "none"
TIMINGS = ("after", "during")
"""When the form's therapy sessions are: after or during each dose."""
RATER_NOISE = ("on", "off")
"""The form's rater-noise choices: scores as a rater records them, or with every rater's noise set to 0."""
NOISE_FREE = {f"{scale}_rater_noise_sd_points": "0 points" for scale in SCALES}
"""The parameter overrides of a run without rater noise (``<scale>_rater_noise_sd_points``, `ketasim.models.scales`)."""
MAIN_ARM = "treatment"
PLACEBO = "placebo"

PRIMARY_SCALE: dict[str, str | None] = {
    "trd": "madrs",
    "mdd": "madrs",
    "ptsd": "caps5",
    "gad": "ham_a",
    "sad": "ham_a",
    "healthy": None,
}
"""The rating scale the form's endpoints read for each condition (none for healthy volunteers)."""


@dataclass(frozen=True)
class Comparator:
    """A comparator arm the form offers: its label and the drug item it gives (None: therapy only)."""

    label: str
    treatment: Mapping[str, Any] | None
    same_schedule: bool


COMPARATORS: dict[str, Comparator | None] = {
    "none": None,
    "placebo": Comparator("placebo (inert, same route and times)", None, True),
    "midazolam": Comparator(
        "midazolam 0.045 mg/kg IV over 40 min (active placebo)",
        {"drug": "midazolam", "route": "iv", "dose": "0.045 mg/kg", "infusion": "40 min"},
        True,
    ),
    "escitalopram": Comparator(
        "escitalopram 10 mg by mouth daily", {"drug": "escitalopram", "route": "oral", "dose": "10 mg"}, False
    ),
    "therapy-only": Comparator("the same therapy sessions without a drug", None, False),
}
"""Comparator choices; the doses are those of published designs (Murrough 2013 midazolam arm, TRANSFORM-2)."""


@dataclass(frozen=True)
class FormValues:
    """Every field of the protocol form, as the page holds it (text where the protocol takes a quantity)."""

    condition: str = "trd"
    patients: int = DEFAULT_PATIENTS
    seed: int = 0
    duration: str = "28 d"
    drug: str = "ketamine"
    route: str = "iv"
    dose: str = "0.5 mg/kg"
    infusion: str = "40 min"
    schedule: str = "0 d, 2 d, 4 d, 7 d, 9 d, 11 d"
    therapy: str = "integration"
    session: str = "60 min"
    timing: str = "after"
    delay: str = "24 h"
    comparator: str = "placebo"
    rater_noise: str = "on"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The field names, in form order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> FormValues:
        """Values from the page's inputs.

        Raises
        ------
        ProtocolError
            At the field's key path: a whole-number field that is empty or not whole, a text longer than
            `MAX_FIELD_CHARACTERS`, or more dose times than `MAX_DOSES_PER_ARM`.
        """
        values: dict[str, Any] = {}
        for name, default in cls().as_dict().items():
            raw = inputs.get(name)
            values[name] = _whole_number(raw, name) if isinstance(default, int) else _text(raw)
        count = len(split_times(values["schedule"]))
        if count > MAX_DOSES_PER_ARM:
            raise ProtocolError(
                FIELD_KEYS["schedule"],
                f"{count} dose times, over the explorer's limit of {MAX_DOSES_PER_ARM}",
                "give fewer, or run the schedule with `ketasim trial`",
            )
        for name, value in values.items():
            if isinstance(value, str) and len(value) > MAX_FIELD_CHARACTERS:
                raise ProtocolError(FIELD_KEYS[name], f"is {len(value)} characters long", "write it shorter")
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The values keyed by field name."""
        return asdict(self)


def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def _whole_number(raw: Any, name: str) -> int:
    key = FIELD_KEYS[name]
    if raw is None or raw == "":
        raise ProtocolError(key, "is empty or not a number", "write a whole number, e.g. 100")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ProtocolError(key, f"expected a whole number, got {raw!r}", "write e.g. 100") from None
    if not number.is_integer():
        raise ProtocolError(key, f"expected a whole number, got {raw!r}", "write e.g. 100")
    return int(number)


FIELD_KEYS = {
    "condition": "population.condition",
    "patients": "population.size",
    "seed": "seed",
    "duration": "duration",
    "drug": "arms[0].treatments[0].drug",
    "route": "arms[0].treatments[0].route",
    "dose": "arms[0].treatments[0].dose",
    "infusion": "arms[0].treatments[0].infusion",
    "schedule": "arms[0].treatments[0].at",
    "therapy": "arms[0].treatments[1].therapy",
    "session": "arms[0].treatments[1].session",
    "timing": "arms[0].treatments[1]",
    "delay": "arms[0].treatments[1].after_each_dose",
    "comparator": "arms[1]",
    "rater_noise": "population.parameters",
}
"""The protocol key path each form field writes."""


FIELD_LABELS: tuple[tuple[str, str], ...] = (
    (r"^population\.size", "Patients per arm"),
    (r"^population\.condition", "Condition"),
    (r"^seed", "Seed"),
    (r"^(duration|endpoints)", "Course length"),
    (r"^arms\[0\]\.treatments\[0\]\.dose", "Dose"),
    (r"^arms\[0\]\.treatments\[0\]\.route", "Route"),
    (r"^arms\[0\]\.treatments\[0\]\.drug", "Drug"),
    (r"^arms\[0\]\.treatments\[0\]\.infusion", "Infusion over"),
    (r"^arms\[0\]\.treatments\[0\]", "Dose times"),
    (r"^arms\[0\]\.treatments\[1\]\.session", "Session length"),
    (r"^arms\[0\]\.treatments\[1\]\.after_each_dose", "Delay after dose"),
    (r"^arms\[0\]\.treatments\[1\]", "Therapy"),
    (r"^arms\[1\]", "Comparator arm"),
    (r"^population\.parameters", "Rating scores"),
)
"""Which form field a protocol key path points at (first match wins)."""


def field_label(key_path: str) -> str | None:
    """The label of the form field that a problem at ``key_path`` is about, if the form has one."""
    return next((label for pattern, label in FIELD_LABELS if re.match(pattern, key_path)), None)


def split_times(text: str) -> list[str]:
    """The times of a comma- or semicolon-separated list, e.g. ``"0 d, 2 d"`` -> ``["0 d", "2 d"]``."""
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def check_population(patients: int, arms: int) -> None:
    """Refuse a request over `MAX_PATIENTS_PER_RUN` patients in all, or under one patient per arm.

    Raises
    ------
    ProtocolError
        At ``population.size``, saying how many patients per arm fit.
    """
    if patients < 1:
        raise ProtocolError("population.size", f"must be at least 1, got {patients}", "simulate 1 or more patients")
    total = patients * arms
    if total > MAX_PATIENTS_PER_RUN:
        fit = MAX_PATIENTS_PER_RUN // arms
        raise ProtocolError(
            "population.size",
            f"{patients} patients per arm x {arms} arm(s) = {total} patients, over the explorer's limit of "
            f"{MAX_PATIENTS_PER_RUN} per run",
            f"use at most {fit} per arm here, or run larger populations with `ketasim trial`",
        )


def protocol_name(values: FormValues) -> str:
    """A short readable name for the protocol the form describes."""
    count = len(split_times(values.schedule))
    name = f"{values.drug} {values.dose} {values.route}".replace("  ", " ").strip()
    name += f", {count} dose{'s' if count != 1 else ''}"
    if values.therapy != NO_THERAPY:
        name += f", {values.therapy}"
    comparator = COMPARATORS.get(values.comparator)
    if comparator is not None:
        name += f" vs {values.comparator}"
    return name


def _drug_item(values: FormValues) -> dict[str, Any]:
    item: dict[str, Any] = {"drug": values.drug, "route": values.route}
    if values.drug != PLACEBO:
        item["dose"] = values.dose
    if values.route in INFUSION_ROUTES and values.infusion:
        item["infusion"] = values.infusion
    item["at"] = split_times(values.schedule)
    return item


def _therapy_item(values: FormValues) -> dict[str, Any] | None:
    if values.therapy == NO_THERAPY:
        return None
    if values.timing not in TIMINGS:
        raise ProtocolError(FIELD_KEYS["timing"], f"unknown timing {values.timing!r}", f"choose {' or '.join(TIMINGS)}")
    item: dict[str, Any] = {"therapy": values.therapy, "session": values.session}
    if values.timing == "during":
        item["during_each_dose"] = True
    else:
        item["after_each_dose"] = values.delay
    return item


def _endpoints(values: FormValues) -> list[dict[str, Any]]:
    scale = PRIMARY_SCALE.get(values.condition)
    if scale is None:
        return []
    end = values.duration
    return [
        {"name": "response_24h", "kind": "response", "scale": scale, "at": "24 h"},
        {"name": "response_end", "kind": "response", "scale": scale, "at": end},
        {"name": "remission_end", "kind": "remission", "scale": scale, "at": end},
        {"name": "change_end", "kind": "mean_change", "scale": scale, "at": end},
    ]


def protocol_mapping(values: FormValues, session_times_h: list[float] | None = None) -> dict[str, Any]:
    """The protocol mapping (as a file would hold it) that the form values describe.

    Parameters
    ----------
    values
        The form.
    session_times_h
        Start times (hours) of the treatment arm's therapy sessions, for a comparator that gives them without
        following its own doses (``escitalopram``, ``therapy-only``); see `build_protocol`.
    """
    treatments: list[dict[str, Any]] = [_drug_item(values)]
    therapy = _therapy_item(values)
    if therapy is not None:
        treatments.append(therapy)
    arms: list[dict[str, Any]] = [{"name": MAIN_ARM, "treatments": treatments}]
    if values.comparator not in COMPARATORS:
        raise ProtocolError(
            "arms[1]", f"unknown comparator {values.comparator!r}", f"choose one of {', '.join(COMPARATORS)}"
        )
    comparator = COMPARATORS[values.comparator]
    if comparator is not None:
        arms.append({"name": values.comparator, "treatments": _comparator_items(values, comparator, session_times_h)})
    population: dict[str, Any] = {"size": values.patients, "condition": values.condition}
    if values.rater_noise not in RATER_NOISE:
        raise ProtocolError(
            "population.parameters", f"unknown rater-noise choice {values.rater_noise!r}", "choose on or off"
        )
    if values.rater_noise == "off":
        population["parameters"] = {"set": "default", "override": dict(NOISE_FREE)}
    mapping: dict[str, Any] = {
        "ketasim": 1,
        "name": protocol_name(values),
        "seed": values.seed,
        "duration": values.duration,
        "population": population,
        "arms": arms,
    }
    endpoints = _endpoints(values)
    if endpoints:
        mapping["endpoints"] = endpoints
    return mapping


def _comparator_items(
    values: FormValues, comparator: Comparator, session_times_h: list[float] | None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    times = split_times(values.schedule)
    if values.comparator == PLACEBO:
        placebo: dict[str, Any] = {"drug": PLACEBO, "route": values.route}
        if values.route in INFUSION_ROUTES and values.infusion:
            placebo["infusion"] = values.infusion
        items.append({**placebo, "at": times})
    elif comparator.treatment is not None and comparator.same_schedule:
        items.append({**comparator.treatment, "at": times})
    elif comparator.treatment is not None:
        items.append({**comparator.treatment, "every": "1 d", "until": values.duration})
    therapy = _therapy_item(values)
    if therapy is None:
        return items
    if comparator.same_schedule:
        items.append(therapy)
    elif session_times_h:
        items.append(
            {"therapy": values.therapy, "session": values.session, "at": [_time_text(t) for t in session_times_h]}
        )
    return items


def _time_text(hours: float) -> str:
    """A time in hours as protocol text: whole days in ``d``, else hours (to the minute)."""
    if hours % 24.0 == 0.0:
        return f"{hours / 24.0:g} d"
    return f"{round(hours, 4):g} h"


def build_protocol(values: FormValues) -> tuple[Protocol, dict[str, Any]]:
    """Validate the form and return the loaded protocol and its mapping.

    A comparator that does not follow the treatment arm's doses gets the treatment arm's session times, read
    from the loaded first arm, so the arms differ only in the drug.

    Raises
    ------
    ProtocolError
        The first problem, with its key path, exactly as ``ketasim trial`` would report it for the same file.
    """
    comparator = COMPARATORS.get(values.comparator)
    check_population(values.patients, 1 if comparator is None else 2)
    mapping = protocol_mapping(values)
    protocol = load_protocol(mapping)
    if comparator is not None and not comparator.same_schedule:
        sessions = [s.start_h for s in arm_events(protocol, 0).sessions]
        mapping = protocol_mapping(values, session_times_h=sessions)
        protocol = load_protocol(mapping)
    return protocol, mapping


def _dose_times(protocol: Protocol, item: int) -> list[float]:
    prefix = f"arms[0].treatments[{item}]"
    return [d.time_h for d in arm_events(protocol, 0).doses if d.key_path.startswith(prefix)]


def values_from_protocol(protocol: Protocol) -> tuple[FormValues, bool]:
    """Form values for a loaded protocol, and whether the form shows all of it.

    The form takes the first arm's first drug item (its expanded dose times) and first therapy item, and
    recognises a second arm that one of `COMPARATORS` would write. Anything else (more arms or items, custom
    covariates or parameters) is left out, and the second value is False.
    """
    source = protocol.source or {}
    arm = source.get("arms", [{}])[0]
    items = list(arm.get("treatments", []))
    defaults = FormValues()
    changes: dict[str, Any] = {
        "condition": protocol.population.condition,
        "patients": protocol.population.size,
        "seed": protocol.seed,
        "duration": str(source.get("duration", defaults.duration)),
        "therapy": NO_THERAPY,
        "comparator": "none",
        "rater_noise": "off" if protocol.population.parameters.override == NOISE_FREE else "on",
    }
    drug_index = next((i for i, item in enumerate(items) if "drug" in item), None)
    if drug_index is not None:
        item = items[drug_index]
        changes.update(
            drug=str(item["drug"]),
            route=str(item.get("route", "")),
            dose=str(item.get("dose", "")),
            infusion=str(item.get("infusion", "")),
            schedule=", ".join(_time_text(t) for t in _dose_times(protocol, drug_index)),
        )
    therapy = next((item for item in items if "therapy" in item), None)
    if therapy is not None:
        changes.update(
            therapy=str(therapy["therapy"]),
            session=str(therapy.get("session", defaults.session)),
            timing="during" if therapy.get("during_each_dose") else "after",
            delay=str(therapy.get("after_each_dose", defaults.delay)),
        )
    if len(protocol.arms) > 1:
        changes["comparator"] = str(protocol.arms[1].name) if protocol.arms[1].name in COMPARATORS else "none"
    values = replace(defaults, **changes)
    return values, _same_design(values, protocol)


def _same_design(values: FormValues, protocol: Protocol) -> bool:
    """Whether the form's values rebuild the protocol's population, arms and schedules exactly."""
    try:
        rebuilt, _ = build_protocol(values)
    except ProtocolError:
        return False
    if len(rebuilt.arms) != len(protocol.arms):
        return False
    ignored = {"name", "observe", "endpoints", "source", "warnings"}
    if rebuilt.model_dump(exclude=ignored | {"arms"}) != protocol.model_dump(exclude=ignored | {"arms"}):
        return False
    return all(_events(rebuilt, i) == _events(protocol, i) for i in range(len(protocol.arms)))


def _events(protocol: Protocol, arm: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """An arm's doses and sessions without the key paths that locate them in a file."""
    events = arm_events(protocol, arm)
    doses = [(d.time_h, d.drug, d.route, d.amount, d.per_kg, d.infusion_h) for d in events.doses]
    return doses, [(s.start_h, s.duration_h, s.therapy) for s in events.sessions]
