"""The report pages in a real browser (trial, validation, forecast and the ``simulate`` plot): offline (plotly.js
from the one shared file beside them, no network at all), readable on a phone, every stacked panel labelled, a
linear/log switch for concentrations, and no table that cuts its text off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

PHONE = {"width": 390, "height": 844}
PLOTS_DRAWN_JS = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return plots.length > 0 && plots.every(p => p._fullData && p._fullData.length > 0);
}"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
PAGES = ["trial-report", "validation-report", "forecast-report", "simulate-plot"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AXES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(plot => {
  const layout = plot._fullLayout;
  const keys = Object.keys(layout).filter(k => /^[xy]axis\\d*$/.test(k)).sort();
  return keys.map(k => ({axis: k, ticks: layout[k].showticklabels, title: (layout[k].title || {}).text || '',
                          type: layout[k].type}));
})"""
CLIPPED_JS = """() => {
  const clipped = [];
  for (const table of document.querySelectorAll('table')) {
    const box = table.parentElement.getBoundingClientRect();
    if (table.getBoundingClientRect().right > box.right + 1) clipped.push('table wider than its box: ' +
        table.innerText.slice(0, 40));
    for (const cell of table.querySelectorAll('td, th')) {
      if (cell.scrollWidth > cell.clientWidth + 1) clipped.push('cell cut: ' + cell.innerText.slice(0, 40));
    }
  }
  return clipped;
}"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, pk_target: dict[str, Any]) -> dict[str, Path]:
    """A small two-arm trial report, a one-target validation report, a forecast report (small sampler) and the
    plot of ``ketasim simulate``, written by the public API."""
    import dataclasses

    from ketasim.inference.forecast import forecast
    from ketasim.inference.forecast_report import write_forecast_report
    from ketasim.inference.samplers import DEFAULT_SETTINGS
    from ketasim.protocol import load_protocol
    from ketasim.protocol.history import read_facts, read_history
    from ketasim.report.timecourse_plot import write_timecourse_plot
    from ketasim.simulation.run import simulate
    from ketasim.trial.run import run_trial
    from ketasim.validation import parse_targets, run_targets
    from ketasim.validation.report import write_report
    from ketasim.web.form import FormValues, build_protocol

    folder = tmp_path_factory.mktemp("reports")
    protocol, _ = build_protocol(FormValues(patients=20, duration="14 d", schedule="0 d, 3 d", comparator="placebo"))
    trial = run_trial(protocol, out_dir=folder / "trial")
    targets = {"ketasim-targets": 1, "targets": [pk_target]}
    validation = write_report(run_targets(parse_targets(targets)), folder / "validation")
    history = EXAMPLES / "patient-history"
    small = dataclasses.replace(DEFAULT_SETTINGS, populations=2, particles=64, moves=2, final_moves=3, seed=3)
    predicted = forecast(
        read_history(history / "p017.csv"), read_facts(history / "p017.yaml"), 12 * 7 * 24.0, settings=small
    )
    single = load_protocol(EXAMPLES / "single-infusion.yaml")
    plot = write_timecourse_plot(simulate(single, patients=10), folder / "simulate" / "plot.html", title=single.name)
    return {
        "trial-report": trial.files["report"],
        "validation-report": validation,
        "forecast-report": write_forecast_report(predicted, folder / "forecast"),
        "simulate-plot": plot,
    }


def open_offline(browser: Any, path: Path, viewport: dict[str, int]) -> tuple[Any, list[str], list[str]]:
    """Open a report file with every request outside the file refused; returns the page, its errors and the
    refused requests."""
    page = browser.new_page()
    page.set_viewport_size(viewport)
    errors: list[str] = []
    blocked: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def only_the_file(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(path.as_uri())
    page.wait_for_function(PLOTS_DRAWN_JS, timeout=30_000)
    return page, errors, blocked


@pytest.mark.parametrize("name", PAGES)
def test_report_opens_offline_with_its_plots(browser: Any, reports: dict[str, Path], shoot: Any, name: str) -> None:
    page, errors, blocked = open_offline(browser, reports[name], PHONE)
    try:
        assert "not medical advice" in page.inner_text("body")
        shoot(page, f"{name}-phone", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.wait_for_timeout(300)
        shoot(page, f"{name}-desktop")
    finally:
        page.close()
    assert errors == []
    assert blocked == [], "the report asked for something outside its own file"


@pytest.mark.parametrize("name", PAGES)
def test_report_fits_a_phone_screen(browser: Any, reports: dict[str, Path], name: str) -> None:
    page, _, _ = open_offline(browser, reports[name], PHONE)
    try:
        overflow = page.evaluate(OVERFLOW_JS)
    finally:
        page.close()
    assert overflow <= 1, f"the page is {overflow} px wider than a phone screen"


@pytest.mark.parametrize("name", PAGES)
def test_plotly_is_one_shared_file_per_folder(reports: dict[str, Path], name: str, assert_offline_page: Any) -> None:
    page = reports[name]
    assert_offline_page(page)
    assert len(list(page.parent.glob("plotly-*.min.js"))) == 1
    assert page.stat().st_size < 1_000_000  # each page used to inline about 4.9 MB of plotly.js


@pytest.mark.parametrize("name", PAGES)
def test_every_panel_has_time_labels_and_a_y_title_with_a_unit(
    browser: Any, reports: dict[str, Path], name: str
) -> None:
    page, _, _ = open_offline(browser, reports[name], {"width": 1280, "height": 900})
    try:
        figures = page.evaluate(AXES_JS)
    finally:
        page.close()
    for axes in figures:
        shown = [a for a in axes if a["axis"].startswith("y") and a["title"]]
        for axis in axes:
            if axis["axis"].startswith("x") and len(axes) > 2:  # stacked panels: each has its own time labels
                assert axis["ticks"], f"{name}: {axis['axis']} has no tick labels"
        for axis in shown:
            assert "_" not in axis["title"], f"{name}: raw variable name as axis title: {axis['title']}"
            assert "(" in axis["title"], f"{name}: no unit in the axis title {axis['title']!r}"


def test_concentrations_switch_between_linear_and_log(browser: Any, reports: dict[str, Path], shoot: Any) -> None:
    page, errors, _ = open_offline(browser, reports["simulate-plot"], {"width": 1280, "height": 900})
    try:
        before = page.evaluate(AXES_JS)[0]
        page.locator(".updatemenu-button", has_text="log").first.click()
        page.wait_for_timeout(300)
        after = page.evaluate(AXES_JS)[0]
        shoot(page, "simulate-plot-log-scale")
    finally:
        page.close()
    assert errors == []
    titles = {a["axis"]: a["title"] for a in before}
    logged = {a["axis"] for a in after if a["type"] == "log"}
    assert {titles[a] for a in logged} == {"plasma ketamine (ng/mL)", "plasma norketamine (ng/mL)"}
    assert all(a["type"] == "linear" for a in before if a["axis"].startswith("y"))


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", ["trial-report", "validation-report", "forecast-report"])
def test_no_table_cuts_its_text(
    browser: Any, reports: dict[str, Path], shoot: Any, name: str, viewport: dict[str, int]
) -> None:
    page, _, _ = open_offline(browser, reports[name], viewport)
    try:
        clipped = page.evaluate(CLIPPED_JS)
        shoot(page, f"{name}-tables-{viewport['width']}", full_page=True)
    finally:
        page.close()
    assert clipped == []


PANEL_TRACES_JS = """(title) => {
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const layout = plot._fullLayout;
    const axis = Object.keys(layout).find(k => /^yaxis\\d*$/.test(k) && (layout[k].title || {}).text === title);
    if (!axis) continue;
    const id = 'y' + axis.slice(5);
    return plot._fullData.filter(t => (t.yaxis || 'y') === id && t.mode === 'lines' && t.fill !== 'toself')
      .map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}));
  }
  return null;
}"""


@pytest.fixture(scope="module")
def ketamine_vs_escitalopram_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the ketamine-vs-escitalopram example (12 infusions, observed 11 times), with 20 patients."""
    from ketasim.protocol import load_protocol
    from ketasim.trial.run import run_trial

    folder = tmp_path_factory.mktemp("ketamine-vs-escitalopram")
    protocol = load_protocol(EXAMPLES / "ketamine-vs-escitalopram.yaml")
    return run_trial(protocol, out_dir=folder / "trial", patients=20).files["report"]


