"""The unit registry's disk cache: used when whole, rebuilt when a file in it is half written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ketasim import units


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "pint"
    monkeypatch.setattr(units, "registry_cache", lambda: folder)
    units.registry.cache_clear()
    yield folder
    units.registry.cache_clear()


def two_weeks_in_hours() -> float:
    return float(units.registry().Quantity(2, "w").to("h").magnitude)


def test_the_first_registry_writes_the_cache_and_the_next_reads_it(cache: Path) -> None:
    assert two_weeks_in_hours() == 336.0
    written = {path.name: path.stat().st_mtime_ns for path in cache.glob("*.pickle")}
    assert written
    units.registry.cache_clear()
    assert two_weeks_in_hours() == 336.0
    assert {path.name: path.stat().st_mtime_ns for path in cache.glob("*.pickle")} == written


def test_a_half_written_cache_file_is_parsed_afresh_and_dropped(cache: Path) -> None:
    two_weeks_in_hours()
    for path in cache.glob("*.pickle"):
        path.write_bytes(path.read_bytes()[:1000])
    units.registry.cache_clear()
    assert two_weeks_in_hours() == 336.0
    assert not cache.exists()


def test_no_home_folder_parses_without_a_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")  # what Path.home() raises

    monkeypatch.setattr(units, "registry_cache", no_home)
    assert two_weeks_in_hours() == 336.0
    assert not cache.exists()
