"""The model arrays of several parameter sets, built together, are those each set gives alone, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ketasim
from ketasim.engine.grid import StepPolicy
from ketasim.models.model import build_model_of_sets, individual_parameters, set_parameters
from ketasim.population import make_patients
from ketasim.simulation.plan import plan_arm

ROOT = Path(__file__).resolve().parents[2]


def varied(count: int) -> list[ketasim.ParameterSet]:
    """``count`` copies of the default set, every positive parameter scaled by its own factor in [0.95, 1.05]."""
    base = ketasim.parameter_set("default")
    names = [name for name, parameter in base.parameters.items() if parameter.value > 0]
    rng = np.random.default_rng(3)
    sets = []
    for _ in range(count):
        factors = rng.uniform(0.95, 1.05, len(names))
        sets.append(base.with_overrides({name: base[name] * f for name, f in zip(names, factors, strict=True)}))
    return sets


def test_sets_built_together_equal_each_set_built_alone() -> None:
    protocol = ketasim.load_protocol(ROOT / "examples" / "kap-clinic-course.yaml")
    plan = plan_arm(protocol, 0, StepPolicy())
    patients = make_patients(protocol.population, 0, 0, 5, protocol.seed)
    sets = varied(4)
    together = set_parameters(plan.composition, sets, patients)
    for k, pset in enumerate(sets):
        alone = individual_parameters(plan.composition, pset, patients)
        assert set(alone) == set(together)
        for name, values in alone.items():
            np.testing.assert_array_equal(together[name][5 * k : 5 * (k + 1)], values, err_msg=name)
    differing = [name for name in together if not np.array_equal(together[name][:5], together[name][5:10])]
    assert "rumination_baseline" in differing  # the sets do differ, baselines included
    model = build_model_of_sets(plan.composition, sets, patients)
    assert {name: np.asarray(value).shape for name, value in model.parameters.items()} == {
        name: (20,) for name in together
    }
