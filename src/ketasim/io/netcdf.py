"""Simulated time courses to and from NetCDF (HDF5 via h5netcdf), units kept in the variables' attributes."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ketasim.result_files import write_file
from ketasim.version import __version__

_PLAIN = (str, int, float, np.integer, np.floating, np.ndarray)


def _storable(attrs: dict[Any, Any]) -> dict[str, Any]:
    """Attributes NetCDF can hold: booleans as 0/1, mappings and lists as JSON text, None left out."""
    kept: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)):
            kept[str(key)] = int(value)
        elif isinstance(value, _PLAIN):
            kept[str(key)] = value
        else:
            kept[str(key)] = json.dumps(value, default=str)
    return kept


def write_timecourses(dataset: xr.Dataset, path: str | Path) -> Path:
    """Write a simulated dataset (dims arm, patient, time) to a NetCDF file and return its path.

    Every variable keeps its ``units`` and ``long_name`` attributes; the time coordinate is in hours
    (``units: "h"`` is added if missing). Folders are created; an existing file is replaced, completely or not
    at all (`ketasim.result_files.write_file`).

    Raises
    ------
    OutputError
        When the file cannot be written (disk full, no permission), naming it.
    """
    content = netcdf_in_memory(dataset)
    return write_file(path, lambda hidden: hidden.write_bytes(content))


def netcdf_in_memory(dataset: xr.Dataset) -> memoryview:
    """The NetCDF file of a dataset, made in memory.

    HDF5 writing straight to a file that hits a full disk can leave the library in a state that crashes the
    process; made in memory, the file reaches the disk by an ordinary write that fails cleanly. The data are in
    memory already, so no Dask scheduler is involved: with a Dask cluster connected, xarray would otherwise ask
    the cluster for a lock named after the in-memory file, which it cannot name.
    """
    ds = dataset.copy()
    ds.attrs = _storable({**dataset.attrs, "ketasim": __version__})
    for name in ds.variables:
        ds[name].attrs = _storable(dict(dataset[name].attrs))
    if "time" in ds.coords:
        ds["time"].attrs.setdefault("units", "h")
    with _local_scheduler():
        return memoryview(ds.to_netcdf(engine="h5netcdf"))


def _local_scheduler() -> AbstractContextManager[Any]:
    try:
        import dask
    except ImportError:
        return nullcontext()
    return dask.config.set(scheduler="synchronous")


def read_timecourses(path: str | Path) -> xr.Dataset:
    """Read a file written by `write_timecourses` fully into memory."""
    with xr.open_dataset(Path(path), engine="h5netcdf") as ds:
        return ds.load()
