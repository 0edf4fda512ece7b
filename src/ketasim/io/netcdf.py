"""Simulated time courses to and from NetCDF (HDF5 via h5netcdf) with CF-style attributes, and to CSV.

The NetCDF file follows the CF conventions' attribute names: ``Conventions``, ``title``, ``source`` and
``references`` on the file; ``units`` and ``long_name`` on every numeric variable (the outputs with the units of the
output vocabulary, the covariates with theirs, the time in hours, the patient and dose indices as ``1``). Units that
count things (scale points, CADSS points) or are not physical (Fisher z, ratio) are kept as the vocabulary names
them; they are not UDUNITS units.

The CSV file has one row per arm, patient and time, the columns ``arm``, ``patient``, ``time [h]`` and one column per
output and covariate, each header carrying the unit in brackets (``plasma_ketamine [ng/mL]``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import h5netcdf
import numpy as np
import xarray as xr
from xarray.backends import H5NetCDFStore

from ketasim.result_files import write_file
from ketasim.version import __version__
from ketasim.vocabulary import COVARIATE_VARIABLES

CONVENTIONS = "CF-1.11"
_PLAIN = (str, int, float, np.integer, np.floating, np.ndarray)
_INDEX = {"patient": "virtual patient (index within the arm)", "dose": "ketamine dose of the arm (index)"}


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


def described(dataset: xr.Dataset) -> xr.Dataset:
    """A copy with CF-style attributes: ``units`` and ``long_name`` on every numeric variable and coordinate,
    ``Conventions``, ``title``, ``source`` and ``references`` on the dataset.

    Raises
    ------
    ValueError
        When a numeric variable has no unit and is not one ketasim knows (a programming error, not bad input).
    """
    ds = dataset.copy()
    ds.attrs = _storable(dataset.attrs)
    for name in ds.variables:
        attrs = _storable(dict(dataset[name].attrs))
        if name in COVARIATE_VARIABLES:
            info = COVARIATE_VARIABLES[str(name)]
            attrs = {**attrs, "units": attrs.get("units", info.unit), "long_name": info.meaning}
        elif name in _INDEX:
            attrs = {"units": "1", "long_name": _INDEX[str(name)], **attrs}
        elif name == "arm":
            attrs = {"long_name": "arm of the protocol", **attrs}
        if name == "time":
            attrs = {"units": "h", "axis": "T", **attrs}
        if ds[name].dtype.kind in "iuf" and "units" not in attrs:
            raise ValueError(f"variable {name!r} has no units attribute")
        ds[name].attrs = attrs
    protocol = str(dataset.attrs.get("protocol", ""))
    ds.attrs.update(
        {
            "Conventions": CONVENTIONS,
            "title": f"ketasim simulation: {protocol}" if protocol else "ketasim simulation",
            "source": f"ketasim {__version__} (a model; research and education, not medical advice)",
            "references": "ketasim cite PROTOCOL lists the sources of every parameter",
            "ketasim": __version__,
        }
    )
    return ds


def write_timecourses(dataset: xr.Dataset, path: str | Path) -> Path:
    """Write a simulated dataset (dims arm, patient, time) to a NetCDF file with CF-style attributes (`described`)
    and return its path.

    Folders are created; an existing file is replaced, completely or not at all
    (`ketasim.result_files.write_file`).

    Raises
    ------
    OutputError
        When the file cannot be written (disk full, no permission), naming it.
    """
    content = netcdf_in_memory(described(dataset))
    return write_file(path, lambda hidden: hidden.write_bytes(content))


def netcdf_in_memory(dataset: xr.Dataset) -> memoryview:
    """The NetCDF file of a dataset, made in memory.

    HDF5 writing straight to a file that hits a full disk can leave the library in a state that crashes the
    process; made in memory, the file reaches the disk by an ordinary write that fails cleanly. The dataset goes to
    the h5netcdf store directly rather than through ``to_netcdf``, which asks Dask for its scheduler: that imports
    ``distributed`` (0.3 s, a tenth of a one-patient simulate) and, with a cluster connected, asks the cluster for a
    lock named after the in-memory file, which it cannot name. The store keeps xarray's own HDF5 lock.
    """
    ds = dataset.copy()
    ds.attrs = _storable({**dataset.attrs, "ketasim": __version__})
    for name in ds.variables:
        ds[name].attrs = _storable(dict(dataset[name].attrs))
    if "time" in ds.coords:
        ds["time"].attrs.setdefault("units", "h")
    buffer = io.BytesIO()
    store = H5NetCDFStore(h5netcdf.File(buffer, "w"))
    try:
        ds.load().dump_to_store(store)
    finally:
        store.close()
    return buffer.getbuffer()


def read_timecourses(path: str | Path) -> xr.Dataset:
    """Read a file written by `write_timecourses` fully into memory."""
    with xr.open_dataset(Path(path), engine="h5netcdf") as ds:
        return ds.load()


def _header(name: str, attrs: dict[str, Any]) -> str:
    unit = attrs.get("units")
    return f"{name} [{unit}]" if unit and name not in _INDEX else name


def write_timecourses_csv(dataset: xr.Dataset, path: str | Path) -> Path:
    """Write the time courses and covariates of a simulated dataset as one CSV table (see the module docstring);
    per-dose variables (monitoring times) stay in the NetCDF file. Return the path (folders created; the file is
    written completely or not at all)."""
    ds = described(dataset)
    courses = [str(n) for n in ds.data_vars if set(ds[n].dims) == {"arm", "patient", "time"}]
    per_patient = [str(n) for n in ds.data_vars if set(ds[n].dims) == {"arm", "patient"}]
    table = ds[courses].transpose("arm", "patient", "time").to_dataframe()
    if per_patient:
        table = table.join(ds[per_patient].to_dataframe(), on=["arm", "patient"])
    table = table.reset_index()
    table.columns = [_header(str(c), dict(ds[c].attrs)) if c in ds.variables else str(c) for c in table.columns]
    return write_file(path, lambda hidden: table.to_csv(hidden, index=False))
