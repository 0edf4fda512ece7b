"""NONMEM-style event tables read as patient histories: the example table equals the example history."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketasim.protocol.event_table import (
    Compartment,
    is_event_table,
    parse_compartments,
    read_event_table,
    read_patient_history,
)
from ketasim.protocol.history import HistoryError, IdentifyingDataError, read_history

HISTORY = Path(__file__).resolve().parents[2] / "examples" / "patient-history"
MAPPING = ["1=ketamine:iv", "2=skip", "3=madrs", "5=integration"]
WEIGHT_KG = 72.0  # p017.yaml: the table gives mg, the history mg/kg


def write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n")
    return path


def test_the_example_table_is_the_example_history() -> None:
    table = read_patient_history(HISTORY / "p017-nonmem.csv", parse_compartments(MAPPING))
    history = read_history(HISTORY / "p017.csv")
    assert table.patient == "p017-nonmem-17"
    assert [(s.time_h, s.scale, s.value) for s in table.scores] == [
        (s.time_h, s.scale, s.value) for s in history.scores
    ]
    assert [(d.time_h, d.drug, d.route, d.infusion_h) for d in table.doses] == [
        (d.time_h, d.drug, d.route, d.infusion_h) for d in history.doses
    ]
    assert [d.amount for d in table.doses] == pytest.approx([d.amount * WEIGHT_KG for d in history.doses])
    assert not any(d.per_kg for d in table.doses)
    assert [(s.start_h, s.duration_h, s.therapy) for s in table.sessions] == [
        (s.start_h, s.duration_h, s.therapy) for s in history.sessions
    ]


def test_header_detection() -> None:
    assert is_event_table(["ID", "TIME", "AMT", "CMT", "EVID", "DV"])
    assert is_event_table(["ID", "TIME", "AMT", "CMT", "MDV", "DV"])
    assert not is_event_table(["time", "event", "scale", "value"])


def test_compartment_meanings() -> None:
    assert parse_compartments(MAPPING) == {
        1: Compartment(drug="ketamine", route="iv"),
        2: Compartment(),
        3: Compartment(scale="madrs"),
        5: Compartment(therapy="integration"),
    }


@pytest.mark.parametrize(
    ("pairs", "words"),
    [
        (["1"], "is not NUMBER=MEANING"),
        (["1=ketamine:ivv"], "unknown route 'ivv'"),
        (["3=madr"], "did you mean 'madrs'"),
        (["1=madrs", "1=phq9"], "given twice"),
    ],
)
def test_bad_compartment_meanings_are_one_line_errors(pairs: list[str], words: str) -> None:
    with pytest.raises(HistoryError) as raised:
        parse_compartments(pairs)
    assert raised.value.key_path == "--cmt" and words in str(raised.value)


def test_without_evid_mdv_and_amt_tell_doses_from_observations(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
ID,TIME,AMT,RATE,CMT,DV,MDV
1,0,.,.,2,30,0
1,0,35,0,1,.,1
1,24,.,.,2,20,0
""",
    )
    history = read_event_table(path, parse_compartments(["1=ketamine:im", "2=madrs"]))
    assert [(d.time_h, d.route, d.amount, d.infusion_h) for d in history.doses] == [(0.0, "im", 35.0, 0.0)]
    assert [(s.time_h, s.value) for s in history.scores] == [(0.0, 30.0), (24.0, 20.0)]


def test_rate_minus_two_takes_the_duration_and_missing_observations_are_left_out(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
ID,TIME,AMT,RATE,DUR,CMT,EVID,DV,MDV
4,10,40,-2,0.5,1,1,.,1
4,34,.,.,.,2,0,.,1
4,34,.,.,.,2,0,18,0
""",
    )
    history = read_event_table(path, parse_compartments(["1=esketamine:iv", "2=madrs"]))
    assert [(d.time_h, d.infusion_h) for d in history.doses] == [(0.0, 0.5)]  # shifted: the first dose is at 0 h
    assert [(s.time_h, s.value) for s in history.scores] == [(24.0, 18.0)]


TABLE = """
ID,TIME,AMT,RATE,CMT,EVID,DV,MDV,SS
1,0,35,0,1,1,.,1,0
1,24,.,.,2,0,20,0,0
2,0,35,0,1,1,.,1,0
"""


@pytest.mark.parametrize(
    ("text", "pairs", "patient", "key", "words"),
    [
        (TABLE, ["1=ketamine:iv", "2=madrs"], None, "--id", "holds 2 patients"),
        (TABLE, ["1=ketamine:iv", "2=madrs"], "3", "--id", "no rows with ID 3"),
        (TABLE, ["1=ketamine:iv"], "1", "row 2 (line 3), column CMT", "compartment 2 has no meaning"),
        (TABLE.replace("1,24,.,.,2,0", "1,24,.,.,2,3"), ["1=ketamine:iv", "2=madrs"], "1", "column EVID", "reset"),
        (
            TABLE.replace("0,35,0,1,1,.,1,0\n1,24", "0,35,0,1,1,.,1,1\n1,24"),
            ["1=ketamine:iv", "2=madrs"],
            "1",
            "column SS",
            "steady-state",
        ),
        (TABLE.replace("1,24,", "1,-5,"), ["1=ketamine:iv", "2=madrs"], "1", "column TIME", "before the row above"),
        (TABLE.replace(",20,0,0", ",75,0,0"), ["1=ketamine:iv", "2=madrs"], "1", "column value", "outside"),
        (TABLE, ["1=madrs", "2=madrs"], "1", "row 1 (line 2), column CMT", "a dose in a scale"),
    ],
)
def test_bad_tables_are_one_line_errors_naming_row_and_column(
    tmp_path: Path, text: str, pairs: list[str], patient: str | None, key: str, words: str
) -> None:
    with pytest.raises(HistoryError) as raised:
        read_event_table(write(tmp_path, text), parse_compartments(pairs), patient)
    assert key in raised.value.key_path and words in str(raised.value)
    assert "\n" not in str(raised.value)


def test_identifying_columns_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "ID,TIME,AMT,CMT,EVID,DV,NAME\n1,0,35,1,1,.,Jane\n")
    with pytest.raises(IdentifyingDataError):
        read_event_table(path, parse_compartments(["1=ketamine:iv"]))


def test_event_table_options_with_a_plain_history_are_refused() -> None:
    with pytest.raises(HistoryError) as raised:
        read_patient_history(HISTORY / "p017.csv", parse_compartments(["1=ketamine:iv"]))
    assert raised.value.key_path == "--cmt"


def test_forecast_reads_an_event_table_with_its_compartments(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ketasim.cli import app

    arguments = ["forecast", str(HISTORY / "p017-nonmem.csv"), "--patient", str(HISTORY / "p017.yaml")]
    arguments += ["--until", "12 w", "--json", str(tmp_path / "f.json")]
    result = CliRunner().invoke(app, [*arguments, "--cmt", "1=ketamine:iv", "--quiet"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: row 1 (line 2), column CMT: compartment 3 has no meaning given "
        "(add e.g. --cmt 3=ketamine:iv or --cmt 3=madrs)"
    )
    assert not (tmp_path / "f.json").exists()


def test_a_csv_that_is_not_utf8_is_a_history_error_before_its_format_is_told(tmp_path: Path) -> None:
    path = tmp_path / "p001.csv"
    path.write_bytes(b"time,event,scale,value\n\xed\xa0\x80\n2 h,score,madrs,0\n")
    with pytest.raises(HistoryError, match="is not UTF-8 text"):
        read_patient_history(path)
