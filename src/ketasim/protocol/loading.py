"""Read a protocol file (YAML, JSON or TOML) or mapping and return a validated `Protocol`.

Every problem becomes one `ProtocolError` line: ``<key.path>: <problem> (<fix>)``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ketasim.errors import InputError, ProtocolError
from ketasim.protocol.dose_checks import check_doses
from ketasim.protocol.events import arm_events, unfinished_infusions
from ketasim.protocol.fields import describe, format_key_path, join_key_path, plain
from ketasim.protocol.schema import Protocol, check_version

SUFFIXES = {".yaml": "YAML", ".yml": "YAML", ".json": "JSON", ".toml": "TOML"}
MAX_NESTING = 32
"""Deepest nesting of mappings and lists a file may have (a protocol needs about 6 levels)."""
MAX_VALUES = 1_000_000
"""Most values (mappings, lists and scalars, YAML aliases counted each time they are used) a file may hold."""
EXAMPLES = {
    "ketasim": "ketasim: 1",
    "name": 'name: "single infusion"',
    "duration": "duration: 14 d",
    "population": "population: {size: 100, condition: trd}",
    "arms": "arms: [{name: ketamine, treatments: [...]}]",
    "name_arm": "name: ketamine",
    "treatments": "treatments: [{drug: ketamine, route: iv, dose: 0.5 mg/kg, at: [0 h]}]",
    "kind": "kind: response",
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses a key given twice in one mapping."""


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one YAML mapping."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *base` may be overridden by the mapping's own keys
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # unhashable: construct_mapping reports it
        if duplicate:
            raise _DuplicateKeyError(None, None, f"key {key!r} is given twice in one mapping", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _unique_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} is given twice in one object")
        out[key] = value
    return out


def check_structure(data: Any, name: str, error: type[InputError], max_values: int = MAX_VALUES) -> None:
    """Refuse data nested deeper than `MAX_NESTING` or holding more than ``max_values`` values.

    The walk is iterative and stops at the limit, so neither deep nesting nor YAML aliases that multiply a
    small file can exhaust the stack or the memory of the checks after it.

    Raises
    ------
    InputError
        Of class ``error``, for the whole file (empty key path).
    """
    pending: list[tuple[Any, int]] = [(data, 1)]
    count = 0
    while pending:
        value, depth = pending.pop()
        count += 1
        if count > max_values:
            raise error("", f"{name} holds more than {max_values} values", "a protocol needs far fewer: check the file")
        if depth > MAX_NESTING:
            raise error(
                "", f"{name} is nested deeper than {MAX_NESTING} levels", "check the brackets and the indentation"
            )
        if isinstance(value, Mapping):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            pending.extend((item, depth + 1) for item in value)


def _parse_text(text: str, form: str, name: str, error: type[InputError]) -> Any:
    try:
        return _parse_form(text, form, name, error)
    except RecursionError:
        raise error(
            "", f"{name} is nested deeper than {MAX_NESTING} levels", "check the brackets and the indentation"
        ) from None


def _parse_form(text: str, form: str, name: str, error: type[InputError]) -> Any:
    if form == "YAML":
        try:
            return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.MarkedYAMLError as failure:
            mark = failure.problem_mark or failure.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = failure.problem or failure.context or "unreadable"
            fix = (
                "give each key once"
                if isinstance(failure, _DuplicateKeyError)
                else "check indentation and quoting there"
            )
            raise error("", f"malformed YAML in {name}{where}: {problem}", fix) from None
        except yaml.YAMLError as failure:
            raise error("", f"malformed YAML in {name}: {failure}", "check the file's syntax") from None
        except (ValueError, TypeError, AttributeError, OverflowError) as failure:  # a tagged value it cannot build
            raise error(
                "", f"malformed YAML in {name}: {failure}", "check the values the file tags or quotes"
            ) from None
    if form == "JSON":
        try:
            return json.loads(text, object_pairs_hook=_unique_json_keys)
        except json.JSONDecodeError as failure:
            where = f" at line {failure.lineno}, column {failure.colno}"
            raise error(
                "", f"malformed JSON in {name}{where}: {failure.msg}", "check commas, quotes and brackets"
            ) from None
        except ValueError as failure:
            raise error("", f"malformed JSON in {name}: {failure}", "give each key once") from None
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as failure:
        raise error("", f"malformed TOML in {name}: {failure}", "check the line it names") from None


def read_mapping(path: str | Path, error: type[InputError] = ProtocolError) -> dict[str, Any]:
    """Read a YAML, JSON or TOML file whose top level is a mapping (chosen by the file's suffix).

    Raises
    ------
    InputError
        Of class ``error``: missing or unreadable file, unknown suffix, empty file, malformed text (with the
        line where known), nesting deeper than `MAX_NESTING`, or a top level that is not a mapping.
    """
    path = Path(path)
    form = _form(path.name, error)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("", f"file {str(path)!r} not found", "check the path") from None
    except UnicodeDecodeError:
        raise error("", f"file {path.name} is not UTF-8 text", f"save it as UTF-8 {form}") from None
    except OSError as failure:
        raise error("", f"cannot read {str(path)!r}: {failure.strerror}", "check the path and permissions") from None
    return parse_mapping(text, path.name, error)


def _form(name: str, error: type[InputError]) -> str:
    form = SUFFIXES.get(Path(name).suffix.lower())
    if form is None:
        raise error("", f"cannot tell the format of {name}", f"use one of the suffixes {', '.join(SUFFIXES)}")
    return form


