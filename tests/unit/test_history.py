"""Patient histories and facts (spec/patient-history.md): bad files are refused naming the row and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ketasim.errors import InputError
from ketasim.protocol import arm_events, build_protocol, load_protocol
from ketasim.protocol.history import (
    HistoryError,
    IdentifyingDataError,
    history_protocol,
    planned_treatments,
    read_facts,
    read_history,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patient-history"
HEADER = "time,event,drug,route,dose,infusion,therapy,session,scale,value"
GOOD_ROWS = [
    "0 h,score,,,,,,,madrs,34",
    "0 h,dose,ketamine,iv,0.5 mg/kg,40 min,,,,",
    "1 d,score,,,,,,,madrs,20",
    "2 d,dose,ketamine,iv,0.5 mg/kg,40 min,,,,",
    "7 d,score,,,,,,,madrs,15",
]


def write_csv(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "p001.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def replace_row(index: int, row: str) -> list[str]:
    rows = list(GOOD_ROWS)
    rows[index] = row
    return rows


# (id, header, rows, where the error must point, words the message must contain)
BAD_CSV: list[tuple[str, str, list[str], str, str]] = [
    (
        "out_of_order",
        HEADER,
        [GOOD_ROWS[0], GOOD_ROWS[1], "3 d,score,,,,,,,madrs,20", "2 d,dose,ketamine,iv,0.5 mg/kg,40 min,,,,"],
        "row 4 (line 5), column time",
        "out of time order",
    ),
    ("unknown_scale", HEADER, replace_row(2, "1 d,score,,,,,,,madr,20"), "row 3 (line 4), column scale", "madrs"),
    ("value_above_range", HEADER, replace_row(2, "1 d,score,,,,,,,madrs,72"), "column value", "range 0 to 60"),
    ("value_negative", HEADER, replace_row(2, "1 d,score,,,,,,,phq9,-1"), "column value", "outside"),
    ("value_not_number", HEADER, replace_row(2, "1 d,score,,,,,,,madrs,high"), "column value", "not a number"),
    ("dose_without_unit", HEADER, replace_row(1, "0 h,dose,ketamine,iv,0.5,40 min,,,,"), "column dose", "no unit"),
    (
        "infusion_without_unit",
        HEADER,
        replace_row(1, "0 h,dose,ketamine,iv,0.5 mg/kg,40,,,,"),
        "column infusion",
        "no unit",
    ),
    ("time_without_unit", HEADER, replace_row(2, "24,score,,,,,,,madrs,20"), "row 3 (line 4), column time", "no unit"),
    ("missing_dose", HEADER, replace_row(1, "0 h,dose,ketamine,iv,,40 min,,,,"), "column dose", "missing dose"),
    ("missing_route", HEADER, replace_row(1, "0 h,dose,ketamine,,0.5 mg/kg,40 min,,,,"), "column route", "needs"),
    ("infusion_for_oral", HEADER, replace_row(1, "0 h,dose,ketamine,oral,1 mg/kg,40 min,,,,"), "column infusion", "iv"),
    ("unknown_drug", HEADER, replace_row(1, "0 h,dose,ketamin,iv,0.5 mg/kg,40 min,,,,"), "column drug", "ketamine"),
    ("unknown_event", HEADER, replace_row(2, "1 d,visit,,,,,,,madrs,20"), "column event", "score"),
    ("cell_of_other_event", HEADER, replace_row(2, "1 d,score,ketamine,,,,,,madrs,20"), "column drug", "not used"),
    (
        "session_without_unit",
        HEADER,
        [*GOOD_ROWS, "8 d,session,,,,,emdr,90,,"],
        "row 6 (line 7), column session",
        "no unit",
    ),
    ("first_treatment_not_zero", HEADER, [r.replace("0 h,dose", "1 h,dose") for r in GOOD_ROWS], "column time", "0 h"),
    (
        "mixed_time_styles",
        HEADER,
        [
            "2024-03-01T09:00,score,,,,,,,madrs,34",
            "2024-03-01T10:00,dose,ketamine,iv,0.5 mg/kg,40 min,,,,",
            "1 d,score,,,,,,,madrs,20",
        ],
        "row 3 (line 4), column time",
        "one style",
    ),
    ("unknown_column", HEADER + ",notes", [r + "," for r in GOOD_ROWS], "column notes", "unknown column"),
    ("no_doses", HEADER, [GOOD_ROWS[0], GOOD_ROWS[2]], "", "no dose or session"),
    (
        "overlapping_infusions",
        HEADER,
        [GOOD_ROWS[0], GOOD_ROWS[1], "20 min,dose,ketamine,iv,0.5 mg/kg,40 min,,,,"],
        "row 3 (line 4), column time",
        "before the one",
    ),
]


@pytest.mark.parametrize(("header", "rows", "where", "words"), [c[1:] for c in BAD_CSV], ids=[c[0] for c in BAD_CSV])
def test_bad_csv_history_names_row_and_column(
    tmp_path: Path, header: str, rows: list[str], where: str, words: str
) -> None:
    with pytest.raises(HistoryError) as caught:
        read_history(write_csv(tmp_path, rows, header))
    message = str(caught.value)
    assert where in caught.value.key_path, message
    assert words in message, message
    assert "\n" not in message
    assert isinstance(caught.value, InputError)


IDENTIFYING = ["name", "Patient Name", "date of birth", "DOB", "birth_date", "email", "Phone", "address", "surname"]


@pytest.mark.parametrize("column", IDENTIFYING)
def test_identifying_columns_are_refused(tmp_path: Path, column: str) -> None:
    path = write_csv(tmp_path, [r + ",x" for r in GOOD_ROWS], header=f"{HEADER},{column}")
    with pytest.raises(IdentifyingDataError) as caught:
        read_history(path)
    assert column in caught.value.key_path
    assert "identifies a person" in str(caught.value)


def write_json(tmp_path: Path, records: Any) -> Path:
    path = tmp_path / "p002.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


GOOD_RECORDS = [
    {"time": "0 h", "event": "score", "scale": "madrs", "value": 30},
    {"time": "0 h", "event": "dose", "drug": "esketamine", "route": "intranasal", "dose": "56 mg"},
    {"time": "2 d", "event": "score", "scale": "madrs", "value": 18},
]


def test_json_history_reads_like_csv(tmp_path: Path) -> None:
    history = read_history(write_json(tmp_path, GOOD_RECORDS))
    assert history.patient == "p002"
    assert [d.drug for d in history.doses] == ["esketamine"]
    assert [s.time_h for s in history.scores] == [0.0, 48.0]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"dose": 56}, "row 2, column dose", "bare number"),
        ({"time": 0}, "row 2, column time", "bare number"),
        ({"phone": "555"}, "row 2, column phone", "identifies a person"),
    ],
    ids=["bare_dose", "bare_time", "phone"],
)
def test_bad_json_history(tmp_path: Path, change: dict[str, Any], where: str, words: str) -> None:
    records = [dict(r) for r in GOOD_RECORDS]
    records[1].update(change)
    with pytest.raises(HistoryError) as caught:
        read_history(write_json(tmp_path, records))
    assert caught.value.key_path == where
    assert words in str(caught.value)


def test_json_top_level_must_be_a_list(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="not a list"):
        read_history(write_json(tmp_path, {"rows": GOOD_RECORDS}))


def test_iso_times_count_from_the_first_treatment(tmp_path: Path) -> None:
    rows = [
        "2024-03-01T08:00,score,,,,,,,madrs,34",
        "2024-03-01T09:00,dose,ketamine,iv,0.5 mg/kg,40 min,,,,",
        "2024-03-03T09:00,dose,ketamine,iv,0.5 mg/kg,40 min,,,,",
        "2024-03-08T09:30,score,,,,,,,madrs,16",
    ]
    history = read_history(write_csv(tmp_path, rows))
    assert [s.time_h for s in history.scores] == [-1.0, 168.5]
    assert [d.time_h for d in history.doses] == [0.0, 48.0]
    assert history.end_h == 168.5


def test_example_history_and_protocol(tmp_path: Path) -> None:
    history = read_history(EXAMPLES / "p017.csv")
    facts = read_facts(EXAMPLES / "p017.yaml")
    assert history.patient == "p017"
    assert history.scales == ("madrs",)
    assert len(history.doses) == 6 and len(history.sessions) == 1
    assert history.scores[0].time_h == -72.0
    times, values = history.scores_of("madrs")
    assert times[-1] == 28 * 24.0 and values[-1] == 17
    assert facts.condition == "trd" and facts.covariates["weight"] == pytest.approx(72.0)
    protocol = build_protocol(history_protocol(history, facts, 12 * 7 * 24.0))
    events = arm_events(protocol, 0)
    assert [d.time_h for d in events.doses] == [d.time_h for d in history.doses]
    assert events.sessions[0].therapy == "integration"
    assert protocol.population.covariates["weight"].typical() == pytest.approx(72.0)
    assert protocol.population.covariates["failed_treatments"].typical() == 3.0
    with pytest.raises(HistoryError, match="not after the end"):
        history_protocol(history, facts, 20 * 24.0)


BOOSTER = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min"}


def test_plan_adds_explicit_future_treatments() -> None:
    history = read_history(EXAMPLES / "p017.csv")
    plan = load_protocol(EXAMPLES / "booster-plan.yaml")
    items, warnings = planned_treatments(plan, history, 40 * 24.0)
    assert [item["at"] for item in items] == [[f"{35 * 24.0!r} h"]]
    assert warnings and "after --until" in warnings[0]
    early = load_protocol({**plan.source, "arms": [{"name": "early", "treatments": [{**BOOSTER, "at": ["20 d"]}]}]})
    with pytest.raises(HistoryError, match="not after the end of the history"):
        planned_treatments(early, history, 84 * 24.0)
    two_arms = load_protocol({**plan.source, "arms": [*plan.source["arms"], {"name": "b", "treatments": []}]})
    with pytest.raises(HistoryError, match="2 arms"):
        planned_treatments(two_arms, history, 84 * 24.0)


@pytest.mark.parametrize(
    ("facts", "pairs", "where", "words", "error"),
    [
        ({"weight": "70 kg"}, [], "condition", "missing", HistoryError),
        ({"condition": "depression"}, [], "condition", "unknown condition", HistoryError),
        ({"condition": "trd", "weight": 70}, [], "weight", "no unit", HistoryError),
        ({"condition": "trd", "age": 130}, [], "age", "outside", HistoryError),
        ({"condition": "trd", "full_name": "A B"}, [], "full_name", "identifies a person", IdentifyingDataError),
        ({"condition": "trd", "birth_date": "1970-01-01"}, [], "birth_date", "identifies", IdentifyingDataError),
        ({"condition": "trd", "wieght": "70 kg"}, [], "wieght", "did you mean 'weight'", HistoryError),
        ({"condition": "trd"}, ["female"], "--patient", "key=value", HistoryError),
        ({"condition": "trd"}, ["female=2"], "female", "yes/no", HistoryError),
    ],
    ids=["no_condition", "bad_condition", "bare_weight", "old", "name", "birth", "typo", "no_equals", "female_2"],
)
def test_bad_facts(
    tmp_path: Path, facts: dict[str, Any], pairs: list[str], where: str, words: str, error: type[Exception]
) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(json.dumps(facts), encoding="utf-8")
    path = path.rename(tmp_path / "facts.json")
    with pytest.raises(error) as caught:
        read_facts(path, pairs)
    assert isinstance(caught.value, HistoryError)
    assert caught.value.key_path == where
    assert words in str(caught.value)


def test_facts_pairs_override_the_file() -> None:
    facts = read_facts(EXAMPLES / "p017.yaml", ["weight=80 kg", "female=false", "chronic_stress=0.5"])
    assert facts.covariates["weight"] == pytest.approx(80.0)
    assert facts.covariates["female"] == 0.0
    assert facts.covariates["chronic_stress"] == 0.5
    assert read_facts(None, ["condition=ptsd"]).condition == "ptsd"


# ---------------------------------------------------------------- limits (spec/patient-history.md, "Limits")

COMBINE_HEADER = f"{HEADER},combine"


def test_differing_scores_at_one_time_are_an_error_that_names_both(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "7 d,score,,,,,,,madrs,40"]
    with pytest.raises(HistoryError) as caught:
        read_history(write_csv(tmp_path, rows))
    assert caught.value.key_path == "row 6 (line 7), column value"
    assert "madrs scores at 7 d differ: 15 (row 5 (line 6)), 40 (row 6 (line 7))" in str(caught.value)
    assert "combine: mean" in str(caught.value)


def test_the_file_can_say_how_to_combine_scores_at_one_time(tmp_path: Path) -> None:
    rows = [r + "," for r in GOOD_ROWS[:4]] + ["7 d,score,,,,,,,madrs,15,mean", "7 d,score,,,,,,,madrs,40,mean"]
    history = read_history(write_csv(tmp_path, rows, COMBINE_HEADER))
    assert [(s.time_h, s.value) for s in history.scores] == [(0.0, 34.0), (24.0, 20.0), (168.0, 27.5)]
    rows[-2:] = ["7 d,score,,,,,,,madrs,15,each", "7 d,score,,,,,,,madrs,40,each"]
    history = read_history(write_csv(tmp_path, rows, COMBINE_HEADER))
    assert [s.value for s in history.scores] == [34.0, 20.0, 15.0, 40.0]  # two raters: two ratings
    rows[-2:] = ["7 d,score,,,,,,,madrs,15,each", "7 d,score,,,,,,,madrs,40,mean"]
    with pytest.raises(HistoryError, match="differ"):
        read_history(write_csv(tmp_path, rows, COMBINE_HEADER))
    rows[-2:] = ["7 d,score,,,,,,,madrs,15,", "7 d,score,,,,,,,madrs,15,"]  # agreeing scores need nothing
    assert [s.value for s in read_history(write_csv(tmp_path, rows, COMBINE_HEADER)).scores][-2:] == [15.0, 15.0]
    rows[-1] = "7 d,score,,,,,,,madrs,15,median"
    with pytest.raises(HistoryError, match="unknown way to combine 'median'"):
        read_history(write_csv(tmp_path, rows, COMBINE_HEADER))


@pytest.mark.parametrize(
    ("first", "where", "words"),
    [
        ("-300 w,score,,,,,,,madrs,34", "row 1 (line 2), column time", "more than 12 weeks before the first"),
        ("-1e400 h,score,,,,,,,madrs,34", "row 1 (line 2), column time", "not a finite quantity"),
        ("nan h,score,,,,,,,madrs,34", "row 1 (line 2), column time", "not a finite quantity"),
        ("-3 d,score,,,,,,,madrs,nan", "row 1 (line 2), column value", "is not a number"),
        ("-3 d,score,,,,,,,madrs,inf", "row 1 (line 2), column value", "is not a number"),
    ],
)
def test_scores_must_be_finite_and_near_the_first_treatment(tmp_path: Path, first: str, where: str, words: str) -> None:
    with pytest.raises(HistoryError) as caught:
        read_history(write_csv(tmp_path, [first, *GOOD_ROWS]))
    assert caught.value.key_path == where and words in str(caught.value)


def test_a_score_twelve_weeks_before_treatment_is_a_baseline(tmp_path: Path) -> None:
    history = read_history(write_csv(tmp_path, ["-12 w,score,,,,,,,madrs,33", *GOOD_ROWS]))
    assert history.scores[0].time_h == -12 * 7 * 24


def test_times_more_than_ten_years_on_are_refused(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="more than 10 years from the first treatment"):
        read_history(write_csv(tmp_path, [*GOOD_ROWS, "11 year,score,,,,,,,madrs,15"]))


def test_a_history_longer_than_the_limit_is_refused_before_its_rows_are_read(tmp_path: Path) -> None:
    rows = [f"{k} h,score,,,,,,,madrs,{k % 60}" for k in range(1, 100_000)]
    with pytest.raises(HistoryError) as caught:
        read_history(write_csv(tmp_path, [GOOD_ROWS[1], *rows]))
    assert str(caught.value) == (
        "the history has 100000 rows, more than the 500 a forecast reads "
        "(keep the course being forecast, or one score per scale and day)"
    )


def test_unreadable_csv_and_deep_json_are_history_errors(tmp_path: Path) -> None:
    (tmp_path / "p003.csv").write_text(HEADER + '\n0 h,dose,ketamine,iv,0.5 mg/kg,"' + "9" * 200_000 + '",,,,\n')
    with pytest.raises(HistoryError, match="malformed CSV"):
        read_history(tmp_path / "p003.csv")
    (tmp_path / "p004.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(HistoryError, match="nested deeper than 32 levels"):
        read_history(tmp_path / "p004.json")


def test_a_control_character_in_the_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="holds a control character"):
        read_history(write_csv(tmp_path, GOOD_ROWS, name="p\x1b[31m.csv"))


def test_a_horizon_beyond_ten_years_is_refused(tmp_path: Path) -> None:
    history = read_history(write_csv(tmp_path, GOOD_ROWS))
    with pytest.raises(HistoryError, match=r"^--until: .* more than 10 years after the first treatment"):
        history_protocol(history, read_facts(None, ["condition=trd"]), 11 * 365.25 * 24)


@pytest.mark.parametrize(
    ("rows", "first_words"),
    [
        ([*GOOD_ROWS, "7 d,score,,,,,,,madrs,40"], "error: row 6 (line 7), column value: madrs scores at 7 d differ"),
        (["-300 w,score,,,,,,,madrs,34", *GOOD_ROWS], "error: row 1 (line 2), column time: the score at '-300 w'"),
        (
            [*GOOD_ROWS, *(f"{k} h,score,,,,,,,madrs,20" for k in range(169, 169 + 99_995))],
            "error: the history has 100000 rows",
        ),
    ],
    ids=["conflicting", "minus-300-weeks", "100000-rows"],
)
def test_forecast_refuses_bad_histories_with_one_line_and_exit_2(
    tmp_path: Path, rows: list[str], first_words: str
) -> None:
    from typer.testing import CliRunner

    from ketasim.cli import app

    history = write_csv(tmp_path, rows)
    out = tmp_path / "forecast.json"
    arguments = ["forecast", str(history), "--patient", "condition=trd", "--until", "12 w", "--json", str(out)]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(first_words), lines
    assert not out.exists()
