"""Where ketasim keeps what it can build again: folders under ``~/.cache/ketasim``, each safe to delete."""

from __future__ import annotations

from pathlib import Path


def user_cache(name: str) -> Path:
    """The cache folder ``name`` (``~/.cache/ketasim/<name>``), not created."""
    return Path.home() / ".cache" / "ketasim" / name
