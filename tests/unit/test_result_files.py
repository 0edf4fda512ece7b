"""Files and result folders written completely or not at all, locked against a second run, never mixed."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from ketasim import result_files
from ketasim.errors import InputError, OutputError
from ketasim.result_files import RESULT_MARKER, result_folder, staging_folder, write_file, write_text

IDENTITY = {"command": "trial", "input": "small trial"}


def _disk_full(hidden: Path) -> None:
    hidden.write_text("half a fi")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a full disk reports it: no file name


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_file_is_replaced_whole(tmp_path: Path) -> None:
    path = write_text(tmp_path / "deep" / "summary.json", "new\n")
    assert path.read_text() == "new\n"
    assert _listing(tmp_path / "deep") == ["summary.json"]


def test_a_failed_write_names_the_file_and_leaves_the_old_one(tmp_path: Path) -> None:
    path = write_text(tmp_path / "summary.json", "old\n")
    with pytest.raises(OutputError) as failure:
        write_file(path, _disk_full)
    assert str(failure.value) == (
        f"cannot write {path}: No space left on device (free some disk space or write somewhere else)"
    )
    assert path.read_text() == "old\n"
    assert _listing(tmp_path) == ["summary.json"]  # no half-written hidden file left behind


def test_a_file_that_cannot_be_created_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(OutputError, match=r"cannot write .*taken/summary\.json: .*a file stands where a folder"):
        write_text(tmp_path / "taken" / "summary.json", "{}")


@pytest.mark.parametrize("place", ["taken/summary.json", "taken/deeper/summary.json"])
def test_check_writable_refuses_at_once_what_write_file_would_refuse_at_the_end(tmp_path: Path, place: str) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    path = tmp_path / place
    with pytest.raises(OutputError) as early:
        result_files.check_writable(path)
    with pytest.raises(OutputError) as late:
        write_text(path, "{}")
    assert str(early.value) == str(late.value)
    assert str(early.value).startswith(f"cannot write {path}: ")
    assert str(early.value).endswith("(a file stands where a folder is needed: choose another path)")


def test_check_writable_accepts_folders_still_to_make_and_creates_nothing(tmp_path: Path) -> None:
    result_files.check_writable(tmp_path / "new" / "deeper" / "summary.json")
    assert _listing(tmp_path) == []


def test_check_writable_refuses_a_folder_without_write_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(result_files.os, "access", lambda path, mode: asked.append(str(path)) or False)
    with pytest.raises(OutputError) as failure:
        result_files.check_writable(tmp_path / "new" / "summary.json")
    assert asked == [str(tmp_path)]  # the nearest folder that exists
    assert str(failure.value) == (
        f"cannot write {tmp_path / 'new' / 'summary.json'}: Permission denied "
        "(check the folder's permissions or write somewhere else)"
    )


def test_a_result_folder_appears_complete_with_its_marker(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with result_folder(out, IDENTITY) as staging:
        write_text(staging / "summary.json", "{}")
        assert not out.exists()  # nothing shows before the run is complete
    assert _listing(out) == [RESULT_MARKER, "summary.json"]
    assert json.loads((out / RESULT_MARKER).read_text())["input"] == "small trial"
    assert _listing(tmp_path) == ["out"]  # no lock file, no hidden folder left


def test_a_failed_run_leaves_the_previous_result_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with result_folder(out, IDENTITY) as staging:
        write_text(staging / "summary.json", "first")
    with pytest.raises(OutputError) as failure, result_folder(out, IDENTITY) as staging:
        write_text(staging / "patients.parquet", "second")
        write_file(staging / "report.html", _disk_full)
    assert failure.value.path == str(out / "report.html")  # named where it was meant to go
    assert _listing(out) == [RESULT_MARKER, "summary.json"]
    assert (out / "summary.json").read_text() == "first"
    assert _listing(tmp_path) == ["out"]


@pytest.mark.parametrize("swap", [True, False], ids=["renameat2", "two-renames"])
def test_a_second_result_replaces_the_first_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap: bool) -> None:
    if not swap:  # a system without an atomic exchange of two folders
        monkeypatch.setattr(result_files, "_exchange", lambda first, second: False)
    out = tmp_path / "out"
    with result_folder(out, IDENTITY) as staging:
        write_text(staging / "fc.html", "earlier run")
        write_text(staging / "plot.html", "earlier run")
    with result_folder(out, IDENTITY) as staging:
        write_text(staging / "plot.html", "later run")
    assert _listing(out) == [RESULT_MARKER, "plot.html"]  # no stale fc.html beside the new plot
    assert (out / "plot.html").read_text() == "later run"
    assert _listing(tmp_path) == ["out"]


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with result_folder(out, IDENTITY) as staging:
        write_text(staging / "summary.json", "first")
        with pytest.raises(InputError) as refused, result_folder(out, IDENTITY):
            pytest.fail("the second run must not start")
    assert str(refused.value).startswith(f"--out: another ketasim run is writing {out} (lock file ")
    assert (out / "summary.json").read_text() == "first"


def test_a_folder_of_another_input_or_of_other_files_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with result_folder(out, {"command": "trial", "input": "another protocol"}) as staging:
        write_text(staging / "summary.json", "theirs")
    theirs = "already holds the results of `ketasim trial` for 'another protocol'"
    with pytest.raises(InputError, match=theirs), result_folder(out, IDENTITY):
        pass
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a person's notes")
    with (
        pytest.raises(InputError, match="holds files that ketasim did not write .*add --force"),
        result_folder(mine, IDENTITY),
    ):
        pass
    assert (mine / "notes.txt").exists()
    with result_folder(out, IDENTITY, force=True) as staging:
        write_text(staging / "summary.json", "ours")
    assert (out / "summary.json").read_text() == "ours"


def test_an_empty_folder_is_used_and_a_file_or_the_working_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    with result_folder(tmp_path / "empty", IDENTITY) as staging:
        write_text(staging / "a", "x")
    assert _listing(tmp_path / "empty") == [RESULT_MARKER, "a"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"), result_folder(tmp_path / "file", IDENTITY):
        pass
    monkeypatch.chdir(tmp_path / "empty")
    with pytest.raises(InputError, match="is the working folder"), result_folder(Path("."), IDENTITY, force=True):
        pass


def test_an_unfinished_run_is_kept_for_resuming(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), result_folder(out, IDENTITY, keep_on_failure=True) as staging:
        write_text(staging / "chunk-1", "done")
        raise RuntimeError("killed")
    assert not out.exists()
    assert _listing(staging_folder(out)) == ["chunk-1"]
    with result_folder(out, IDENTITY, resume=True) as staging:
        assert _listing(staging) == ["chunk-1"]
        write_text(staging / "summary.json", "{}")
    assert _listing(out) == [RESULT_MARKER, "chunk-1", "summary.json"]
    with pytest.raises(RuntimeError), result_folder(out, IDENTITY, keep_on_failure=True) as staging:
        raise RuntimeError("killed")
    with result_folder(out, IDENTITY) as staging:  # not resuming: the unfinished run is discarded
        assert _listing(staging) == []
