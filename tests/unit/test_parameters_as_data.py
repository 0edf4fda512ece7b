"""Parameters are data of the compiled program: new values never recompile, and many sets run in one call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest
import yaml

import ketasim
from ketasim.engine import programs

SINGLE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "examples" / "single-infusion.yaml").read_text()
)


def with_overrides(**values: Any) -> ketasim.Protocol:
    data = dict(SINGLE)
    data["population"] = {**SINGLE["population"], "parameters": {"set": "default", "override": values}}
    return ketasim.build_protocol(data)


@pytest.fixture
def compilations() -> Iterator[list[str]]:
    """XLA compilations (or reads from the compile cache) in this process while the test runs, from empty
    in-process caches (what earlier tests compiled is compiled or read again)."""
    jax.clear_caches()
    programs.forget_loaded()
    seen: list[str] = []

    def listen(event: str, seconds: float, **_: Any) -> None:
        if event.endswith("backend_compile_duration"):
            seen.append(event)

    jax.monitoring.register_event_duration_secs_listener(listen)
    yield seen
    jax.monitoring.unregister_event_duration_listener(listen)


def test_ten_override_values_compile_the_engine_once(compilations: list[str]) -> None:
    peaks, compiles = [], []
    for k in range(10):
        protocol = with_overrides(
            glutamate_surge_max_fraction=0.30 + 0.02 * k, nmda_ki_s_ketamine_um=f"{0.25 + 0.01 * k} uM"
        )
        peaks.append(float(ketasim.simulate(protocol).glutamate_change.max()))
        compiles.append(len(compilations))
    assert compiles[0] > 0, "the listener saw no compilation"
    assert compiles[1:] == compiles[:-1], f"compilations after each run: {compiles}"
    assert len(set(peaks)) == 10  # the values did change the results


def test_sixteen_parameter_sets_run_in_one_call_and_each_gives_its_own_run() -> None:
    base = ketasim.parameter_set("default")
    sets = [
        ketasim.ParameterSet(
            f"draw{k}", "test", base.with_overrides({"cadss_max_points": 20.0 + k}).parameters, base.references
        )
        for k in range(16)
    ]
    protocol = ketasim.build_protocol({**SINGLE, "population": {**SINGLE["population"], "size": 2}})
    together = ketasim.simulate(protocol, parameter_sets=sets)
    assert dict(together.sizes)["parameter_set"] == 16
    assert list(together["parameter_set"].values) == [s.name for s in sets]
    peaks = together.dissociation.max(("arm", "patient", "time")).values
    assert np.all(np.diff(peaks) > 0)
    alone = ketasim.simulate(protocol, parameter_sets=[sets[5]])
    assert np.allclose(
        together.dissociation.sel(parameter_set="draw5"),
        alone.dissociation.sel(parameter_set="draw5"),
        rtol=0,
        atol=1e-12,
    )
