"""simulate(): chunk independence, monitoring times, FC matrices at chosen times."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.errors import InputError
from ketasim.protocol import load_protocol
from ketasim.simulation.fc import fc_matrices
from ketasim.simulation.run import ENGINE_THREADS_VARIABLE, simulate


def protocol(dose: str = "0.5 mg/kg", size: int = 5, variability: bool = True) -> dict:
    return {
        "ketasim": 1,
        "name": "two arms",
        "seed": 3,
        "duration": "2 d",
        "population": {"size": size, "condition": "trd", "variability": variability},
        "arms": [
            {
                "name": "ketamine",
                "treatments": [{"drug": "ketamine", "route": "iv", "dose": dose, "infusion": "40 min", "at": ["0 h"]}],
            },
            {"name": "saline", "treatments": [{"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}]},
        ],
        "observe": {
            "every": ["0 h", "1 h", "24 h", "2 d"],
            "outputs": ["plasma_ketamine", "madrs", "nmda_occupancy", "spine_density_change"],
        },
    }


def test_results_do_not_depend_on_chunk_size() -> None:
    p = load_protocol(protocol(size=7))
    whole = simulate(p, chunk_size=7)
    pieces = simulate(p, chunk_size=3)
    for name in whole.data_vars:
        np.testing.assert_array_equal(whole[name].values, pieces[name].values)


def test_results_do_not_depend_on_how_many_batches_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    p = load_protocol(protocol(size=1100))  # three engine batches of 512 per arm
    monkeypatch.setenv(ENGINE_THREADS_VARIABLE, "1")
    one_at_a_time = simulate(p)
    monkeypatch.setenv(ENGINE_THREADS_VARIABLE, "3")
    side_by_side = simulate(p)
    for name in one_at_a_time.data_vars:
        np.testing.assert_array_equal(one_at_a_time[name].values, side_by_side[name].values)


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_engine_thread_count_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(ENGINE_THREADS_VARIABLE, value)
    with pytest.raises(InputError, match=ENGINE_THREADS_VARIABLE):
        simulate(load_protocol(protocol()))


def test_patients_differ_when_variability_is_on_and_not_when_off() -> None:
    varied = simulate(load_protocol(protocol(size=4)))
    typical = simulate(load_protocol(protocol(size=4, variability=False)))
    assert np.ptp(varied["weight_kg"].values[0]) > 0
    assert np.ptp(typical["plasma_ketamine"].values[0], axis=0).max() == 0


def test_monitoring_time_per_ketamine_dose() -> None:
    low = simulate(load_protocol(protocol(size=3, variability=False)))
    high = simulate(load_protocol(protocol(dose="1.0 mg/kg", size=3, variability=False)))
    assert low["monitoring_time"].sizes["dose"] == 1
    assert np.all(low["monitoring_time"].sel(arm="ketamine").values >= 2.0)
    assert np.all(np.isnan(low["monitoring_time"].sel(arm="saline").values))  # no ketamine, nothing to monitor
    assert float(high["monitoring_time"].sel(arm="ketamine").max()) >= float(
        low["monitoring_time"].sel(arm="ketamine").max()
    )


def test_fc_matrices_are_correlations_and_ketamine_lowers_pcc_mpfc_at_24h() -> None:
    p = load_protocol(protocol(size=3, variability=False))
    fc = fc_matrices(p, simulate(p), [0.0, 24.0])
    matrix = fc.sel(arm="ketamine").values
    np.testing.assert_allclose(np.diagonal(matrix, axis1=-2, axis2=-1), 1.0)
    np.testing.assert_allclose(matrix, np.swapaxes(matrix, -1, -2))
    pcc_mpfc = fc.sel(arm="ketamine", region="PCC", region_to="mPFC").values
    assert pcc_mpfc[1] < pcc_mpfc[0]
    saline = fc.sel(arm="saline", region="PCC", region_to="mPFC").values
    assert saline[1] == pytest.approx(saline[0])
