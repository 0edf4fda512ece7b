"""The trial report and the validation report in a real browser: self-contained (no network at all) and readable
on a phone-sized screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PHONE = {"width": 390, "height": 844}
PLOTS_DRAWN_JS = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return plots.length > 0 && plots.every(p => p._fullData && p._fullData.length > 0);
}"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The first pharmacokinetic target of the shared calibration targets (Zarate 2006 via Zanos 2018, Table 1).
TARGETS = {
    "ketasim-targets": 1,
    "targets": [
        {
            "id": "pk-iv-05-cmax",
            "title": "Plasma ketamine at the end of a 0.5 mg/kg infusion over 40 min",
            "source": "Zarate 2006, as tabulated in Zanos 2018 Pharmacol Rev Table 1",
            "confidence": "medium",
            "protocol": {
                "ketasim": 1,
                "name": "single racemic ketamine infusion, typical patient",
                "duration": "2 d",
                "population": {"size": 1, "condition": "trd", "variability": False},
                "arms": [
                    {
                        "name": "ketamine",
                        "treatments": [
                            {
                                "drug": "ketamine",
                                "route": "iv",
                                "dose": "0.5 mg/kg",
                                "infusion": "40 min",
                                "at": ["0 h"],
                            }
                        ],
                    }
                ],
                "observe": {"every": "5 min"},
            },
            "measure": {"arm": "ketamine", "output": "plasma_ketamine", "statistic": "max", "window": ["0 h", "4 h"]},
            "expected": 185,
            "band": [140, 240],
        }
    ],
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small two-arm trial report and a one-target validation report, written by the public API."""
    from ketasim.trial.run import run_trial
    from ketasim.validation import parse_targets, run_targets
    from ketasim.validation.report import write_report
    from ketasim.web.form import FormValues, build_protocol

    folder = tmp_path_factory.mktemp("reports")
    protocol, _ = build_protocol(FormValues(patients=20, duration="14 d", schedule="0 d, 3 d", comparator="placebo"))
    trial = run_trial(protocol, out_dir=folder / "trial")
    validation = write_report(run_targets(parse_targets(TARGETS)), folder / "validation")
    return {"trial-report": trial.files["report"], "validation-report": validation}


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


@pytest.mark.parametrize("name", ["trial-report", "validation-report"])
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


@pytest.mark.parametrize("name", ["trial-report", "validation-report"])
def test_report_fits_a_phone_screen(browser: Any, reports: dict[str, Path], name: str) -> None:
    page, _, _ = open_offline(browser, reports[name], PHONE)
    try:
        overflow = page.evaluate(OVERFLOW_JS)
    finally:
        page.close()
    assert overflow <= 1, f"the page is {overflow} px wider than a phone screen"
