"""The posterior ensemble of the calibrated parameters: draws that ``--uncertainty`` runs carry to the outputs.

The file (``posterior.yaml`` beside ``calibrated.yaml``, written by the inference layer) holds a format version,
the parameter set the draws sit on (``based_on``), how they were made (``method``), the sampled parameters in
column order with their registry units, one row of values per draw, and diagnostics and provenance::

    ketasim-posterior: 1
    based_on: default
    method: "ABC-SMC over the calibration targets, 256 particles"
    parameters: [{name: ketamine_relief_max, unit: '1'}, ...]
    draws: [[0.161, ...], ...]
    diagnostics: {ess: {ketamine_relief_max: 212.0, ...}}
    provenance: {ketasim: 0.1.0, date: ..., targets_file: ...}

`load_posterior` checks every key and refuses a bad file with an `InputError` naming the key path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from ketasim.errors import InputError
from ketasim.parameters import get_parameter_set
from ketasim.parameters.registry import ParameterSet
from ketasim.parameters.yaml_files import read_yaml

POSTERIOR_FILE = Path(__file__).with_name("posterior.yaml")
FORMAT_KEY = "ketasim-posterior"
FORMAT_VERSION = 1
DEFAULT_DRAWS = 64
"""Posterior draws of ``--uncertainty`` (trial and validate) when a caller needs a number (documented cost:
``docs/reading-the-report.md``)."""
UNCERTAINTY_OPTION = "--uncertainty"


@dataclass(frozen=True)
class Posterior:
    """An ensemble of draws of some parameters, each draw a full row of values in the registry units.

    ``draws`` has shape (draws, parameters), its columns in the order of ``names`` (and ``units``).
    """

    names: tuple[str, ...]
    units: tuple[str, ...]
    draws: NDArray[np.float64]
    based_on: str
    method: str
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """The number of draws in the ensemble."""
        return int(self.draws.shape[0])

    def overrides(self, count: int) -> list[dict[str, float]]:
        """``count`` draws spread evenly over the ensemble, each as parameter values by name on ``based_on``.

        The draws are those at ``np.linspace(0, size - 1, count).round()``: the same for the same ``count``.

        Raises
        ------
        InputError
            ``count`` is below 1 or above the ensemble's size (named as ``--uncertainty``).
        """
        if not 1 <= count <= self.size:
            raise InputError(
                UNCERTAINTY_OPTION,
                f"{count} draws asked for, but the posterior ensemble has {self.size}",
                f"ask for 1 to {self.size} draws",
            )
        rows = np.linspace(0, self.size - 1, count).round().astype(int)
        return [dict(zip(self.names, (float(v) for v in self.draws[row]), strict=True)) for row in rows]


def interval_draws(posterior: Posterior, count: int) -> list[dict[str, float]]:
    """``count`` draws of the ensemble for a predictive interval (`Posterior.overrides`), refusing fewer than 2.

    Raises
    ------
    InputError
        At ``--uncertainty``: fewer than 2 draws (no interval) or more than the ensemble holds.
    """
    if count < 2:
        raise InputError(UNCERTAINTY_OPTION, f"{count} draw(s) give no interval", f"ask for 2 to {posterior.size}")
    return posterior.overrides(count)


def load_posterior(path: Path | str | None = None, registry: ParameterSet | None = None) -> Posterior:
    """Read and check a posterior ensemble file (default: the packaged `POSTERIOR_FILE`).

    Parameters
    ----------
    path
        The file; None for the ensemble shipped with ketasim.
    registry
        The parameter set whose names and units the file's parameters must match (default: the default set).

    Raises
    ------
    InputError
        The file is missing, is not YAML, or a key is missing or wrong; the message names the key path (e.g.
        ``draws[3]: 40 values, expected 41``).
    """
    file = Path(path) if path is not None else POSTERIOR_FILE
    if not file.is_file():
        raise InputError(
            "", f"posterior ensemble {str(file)!r} does not exist", "give an ensemble file written by the inference"
        )
    try:
        document = read_yaml(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problem = " ".join(str(error).split())
        raise InputError("", f"posterior ensemble {str(file)!r} is not valid YAML ({problem})") from None
    return parse_posterior(document, registry)


def parse_posterior(document: Any, registry: ParameterSet | None = None) -> Posterior:
    """A `Posterior` from the mapping of an ensemble file, every key checked (see `load_posterior`)."""
    if not isinstance(document, dict):
        raise InputError("", "a posterior ensemble must be a mapping", f"start it with '{FORMAT_KEY}: 1'")
    if document.get(FORMAT_KEY) != FORMAT_VERSION:
        raise InputError(
            FORMAT_KEY, f"format version {document.get(FORMAT_KEY)!r} is not known", f"write {FORMAT_KEY}: 1"
        )
    based_on, method = (_text(document, key) for key in ("based_on", "method"))
    names, units = _parameters(document.get("parameters"), registry)
    draws = _draws(document.get("draws"), len(names))
    diagnostics, provenance = (_mapping(document, key) for key in ("diagnostics", "provenance"))
    return Posterior(names, units, draws, based_on, method, diagnostics, provenance)


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(key, f"must be a non-empty text, not {value!r}")
    return value


def _mapping(document: dict[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise InputError(key, f"must be a mapping, not {type(value).__name__}")
    return value


def _parameters(entries: Any, registry: ParameterSet | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names and units of the sampled parameters, each checked against the registry."""
    if not isinstance(entries, list) or not entries:
        raise InputError("parameters", "must be a non-empty list of {name, unit}")
    registry = registry if registry is not None else get_parameter_set("default")
    names: list[str] = []
    units: list[str] = []
    for k, entry in enumerate(entries):
        where = f"parameters[{k}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "unit" not in entry:
            raise InputError(where, "must be a mapping with a name and a unit", "write {name: NAME, unit: UNIT}")
        name, unit = entry["name"], str(entry["unit"])
        if name not in registry:
            close = get_close_matches(name, list(registry), n=1)
            raise InputError(
                f"{where}.name", f"unknown parameter {name!r}", f"did you mean {close[0]!r}?" if close else ""
            )
        if name in names:
            raise InputError(f"{where}.name", f"parameter {name!r} is listed twice")
        expected = registry.parameter(name).unit
        if unit != expected:
            raise InputError(f"{where}.unit", f"{unit!r}, but {name} is in {expected!r}", f"write unit: {expected!r}")
        names.append(name)
        units.append(unit)
    return tuple(names), tuple(units)


def _draws(rows: Any, columns: int) -> NDArray[np.float64]:
    """The draws as an array (draws, parameters): every row of ``columns`` finite numbers."""
    if not isinstance(rows, list) or not rows:
        raise InputError("draws", "must be a non-empty list of rows of values")
    values = np.empty((len(rows), columns))
    for k, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != columns:
            count = f"{len(row)} values" if isinstance(row, list) else f"a {type(row).__name__}"
            raise InputError(f"draws[{k}]", f"{count}, expected {columns}", "one value per entry of parameters")
        for j, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
                raise InputError(f"draws[{k}][{j}]", f"{value!r} is not a finite number")
            values[k, j] = value
    return values
