"""Time course files: NetCDF with CF-style attributes (units on every variable, covariates too) and CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.io.netcdf import CONVENTIONS, read_timecourses, write_timecourses, write_timecourses_csv
from ketasim.simulation.run import COVARIATE_FIELDS
from ketasim.vocabulary import COVARIATE_VARIABLES, OUTPUTS

ARMS, PATIENTS, TIMES = ["ketamine", "saline"], 3, np.array([0.0, 0.5, 24.0])


def dataset() -> xr.Dataset:
    """A dataset shaped as the simulation labels it: outputs with units, covariates without, monitoring times."""
    rng = np.random.default_rng(1)
    shape = (len(ARMS), PATIENTS, len(TIMES))
    data = {
        name: xr.Variable(
            ("arm", "patient", "time"), rng.random(shape), {"units": info.unit, "long_name": info.meaning}
        )
        for name, info in OUTPUTS.items()
        if name in ("plasma_ketamine", "madrs", "nmda_occupancy")
    }
    for name in COVARIATE_FIELDS:
        data[name] = xr.Variable(("arm", "patient"), rng.random(shape[:2]), {"long_name": f"covariate {name}"})
    data["monitoring_time"] = xr.Variable(
        ("arm", "patient", "dose"), rng.random((*shape[:2], 1)), {"units": "h", "long_name": "monitoring"}
    )
    coords = {
        "arm": ARMS,
        "patient": np.arange(PATIENTS),
        "dose": np.arange(1),
        "time": xr.Variable("time", TIMES, {"units": "h", "long_name": "time since the first treatment"}),
    }
    return xr.Dataset(data, coords=coords, attrs={"ketasim": "0.1.0", "protocol": "a test", "seed": 3})


def test_the_simulation_covariates_are_the_ones_described() -> None:
    assert set(COVARIATE_FIELDS) == set(COVARIATE_VARIABLES)


def test_netcdf_has_cf_attributes_and_a_unit_on_every_variable(tmp_path: Path) -> None:
    read = read_timecourses(write_timecourses(dataset(), tmp_path / "t.nc"))
    assert read.attrs["Conventions"] == CONVENTIONS and read.attrs["title"] == "ketasim simulation: a test"
    assert "ketasim" in read.attrs["source"] and read.attrs["seed"] == 3
    for name in read.variables:
        if read[name].dtype.kind in "iuf":
            assert read[name].attrs.get("units"), f"{name} has no unit"
            assert read[name].attrs.get("long_name"), f"{name} has no long name"
    assert read["weight_kg"].attrs["units"] == "kg" and read["age_years"].attrs["units"] == "year"
    assert read["female"].attrs["units"] == "1" and read["time"].attrs["axis"] == "T"
    assert read["plasma_ketamine"].attrs["units"] == "ng/mL"  # the vocabulary's units are kept
    xr.testing.assert_allclose(read["madrs"], dataset()["madrs"])


def test_a_numeric_variable_without_a_unit_is_refused(tmp_path: Path) -> None:
    broken = dataset().assign(mystery=(("arm", "patient"), np.zeros((2, PATIENTS))))
    with pytest.raises(ValueError, match="'mystery' has no units"):
        write_timecourses(broken, tmp_path / "t.nc")


def test_csv_has_one_row_per_arm_patient_and_time_with_units_in_the_header(tmp_path: Path) -> None:
    source = dataset()
    table = pd.read_csv(write_timecourses_csv(source, tmp_path / "t.csv"))
    assert len(table) == len(ARMS) * PATIENTS * len(TIMES)
    assert list(table.columns[:3]) == ["arm", "patient", "time [h]"]
    assert {"plasma_ketamine [ng/mL]", "madrs [points]", "weight_kg [kg]", "age_years [year]"} <= set(table.columns)
    assert "monitoring_time [h]" not in table.columns  # per dose: NetCDF only
    row = table[(table["arm"] == "saline") & (table["patient"] == 2) & (table["time [h]"] == 24.0)].iloc[0]
    assert row["plasma_ketamine [ng/mL]"] == source["plasma_ketamine"].sel(arm="saline", patient=2, time=24.0)
    assert row["weight_kg [kg]"] == source["weight_kg"].sel(arm="saline", patient=2)


def test_simulate_writes_the_formats_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ketasim.simulation.run as simulation

    monkeypatch.setattr(simulation, "simulate", lambda *args, **kwargs: dataset())
    out = tmp_path / "out"
    protocol = "examples/single-infusion.yaml"
    result = CliRunner().invoke(app, ["simulate", protocol, "--out", str(out), "--format", "csv", "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "timecourses.csv").exists() and not (out / "timecourses.nc").exists()
    both = CliRunner().invoke(app, ["simulate", protocol, "--out", str(out), "--format", "csv", "--format", "netcdf"])
    assert both.exit_code == 0 and (out / "timecourses.nc").exists()
    bad = CliRunner().invoke(app, ["simulate", protocol, "--out", str(tmp_path / "x"), "--format", "xlsx"])
    assert bad.exit_code == 2 and bad.stderr.strip() == "error: --format: unknown format 'xlsx' (use netcdf or csv)"
