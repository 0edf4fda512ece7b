"""Functional connectivity matrices as heatmaps on one offline HTML page."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from ketasim.models import network
from ketasim.report.page import figure_html, write_page


def write_fc_heatmaps(fc: xr.DataArray, path: Path) -> Path:
    """One offline HTML page (and the shared plotly.js beside it) with a heatmap per arm and time, written
    completely or not at all."""
    figures = []
    for arm in fc["arm"].values:
        for time in fc["time"].values:
            title = f"{arm}: functional connectivity at {time:g} h"
            figure = network.fc_heatmap(fc.sel(arm=arm, time=time).values, list(fc["region"].values), title)
            figures.append(figure_html(figure))
    return write_page(path, "Functional connectivity", "".join(figures))
