"""Distributions of covariates and baseline scores in protocol files: the forms, their checks and quantiles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
)
from scipy.special import ndtr, ndtri

from ketasim.errors import InputError, ProtocolError
from ketasim.protocol.fields import (
    HOURS_PER_YEAR,
    check_keys,
    describe,
    fail,
    join_key_path,
    number,
    quantity,
    suggest,
)
from ketasim.vocabulary import (
    SCALE_RANGES,
    SCALES,
)

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


def distribution_map(raw: Any, build: Callable[[str, Any], Distribution], example: str) -> dict[str, Distribution]:
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
