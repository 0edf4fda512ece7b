"""Terminal output: tables fit the width without cutting a value; progress shows as lines when piped."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.parameters import get_parameter_set
from ketasim.parameters.registry import Reference
from ketasim.report.bibtex import bibtex_entries
from ketasim.report.numbers import format_number
from ketasim.report.progress import COMPILING, progress_display
from ketasim.report.terminal import Column, fitted_table

runner = CliRunner()
COLUMNS = [Column("name"), Column("value", numeric=True), Column("unit"), Column("source", beneath=True)]
ROWS = [
    ["a_rather_long_parameter_name_of_forty_chars", "0.5536", "mmHg per ng/mL", "anderson_holford2008"],
    ["short", "1100", "L", "sogaard2005"],
    ["arm [b]", "-7.31", "[bold]points", "a [link=x]source[/link]"],  # brackets are text, not rich markup
]


def render(columns: list[Column], rows: list[list[str]], width: int, title: str = "") -> list[str]:
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True).print(fitted_table(columns, rows, width, title))
    return buffer.getvalue().splitlines()


def assert_whole(lines: list[str], values: list[str], width: int) -> None:
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert not any("…" in line for line in lines)
    for value in values:
        assert any(value in line for line in lines), f"{value!r} is not whole in the output"


@pytest.mark.parametrize("width", [120, 80, 60, 50])
def test_every_cell_appears_whole_at_every_width(width: int) -> None:
    lines = render(COLUMNS, ROWS, width)
    assert_whole(lines, [cell for row in ROWS for cell in row], width)


def test_layouts_go_from_one_line_per_row_to_blocks() -> None:
    assert len(render(COLUMNS, ROWS, 120)) == 2 + len(ROWS)  # header, rule, rows
    narrow = render(COLUMNS, ROWS, 80)
    assert "  sogaard2005" in [line.rstrip() for line in narrow]  # the source moved under the name
    blocks = render(COLUMNS, ROWS, 50)
    assert blocks[0] == ROWS[0][0] and blocks[1].startswith("  value 0.5536")


def test_params_at_80_columns_cuts_no_value() -> None:
    result = runner.invoke(app, ["params"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    pset = get_parameter_set("default")
    values = []
    for name in pset.parameters:
        p = pset.parameter(name)
        values += [p.name, format_number(p.value, 4), p.unit, p.source, p.confidence]
    assert_whole(result.stdout.splitlines(), values, 80)


def test_params_json_and_csv_give_every_parameter_exactly() -> None:
    pset = get_parameter_set("escitalopram")
    as_json = json.loads(runner.invoke(app, ["params", "--set", "escitalopram", "--json"]).stdout)
    assert as_json["set"] == "escitalopram"
    assert {p["name"]: p["value"] for p in as_json["parameters"]} == {n: pset[n] for n in pset.parameters}
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["params", "--set", "escitalopram", "--csv"]).stdout)))
    assert {r["name"]: float(r["value"]) for r in rows} == {n: pset[n] for n in pset.parameters}
    assert {r["name"]: r["unit"] for r in rows} == {n: pset.parameter(n).unit for n in pset.parameters}


def test_params_refuses_two_formats() -> None:
    result = runner.invoke(app, ["params", "--json", "--csv"])
    assert result.exit_code == 2 and result.stderr.startswith("error: --json/--csv")


def test_bibtex_of_a_journal_article_and_of_a_free_text_reference() -> None:
    article = Reference(
        "henthorn2018",
        "Henthorn TK, Avram MJ, Dahan A, et al. Combined recirculatory-compartmental population pharmacokinetic "
        "modeling of S(+) and R(-) ketamine. Anesthesiology 2018;129(2):260-270 (DOI not checked here)",
        "10.1097/ALN.0000000000002261",
    )
    judgement = Reference("judgement", "Modelling judgement of the ketasim developers, 50 % of the time")
    text = bibtex_entries([article, judgement, article])
    assert text.count("@") == 2 and text.count("{") == text.count("}")
    assert "@article{henthorn2018," in text
    assert "author = {Henthorn, TK and Avram, MJ and Dahan, A and others}" in text
    assert "journal = {Anesthesiology}" in text and "year = {2018}" in text and "pages = {260--270}" in text
    assert "volume = {129}" in text and "number = {2}" in text and "note = {DOI not checked here}" in text
    assert "doi = {10.1097/ALN.0000000000002261}" in text
    assert "@misc{judgement,\n  title = {Modelling judgement of the ketasim developers, 50 \\% of the time}," in text


def test_cite_bibtex_gives_one_entry_per_reference(tmp_path: pytest.TempPathFactory) -> None:
    result = runner.invoke(app, ["cite", "examples/single-infusion.yaml", "--bibtex"])
    assert result.exit_code == 0
    plain = runner.invoke(app, ["cite", "examples/single-infusion.yaml"]).stdout.splitlines()
    keys = [line[1 : line.index("]")] for line in plain]
    assert [line.split("{")[1].rstrip(",") for line in result.stdout.splitlines() if line.startswith("@")] == keys


def test_progress_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with progress_display(stream=stream) as bar:
        bar.stage(COMPILING, total=100)
        first = stream.getvalue()
        for _ in range(20):
            bar.advance(5, "simulating")
    lines = [line.split(" [")[0] for line in stream.getvalue().splitlines()]
    assert first.startswith(f"ketasim: {COMPILING} [")  # written (and flushed) before any work is done
    counts = [5, *range(10, 101, 10)]  # the new stage name, then every tenth
    assert lines[1:] == [f"ketasim: simulating {n}/100 ({n} %)" for n in counts]


def test_quiet_progress_writes_nothing() -> None:
    stream = io.StringIO()
    with progress_display(quiet=True, stream=stream) as bar:
        bar.stage(COMPILING, total=10)
        bar.advance(10, "simulating")
    assert stream.getvalue() == ""
