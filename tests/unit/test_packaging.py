"""Packaging: the examples inside the package, ``ketasim examples``, the licence and the citation file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.io.examples import HISTORY, examples
from ketasim.version import __version__

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_the_package_carries_every_example_of_the_repository() -> None:
    shipped = {example.name for example in examples()}
    assert shipped == {path.stem for path in (ROOT / "examples").glob("*.yaml")} | {HISTORY}
    for example in examples():
        if example.name != HISTORY:
            assert example.source.read_text() == (ROOT / "examples" / f"{example.name}.yaml").read_text()


def test_package_data_names_the_examples_and_the_drug_catalogue() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["ketasim"]
    package = ROOT / "src" / "ketasim"
    for pattern in patterns:
        assert list(package.glob(pattern)), f"package-data pattern {pattern!r} matches nothing"
    shipped = {p.relative_to(package) for pattern in patterns for p in package.glob(pattern)}
    in_repository = {Path("examples") / p.relative_to(ROOT / "examples") for p in (ROOT / "examples").rglob("*.*")}
    assert in_repository <= shipped
    drugs = {p.relative_to(package) for p in (package / "parameters" / "drugs").glob("*.yaml")}
    assert drugs and drugs <= shipped  # the drug catalogue is data the package reads


def test_examples_lists_the_examples() -> None:
    result = runner.invoke(app, ["examples"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for example in examples():
        assert example.name in result.stdout


def test_examples_copies_one_or_all_and_never_overwrites(tmp_path: Path) -> None:
    one = runner.invoke(app, ["examples", "single-infusion", "--out", str(tmp_path / "one")])
    assert one.exit_code == 0, one.output
    copied = tmp_path / "one" / "single-infusion.yaml"
    assert copied.read_text() == (ROOT / "examples" / "single-infusion.yaml").read_text()
    every = runner.invoke(app, ["examples", "--out", str(tmp_path / "all")])
    assert every.exit_code == 0, every.output
    assert {p.name for p in (tmp_path / "all").iterdir()} == {f"{e.name}.yaml" for e in examples()[:-1]} | {HISTORY}
    assert (tmp_path / "all" / HISTORY / "p017.csv").read_text() == (
        ROOT / "examples" / HISTORY / "p017.csv"
    ).read_text()
    again = runner.invoke(app, ["examples", "single-infusion", "--out", str(tmp_path / "one")])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_examples_errors_are_one_line() -> None:
    unknown = runner.invoke(app, ["examples", "single-infusoin", "--out", "x"])
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: NAME: no example 'single-infusoin' (did you mean 'single-infusion'?)"
    without_folder = runner.invoke(app, ["examples", "single-infusion"])
    assert without_folder.exit_code == 2 and without_folder.stderr.startswith("error: --out:")


def test_licence_and_citation_agree_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    assert citation["version"] == project["version"] == __version__
    assert citation["title"].startswith("ketasim") and citation["authors"]


def test_make_run_installs_the_runtime_dependencies_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run_rule = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "$(RUNTIME_STAMP)" in run_rule and "setup" not in run_rule
    runtime_recipe = makefile.split("$(RUNTIME_STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "pip install --quiet -e .\n" in runtime_recipe + "\n" and "[dev]" not in runtime_recipe
