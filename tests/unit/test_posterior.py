"""The posterior ensemble reader (``ketasim-posterior: 1``): good files, the draws chosen, bad files refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from ketasim.errors import InputError
from ketasim.parameters import CALIBRATED_FILE, get_parameter_set
from ketasim.parameters.posterior import POSTERIOR_FILE, load_posterior, parse_posterior
from uncertainty_cases import ENSEMBLE


def ensemble(rows: int = 5) -> dict[str, Any]:
    """An ensemble of two parameters whose draws step away from the default values."""
    default = get_parameter_set("default")
    names = ("ketamine_relief_max", "spine_formation_time_constant_h")
    return {
        "ketasim-posterior": 1,
        "based_on": "default",
        "method": "test: evenly spaced factors",
        "parameters": [{"name": n, "unit": default.parameter(n).unit} for n in names],
        "draws": [[default[n] * (0.8 + 0.1 * k) for n in names] for k in range(rows)],
        "diagnostics": {"ess": dict.fromkeys(names, float(rows))},
        "provenance": {"ketasim": "test"},
    }


def test_the_packaged_ensemble_sits_beside_the_calibrated_values() -> None:
    assert CALIBRATED_FILE.with_name("posterior.yaml") == POSTERIOR_FILE


def test_the_test_ensemble_reads_with_its_columns_in_order() -> None:
    posterior = load_posterior(ENSEMBLE)
    assert posterior.names[0] == "ketamine_relief_max"
    assert posterior.units == ("1",) * 4
    assert posterior.draws.shape == (12, 4)
    assert posterior.based_on == "default"
    assert posterior.diagnostics["ess"]["ketamine_relief_max"] == 12.0
    assert posterior.draws[1, 0] == pytest.approx(0.309617)


def test_overrides_spread_evenly_over_the_draws_and_repeat() -> None:
    posterior = parse_posterior(ensemble(rows=5))
    chosen = posterior.overrides(3)  # rows 0, 2 and 4
    expected = [posterior.draws[row] for row in (0, 2, 4)]
    assert [list(c.values()) for c in chosen] == [list(row) for row in expected]
    assert list(chosen[0]) == list(posterior.names)
    assert posterior.overrides(3) == chosen
    assert len(posterior.overrides(5)) == 5
    assert np.array([list(c.values()) for c in posterior.overrides(5)]) == pytest.approx(posterior.draws)


@pytest.mark.parametrize("count", [0, 6])
def test_asking_for_more_draws_than_the_ensemble_has_names_the_option(count: int) -> None:
    with pytest.raises(InputError, match=r"^--uncertainty: .*the posterior ensemble has 5 \(ask for 1 to 5 draws\)"):
        parse_posterior(ensemble(rows=5)).overrides(count)


def broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(ensemble())
    change(document)
    return document


BAD: list[tuple[Any, str]] = [
    (lambda d: d.update({"ketasim-posterior": 2}), r"^ketasim-posterior: format version 2 is not known"),
    (lambda d: d.pop("based_on"), r"^based_on: must be a non-empty text"),
    (lambda d: d.update(method=3), r"^method: must be a non-empty text"),
    (lambda d: d.update(parameters=[]), r"^parameters: must be a non-empty list"),
    (lambda d: d["parameters"][1].pop("unit"), r"^parameters\[1\]: must be a mapping with a name and a unit"),
    (
        lambda d: d["parameters"][0].update(name="ketamine_relief_mx"),
        r"^parameters\[0\]\.name: unknown parameter 'ketamine_relief_mx' \(did you mean 'ketamine_relief_max'\?\)",
    ),
    (lambda d: d["parameters"][1].update(name="ketamine_relief_max"), r"^parameters\[1\]\.name: .* listed twice"),
    (lambda d: d["parameters"][1].update(unit="min"), r"^parameters\[1\]\.unit: 'min', but .* is in 'h'"),
    (lambda d: d.update(draws={}), r"^draws: must be a non-empty list"),
    (lambda d: d["draws"][3].pop(), r"^draws\[3\]: 1 values, expected 2"),
    (lambda d: d["draws"].__setitem__(2, 0.5), r"^draws\[2\]: a float, expected 2"),
    (lambda d: d["draws"][4].__setitem__(1, "fast"), r"^draws\[4\]\[1\]: 'fast' is not a finite number"),
    (lambda d: d["draws"][0].__setitem__(0, float("nan")), r"^draws\[0\]\[0\]: nan is not a finite number"),
    (lambda d: d.update(diagnostics=[1]), r"^diagnostics: must be a mapping, not list"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_a_bad_ensemble_is_refused_naming_its_key_path(change: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_posterior(broken(change))


def test_a_missing_or_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_posterior(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("draws: [1, 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not valid YAML"):
        load_posterior(bad)
    bad.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be a mapping"):
        load_posterior(bad)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(ensemble()), encoding="utf-8")
    assert load_posterior(str(good)).size == 5
