"""The ``population`` section of a protocol: who is treated, their covariates, baselines and parameter set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
)

from ketasim.protocol.distributions import Distribution, baseline_distribution, covariate_distribution, distribution_map
from ketasim.protocol.fields import (
    FileModel,
    choose,
    describe,
    fail,
    pydantic_errors,
)
from ketasim.units import plain_expression, registry
from ketasim.vocabulary import (
    CONDITIONS,
)

MAX_POPULATION_SIZE = 10**9


class ParameterChoice(FileModel):
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


class Population(FileModel):
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
        return distribution_map(raw, covariate_distribution, '{weight: {mean: "80 kg", sd: "15 kg"}}')

    @field_validator("baseline", mode="before")
    @classmethod
    @pydantic_errors
    def _baseline(cls, raw: Any) -> dict[str, Distribution]:
        return distribution_map(raw, baseline_distribution, "{madrs: {mean: 32, sd: 5}}")

    @property
    def parameter_set(self) -> str:
        """Name of the parameter set (``default`` unless the file names one)."""
        return self.parameters.set_name

    @property
    def parameter_overrides(self) -> dict[str, str]:
        """Parameter values the file overrides, as raw value-with-unit strings."""
        return dict(self.parameters.override)
