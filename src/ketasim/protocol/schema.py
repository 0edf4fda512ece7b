"""The validated form of a protocol file (``spec/protocol.md``): frozen pydantic models with parsed units.

Times are in hours, doses in mg or mg/kg, weights in kg. Every check raises `ProtocolError` with a key path
relative to the model being checked; `ketasim.protocol.loading` prefixes the path of that model in the file.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Annotated, Any, ClassVar, Literal, NoReturn, TypeVar

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from scipy.special import ndtr, ndtri

from ketasim.errors import InputError, ProtocolError
from ketasim.protocol.drugs import DRUG_ROUTES, DRUGS
from ketasim.units import parse_quantity, plain_expression, registry
from ketasim.vocabulary import (
    CONDITIONS,
    ENDPOINT_KINDS,
    INFUSION_ROUTES,
    OUTPUTS,
    PLACEBO,
    ROUTES,
    SCALE_RANGES,
    SCALES,
    THERAPIES,
)

SCHEMA_VERSION = 1
INTENSIVE = "emdr-intensive"
INTENSIVE_DEFAULT_DAYS = 3
INTENSIVE_DEFAULT_HOURS_PER_DAY = 3.0
# Keys each endpoint kind needs, and the optional keys it takes besides `name` and `kind`.
ENDPOINT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "response": (("scale", "at"), ("threshold",)),
    "remission": (("scale", "at"), ("threshold",)),
    "mean_change": (("scale", "at"), ()),
    "percent_change": (("scale", "at"), ()),
    "time_to_response": (("scale",), ("threshold",)),
    "time_to_relapse": (("scale", "after"), ("threshold",)),
    "value": (("output", "at"), ()),
}
HOURS_PER_YEAR = 365.25 * 24.0
MAX_DURATION_YEARS = 10
MAX_DURATION_H = MAX_DURATION_YEARS * HOURS_PER_YEAR  # the longest course, and the latest time anything happens
MAX_SEED = 2**63 - 1
MAX_POPULATION_SIZE = 10**9
MAX_INTENSIVE_DAYS = 365

T = TypeVar("T")


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


def _optional(parse: Callable[[Any], Any]) -> BeforeValidator:
    return BeforeValidator(pydantic_errors(lambda value: None if value is None else parse(value)))


Hours = Annotated[float, _optional(time_value)]
PositiveHours = Annotated[float, _optional(duration_value)]


def format_hours(hours: float) -> str:
    """A time in hours as a person would write it: ``40 min``, ``6 h``, ``3 d``."""
    if hours != 0 and abs(hours) < 1:
        return f"{hours * 60:.4g} min"
    if abs(hours) < 48:
        return f"{hours:.4g} h"
    return f"{hours / 24:.4g} d"


class _Model(BaseModel):
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


# ---------------------------------------------------------------- distributions


@dataclass(frozen=True)
class CovariateSpec:
    """How a covariate is written and its valid range.

    ``unit`` is ``weight`` (a mass with a unit, kg), ``age`` (years, bare or with a unit) or ``number``.
    A ``binary`` covariate is yes/no per patient (written as ``{fraction: p}``, 0 or 1).
    """

    lower: float
    upper: float
    unit: Literal["weight", "age", "number"] = "number"
    integer: bool = False
    binary: bool = False


COVARIATE_SPECS: dict[str, CovariateSpec] = {
    "weight": CovariateSpec(30.0, 250.0, unit="weight"),
    "age": CovariateSpec(18.0, 100.0, unit="age"),
    "female": CovariateSpec(0.0, 1.0, binary=True),
    "cyp2b6_slow": CovariateSpec(0.0, 1.0, binary=True),
    "childhood_neglect": CovariateSpec(0.0, 1.0, binary=True),
    "failed_treatments": CovariateSpec(0.0, 20.0, integer=True),
    "chronic_stress": CovariateSpec(0.0, 1.0),
}
DISTRIBUTION_FORMS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"),
    "lognormal": ("median", "gsd"),
    "uniform": ("min", "max"),
    "categorical": ("values", "weights"),
    "fraction": ("fraction",),
}
FORM_EXAMPLES = {
    "normal": "{mean: 40, sd: 10}",
    "lognormal": "{median: 40, gsd: 1.3}",
    "uniform": "{min: 20, max: 60}",
    "categorical": "{values: [1, 2], weights: [1, 1]}",
    "fraction": "{fraction: 0.5}",
}
DISTRIBUTION_KEYS = ("mean", "sd", "median", "gsd", "min", "max", "values", "weights", "fraction")


class Distribution(BaseModel):
    """How one covariate or baseline score is spread over patients.

    Forms: ``normal`` (mean, sd; truncated to [lower, upper]), ``lognormal`` (median, gsd; truncated),
    ``uniform`` (minimum, maximum), ``categorical`` (values, weights), ``fraction`` (yes = 1 with probability
    ``fraction``, else 0) and ``fixed`` (value). Build one from file notation with `covariate_distribution`
    or `baseline_distribution`, which check it.
    """

    model_config = ConfigDict(frozen=True)

    form: Literal["normal", "lognormal", "uniform", "categorical", "fraction", "fixed"]
    mean: float = 0.0
    sd: float = 0.0
    median: float = 1.0
    gsd: float = 1.0
    minimum: float = 0.0
    maximum: float = 0.0
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    fraction: float = 0.0
    value: float = 0.0
    lower: float = -np.inf
    upper: float = np.inf
    integer: bool = False

    def typical(self) -> float:
        """The typical value: mean, median, midpoint, weighted mean, fraction or fixed value."""
        if self.form == "normal":
            return self.mean
        if self.form == "lognormal":
            return self.median
        if self.form == "uniform":
            return 0.5 * (self.minimum + self.maximum)
        if self.form == "categorical":
            return float(np.dot(self.values, self._probabilities()))
        if self.form == "fraction":
            return self.fraction
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values with ``rng``; integer covariates are rounded, all stay within [lower, upper]."""
        return self.quantile(rng.random(n))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities ``u`` (inverse CDF), so that uniform draws become draws of this distribution."""
        u = np.asarray(u, dtype=float)
        if self.form == "normal":
            draws = self._truncated_normal(u, self.mean, self.sd, self.lower, self.upper)
        elif self.form == "lognormal":
            low = np.log(self.lower) if self.lower > 0 else -np.inf
            high = np.log(self.upper) if self.upper > 0 else -np.inf
            draws = np.exp(self._truncated_normal(u, np.log(self.median), np.log(self.gsd), low, high))
        elif self.form == "uniform":
            draws = self.minimum + u * (self.maximum - self.minimum)
        elif self.form == "categorical":
            index = np.searchsorted(np.cumsum(self._probabilities()), u, side="right")
            draws = np.asarray(self.values, dtype=float)[np.minimum(index, len(self.values) - 1)]
        elif self.form == "fraction":
            draws = (u < self.fraction).astype(float)
        else:
            draws = np.full(u.shape, self.value)
        if self.integer:
            draws = np.rint(draws)
        return np.clip(np.asarray(draws, dtype=float), self.lower, self.upper)

    def _probabilities(self) -> np.ndarray:
        weights = np.asarray(self.weights or [1.0] * len(self.values), dtype=float)
        return weights / weights.sum()

    @staticmethod
    def _truncated_normal(u: np.ndarray, mean: float, sd: float, low: float, high: float) -> np.ndarray:
        if sd <= 0:
            return np.full(u.shape, mean)
        below, above = ndtr((low - mean) / sd), ndtr((high - mean) / sd)
        return mean + sd * ndtri(below + u * (above - below))


def _distribution_number(value: Any, unit: str, key: str) -> float:
    if unit == "weight":
        return quantity(value, "weight", key)
    if unit == "age" and isinstance(value, str):
        return quantity(value, "time", key) / HOURS_PER_YEAR
    return number(value, key)


def _within(value: float, lower: float, upper: float, what: str, key: str) -> float:
    if not lower <= value <= upper:
        fail(f"{what} {value:.4g} is outside the valid range {lower:.4g} to {upper:.4g}", "give a value in range", key)
    return value


def _parse_form(raw: Mapping[str, Any], unit: str, lower: float, upper: float, what: str) -> dict[str, Any]:
    check_keys(raw, DISTRIBUTION_KEYS)
    forms = [form for form, keys in DISTRIBUTION_FORMS.items() if any(k in raw for k in keys)]
    if not forms:
        fail("empty distribution", "write e.g. {mean: 40, sd: 10}, {min: 20, max: 60} or a plain value")
    if len(forms) > 1:
        keys = " and ".join("/".join(DISTRIBUTION_FORMS[f]) for f in forms)
        fail(f"mixes the forms {keys}", "give one form, e.g. {mean, sd} or {median, gsd}")
    form = forms[0]
    required = DISTRIBUTION_FORMS[form][:1] if form == "categorical" else DISTRIBUTION_FORMS[form]
    for key in required:
        if key not in raw:
            beside = ", ".join(k for k in DISTRIBUTION_FORMS[form] if k in raw)
            fail(f"missing {key!r} beside {beside}", f"write e.g. {FORM_EXAMPLES[form]}", key)
    if form == "normal":
        mean = _within(_distribution_number(raw["mean"], unit, "mean"), lower, upper, f"{what} mean", "mean")
        sd = _distribution_number(raw["sd"], unit, "sd")
        if sd < 0:
            fail(f"sd {sd:.4g} is negative", "give a standard deviation of 0 or more", "sd")
        return {"form": form, "mean": mean, "sd": sd}
    if form == "lognormal":
        median = _within(_distribution_number(raw["median"], unit, "median"), lower, upper, f"{what} median", "median")
        gsd = number(raw["gsd"], "gsd")
        if median <= 0:
            fail("a log-normal median must be above zero", "use {mean, sd} for values that can be zero", "median")
        if gsd < 1:
            fail(f"gsd {gsd:.4g} is below 1", "the geometric standard deviation is a ratio of 1 or more", "gsd")
        return {"form": form, "median": median, "gsd": gsd}
    if form == "uniform":
        low = _within(_distribution_number(raw["min"], unit, "min"), lower, upper, f"{what} min", "min")
        high = _within(_distribution_number(raw["max"], unit, "max"), lower, upper, f"{what} max", "max")
        if high < low:
            fail(f"max {high:.4g} is below min {low:.4g}", "swap them", "max")
        return {"form": form, "minimum": low, "maximum": high}
    if form == "categorical":
        return _parse_categorical(raw, unit, lower, upper, what)
    p = number(raw["fraction"], "fraction")
    if not 0 <= p <= 1:
        fail(f"fraction {p:.4g} is outside 0 to 1", "give a fraction, e.g. 0.6", "fraction")
    return {"form": form, "fraction": p}


def _parse_categorical(raw: Mapping[str, Any], unit: str, lower: float, upper: float, what: str) -> dict[str, Any]:
    items = raw["values"]
    if not isinstance(items, (list, tuple)) or not items:
        fail(f"values must be a non-empty list, got {describe(items)}", "write e.g. values: [1, 2, 3]", "values")
    values = [
        _within(_distribution_number(v, unit, f"values[{i}]"), lower, upper, f"{what} value", f"values[{i}]")
        for i, v in enumerate(items)
    ]
    weights: list[float] = []
    if "weights" in raw:
        given = raw["weights"]
        if not isinstance(given, (list, tuple)) or len(given) != len(values):
            fail(f"weights must be a list as long as values ({len(values)})", "give one weight per value", "weights")
        weights = [number(w, f"weights[{i}]") for i, w in enumerate(given)]
        if min(weights) < 0 or sum(weights) <= 0:
            fail("weights must be 0 or more and not all 0", "give relative frequencies, e.g. [1, 2, 1]", "weights")
    return {"form": "categorical", "values": tuple(values), "weights": tuple(weights)}


def _distribution(raw: Any, unit: str, lower: float, upper: float, integer: bool, what: str) -> Distribution:
    if isinstance(raw, Mapping):
        fields = _parse_form(raw, unit, lower, upper, what)
    elif isinstance(raw, (list, tuple)):
        fail(f"expected a value or a distribution, got {describe(raw)}", "write e.g. {values: [...], weights: [...]}")
    else:
        fields = {"form": "fixed", "value": _within(_distribution_number(raw, unit, ""), lower, upper, what, "")}
    return Distribution(**fields, lower=lower, upper=upper, integer=integer)


def covariate_distribution(name: str, raw: Any) -> Distribution:
    """Build the distribution of covariate ``name`` from its file notation, e.g. ``{mean: "80 kg", sd: "15 kg"}``.

    Raises
    ------
    ProtocolError
        With a key path relative to the covariate (``name.mean``) for unknown covariates and bad values.
    """
    spec = COVARIATE_SPECS.get(name)
    if spec is None:
        fail(f"unknown covariate {name!r}", suggest(name, tuple(COVARIATE_SPECS)), name)
    try:
        if spec.binary:
            _check_binary(raw)
        return _distribution(raw, spec.unit, spec.lower, spec.upper, spec.integer, name)
    except InputError as error:
        raise ProtocolError(join_key_path(name, error.key_path), error.problem, error.fix) from None


def _check_binary(raw: Any) -> None:
    allowed = ("fraction", "values", "weights")
    if isinstance(raw, Mapping):
        wrong = [k for k in raw if k in DISTRIBUTION_KEYS and k not in allowed]
        if wrong:
            fail(f"a yes/no covariate takes {{fraction: p}}, not {wrong[0]!r}", "write e.g. {fraction: 0.6}", wrong[0])
        values = raw.get("values")
        if isinstance(values, (list, tuple)) and any(v not in (0, 1) or isinstance(v, bool) for v in values):
            fail("a yes/no covariate takes the values 0 and 1", "write e.g. {fraction: 0.6}", "values")
    elif isinstance(raw, bool) or raw not in (0, 1):
        fail(f"a yes/no covariate is 0, 1 or a fraction, got {describe(raw)}", "write e.g. {fraction: 0.6}")


def baseline_distribution(scale: str, raw: Any) -> Distribution:
    """Build the distribution of the baseline score of ``scale`` from its file notation, e.g. ``{mean: 32, sd: 5}``.

    Raises
    ------
    ProtocolError
        With a key path relative to the scale (``madrs.mean``).
    """
    if scale not in SCALE_RANGES:
        fail(f"unknown rating scale {scale!r}", suggest(scale, SCALES), scale)
    lower, upper = SCALE_RANGES[scale]
    try:
        if isinstance(raw, Mapping) and "fraction" in raw:
            fail("a baseline score takes no fraction", "write e.g. {mean: 32, sd: 5}", "fraction")
        return _distribution(raw, "number", lower, upper, False, f"{scale} score")
    except InputError as error:
        raise ProtocolError(join_key_path(scale, error.key_path), error.problem, error.fix) from None


def _distributions(raw: Any, build: Callable[[str, Any], Distribution], example: str) -> dict[str, Distribution]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        fail(f"expected a mapping of names to distributions, got {describe(raw)}", f"write e.g. {example}")
    out = {}
    for name, value in raw.items():
        if not isinstance(name, str):
            fail(f"key {name!r} is not text", f"write e.g. {example}", str(name))
        out[name] = value if isinstance(value, Distribution) else build(name, value)
    return out


# ---------------------------------------------------------------- population


@dataclass(frozen=True)
class DoseAmount:
    """A dose as written: ``amount`` in mg, or in mg/kg when ``per_kg``."""

    amount: float
    per_kg: bool


class ParameterChoice(_Model):
    """The parameter set a population uses and the values it overrides (raw strings with units)."""

    set_name: str = Field("default", alias="set", min_length=1)
    override: dict[str, str] = Field(default_factory=dict)

    @field_validator("override", mode="before")
    @classmethod
    @pydantic_errors
    def _raw_values(cls, raw: Any) -> Any:
        if not isinstance(raw, Mapping):
            return raw
        out = {}
        for name, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                fail(f"expected a value with a unit, got {describe(value)}", 'write e.g. "79 L/h"', str(name))
            if not _finite(str(value)):
                fail(f"{value!r} is not a plain finite number with a unit", 'write e.g. "79 L/h"', str(name))
            out[name] = str(value)
        return out


def _finite(text: str) -> bool:
    """Whether ``text`` reads as a finite quantity; True when it is not a quantity at all (its parser says so)."""
    if not plain_expression(text):
        return False
    try:
        magnitude: Any = registry().Quantity(text).magnitude
    except Exception:  # pint raises many unrelated types on garbage
        return True
    try:
        return bool(np.all(np.isfinite(np.asarray(magnitude, dtype=float))))
    except (OverflowError, TypeError, ValueError):
        return False


def _parameter_choice(raw: Any) -> Any:
    return {"set": raw} if isinstance(raw, str) else raw


class Population(_Model):
    """Who is treated: how many, their condition, covariates, baseline scores and parameter set."""

    size: StrictInt = Field(1, ge=1, le=MAX_POPULATION_SIZE)
    condition: str = "trd"
    variability: StrictBool = True
    covariates: dict[str, Distribution] = Field(default_factory=dict)
    baseline: dict[str, Distribution] = Field(default_factory=dict)
    parameters: Annotated[ParameterChoice, BeforeValidator(_parameter_choice)] = Field(
        default_factory=lambda: ParameterChoice.model_validate({})
    )

    @field_validator("condition", mode="before")
    @classmethod
    @pydantic_errors
    def _condition(cls, value: Any) -> str:
        return choose(value, CONDITIONS, "condition")

    @field_validator("covariates", mode="before")
    @classmethod
    @pydantic_errors
    def _covariates(cls, raw: Any) -> dict[str, Distribution]:
        return _distributions(raw, covariate_distribution, '{weight: {mean: "80 kg", sd: "15 kg"}}')

    @field_validator("baseline", mode="before")
    @classmethod
    @pydantic_errors
    def _baseline(cls, raw: Any) -> dict[str, Distribution]:
        return _distributions(raw, baseline_distribution, "{madrs: {mean: 32, sd: 5}}")

    @property
    def parameter_set(self) -> str:
        """Name of the parameter set (``default`` unless the file names one)."""
        return self.parameters.set_name

    @property
    def parameter_overrides(self) -> dict[str, str]:
        """Parameter values the file overrides, as raw value-with-unit strings."""
        return dict(self.parameters.override)


# ---------------------------------------------------------------- treatments


def _per_weight_kg(text: str) -> float | None:
    """Kilograms in one unit of the denominator of ``text`` (``"0.5 mg/kg"`` -> 1.0), None if it is no weight."""
    _, slash, denominator = text.rpartition("/")
    if not slash or not denominator.strip():
        return None
    try:
        return parse_quantity(f"1 {denominator.strip()}", "weight", "", ProtocolError)
    except InputError:
        return None


def parse_dose(value: Any, key: str = "") -> DoseAmount:
    """Parse a dose: per body weight (``"0.5 mg/kg"``, in mg/kg) or absolute (``"56 mg"``, in mg).

    Raises
    ------
    ProtocolError
        At ``key`` for a bare number, a unit that is neither, or a dose that is not above zero.
    """
    example = 'write e.g. "0.5 mg/kg" or "56 mg"'
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        fail(f"expected a dose with a unit, got {describe(value)}", example, key)
    if not isinstance(value, str):
        fail(f"bare number {value!r} has no unit", example, key)
    per_weight = _per_weight_kg(value)
    try:
        if per_weight is not None:
            numerator = value.rpartition("/")[0].strip()
            dose = DoseAmount(parse_quantity(numerator, "mass", key, ProtocolError) / per_weight, True)
        else:
            dose = DoseAmount(parse_quantity(value, "mass", key, ProtocolError), False)
    except InputError as error:
        problem = error.problem
        if "wrong dimension" in problem:
            problem = f"dose {value!r} is neither per body weight (mg/kg) nor an absolute amount (mg)"
        raise ProtocolError(key, problem, example) from None
    if dose.amount <= 0:
        fail(f"dose {value!r} is not above zero", "for an inert comparator use `drug: placebo` without a dose", key)
    return dose


_dose = pydantic_errors(parse_dose)


@pydantic_errors
def _hours_per_day(value: Any) -> float:
    hours = (
        number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else quantity(value, "time")
    )
    if not 0 < hours <= 24:
        fail(f"{hours:.4g} hours per day is not within 0 to 24", "write e.g. 3 (hours) or 4 h")
    return hours


@pydantic_errors
def _times(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and not value:
        fail("the list of times is empty", "write e.g. at: [0 h, 2 d]")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        fail(f"expected a list of times, got {describe(value)}", f"write e.g. [{value}]")
    if isinstance(value, (list, tuple)):
        times = [time_value(item, f"[{i}]") for i, item in enumerate(value)]
        seen: set[float] = set()
        for i, time in enumerate(times):
            if time in seen:
                fail(f"time {format_hours(time)} is listed twice", "list each time once", f"[{i}]")
            seen.add(time)
        return tuple(times)
    return value


SCHEDULE_KEYS = ("at", "every", "after_each_dose", "during_each_dose")
DRUG_KEYS = ("drug", "route", "dose", "infusion")
THERAPY_KEYS = ("therapy", "session", "days", "hours_per_day", "after_each_dose", "during_each_dose")


class Treatment(_Model):
    """One item of an arm's treatments: a drug (``drug``, ``route``, ``dose``) or a therapy, with its schedule.

    Exactly one schedule is given: ``at_h`` (times), ``every_h`` with ``count`` or ``until_h`` (from
    ``start_h``, default 0 h; ``until`` is exclusive), or for therapies ``after_each_dose_h`` or
    ``during_each_dose``.
    """

    drug: str | None = None
    route: str | None = None
    dose: Annotated[DoseAmount, BeforeValidator(_dose)] | None = None
    infusion_h: PositiveHours | None = Field(None, alias="infusion")
    therapy: str | None = None
    session_h: PositiveHours | None = Field(None, alias="session")
    days: StrictInt | None = Field(None, ge=1, le=MAX_INTENSIVE_DAYS)
    hours_per_day: Annotated[float, BeforeValidator(_hours_per_day)] | None = None
    at_h: Annotated[tuple[float, ...], BeforeValidator(_times)] | None = Field(None, alias="at")
    every_h: PositiveHours | None = Field(None, alias="every")
    count: StrictInt | None = None
    until_h: Hours | None = Field(None, alias="until")
    start_h: Hours | None = Field(None, alias="start")
    after_each_dose_h: Hours | None = Field(None, alias="after_each_dose")
    during_each_dose: StrictBool | None = None

    @field_validator("drug", mode="before")
    @classmethod
    @pydantic_errors
    def _drug(cls, value: Any) -> Any:
        return value if value is None else choose(value, DRUGS, "drug")

    @field_validator("route", mode="before")
    @classmethod
    @pydantic_errors
    def _route(cls, value: Any) -> Any:
        return value if value is None else choose(value, ROUTES, "route")

    @field_validator("therapy", mode="before")
    @classmethod
    @pydantic_errors
    def _therapy(cls, value: Any) -> Any:
        return value if value is None else choose(value, THERAPIES, "therapy")

    @model_validator(mode="after")
    @pydantic_errors
    def _consistent(self) -> Treatment:
        if self.drug is None and self.therapy is None:
            fail("a treatment needs `drug` or `therapy`", "add e.g. drug: ketamine, or therapy: emdr")
        if self.drug is not None and self.therapy is not None:
            fail("a treatment has either `drug` or `therapy`, not both", "give each its own item", "therapy")
        if self.drug is not None:
            self._check_drug()
        else:
            self._check_therapy()
        self._check_schedule()
        return self

    def _present(self, keys: Sequence[str]) -> list[str]:
        by_key = {self.key_of(name): name for name in type(self).model_fields}
        return [key for key in keys if by_key[key] in self.model_fields_set and getattr(self, by_key[key]) is not None]

    def _check_drug(self) -> None:
        drug = str(self.drug)
        wrong = [k for k in self._present(THERAPY_KEYS) if k not in DRUG_KEYS]
        if wrong:
            fail(f"`{wrong[0]}` belongs to therapy items, not to a drug", "move it to a `therapy:` item", wrong[0])
        if self.route is None:
            fail("missing route", f"add e.g. route: {DRUG_ROUTES[drug][0]}", "route")
        if self.route not in DRUG_ROUTES[drug]:
            fail(f"{drug} has no route {self.route!r}", f"{drug} routes: {', '.join(DRUG_ROUTES[drug])}", "route")
        if drug == PLACEBO and self.dose is not None:
            fail("placebo takes no dose", "remove `dose`: placebo is an inert preparation", "dose")
        if drug != PLACEBO and self.dose is None:
            fail(f"missing dose of {drug}", 'add e.g. dose: "0.5 mg/kg" or dose: "56 mg"', "dose")
        if self.infusion_h is not None and self.route not in INFUSION_ROUTES:
            fail(
                f"`infusion` is only for the routes {' and '.join(INFUSION_ROUTES)}, not {self.route}",
                "remove `infusion` for an extravascular dose",
                "infusion",
            )

    def _check_therapy(self) -> None:
        wrong = [k for k in self._present(DRUG_KEYS) if k != "drug"]
        if wrong:
            fail(f"`{wrong[0]}` belongs to drug items, not to a therapy", "move it to a `drug:` item", wrong[0])
        if self.therapy == INTENSIVE:
            if self.session_h is not None:
                fail("emdr-intensive takes `hours_per_day`, not `session`", "write e.g. hours_per_day: 3", "session")
        else:
            extra = self._present(("days", "hours_per_day"))
            if extra:
                fail(f"`{extra[0]}` is only for emdr-intensive", "remove it or use therapy: emdr-intensive", extra[0])
            if self.session_h is None:
                fail(f"missing session length of {self.therapy}", "add e.g. session: 90 min", "session")

    def _check_schedule(self) -> None:
        given = self._present(SCHEDULE_KEYS)
        if not given:
            fail(
                "no schedule", "add one of at: [0 h], every: 1 d with count or until, after_each_dose, during_each_dose"
            )
        if len(given) > 1:
            fail(f"more than one schedule ({', '.join(given)})", "keep one of them", given[1])
        if self.during_each_dose is False:
            fail("during_each_dose must be true when given", "remove it and give another schedule", "during_each_dose")
        with_every = self._present(("count", "until", "start"))
        if given[0] != "every":
            if with_every:
                fail(f"`{with_every[0]}` is only used with `every`", "remove it or schedule with every", with_every[0])
            return
        self._check_every()

    def _check_every(self) -> None:
        limits = self._present(("count", "until"))
        if len(limits) != 1:
            problem = "`every` needs `count` or `until`" if not limits else "give `count` or `until`, not both"
            fail(problem, "write e.g. every: 1 d, count: 28", "every" if not limits else "until")
        start = self.start_h or 0.0
        if self.count is not None and self.count < 1:
            fail(f"count {self.count} gives no doses or sessions", "give a count of 1 or more", "count")
        if self.until_h is not None and self.until_h <= start:
            fail(
                f"until {format_hours(self.until_h)} is not after start {format_hours(start)}: gives nothing",
                "`until` is exclusive: give a time after `start`",
                "until",
            )

    @property
    def kind(self) -> Literal["drug", "therapy"]:
        """``drug`` or ``therapy``."""
        return "drug" if self.drug is not None else "therapy"

    @property
    def session_hours(self) -> float:
        """Length of each session in hours (``hours_per_day`` for emdr-intensive); 0 for drugs."""
        if self.therapy == INTENSIVE:
            return self.hours_per_day if self.hours_per_day is not None else INTENSIVE_DEFAULT_HOURS_PER_DAY
        return self.session_h or 0.0

    @property
    def intensive_days(self) -> int:
        """Consecutive days of an emdr-intensive (1 for any other item)."""
        if self.therapy != INTENSIVE:
            return 1
        return self.days if self.days is not None else INTENSIVE_DEFAULT_DAYS


class Arm(_Model):
    """One arm of the trial: a name and its treatments (an empty list is an untreated arm)."""

    name: Name
    treatments: list[Treatment]


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


class Observe(_Model):
    """The output grid and the outputs to keep.

    ``every_h`` is a step in hours, a tuple of times in hours, or None for the default grid (hourly over the
    first day, then daily).
    """

    every_h: Annotated[float | tuple[float, ...] | None, BeforeValidator(_grid)] = Field(None, alias="every")
    outputs: tuple[str, ...] = tuple(OUTPUTS)

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


class Endpoint(_Model):
    """A trial endpoint: its name, kind, what it reads (``scale`` or, for ``value``, ``output``) and when.

    ``threshold`` is None when the file gives none (the trial layer applies the kind's default).
    """

    name: Name
    kind: str
    scale: str | None = None
    output: str | None = None
    at_h: Hours | None = Field(None, alias="at")
    after_h: Hours | None = Field(None, alias="after")
    threshold: Annotated[float, _optional(number)] | None = None

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
    def _output(cls, value: Any) -> Any:
        return value if value is None else choose(value, tuple(OUTPUTS), "output")

    @model_validator(mode="after")
    @pydantic_errors
    def _kind_keys(self) -> Endpoint:
        required, optional = ENDPOINT_KEYS[self.kind]
        by_key = {self.key_of(name): name for name in type(self).model_fields}
        for key in required:
            if getattr(self, by_key[key]) is None:
                fail(f"{self.kind} endpoints need `{key}`", _endpoint_example(self.kind), key)
        for key in ("scale", "output", "at", "after", "threshold"):
            if key not in required + optional and getattr(self, by_key[key]) is not None:
                fail(f"`{key}` is not used by {self.kind} endpoints", f"remove it; {_endpoint_example(self.kind)}", key)
        if self.threshold is not None:
            self._check_threshold(self.threshold)
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
        return str(self.output if self.kind == "value" else self.scale)


def _endpoint_example(kind: str) -> str:
    required, _ = ENDPOINT_KEYS[kind]
    parts = {"scale": "scale: madrs", "output": "output: plasma_ketamine", "at": "at: 24 h", "after": "after: 13 d"}
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


class Protocol(_Model):
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
    source: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    def __init__(self, **data: Any) -> None:
        """Validate keyword arguments in the contract's form (``duration="2 d"``) and keep them as `source`."""
        super().__init__(**data)
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
            if endpoint.measured not in self.observe.outputs:
                key = "output" if endpoint.kind == "value" else "scale"
                fail(
                    f"{endpoint.measured} is not among observe.outputs",
                    "add it to observe.outputs or leave outputs out",
                    f"endpoints[{i}].{key}",
                )
        return self

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
