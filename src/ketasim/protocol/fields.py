"""The parts every section of a protocol file shares: key paths, one-line messages, small parsers and the
frozen base model that refuses unknown keys with a did-you-mean hint."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from difflib import get_close_matches
from typing import Annotated, Any, ClassVar, NoReturn, TypeVar

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ketasim.errors import InputError, ProtocolError
from ketasim.units import parse_quantity

T = TypeVar("T")

HOURS_PER_YEAR = 365.25 * 24.0
MAX_DURATION_YEARS = 10
MAX_DURATION_H = MAX_DURATION_YEARS * HOURS_PER_YEAR  # the longest course, and the latest time anything happens


# ---------------------------------------------------------------- errors and small parsers


def plain(value: Any) -> Any:
    """A deep copy made of dicts, lists and scalars."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def format_key_path(loc: Sequence[str | int]) -> str:
    """Join a location such as ``("arms", 0, "treatments", 1, "dose")`` into ``arms[0].treatments[1].dose``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith("["):
            text += str(part)
        else:
            text += f".{part}" if text else str(part)
    return text


def join_key_path(base: str, key: str) -> str:
    """``base`` followed by the relative ``key`` (``"at[2]"``, ``"[2]"`` or ``""``)."""
    if not key:
        return base
    if not base or key.startswith("["):
        return base + key
    return f"{base}.{key}"


def fail(problem: str, fix: str = "", key: str = "") -> NoReturn:
    """Raise a `ProtocolError` at ``key``, relative to the model or value being checked."""
    raise ProtocolError(key, problem, fix)


def suggest(value: str, options: Sequence[str]) -> str:
    """A did-you-mean hint for ``value`` among ``options``, followed by the full list."""
    close = get_close_matches(value, list(options), n=1, cutoff=0.6)
    listing = ", ".join(options)
    return f"did you mean {close[0]!r}? choose from {listing}" if close else f"choose from {listing}"


def describe(value: Any) -> str:
    """A short description of a value for messages: ``text 'abc'``, ``the number 1.5``, ``a list``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def pydantic_errors(function: Callable[..., T]) -> Callable[..., T]:
    """Let a validator raise `ProtocolError`; pydantic receives it as an error carrying problem, fix and key."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except InputError as error:
            ctx = {"problem": error.problem, "fix": error.fix, "key": error.key_path}
            raise PydanticCustomError("ketasim", "{problem}", ctx) from None

    return wrapper


def choose(value: Any, options: Sequence[str], what: str, key: str = "") -> str:
    """``value`` if it is one of ``options``, else an error with a did-you-mean hint."""
    if not isinstance(value, str):
        fail(f"expected the name of a {what}, got {describe(value)}", f"choose from {', '.join(options)}", key)
    if value not in options:
        fail(f"unknown {what} {value!r}", suggest(value, options), key)
    return value


def quantity(value: Any, kind: str, key: str = "") -> float:
    """Parse a quantity with a unit into engine units, or fail at ``key``."""
    try:
        return parse_quantity(value, kind, key, ProtocolError)
    except InputError as error:
        raise ProtocolError(key, error.problem, error.fix) from None


def number(value: Any, key: str = "") -> float:
    """A plain number (not a yes/no value, not text), or fail at ``key``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"expected a number, got {describe(value)}", "write a plain number, e.g. 0.5", key)
    if not np.isfinite(value):
        fail(f"expected a finite number, got {value!r}", "write a plain number, e.g. 0.5", key)
    return float(value)


def check_keys(data: Any, allowed: Sequence[str], key: str = "") -> None:
    """Fail on the first key of mapping ``data`` that is not in ``allowed``, with a did-you-mean hint."""
    if not isinstance(data, Mapping):
        return
    for name in data:
        if not isinstance(name, str):
            fail(f"key {name!r} is not text", "keys are names such as `duration`", join_key_path(key, str(name)))
        if name not in allowed:
            close = get_close_matches(name, list(allowed), n=1, cutoff=0.6)
            fix = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            fail(f"unknown key {name!r}", fix, join_key_path(key, name))


def _not_too_late(hours: float, value: Any, key: str) -> float:
    if hours > MAX_DURATION_H:
        fail(
            f"{value!r} is longer than {MAX_DURATION_YEARS} years, the longest course ketasim simulates",
            "give a shorter time",
            key,
        )
    return hours


def time_value(value: Any, key: str = "") -> float:
    """A time from the first treatment in hours (0 to `MAX_DURATION_H`), or fail at ``key``."""
    hours = quantity(value, "time", key)
    if hours < 0:
        fail(
            f"time {value!r} is before the first treatment (0 h)",
            "times count from the first treatment: use 0 h or later",
            key,
        )
    return _not_too_late(hours, value, key)


def duration_value(value: Any, key: str = "") -> float:
    """A length of time in hours (above 0, at most `MAX_DURATION_H`), or fail at ``key``."""
    hours = quantity(value, "time", key)
    if hours <= 0:
        fail(f"{value!r} must be longer than zero", 'write e.g. "40 min" or "1 d"', key)
    return _not_too_late(hours, value, key)


def name_text(value: str, key: str = "") -> str:
    """A name without control characters, line breaks or code points that XML cannot hold, or fail at ``key``."""
    for character in value:
        if unicodedata.category(character) in ("Cc", "Cs") or character in "\ufffe\uffff":
            fail(
                f"the name contains the control character U+{ord(character):04X}",
                "write the name on one line, without control characters",
                key,
            )
    return value


Name = Annotated[str, Field(min_length=1), AfterValidator(pydantic_errors(name_text))]


def optional_field(parse: Callable[[Any], Any]) -> BeforeValidator:
    return BeforeValidator(pydantic_errors(lambda value: None if value is None else parse(value)))


Hours = Annotated[float, optional_field(time_value)]
PositiveHours = Annotated[float, optional_field(duration_value)]


def format_hours(hours: float) -> str:
    """A time in hours as a person would write it: ``40 min``, ``6 h``, ``3 d``."""
    if hours != 0 and abs(hours) < 1:
        return f"{hours * 60:.4g} min"
    if abs(hours) < 48:
        return f"{hours:.4g} h"
    return f"{hours / 24:.4g} d"


class FileModel(BaseModel):
    """Frozen model that refuses unknown keys with a did-you-mean hint."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    internal_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def input_keys(cls) -> tuple[str, ...]:
        """The keys a protocol file may use for this model."""
        return tuple(info.alias or name for name, info in cls.model_fields.items() if name not in cls.internal_fields)

    @model_validator(mode="before")
    @classmethod
    @pydantic_errors
    def _known_keys(cls, data: Any) -> Any:
        check_keys(data, cls.input_keys())
        return data

    @classmethod
    def key_of(cls, name: str) -> str:
        """The file key of the field ``name``."""
        return cls.model_fields[name].alias or name
