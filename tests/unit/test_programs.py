"""The program store: an engine program exported once gives the same bits as tracing it again, and its key changes
with everything that changes the program."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ketasim
from ketasim.engine import programs

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "serial-iv-with-and-without-cbt.yaml"


@partial(jax.jit, static_argnames=("power",))
def _scaled(values: jax.Array, pair: tuple[jax.Array, jax.Array], *, power: int) -> jax.Array:
    return (values * pair[0] + pair[1]) ** power


def _stored_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{programs.SUFFIX}"))


def test_a_stored_program_gives_the_results_of_the_traced_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    protocol = ketasim.load_protocol(EXAMPLE)
    monkeypatch.setenv(programs.STORE_VARIABLE, "")
    traced = ketasim.simulate(protocol, patients=2)
    assert programs.store_folder() is None
    monkeypatch.setenv(programs.STORE_VARIABLE, str(tmp_path))
    exported = ketasim.simulate(protocol, patients=2)
    files = _stored_files(tmp_path)
    assert len(files) >= len(protocol.arms)  # one engine program per arm at least
    programs.forget_loaded()
    jax.clear_caches()
    read_back = ketasim.simulate(protocol, patients=2)
    assert _stored_files(tmp_path) == files  # read, not exported again
    for name in protocol.observe.outputs:
        assert np.array_equal(traced[name].values, exported[name].values, equal_nan=True), name
        assert np.array_equal(traced[name].values, read_back[name].values, equal_nan=True), name


def test_the_store_sits_beside_the_compile_cache_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(programs.STORE_VARIABLE, raising=False)
    cache = Path(jax.config.jax_compilation_cache_dir)  # type: ignore[attr-defined]
    assert programs.store_folder() == cache.parent / "programs"
    monkeypatch.setenv(programs.STORE_VARIABLE, "/somewhere/else")
    assert programs.store_folder() == Path("/somewhere/else")


def test_call_runs_the_function_with_its_static_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(programs.STORE_VARIABLE, str(tmp_path))
    values, pair = jnp.arange(4.0), (jnp.asarray(2.0), jnp.ones(4))
    for power in (1, 3):
        stored = programs.call(_scaled, (values, pair), {"power": power})
        assert np.array_equal(stored, _scaled(values, pair, power=power))
    assert len(_stored_files(tmp_path)) == 2  # one program per value of the static argument


def _key(values: np.ndarray, power: int = 2, scale: object = None) -> str:
    pair = (np.asarray(2.0) if scale is None else scale, np.ones(values.shape))
    leaves, structure = jax.tree_util.tree_flatten((values, pair))
    return programs.program_key(_scaled, structure, [jax.typeof(leaf) for leaf in leaves], {"power": power})


def test_the_key_changes_with_what_changes_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    base = _key(np.zeros(4))
    assert _key(np.zeros(4)) == base  # the same program: the same key
    assert _key(np.ones(4)) == base  # values are data, not part of the program
    assert _key(np.zeros(5)) != base  # shape
    assert _key(np.zeros(4, dtype=np.float32)) != base  # dtype
    assert _key(np.zeros(4), power=3) != base  # a static argument
    assert _key(np.zeros(4), scale=2.0) != base  # a weakly typed Python number is another program
    assert _key(np.zeros(4), scale=(np.asarray(2.0),)) != base  # the structure of the arguments
    monkeypatch.setattr(programs, "package_digest", lambda: "another version of ketasim")
    assert _key(np.zeros(4)) != base  # the package's code and data


def test_the_package_digest_covers_the_model_code_and_parameter_files() -> None:
    names = {p.relative_to(programs.PACKAGE).as_posix() for p in programs.PACKAGE.rglob("*") if p.is_file()}
    assert {"engine/run.py", "models/symptoms.py", "parameters/calibrated.yaml"} <= names
    assert len(programs.package_digest()) == 64


def test_a_static_argument_without_stable_text_is_refused() -> None:
    leaves, structure = jax.tree_util.tree_flatten((np.zeros(2),))
    with pytest.raises(ValueError, match="no stable text"):
        programs.program_key(_scaled, structure, [jax.typeof(leaf) for leaf in leaves], {"power": object()})


def test_an_unwritable_store_runs_as_without_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(programs.STORE_VARIABLE, str(blocked / "programs"))
    values, pair = jnp.arange(3.0), (jnp.asarray(2.0), jnp.ones(3))
    assert np.array_equal(programs.call(_scaled, (values, pair), {"power": 2}), _scaled(values, pair, power=2))
