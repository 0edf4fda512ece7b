"""The public API: every name in ``ketasim.__all__`` loads and is documented, importing ketasim changes nothing,
and the README's Python example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import ketasim

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", [n for n in ketasim.__all__ if n != "__version__"])
def test_public_name_loads_and_has_a_docstring(name: str) -> None:
    value = getattr(ketasim, name)
    assert (value.__doc__ or "").strip(), f"ketasim.{name} has no docstring"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        ketasim.simulat  # noqa: B018


def test_import_has_no_side_effects_and_the_first_simulation_runs_in_float64() -> None:
    code = (
        "import sys, ketasim\n"
        "assert 'jax' not in sys.modules, 'import ketasim imported jax'\n"
        "import jax\n"
        "assert not jax.config.jax_enable_x64, 'import ketasim switched JAX to float64'\n"
        "d = ketasim.simulate(ketasim.load_protocol('examples/single-infusion.yaml'))\n"
        "assert str(d.plasma_ketamine.dtype) == 'float64'\n"
        "print(round(float(d.plasma_ketamine.max()), 1))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert 150.0 < float(result.stdout) < 300.0


def test_readme_python_example_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README has no Python example"
    for block in blocks:
        result = subprocess.run(
            [sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
        )
        assert result.returncode == 0, result.stderr


def test_a_protocol_built_in_python_simulates_like_its_file() -> None:
    protocol = ketasim.build_protocol(
        dict(
            ketasim=1,
            name="single infusion",
            duration="1 d",
            population={"size": 1, "variability": False},
            arms=[
                {
                    "name": "ketamine",
                    "treatments": [
                        {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
                    ],
                }
            ],
            observe={"every": "10 min", "outputs": ["plasma_ketamine"]},
        )
    )
    direct = ketasim.Protocol(**{k: v for k, v in protocol.source.items() if k != "ketasim"})
    from_file = ketasim.load_protocol(protocol.source)
    assert from_file.source == direct.source == protocol.source
    a = ketasim.simulate(protocol).plasma_ketamine.values
    b = ketasim.simulate(from_file).plasma_ketamine.values
    c = ketasim.simulate(direct).plasma_ketamine.values
    assert (a == b).all() and (a == c).all()
