"""The explorer in a real browser: load, change dose and route, run, see the plots change, download and upload
the protocol, and bad input shown as an error without breaking the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
RUN_TIMEOUT_MS = 300_000  # a run compiles the model first: allow for a slow, shared CI machine
HOOKS = (
    "drug",
    "route",
    "dose",
    "schedule",
    "therapy",
    "run",
    "plot-concentration",
    "plot-cascade",
    "plot-dmn",
    "plot-symptoms",
    "endpoints-table",
    "download-protocol",
)
PLOTS = ("plot-concentration", "plot-cascade", "plot-dmn", "plot-symptoms", "plot-acute", "plot-fc")
SUBPLOT_TITLE_JS = """([testid, text]) => {
  const plot = document.querySelector(`[data-testid=${testid}] .js-plotly-plot`);
  return plot && plot._fullLayout && plot._fullLayout.annotations.some(a => a.text.includes(text));
}"""
ARM_TRACE_JS = """(testid) => {
  const plot = document.querySelector(`[data-testid=${testid}] .js-plotly-plot`);
  if (!plot || !plot._fullData) { return null; }
  return plot._fullData.filter(t => t.mode === 'lines' && t.fill === 'none').map(t => ({name: t.name, y: Array.from(t.y)}));
}"""


def fill(page: Any, testid: str, text: str) -> None:
    """Type into a text box and commit it (the boxes report their value on Enter or blur)."""
    box = page.locator(f"[data-testid={testid}] input")
    box.fill(text)
    box.press("Enter")


def choose(page: Any, testid: str, label: str) -> None:
    """Pick an option of a dropdown by its visible label."""
    page.locator(f"[data-testid={testid}] button").first.click()
    page.get_by_role("option", name=label, exact=True).click()


def small_run_settings(page: Any, comparator: str = "No comparator arm") -> None:
    """A small, short protocol so each run takes seconds: 20 patients, one week, two doses."""
    fill(page, "patients", "20")
    fill(page, "duration", "7 d")
    fill(page, "schedule", "0 d, 3 d")
    choose(page, "comparator", comparator)


DRAWN_JS = """([testids, run]) => testids.every(testid => {
  const plot = document.querySelector(`[data-testid=${testid}] .js-plotly-plot`);
  return plot && plot._fullLayout && plot._fullLayout.meta && plot._fullLayout.meta.run === run;
})"""


def run_and_wait(page: Any, number: int) -> None:
    """Press run and wait until run ``number`` has finished and every plot has drawn it."""
    page.get_by_test_id("run").click()
    page.wait_for_selector(f"[data-testid=run-status]:has-text('Run {number}:')", timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(DRAWN_JS, arg=[list(PLOTS), number], timeout=30_000)


def lines(page: Any, testid: str) -> list[dict[str, Any]]:
    """The median lines (name and values) drawn in a plot."""
    found = page.evaluate(ARM_TRACE_JS, testid)
    assert found, f"no plot drawn in {testid}"
    return list(found)


def treatment_peak(page: Any) -> float:
    """The highest median plasma ketamine of the treatment arm (first panel of the concentration plot)."""
    first = lines(page, "plot-concentration")[0]
    assert first["name"].startswith("treatment")
    return max(first["y"])


def error_text(page: Any) -> str:
    """The error box's text, or '' when it is hidden."""
    box = page.get_by_test_id("error")
    return box.inner_text() if box.is_visible() else ""


def test_every_hook_is_on_the_page_and_nothing_is_fetched_from_outside(page: Any) -> None:
    tab, problems = page
    for hook in HOOKS:
        assert tab.locator(f"[data-testid={hook}]").count() == 1, hook
    assert "not medical advice" in tab.inner_text("body")
    assert problems.errors == [] and problems.external == []


def test_changing_dose_and_route_changes_the_concentration_plot(page: Any, shoot: Any) -> None:
    tab, problems = page
    small_run_settings(tab)
    run_and_wait(tab, 1)
    first_peak = treatment_peak(tab)
    assert first_peak > 0
    for testid in ("plot-cascade", "plot-dmn", "plot-symptoms"):
        assert any(max(line["y"]) != min(line["y"]) for line in lines(tab, testid)), testid
    assert "response_24h" in tab.get_by_test_id("endpoints-table").inner_text()
    choose(tab, "scale", "PHQ-9 (depression, self-report)")
    tab.wait_for_function(SUBPLOT_TITLE_JS, arg=["plot-symptoms", "PHQ-9"], timeout=30_000)

    fill(tab, "dose", "0.25 mg/kg")
    tab.locator("[data-testid=route] label", has_text="IM").click()
    expect(tab.locator("[data-testid=infusion] input")).to_be_disabled()
    run_and_wait(tab, 2)
    second_peak = treatment_peak(tab)
    assert 0 < second_peak < 0.8 * first_peak  # half the dose, and no longer an infusion's peak
    assert error_text(tab) == ""
    tab.evaluate("window.scrollTo(0, 0)")
    tab.wait_for_timeout(500)  # let plotly finish drawing before the pictures
    shoot(tab, "explorer-desktop")
    shoot(tab, "explorer-desktop-full", full_page=True)
    tab.set_viewport_size(PHONE)
    tab.wait_for_timeout(500)
    shoot(tab, "explorer-phone")
    assert problems.errors == [] and problems.external == []