@pytest.mark.parametrize("panel", ["plasma ketamine (ng/mL)", "BDNF change (%)"])
def test_trial_report_shows_a_peak_after_every_infusion(
    browser: Any, ketamine_vs_escitalopram_report: Path, shoot: Any, panel: str
) -> None:
    """The drug-level and mechanism panels are drawn from the dense plot grid, not the 11 observations: the
    ketamine arm's median rises and falls once per infusion (12), the escitalopram arm's plasma ketamine is flat."""
    from scipy.signal import find_peaks

    page, errors, _ = open_offline(browser, ketamine_vs_escitalopram_report, {"width": 1280, "height": 900})
    try:
        traces = page.evaluate(PANEL_TRACES_JS, panel)
        heading = page.locator("h2#drug-levels")
        heading.scroll_into_view_if_needed()
        shoot(page, f"ketamine-vs-escitalopram-{panel.split()[0].lower()}", full_page=True)
    finally:
        page.close()
    assert errors == []
    assert traces, f"no panel titled {panel!r}"
    median = {t["name"].split(" ")[0]: np.array(t["y"], dtype=float) for t in traces if "median" in t["name"]}
    ketamine = median["ketamine"]
    peaks, _ = find_peaks(ketamine, prominence=0.5 * (np.nanmax(ketamine) - np.nanmin(ketamine)))
    assert len(peaks) == 12, f"{panel}: {len(peaks)} peaks in the ketamine arm"
    if panel.startswith("plasma"):
        assert np.nanmax(np.abs(median["escitalopram"])) < 1e-6
