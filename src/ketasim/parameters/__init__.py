"""The parameter registry: named parameter sets, one per source, and the ``default`` set the model uses.

``get_parameter_set("prior")`` merges every set (pharmacokinetics, mechanism, network, population) with the values
their sources give; ``default`` is the prior set with the values ``ketasim calibrate`` fitted to the calibration
targets (`CALIBRATED_FILE`, written by ``make calibrate``) for the parameters marked ``calibrated``. A source name
gives that source's own parameters only, and `parameter_set` gives the default set with that source's values
taking precedence, for simulating with it.
"""

from __future__ import annotations

from dataclasses import replace
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ketasim.errors import ParameterError
from ketasim.parameters import (
    chong2006,
    covariates,
    dose_limits,
    effect_site,
    escitalopram,
    fanta2015,
    kamp2020,
    mechanism,
    midazolam,
    molar_masses,
    network_params,
    perez_ruixo2021,
    population_params,
    routes,
    symptom_params,
)
from ketasim.parameters.registry import Parameter, ParameterSet, Reference, merge
from ketasim.parameters.yaml_files import read_yaml

__all__ = [
    "CALIBRATED_FILE",
    "Parameter",
    "ParameterSet",
    "Reference",
    "available_sets",
    "parameter_set",
    "get_parameter_set",
]

DEFAULT = "default"
PRIOR = "prior"
CALIBRATED_FILE = Path(__file__).with_name("calibrated.yaml")


def _all_sets() -> list[ParameterSet]:
    """Every named set, pharmacokinetics first, in the order they are merged into the default set."""
    return [
        kamp2020.KAMP2020_SET,
        perez_ruixo2021.PEREZ_RUIXO2021_SET,
        fanta2015.FANTA2015_SET,
        chong2006.CHONG2006_SET,
        routes.ROUTES_SET,
        midazolam.MIDAZOLAM,
        escitalopram.ESCITALOPRAM,
        molar_masses.MOLAR_MASSES,
        covariates.COVARIATES,
        effect_site.EFFECT_SITE,
        dose_limits.DOSE_LIMITS,
        mechanism.mechanism_set(),
        network_params.NETWORK,
        population_params.POPULATION,
        symptom_params.SYMPTOMS,
    ]


@cache
def _registry() -> dict[str, ParameterSet]:
    sets = _all_sets()
    named = {s.name: s for s in sets}
    if len(named) != len(sets):
        raise ParameterError("two parameter sets share a name")
    prior = merge(PRIOR, "Every parameter the model uses, merged from all sources, before calibration", *sets)
    fitted = (  # the prior set itself before the first fit
        _with_fitted(prior, _read(CALIBRATED_FILE), CALIBRATED_FILE) if CALIBRATED_FILE.is_file() else prior
    )
    default = replace(fitted, name=DEFAULT, description=_DEFAULT_DESCRIPTION)
    return {DEFAULT: default, PRIOR: prior, **named}


_DEFAULT_DESCRIPTION = "Every parameter the model uses: the prior set with the calibrated values of `make calibrate`"


def available_sets() -> list[str]:
    """Names of the parameter sets: ``default`` and ``prior`` first, then the sources alphabetically."""
    names = [n for n in _registry() if n not in (DEFAULT, PRIOR)]
    return [DEFAULT, PRIOR, *sorted(names)]


def get_parameter_set(name: str) -> ParameterSet:
    """The parameter set called ``name``; a `ParameterError` naming close matches if there is none."""
    registry = _registry()
    try:
        return registry[name]
    except KeyError:
        close = get_close_matches(name, list(registry), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ParameterError(
            f"unknown parameter set {name!r}{hint} (available: {', '.join(available_sets())})"
        ) from None


def parameter_set(name: str) -> ParameterSet:
    """The default set with the parameters of set ``name`` taking precedence: complete enough to simulate.

    ``name`` may also be the path of a parameter file written by ``ketasim calibrate`` (``.yaml``/``.yml``).
    """
    if name.endswith((".yaml", ".yml")):
        return load_parameter_file(name)
    chosen = get_parameter_set(name)
    if name in (DEFAULT, PRIOR):
        return chosen
    return merge(name, f"{chosen.description} (other parameters from the default set)", _registry()[DEFAULT], chosen)


def load_parameter_file(path: str) -> ParameterSet:
    """A parameter file (``ketasim calibrate``): its values on top of the set it is based on, with provenance."""
    file = Path(path)
    if not file.is_file():
        raise ParameterError(f"parameter file {path!r} does not exist")
    document = _read(file)
    base = parameter_set(str(document.get("based_on", DEFAULT)))
    return replace(_with_fitted(base, document, file), name=file.stem)


def _read(file: Path) -> dict[str, Any]:
    """The YAML mapping of a parameter file; a `ParameterError` if it is not one."""
    try:
        document = read_yaml(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ParameterError(
            f"parameter file {str(file)!r} is malformed ({error}); write it with `ketasim calibrate`"
        ) from None
    if not isinstance(document, dict):
        raise ParameterError(f"parameter file {str(file)!r} is not a mapping; write it with `ketasim calibrate`")
    return document


def _with_fitted(base: ParameterSet, document: dict[str, Any], file: Path) -> ParameterSet:
    """``base`` with the values of the parameter file ``file`` (read as ``document``), each noted as fitted by
    ``ketasim calibrate``."""
    try:
        values = {name: float(entry["value"]) for name, entry in document["values"].items()}
        provenance = document.get("provenance", {})
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ParameterError(
            f"parameter file {str(file)!r} is malformed ({error}); write it with `ketasim calibrate`"
        ) from None
    fit = Reference(
        "KETASIM-CALIBRATE",
        f"Fitted by ketasim calibrate {provenance.get('ketasim', '?')} on {provenance.get('date', '?')} to "
        f"{provenance.get('targets_file', '?')} (sha256 {str(provenance.get('targets_sha256', '?'))[:12]}; "
        f"objective {provenance.get('objective_before', '?')} -> {provenance.get('objective_after', '?')}); "
        f"file {file.name}",
    )
    return base.with_fitted(values, fit)
