"""A trial gives the same summary on one process, on local worker processes and on a Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import distributed
import pytest

from ketasim.protocol import load_protocol
from ketasim.trial.run import run_trial

PROTOCOL = {
    "ketasim": 1,
    "name": "distributed check",
    "seed": 5,
    "duration": "2 d",
    "population": {"size": 6, "condition": "trd"},
    "arms": [
        {
            "name": "ketamine",
            "treatments": [
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
            ],
        },
        {"name": "saline", "treatments": [{"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}]},
    ],
    "observe": {"every": ["0 h", "24 h", "2 d"], "outputs": ["madrs"]},
    "endpoints": [
        {"name": "response_24h", "kind": "response", "scale": "madrs", "at": "24 h"},
        {"name": "change_2d", "kind": "mean_change", "scale": "madrs", "at": "2 d"},
    ],
}


def numbers(out: Path, **options: Any) -> dict[str, Any]:
    summary = dict(run_trial(load_protocol(PROTOCOL), out_dir=out, chunk_size=2, **options).summary)
    summary.pop("seconds")
    return summary


def test_workers_and_dask_cluster_give_the_local_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ketasim.simulation.run.BATCH_SIZE", 2)  # three chunks per arm
    local = numbers(tmp_path / "local")
    assert numbers(tmp_path / "workers", workers=2) == local
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert numbers(tmp_path / "dask", scheduler=cluster.scheduler_address) == local
