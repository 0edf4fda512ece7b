"""Every example in the documentation works: protocols load, Python runs, commands exist, and the site builds."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from ketasim.cli import app
from ketasim.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
OWN_PAGES = (
    "index",
    "getting-started",
    "design-kap-protocol",
    "reading-the-report",
    "validation-limits",
    "model-reference",
    "large-trials",
)
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[tuple[str, str]]:
    """(page:index, code) of every fenced block of ``language`` in the pages this project's guides own."""
    found = []
    for page in PAGES:
        if page.stem not in OWN_PAGES:
            continue
        for k, match in enumerate(
            m for m in BLOCK.finditer(page.read_text(encoding="utf-8")) if m.group(1) == language
        ):
            found.append((f"{page.stem}:{k}", match.group(2)))
    return found


def test_the_guides_exist() -> None:
    assert {page.stem for page in PAGES} >= set(OWN_PAGES)


@pytest.mark.parametrize(("where", "text"), [b for b in blocks("yaml") if b[1].startswith("ketasim: 1")])
def test_protocol_examples_load_without_warnings(where: str, text: str) -> None:
    import yaml

    protocol = load_protocol(yaml.safe_load(text))
    assert protocol.warnings == [], where


@pytest.mark.parametrize(("where", "code"), blocks("python"))
def test_python_examples_run(where: str, code: str) -> None:
    exec(compile(code, where, "exec"), {"__name__": f"docs_{where}"})  # noqa: S102 - our own documentation


def _shell_lines() -> list[tuple[str, list[str]]]:
    lines = []
    for where, text in blocks("sh"):
        for line in text.splitlines():
            command = line.split("#", 1)[0].strip()
            if command:
                lines.append((where, shlex.split(command)))
    return lines


@pytest.mark.parametrize(("where", "words"), _shell_lines())
def test_shell_examples_name_real_commands_options_and_files(where: str, words: list[str]) -> None:
    program = Path(words[0]).name
    if program == "make":
        assert re.search(rf"^{words[1]}:", (ROOT / "Makefile").read_text(), re.MULTILINE), where
        return
    if program != "ketasim":
        return  # pip and other tools
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert words[1] in commands, f"{where}: no command {words[1]!r}"
    options = {name for parameter in commands[words[1]].params for name in getattr(parameter, "opts", [])}
    for word in words[2:]:
        if word.startswith("--"):
            assert word in options, f"{where}: {words[1]} has no option {word}"
        elif word.startswith("examples/"):
            assert (ROOT / word).exists(), f"{where}: {word} does not exist"


def test_site_builds_strictly(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # the figures are simulated while the site builds
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "design-kap-protocol" / "index.html").exists()
    for page in ("getting-started", "design-kap-protocol"):  # figures simulated from the examples at build time
        built = (tmp_path / "site" / page / "index.html").read_text(encoding="utf-8")
        assert 'class="plotly-graph-div"' in built and "ketasim-figure:" not in built, page
        assert '<script src="../assets/plotly-' in built
    assert list((tmp_path / "site" / "assets").glob("plotly-*.min.js"))
    assert {p.name for p in (tmp_path / "site" / "notebooks").glob("*.ipynb")} == {
        p.name for p in (ROOT / "docs" / "notebooks").glob("*.ipynb")
    }
