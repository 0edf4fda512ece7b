"""scripts/mutate.py: how the sampled mutation score counts mutmut's verdicts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("mutate", ROOT / "scripts" / "mutate.py")
assert SPEC is not None and SPEC.loader is not None
mutate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(mutate)


def test_timeouts_count_as_killed_and_untested_mutants_as_not() -> None:
    result = mutate.score(["killed", "timeout", "survived", "no tests"])
    assert (result["mutants"], result["killed"], result["score"]) == (4, 2, 0.5)
    assert result["verdicts"] == {"killed": 1, "timeout": 1, "survived": 1, "no tests": 1}


def test_the_interval_is_wilsons_and_holds_the_score() -> None:
    result = mutate.score(["killed"] * 45 + ["survived"] * 5)
    low, high = result["wilson95"]
    # Wilson's 95 % interval for 45 of 50, by its formula
    p, n, z = 0.9, 50, 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    assert low == pytest.approx(centre - half) and high == pytest.approx(centre + half)
    assert low < result["score"] < high


def test_no_mutants_give_no_score() -> None:
    assert mutate.score([])["score"] is None
