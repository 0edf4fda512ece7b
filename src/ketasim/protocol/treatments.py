"""Treatments of an arm: drug doses and therapy sessions with their schedules, and arms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ketasim.errors import InputError, ProtocolError
from ketasim.parameters.catalogue import Catalogue, default_catalogue
from ketasim.protocol.fields import (
    FileModel,
    Hours,
    Name,
    PositiveHours,
    choose,
    describe,
    fail,
    format_hours,
    number,
    pydantic_errors,
    quantity,
    time_value,
)
from ketasim.units import parse_quantity
from ketasim.vocabulary import (
    INFUSION_ROUTES,
    PLACEBO,
    ROUTES,
    THERAPIES,
)

INTENSIVE = "emdr-intensive"
INTENSIVE_DEFAULT_DAYS = 3
INTENSIVE_DEFAULT_HOURS_PER_DAY = 3.0
MAX_INTENSIVE_DAYS = 365


# ---------------------------------------------------------------- population


@dataclass(frozen=True)
class DoseAmount:
    """A dose as written: ``amount`` in mg, or in mg/kg when ``per_kg``."""

    amount: float
    per_kg: bool


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


def _catalogue(info: ValidationInfo) -> Catalogue:
    """The drugs a protocol may name: the catalogue in the validation context, else the shipped drugs."""
    context = info.context if isinstance(info.context, Mapping) else {}
    catalogue = context.get("catalogue")
    return catalogue if isinstance(catalogue, Catalogue) else default_catalogue()


class Treatment(FileModel):
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
    def _drug(cls, value: Any, info: ValidationInfo) -> Any:
        return value if value is None else choose(value, tuple(_catalogue(info).drug_routes), "drug")

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
    def _consistent(self, info: ValidationInfo) -> Treatment:
        if self.drug is None and self.therapy is None:
            fail("a treatment needs `drug` or `therapy`", "add e.g. drug: ketamine, or therapy: emdr")
        if self.drug is not None and self.therapy is not None:
            fail("a treatment has either `drug` or `therapy`, not both", "give each its own item", "therapy")
        if self.drug is not None:
            self._check_drug(_catalogue(info).drug_routes)
        else:
            self._check_therapy()
        self._check_schedule()
        return self

    def _present(self, keys: Sequence[str]) -> list[str]:
        by_key = {self.key_of(name): name for name in type(self).model_fields}
        return [key for key in keys if by_key[key] in self.model_fields_set and getattr(self, by_key[key]) is not None]

    def _check_drug(self, drug_routes: dict[str, tuple[str, ...]]) -> None:
        drug = str(self.drug)
        wrong = [k for k in self._present(THERAPY_KEYS) if k not in DRUG_KEYS]
        if wrong:
            fail(f"`{wrong[0]}` belongs to therapy items, not to a drug", "move it to a `therapy:` item", wrong[0])
        if self.route is None:
            fail("missing route", f"add e.g. route: {drug_routes[drug][0]}", "route")
        if self.route not in drug_routes[drug]:
            fail(f"{drug} has no route {self.route!r}", f"{drug} routes: {', '.join(drug_routes[drug])}", "route")
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


class Arm(FileModel):
    """One arm of the trial: a name and its treatments (an empty list is an untreated arm)."""

    name: Name
    treatments: list[Treatment]