def test_protocol_download_loads_back_into_the_form_and_runs(page: Any, tmp_path: Path, shoot: Any) -> None:
    tab, problems = page
    fill(tab, "patients", "30")
    fill(tab, "dose", "0.4 mg/kg")
    tab.locator("[data-testid=route] label", has_text="SC").click()
    fill(tab, "infusion", "20 min")
    fill(tab, "schedule", "0 d, 7 d, 14 d")
    choose(tab, "therapy", "EMDR")
    choose(tab, "comparator", "midazolam 0.045 mg/kg IV over 40 min (active placebo)")
    with tab.expect_download() as download_info:
        tab.get_by_test_id("download-protocol").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    protocol = yaml.safe_load(saved.read_text(encoding="utf-8"))
    treatment = protocol["arms"][0]["treatments"]
    assert treatment[0]["dose"] == "0.4 mg/kg" and treatment[0]["route"] == "sc"
    assert treatment[1]["therapy"] == "emdr"
    assert [arm["name"] for arm in protocol["arms"]] == ["treatment", "midazolam"]

    tab.reload()
    tab.wait_for_selector("[data-testid=run]")
    expect(tab.locator("[data-testid=dose] input")).to_have_value("0.5 mg/kg")
    tab.locator("[data-testid=upload-protocol] input[type=file]").set_input_files(str(saved))
    expect(tab.get_by_test_id("notice")).to_contain_text("Loaded")
    expect(tab.locator("[data-testid=dose] input")).to_have_value("0.4 mg/kg")
    expect(tab.locator("[data-testid=infusion] input")).to_have_value("20 min")
    expect(tab.locator("[data-testid=schedule] input")).to_have_value("0 d, 7 d, 14 d")
    expect(tab.locator("[data-testid=route] input[value=sc]")).to_be_checked()
    expect(tab.get_by_test_id("therapy")).to_contain_text("EMDR")
    expect(tab.get_by_test_id("comparator")).to_contain_text("midazolam")
    expect(tab.get_by_test_id("notice")).not_to_contain_text("left out")  # the form holds the whole file

    run_and_wait(tab, 1)
    assert [line["name"].split(" ")[0] for line in lines(tab, "plot-concentration")][:2] == ["treatment", "midazolam"]
    tab.get_by_test_id("time-window").get_by_text("First 24 h").click()
    tab.wait_for_timeout(800)
    shoot(tab, "explorer-two-arms-first-day", full_page=True)
    assert problems.errors == [] and problems.external == []


def test_bad_input_shows_the_cli_error_and_the_page_keeps_working(page: Any, shoot: Any, tmp_path: Path) -> None:
    tab, problems = page
    broken = tmp_path / "broken.yaml"
    broken.write_text("ketasim: 1\narms: [\n", encoding="utf-8")
    tab.locator("[data-testid=upload-protocol] input[type=file]").set_input_files(str(broken))
    tab.wait_for_selector("[data-testid=error]:has-text('malformed YAML in broken.yaml')")

    small_run_settings(tab)
    fill(tab, "dose", "5 mg/kg")
    tab.get_by_test_id("run").click()
    tab.wait_for_selector("[data-testid=error]:has-text('arms[0].treatments[0].dose')")
    message = error_text(tab)
    assert "unsafe" in message and "5 mg/kg" in message
    assert "Check the field “Dose”" in message
    shoot(tab, "explorer-error")

    fill(tab, "dose", "half a vial")
    tab.get_by_test_id("run").click()
    tab.wait_for_selector("[data-testid=error]:has-text('cannot read')")

    fill(tab, "patients", "3000")
    choose(tab, "comparator", "placebo (inert, same route and times)")
    fill(tab, "dose", "0.5 mg/kg")
    tab.get_by_test_id("run").click()
    tab.wait_for_selector("[data-testid=error]:has-text('limit of 5000')")
    assert "population.size" in error_text(tab)

    fill(tab, "patients", "20")
    choose(tab, "comparator", "No comparator arm")
    run_and_wait(tab, 4)
    assert error_text(tab) == ""
    assert treatment_peak(tab) > 0
    assert problems.errors == [] and problems.external == []
