"""The validated form of a protocol file (``spec/protocol.md``): frozen pydantic models with parsed units.

Times are in hours, doses in mg or mg/kg, weights in kg. Every check raises `ProtocolError` with a key path
relative to the model being checked; `ketasim.protocol.loading` prefixes the path of that model in the file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, NoReturn

from pydantic import (
    BeforeValidator,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ketasim.errors import ParameterError, ProtocolError
from ketasim.parameters.catalogue import Catalogue, default_catalogue
from ketasim.protocol.fields import (
    FileModel,
    Hours,
    Name,
    PositiveHours,
    choose,
    describe,
    duration_value,
    fail,
    format_hours,
    number,
    optional_field,
    plain,
    pydantic_errors,
    quantity,
    time_value,
)
from ketasim.protocol.population import Population
from ketasim.protocol.treatments import Arm
from ketasim.vocabulary import (
    DRUG_LEVEL_OUTPUTS,
    ENDPOINT_KINDS,
    OUTPUTS,
    PK_ENDPOINT_KINDS,
    SCALE_RANGES,
    SCALES,
)

SCHEMA_VERSION = 1
MAX_SEED = 2**63 - 1
# Keys each endpoint kind needs, and the optional keys it takes besides `name` and `kind`.
ENDPOINT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "response": (("scale", "at"), ("threshold",)),
    "remission": (("scale", "at"), ("threshold",)),
    "mean_change": (("scale", "at"), ()),
    "percent_change": (("scale", "at"), ()),
    "time_to_response": (("scale",), ("threshold",)),
    "time_to_relapse": (("scale", "after"), ("threshold",)),
    "value": (("output", "at"), ()),
    "cmax": (("output",), ("window",)),
    "tmax": (("output",), ("window",)),
    "auc": (("output",), ("window",)),
    "time_above": (("output", "above"), ("window",)),
}
INFINITY = "infinity"  # the end of an `auc` window that reaches infinity


# ---------------------------------------------------------------- observe and endpoints


@pydantic_errors
def _grid(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if not value:
            fail("the list of observation times is empty", "write e.g. every: [0 h, 24 h, 7 d] or every: 1 h")
        out = []
        for i, item in enumerate(value):
            out.append(time_value(item, f"[{i}]"))
        return tuple(out)
    return duration_value(value)


class Observe(FileModel):
    """The output grid and the outputs to keep.

    ``every_h`` is a step in hours, a tuple of times in hours, or None for the default grid (hourly over the
    first day, then daily).
    """

    every_h: Annotated[float | tuple[float, ...] | None, BeforeValidator(_grid)] = Field(None, alias="every")
    outputs: tuple[str, ...] = Field(default_factory=lambda: tuple(OUTPUTS))

    @field_validator("outputs", mode="before")
    @classmethod
    @pydantic_errors
    def _outputs(cls, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            fail(
                f"expected a list of output names, got {describe(value)}",
                "write e.g. outputs: [plasma_ketamine, madrs]",
            )
        if not value:
            fail("the list of outputs is empty", "leave `outputs` out for all outputs")
        seen: set[str] = set()
        for i, name in enumerate(value):
            choose(name, tuple(OUTPUTS), "output", f"[{i}]")
            if name in seen:
                fail(f"output {name!r} is listed twice", "list each output once", f"[{i}]")
            seen.add(name)
        return tuple(value)


@pydantic_errors
def _window(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        fail(f"expected two times, got {describe(value)}", f"write e.g. window: [0 h, 24 h] or [0 h, {INFINITY}]")
    end = value[1]
    return time_value(value[0], "[0]"), float("inf") if end == INFINITY else time_value(end, "[1]")


@pydantic_errors
def _concentration(value: Any) -> Any:
    return None if value is None else quantity(value, "concentration")


class Endpoint(FileModel):
    """A trial endpoint: its name, kind, what it reads (``scale``, or ``output`` for ``value`` and the PK kinds)
    and when.

    ``threshold`` is None when the file gives none (the trial layer applies the kind's default). ``window_h`` (PK
    kinds) is None for the whole run; its end is infinite for an area to infinity. ``above`` is the concentration
    (ng/mL) of ``time_above``.
    """

    name: Name
    kind: str
    scale: str | None = None
    output: str | None = None
    at_h: Hours | None = Field(None, alias="at")
    after_h: Hours | None = Field(None, alias="after")
    threshold: Annotated[float, optional_field(number)] | None = None
    window_h: Annotated[tuple[float, float] | None, BeforeValidator(_window)] = Field(None, alias="window")
    above: Annotated[float | None, BeforeValidator(_concentration)] = None

    @field_validator("kind", mode="before")
    @classmethod
    @pydantic_errors
    def _kind(cls, value: Any) -> str:
        return choose(value, ENDPOINT_KINDS, "endpoint kind")

    @field_validator("scale", mode="before")
    @classmethod
    @pydantic_errors
    def _scale(cls, value: Any) -> Any:
        return value if value is None else choose(value, SCALES, "rating scale")

    @field_validator("output", mode="before")
    @classmethod
    @pydantic_errors
    def _output(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        if info.data.get("kind") in PK_ENDPOINT_KINDS:
            return choose(value, DRUG_LEVEL_OUTPUTS, "drug concentration output")
        return choose(value, tuple(OUTPUTS), "output")

    @model_validator(mode="after")
    @pydantic_errors
    def _kind_keys(self) -> Endpoint:
        required, optional = ENDPOINT_KEYS[self.kind]
        by_key = {self.key_of(name): name for name in type(self).model_fields}
        for key in required:
            if getattr(self, by_key[key]) is None:
                fail(f"{self.kind} endpoints need `{key}`", _endpoint_example(self.kind), key)
        for key in ("scale", "output", "at", "after", "threshold", "window", "above"):
            if key not in required + optional and getattr(self, by_key[key]) is not None:
                fail(f"`{key}` is not used by {self.kind} endpoints", f"remove it; {_endpoint_example(self.kind)}", key)
        if self.threshold is not None:
            self._check_threshold(self.threshold)
        if self.window_h is not None:
            start, end = self.window_h
            if end == float("inf") and self.kind != "auc":
                fail(f"only auc endpoints reach {INFINITY}", "give an end time, e.g. window: [0 h, 24 h]", "window[1]")
            if not start < end:
                fail("the window ends before it starts", "write the earlier time first", "window")
        if self.above is not None and not self.above > 0:
            fail(f"concentration {self.above:g} ng/mL is not above 0", "write e.g. above: 100 ng/mL", "above")
        return self

    def _check_threshold(self, threshold: float) -> None:
        if self.kind == "remission" and self.scale is not None:
            low, high = SCALE_RANGES[self.scale]
            if not low <= threshold <= high:
                fail(f"remission cut-off {threshold:g} is outside the {self.scale} range", "give a score", "threshold")
        elif not 0 < threshold <= 100:
            fail(
                f"threshold {threshold:g} is not a percentage drop in (0, 100]", "write e.g. threshold: 50", "threshold"
            )

    @property
    def measured(self) -> str:
        """The scale or output this endpoint reads."""
        return str(self.scale if self.output is None else self.output)


def _endpoint_example(kind: str) -> str:
    required, _ = ENDPOINT_KEYS[kind]
    parts = {
        "scale": "scale: madrs",
        "output": "output: plasma_ketamine",
        "at": "at: 24 h",
        "after": "after: 13 d",
        "above": "above: 100 ng/mL",
    }
    return "write e.g. {" + ", ".join([f"name: my_{kind}", f"kind: {kind}"] + [parts[k] for k in required]) + "}"


# ---------------------------------------------------------------- protocol


MAX_OBSERVATIONS = 200_000


@pydantic_errors
def _version(value: Any) -> int:
    check_version(value)
    return SCHEMA_VERSION


def check_version(value: Any, key: str = "") -> None:
    """Fail unless ``value`` is schema version 1."""
    if isinstance(value, bool) or value != SCHEMA_VERSION:
        fail(f"schema version {value!r} is not supported by this release", f"write `ketasim: {SCHEMA_VERSION}`", key)


class Protocol(FileModel):
    """A validated protocol: who is treated, with what, when, for how long, and what to measure.

    ``source`` is the mapping it was loaded from (for round trips); ``warnings`` are the loader's notes, such
    as doses above the studied range. Build one from a file with `ketasim.load_protocol`, or from a mapping in
    Python with `ketasim.build_protocol`, which also expands every arm's events and checks the doses.
    """

    internal_fields: ClassVar[frozenset[str]] = frozenset({"source", "warnings"})

    ketasim: Annotated[int, BeforeValidator(_version)] = SCHEMA_VERSION
    name: Name
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED)
    duration_h: PositiveHours = Field(alias="duration")
    population: Population
    arms: list[Arm] = Field(min_length=1)
    observe: Observe = Field(default_factory=lambda: Observe.model_validate({}))
    endpoints: list[Endpoint] = Field(default_factory=list)
    drugs: list[dict[str, Any]] = Field(default_factory=list)
    source: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    def __init__(self, **data: Any) -> None:
        """Validate keyword arguments in the contract's form (``duration="2 d"``) and keep them as `source`."""
        self.__pydantic_validator__.validate_python(
            data, self_instance=self, context={"catalogue": drug_catalogue(data.get("drugs", []))}
        )
        if not self.source:
            object.__setattr__(self, "source", plain({"ketasim": SCHEMA_VERSION, **data}))

    @model_validator(mode="after")
    @pydantic_errors
    def _across(self) -> Protocol:
        _unique([a.name for a in self.arms], "arms", "arm name")
        _unique([e.name for e in self.endpoints], "endpoints", "endpoint name")
        self._check_observe()
        for i, endpoint in enumerate(self.endpoints):
            for field in ("at_h", "after_h"):
                time = getattr(endpoint, field)
                if time is not None and time > self.duration_h:
                    self._past(time, f"endpoints[{i}].{Endpoint.key_of(field)}")
            if endpoint.window_h is not None:
                for k, time in enumerate(endpoint.window_h):
                    if time != float("inf") and time > self.duration_h:
                        self._past(time, f"endpoints[{i}].window[{k}]")
            if endpoint.kind not in PK_ENDPOINT_KINDS and endpoint.measured not in self.observe.outputs:
                key = "output" if endpoint.kind == "value" else "scale"
                fail(
                    f"{endpoint.measured} is not among observe.outputs",
                    "add it to observe.outputs or leave outputs out",
                    f"endpoints[{i}].{key}",
                )
        return self

    @property
    def catalogue(self) -> Catalogue:
        """The drugs this protocol may name: the shipped drugs and the entries of its ``drugs`` list."""
        return drug_catalogue(self.drugs)

    def _check_observe(self) -> None:
        grid = self.observe.every_h
        if isinstance(grid, tuple):
            for i, time in enumerate(grid):
                if time > self.duration_h:
                    self._past(time, f"observe.every[{i}]")
        elif grid is not None and self.duration_h / grid > MAX_OBSERVATIONS:
            fail(
                f"every {format_hours(grid)} gives more than {MAX_OBSERVATIONS} observations",
                "observe less often or list the times",
                "observe.every",
            )

    def _past(self, time: float, key: str) -> NoReturn:
        fail(
            f"time {format_hours(time)} is past the duration {format_hours(self.duration_h)}",
            "move it earlier or lengthen `duration`",
            key,
        )


def _unique(names: Sequence[str], key: str, what: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            fail(f"{what} {name!r} is used twice", "give each a different name", f"{key}[{i}].name")
        seen.add(name)


def drug_catalogue(entries: Any) -> Catalogue:
    """The shipped drugs and a protocol's own drug entries (``drugs``: a list of mappings in the drug file form).

    Raises
    ------
    ProtocolError
        At ``drugs`` (or the entry) for entries that are not mappings or break the drug file form.
    """
    if not entries:
        return default_catalogue()
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ProtocolError("drugs", "expected a list of drug entries (mappings)", "see spec/protocol.md, drugs")
    try:
        return _extended_catalogue(json.dumps(entries, sort_keys=True))
    except ParameterError as error:
        raise ProtocolError("drugs", str(error), "see spec/protocol.md, drugs") from None


@functools.lru_cache(maxsize=32)
def _extended_catalogue(entries_json: str) -> Catalogue:
    return default_catalogue().with_drugs(json.loads(entries_json))
