"""Scenarios in a real browser: a link that opens the same run, kept runs drawn over the next ones, the data
download, and a bad link shown as a clear error."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from test_explorer import DRAWN_JS, PLOTS, RUN_TIMEOUT_MS, choose, error_text, fill, lines, run_and_wait

FORM_BOXES = ("patients", "duration", "dose", "schedule", "session", "delay")
KEPT_JS = """(testid) => {
  const plot = document.querySelector(`[data-testid=${testid}] .js-plotly-plot`);
  if (!plot || !plot._fullData) { return null; }
  return plot._fullData.filter(t => t.meta && t.meta.kept).map(t => ({name: t.name, y: Array.from(t.y)}));
}"""


def small_scenario(page: Any, dose: str) -> None:
    """Twenty patients for a week, two doses of ``dose``, no comparator: a run of seconds."""
    fill(page, "patients", "20")
    fill(page, "duration", "7 d")
    fill(page, "schedule", "0 d, 3 d")
    fill(page, "dose", dose)
    choose(page, "comparator", "No comparator arm")


def overlays(page: Any, testid: str) -> list[dict[str, Any]]:
    """The kept runs' lines drawn in a plot."""
    return list(page.evaluate(KEPT_JS, testid) or [])


def box_values(page: Any) -> dict[str, str]:
    return {name: page.locator(f"[data-testid={name}] input").input_value() for name in FORM_BOXES}


def test_the_link_to_a_run_opens_the_same_inputs_and_the_same_plotted_numbers(page: Any, browser: Any) -> None:
    tab, problems = page
    small_scenario(tab, "0.3 mg/kg")
    choose(tab, "therapy", "EMDR")
    tab.locator("[data-testid=rater_noise] label", has_text="without rater noise").click()
    choose(tab, "scale", "PHQ-9 (depression, self-report)")
    run_and_wait(tab, 1)
    expect(tab.get_by_test_id("share-link")).to_be_visible()
    link = tab.get_by_test_id("share-link").get_attribute("href")
    assert link and link.startswith("?") and "dose=0.3+mg%2Fkg" in link and "scale=phq9" in link
    shown = {testid: lines(tab, testid) for testid in ("plot-concentration", "plot-symptoms", "plot-cascade")}
    inputs = box_values(tab)

    other = browser.new_page()
    try:
        other.goto(tab.url.split("?")[0] + link)
        other.wait_for_selector("[data-testid=run-status]:has-text('Run 1:')", timeout=RUN_TIMEOUT_MS)
        other.wait_for_function(DRAWN_JS, arg=[list(PLOTS), 1], timeout=30_000)
        assert box_values(other) == inputs
        expect(other.get_by_test_id("therapy")).to_contain_text("EMDR")
        expect(other.locator("[data-testid=rater_noise] input[value=off]")).to_be_checked()
        for testid, drawn in shown.items():
            assert lines(other, testid) == drawn, testid
        assert "PHQ-9" in other.get_by_test_id("plot-symptoms").inner_text()
    finally:
        other.close()
    assert problems.errors == [] and problems.external == []


def test_a_bad_link_says_which_field_is_wrong_and_leaves_the_form_usable(page: Any, server_url: str) -> None:
    tab, problems = page
    tab.goto(server_url + "?dose=5+mg%2Fkg&patients=20")
    tab.wait_for_selector("[data-testid=error]:has-text('arms[0].treatments[0].dose')")
    assert "Check the field “Dose”" in error_text(tab)
    expect(tab.get_by_test_id("run-status")).to_have_text("No run yet.")
    tab.goto(server_url + "?patients=20&colour=red")
    tab.wait_for_selector("[data-testid=error]:has-text('link.colour: is not a field of the explorer')")
    expect(tab.locator("[data-testid=dose] input")).to_have_value("0.5 mg/kg")
    assert problems.errors == [] and problems.external == []


def test_a_kept_run_is_drawn_over_the_next_run_and_can_be_removed(page: Any, shoot: Any) -> None:
    tab, problems = page
    small_scenario(tab, "0.5 mg/kg")
    run_and_wait(tab, 1)
    first = lines(tab, "plot-concentration")[0]["y"]
    tab.get_by_test_id("keep-run").click()
    expect(tab.get_by_test_id("kept-list")).to_contain_text("kept A: ketamine 0.5 mg/kg iv, 2 doses")
    tab.wait_for_function(f"({KEPT_JS})('plot-concentration').length > 0", timeout=30_000)

    fill(tab, "dose", "0.25 mg/kg")
    run_and_wait(tab, 2)
    current = lines(tab, "plot-concentration")
    treatment = [line for line in current if line["name"].startswith("treatment")]
    kept = [line for line in overlays(tab, "plot-concentration") if "kept A" in line["name"]]
    assert len(treatment) >= 1 and len(kept) == 2  # plasma ketamine and norketamine panels, one line each
    assert max(kept[0]["y"]) == max(first)  # the kept run's plotted median, unchanged
    assert 0 < max(treatment[0]["y"]) < 0.8 * max(kept[0]["y"])  # half the dose
    legend = tab.locator("[data-testid=plot-concentration] .legend").text_content() or ""
    assert "kept A" in legend
    for testid in ("plot-cascade", "plot-symptoms", "plot-acute", "plot-dmn"):
        assert overlays(tab, testid), testid
    shoot(tab, "explorer-kept-run", full_page=True)

    tab.locator("[data-testid=kept-list] button", has_text="remove").click()
    tab.wait_for_function(f"({KEPT_JS})('plot-concentration').length === 0", timeout=30_000)
    expect(tab.get_by_test_id("kept-list")).not_to_contain_text("kept A")
    assert error_text(tab) == ""
    assert problems.errors == [] and problems.external == []


def test_the_data_download_holds_the_plotted_medians_of_every_scenario(page: Any, tmp_path: Path) -> None:
    tab, problems = page
    small_scenario(tab, "0.5 mg/kg")
    run_and_wait(tab, 1)
    tab.get_by_test_id("keep-run").click()
    expect(tab.get_by_test_id("kept-list")).to_contain_text("kept A")
    fill(tab, "dose", "0.3 mg/kg")
    run_and_wait(tab, 2)
    plotted = lines(tab, "plot-concentration")[0]
    with tab.expect_download() as download_info:
        tab.get_by_test_id("download-data").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.name == "ketasim-time-courses.csv"
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert set(rows[0]) == {"scenario", "arm", "output", "unit", "time_h", "p05", "p25", "median", "p75", "p95"}
    assert {row["scenario"] for row in rows} == {"current", "kept A"}
    current = [
        float(r["median"])
        for r in rows
        if r["scenario"] == "current" and r["output"] == "plasma_ketamine" and r["arm"] == "treatment"
    ]
    assert current == [float(f"{y:.6g}") for y in plotted["y"]]
    units = {r["output"]: r["unit"] for r in rows}
    assert units["plasma_ketamine"] == "ng/mL" and units["madrs"] == "points"
    assert all(float(r["p05"]) <= float(r["median"]) <= float(r["p95"]) for r in rows if r["median"] != "nan")
    chain = tab.get_by_test_id("chain").inner_text()
    assert "peak" in chain and "ng/mL" in chain
    assert problems.errors == [] and problems.external == []