def parse_mapping(
    text: str, name: str, error: type[InputError] = ProtocolError, max_values: int = MAX_VALUES
) -> dict[str, Any]:
    """The mapping in ``text``, read as YAML, JSON or TOML by the suffix of the file ``name``.

    Raises
    ------
    InputError
        Of class ``error``: unknown suffix, empty text, malformed text (with the line where known), nesting
        deeper than `MAX_NESTING`, more than ``max_values`` values, or a top level that is not a mapping.
    """
    form = _form(name, error)
    if not text.strip():
        raise error("", f"file {name} is empty", "start from an example in the examples/ folder")
    data = _parse_text(text, form, name, error)
    if data is None:
        raise error("", f"file {name} is empty (only comments)", "start from an example in the examples/ folder")
    check_structure(data, name, error, max_values)
    if not isinstance(data, Mapping):
        raise error(
            "",
            f"the top level of {name} is {describe(data)}, not a mapping",
            "start with keys: ketasim: 1, name: ...",
        )
    return dict(data)


def _bound(ctx: Mapping[str, Any]) -> str:
    for key, words in (("ge", "at least"), ("gt", "above"), ("le", "at most"), ("lt", "below")):
        if key in ctx:
            return f"{words} {ctx[key]}"
    return "in range"


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    """Problem and fix in plain words for one pydantic error."""
    kind = str(error["type"])
    value = error.get("input")
    ctx = error.get("ctx") or {}
    names = [part for part in error["loc"] if isinstance(part, str)]
    key = names[-1] if names else ""
    if kind == "missing":
        example = EXAMPLES.get("name_arm" if names[:1] == ["arms"] and key == "name" else key, f"{key}: ...")
        return f"required key {key!r} is missing", f"add e.g. {example}"
    if kind in ("model_type", "dict_type", "model_attributes_type", "dataclass_type"):
        return f"expected a mapping of keys to values, got {describe(value)}", "write key: value pairs"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {describe(value)}", "write e.g. [a, b]"
    if kind.startswith("string_"):
        if kind == "string_too_short":
            return "must not be empty", "write some text"
        return f"expected text, got {describe(value)}", "write it as text, in quotes if needed"
    if kind.startswith("int_"):
        return f"expected a whole number, got {describe(value)}", "write e.g. 3"
    if kind.startswith("float_"):
        return f"expected a number, got {describe(value)}", "write e.g. 0.5"
    if kind.startswith("bool_"):
        return f"expected true or false, got {describe(value)}", "write true or false"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"must be {_bound(ctx)}, got {value!r}", "change the value"
    if kind == "too_short":
        return "must not be empty", "give at least one item"
    if kind == "literal_error":
        return f"unknown value {value!r}", f"choose from {ctx.get('expected', '')}"
    return str(error.get("msg", "invalid value")).splitlines()[0], ""


def protocol_error(failure: ValidationError) -> ProtocolError:
    """The first error of a pydantic ``ValidationError`` as one `ProtocolError` line with its key path."""
    first = failure.errors(include_url=False)[0]
    path = format_key_path(first["loc"])
    ctx = first.get("ctx") or {}
    if first["type"] == "ketasim":
        return ProtocolError(join_key_path(path, str(ctx.get("key", ""))), str(ctx["problem"]), str(ctx.get("fix", "")))
    problem, fix = _describe(first)
    return ProtocolError(path, problem, fix)


def build_protocol(data: Mapping[str, Any]) -> Protocol:
    """Validate a parsed protocol mapping, expand every arm's events and check doses.

    Raises
    ------
    ProtocolError
        For the first rule of ``spec/protocol.md`` the mapping breaks.
    """
    if not isinstance(data, Mapping):
        raise ProtocolError(
            "", f"a protocol is a mapping, got {describe(data)}", "start with keys: ketasim: 1, name: ..."
        )
    check_structure(data, "the protocol", ProtocolError)
    if "ketasim" not in data:
        raise ProtocolError("ketasim", "missing schema version", "add `ketasim: 1` as the first line")
    try:
        check_version(data["ketasim"], "ketasim")
        protocol = Protocol.model_validate(data)
    except ValidationError as failure:
        raise protocol_error(failure) from None
    unfinished = [
        warning
        for index in range(len(protocol.arms))
        for warning in unfinished_infusions(arm_events(protocol, index), protocol.duration_h)
    ]
    warnings = [*check_doses(protocol), *unfinished]
    return protocol.model_copy(update={"source": plain(data), "warnings": warnings})


def load_protocol(source: str | Path | Mapping[str, Any], *, base_dir: Path | None = None) -> Protocol:
    """Load a protocol from a file (``.yaml``, ``.yml``, ``.json``, ``.toml``) or an already parsed mapping.

    Parameters
    ----------
    source
        A path, or a mapping such as a protocol embedded in a targets file.
    base_dir
        Folder that a relative path is relative to (default: the working directory).

    Raises
    ------
    ProtocolError
        One line naming the key path, the problem and the fix.
    """
    if isinstance(source, Mapping):
        return build_protocol(with_drug_files(dict(source), base_dir) if base_dir is not None else source)
    if not isinstance(source, (str, PathLike)):
        raise ProtocolError(
            "", f"a protocol is a mapping or a file path, got {describe(source)}", "pass a path or a dict"
        )
    path = Path(source)
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return build_protocol(with_drug_files(read_mapping(path), path.parent))


def with_drug_files(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The protocol mapping with each drug entry given as a file name (relative to ``folder``) read in its place,
    so the protocol carries its drugs as data (`Protocol.source`, worker processes)."""
    entries = data.get("drugs")
    if not isinstance(entries, list) or not any(isinstance(e, str) for e in entries):
        return data
    read = [read_mapping(folder / e) if isinstance(e, str) else e for e in entries]
    return {**data, "drugs": read}
