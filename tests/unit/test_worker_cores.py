"""Trial workers each run on their own share of the cores, one engine batch per core (`ketasim.trial.chunks`)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest

from ketasim.simulation.run import ENGINE_THREADS_VARIABLE
from ketasim.trial.chunks import core_shares, use_cores


def test_workers_share_the_cores_without_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 5}, raising=False)
    shares = core_shares(2)
    assert sorted(shares[0] + shares[1]) == [0, 1, 2, 3, 5]
    assert not set(shares[0]) & set(shares[1])


def test_more_workers_than_cores_get_one_core_each_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert core_shares(3) == [[0], [1], [0]]


def test_no_shares_where_the_system_cannot_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    assert core_shares(2) == []


def _cores_and_batches() -> tuple[list[int], str | None]:
    return sorted(os.sched_getaffinity(0)), os.environ.get(ENGINE_THREADS_VARIABLE)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="the system has no processor affinity to set")
def test_a_worker_runs_on_its_share_with_one_batch_per_core() -> None:
    context = get_context("spawn")
    shares = context.SimpleQueue()
    share = core_shares(1)[0][:1]
    shares.put(share)
    with ProcessPoolExecutor(1, mp_context=context, initializer=use_cores, initargs=(shares, 1)) as pool:
        assert pool.submit(_cores_and_batches).result() == (share, "1")


def test_a_worker_that_cannot_be_pinned_runs_two_batches_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_THREADS_VARIABLE, "")
    shares = get_context("spawn").SimpleQueue()
    use_cores(shares, workers=os.cpu_count() or 1)
    assert os.environ[ENGINE_THREADS_VARIABLE] == "2"
