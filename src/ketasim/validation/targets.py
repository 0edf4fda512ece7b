"""Load a validation targets file (``spec/targets.md``) into checked, immutable `Target` objects.

The file's shape (keys, types, unknown keys) is checked by pydantic; the rules between keys (which statistic
needs ``at``, ``window`` or ``threshold``, a contrast names two arms and an endpoint, ids unique, expected inside
its band) are checked after, each error naming the key path (``targets[3].measure.statistic``) and the fix.
Protocols are not loaded here: a protocol that does not load is an error of its target only, reported by the
runner.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ketasim.errors import InputError, TargetsError
from ketasim.units import parse_quantity
from ketasim.vocabulary import DRUG_LEVEL_OUTPUTS, OUTPUTS

VERSION = 1
CONFIDENCES = ("high", "medium", "low")
ROLES = ("calibration", "validation")
DEFAULT_ROLE = "calibration"
GRID_STATISTICS = ("value", "max", "min", "time_of_max", "mean", "auc")  # on the protocol's output grid
PK_STATISTICS = ("cmax", "tmax", "auc_exact", "time_above")  # on a drug level's exact dense course
STATISTICS = GRID_STATISTICS + PK_STATISTICS
INFINITY = "infinity"  # the end of an `auc_exact` window that reaches infinity
ENDPOINT_STATISTICS = ("sd", "fraction_below", "fraction_above")
ACROSS_PATIENTS = ("median", "mean")


@dataclass(frozen=True)
class Measure:
    """What a target reads off a simulation.

    One of: an endpoint of the protocol in ``arm``; the difference of an endpoint between ``arm`` and ``control``
    (a contrast); a statistic across ``arm``'s patients of an endpoint's per-patient values (``sd``,
    ``fraction_below`` or ``fraction_above`` ``threshold``); or a statistic of one output. Times are in hours from
    the arm's first treatment.
    """

    arm: str
    endpoint: str | None = None
    output: str | None = None
    statistic: str | None = None
    at_h: float | None = None
    window_h: tuple[float, float] | None = None
    across_patients: str = "median"
    control: str | None = None
    threshold: float | None = None
    above: float | None = None

    def describe(self) -> str:
        """What is measured, in a few words, e.g. ``ketamine - midazolam: change_24h``."""
        if self.control is not None:
            return f"{self.arm} - {self.control}: {self.endpoint}"
        if self.endpoint is None:
            return f"{self.arm}: {self.statistic} of {self.output}"
        if self.statistic == "sd":
            return f"{self.arm}: SD across patients of {self.endpoint}"
        if self.statistic is not None:
            side = "below" if self.statistic == "fraction_below" else "above"
            return f"{self.arm}: fraction of patients with {self.endpoint} {side} {self.threshold:g}"
        return f"{self.arm}: {self.endpoint}"


@dataclass(frozen=True)
class Target:
    """One published number, the protocol that reproduces its study, and the band the simulation must hit."""

    index: int
    id: str
    title: str
    source: str
    confidence: str
    measure: Measure
    expected: float
    band: tuple[float, float]
    protocol: Mapping[str, Any] | None = None
    protocol_file: Path | None = None
    doi: str = ""
    base_dir: Path | None = None
    role: str = DEFAULT_ROLE

    @property
    def key_path(self) -> str:
        """Where the target is in its file, e.g. ``targets[3]``."""
        return f"targets[{self.index}]"

    def passes(self, simulated: float) -> bool:
        """Whether a simulated value lies in the band (edges included)."""
        return self.band[0] <= simulated <= self.band[1]

    def protocol_key(self) -> str:
        """A canonical text for the protocol, equal for targets that run the same protocol."""
        if self.protocol_file is not None:
            return json.dumps({"protocol_file": str(self.protocol_file.resolve())})
        return json.dumps(self.protocol, sort_keys=True, default=str, separators=(",", ":"))


@dataclass(frozen=True)
class TargetsFile:
    """A loaded targets file: where it came from and its targets in file order."""

    path: Path | None
    targets: tuple[Target, ...]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _MeasureShape(_Shape):
    arm: str | None = None
    contrast: list[str] | None = None
    endpoint: str | None = None
    output: str | None = None
    statistic: str | None = None
    threshold: float | None = None
    at: Any = None
    window: list[Any] | None = None
    across_patients: str | None = None
    above: Any = None


class _TargetShape(_Shape):
    id: str
    title: str
    source: str
    doi: str | None = None
    confidence: str
    role: str | None = None
    protocol: dict[str, Any] | None = None
    protocol_file: str | None = None
    measure: _MeasureShape
    expected: float
    band: list[float]


class _FileShape(_Shape):
    version: int = Field(alias="ketasim-targets")
    targets: list[_TargetShape]


def load_targets(source: str | Path) -> TargetsFile:
    """Read and check a targets file (YAML or JSON).

    Parameters
    ----------
    source
        Path of the file; ``protocol_file`` entries are resolved relative to its folder.

    Raises
    ------
    TargetsError
        The file cannot be read or breaks a rule of ``spec/targets.md``; the message names the key path and the fix.
    """
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetsError(
            "", f"cannot read targets file {str(path)!r}: {exc.strerror or exc}", "check the path"
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TargetsError("", f"{path.name} is not valid YAML: {_yaml_problem(exc)}", "fix the syntax there") from None
    return parse_targets(data, base_dir=path.parent, path=path)


def parse_targets(data: Any, *, base_dir: Path | None = None, path: Path | None = None) -> TargetsFile:
    """Check an already parsed targets mapping (the content of a targets file).

    Parameters
    ----------
    data
        The mapping with ``ketasim-targets`` and ``targets``.
    base_dir
        Folder against which ``protocol_file`` entries are resolved; the working folder if None.
    path
        The file the mapping came from, for reports.
    """
    if not isinstance(data, Mapping):
        raise TargetsError("", "a targets file must be a mapping", "start it with `ketasim-targets: 1` and `targets:`")
    if "ketasim-targets" in data and data["ketasim-targets"] != VERSION:
        raise TargetsError(
            "ketasim-targets", f"unsupported version {data['ketasim-targets']!r}", f"write `ketasim-targets: {VERSION}`"
        )
    try:
        shape = _FileShape.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc) from None
    if not shape.targets:
        raise TargetsError("targets", "the list of targets is empty", "add at least one target")
    folder = base_dir if base_dir is not None else Path.cwd()
    targets = tuple(_check_target(i, t, folder) for i, t in enumerate(shape.targets))
    _check_unique_ids(targets)
    return TargetsFile(path=path, targets=targets)


def with_role(targets: TargetsFile, role: str) -> TargetsFile:
    """The targets of one role (``calibration`` or ``validation``), or all of them for ``all``.

    Targets keep their position in the file (their key path).

    Raises
    ------
    InputError
        ``role`` is unknown, or the file has no target of that role (key path ``--role``).
    """
    if role == "all":
        return targets
    if role not in ROLES:
        raise InputError("--role", f"unknown role {role!r}", _suggest(role, (*ROLES, "all")))
    chosen = tuple(t for t in targets.targets if t.role == role)
    if not chosen:
        name = targets.path.name if targets.path is not None else "the targets file"
        raise InputError("--role", f"{name} has no {role} targets", "use --role all, or the other role")
    return TargetsFile(path=targets.path, targets=chosen)


def _check_target(index: int, shape: _TargetShape, folder: Path) -> Target:
    where = f"targets[{index}]"
    if not shape.id.strip():
        raise TargetsError(f"{where}.id", "the id is empty", "give the target a short unique id")
    _check_choice(shape.confidence, CONFIDENCES, f"{where}.confidence")
    role = shape.role if shape.role is not None else DEFAULT_ROLE
    _check_choice(role, ROLES, f"{where}.role")
    if (shape.protocol is None) == (shape.protocol_file is None):
        raise TargetsError(
            where, "needs exactly one of `protocol` and `protocol_file`", "give the protocol inline or name its file"
        )
    protocol_file = None
    if shape.protocol_file is not None:
        protocol_file = Path(shape.protocol_file)
        protocol_file = protocol_file if protocol_file.is_absolute() else folder / protocol_file
    band = _check_band(shape.expected, shape.band, where)
    return Target(
        index=index,
        id=shape.id,
        title=shape.title,
        source=shape.source,
        confidence=shape.confidence,
        measure=_check_measure(shape.measure, f"{where}.measure"),
        expected=float(shape.expected),
        band=band,
        protocol=shape.protocol,
        protocol_file=protocol_file,
        doi=shape.doi or "",
        base_dir=folder,
        role=role,
    )


def _check_measure(shape: _MeasureShape, where: str) -> Measure:
    if shape.contrast is not None:
        return _check_contrast(shape, where)
    if shape.arm is None:
        raise TargetsError(f"{where}.arm", "required key is missing", _MISSING_FIX["arm"])
    if shape.endpoint is not None and shape.output is None:
        return _check_endpoint_measure(shape, shape.arm, where)
    if shape.output is None or shape.endpoint is not None:
        raise TargetsError(
            where, "needs exactly one of `endpoint` and `output`", "name an endpoint of the protocol or an output"
        )
    _check_choice(shape.output, tuple(OUTPUTS), f"{where}.output")
    if shape.statistic is None:
        raise TargetsError(f"{where}.statistic", "required key is missing", f"add one of {', '.join(STATISTICS)}")
    if shape.statistic in ENDPOINT_STATISTICS:
        raise TargetsError(
            f"{where}.statistic",
            f"statistic `{shape.statistic}` reads an endpoint's per-patient values, not an output",
            "name an `endpoint` of the protocol instead of `output`",
        )
    _check_choice(shape.statistic, STATISTICS, f"{where}.statistic")
    if shape.threshold is not None:
        raise TargetsError(
            f"{where}.threshold",
            f"does not apply to statistic `{shape.statistic}`",
            "remove `threshold` (it goes with fraction_below or fraction_above of an endpoint)",
        )
    across = shape.across_patients or "median"
    _check_choice(across, ACROSS_PATIENTS, f"{where}.across_patients")
    if shape.statistic in PK_STATISTICS:
        return _check_pk_measure(shape, shape.arm, across, where)
    if shape.above is not None:
        raise TargetsError(f"{where}.above", f"does not apply to statistic `{shape.statistic}`", "remove `above`")
    at_h = window_h = None
    if shape.statistic == "value":
        if shape.window is not None:
            raise TargetsError(f"{where}.window", "does not apply to statistic `value`", "use `at: <time>` instead")
        if shape.at is None:
            raise TargetsError(f"{where}.at", "statistic `value` needs a time", "add e.g. `at: 40 min`")
        at_h = parse_quantity(shape.at, "time", f"{where}.at", TargetsError)
    else:
        if shape.at is not None:
            raise TargetsError(
                f"{where}.at", f"does not apply to statistic `{shape.statistic}`", "use `window: [start, end]` instead"
            )
        if shape.window is None:
            raise TargetsError(
                f"{where}.window", f"statistic `{shape.statistic}` needs a time window", "add e.g. `window: [0 h, 4 h]`"
            )
        window_h = _check_window(shape.window, f"{where}.window")
    return Measure(
        arm=shape.arm,
        output=shape.output,
        statistic=shape.statistic,
        at_h=at_h,
        window_h=window_h,
        across_patients=across,
    )


def _check_pk_measure(shape: _MeasureShape, arm: str, across: str, where: str) -> Measure:
    """A PK statistic of a drug level: optional window (the whole run by default), ``above`` for time_above."""
    statistic = str(shape.statistic)
    _check_choice(str(shape.output), DRUG_LEVEL_OUTPUTS, f"{where}.output")
    if shape.at is not None:
        raise TargetsError(f"{where}.at", f"does not apply to statistic `{statistic}`", "use `window: [start, end]`")
    window_h = None
    if shape.window is not None:
        window_h = _check_window(shape.window, f"{where}.window", open_end=statistic == "auc_exact")
    above = None
    if statistic == "time_above":
        if shape.above is None:
            raise TargetsError(
                f"{where}.above", "statistic `time_above` needs a concentration", "add `above: 100 ng/mL`"
            )
        above = parse_quantity(shape.above, "concentration", f"{where}.above", TargetsError)
    elif shape.above is not None:
        raise TargetsError(f"{where}.above", f"does not apply to statistic `{statistic}`", "remove `above`")
    return Measure(
        arm=arm, output=shape.output, statistic=statistic, window_h=window_h, across_patients=across, above=above
    )


def _check_endpoint_measure(shape: _MeasureShape, arm: str, where: str) -> Measure:
    """An endpoint in one arm: its estimate, or with ``statistic`` a statistic of its per-patient values."""
    for key in ("at", "window", "across_patients", "above"):
        if getattr(shape, key) is not None:
            raise TargetsError(f"{where}.{key}", "does not apply to an endpoint", f"remove `{key}`")
    statistic = shape.statistic
    if statistic is None:
        if shape.threshold is not None:
            raise TargetsError(
                f"{where}.threshold",
                "needs statistic `fraction_below` or `fraction_above`",
                "add one of them, or remove `threshold`",
            )
        return Measure(arm=arm, endpoint=shape.endpoint)
    if statistic in STATISTICS:
        raise TargetsError(
            f"{where}.statistic",
            f"statistic `{statistic}` reads an output's time course, not an endpoint",
            f"for an endpoint use {', '.join(ENDPOINT_STATISTICS)}; or name an `output` instead",
        )
    _check_choice(statistic, ENDPOINT_STATISTICS, f"{where}.statistic")
    if statistic == "sd" and shape.threshold is not None:
        raise TargetsError(f"{where}.threshold", "does not apply to statistic `sd`", "remove `threshold`")
    if statistic != "sd" and shape.threshold is None:
        raise TargetsError(
            f"{where}.threshold",
            f"statistic `{statistic}` needs a threshold",
            "add e.g. `threshold: 0` (in the endpoint's unit)",
        )
    if shape.threshold is not None and not math.isfinite(shape.threshold):
        raise TargetsError(f"{where}.threshold", "must be a finite number", "write e.g. `threshold: 0`")
    return Measure(arm=arm, endpoint=shape.endpoint, statistic=statistic, threshold=shape.threshold)


def _check_contrast(shape: _MeasureShape, where: str) -> Measure:
    """The difference of an endpoint between two arms: ``contrast: [arm, control]`` with ``endpoint``."""
    contrast = shape.contrast or []
    if shape.arm is not None:
        raise TargetsError(
            f"{where}.arm", "does not apply to a contrast", "remove `arm`: `contrast: [arm, control]` names both arms"
        )
    if shape.output is not None:
        raise TargetsError(
            f"{where}.output", "does not apply to a contrast", "a contrast compares an endpoint: name it in `endpoint`"
        )
    for key in ("statistic", "threshold", "at", "window", "across_patients", "above"):
        if getattr(shape, key) is not None:
            raise TargetsError(f"{where}.{key}", "does not apply to a contrast", f"remove `{key}`")
    if len(contrast) != 2:
        raise TargetsError(f"{where}.contrast", f"needs two arms, got {len(contrast)}", "write `[arm, control]`")
    arm, control = contrast
    for k, name in enumerate(contrast):
        if not name.strip():
            raise TargetsError(f"{where}.contrast[{k}]", "the arm name is empty", "name an arm of the protocol")
    if arm == control:
        raise TargetsError(
            f"{where}.contrast",
            f"compares arm {arm!r} with itself",
            "name the treated arm first and its control second",
        )
    if shape.endpoint is None:
        raise TargetsError(
            f"{where}.endpoint", "a contrast needs an endpoint", "add `endpoint: <name of an endpoint of the protocol>`"
        )
    return Measure(arm=arm, control=control, endpoint=shape.endpoint)


def _check_window(window: list[Any], where: str, *, open_end: bool = False) -> tuple[float, float]:
    """A window in hours; with ``open_end`` its end may be `INFINITY`."""
    if len(window) != 2:
        raise TargetsError(where, f"needs two times, got {len(window)}", "write e.g. `[0 h, 4 h]`")
    start = parse_quantity(window[0], "time", f"{where}[0]", TargetsError)
    if open_end and window[1] == INFINITY:
        return start, math.inf
    end = parse_quantity(window[1], "time", f"{where}[1]", TargetsError)
    if not start < end:
        raise TargetsError(where, "the window ends before it starts", "write the earlier time first")
    return start, end


def _check_band(expected: float, band: list[float], where: str) -> tuple[float, float]:
    if not math.isfinite(expected):
        raise TargetsError(f"{where}.expected", "must be a finite number", "write the published value")
    if len(band) != 2:
        raise TargetsError(f"{where}.band", f"needs two numbers, got {len(band)}", "write `[low, high]`")
    low, high = float(band[0]), float(band[1])
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise TargetsError(f"{where}.band", f"[{low:g}, {high:g}] is not an interval", "write `[low, high]`")
    if not low <= expected <= high:
        raise TargetsError(
            f"{where}.expected", f"{expected:g} lies outside its band [{low:g}, {high:g}]", "check both numbers"
        )
    return low, high


def _check_choice(value: str, choices: tuple[str, ...], where: str) -> None:
    if value not in choices:
        raise TargetsError(where, f"unknown value {value!r}", _suggest(value, choices))


def _check_unique_ids(targets: tuple[Target, ...]) -> None:
    first: dict[str, int] = {}
    for t in targets:
        if t.id in first:
            raise TargetsError(
                f"{t.key_path}.id",
                f"duplicate id {t.id!r} (also targets[{first[t.id]}])",
                "give each target its own id",
            )
        first[t.id] = t.index


def _suggest(value: str, choices: tuple[str, ...] | list[str]) -> str:
    close = get_close_matches(value, list(choices), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"use one of {', '.join(choices)}"


_ALLOWED = {
    0: [f.alias or name for name, f in _FileShape.model_fields.items()],
    2: list(_TargetShape.model_fields),
    3: list(_MeasureShape.model_fields),
}


_MISSING_FIX = {
    "ketasim-targets": "start the file with `ketasim-targets: 1`",
    "targets": "add `targets:` with a list of targets",
    "id": "add `id: <short unique id>`",
    "title": "add `title: <one line saying what is measured>`",
    "source": "add `source: <the study that reported the number>`",
    "confidence": "add `confidence: high`, `medium` or `low`",
    "measure": "add `measure: {arm: ..., output: ..., statistic: ...}` or `measure: {arm: ..., endpoint: ...}`",
    "arm": "add `arm: <name of an arm of the protocol>` (or `contrast: [arm, control]` with an endpoint)",
    "expected": "add `expected: <the published value>`",
    "band": "add `band: [low, high]`",
}


def _translate(exc: ValidationError) -> TargetsError:
    """The first pydantic error as a `TargetsError` with a key path and a fix."""
    error = exc.errors()[0]
    loc = error["loc"]
    where = _key_path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _ALLOWED.get(len(loc) - 1, [])
        return TargetsError(where, f"unknown key {str(loc[-1])!r}", _suggest(str(loc[-1]), allowed))
    if kind == "missing":
        return TargetsError(where, "required key is missing", _MISSING_FIX.get(str(loc[-1]), "see spec/targets.md"))
    if kind in ("model_type", "dict_type"):
        return TargetsError(where, f"expected a mapping, got {_describe(error['input'])}", "write `key: value` pairs")
    if kind == "list_type":
        return TargetsError(where, f"expected a list, got {_describe(error['input'])}", "write `[a, b]` or a `- ` list")
    if kind in ("float_type", "int_type"):
        return TargetsError(where, f"expected a number, got {_describe(error['input'])}", "write a plain number")
    if kind == "string_type":
        return TargetsError(where, f"expected text, got {_describe(error['input'])}", "write a plain word")
    return TargetsError(where, error["msg"], "see spec/targets.md")


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else item)
    return "".join(parts)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (Mapping, list)):
        return "a mapping" if isinstance(value, Mapping) else "a list"
    return repr(value)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key written twice in one mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(problem)
