"""Label per-arm output arrays as an xarray Dataset: dims arm, patient, time (and dose), units in attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ketasim.protocol import Protocol, observation_times
from ketasim.version import __version__
from ketasim.vocabulary import OUTPUTS

if TYPE_CHECKING:
    import xarray as xr


def to_dataset(
    protocol: Protocol,
    arms: list[str],
    per_arm: list[dict[str, np.ndarray]],
    patients: np.ndarray,
    seed: int,
    times_h: np.ndarray | None = None,
) -> xr.Dataset:
    """Label per-arm output arrays as a Dataset with dims (arm, patient, time), covariates and monitoring times.

    ``times_h`` are the times the outputs were recorded at (default: the protocol's observations).
    """
    import xarray as xr  # here, not above: a command can import it while its engine runs (see `ketasim.cli`)

    data = {}
    doses = max(arm["monitoring_time"].shape[1] for arm in per_arm)
    for arm in per_arm:  # arms give different numbers of ketamine doses: pad with NaN
        missing = doses - arm["monitoring_time"].shape[1]
        arm["monitoring_time"] = np.pad(arm["monitoring_time"], ((0, 0), (0, missing)), constant_values=np.nan)
    for name in per_arm[0]:
        stacked = np.stack([arm[name] for arm in per_arm])
        if name == "monitoring_time":
            data[name] = xr.Variable(
                ("arm", "patient", "dose"),
                stacked,
                {"units": "h", "long_name": "time from each ketamine dose until discharge criteria are met"},
            )
        elif name in OUTPUTS:
            info = OUTPUTS[name]
            data[name] = xr.Variable(
                ("arm", "patient", "time"), stacked, {"units": info.unit, "long_name": info.meaning}
            )
        else:
            data[name] = xr.Variable(("arm", "patient"), stacked, {"long_name": f"covariate {name}"})
    coords = {
        "arm": arms,
        "patient": patients,
        "dose": np.arange(doses),
        "time": xr.Variable(
            "time",
            observation_times(protocol) if times_h is None else times_h,
            {"units": "h", "long_name": "time since the first treatment"},
        ),
    }
    return xr.Dataset(data, coords=coords, attrs={"ketasim": __version__, "protocol": protocol.name, "seed": seed})
